"""Generator: PSGAN encoder/decoder + makeup distillation network (MDNet), no AMM.

PSGAN (Jiang et al., CVPR 2020, Sec. 3.2): MDNet encodes the reference into visual
features V_y and two 1x1 convolutions turn V_y into the makeup matrices gamma, beta
(1 x H x W, broadcast over the channels). The attentive makeup morphing module is left
out: the reference given to this network is already warped onto the source geometry by
the service's pose correction, so gamma and beta line up with the source features
without attention. The source bottleneck features V_x are modulated as

    V_x' = V_x * (1 + gamma) + beta

(the "1 +" keeps the zero-initialised projection an identity at the start, like SFT's
"scale + 1"; Wang et al., CVPR 2018), then decoded.

Layer layout follows PSGAN/BeautyGAN (encoder-bottleneck-decoder in the style of
StarGAN): 7x7 conv stem, two 4x4 stride-2 convs, 3 residual blocks (encoder); 3
residual blocks, two 4x4 stride-2 transposed convs, 7x7 conv + tanh (decoder); instance
normalisation everywhere. Inputs and output are RGB in [-1, 1], 256x256.
"""
from __future__ import annotations

import torch.nn as nn

from .config import ModelConfig


def _norm(ch: int) -> nn.Module:
    # track_running_stats=False: same behaviour in train and eval / ONNX export.
    return nn.InstanceNorm2d(ch, affine=True, track_running_stats=False)


class ResidualBlock(nn.Module):
    def __init__(self, ch: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(ch, ch, 3, 1, 1, bias=False), _norm(ch), nn.ReLU(inplace=True),
            nn.Conv2d(ch, ch, 3, 1, 1, bias=False), _norm(ch),
        )

    def forward(self, x):
        return x + self.body(x)


def _encoder(cfg: ModelConfig) -> nn.Sequential:
    ch = cfg.g_ch
    layers = [nn.Conv2d(3, ch, 7, 1, 3, bias=False), _norm(ch), nn.ReLU(inplace=True)]
    for _ in range(cfg.g_down):
        layers += [nn.Conv2d(ch, ch * 2, 4, 2, 1, bias=False), _norm(ch * 2), nn.ReLU(inplace=True)]
        ch *= 2
    layers += [ResidualBlock(ch) for _ in range(cfg.g_res_enc)]
    return nn.Sequential(*layers)


class MDNet(nn.Module):
    """Makeup distillation network: encoder-bottleneck (no decoder) + 1x1 projections."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.features = _encoder(cfg)
        ch = cfg.g_ch * (2 ** cfg.g_down)
        self.to_gamma = nn.Conv2d(ch, cfg.makeup_ch, 1)
        self.to_beta = nn.Conv2d(ch, cfg.makeup_ch, 1)
        for conv in (self.to_gamma, self.to_beta):
            nn.init.zeros_(conv.weight)
            nn.init.zeros_(conv.bias)

    def forward(self, reference):
        v = self.features(reference)
        return self.to_gamma(v), self.to_beta(v)


class Generator(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = _encoder(cfg)
        self.mdnet = MDNet(cfg)
        ch = cfg.g_ch * (2 ** cfg.g_down)
        dec = [ResidualBlock(ch) for _ in range(cfg.g_res_dec)]
        for _ in range(cfg.g_down):
            dec += [nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False), _norm(ch // 2), nn.ReLU(inplace=True)]
            ch //= 2
        dec += [nn.Conv2d(ch, 3, 7, 1, 3, bias=False), nn.Tanh()]
        self.decoder = nn.Sequential(*dec)

    def makeup_matrices(self, reference):
        return self.mdnet(reference)

    def apply(self, source, gamma, beta):
        v = self.encoder(source)
        # explicit expand: identical maths, and the exported Add then has equal shapes
        # (OpenCV's DNN importer cannot broadcast a 1-channel Add over C channels)
        return self.decoder(v * (1.0 + gamma.expand_as(v)) + beta.expand_as(v))

    def forward(self, source, reference):
        """source: makeup-free (or any) face; reference: reference face warped onto the
        source geometry. Both [N, 3, 256, 256] RGB in [-1, 1]."""
        gamma, beta = self.mdnet(reference)
        return self.apply(source, gamma, beta)


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
