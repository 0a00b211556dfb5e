"""Export the generator to ONNX and check the export against PyTorch."""
from __future__ import annotations

import copy
import os
import warnings
from typing import Dict, Optional

import numpy as np
import torch

from .device import onnx_export_kwargs

INPUTS = ("source", "reference")
OUTPUT = "output"


def ema_metadata(cfg) -> Dict[str, str]:
    """Metadata of an export of the running weight mean (OptimConfig.ema_decay) rather than the generator."""
    return {"makeupapi.ema_decay": repr(float(cfg.optim.ema_decay))}


def export_generator(G: torch.nn.Module, path: str, size: int = 256, train_steps: int = 0,
                     opset: int = 13, dynamic_batch: bool = True,
                     extra_meta: Optional[Dict[str, str]] = None) -> str:
    """Writes `path`: inputs source, reference [N,3,size,size] float32 RGB in [-1,1]
    (reference = reference warped onto the source geometry), output `output` (same)."""
    if not 13 <= opset <= 17:
        raise ValueError("opset must be in 13..17")
    import onnx  # required: metadata is part of the contract

    g = copy.deepcopy(G).cpu().eval()
    x = torch.zeros(1, 3, size, size)
    y = torch.zeros(1, 3, size, size)
    os.makedirs(os.path.dirname(os.path.abspath(path)) or ".", exist_ok=True)
    tmp = path + ".tmp.onnx"
    dyn = {n: {0: "N"} for n in (*INPUTS, OUTPUT)} if dynamic_batch else None
    with torch.no_grad(), warnings.catch_warnings():
        # instance norm without running stats always uses instance statistics; the
        # exporter's "train=True" warning about it is expected
        warnings.filterwarnings("ignore", message=".*instance_norm.*")
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        torch.onnx.export(g, (x, y), tmp, input_names=list(INPUTS), output_names=[OUTPUT],
                          dynamic_axes=dyn, opset_version=opset, do_constant_folding=True,
                          **onnx_export_kwargs())
    model = onnx.load(tmp)
    _inline_identity_initializers(model)
    _pin_output_size(model, size)
    meta = {
        "makeupapi.model": "psgan-generator",
        "makeupapi.size": str(size),
        "makeupapi.input_range": "-1,1",
        "makeupapi.color_order": "RGB",
        "makeupapi.train_steps": str(int(train_steps)),
    }
    meta.update(extra_meta or {})
    del model.metadata_props[:]
    for k, v in meta.items():
        p = model.metadata_props.add()
        p.key, p.value = k, v
    onnx.checker.check_model(model)
    onnx.save(model, path)
    os.remove(tmp)
    return path


def _pin_output_size(model, size: int) -> None:
    """torch.onnx.export leaves the output's height and width symbolic ("Tanhoutput_dim_2") even though the
    generator always returns the working size. Writing the size into the graph lets a runtime check the output
    shape when it loads the file (GeneratorMakeupEngine's RequireOutput accepts any value on a symbolic axis)."""
    for out in model.graph.output:
        dims = out.type.tensor_type.shape.dim
        for axis in (2, 3):
            if len(dims) == 4 and not dims[axis].HasField("dim_value"):
                dims[axis].Clear()
                dims[axis].dim_value = size


def _inline_identity_initializers(model) -> None:
    """The exporter deduplicates equal initializers (e.g. untrained instance-norm
    weights) into Identity nodes over a shared initializer; some runtimes (OpenCV DNN)
    reject those. Replace each such node by a copy of the initializer."""
    import onnx
    inits = {i.name: i for i in model.graph.initializer}
    keep = []
    for node in model.graph.node:
        if node.op_type == "Identity" and node.input[0] in inits:
            t = onnx.TensorProto()
            t.CopyFrom(inits[node.input[0]])
            t.name = node.output[0]
            model.graph.initializer.append(t)
        else:
            keep.append(node)
    del model.graph.node[:]
    model.graph.node.extend(keep)


def verify_export(G: torch.nn.Module, path: str, size: int = 256, batch: int = 1, seed: int = 0):
    """Max abs difference between PyTorch and the ONNX file on random inputs.

    Uses onnxruntime if installed, else OpenCV's DNN module (cv2.dnn). Returns
    (max_abs_diff, backend) or (None, reason) when no runtime is available."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(batch, 3, size, size, generator=gen) * 2 - 1
    y = torch.rand(batch, 3, size, size, generator=gen) * 2 - 1
    g = copy.deepcopy(G).cpu().eval()
    with torch.no_grad():
        ref = g(x, y).numpy()
    try:
        import onnxruntime as ort  # type: ignore
        sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        got = sess.run([OUTPUT], {"source": x.numpy(), "reference": y.numpy()})[0]
        return float(np.abs(got - ref).max()), "onnxruntime " + ort.__version__
    except ImportError:
        pass
    try:
        import cv2
    except ImportError:
        return None, "neither onnxruntime nor cv2 available"
    net = cv2.dnn.readNetFromONNX(path)
    net.setInput(x.numpy(), "source")
    net.setInput(y.numpy(), "reference")
    got = net.forward(OUTPUT)
    return float(np.abs(got - ref).max()), "cv2.dnn " + cv2.__version__


def read_metadata(path: str) -> Dict[str, str]:
    import onnx
    m = onnx.load(path)
    return {p.key: p.value for p in m.metadata_props}


def print_export_report(G: torch.nn.Module, path: str, size: int = 256, verify: bool = True) -> None:
    """What the export CLIs print after writing `path`: its metadata and, unless told not to, the
    max abs difference from PyTorch (verify_export)."""
    print("metadata: %s" % read_metadata(path))
    if verify:
        diff, backend = verify_export(G, path, size=size)
        print("max |onnx - torch| = %s (%s)" % (diff, backend))
