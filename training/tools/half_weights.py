#!/usr/bin/env python3
"""Write a copy of an exported generator with its float32 weights stored as float16, to carry to a device machine as
the start of the next GPU run (`train.py --init-generator`, `train-on-device.sh`'s TRAIN_INIT).

  python3 training/tools/half_weights.py IN.onnx OUT.onnx

Why: what travels to a device machine is at most 64 MiB, and the tracked tree takes about 20 of them. The full
preset's fp32 export is 48 MiB, so it cannot travel beside any training data; with float16 weights it is 24 MiB, which
leaves about 19 MiB for the data (training/README.md, GPU machine). float16 keeps 11 significant bits, a relative
rounding of at most 2^-11 (IEEE 754 binary16), far below what one training step moves a weight at the lr used.

The result is a weight container, not a model to run: only the initializers change type, so the graph no longer
type-checks, and its metadata says so (`makeupapi.weights_only`). `train.py --init-generator` reads initializers by
name and casts them back to the network's float32 (trainer.generator_weights_from_onnx); the service must keep using
the fp32 export.
"""
from __future__ import annotations

import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper

WEIGHTS_ONLY_KEY = "makeupapi.weights_only"


# A tensor is stored as float16 only when its largest rounding error stays within this share of its largest
# magnitude: binary16's own 2^-11 for normal numbers, with room for one more bit. Tensors whose values lie in
# float16's subnormal range (below 6.1e-5: e.g. biases that started at zero and have moved a few steps) would lose
# more, so they stay float32; they are small.
MAX_RELATIVE_ROUNDING = 2.0 ** -10


def half_weights(src: str, dst: str) -> tuple:
    """Writes dst; returns (initializers stored as float16, float32 ones kept because float16 would round them more
    than MAX_RELATIVE_ROUNDING)."""
    model = onnx.load(src)
    converted = kept = 0
    for i, t in enumerate(model.graph.initializer):
        if t.data_type != TensorProto.FLOAT:
            continue
        full = numpy_helper.to_array(t)
        half = full.astype(np.float16)
        scale = float(np.abs(full).max()) if full.size else 0.0
        if scale > 0 and float(np.abs(half.astype(np.float32) - full).max()) > MAX_RELATIVE_ROUNDING * scale:
            kept += 1
            continue
        model.graph.initializer[i].CopyFrom(numpy_helper.from_array(half, t.name))
        converted += 1
    props = [p for p in model.metadata_props if p.key != WEIGHTS_ONLY_KEY]
    del model.metadata_props[:]
    model.metadata_props.extend(props)
    model.metadata_props.add(key=WEIGHTS_ONLY_KEY,
                             value="float16 initializers for train.py --init-generator; not a runnable model")
    onnx.save(model, dst)
    return converted, kept


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("src", help="an exported generator (fp32)")
    p.add_argument("dst", help="where to write the float16 weight container")
    args = p.parse_args(argv)
    converted, kept = half_weights(args.src, args.dst)
    print("%s: %d weight tensors as float16, %d kept float32, %.1f MiB (from %.1f MiB)" % (
        args.dst, converted, kept, os.path.getsize(args.dst) / 2 ** 20, os.path.getsize(args.src) / 2 ** 20))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
