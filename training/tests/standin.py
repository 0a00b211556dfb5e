"""Stand-in for the service's prepare command, for tests only.

Fills a prepared-data folder (training/psgan/data.py contract) from the shared photos
(`shared/data/makeup/images/<kind>/<name>.png` + `parsing/<kind>/<name>.png`) by plain
resizing to 256, crude 68 landmarks derived from the label map, and a similarity warp of
the reference onto the source (the real pipeline uses a landmark triangulation). Good
enough to exercise the training code; not a substitute for the real data.
"""
from __future__ import annotations

import json
import os
import random
from typing import List, Optional, Tuple

import cv2
import numpy as np

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED_DATA = os.path.join(os.path.dirname(REPO_ROOT), "shared", "data")


def _bbox(mask: np.ndarray) -> Optional[Tuple[float, float, float, float]]:
    ys, xs = np.nonzero(mask)
    if len(xs) < 4:
        return None
    return float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())


def _split(mask: np.ndarray, cx: float):
    left = mask.copy()
    left[:, int(cx):] = 0
    right = mask.copy()
    right[:, :int(cx)] = 0
    return left, right


def _col_mean_y(mask: np.ndarray, x: float, default: float) -> float:
    col = np.nonzero(mask[:, int(np.clip(round(x), 0, mask.shape[1] - 1))])[0]
    return float(col.mean()) if len(col) else default


def crude_landmarks(lab: np.ndarray) -> np.ndarray:
    """68 iBUG-ordered points guessed from a CelebAMask-HQ label map."""
    h, w = lab.shape
    face = np.isin(lab, (1, 2, 3, 4, 5, 10, 11, 12, 13))
    fb = _bbox(face) or (w * 0.2, h * 0.2, w * 0.8, h * 0.9)
    fx0, fy0, fx1, fy1 = fb
    fw, fh = fx1 - fx0, fy1 - fy0
    cx = (fx0 + fx1) / 2
    pts = np.zeros((68, 2), np.float32)

    def part_box(mask, default):
        b = _bbox(mask)
        return b if b is not None else default

    brow_l, brow_r = _split(np.isin(lab, (2, 3)), cx)
    eye_l, eye_r = _split(np.isin(lab, (4, 5)), cx)
    bl = part_box(brow_l, (fx0 + 0.12 * fw, fy0 + 0.25 * fh, cx - 0.08 * fw, fy0 + 0.3 * fh))
    br = part_box(brow_r, (cx + 0.08 * fw, fy0 + 0.25 * fh, fx1 - 0.12 * fw, fy0 + 0.3 * fh))
    el = part_box(eye_l, (fx0 + 0.18 * fw, fy0 + 0.36 * fh, cx - 0.1 * fw, fy0 + 0.42 * fh))
    er = part_box(eye_r, (cx + 0.1 * fw, fy0 + 0.36 * fh, fx1 - 0.18 * fw, fy0 + 0.42 * fh))
    for start, (x0, y0, x1, y1), m in ((17, bl, brow_l), (22, br, brow_r)):
        for i in range(5):
            x = x0 + (x1 - x0) * i / 4
            pts[start + i] = (x, _col_mean_y(m, x, (y0 + y1) / 2))
    for start, (x0, y0, x1, y1) in ((36, el), (42, er)):
        ey = (y0 + y1) / 2
        pts[start:start + 6] = [(x0, ey), (x0 + (x1 - x0) / 3, y0), (x0 + 2 * (x1 - x0) / 3, y0),
                                (x1, ey), (x0 + 2 * (x1 - x0) / 3, y1), (x0 + (x1 - x0) / 3, y1)]
    nb = part_box(lab == 10, (cx - 0.1 * fw, fy0 + 0.4 * fh, cx + 0.1 * fw, fy0 + 0.65 * fh))
    ncx = (nb[0] + nb[2]) / 2
    for i in range(4):
        pts[27 + i] = (ncx, nb[1] + (nb[3] - nb[1]) * i / 3)
    for i in range(5):
        pts[31 + i] = (nb[0] + (nb[2] - nb[0]) * (0.15 + 0.7 * i / 4), nb[3])
    mb = part_box(np.isin(lab, (11, 12, 13)), (cx - 0.18 * fw, fy0 + 0.7 * fh, cx + 0.18 * fw, fy0 + 0.82 * fh))
    mcx, mcy = (mb[0] + mb[2]) / 2, (mb[1] + mb[3]) / 2
    rx, ry = (mb[2] - mb[0]) / 2, (mb[3] - mb[1]) / 2
    outer = [np.pi - np.pi * i / 6 for i in range(7)] + [-np.pi * i / 6 for i in range(1, 6)]
    for i, a in enumerate(outer):              # 48 left corner, over the top, 54, back along the bottom
        pts[48 + i] = (mcx + rx * np.cos(a), mcy - ry * np.sin(a))
    inner = [np.pi - np.pi * i / 4 for i in range(5)] + [-np.pi * i / 4 for i in range(1, 4)]
    for i, a in enumerate(inner):
        pts[60 + i] = (mcx + 0.8 * rx * np.cos(a), mcy - 0.3 * ry * np.sin(a))
    eye_y = (el[1] + el[3] + er[1] + er[3]) / 4
    jrx, jry = fw / 2, max(8.0, fy1 - eye_y)
    for i in range(17):                        # from the left temple round the chin to the right
        a = np.pi - np.pi * i / 16
        pts[i] = (cx + jrx * np.cos(a), eye_y + jry * np.sin(np.pi * i / 16))
    return pts


