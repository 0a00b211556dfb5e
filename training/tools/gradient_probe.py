"""How hard does each generator loss term pull on G? Prints, per term, the median loss and the median L2 norm of its
gradient over G's parameters, for a generator exported to ONNX, on a few evenly spread prepared pairs.

    /usr/bin/python3 training/tools/gradient_probe.py --onnx onnx-models/psgan-generator.onnx --data training/prepared

Used to choose `train.py --loss-weight`: with Adam, a term whose gradient is a small fraction of the others' barely
steers the update, whatever its loss value. The adversarial terms are left out: with fresh discriminators their
gradients say nothing about a running training. Terms are weighted as the preset (and any --loss-weight) weights them.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from psgan.config import preset  # noqa: E402
from psgan.data import PreparedDataset  # noqa: E402
from psgan.trainer import Trainer, generator_weights_from_onnx  # noqa: E402
from train import apply_loss_weight  # noqa: E402


def weighted_terms(trainer, batch):
    """The generator's content losses on one batch, weighted as train.py weights them (Trainer's own code)."""
    m_src, m_w, weight = trainer.aligned_masks(batch)
    fake = trainer.G(batch["src"], batch["wref"])
    rec = trainer.G(fake, batch["src"])
    terms = trainer.weighted(trainer.content_losses(batch["src"], batch["wref"], fake, rec, m_src, m_w, weight))
    return {k: v for k, v in terms.items() if v.requires_grad}   # no perceptual term when it is switched off


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--onnx", required=True, help="exported generator (its preset must match --config)")
    p.add_argument("--data", required=True, help="prepared-data folder")
    p.add_argument("--config", default="cpu", choices=["full", "cpu", "smoke"])
    p.add_argument("--pairs", type=int, default=6)
    p.add_argument("--loss-weight", action="append", default=[], metavar="NAME=VALUE")
    args = p.parse_args(argv)

    torch.manual_seed(0)
    cfg = preset(args.config)
    for item in args.loss_weight:
        apply_loss_weight(cfg, item)
    trainer = Trainer(cfg, torch.device("cpu"))
    generator_weights_from_onnx(trainer.G, args.onnx)
    ds = PreparedDataset(args.data, augment=False, seed=0)
    params = list(trainer.G.parameters())
    seen = {}
    for i in range(0, len(ds), max(1, len(ds) // args.pairs))[:args.pairs]:
        batch = {k: v.unsqueeze(0) for k, v in ds[i].items()}
        terms = weighted_terms(trainer, batch)
        for n, (name, value) in enumerate(terms.items()):
            grads = torch.autograd.grad(value, params, retain_graph=n < len(terms) - 1, allow_unused=True)
            norm = float(torch.sqrt(sum((g ** 2).sum() for g in grads if g is not None)))
            seen.setdefault(name, []).append((float(value), norm))
    for name, values in seen.items():
        print("%-9s loss %.3f  gradient norm %.3f  (median of %d pairs)" % (
            name, statistics.median(v[0] for v in values), statistics.median(v[1] for v in values), len(values)))


if __name__ == "__main__":
    main()
