#!/usr/bin/env python3
"""Export the generator of a training checkpoint to ONNX.

  python3 training/export_onnx.py --checkpoint training/runs/main/latest.pt --out generator.onnx

Inputs `source`, `reference` (reference warped onto the source geometry), output
`output`: [N,3,256,256] float32 RGB in [-1,1]; metadata_props makeupapi.*.
"""
from __future__ import annotations

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from psgan.export import ema_metadata, export_generator, print_export_report  # noqa: E402
from psgan.trainer import load_generator  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--opset", type=int, default=13, help="13..17")
    p.add_argument("--static-batch", action="store_true", help="fix the batch axis to 1")
    p.add_argument("--no-verify", action="store_true")
    p.add_argument("--ema", action="store_true",
                   help="export the running mean of the generator's weights (a run with --ema-decay)")
    args = p.parse_args(argv)
    try:
        G, cfg, step = load_generator(args.checkpoint, ema=args.ema)
    except ValueError as e:
        raise SystemExit(str(e))
    export_generator(G, args.out, size=cfg.model.size, train_steps=step, opset=args.opset,
                     dynamic_batch=not args.static_batch, extra_meta=ema_metadata(cfg) if args.ema else None)
    print("wrote %s (step %d%s)" % (args.out, step, ", weight mean" if args.ema else ""))
    print_export_report(G, args.out, size=cfg.model.size, verify=not args.no_verify)
    return 0


if __name__ == "__main__":
    sys.exit(main())