def _load_face(shared: str, kind: str, name: str, size: int):
    img = cv2.imread(os.path.join(shared, "makeup", "images", kind, name + ".png"), cv2.IMREAD_COLOR)
    lab = cv2.imread(os.path.join(shared, "makeup", "parsing", kind, name + ".png"), cv2.IMREAD_UNCHANGED)
    if img is None or lab is None:
        return None
    if lab.ndim == 3:
        lab = lab[..., 0]
    img = cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA)
    lab = cv2.resize(lab, (size, size), interpolation=cv2.INTER_NEAREST)
    return img, lab


def available_faces(shared: str = SHARED_DATA) -> List[Tuple[str, str]]:
    out = []
    for kind in ("makeup", "non-makeup"):
        pdir = os.path.join(shared, "makeup", "parsing", kind)
        idir = os.path.join(shared, "makeup", "images", kind)
        if not os.path.isdir(pdir):
            continue
        for fn in sorted(os.listdir(pdir)):
            name = os.path.splitext(fn)[0]
            if os.path.exists(os.path.join(idir, name + ".png")):
                out.append((kind, name))
    return out


def build(out_root: str, n_makeup: int = 2, n_nonmakeup: int = 2, refs_per_source: int = 1,
          size: int = 256, seed: int = 0, shared: str = SHARED_DATA) -> str:
    if not os.path.isdir(os.path.join(shared, "makeup")):
        raise FileNotFoundError(
            "shared photos not found at %s (expected ../shared/data relative to the repository "
            "root); set MAKEUPAPI_PREPARED_DATA to a prepared-data folder instead" % shared)
    faces = available_faces(shared)
    rng = random.Random(seed)
    mk = [f for f in faces if f[0] == "makeup"]
    nm = [f for f in faces if f[0] == "non-makeup"]
    rng.shuffle(mk)
    rng.shuffle(nm)
    chosen = mk[:n_makeup] + nm[:n_nonmakeup]
    os.makedirs(os.path.join(out_root, "faces"), exist_ok=True)
    os.makedirs(os.path.join(out_root, "pairs"), exist_ok=True)
    data = {}
    index = {"size": size, "faces": [], "pairs": []}
    for kind, name in chosen:
        loaded = _load_face(shared, kind, name, size)
        if loaded is None:
            continue
        img, lab = loaded
        fid = ("mk_" if kind == "makeup" else "nm_") + name
        lmk = crude_landmarks(lab)
        cv2.imwrite(os.path.join(out_root, "faces", fid + ".png"), img)
        cv2.imwrite(os.path.join(out_root, "faces", fid + ".labels.png"), lab)
        data[fid] = (img, lab, lmk, kind)
        index["faces"].append({"id": fid, "kind": kind, "image": "faces/%s.png" % fid,
                               "labels": "faces/%s.labels.png" % fid,
                               "landmarks": [[round(float(x), 2), round(float(y), 2)] for x, y in lmk]})
    ids_mk = [k for k, v in data.items() if v[3] == "makeup"]
    ids_nm = [k for k, v in data.items() if v[3] == "non-makeup"]
    pairs = set()
    for i, s in enumerate(ids_nm):
        for j in range(refs_per_source):
            r = ids_mk[(i + j) % len(ids_mk)]
            pairs.add((s, r))
            pairs.add((r, s))              # both directions
    anchor = list(range(17, 27)) + list(range(36, 48)) + list(range(48, 60))
    for s, r in sorted(pairs):
        simg, slab, slmk, _ = data[s]
        rimg, rlab, rlmk, _ = data[r]
        M, _ = cv2.estimateAffinePartial2D(rlmk[anchor], slmk[anchor], method=cv2.LMEDS)
        if M is None:
            M = np.array([[1, 0, 0], [0, 1, 0]], np.float64)
        wimg = cv2.warpAffine(rimg, M, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        wlab = cv2.warpAffine(rlab, M, (size, size), flags=cv2.INTER_NEAREST, borderValue=0)
        stem = "%s__%s" % (s, r)
        cv2.imwrite(os.path.join(out_root, "pairs", stem + ".png"), wimg)
        cv2.imwrite(os.path.join(out_root, "pairs", stem + ".labels.png"), wlab)
        index["pairs"].append({"source": s, "reference": r, "warped": "pairs/%s.png" % stem,
                               "warpedLabels": "pairs/%s.labels.png" % stem})
    with open(os.path.join(out_root, "index.json"), "w") as f:
        json.dump(index, f)
    return out_root

