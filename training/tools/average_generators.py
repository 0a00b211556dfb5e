#!/usr/bin/env python3
"""Average the generator weights of several checkpoints of one lineage and export the mean to ONNX.

  python3 training/tools/average_generators.py --out avg.onnx ckpt/step_0005400.pt ckpt/step_0006000.pt ...
  python3 training/tools/average_generators.py --ema --out soup.onnx stageA/step_0070800.pt stageB/step_0078000.pt

Why: with batch size 1 the generator's weights wander around a region of good solutions, and
checkpoints a few hundred steps apart score very differently (see the model card). The plain mean of
the weights of checkpoints along one trajectory (Polyak & Juditsky 1992, "Acceleration of stochastic
approximation by averaging"; used for GAN generators by Yazici et al. 2019, "The unusual effectiveness
of averaging in GAN training") sits nearer the centre of that region than any single checkpoint.

With --ema each checkpoint contributes its running weight mean (--ema-decay) instead of G itself; the
checkpoints may then come from different stages or branches that were resumed from one another, as a
"model soup" (Wortsman et al. 2022, "Model soups: averaging weights of multiple fine-tuned models
improves accuracy without increasing inference time"): weights that descend from one start usually
stay in one basin, where their mean is a working model (training/STAGES.md, stage 25, measures it).

The checkpoints must share one model config (same tensors, same shapes) and one lineage. The
generator's normalisation layers keep no running statistics (networks.py), so averaging the
parameters is the whole of it. The export is written with `makeupapi.train_steps` set to the last
checkpoint's step, `makeupapi.averaged_steps` listing every averaged step and
`makeupapi.averaged_weights` saying what was averaged (G, or ema for the weight means).
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Dict, List, Sequence

HERE = os.path.dirname(os.path.abspath(__file__))
TRAINING = os.path.dirname(HERE)
if TRAINING not in sys.path:
    sys.path.insert(0, TRAINING)

import torch  # noqa: E402

from psgan.export import export_generator, print_export_report  # noqa: E402
from psgan.networks import Generator  # noqa: E402
from psgan.trainer import load_generator  # noqa: E402


def average_state_dicts(states: Sequence[Dict[str, torch.Tensor]]) -> Dict[str, torch.Tensor]:
    """Element-wise mean of floating-point tensors; other tensors must agree and are kept as they are."""
    if not states:
        raise ValueError("no state dicts to average")
    keys = list(states[0].keys())
    for i, s in enumerate(states[1:], start=1):
        if list(s.keys()) != keys:
            raise ValueError("state dict %d has different tensors than the first" % i)
    out: Dict[str, torch.Tensor] = {}
    for k in keys:
        tensors = [s[k] for s in states]
        shapes = {tuple(t.shape) for t in tensors}
        if len(shapes) != 1:
            raise ValueError("tensor %s has different shapes: %s" % (k, sorted(shapes)))
        if tensors[0].is_floating_point():
            out[k] = torch.stack([t.double() for t in tensors]).mean(0).to(tensors[0].dtype)
        else:
            if any(not torch.equal(t, tensors[0]) for t in tensors[1:]):
                raise ValueError("non-float tensor %s differs between checkpoints" % k)
            out[k] = tensors[0].clone()
    return out


def main(argv: List[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoints", nargs="+", help="training checkpoints (.pt) of one lineage")
    p.add_argument("--out", required=True, help="ONNX file to write")
    p.add_argument("--ema", action="store_true", help="average the checkpoints' weight means, not their G")
    p.add_argument("--no-verify", action="store_true")
    args = p.parse_args(argv)
    if len(args.checkpoints) < 2:
        p.error("give at least two checkpoints")

    # one generator per checkpoint (load_generator drops the discriminators and optimiser states)
    loaded = [load_generator(path, ema=args.ema) for path in args.checkpoints]
    cfg = loaded[0][1]
    if any(c.model != cfg.model for _, c, _ in loaded[1:]):
        p.error("the checkpoints have different model configs")
    steps = [step for _, _, step in loaded]
    G = Generator(cfg.model).eval()
    G.load_state_dict(average_state_dicts([g.state_dict() for g, _, _ in loaded]))
    what = "weight means" if args.ema else "generators"
    export_generator(G, args.out, size=cfg.model.size, train_steps=max(steps),
                     extra_meta={"makeupapi.averaged_steps": ",".join(str(s) for s in steps),
                                 "makeupapi.averaged_weights": "ema" if args.ema else "G"})
    print("wrote %s: mean of the %s at steps %s" % (args.out, what, ", ".join(map(str, steps))))
    print_export_report(G, args.out, size=cfg.model.size, verify=not args.no_verify)
    return 0


if __name__ == "__main__":
    sys.exit(main())
