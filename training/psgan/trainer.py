"""One training step, optimizers, checkpoints."""
from __future__ import annotations

import copy
import os
import random
import time
from typing import Callable, Dict, Optional

import numpy as np
import torch
import torch.nn as nn

from . import losses as L
from . import regions as R
from .config import Config
from .device import torch_load
from .discriminators import PARTS, MakeupGan, PatchDiscriminator
from .features import RandomVGG, build_perceptual
from .networks import Generator, count_parameters

LOSS_KEYS = [
    "g_total", "g_adv", "g_mgan", "g_mgan_brow", "g_mgan_eye", "g_mgan_lip",
    "cyc", "per", "hist_lip", "hist_eye", "hist_skin",
    "d_global", "d_region", "d_brow", "d_eye", "d_lip",
]

DOMAINS = (("makeup", 1), ("non_makeup", 0))

# The histogram-matching makeup loss's terms and their regions (BeautyGAN Sec. 4: lips, eye shadow, face).
HISTOGRAM_TERMS = (("hist_lip", "lip"), ("hist_eye", "eye_band"), ("hist_skin", "skin"))


def _wild_weight(lc, key: str) -> float:
    """A histogram term's weight for pairs with an in-the-wild reference (LossConfig.hist_lip_wild, hist_eye_wild);
    below 0, also for a term without one, the term weighs every pair alike."""
    return getattr(lc, key + "_wild", -1.0)


def _requires_grad(module: Optional[nn.Module], flag: bool) -> None:
    if module is not None:
        for p in module.parameters():
            p.requires_grad_(flag)


