"""A small ONNX -> PyTorch importer for frozen convolutional feature networks.

It reads the graph and its initializers with the `onnx` package and evaluates the nodes
in order with torch ops, so gradients flow through the network to its input (what a
perceptual loss needs). Weights are frozen buffers. Only the ops that mobile conv nets
(MediaPipe face mesh, BlazeFace, MobileNet/ResNet style) use are supported; anything
else raises NotImplementedError naming the op.

Intermediate tensors can be tapped by name; `OnnxGraph.probe` lists the 4-D ones with
their shapes so a caller can choose feature layers.
"""
from __future__ import annotations

import math
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def _is_np(v) -> bool:
    return not isinstance(v, torch.Tensor)


def _attrs(node) -> Dict[str, object]:
    from onnx import helper
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _same_pads(in_size: Sequence[int], kernel, stride, dilation, upper: bool):
    pads_begin, pads_end = [], []
    for n, k, s, d in zip(in_size, kernel, stride, dilation):
        out = int(math.ceil(n / s))
        eff = (k - 1) * d + 1
        total = max(0, (out - 1) * s + eff - n)
        small, big = total // 2, total - total // 2
        pads_begin.append(small if upper else big)
        pads_end.append(big if upper else small)
    return pads_begin + pads_end


def _torch_pad_list(pads: Sequence[int], spatial: int) -> List[int]:
    """ONNX [b1, b2, ..., e1, e2, ...] over the last `spatial` dims -> torch F.pad order."""
    begin, end = pads[:spatial], pads[spatial:]
    out: List[int] = []
    for i in reversed(range(spatial)):
        out += [int(begin[i]), int(end[i])]
    return out


