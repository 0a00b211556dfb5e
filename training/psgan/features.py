"""Perceptual feature extractors (frozen), for the perceptual loss.

BeautyGAN/PSGAN use ImageNet VGG-16 relu4_1; no pretrained VGG can be downloaded in
this project, so the options are:

  facemesh  the project's converted MediaPipe face-mesh network (onnx-models/facemesh.onnx,
            NHWC [1,192,192,3], RGB in [0,1]), imported into PyTorch from its ONNX
            initializers (onnx_import.py). Trained on faces to regress 3-D mesh geometry
            under heavy colour augmentation, its mid-level features describe facial
            structure and are comparatively insensitive to colour - what the perceptual
            term must keep (identity/structure) while the makeup changes colour.
  onnx:PATH any other ONNX conv net, same treatment.
  random-vgg  a VGG-style conv net with fixed random weights (seeded). Random conv
            features still preserve spatial structure (He, Wang & Hopcroft, "A Powerful
            Generative Model Using Random Weights for the Deep Image Representation",
            NeurIPS 2016); the fallback when no trained network is available.
  none      no perceptual loss.

`auto` picks facemesh if the file is there and imports, else random-vgg.
training/tools/feature_probe.py measures the options on the shared photos.
"""
from __future__ import annotations

import hashlib
import os
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from .onnx_import import OnnxGraph

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_FACEMESH = os.path.join(REPO_ROOT, "onnx-models", "facemesh.onnx")


def _file_sha(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


class OnnxFeatures(nn.Module):
    """Features from intermediate layers of an ONNX conv net.

    Input: [N,3,H,W] RGB in [-1,1]; resized to the network's input size, mapped to
    `input_range`, laid out NHWC or NCHW as the graph's input says. Taps: by default the
    deepest tensor at each of the strides in `strides` (relative to the input size).
    """

    def __init__(self, path: str, input_range: Tuple[float, float] = (0.0, 1.0),
                 strides: Sequence[int] = (4, 8, 16), taps: Optional[Sequence[str]] = None):
        super().__init__()
        self.graph = OnnxGraph(path)
        self.path = path
        shape = self.graph.input_shapes[0]
        self.nhwc = len(shape) == 4 and shape[-1] == 3
        hw = shape[1:3] if self.nhwc else shape[2:4]
        self.in_hw = tuple(int(s) if s > 0 else 192 for s in hw)
        self.input_range = input_range
        probe = self.graph.probe(self._prepare(torch.zeros(1, 3, *self.in_hw)))
        outputs = set(self.graph.output_names)
        self.tap_layouts: Dict[str, bool] = {}
        if taps:
            for name, shp, _ in probe:
                if name in taps:
                    self.tap_layouts[name] = self._is_nhwc(shp, None)
            missing = [t for t in taps if t not in self.tap_layouts]
            if missing:
                raise ValueError("taps not found in %s: %s" % (path, missing))
            self.taps = list(taps)
        else:
            chosen: Dict[int, Tuple[str, bool]] = {}
            for name, shp, _ in probe:
                if name in outputs:
                    continue
                for s in strides:
                    target = (self.in_hw[0] // s, self.in_hw[1] // s)
                    lay = self._is_nhwc(shp, target)
                    if lay is not None:
                        chosen[s] = (name, lay)   # later tensors override: deepest wins
            if not chosen:
                raise ValueError("no feature tensors at strides %s in %s" % (strides, path))
            self.taps = [chosen[s][0] for s in sorted(chosen)]
            self.tap_layouts = {chosen[s][0]: chosen[s][1] for s in chosen}
        self.sha = _file_sha(path)

    @staticmethod
    def _is_nhwc(shape, target):
        """True if the 4-D tensor is NHWC at spatial size `target`, False if NCHW,
        None if neither (with target None: guess from which dims are equal)."""
        if target is None:
            return shape[1] == shape[2] and shape[2] != shape[3]
        if tuple(shape[2:4]) == target:
            return False
        if tuple(shape[1:3]) == target:
            return True
        return None

    def _prepare(self, x):
        x = F.interpolate(x, size=self.in_hw, mode="bilinear", align_corners=False)
        lo, hi = self.input_range
        x = (x + 1) * 0.5 * (hi - lo) + lo
        return x.permute(0, 2, 3, 1) if self.nhwc else x

    def forward(self, x) -> List[torch.Tensor]:
        out = self.graph(self._prepare(x), taps=self.taps, stop_after_taps=True)
        feats = []
        for t in self.taps:
            f = out[t]
            feats.append(f.permute(0, 3, 1, 2) if self.tap_layouts[t] else f)
        return feats

    def describe(self) -> Dict[str, object]:
        return {"kind": "onnx", "path": self.path, "sha256_16": self.sha, "taps": self.taps}


class RandomVGG(nn.Module):
    """VGG-style conv stack with fixed random (seeded Kaiming) weights.

    Widths are halved relative to VGG-16 to keep CPU cost down; taps after the third
    and fourth blocks (stride 4 and 8, like relu3_x / relu4_1)."""

    def __init__(self, seed: int = 1234, widths=(32, 64, 128, 256)):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        cfg = [(widths[0], 2), (widths[1], 2), (widths[2], 3), (widths[3], 1)]
        blocks = []
        c = 3
        for i, (w, n) in enumerate(cfg):
            layers = [] if i == 0 else [nn.MaxPool2d(2)]
            for _ in range(n):
                conv = nn.Conv2d(c, w, 3, 1, 1)
                with torch.no_grad():
                    std = (2.0 / (c * 9)) ** 0.5
                    conv.weight.copy_(torch.randn(conv.weight.shape, generator=g) * std)
                    conv.bias.zero_()
                layers += [conv, nn.ReLU(inplace=True)]
                c = w
            blocks.append(nn.Sequential(*layers))
        self.blocks = nn.ModuleList(blocks)
        self.seed = seed
        for p in self.parameters():
            p.requires_grad_(False)

    def forward(self, x) -> List[torch.Tensor]:
        feats = []
        for i, b in enumerate(self.blocks):
            x = b(x)
            if i >= 2:
                feats.append(x)
        return feats

    def describe(self) -> Dict[str, object]:
        return {"kind": "random-vgg", "seed": self.seed}


def build_perceptual(spec: str, log=print) -> Optional[nn.Module]:
    spec = spec or "auto"
    if spec == "none":
        return None
    if spec == "random-vgg":
        return RandomVGG()
    if spec == "auto" or spec == "facemesh" or spec.startswith("facemesh:"):
        path = spec.split(":", 1)[1] if spec.startswith("facemesh:") else DEFAULT_FACEMESH
        if os.path.exists(path):
            try:
                net = OnnxFeatures(path, input_range=(0.0, 1.0))
                log("perceptual features: facemesh %s taps=%s" % (path, net.taps))
                return net
            except Exception as e:  # noqa: BLE001 - report and fall back in auto mode
                if spec != "auto":
                    raise
                log("perceptual features: could not import %s (%s); using random-vgg" % (path, e))
        elif spec != "auto":
            raise FileNotFoundError(path)
        else:
            log("perceptual features: %s not found; using random-vgg fallback" % path)
        return RandomVGG()
    if spec.startswith("onnx:"):
        return OnnxFeatures(spec[5:])
    raise ValueError("unknown perceptual spec %r" % spec)
