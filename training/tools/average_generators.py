#!/usr/bin/env python3
"""Average the generator weights of several checkpoints of one lineage and export the mean to ONNX.

  python3 training/tools/average_generators.py --out avg.onnx ckpt/step_0005400.pt ckpt/step_0006000.pt ...
  python3 training/tools/average_generators.py --ema --out soup.onnx stageA/step_0070800.pt stageB/step_0078000.pt
  python3 training/tools/average_generators.py --ema --out mix.onnx onnx-models/psgan-generator.onnx tuned/latest.pt

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

An exported generator (.onnx) may stand in for a checkpoint whose training file is gone, such as the committed
model: its weights are read back by name (trainer.generator_weights_from_onnx) into the model config of the
checkpoints given with it, so at least one .pt is needed. The mean of a model and a fine-tune that started from it
is WiSE-FT's weight-space ensemble (Wortsman et al. 2022, "Robust fine-tuning of zero-shot models", CVPR): the
mixture often keeps most of what fine-tuning gained on the new kind of input and most of what the start did on
its own. `--weights` gives the inputs unequal shares (WiSE-FT's alpha is the fine-tune's share).

The checkpoints must share one model config (same tensors, same shapes) and one lineage. The
generator's normalisation layers keep no running statistics (networks.py), so averaging the
parameters is the whole of it. The export is written with `makeupapi.train_steps` set to the last
checkpoint's step, `makeupapi.averaged_steps` listing every averaged step,
`makeupapi.averaged_weights` saying what was averaged (G, or ema for the weight means) and, with
`--weights`, `makeupapi.averaged_shares` the normalised share of each input.
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
from psgan.trainer import generator_weights_from_onnx, load_generator  # noqa: E402


def average_state_dicts(states: Sequence[Dict[str, torch.Tensor]],
                        weights: Sequence[float] | None = None) -> Dict[str, torch.Tensor]:
    """Element-wise mean of floating-point tensors, weighted by `weights` (normalised to sum 1) when given;
    other tensors must agree and are kept as they are."""
    if not states:
        raise ValueError("no state dicts to average")
    shares = normalised_shares(weights if weights is not None else [1.0] * len(states), len(states))
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
            stacked = torch.stack([t.double() for t in tensors])
            share = torch.tensor(shares, dtype=torch.float64).reshape((-1,) + (1,) * tensors[0].dim())
            out[k] = (stacked * share).sum(0).to(tensors[0].dtype)
        else:
            if any(not torch.equal(t, tensors[0]) for t in tensors[1:]):
                raise ValueError("non-float tensor %s differs between checkpoints" % k)
            out[k] = tensors[0].clone()
    return out


def normalised_shares(weights: Sequence[float], count: int) -> List[float]:
    """The weights as shares of 1: one per input, none negative, not all zero."""
    if len(weights) != count:
        raise ValueError("%d weights for %d inputs" % (len(weights), count))
    if any(not w >= 0 for w in weights) or sum(weights) <= 0:   # `not w >= 0` also refuses NaN
        raise ValueError("weights must be >= 0 and not all 0, not %s" % list(weights))
    total = float(sum(weights))
    return [w / total for w in weights]


def parse_weights(text: str) -> List[float]:
    try:
        return [float(part) for part in text.split(",")]
    except ValueError:
        raise ValueError("--weights is a comma-separated list of numbers, not %r" % text) from None


def load_inputs(paths: Sequence[str], ema: bool):
    """(generator, config, step) per input. Checkpoints load with their config; each .onnx file loads into the
    config of the first checkpoint, and generator_weights_from_onnx refuses a file whose tensors do not fit it."""
    checkpoints = {i: load_generator(path, ema=ema) for i, path in enumerate(paths) if not path.endswith(".onnx")}
    if not checkpoints:
        raise ValueError("give at least one training checkpoint (.pt): an .onnx file carries no model config")
    cfg = next(iter(checkpoints.values()))[1]
    loaded = []
    for i, path in enumerate(paths):
        if i in checkpoints:
            loaded.append(checkpoints[i])
        else:
            g = Generator(cfg.model)
            step = generator_weights_from_onnx(g, path)
            loaded.append((g.eval(), cfg, step))
    return loaded


def main(argv: List[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoints", nargs="+",
                   help="training checkpoints (.pt) of one lineage; an exported generator (.onnx) of the same "
                        "lineage may stand in for one")
    p.add_argument("--out", required=True, help="ONNX file to write")
    p.add_argument("--ema", action="store_true", help="average the checkpoints' weight means, not their G")
    p.add_argument("--weights", default=None,
                   help="comma-separated shares, one per input in order (normalised to sum 1); default equal")
    p.add_argument("--no-verify", action="store_true")
    args = p.parse_args(argv)
    if len(args.checkpoints) < 2:
        p.error("give at least two checkpoints")
    try:
        shares = (normalised_shares(parse_weights(args.weights), len(args.checkpoints))
                  if args.weights is not None else None)
        # one generator per input (load_generator drops the discriminators and optimiser states)
        loaded = load_inputs(args.checkpoints, args.ema)
    except ValueError as e:
        p.error(str(e))
    cfg = loaded[0][1]
    if any(c.model != cfg.model for _, c, _ in loaded[1:]):
        p.error("the checkpoints have different model configs")
    steps = [step for _, _, step in loaded]
    G = Generator(cfg.model).eval()
    G.load_state_dict(average_state_dicts([g.state_dict() for g, _, _ in loaded], shares))
    what = "weight means" if args.ema else "generators"
    meta = {"makeupapi.averaged_steps": ",".join(str(s) for s in steps),
            "makeupapi.averaged_weights": "ema" if args.ema else "G"}
    if shares is not None:
        meta["makeupapi.averaged_shares"] = ",".join("%.6g" % w for w in shares)
    export_generator(G, args.out, size=cfg.model.size, train_steps=max(steps), extra_meta=meta)
    print("wrote %s: %s of the %s at steps %s" % (args.out, "weighted mean" if shares else "mean", what,
                                                  ", ".join(map(str, steps))))
    print_export_report(G, args.out, size=cfg.model.size, verify=not args.no_verify)
    return 0


if __name__ == "__main__":
    sys.exit(main())
