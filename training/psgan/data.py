"""Prepared-data loader.

Contract (written by the service's C# prepare command):

  <root>/index.json
    {"size": 256,
     "faces": [{"id", "kind": "makeup"|"non-makeup", "image", "labels",
                "landmarks": [[x, y] * 68]}],         # iBUG/300-W order, crop pixels
     "pairs": [{"source", "reference", "warped", "warpedLabels"}]}

  Kinds other than "makeup"/"non-makeup" (e.g. "helen", "pose": extra makeup-free
  sources) are accepted and count as the non-makeup domain.
  Paths are relative to <root>. Images: 8-bit PNG or JPEG, read with cv2.imread (BGR) and
  converted to RGB. Labels: single-channel uint8 CelebAMask-HQ label maps (a 3-channel
  file is accepted, first channel used). `warped` is the reference warped onto the
  source geometry, `warpedLabels` its labels. Files of another size are resized to
  `size` (landmarks scaled along).

Each item is one pair (one direction); the tensors are RGB in [-1, 1].
Augmentation (training only):
  * horizontal flip, independently for the source group (source + warped reference,
    which must stay aligned) and the reference; labels swap left/right (2<->3, 4<->5,
    7<->8) and landmarks are mirrored with the 68-point permutation;
  * small random similarity transform (scale, rotation, shift), same per group;
  * small colour jitter (brightness, contrast, saturation) on the reference
    (warped and original reference get the same jitter), and optionally
    (reference_white_balance > 0, off by default) a gain per RGB channel with it: the light
    of a reference photo, which the makeup set's portraits vary little;
  * optionally (source_jitter > 0, off by default) a colour jitter of the source photo
    alone: brightness, contrast, saturation and a per-channel gain (white balance), so
    that a few hundred faces stand for more lighting and cameras than they were shot
    under. The source is also the cycle and perceptual target, so input and targets
    stay one consistent (new) photo;
  * optionally (reference_recolour > 0, off by default) a hue and saturation change of the
    reference's lips and, independently, of its eye-shadow band, the same on the warped and
    the original reference: new makeup colours the training references never wore, so that
    the generator learns to read a reference's colour rather than recognise the reference.
Sampling: repeat_references (train.py --repeat-references PATTERN=K) lists pairs whose
reference id matches PATTERN K times, so those references are drawn K times as often.
"""
from __future__ import annotations

import json
import os
import random
import re
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from .config import LossConfig
from .regions import region_masks

KIND = {"non-makeup": 0, "makeup": 1}


def domain_of(kind: str) -> int:
    """1 for "makeup"; every other kind ("non-makeup", and extra makeup-free sources
    such as "helen" or "pose" that the prepare command may add) is the non-makeup
    domain (0) for the per-domain discriminators."""
    return 1 if kind == "makeup" else 0


def is_wild(kind: str) -> bool:
    """True for faces from outside the makeup set ("helen", "pose"): photos not taken for makeup transfer. A pair
    with such a reference is weighed by LossConfig.hist_lip_wild, hist_eye_wild and adv_wild."""
    return kind not in KIND


# 68-point mirror permutation (iBUG/300-W)
_FLIP68 = (
    list(range(16, -1, -1))                      # jaw 0..16
    + list(range(26, 21, -1)) + list(range(21, 16, -1))   # brows 17..26
    + [27, 28, 29, 30] + [35, 34, 33, 32, 31]    # nose
    + [45, 44, 43, 42, 47, 46] + [39, 38, 37, 36, 41, 40]  # eyes
    + [54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55]     # outer mouth
    + [64, 63, 62, 61, 60, 67, 66, 65]           # inner mouth
)
FLIP68 = np.array(_FLIP68, dtype=np.int64)

_LABEL_SWAP = np.arange(256, dtype=np.uint8)
for a, b in ((2, 3), (4, 5), (7, 8)):
    _LABEL_SWAP[a], _LABEL_SWAP[b] = b, a


def read_rgb(path: str, size: int, with_scale: bool = False):
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        raise FileNotFoundError(path)
    img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    scale = (1.0, 1.0)
    if img.shape[0] != size or img.shape[1] != size:
        scale = (size / img.shape[1], size / img.shape[0])
        img = cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA)
    return (img, scale) if with_scale else img


