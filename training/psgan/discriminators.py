"""Discriminators: SFT region discriminators (D-Eyebrow, D-Eye, D-Lip) and PatchGANs.

SFT (Wang et al., CVPR 2018): a shared condition network turns the segmentation
condition into feature maps; every SFT layer predicts a per-pixel scale and shift from
them and modulates the trunk features as  x * (scale + 1) + shift.  The trunk here is
SFT-GAN's residual trunk (conv, residual blocks with two SFT layers each, a final SFT
layer and conv) with 8 residual blocks and nothing after it (SFT-GAN's up-sampling
layers are dropped); two stride-2 convs in front of it and a 1-channel conv at the end
make it a patch discriminator. Spectral normalisation on every conv (Miyato et al.
2018), as PSGAN's discriminators; LeakyReLU 0.2 in the trunk stem, 0.1 in the SFT
branches (SFT-GAN's values).
"""
from __future__ import annotations

from typing import Dict, Tuple

import torch.nn as nn

from .config import ModelConfig
from .device import spectral_norm as SN
from . import regions


class SFTLayer(nn.Module):
    def __init__(self, ch: int, cond_ch: int):
        super().__init__()
        self.scale = nn.Sequential(SN(nn.Conv2d(cond_ch, cond_ch, 1)), nn.LeakyReLU(0.1, inplace=True),
                                   SN(nn.Conv2d(cond_ch, ch, 1)))
        self.shift = nn.Sequential(SN(nn.Conv2d(cond_ch, cond_ch, 1)), nn.LeakyReLU(0.1, inplace=True),
                                   SN(nn.Conv2d(cond_ch, ch, 1)))

    def forward(self, x, cond):
        return x * (self.scale(cond) + 1) + self.shift(cond)


class SFTResBlock(nn.Module):
    def __init__(self, ch: int, cond_ch: int):
        super().__init__()
        self.sft0 = SFTLayer(ch, cond_ch)
        self.conv0 = SN(nn.Conv2d(ch, ch, 3, 1, 1))
        self.sft1 = SFTLayer(ch, cond_ch)
        self.conv1 = SN(nn.Conv2d(ch, ch, 3, 1, 1))
        self.act = nn.LeakyReLU(0.2, inplace=True)

    def forward(self, x, cond):
        y = self.act(self.conv0(self.sft0(x, cond)))
        y = self.conv1(self.sft1(y, cond))
        return x + y


class SFTDiscriminator(nn.Module):
    """Patch discriminator on a masked region crop, conditioned on the region masks."""

    def __init__(self, in_ch: int, cond_in: int, ch: int = 64, blocks: int = 8, cond_ch: int = 32):
        super().__init__()
        self.stem = nn.Sequential(
            SN(nn.Conv2d(in_ch, ch, 4, 2, 1)), nn.LeakyReLU(0.2, inplace=True),
            SN(nn.Conv2d(ch, ch, 4, 2, 1)), nn.LeakyReLU(0.2, inplace=True),
        )
        # condition network, same resolution as the trunk (two stride-2 convs)
        self.cond = nn.Sequential(
            SN(nn.Conv2d(cond_in, 64, 4, 2, 1)), nn.LeakyReLU(0.1, inplace=True),
            SN(nn.Conv2d(64, 64, 4, 2, 1)), nn.LeakyReLU(0.1, inplace=True),
            SN(nn.Conv2d(64, cond_ch, 1)),
        )
        self.blocks = nn.ModuleList([SFTResBlock(ch, cond_ch) for _ in range(blocks)])
        self.sft_out = SFTLayer(ch, cond_ch)
        self.conv_out = SN(nn.Conv2d(ch, ch, 3, 1, 1))
        self.head = SN(nn.Conv2d(ch, 1, 3, 1, 1))

    def forward(self, x, cond):
        c = self.cond(cond)
        f = self.stem(x)
        y = f
        for b in self.blocks:
            y = b(y, c)
        y = f + self.conv_out(self.sft_out(y, c))
        return self.head(nn.functional.leaky_relu(y, 0.2))


class PatchDiscriminator(nn.Module):
    """Global PatchGAN (Isola et al. 2017 style, as PSGAN's D), spectral-normalised."""

    def __init__(self, ch: int = 64, layers: int = 3):
        super().__init__()
        seq = [SN(nn.Conv2d(3, ch, 4, 2, 1)), nn.LeakyReLU(0.2, inplace=True)]
        c = ch
        for _ in range(layers - 1):
            seq += [SN(nn.Conv2d(c, c * 2, 4, 2, 1)), nn.LeakyReLU(0.2, inplace=True)]
            c *= 2
        seq += [SN(nn.Conv2d(c, c * 2, 4, 1, 1)), nn.LeakyReLU(0.2, inplace=True),
                SN(nn.Conv2d(c * 2, 1, 4, 1, 1))]
        self.net = nn.Sequential(*seq)

    def forward(self, x):
        return self.net(x)


PARTS = ("brow", "eye", "lip")


class MakeupGan(nn.Module):
    """The three region discriminators. Their GAN losses add up to the makeup GAN loss."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.crop_hw: Dict[str, Tuple[int, int]] = {
            "brow": tuple(cfg.brow_crop), "eye": tuple(cfg.eye_crop), "lip": tuple(cfg.lip_crop)}
        kw = dict(ch=cfg.rd_ch, blocks=cfg.rd_blocks, cond_ch=cfg.rd_cond_ch)
        self.d = nn.ModuleDict({
            "brow": SFTDiscriminator(6, 8, **kw),   # D-Eyebrow: left + right brow
            "eye": SFTDiscriminator(6, 8, **kw),    # D-Eye: left + right eye (+ shadow band)
            "lip": SFTDiscriminator(3, 4, **kw),    # D-Lip
        })

    def crops(self, img, masks, lmk):
        return {p: regions.part_crops(img, masks, lmk, p, self.crop_hw[p]) for p in PARTS}

    def forward(self, crops):
        return {p: self.d[p](*crops[p]) for p in PARTS}
