"""Face regions from CelebAMask-HQ label maps and 68-point landmarks.

Label values (CelebAMask-HQ / BiSeNet face parsing): 0 background, 1 skin, 2/3 brows,
4/5 eyes, 6 glasses, 7/8 ears, 9 earring, 10 nose, 11 mouth inside, 12 upper lip,
13 lower lip, 14 neck, 17 hair. Left/right are not used consistently by the parsers, so
2+3 and 4+5 are always taken together.

Landmarks: 68 points, iBUG/300-W order, in crop pixels (x, y).
"""
from __future__ import annotations

from typing import Dict, Tuple

import torch
import torch.nn.functional as F

BROW = (2, 3)
EYE = (4, 5)
LIP = (12, 13)
SKIN = (1, 10)          # face skin and nose: BeautyGAN's "face" region

# landmark index ranges (image-left part first: iBUG 17-21 / 36-41 are on the image left)
LMK_BROW_L = list(range(17, 22))
LMK_BROW_R = list(range(22, 27))
LMK_EYE_L = list(range(36, 42))
LMK_EYE_R = list(range(42, 48))
LMK_LIP = list(range(48, 60))


def label_mask(labels: torch.Tensor, values) -> torch.Tensor:
    """labels [N,H,W] int -> float mask [N,1,H,W]."""
    m = torch.zeros_like(labels, dtype=torch.bool)
    for v in values:
        m |= labels == v
    return m.unsqueeze(1).float()


def dilate(mask: torch.Tensor, radius: int) -> torch.Tensor:
    if radius <= 0:
        return mask
    k = 2 * radius + 1
    return F.max_pool2d(mask, k, stride=1, padding=radius)


def region_masks(labels: torch.Tensor, eye_band_radius: int) -> Dict[str, torch.Tensor]:
    """Masks [N,1,H,W] for the makeup regions.

    eye_band: eye-shadow band, the eyes grown by `eye_band_radius` and intersected with
    skin (so eyes, brows and hair are excluded), as BeautyGAN/PSGAN build it from the
    eye boxes and the face mask.
    """
    brow = label_mask(labels, BROW)
    eye = label_mask(labels, EYE)
    lip = label_mask(labels, LIP)
    skin = label_mask(labels, SKIN)
    skin_only = label_mask(labels, (1,))
    band = dilate(eye, eye_band_radius) * skin_only
    return {"brow": brow, "eye": eye, "lip": lip, "skin": skin, "eye_band": band,
            "eye_region": torch.clamp(eye + band, 0, 1)}


def gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    if sigma <= 0:
        return x
    radius = max(1, int(round(3 * sigma)))
    t = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    k = k / k.sum()
    c = x.shape[1]
    kx = k.view(1, 1, 1, -1).repeat(c, 1, 1, 1)
    ky = k.view(1, 1, -1, 1).repeat(c, 1, 1, 1)
    x = F.conv2d(F.pad(x, (radius, radius, 0, 0), mode="replicate"), kx, groups=c)
    x = F.conv2d(F.pad(x, (0, 0, radius, radius), mode="replicate"), ky, groups=c)
    return x


def feature_weight(masks: Dict[str, torch.Tensor], floor: float, sigma: float) -> torch.Tensor:
    """Inverted, blurred feature mask rescaled to [a, 1]: 1 away from the makeup
    features, down to `floor` (a > 0) inside them, so the cycle and perceptual losses
    do not fight the makeup loss there."""
    feat = torch.clamp(masks["lip"] + masks["eye_region"] + masks["brow"], 0, 1)
    feat = torch.clamp(gaussian_blur(feat, sigma), 0, 1)
    return 1.0 - (1.0 - floor) * feat


# ----------------------------------------------------------------------------------
# Landmark boxes and differentiable crops (for the region discriminators)

def landmark_boxes(lmk: torch.Tensor, idx, crop_hw: Tuple[int, int], margin: float,
                   min_size: float = 8.0) -> torch.Tensor:
    """Box [N,4] = (cx, cy, w, h) in pixels around landmarks `idx`, grown by `margin`
    (fraction of each side) and widened to the crop's aspect ratio."""
    pts = lmk[:, idx, :]
    lo = pts.min(dim=1).values
    hi = pts.max(dim=1).values
    c = (lo + hi) / 2
    wh = (hi - lo) * (1 + 2 * margin)
    w = torch.clamp(wh[:, 0], min=min_size)
    h = torch.clamp(wh[:, 1], min=min_size)
    ratio = crop_hw[0] / float(crop_hw[1])
    w = torch.maximum(w, h / ratio)
    h = w * ratio
    return torch.stack([c[:, 0], c[:, 1], w, h], dim=1)


def crop(img: torch.Tensor, boxes: torch.Tensor, out_hw: Tuple[int, int]) -> torch.Tensor:
    """Bilinear crop of boxes [N,4] (cx, cy, w, h in pixels) resized to out_hw;
    differentiable w.r.t. img (affine_grid + grid_sample, torch 1.13 and 2.x)."""
    n, _, H, W = img.shape
    cx, cy, w, h = boxes.unbind(1)
    theta = torch.zeros(n, 2, 3, dtype=img.dtype, device=img.device)
    # align_corners=False: pixel-edge coordinates map to [-1, 1] as 2 * x / W - 1
    theta[:, 0, 0] = w / W
    theta[:, 0, 2] = 2 * cx / W - 1
    theta[:, 1, 1] = h / H
    theta[:, 1, 2] = 2 * cy / H - 1
    grid = F.affine_grid(theta, [n, img.shape[1], out_hw[0], out_hw[1]], align_corners=False)
    return F.grid_sample(img, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def mask_channels(m: torch.Tensor) -> torch.Tensor:
    """4 condition channels for a part mask [N,1,h,w] (w even): the mask, its
    left-right flip, its left mirror image (left half + its reflection) and its right
    mirror image (reflected right half + right half)."""
    w = m.shape[-1]
    half = w // 2
    left = m[..., :half]
    right = m[..., w - half:]
    flip = torch.flip(m, dims=[-1])
    left_mirror = torch.cat([left, torch.flip(left, dims=[-1])], dim=-1)
    right_mirror = torch.cat([torch.flip(right, dims=[-1]), right], dim=-1)
    return torch.cat([m, flip, left_mirror, right_mirror], dim=1)


PART_SPECS = {
    # part: (landmark groups, mask key, margin)
    "brow": ((LMK_BROW_L, LMK_BROW_R), "brow", 0.25),
    "eye": ((LMK_EYE_L, LMK_EYE_R), "eye_region", 0.45),
    "lip": ((LMK_LIP,), "lip", 0.2),
}


def part_crops(img: torch.Tensor, masks: Dict[str, torch.Tensor], lmk: torch.Tensor,
               part: str, crop_hw: Tuple[int, int]):
    """Masked image crops and condition channels for one part.

    brow/eye: left and right crops concatenated -> 6 image / 8 condition channels.
    lip: one crop -> 3 image / 4 condition channels.
    """
    groups, mask_key, margin = PART_SPECS[part]
    imgs, conds = [], []
    for idx in groups:
        boxes = landmark_boxes(lmk, idx, crop_hw, margin)
        m = crop(masks[mask_key], boxes, crop_hw)
        x = crop(img, boxes, crop_hw)
        imgs.append(x * m)
        conds.append(mask_channels(m))
    return torch.cat(imgs, dim=1), torch.cat(conds, dim=1)