def read_labels(path: str, size: int) -> np.ndarray:
    lab = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if lab is None:
        raise FileNotFoundError(path)
    if lab.ndim == 3:
        lab = lab[..., 0]
    if lab.shape[0] != size or lab.shape[1] != size:
        lab = cv2.resize(lab, (size, size), interpolation=cv2.INTER_NEAREST)
    return lab.astype(np.uint8)


class Group:
    """Images + labels (+ landmarks) that share one geometry and are augmented together."""

    def __init__(self, imgs: List[np.ndarray], labs: List[np.ndarray], lmk: Optional[np.ndarray]):
        self.imgs, self.labs, self.lmk = imgs, labs, lmk

    def hflip(self):
        w = self.imgs[0].shape[1]
        self.imgs = [np.ascontiguousarray(i[:, ::-1]) for i in self.imgs]
        self.labs = [_LABEL_SWAP[np.ascontiguousarray(l[:, ::-1])] for l in self.labs]
        if self.lmk is not None:
            lm = self.lmk.copy()
            lm[:, 0] = (w - 1) - lm[:, 0]
            self.lmk = lm[FLIP68]

    def affine(self, rng: random.Random, max_scale: float, max_rot: float, max_shift: float):
        h, w = self.imgs[0].shape[:2]
        s = 1 + rng.uniform(-max_scale, max_scale)
        r = rng.uniform(-max_rot, max_rot)
        tx, ty = rng.uniform(-max_shift, max_shift) * w, rng.uniform(-max_shift, max_shift) * h
        M = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), r, s)
        M[:, 2] += (tx, ty)
        self.imgs = [cv2.warpAffine(i, M, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
                     for i in self.imgs]
        self.labs = [cv2.warpAffine(l, M, (w, h), flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT,
                                    borderValue=0) for l in self.labs]
        if self.lmk is not None:
            self.lmk = (self.lmk @ M[:, :2].T + M[:, 2]).astype(np.float32)


def colour_jitter(imgs: List[np.ndarray], rng: random.Random, amount: float,
                  channel_gain: float = 0.0) -> List[np.ndarray]:
    """One random brightness, contrast and saturation change (each a factor in 1 +- amount)
    and, with channel_gain > 0, one gain per RGB channel in 1 +- channel_gain, applied alike
    to every image of the list. With channel_gain 0 no random number is drawn for it, so the
    reference jitter draws the same sequence as before the option existed."""
    b = 1 + rng.uniform(-amount, amount)
    c = 1 + rng.uniform(-amount, amount)
    s = 1 + rng.uniform(-amount, amount)
    gain = (np.array([1 + rng.uniform(-channel_gain, channel_gain) for _ in range(3)], dtype=np.float32)
            if channel_gain > 0 else None)
    out = []
    for img in imgs:
        x = img.astype(np.float32) / 255.0
        x = x * b
        if gain is not None:
            x = x * gain
        mean = x.mean()
        x = (x - mean) * c + mean
        grey = x @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
        x = (x - grey[..., None]) * s + grey[..., None]
        out.append(np.clip(x * 255.0 + 0.5, 0, 255).astype(np.uint8))
    return out


# Share of references whose lips (and, drawn apart, whose eye bands) are recoloured, and the largest saturation
# change, 1 +- RECOLOUR_SATURATION. (Our choice: half keeps the training references' own colours in the mix.)
RECOLOUR_SHARE = 0.5
RECOLOUR_SATURATION = 0.2


def makeup_region_masks(lab: np.ndarray, band_radius: int) -> List[np.ndarray]:
    """[lips, eye-shadow band] of one label map as boolean masks, from the masks the losses use
    (regions.region_masks), so that what is recoloured is what the histogram loss matches."""
    masks = region_masks(torch.from_numpy(lab.astype(np.int64))[None], band_radius)
    return [masks[name][0, 0].numpy() > 0.5 for name in ("lip", "eye_band")]


def recolour_makeup(imgs: List[np.ndarray], labs: List[np.ndarray], rng: random.Random, max_hue: float,
                    band_radius: int) -> List[np.ndarray]:
    """For the lips and, independently, the eye-shadow band: with probability RECOLOUR_SHARE, turn the hue by one
    angle in +- max_hue degrees and scale the saturation by one factor in 1 +- RECOLOUR_SATURATION, alike on every
    image of the list (each through its own label map: the warped and the original reference). The change fades out
    over a Gaussian edge (sigma 1 pixel) onto the skin round the region. Six numbers are drawn whatever happens, so
    later draws do not depend on the outcome."""
    out = [img.copy() for img in imgs]
    masks = [makeup_region_masks(lab, band_radius) for lab in labs]
    for region in range(2):
        chosen = rng.random() < RECOLOUR_SHARE
        hue = rng.uniform(-max_hue, max_hue)
        saturation = 1 + rng.uniform(-RECOLOUR_SATURATION, RECOLOUR_SATURATION)
        if not chosen:
            continue
        for k, lab in enumerate(labs):
            mask = masks[k][region]
            if not mask.any():
                continue
            # the soft edge may spill onto skin, never onto eyes, brows, teeth or hair
            spill = mask | (lab == 1)
            weight = (cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 1.0) * spill)[..., None]
            x = out[k].astype(np.float32) / 255.0
            hsv = cv2.cvtColor(x, cv2.COLOR_RGB2HSV)      # float input: H in [0, 360), S and V in [0, 1]
            hsv[..., 0] = np.mod(hsv[..., 0] + hue, 360.0)
            hsv[..., 1] = np.clip(hsv[..., 1] * saturation, 0.0, 1.0)
            turned = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
            mixed = x * (1 - weight) + turned * weight
            out[k] = np.clip(mixed * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return out


def _to_tensor(img: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(img.astype(np.float32) / 127.5 - 1.0).permute(2, 0, 1).contiguous()


def repeat_pairs_by_reference(pairs: List[dict], repeats: Sequence[Tuple[str, int]]) -> List[dict]:
    """Each pair whose reference id matches a (pattern, K) entry as a whole appears K times (the largest K of the
    patterns it matches), so a shuffled epoch draws it K times as often: a way to weigh kinds of reference, e.g. the
    heavy and artistic looks (stage 39), without touching the losses. Order is kept; with no entry nothing changes."""
    compiled = []
    for pattern, k in repeats:
        if int(k) != k or k < 1:
            raise ValueError("repeat count for %r must be a whole number >= 1, not %r" % (pattern, k))
        try:
            compiled.append((re.compile(pattern), int(k)))
        except re.error as e:
            raise ValueError("repeat pattern %r: %s" % (pattern, e))
    out = []
    for p in pairs:
        k = max([k for rx, k in compiled if rx.fullmatch(p["reference"])], default=1)
        out.extend([p] * k)
    return out


class PreparedDataset(Dataset):
    def __init__(self, root: str, augment: bool = True, seed: int = 0,
                 flip_p: float = 0.5, max_scale: float = 0.05, max_rot: float = 5.0,
                 max_shift: float = 0.03, jitter: float = 0.05, source_jitter: float = 0.0,
                 repeat_references: Sequence[Tuple[str, int]] = (), reference_recolour: float = 0.0,
                 reference_white_balance: float = 0.0):
        self.root = root
        with open(os.path.join(root, "index.json"), "r", encoding="utf-8") as f:
            index = json.load(f)
        self.size = int(index.get("size", 256))
        self.faces: Dict[str, dict] = {f["id"]: f for f in index["faces"]}
        self.pairs = []
        for p in index["pairs"]:
            if p["source"] not in self.faces or p["reference"] not in self.faces:
                raise ValueError("pair refers to unknown face: %r" % (p,))
            self.pairs.append(p)
        if not self.pairs:
            raise ValueError("no pairs in %s" % root)
        self.pairs = repeat_pairs_by_reference(self.pairs, repeat_references)
        for f in self.faces.values():
            if not isinstance(f.get("kind"), str):
                raise ValueError("face %s: missing kind" % f["id"])
            if len(f.get("landmarks", [])) != 68:
                raise ValueError("face %s: expected 68 landmarks" % f["id"])
        self.augment = augment
        self.seed = seed
        self.flip_p, self.max_scale, self.max_rot = flip_p, max_scale, max_rot
        self.max_shift, self.jitter = max_shift, jitter
        if not 0 <= jitter < 1:
            raise ValueError("the reference jitter must be in [0, 1)")
        if not 0 <= reference_white_balance < 1:
            raise ValueError("reference_white_balance must be in [0, 1)")
        self.reference_white_balance = reference_white_balance
        if not 0 <= source_jitter < 1:
            raise ValueError("source_jitter must be in [0, 1)")
        self.source_jitter = source_jitter
        if not 0 <= reference_recolour <= 180:
            raise ValueError("reference_recolour (a largest hue shift in degrees) must be in [0, 180]")
        self.reference_recolour = reference_recolour
        self._epoch = 0

    def __len__(self):
        return len(self.pairs)

    def set_epoch(self, epoch: int):
        self._epoch = epoch

    def _path(self, rel: str) -> str:
        return os.path.join(self.root, rel)

    @staticmethod
    def _landmarks(face: dict, scale) -> np.ndarray:
        lm = np.asarray(face["landmarks"], dtype=np.float32).reshape(68, 2).copy()
        lm[:, 0] *= scale[0]
        lm[:, 1] *= scale[1]
        return lm

    def __getitem__(self, i: int):
        p = self.pairs[i]
        src_face, ref_face = self.faces[p["source"]], self.faces[p["reference"]]
        size = self.size
        src, src_scale = read_rgb(self._path(src_face["image"]), size, with_scale=True)
        src_lab = read_labels(self._path(src_face["labels"]), size)
        wref = read_rgb(self._path(p["warped"]), size)
        wref_lab = read_labels(self._path(p["warpedLabels"]), size)
        ref, ref_scale = read_rgb(self._path(ref_face["image"]), size, with_scale=True)
        ref_lab = read_labels(self._path(ref_face["labels"]), size)
        src_g = Group([src, wref], [src_lab, wref_lab], self._landmarks(src_face, src_scale))
        ref_g = Group([ref], [ref_lab], self._landmarks(ref_face, ref_scale))
        if self.augment:
            rng = random.Random((self.seed * 1000003 + self._epoch) * 1000003 + i)
            for g in (src_g, ref_g):
                if rng.random() < self.flip_p:
                    g.hflip()
                if self.max_scale or self.max_rot or self.max_shift:
                    g.affine(rng, self.max_scale, self.max_rot, self.max_shift)
            if self.jitter > 0 or self.reference_white_balance > 0:
                # without white balance no gain is drawn, so such a run sees the same augmentation as before it
                jittered = colour_jitter([src_g.imgs[1], ref_g.imgs[0]], rng, self.jitter,
                                         channel_gain=self.reference_white_balance)
                src_g.imgs[1], ref_g.imgs[0] = jittered
            if self.source_jitter > 0:
                # drawn after the reference's jitter: a run without it sees the same augmentation as before.
                # White balance gets a third of the range: a camera's channel gains differ less than its exposure.
                src_g.imgs[0] = colour_jitter([src_g.imgs[0]], rng, self.source_jitter,
                                              channel_gain=self.source_jitter / 3)[0]
            if self.reference_recolour > 0:
                # drawn last, for the same reason as the source jitter
                src_g.imgs[1], ref_g.imgs[0] = recolour_makeup(
                    [src_g.imgs[1], ref_g.imgs[0]], [src_g.labs[1], ref_g.labs[0]], rng, self.reference_recolour,
                    band_radius=LossConfig.eye_band_radius)
        return {
            "src": _to_tensor(src_g.imgs[0]),
            "src_lab": torch.from_numpy(src_g.labs[0].astype(np.int64)),
            "src_lmk": torch.from_numpy(src_g.lmk.astype(np.float32)),
            "wref": _to_tensor(src_g.imgs[1]),
            "wref_lab": torch.from_numpy(src_g.labs[1].astype(np.int64)),
            "ref": _to_tensor(ref_g.imgs[0]),
            "ref_lab": torch.from_numpy(ref_g.labs[0].astype(np.int64)),
            "ref_lmk": torch.from_numpy(ref_g.lmk.astype(np.float32)),
            "src_kind": torch.tensor(domain_of(src_face["kind"])),
            "ref_kind": torch.tensor(domain_of(ref_face["kind"])),
            "ref_wild": torch.tensor(is_wild(ref_face["kind"])),
        }
