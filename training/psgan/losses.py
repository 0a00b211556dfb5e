"""Losses: histogram-matching makeup loss, masked cycle / perceptual losses, LSGAN."""
from __future__ import annotations

from typing import List, Optional

import torch
import torch.nn.functional as F


# ----------------------------------------------------------------------------------
# Histogram matching (BeautyGAN Sec. 3.3; PSGAN Sec. 3.4)

def match_channels(src_vals: torch.Tensor, ref_vals: torch.Tensor) -> torch.Tensor:
    """Per-channel histogram matching of value sets. src_vals [C,Ns], ref_vals [C,Nr].

    Each source value is mapped through the source CDF (mid-rank, so equal 8-bit
    values map to the same target) and then through the inverse reference CDF (linear
    interpolation between sorted reference values): the continuous form of the
    256-bin CDF matching used by BeautyGAN/PSGAN.
    """
    ns = src_vals.shape[1]
    nr = ref_vals.shape[1]
    s_sorted, _ = torch.sort(src_vals, dim=1)
    r_sorted, _ = torch.sort(ref_vals, dim=1)
    lo = torch.searchsorted(s_sorted, src_vals, right=False)
    hi = torch.searchsorted(s_sorted, src_vals, right=True)
    q = (lo + hi).to(src_vals.dtype) * 0.5 / ns                      # in (0, 1]
    pos = torch.clamp(q * nr - 0.5, 0, nr - 1)
    i0 = pos.floor().long()
    i1 = torch.clamp(i0 + 1, max=nr - 1)
    t = pos - i0.to(pos.dtype)
    return torch.gather(r_sorted, 1, i0) * (1 - t) + torch.gather(r_sorted, 1, i1) * t


@torch.no_grad()
def histogram_target(src: torch.Tensor, ref: torch.Tensor, src_mask: torch.Tensor,
                     ref_mask: torch.Tensor, min_pixels: int = 16):
    """Target image for one region: the source region histogram-matched (per RGB
    channel) to the aligned reference's region. src/ref [N,3,H,W], masks [N,1,H,W].
    Returns (target [N,3,H,W], valid [N] bool). Samples where either region has fewer
    than `min_pixels` pixels are marked invalid (their loss is skipped)."""
    target = src.clone()
    valid = torch.zeros(src.shape[0], dtype=torch.bool, device=src.device)
    for i in range(src.shape[0]):
        ms = src_mask[i, 0] > 0.5
        mr = ref_mask[i, 0] > 0.5
        if int(ms.sum()) < min_pixels or int(mr.sum()) < min_pixels:
            continue
        sv = src[i][:, ms]
        rv = ref[i][:, mr]
        target[i][:, ms] = match_channels(sv, rv)
        valid[i] = True
    return target, valid


def histogram_loss(out: torch.Tensor, target: torch.Tensor, mask: torch.Tensor,
                   valid: torch.Tensor, scale: float, select: Optional[torch.Tensor] = None) -> torch.Tensor:
    """L1 between masked output and masked target, averaged over the whole image as the
    BeautyGAN/PSGAN implementations do, on `scale`-stretched values (127.5: 0..255).
    `select` ([N] bool) keeps only those samples' share of the batch mean (still divided by N),
    so the losses of complementary selections add up to the loss without one."""
    keep = valid if select is None else valid & select
    if not bool(keep.any()):
        return out.sum() * 0.0
    m = mask * (mask > 0.5).to(mask.dtype)
    diff = (out - target).abs() * m * scale
    return weighted_mean(diff, keep.to(out.dtype))


# ----------------------------------------------------------------------------------
# Cycle and perceptual losses weighted by the feature mask

def weighted_l1(a: torch.Tensor, b: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    return ((a - b).abs() * weight).mean()


def perceptual_loss(feats_out: List[torch.Tensor], feats_ref: List[torch.Tensor],
                    weight: torch.Tensor) -> torch.Tensor:
    """Weighted MSE per feature layer, each normalised by the mean squared activation
    of the (detached) reference features, so the loss is scale-free whatever network
    supplies the features. weight [N,1,H,W] is resized to each layer."""
    total = weight.new_zeros(())
    for fo, fr in zip(feats_out, feats_ref):
        fr = fr.detach()
        w = F.interpolate(weight, size=fo.shape[-2:], mode="bilinear", align_corners=False)
        energy = fr.pow(2).mean().clamp_min(1e-8)
        total = total + ((fo - fr).pow(2) * w).mean() / energy
    return total / max(1, len(feats_out))


# ----------------------------------------------------------------------------------
# LSGAN (Mao et al., ICCV 2017), as in the PSGAN implementation

def weighted_mean(x: torch.Tensor, weight: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Mean of x ([N, ...]) with each sample's mean times its weight ([N]). Samples are equal in size, so a weight of
    ones gives x.mean()."""
    if weight is None:
        return x.mean()
    return (x.flatten(1).mean(1) * weight).mean()


def gan_d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor,
               weight: Optional[torch.Tensor] = None) -> torch.Tensor:
    """LSGAN discriminator loss; `weight` ([N]) weighs the real and fake sample of each pair."""
    return 0.5 * (weighted_mean((real_logits - 1).pow(2), weight) + weighted_mean(fake_logits.pow(2), weight))


def gan_g_loss(fake_logits: torch.Tensor, weight: Optional[torch.Tensor] = None) -> torch.Tensor:
    return weighted_mean((fake_logits - 1).pow(2), weight)
