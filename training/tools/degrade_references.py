"""Writes a copy of a folder of reference photos under one photographic change, to ask what in an in-the-wild
reference the generator fails on (training/STAGES.md, after stage 42).

    /usr/bin/python3 training/tools/degrade_references.py --kind dark --out /tmp/refs-dark
    makeupapi-cli compare-engines ... --references /tmp/refs-dark --csv dark.csv

Each photo keeps its file name, so a compare-engines run on the copy scores the same pairs as one on the original
folder and training/tools/paired_scores.py can pair them. Write the copy outside the repository: the shared photos
are never copied into it. The changes, each one-sided and fixed (no randomness but the noise's fixed seed):
  blur   Gaussian blur, sigma 1.5 pixels (focus);
  noise  Gaussian noise, sigma 6 levels (sensor noise);
  warm   white balance: red x1.12, blue x0.85 (indoor light);
  dark   exposure: 0.8 x^1.4 of the 0..1 level (an underexposed photo).
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Callable, Dict

import cv2
import numpy as np

DEFAULT_REFERENCES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data", "makeup", "images",
                                  "makeup")


def _blur(bgr: np.ndarray) -> np.ndarray:
    return cv2.GaussianBlur(bgr, (0, 0), 1.5)


def _noise(bgr: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.clip(bgr.astype(np.float32) + rng.normal(0, 6, bgr.shape), 0, 255).astype(np.uint8)


def _warm(bgr: np.ndarray) -> np.ndarray:
    return np.clip(bgr.astype(np.float32) * np.array([0.85, 1.0, 1.12], np.float32), 0, 255).astype(np.uint8)


def _dark(bgr: np.ndarray) -> np.ndarray:
    return np.clip(255 * 0.8 * (bgr.astype(np.float32) / 255) ** 1.4, 0, 255).astype(np.uint8)


CHANGES: Dict[str, Callable[[np.ndarray], np.ndarray]] = {"blur": _blur, "noise": _noise, "warm": _warm,
                                                           "dark": _dark}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--kind", required=True, choices=sorted(CHANGES))
    p.add_argument("--out", required=True, help="folder to write (outside the repository)")
    p.add_argument("--references", default=DEFAULT_REFERENCES, help="folder of reference photos (default: the "
                   "shared makeup set's)")
    args = p.parse_args(argv)
    names = sorted(n for n in os.listdir(args.references) if n.lower().endswith((".png", ".jpg", ".jpeg")))
    if not names:
        raise SystemExit("no photos in %s" % args.references)
    os.makedirs(args.out, exist_ok=True)
    change = CHANGES[args.kind]
    for name in names:
        bgr = cv2.imread(os.path.join(args.references, name), cv2.IMREAD_COLOR)
        if bgr is None:
            raise SystemExit("cannot read %s" % name)
        if not cv2.imwrite(os.path.join(args.out, name), change(bgr)):
            raise SystemExit("cannot write %s" % os.path.join(args.out, name))
    print("wrote %d photos (%s) to %s" % (len(names), args.kind, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