class Trainer:
    def __init__(self, cfg: Config, device: torch.device, log: Callable[[str], None] = print,
                 perceptual: Optional[nn.Module] = None):
        self.cfg = cfg
        self.device = device
        self.log = log
        m = cfg.model
        self.G = Generator(m).to(device)
        self.MG = MakeupGan(m).to(device)
        self.DG = nn.ModuleDict({k: PatchDiscriminator(m.gd_ch, m.gd_layers) for k, _ in DOMAINS}).to(device) \
            if m.global_d else None
        if perceptual is None and cfg.loss.per > 0:
            perceptual = build_perceptual(cfg.perceptual, log=log)
        self.P = perceptual.to(device).eval() if perceptual is not None else None
        o = cfg.optim
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=o.lr_g, betas=(o.beta1, o.beta2))
        d_params = list(self.MG.parameters()) + (list(self.DG.parameters()) if self.DG is not None else [])
        self.opt_d = torch.optim.Adam(d_params, lr=o.lr_d, betas=(o.beta1, o.beta2))
        self.step = 0
        self.total_steps: Optional[int] = None
        # the running mean of G's weights (OptimConfig.ema_decay); never trained, only averaged into
        self.G_ema: Optional[Generator] = None
        if o.ema_decay > 0:
            self.G_ema = copy.deepcopy(self.G).eval()
            _requires_grad(self.G_ema, False)

    def init_generator_from_onnx(self, path: str) -> None:
        """Starts G from an exported generator (when its training checkpoint is lost), carries its step count on, and
        restarts the weight mean at those weights: the mean was copied from G's random initialisation when the trainer
        was built, and must not keep that in it."""
        self.step = generator_weights_from_onnx(self.G, path)
        self._start_mean_at_generator()

    def restart_generator_from_mean(self) -> None:
        """G <- its weight mean, after a resume. In the CPU stages the mean scored steadily while G swung by up to 40
        points between checkpoints (training/STAGES.md, stage 18), so a new stage can start G from the steadier
        weights. The discriminators, the Adam states (moment estimates of gradient sizes, still of the right scale)
        and the mean itself carry on unchanged."""
        if self.G_ema is None:
            raise ValueError("this run keeps no weight mean (--ema-decay 0)")
        self.G.load_state_dict(self.G_ema.state_dict())

    def _start_mean_at_generator(self) -> None:
        if self.G_ema is not None:
            self.G_ema.load_state_dict(self.G.state_dict())

    # ------------------------------------------------------------------------------
    def parameter_counts(self) -> Dict[str, int]:
        out = {"generator": count_parameters(self.G),
               "generator_mdnet": count_parameters(self.G.mdnet)}
        for p in PARTS:
            out["d_" + p] = count_parameters(self.MG.d[p])
        if self.DG is not None:
            out["d_global_each"] = count_parameters(self.DG["makeup"])
        if self.P is not None:
            out["perceptual_frozen"] = sum(b.numel() for b in self.P.buffers()) + count_parameters(self.P)
        return out

    def _set_lr(self) -> None:
        o = self.cfg.optim
        if o.decay_from < 0 or self.total_steps is None or self.step < o.decay_from:
            f = 1.0
        else:
            f = max(0.0, (self.total_steps - self.step) / float(max(1, self.total_steps - o.decay_from)))
        for g in self.opt_g.param_groups:
            g["lr"] = o.lr_g * f
        for g in self.opt_d.param_groups:
            g["lr"] = o.lr_d * f

    # ------------------------------------------------------------------------------
    def train_step(self, batch: Dict[str, torch.Tensor]) -> Dict[str, float]:
        lc = self.cfg.loss
        dev = self.device
        b = {k: v.to(dev, non_blocking=True) for k, v in batch.items()}
        src, wref, ref = b["src"], b["wref"], b["ref"]
        self.G.train()
        self._set_lr()

        m_src, m_w, weight = self.aligned_masks(b)

        # forward: transfer and cycle G(G(x, y_w), x); the fake lies on the source
        # geometry, so the source itself is the aligned reference for the way back.
        fake = self.G(src, wref)
        rec = self.G(fake, src)

        # ---------------- discriminators
        adv_w = self.adversarial_weight(b)
        out: Dict[str, float] = self._update_discriminators(b, fake.detach(), m_src, adv_w)

        # ---------------- generator
        _requires_grad(self.MG, False)
        _requires_grad(self.DG, False)
        self.opt_g.zero_grad(set_to_none=True)
        g_mgan = src.new_zeros(())
        g_adv = src.new_zeros(())
        if bool((adv_w > 0).any()):
            g_logits = self.MG(self.MG.crops(fake, m_src, b["src_lmk"]))
            for p in PARTS:
                lp = L.gan_g_loss(g_logits[p], adv_w)
                out["g_mgan_" + p] = float(lp.detach())
                g_mgan = g_mgan + lp
            if self.DG is not None:
                for name, k in DOMAINS:
                    sel = b["ref_kind"] == k
                    if bool(sel.any()):
                        g_adv = g_adv + (L.gan_g_loss(self.DG[name](fake[sel]), adv_w[sel])
                                         * float(sel.sum()) / len(sel))

        terms = self.content_losses(src, wref, fake, rec, m_src, m_w, weight, b.get("ref_wild"))
        w = self.weighted(terms)
        g_total = (lc.adv * g_adv + lc.makeup_gan * g_mgan + w["cyc"] + w["per"]
                   + (w["hist_lip"] + w["hist_eye"] + w["hist_skin"]))
        g_total.backward()
        self.opt_g.step()
        if self.G_ema is not None:
            ema_update(self.G_ema, self.G, self.cfg.optim.ema_decay)
        _requires_grad(self.MG, True)
        _requires_grad(self.DG, True)

        out.update({"g_total": float(g_total.detach()), "g_adv": float(g_adv.detach()),
                    "g_mgan": float(g_mgan.detach())})
        out.update({k: float(v.detach()) for k, v in terms.items()})
        self.step += 1
        self._last = {"src": src.detach(), "wref": wref.detach(), "fake": fake.detach(), "rec": rec.detach()}
        return out

    # ------------------------------------------------------------------------------
    def discriminator_step(self, batch: Dict[str, torch.Tensor]) -> Dict[str, float]:
        """Trains the discriminators alone for one step against G's current outputs; G, its weight mean and the step
        count stay as they are. For a generator started from an exported file (init_generator_from_onnx), whose
        discriminators start from random weights: without a warm-up, the first joint steps train G against
        discriminators that cannot yet tell its outputs from real makeup. Measured in stage 18 (README): it does not by
        itself prevent G's early loss after a restart, which comes with the raised learning rate as well."""
        b = {k: v.to(self.device, non_blocking=True) for k, v in batch.items()}
        self._set_lr()
        self.G.train()   # the same mode as in train_step, so the discriminators see the outputs they will meet there
        with torch.no_grad():
            fake = self.G(b["src"], b["wref"])
        return self._update_discriminators(b, fake, R.region_masks(b["src_lab"], self.cfg.loss.eye_band_radius),
                                           self.adversarial_weight(b))

    def _update_discriminators(self, b: Dict[str, torch.Tensor], fake_d: torch.Tensor, m_src,
                               adv_w: torch.Tensor) -> Dict[str, float]:
        """One optimiser step of the region discriminators (makeup GAN) and the global PatchGANs on real references
        against the given (detached) outputs, whose regions are the source's (m_src), each pair weighed by adv_w
        (adversarial_weight); returns their losses."""
        src, ref = b["src"], b["ref"]
        out: Dict[str, float] = {}
        if not bool((adv_w > 0).any()):
            # every pair is out of the adversarial game (LossConfig.adv_wild = 0): no optimiser step at all, so that
            # Adam's momentum does not move the discriminators on a zero gradient. Logged as 0.
            out["d_region"] = out["d_global"] = 0.0
            return out
        m_ref = R.region_masks(b["ref_lab"], self.cfg.loss.eye_band_radius)
        _requires_grad(self.MG, True)
        _requires_grad(self.DG, True)
        self.opt_d.zero_grad(set_to_none=True)
        real_crops = self.MG.crops(ref, m_ref, b["ref_lmk"])
        fake_crops = self.MG.crops(fake_d, m_src, b["src_lmk"])
        real_logits = self.MG(real_crops)
        fake_logits = self.MG(fake_crops)
        d_region = src.new_zeros(())
        for p in PARTS:
            lp = L.gan_d_loss(real_logits[p], fake_logits[p], adv_w)
            out["d_" + p] = float(lp.detach())
            d_region = d_region + lp
        d_global = src.new_zeros(())
        if self.DG is not None:
            pool = torch.cat([src, ref], 0)
            pool_kind = torch.cat([b["src_kind"], b["ref_kind"]], 0)
            pool_w = torch.cat([adv_w, adv_w], 0)   # a pair's weight holds for both its faces
            for name, k in DOMAINS:
                real_sel, fake_sel = pool_kind == k, b["ref_kind"] == k
                if bool(real_sel.any()):
                    d_global = d_global + 0.5 * L.weighted_mean((self.DG[name](pool[real_sel]) - 1).pow(2),
                                                                pool_w[real_sel])
                if bool(fake_sel.any()):
                    d_global = d_global + 0.5 * L.weighted_mean(self.DG[name](fake_d[fake_sel]).pow(2),
                                                                adv_w[fake_sel])
        d_total = d_region + d_global
        d_total.backward()
        self.opt_d.step()
        out["d_region"] = float(d_region.detach())
        out["d_global"] = float(d_global.detach())
        return out

    def adversarial_weight(self, b: Dict[str, torch.Tensor]) -> torch.Tensor:
        """Each pair's weight ([N]) in the adversarial game: LossConfig.adv_wild where the reference is an
        in-the-wild face (b["ref_wild"]), 1 for every other pair."""
        ones = torch.ones(b["src"].shape[0], device=b["src"].device)
        if "ref_wild" not in b:
            return ones
        return torch.where(b["ref_wild"].bool(), torch.full_like(ones, self.cfg.loss.adv_wild), ones)

    def aligned_masks(self, b: Dict[str, torch.Tensor]):
        """Region masks of the source and of the reference warped onto it (both on the source geometry), and the
        feature weight of the cycle and perceptual losses (1 off the features, mask_floor inside them)."""
        lc = self.cfg.loss
        m_src = R.region_masks(b["src_lab"], lc.eye_band_radius)
        m_w = R.region_masks(b["wref_lab"], lc.eye_band_radius)
        return m_src, m_w, R.feature_weight(m_src, lc.mask_floor, lc.mask_blur_sigma)

    def content_losses(self, src, wref, fake, rec, m_src, m_w, weight,
                       ref_wild: Optional[torch.Tensor] = None) -> Dict[str, torch.Tensor]:
        """The generator's non-adversarial losses, unweighted: the per-region histogram-matching makeup loss (the
        output's region against the source region matched to the warped reference's), the masked cycle loss and
        the masked perceptual loss. With hist_lip_wild (hist_eye_wild) set and `ref_wild` ([N] bool) given, also
        "hist_lip_wild" ("hist_eye_wild"): the share of "hist_lip" ("hist_eye") that comes from pairs with an
        in-the-wild reference."""
        lc = self.cfg.loss
        terms = {}
        for key, region in HISTOGRAM_TERMS:
            target, valid = L.histogram_target(src, wref, m_src[region], m_w[region])
            terms[key] = L.histogram_loss(fake, target, m_src[region], valid, lc.hist_scale)
            if _wild_weight(lc, key) >= 0 and ref_wild is not None:
                terms[key + "_wild"] = L.histogram_loss(fake, target, m_src[region], valid, lc.hist_scale,
                                                        select=ref_wild)
        terms["cyc"] = L.weighted_l1(rec, src, weight)
        terms["per"] = src.new_zeros(())
        if self.P is not None and lc.per > 0:
            with torch.no_grad():
                f_src = self.P(src)
            terms["per"] = L.perceptual_loss(self.P(fake), f_src, weight)
        return terms

    def weighted(self, terms: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """Each content loss times its weight, as it enters the generator's total."""
        lc = self.cfg.loss

        def histogram(key: str) -> torch.Tensor:
            loss = getattr(lc, key) * terms[key]
            if key + "_wild" in terms:   # the wild pairs' share moves from the region's weight to its wild weight
                loss = loss + (_wild_weight(lc, key) - getattr(lc, key)) * terms[key + "_wild"]
            return lc.make * loss

        out = {key: histogram(key) for key, _ in HISTOGRAM_TERMS}
        out.update(cyc=lc.cyc * terms["cyc"], per=lc.per * terms["per"])
        return out

    # ------------------------------------------------------------------------------
    def save_samples(self, path: str, max_rows: int = 4) -> None:
        import cv2
        last = getattr(self, "_last", None)
        if last is None:
            return
        rows = []
        for i in range(min(max_rows, last["src"].shape[0])):
            tiles = [last[k][i] for k in ("src", "wref", "fake", "rec")]
            row = torch.cat(tiles, dim=2)
            rows.append(row)
        grid = torch.cat(rows, dim=1)
        img = ((grid.clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).cpu().numpy()
        cv2.imwrite(path, cv2.cvtColor(img, cv2.COLOR_RGB2BGR))

    def state_dict(self) -> Dict[str, object]:
        sd = {
            "format": "makeupapi-psgan-v1",
            "step": self.step,
            "config": self.cfg.to_dict(),
            "G": self.G.state_dict(),
            "G_ema": self.G_ema.state_dict() if self.G_ema is not None else None,
            "MG": self.MG.state_dict(),
            "DG": self.DG.state_dict() if self.DG is not None else None,
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "perceptual": self.P.describe() if self.P is not None else None,
            "perceptual_state": self.P.state_dict() if isinstance(self.P, RandomVGG) else None,
            "rng": {"torch": torch.get_rng_state(), "numpy": np.random.get_state(),
                    "python": random.getstate()},
            "torch_version": torch.__version__,
            "saved_at": time.time(),
        }
        return sd

    def save(self, path: str) -> None:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        tmp = path + ".tmp"
        torch.save(_to_cpu(self.state_dict()), tmp)
        os.replace(tmp, path)   # atomic: an interrupted save never corrupts `path`

    def load(self, path: str, restore_optim: bool = True) -> None:
        sd = torch_load(path, map_location="cpu")
        self.G.load_state_dict(sd["G"])
        if self.G_ema is not None:
            if sd.get("G_ema") is not None:
                self.G_ema.load_state_dict(sd["G_ema"])
            else:   # a checkpoint of a run without the mean: the mean starts here, at the loaded generator
                self._start_mean_at_generator()
                self.log("note: %s has no weight mean; it starts from its generator" % path)
        self.MG.load_state_dict(sd["MG"])
        if self.DG is not None and sd.get("DG") is not None:
            self.DG.load_state_dict(sd["DG"])
        if restore_optim:
            self.opt_g.load_state_dict(sd["opt_g"])
            self.opt_d.load_state_dict(sd["opt_d"])
        if isinstance(self.P, RandomVGG) and sd.get("perceptual_state") is not None:
            self.P.load_state_dict(sd["perceptual_state"])
        saved_p = sd.get("perceptual")
        cur_p = self.P.describe() if self.P is not None else None
        if saved_p != cur_p:
            self.log("warning: checkpoint was trained with perceptual features %s, now %s" % (saved_p, cur_p))
        self.step = int(sd["step"])
        rng = sd.get("rng")
        if rng:
            torch.set_rng_state(rng["torch"])
            np.random.set_state(rng["numpy"])
            random.setstate(rng["python"])


def generator_weights_from_onnx(g: torch.nn.Module, path: str) -> int:
    """Loads a generator's weights from an exported ONNX file (its initializers carry the state-dict names, see
    export.py) and returns the step count recorded in its metadata. Every tensor must be there with its shape: a
    file from another preset or architecture is refused rather than half-loaded. For continuing from the committed
    model when its training checkpoint is gone; the discriminators and optimiser states start fresh."""
    import onnx
    from onnx import numpy_helper
    model = onnx.load(path)
    weights = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    state = g.state_dict()
    missing = [k for k in state if k not in weights]
    wrong = [k for k in state if k in weights and tuple(weights[k].shape) != tuple(state[k].shape)]
    if missing or wrong:
        raise ValueError("%s does not fit this generator: missing %s, wrong shape %s" % (path, missing[:5], wrong[:5]))
    g.load_state_dict({k: torch.from_numpy(np.array(weights[k])).to(state[k].dtype) for k in state})
    meta = {p.key: p.value for p in model.metadata_props}
    return int(meta.get("makeupapi.train_steps", "0"))


def _to_cpu(obj):
    """Checkpoint tensors on the CPU, so a GPU checkpoint loads anywhere."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu()
    if isinstance(obj, dict):
        out = type(obj)((k, _to_cpu(v)) for k, v in obj.items())
        if hasattr(obj, "_metadata"):          # module state-dict versions
            out._metadata = obj._metadata
        return out
    if isinstance(obj, (list, tuple)) and not hasattr(obj, "_fields"):
        return type(obj)(_to_cpu(v) for v in obj)
    return obj


def ema_update(ema: nn.Module, model: nn.Module, decay: float) -> None:
    """ema <- decay * ema + (1 - decay) * model, parameter by parameter; buffers are copied (the generator's
    normalisation layers keep no running statistics, so it has none that would need averaging)."""
    with torch.no_grad():
        for e, p in zip(ema.parameters(), model.parameters()):
            e.lerp_(p.detach(), 1.0 - decay)
        for e, b in zip(ema.buffers(), model.buffers()):
            e.copy_(b)


def load_generator(path: str, device: torch.device = torch.device("cpu"), ema: bool = False):
    """Generator + config + step from a training checkpoint; with ema, the running mean of its weights
    (OptimConfig.ema_decay) instead of the trained generator itself."""
    sd = torch_load(path, map_location="cpu")
    if ema and sd.get("G_ema") is None:
        raise ValueError("%s holds no weight mean (trained without --ema-decay)" % path)
    cfg = Config.from_dict(sd["config"])
    g = Generator(cfg.model)
    g.load_state_dict(sd["G_ema" if ema else "G"])
    return g.to(device).eval(), cfg, int(sd["step"])