class OnnxGraph(nn.Module):
    def __init__(self, model_or_path):
        super().__init__()
        import onnx
        from onnx import numpy_helper

        model = onnx.load(model_or_path) if isinstance(model_or_path, str) else model_or_path
        graph = model.graph
        self._consts: Dict[str, object] = {}      # non-float constants (shapes, axes...)
        self._buf_names: Dict[str, str] = {}
        for i, init in enumerate(graph.initializer):
            arr = numpy_helper.to_array(init)
            self._add_const(init.name, arr, "w%d" % i)
        self.nodes = []
        for j, node in enumerate(graph.node):
            if node.op_type == "Constant":
                a = _attrs(node)
                if "value" in a:
                    arr = numpy_helper.to_array(a["value"])
                elif "value_float" in a:
                    arr = np.array(a["value_float"], dtype=np.float32)
                elif "value_ints" in a:
                    arr = np.array(a["value_ints"], dtype=np.int64)
                elif "value_int" in a:
                    arr = np.array(a["value_int"], dtype=np.int64)
                else:
                    raise NotImplementedError("Constant node without value")
                self._add_const(node.output[0], arr, "c%d" % j)
                continue
            self.nodes.append((node.op_type, list(node.input), list(node.output), _attrs(node)))
        init_names = {i.name for i in graph.initializer}
        self.input_names = [i.name for i in graph.input if i.name not in init_names]
        self.output_names = [o.name for o in graph.output]
        self.input_shapes = []
        for i in graph.input:
            if i.name in init_names:
                continue
            dims = [d.dim_value if d.dim_value > 0 else -1 for d in i.type.tensor_type.shape.dim]
            self.input_shapes.append(dims)
        for p in self.parameters():
            p.requires_grad_(False)

    def _add_const(self, name: str, arr: np.ndarray, key: str) -> None:
        if arr.dtype.kind == "f":
            self.register_buffer(key, torch.from_numpy(np.array(arr, dtype=np.float32)))
            self._buf_names[name] = key
        else:
            self._consts[name] = arr

    def _get(self, env, name):
        if name == "":
            return None
        if name in env:
            return env[name]
        if name in self._buf_names:
            return getattr(self, self._buf_names[name])
        if name in self._consts:
            return self._consts[name]
        raise KeyError("ONNX tensor %r not available" % name)

    @staticmethod
    def _ints(v) -> List[int]:
        if isinstance(v, torch.Tensor):
            return [int(x) for x in v.flatten().tolist()]
        return [int(x) for x in np.asarray(v).flatten().tolist()]

    def forward(self, *inputs, taps: Optional[Sequence[str]] = None,
                stop_after_taps: bool = False) -> Dict[str, torch.Tensor]:
        env: Dict[str, object] = dict(zip(self.input_names, inputs))
        wanted = set(taps or [])
        for op, ins, outs, a in self.nodes:
            args = [self._get(env, n) for n in ins]
            res = self._run(op, args, a)
            if not isinstance(res, (list, tuple)):
                res = [res]
            for n, r in zip(outs, res):
                env[n] = r
            if stop_after_taps and wanted and all(t in env for t in wanted):
                break
        names = list(taps) if taps else self.output_names
        return {n: env[n] for n in names}

    @torch.no_grad()
    def probe(self, *inputs) -> List[tuple]:
        """(name, shape) of every 4-D float tensor, in evaluation order."""
        env: Dict[str, object] = dict(zip(self.input_names, inputs))
        found = []
        for op, ins, outs, a in self.nodes:
            args = [self._get(env, n) for n in ins]
            res = self._run(op, args, a)
            if not isinstance(res, (list, tuple)):
                res = [res]
            for n, r in zip(outs, res):
                env[n] = r
                if isinstance(r, torch.Tensor) and r.dim() == 4 and r.is_floating_point():
                    found.append((n, tuple(r.shape), op))
        return found

    # ------------------------------------------------------------------------------
    def _run(self, op, x, a):  # noqa: C901 - a dispatch table
        if op in ("Identity", "Dropout"):
            return x[0]
        if op == "Conv":
            return self._conv(x, a)
        if op == "PRelu":
            inp, slope = x
            return torch.where(inp >= 0, inp, inp * slope)
        if op == "Relu":
            return F.relu(x[0])
        if op == "LeakyRelu":
            return F.leaky_relu(x[0], float(a.get("alpha", 0.01)))
        if op == "Clip":
            lo = a.get("min", None)
            hi = a.get("max", None)
            if len(x) > 1 and x[1] is not None:
                lo = float(np.asarray(x[1].cpu() if isinstance(x[1], torch.Tensor) else x[1]))
            if len(x) > 2 and x[2] is not None:
                hi = float(np.asarray(x[2].cpu() if isinstance(x[2], torch.Tensor) else x[2]))
            return torch.clamp(x[0], min=lo, max=hi)
        if op == "Sigmoid":
            return torch.sigmoid(x[0])
        if op == "Tanh":
            return torch.tanh(x[0])
        if op == "HardSigmoid":
            return torch.clamp(x[0] * float(a.get("alpha", 0.2)) + float(a.get("beta", 0.5)), 0, 1)
        if op == "HardSwish":
            return x[0] * torch.clamp(x[0] / 6 + 0.5, 0, 1)
        if op in ("Add", "Sub", "Mul", "Div", "Pow"):
            u, v = (self._as_tensor(t, x[0]) for t in x)
            return {"Add": torch.add, "Sub": torch.sub, "Mul": torch.mul,
                    "Div": torch.div, "Pow": torch.pow}[op](u, v)
        if op in ("MaxPool", "AveragePool"):
            return self._pool(op, x[0], a)
        if op == "GlobalAveragePool":
            return x[0].mean(dim=(2, 3), keepdim=True)
        if op == "Pad":
            return self._pad(x, a)
        if op == "Transpose":
            perm = [int(p) for p in a.get("perm", list(reversed(range(np.ndim(x[0])))))]
            return np.transpose(x[0], perm) if _is_np(x[0]) else x[0].permute(*perm)
        if op == "Reshape":
            shape = self._ints(x[1])
            shape = [x[0].shape[i] if s == 0 else s for i, s in enumerate(shape)]
            return x[0].reshape(shape)
        if op == "Flatten":
            ax = int(a.get("axis", 1))
            return x[0].reshape(int(np.prod(x[0].shape[:ax])), -1)
        if op == "Concat":
            ax = int(a["axis"])
            if all(_is_np(t) for t in x):
                return np.concatenate([np.asarray(t) for t in x], axis=ax)
            like = next(t for t in x if isinstance(t, torch.Tensor))
            return torch.cat([self._as_tensor(t, like) for t in x], dim=ax)
        if op == "Squeeze":
            axes = a.get("axes") or (self._ints(x[1]) if len(x) > 1 else None)
            t = x[0]
            if _is_np(t):
                return np.squeeze(t, axis=tuple(axes) if axes is not None else None)
            if axes is None:
                return t.squeeze()
            for ax in sorted([ax % t.dim() for ax in axes], reverse=True):
                t = t.squeeze(ax)
            return t
        if op == "Unsqueeze":
            axes = a.get("axes") or self._ints(x[1])
            t = x[0]
            for ax in sorted(axes):
                nd = np.ndim(t)
                ax = ax if ax >= 0 else ax + nd + 1
                t = np.expand_dims(t, ax) if _is_np(t) else t.unsqueeze(ax)
            return t
        if op == "Shape":
            return np.array(list(x[0].shape), dtype=np.int64)
        if op == "Gather":
            ax = int(a.get("axis", 0))
            if _is_np(x[0]):
                return np.take(np.asarray(x[0]), np.asarray(self._np(x[1])), axis=ax)
            idx = torch.as_tensor(np.asarray(self._np(x[1])), dtype=torch.long, device=x[0].device)
            flat = torch.index_select(x[0], ax, idx.flatten())
            return flat.reshape(list(x[0].shape[:ax]) + list(idx.shape) + list(x[0].shape[ax + 1:]))
        if op == "ConstantOfShape":
            from onnx import numpy_helper
            val = numpy_helper.to_array(a["value"]) if "value" in a else np.zeros(1, np.float32)
            return np.full(self._ints(x[0]), val.flatten()[0], dtype=val.dtype)
        if op == "Slice":
            return self._slice(x)
        if op == "Cast":
            to = int(a["to"])
            np_type = {1: np.float32, 6: np.int32, 7: np.int64, 9: np.bool_, 10: np.float16,
                       11: np.float64}.get(to)
            if _is_np(x[0]):
                return np.asarray(x[0]).astype(np_type)
            if to in (1, 10, 11):
                return x[0].float()
            return x[0].long() if to in (6, 7) else x[0].bool()
        if op == "BatchNormalization":
            inp, scale, bias, mean, var = x[:5]
            return F.batch_norm(inp, mean, var, scale, bias, False, 0.0, float(a.get("epsilon", 1e-5)))
        if op == "Gemm":
            A, B = x[0], x[1]
            if a.get("transA", 0):
                A = A.t()
            if a.get("transB", 0):
                B = B.t()
            y = float(a.get("alpha", 1.0)) * (A @ B)
            if len(x) > 2 and x[2] is not None:
                y = y + float(a.get("beta", 1.0)) * x[2]
            return y
        if op == "MatMul":
            return torch.matmul(x[0], self._as_tensor(x[1], x[0]))
        if op == "Softmax":
            return torch.softmax(x[0], dim=int(a.get("axis", -1)))
        if op == "Resize":
            return self._resize(x, a)
        raise NotImplementedError("ONNX op %s is not supported by the importer" % op)

    @staticmethod
    def _np(v):
        return v.detach().cpu().numpy() if isinstance(v, torch.Tensor) else np.asarray(v)

    def _slice(self, x):
        data = x[0]
        starts, ends = self._ints(x[1]), self._ints(x[2])
        nd = np.ndim(data)
        axes = self._ints(x[3]) if len(x) > 3 and x[3] is not None else list(range(len(starts)))
        steps = self._ints(x[4]) if len(x) > 4 and x[4] is not None else [1] * len(starts)
        index = [slice(None)] * nd
        flips = []
        for st, en, ax, sp in zip(starts, ends, axes, steps):
            ax = ax % nd
            if sp < 0 and not _is_np(data):
                # torch has no negative-step slicing: slice the flipped tensor
                n = data.shape[ax]
                st = min(max(st + n if st < 0 else st, -1), n - 1)
                en = min(max(en + n if en < 0 else en, -1), n - 1)
                index[ax] = slice(n - 1 - st, n - 1 - en, -sp)
                flips.append(ax)
            else:
                index[ax] = slice(st, en, sp)
        if flips:
            data = torch.flip(data, dims=flips)
        return data[tuple(index)]

    @staticmethod
    def _as_tensor(t, like):
        if isinstance(t, torch.Tensor):
            return t
        return torch.as_tensor(np.asarray(t), dtype=like.dtype, device=like.device)

    def _conv(self, x, a):
        inp, w = x[0], x[1]
        b = x[2] if len(x) > 2 else None
        k = list(w.shape[2:])
        nd = len(k)
        strides = list(a.get("strides", [1] * nd))
        dil = list(a.get("dilations", [1] * nd))
        group = int(a.get("group", 1))
        auto_pad = a.get("auto_pad", b"NOTSET")
        auto_pad = auto_pad.decode() if isinstance(auto_pad, bytes) else auto_pad
        if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
            pads = _same_pads(inp.shape[2:], k, strides, dil, auto_pad == "SAME_UPPER")
        elif auto_pad == "VALID":
            pads = [0] * (2 * nd)
        else:
            pads = list(a.get("pads", [0] * (2 * nd)))
        if pads[:nd] == pads[nd:]:
            padding = pads[:nd]
        else:
            inp = F.pad(inp, _torch_pad_list(pads, nd))
            padding = [0] * nd
        fn = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[nd]
        return fn(inp, w, b, strides, padding, dil, group)

    def _pool(self, op, inp, a):
        k = list(a["kernel_shape"])
        nd = len(k)
        strides = list(a.get("strides", [1] * nd))
        auto_pad = a.get("auto_pad", b"NOTSET")
        auto_pad = auto_pad.decode() if isinstance(auto_pad, bytes) else auto_pad
        if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
            pads = _same_pads(inp.shape[2:], k, strides, [1] * nd, auto_pad == "SAME_UPPER")
        else:
            pads = list(a.get("pads", [0] * (2 * nd)))
        ceil = bool(a.get("ceil_mode", 0))
        if any(pads):
            if op == "MaxPool":
                inp = F.pad(inp, _torch_pad_list(pads, nd), value=float("-inf"))
            elif not a.get("count_include_pad", 0):
                # average only over real pixels: pool a ones-mask the same way
                ones = torch.ones_like(inp[:, :1])
                num = F.avg_pool2d(F.pad(inp, _torch_pad_list(pads, nd)), k, strides, 0, ceil)
                den = F.avg_pool2d(F.pad(ones, _torch_pad_list(pads, nd)), k, strides, 0, ceil)
                return num / den.clamp_min(1e-8)
            else:
                inp = F.pad(inp, _torch_pad_list(pads, nd))
        if op == "MaxPool":
            return F.max_pool2d(inp, k, strides, 0, 1, ceil)
        return F.avg_pool2d(inp, k, strides, 0, ceil)

    def _pad(self, x, a):
        inp = x[0]
        if len(x) > 1 and x[1] is not None:
            pads = self._ints(x[1])
        else:
            pads = list(a["pads"])
        value = 0.0
        if len(x) > 2 and x[2] is not None:
            v = x[2]
            value = float(v.flatten()[0]) if isinstance(v, torch.Tensor) else float(np.asarray(v).flatten()[0])
        else:
            value = float(a.get("value", 0.0))
        mode = a.get("mode", b"constant")
        mode = mode.decode() if isinstance(mode, bytes) else mode
        nd = inp.dim()
        tp = _torch_pad_list(pads, nd)
        # drop leading all-zero pairs so reflect/replicate only see spatial dims
        while len(tp) > 2 and tp[-1] == 0 and tp[-2] == 0:
            tp = tp[:-2]
        if mode == "constant":
            return F.pad(inp, tp, value=value)
        return F.pad(inp, tp, mode={"reflect": "reflect", "edge": "replicate"}[mode])

    def _resize(self, x, a):
        inp = x[0]
        sizes = x[3] if len(x) > 3 and x[3] is not None else None
        mode = a.get("mode", b"nearest")
        mode = mode.decode() if isinstance(mode, bytes) else mode
        if sizes is not None and len(self._ints(sizes)):
            size = self._ints(sizes)[2:]
            return F.interpolate(inp, size=size, mode="bilinear" if mode == "linear" else "nearest")
        sc = x[2]
        scales = np.asarray(sc.cpu() if isinstance(sc, torch.Tensor) else sc).tolist()
        return F.interpolate(inp, scale_factor=scales[2:], mode="bilinear" if mode == "linear" else "nearest")
