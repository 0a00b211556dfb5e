"""Repairs the weight mean (G_ema) of a checkpoint from a run started with --init-generator before the fix in
Trainer.init_generator_from_onnx: that mean started from G's seeded random initialisation instead of the ONNX weights.

    /usr/bin/python3 training/tools/repair_weight_mean.py --checkpoint IN.pt --init-generator ONNX --out OUT.pt

After n updates ema <- d * ema + (1 - d) * G_i started at S (trainer.ema_update),
    ema_n = d^n * S + sum_i (1 - d) * d^(n - i) * G_i,
and the sum does not depend on S. So the mean that should have been kept, started at the ONNX weights W0, is
    ema_n(W0) = ema_n(R) + d^n * (W0 - R),
with R the random initialisation, rebuilt here exactly as train.py built it: torch.manual_seed(seed), then the
generator is the first module the trainer creates. n is the checkpoint's step minus the ONNX file's step (one update
per step). The tool prints how much closer to G the repaired mean is, as a check that R was rebuilt right: a wrong R
leaves the mean as far from G as before.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Dict

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from psgan.config import Config  # noqa: E402
from psgan.networks import Generator  # noqa: E402
from psgan.device import torch_load  # noqa: E402
from psgan.trainer import generator_weights_from_onnx  # noqa: E402


def repair_weight_mean(ema: Dict[str, torch.Tensor], wrong_start: Dict[str, torch.Tensor],
                       right_start: Dict[str, torch.Tensor], updates: int, decay: float) -> Dict[str, torch.Tensor]:
    """The mean that `updates` EMA steps would have reached from right_start, given the one they reached from
    wrong_start. Integer tensors and buffers (copied, not averaged, by ema_update) are kept as they are."""
    if set(ema) != set(wrong_start) or set(ema) != set(right_start):
        raise ValueError("the three state dicts hold different tensors")
    weight = decay ** updates
    return {k: v + weight * (right_start[k] - wrong_start[k]) if v.is_floating_point() else v for k, v in ema.items()}


def _cosine(a: Dict[str, torch.Tensor], b: Dict[str, torch.Tensor]) -> float:
    x = torch.cat([v.flatten().double() for k, v in a.items() if v.is_floating_point()])
    y = torch.cat([b[k].flatten().double() for k, v in a.items() if v.is_floating_point()])
    return float(x @ y / (x.norm() * y.norm()))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", required=True, help="a checkpoint of the run (latest.pt or step_N.pt)")
    p.add_argument("--init-generator", required=True, help="the ONNX file the run started from")
    p.add_argument("--seed", type=int, default=0, help="the run's --seed (run.json)")
    p.add_argument("--out", required=True, help="checkpoint to write, with the repaired mean")
    args = p.parse_args(argv)

    sd = torch_load(args.checkpoint, map_location="cpu")
    if sd.get("G_ema") is None:
        raise SystemExit("%s holds no weight mean" % args.checkpoint)
    if sd.get("G_ema_repair"):
        raise SystemExit("%s was repaired already" % args.checkpoint)
    cfg = Config.from_dict(sd["config"])
    torch.manual_seed(args.seed)
    random_start = Generator(cfg.model).state_dict()
    init = Generator(cfg.model)
    init_step = generator_weights_from_onnx(init, args.init_generator)
    updates = int(sd["step"]) - init_step
    if updates < 0:
        raise SystemExit("the checkpoint (step %d) is older than %s (step %d)" % (sd["step"], args.init_generator,
                                                                              init_step))
    repaired = repair_weight_mean(sd["G_ema"], random_start, init.state_dict(), updates, cfg.optim.ema_decay)
    before, after = _cosine(sd["G_ema"], sd["G"]), _cosine(repaired, sd["G"])
    sd["G_ema"] = repaired
    sd["G_ema_repair"] = {"init_generator": args.init_generator, "seed": args.seed, "updates": updates,
                          "decay": cfg.optim.ema_decay}
    torch.save(sd, args.out)
    print("step %d: %d updates at decay %g, random start's weight %.4f; cosine to G %.4f -> %.4f; wrote %s"
          % (sd["step"], updates, cfg.optim.ema_decay, cfg.optim.ema_decay ** updates, before, after, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
