"""Device selection and small torch-version compatibility helpers.

The same code runs on Debian's CPU torch 1.13 and on PyTorch 2.x with CUDA.
"""
from __future__ import annotations

import inspect
import os

import torch


def select_device(name: str = "auto") -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        name = "cpu"
    dev = torch.device(name)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("--device cuda requested but CUDA is not available")
    return dev


def configure_threads(device: torch.device) -> None:
    """Debian's torch starts with 1 intra-op thread; use every core on CPU."""
    if device.type == "cpu" and "OMP_NUM_THREADS" not in os.environ:
        torch.set_num_threads(max(1, os.cpu_count() or 1))
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True


def torch_load(path, map_location="cpu"):
    """torch.load that also works on torch >= 2.6 (weights_only default True)."""
    try:
        return torch.load(path, map_location=map_location, weights_only=False)
    except TypeError:  # very old torch without weights_only
        return torch.load(path, map_location=map_location)


def spectral_norm(module: torch.nn.Module) -> torch.nn.Module:
    """Spectral normalisation (Miyato et al., ICLR 2018), as PSGAN's discriminators.

    Prefer the parametrization API (1.11+, also 2.x) so that state-dict keys are the
    same on the CPU (1.13) and GPU (2.x) machines; fall back to the old hook API.
    """
    try:
        from torch.nn.utils.parametrizations import spectral_norm as sn
    except ImportError:  # pragma: no cover - torch < 1.11
        from torch.nn.utils import spectral_norm as sn
    return sn(module)


def onnx_export_kwargs() -> dict:
    """PyTorch >= 2.9 defaults torch.onnx.export to the dynamo exporter; ask for the
    TorchScript exporter explicitly where that switch exists (same graph on 1.13)."""
    params = inspect.signature(torch.onnx.export).parameters
    return {"dynamo": False} if "dynamo" in params else {}
