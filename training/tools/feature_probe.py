#!/usr/bin/env python3
"""Measure candidate perceptual feature extractors on a prepared-data folder.

The perceptual term must keep the source's structure and identity while the makeup
changes colours inside the features. For each pair (source x, warped reference y_w):

  makeup   x' = x with lips, eye-shadow band and skin histogram-matched to y_w
              (the makeup loss's own target: a stand-in for a good transfer result)
  other    y_w itself: another person on the same geometry (identity change)
  shift    x translated by 3 px and scaled by 3 % (structure change)
  blur     x blurred with a Gaussian of sigma 1.5 px (lost detail)

and reports the feature distance (the training loss's normalised MSE, unweighted)
for each. Good features give a small `makeup` distance relative to the others: the
ratios makeup/other, makeup/shift and makeup/blur (lower is better). Pixel L1 is the
baseline. Also times a forward+backward pass at batch 1.

  python3 training/tools/feature_probe.py --data PREPARED [--pairs 40]
"""
from __future__ import annotations

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from psgan import losses as L  # noqa: E402
from psgan import regions as R  # noqa: E402
from psgan.data import PreparedDataset  # noqa: E402
from psgan.features import DEFAULT_FACEMESH, OnnxFeatures, RandomVGG  # noqa: E402


def shifted(x):
    n, _, h, w = x.shape
    theta = torch.tensor([[1.03, 0, 6.0 / w], [0, 1.03, 6.0 / h]], dtype=x.dtype).expand(n, 2, 3)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, padding_mode="border", align_corners=False)


def dist(net, a, b):
    if net is None:
        return float((a - b).abs().mean())
    fa, fb = net(a), net(b)
    one = torch.ones_like(a[:, :1])
    return float(L.perceptual_loss(fb, fa, one))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--pairs", type=int, default=40)
    ap.add_argument("--facemesh", default=DEFAULT_FACEMESH)
    args = ap.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    ds = PreparedDataset(args.data, augment=False)
    cands = {"pixel-L1": None, "random-vgg": RandomVGG()}
    if os.path.exists(args.facemesh):
        cands["facemesh s4,8,16"] = OnnxFeatures(args.facemesh)
        cands["facemesh s8,16"] = OnnxFeatures(args.facemesh, strides=(8, 16))
    for n in cands.values():
        if n is not None:
            n.eval()
    sums = {k: {"makeup": [], "other": [], "shift": [], "blur": []} for k in cands}
    idx = list(range(len(ds)))[: args.pairs]
    with torch.no_grad():
        for i in idx:
            b = ds[i]
            x, yw = b["src"][None], b["wref"][None]
            ms = R.region_masks(b["src_lab"][None], 12)
            mw = R.region_masks(b["wref_lab"][None], 12)
            xm = x.clone()
            for reg in ("skin", "lip", "eye_band"):
                t, v = L.histogram_target(x, yw, ms[reg], mw[reg])
                if bool(v[0]):
                    m = ms[reg] > 0.5
                    xm = torch.where(m, t, xm)
            variants = {"makeup": xm, "other": yw, "shift": shifted(x), "blur": R.gaussian_blur(x, 1.5)}
            for k, net in cands.items():
                for vname, v in variants.items():
                    sums[k][vname].append(dist(net, x, v))
    print("pairs: %d   (distances: mean; ratios: lower = more makeup-tolerant)" % len(idx))
    print("%-18s %9s %9s %9s %9s | %12s %12s %12s | %10s" % (
        "features", "makeup", "other", "shift", "blur", "mk/other", "mk/shift", "mk/blur", "fwd+bwd s"))
    x = torch.randn(1, 3, 256, 256, requires_grad=True)
    for k, net in cands.items():
        m = {v: float(np.mean(s)) for v, s in sums[k].items()}
        if net is not None:
            for p in range(2):
                t0 = time.process_time()
                sum(f.mean() for f in net(x)).backward()
                cost = time.process_time() - t0
        else:
            cost = 0.0
        print("%-18s %9.4f %9.4f %9.4f %9.4f | %12.3f %12.3f %12.3f | %10.3f" % (
            k, m["makeup"], m["other"], m["shift"], m["blur"], m["makeup"] / m["other"],
            m["makeup"] / m["shift"], m["makeup"] / m["blur"], cost))


if __name__ == "__main__":
    main()
