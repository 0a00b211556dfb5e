"""Unit tests for the training package (fast, no data needed).

  /usr/bin/python3 -m unittest discover -s training/tests -v
"""
from __future__ import annotations

import json
import os
import random
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import onnx  # noqa: E402
from onnx import TensorProto, helper  # noqa: E402

from psgan import losses as L  # noqa: E402
from psgan import regions as R  # noqa: E402
from psgan.config import Config, preset  # noqa: E402
from psgan.data import (FLIP68, Group, PreparedDataset, _LABEL_SWAP, colour_jitter, domain_of, is_wild,  # noqa: E402
                        makeup_region_masks, recolour_makeup, repeat_pairs_by_reference)
from psgan.discriminators import MakeupGan  # noqa: E402
from psgan.export import export_generator  # noqa: E402
from psgan.networks import Generator  # noqa: E402
from psgan.trainer import Trainer, ema_update  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tools"))
from average_generators import average_state_dicts, parse_weights  # noqa: E402
from extend_prepared import extension  # noqa: E402
from model_card import tensor_entry, wall_seconds  # noqa: E402
from degrade_references import CHANGES, main as degrade_references_main  # noqa: E402
from paired_scores import bootstrap_interval, differences, pair_scores, pairs_in, with_references, without  # noqa: E402
from repair_weight_mean import repair_weight_mean  # noqa: E402


class HistogramMatchingTest(unittest.TestCase):
    def test_matches_reference_distribution(self):
        g = torch.Generator().manual_seed(0)
        src = torch.round(torch.rand(3, 4000, generator=g) * 255) / 127.5 - 1
        ref = torch.round(torch.rand(3, 3000, generator=g) ** 2 * 255) / 127.5 - 1
        out = L.match_channels(src, ref)
        for c in range(3):
            q = torch.linspace(0.05, 0.95, 10)
            self.assertLess(float((torch.quantile(out[c], q) - torch.quantile(ref[c], q)).abs().max()), 0.03)

    def test_equal_values_map_to_equal_targets(self):
        src = torch.tensor([[0.0, 0.0, 0.5, 0.5, 0.5, 1.0]])
        ref = torch.linspace(-1, 1, 50)[None]
        out = L.match_channels(src, ref)
        self.assertEqual(float(out[0, 0]), float(out[0, 1]))
        self.assertEqual(float(out[0, 2]), float(out[0, 4]))
        self.assertTrue(bool((out[0, 1:] >= out[0, :-1]).all()))   # monotone

    def test_region_target_and_loss(self):
        src = torch.zeros(2, 3, 16, 16)
        ref = torch.ones(2, 3, 16, 16) * 0.5
        m = torch.zeros(2, 1, 16, 16)
        m[0, :, 4:12, 4:12] = 1            # sample 1 has no region
        target, valid = L.histogram_target(src, ref, m, m)
        self.assertEqual(valid.tolist(), [True, False])
        self.assertAlmostEqual(float(target[0, 0, 8, 8]), 0.5, places=5)
        self.assertEqual(float(target[0, 0, 0, 0]), 0.0)         # outside: unchanged
        out = src.clone().requires_grad_(True)
        loss = L.histogram_loss(out, target, m, valid, 127.5)
        loss.backward()
        self.assertGreater(float(loss), 0)
        self.assertGreater(float(out.grad.abs().sum()), 0)

    def test_losses_of_complementary_selections_add_up_to_the_loss_without_one(self):
        torch.manual_seed(0)
        out, target = torch.rand(4, 3, 16, 16), torch.rand(4, 3, 16, 16)
        m = torch.ones(4, 1, 16, 16)
        valid = torch.tensor([True, True, False, True])
        select = torch.tensor([True, False, True, False])
        whole = L.histogram_loss(out, target, m, valid, 127.5)
        parts = (L.histogram_loss(out, target, m, valid, 127.5, select=select)
                 + L.histogram_loss(out, target, m, valid, 127.5, select=~select))
        self.assertAlmostEqual(float(parts), float(whole), places=4)
        self.assertEqual(float(L.histogram_loss(out, target, m, valid, 127.5, select=valid & False)), 0.0)


class WildReferenceHistogramWeightTest(unittest.TestCase):
    """LossConfig.hist_lip_wild and hist_eye_wild: a region's histogram weight for pairs whose reference is an
    in-the-wild face."""

    @staticmethod
    def _loss_and_grad(key, wild_weight):
        import types
        cfg = preset("smoke")
        cfg.loss.per = 0.0
        setattr(cfg.loss, key, 6.0)
        setattr(cfg.loss, key + "_wild", wild_weight)
        owner = types.SimpleNamespace(cfg=cfg, P=None)   # the two methods read only cfg and P
        torch.manual_seed(1)
        src, wref = torch.rand(2, 3, 16, 16) * 2 - 1, torch.rand(2, 3, 16, 16) * 2 - 1
        fake = src.clone().requires_grad_(True)
        region = torch.zeros(2, 1, 16, 16)
        region[:, :, 5:11, 4:12] = 1
        masks = {r: region for r in ("lip", "eye_band", "skin")}
        terms = Trainer.content_losses(owner, src, wref, fake, src, masks, masks, torch.ones(2, 1, 16, 16),
                                       torch.tensor([False, True]))
        loss = Trainer.weighted(owner, terms)[key]
        loss.backward()
        return terms, float(loss), fake.grad

    def test_zero_weight_takes_the_wild_pair_out_of_the_region_loss_and_keeps_the_other(self):
        for key in ("hist_lip", "hist_eye"):
            with self.subTest(key):
                terms, _, grad = self._loss_and_grad(key, 0.0)
                self.assertGreater(float(terms[key + "_wild"]), 0)
                self.assertGreater(float(terms[key]), float(terms[key + "_wild"]))   # logged: both pairs
                self.assertEqual(float(grad[1].abs().sum()), 0.0)
                self.assertGreater(float(grad[0].abs().sum()), 0)

    def test_the_weight_of_the_other_pairs_gives_the_loss_and_gradient_of_no_split(self):
        for key in ("hist_lip", "hist_eye"):
            with self.subTest(key):
                _, split, grad_split = self._loss_and_grad(key, 6.0)
                terms, plain, grad_plain = self._loss_and_grad(key, -1.0)
                self.assertNotIn(key + "_wild", terms)
                self.assertAlmostEqual(split, plain, places=3)
                self.assertTrue(torch.allclose(grad_split, grad_plain, atol=1e-6))

    def test_a_region_wild_weight_leaves_the_other_regions_alone(self):
        terms, _, _ = self._loss_and_grad("hist_eye", 0.0)
        self.assertEqual(sorted(k for k in terms if k.endswith("_wild")), ["hist_eye_wild"])

    def test_only_faces_from_outside_the_makeup_set_are_wild(self):
        self.assertEqual([is_wild(k) for k in ("makeup", "non-makeup", "helen", "pose")], [False, False, True, True])


class WildReferenceAdversarialWeightTest(unittest.TestCase):
    """LossConfig.adv_wild: a wild-reference pair's weight in the adversarial game."""

    def test_a_weight_of_ones_gives_the_plain_mean_and_a_zero_weight_drops_that_sample(self):
        torch.manual_seed(2)
        x = torch.rand(2, 1, 6, 6)
        self.assertAlmostEqual(float(L.weighted_mean(x, torch.ones(2))), float(x.mean()), places=6)
        self.assertAlmostEqual(float(L.weighted_mean(x, torch.tensor([1.0, 0.0]))), float(x[0].mean()) / 2, places=6)
        real, fake = torch.rand(2, 1, 4, 4), torch.rand(2, 1, 4, 4)
        self.assertAlmostEqual(float(L.gan_d_loss(real, fake, torch.ones(2))), float(L.gan_d_loss(real, fake)),
                               places=6)
        self.assertAlmostEqual(float(L.gan_g_loss(fake, torch.ones(2))), float(L.gan_g_loss(fake)), places=6)

    def test_the_wild_sample_gets_no_adversarial_gradient_at_zero_weight(self):
        fake = torch.rand(2, 1, 4, 4, requires_grad=True)
        L.gan_g_loss(fake, torch.tensor([1.0, 0.0])).backward()
        self.assertEqual(float(fake.grad[1].abs().sum()), 0.0)
        self.assertGreater(float(fake.grad[0].abs().sum()), 0)

    def test_only_wild_pairs_take_the_option_weight(self):
        import types
        cfg = preset("smoke")
        cfg.loss.adv_wild = 0.25
        owner = types.SimpleNamespace(cfg=cfg)
        b = {"src": torch.zeros(3, 3, 8, 8), "ref_wild": torch.tensor([False, True, False])}
        self.assertEqual(Trainer.adversarial_weight(owner, b).tolist(), [1.0, 0.25, 1.0])
        del b["ref_wild"]
        self.assertEqual(Trainer.adversarial_weight(owner, b).tolist(), [1.0, 1.0, 1.0])


class RegionTest(unittest.TestCase):
    def test_feature_weight_range(self):
        lab = torch.zeros(1, 64, 64, dtype=torch.long)
        lab[:, 10:54, 10:54] = 1
        lab[:, 40:46, 24:40] = 12
        lab[:, 20:24, 16:24] = 4
        w = R.feature_weight(R.region_masks(lab, 3), 0.2, 2.0)
        self.assertGreaterEqual(float(w.min()), 0.2 - 1e-6)
        self.assertLessEqual(float(w.max()), 1.0 + 1e-6)
        self.assertLess(float(w[0, 0, 43, 32]), 0.5)          # inside the lips: low
        self.assertAlmostEqual(float(w[0, 0, 2, 2]), 1.0, places=4)

    def test_crop_matches_slice(self):
        img = torch.arange(64 * 64, dtype=torch.float32).view(1, 1, 64, 64)
        box = torch.tensor([[24.0, 16.0, 16.0, 8.0]])    # cx, cy, w, h -> x 16..32, y 12..20
        c = R.crop(img, box, (8, 16))
        self.assertTrue(torch.allclose(c, img[:, :, 12:20, 16:32]))

    def test_mask_channels(self):
        m = torch.zeros(1, 1, 4, 8)
        m[..., 1] = 1
        ch = R.mask_channels(m)
        self.assertEqual(tuple(ch.shape), (1, 4, 4, 8))
        self.assertTrue(torch.equal(ch[:, 1], torch.flip(m, [-1])[:, 0]))
        self.assertTrue(torch.equal(ch[:, 2], ch[:, 2].flip(-1)))   # mirror images are symmetric
        self.assertEqual(float(ch[:, 3].sum()), 0.0)                # right half is empty

    def test_landmark_boxes_aspect(self):
        lmk = torch.rand(2, 68, 2) * 200 + 20
        b = R.landmark_boxes(lmk, R.LMK_LIP, (48, 96), 0.2)
        self.assertTrue(torch.allclose(b[:, 3] / b[:, 2], torch.full((2,), 0.5)))


class FlipTest(unittest.TestCase):
    def test_flip_permutation_is_involution(self):
        self.assertEqual(sorted(FLIP68.tolist()), list(range(68)))
        self.assertTrue(np.array_equal(FLIP68[FLIP68], np.arange(68)))
        self.assertEqual(_LABEL_SWAP[2], 3)
        self.assertEqual(_LABEL_SWAP[5], 4)
        self.assertEqual(_LABEL_SWAP[12], 12)

    def test_domains(self):
        self.assertEqual(domain_of("makeup"), 1)
        for k in ("non-makeup", "helen", "pose"):
            self.assertEqual(domain_of(k), 0)

    def test_group_flip(self):
        img = np.zeros((8, 8, 3), np.uint8)
        img[:, 0] = 255
        lab = np.zeros((8, 8), np.uint8)
        lab[:, 0] = 2
        lmk = np.zeros((68, 2), np.float32)
        lmk[36] = (1, 3)      # image-left outer eye corner
        lmk[45] = (6, 3)
        g = Group([img], [lab], lmk)
        g.hflip()
        self.assertEqual(int(g.imgs[0][0, 7, 0]), 255)
        self.assertEqual(int(g.labs[0][0, 7]), 3)
        # the new point 36 (image-left) is the old 45 mirrored
        self.assertEqual(tuple(g.lmk[36]), (1.0, 3.0))
        self.assertEqual(tuple(g.lmk[45]), (6.0, 3.0))


class SourceJitterTest(unittest.TestCase):
    @staticmethod
    def _tiny_set(root: str, size: int = 32) -> None:
        """Two faces and one pair, written the way the prepare command writes them."""
        rng = np.random.default_rng(0)
        for name in ("src", "ref", "warped"):
            cv2.imwrite(os.path.join(root, name + ".png"), rng.integers(40, 220, (size, size, 3), dtype=np.uint8))
            cv2.imwrite(os.path.join(root, name + "-lab.png"), rng.integers(0, 14, (size, size), dtype=np.uint8))
        lmk = (rng.random((68, 2)) * size).tolist()
        index = {"size": size,
                 "faces": [{"id": "s", "kind": "non-makeup", "image": "src.png", "labels": "src-lab.png",
                            "landmarks": lmk},
                           {"id": "r", "kind": "makeup", "image": "ref.png", "labels": "ref-lab.png",
                            "landmarks": lmk}],
                 "pairs": [{"source": "s", "reference": "r", "warped": "warped.png",
                            "warpedLabels": "warped-lab.png"}]}
        with open(os.path.join(root, "index.json"), "w") as f:
            json.dump(index, f)

    def test_source_jitter_changes_the_source_photo_and_leaves_every_other_tensor_as_without_it(self):
        with tempfile.TemporaryDirectory() as root:
            self._tiny_set(root)
            plain = PreparedDataset(root, seed=3)[0]
            jittered = PreparedDataset(root, seed=3, source_jitter=0.15)[0]
        self.assertGreater(float((plain["src"] - jittered["src"]).abs().max()), 0.01)
        for key in plain:
            if key != "src":
                self.assertTrue(torch.equal(plain[key], jittered[key]), key)

    def test_jitter_without_channel_gain_draws_three_numbers_as_before_the_option(self):
        img = np.full((4, 4, 3), 100, np.uint8)
        used, fresh = random.Random(7), random.Random(7)
        colour_jitter([img], used, 0.1)
        for _ in range(3):
            fresh.random()
        self.assertEqual(used.random(), fresh.random())

    def test_channel_gain_scales_each_channel_within_its_range(self):
        img = np.full((4, 4, 3), 100, np.uint8)
        # amount 0: brightness, contrast and saturation factors are 1, so only the gains act
        out = colour_jitter([img], random.Random(1), 0.0, channel_gain=0.05)[0]
        ratios = out[0, 0].astype(np.float64) / 100.0
        self.assertTrue(np.all(ratios >= 0.95 - 0.01) and np.all(ratios <= 1.05 + 0.01), ratios)
        self.assertGreater(len(set(out[0, 0].tolist())), 1)

    def test_reference_white_balance_changes_only_the_two_references_and_both_by_the_same_gains(self):
        with tempfile.TemporaryDirectory() as root:
            self._tiny_set(root)
            # the tiny set's warped reference is the reference's own photo, so the same gains give the same pixels
            shutil.copy(os.path.join(root, "ref.png"), os.path.join(root, "warped.png"))
            plain = PreparedDataset(root, seed=3, max_scale=0, max_rot=0, max_shift=0, flip_p=0)[0]
            balanced = PreparedDataset(root, seed=3, max_scale=0, max_rot=0, max_shift=0, flip_p=0,
                                       reference_white_balance=0.1)[0]
        for key in plain:
            if key not in ("wref", "ref"):
                self.assertTrue(torch.equal(plain[key], balanced[key]), key)
        self.assertGreater(float((plain["ref"] - balanced["ref"]).abs().max()), 0.01)
        self.assertTrue(torch.equal(balanced["ref"], balanced["wref"]))

    def test_out_of_range_reference_jitter_or_white_balance_is_refused(self):
        with tempfile.TemporaryDirectory() as root:
            self._tiny_set(root)
            for bad in ({"jitter": 1.0}, {"reference_white_balance": -0.1}, {"reference_white_balance": 1.0}):
                with self.assertRaises(ValueError):
                    PreparedDataset(root, **bad)

    def test_out_of_range_source_jitter_is_refused(self):
        with tempfile.TemporaryDirectory() as root:
            self._tiny_set(root)
            with self.assertRaises(ValueError):
                PreparedDataset(root, source_jitter=1.5)


class ReferenceRecolourTest(unittest.TestCase):
    SIZE = 64

    @classmethod
    def _face(cls, shift: int = 0):
        """A flat reddish face: skin (1) everywhere, lips (12/13) in a block, one eye (4), background (0) in a
        corner."""
        img = np.zeros((cls.SIZE, cls.SIZE, 3), np.uint8)
        img[:] = (200, 150, 130)
        lab = np.ones((cls.SIZE, cls.SIZE), np.uint8)
        lab[:8, :8] = 0
        img[:8, :8] = (30, 90, 200)
        lab[44 + shift:52 + shift, 20:44] = 12
        lab[52 + shift:58 + shift, 20:44] = 13
        img[44 + shift:58 + shift, 20:44] = (180, 40, 60)
        lab[16:20, 16:24] = 4
        img[16:20, 16:24] = (60, 40, 30)
        return img, lab

    @staticmethod
    def _draws(lips, band):
        """A stand-in rng that hands out the six numbers recolour_makeup draws: (chosen, hue, saturation) per region;
        for uniform(a, b) it gives back a fixed value."""
        values = iter([lips[0], band[0]])
        uniform = iter([lips[1], lips[2], band[1], band[2]])

        class Draws:
            def random(self):
                return next(values)

            def uniform(self, a, b):
                return next(uniform)
        return Draws()

    @staticmethod
    def _naive_turn(rgb, hue, saturation):
        """One pixel through colorsys, the textbook HSV, as the check of the OpenCV path."""
        import colorsys
        h, s, v = colorsys.rgb_to_hsv(*(np.asarray(rgb, np.float64) / 255.0))
        r, g, b = colorsys.hsv_to_rgb((h + hue / 360.0) % 1.0, min(1.0, s * saturation), v)
        return np.array([r, g, b]) * 255.0

    def test_chosen_lips_turn_by_the_drawn_hue_and_pixels_outside_both_regions_stay_as_they_were(self):
        img, lab = self._face()
        out = recolour_makeup([img], [lab], self._draws((0.1, 40.0, 0.1), (0.9, -30.0, 0.0)), 30.0, band_radius=4)[0]
        # lip interior (2 px and more inside the edge): the full turn, as the textbook formula gives it
        np.testing.assert_allclose(out[50, 30].astype(np.float64), self._naive_turn(img[50, 30], 40.0, 1.1), atol=1.0)
        # the band was not chosen and nothing else is makeup: every pixel 3 px and more off the lips is untouched
        lips = makeup_region_masks(lab, 4)[0].astype(np.uint8)
        far = cv2.dilate(lips, np.ones((7, 7), np.uint8)) == 0
        self.assertTrue(np.array_equal(out[far], img[far]))
        self.assertFalse(np.array_equal(out[lips > 0], img[lips > 0]))

    def test_the_band_is_skin_round_the_eyes_and_a_chosen_band_leaves_eyes_and_lips_as_they_were(self):
        img, lab = self._face()
        band = makeup_region_masks(lab, 6)[1]
        self.assertTrue(band[12, 20] and band[10, 10] and not band[9, 20] and not band[17, 20] and not band[40, 40]
                        and not band[2, 2])
        out = recolour_makeup([img], [lab], self._draws((0.9, 0.0, 0.0), (0.1, 90.0, 0.0)), 90.0, band_radius=6)[0]
        # row 12 is 2.5 px inside the band's upper edge and 3.5 px from the eye: the full turn, within rounding
        np.testing.assert_allclose(out[12, 20].astype(np.float64), self._naive_turn(img[12, 20], 90.0, 1.0), atol=1.0)
        self.assertTrue(np.array_equal(out[18, 20], img[18, 20]))          # eye interior
        self.assertTrue(np.array_equal(out[44:58, 20:44], img[44:58, 20:44]))   # lips

    def test_warped_and_original_reference_get_the_same_turn_each_through_its_own_labels(self):
        (a, lab_a), (b, lab_b) = self._face(), self._face(shift=-6)
        out_a, out_b = recolour_makeup([a, b], [lab_a, lab_b], self._draws((0.1, 25.0, -0.1), (0.9, 0, 0)), 30.0, 4)
        self.assertTrue(np.array_equal(out_a[50, 30], out_b[44, 30]))
        # row 56: inside the lips of the first face, 5 px below those of the second
        self.assertTrue(np.array_equal(out_b[56, 30], b[56, 30]) and not np.array_equal(out_a[56, 30], a[56, 30]))

    def test_recolouring_draws_six_numbers_whatever_it_chooses(self):
        img, lab = self._face()
        for seed in range(4):
            used, fresh = random.Random(seed), random.Random(seed)
            recolour_makeup([img], [lab], used, 30.0, 4)
            for _ in range(6):
                fresh.random()
            self.assertEqual(used.random(), fresh.random())

    def test_the_dataset_recolours_only_the_references_and_refuses_a_turn_past_half_the_circle(self):
        with tempfile.TemporaryDirectory() as root:
            SourceJitterTest._tiny_set(root)
            pairs = [(PreparedDataset(root, seed=s)[0], PreparedDataset(root, seed=s, reference_recolour=30.0)[0])
                     for s in (3, 4, 5, 6)]
            with self.assertRaises(ValueError):
                PreparedDataset(root, reference_recolour=200.0)
        for plain, recoloured in pairs:
            for key in plain:
                if key not in ("wref", "ref"):
                    self.assertTrue(torch.equal(plain[key], recoloured[key]), key)
        # each region is chosen for half the pairs, so over four seeds some reference changes (these seeds: 3 of 4)
        self.assertTrue(any(not torch.equal(p["ref"], r["ref"]) for p, r in pairs))


class RepeatReferencesTest(unittest.TestCase):
    PAIRS = [{"source": "a", "reference": "mk_10005"}, {"source": "a", "reference": "mk_vFG1"},
             {"source": "b", "reference": "mk_31bdcd86ffa8cc91444ec6ca921e32e5"}, {"source": "b", "reference": "h_7"}]

    def test_pairs_of_matching_references_are_listed_k_times_and_the_others_once_in_order(self):
        out = repeat_pairs_by_reference(self.PAIRS, [("mk_[0-9]+", 3)])
        self.assertEqual([p["reference"] for p in out],
                         ["mk_10005"] * 3 + ["mk_vFG1", "mk_31bdcd86ffa8cc91444ec6ca921e32e5", "h_7"])

    def test_the_pattern_must_match_the_whole_id_and_the_largest_count_applies(self):
        out = repeat_pairs_by_reference(self.PAIRS, [("mk_", 5), ("mk_v.*", 2), ("mk_.*", 3)])
        counts = {r: sum(p["reference"] == r for p in out) for r in ("mk_10005", "mk_vFG1", "h_7")}
        self.assertEqual(counts, {"mk_10005": 3, "mk_vFG1": 3, "h_7": 1})

    def test_no_entry_leaves_the_pairs_as_they_are(self):
        self.assertEqual(repeat_pairs_by_reference(self.PAIRS, []), self.PAIRS)

    def test_a_bad_count_or_pattern_is_refused(self):
        for bad in ([("mk_.*", 0)], [("mk_.*", 1.5)], [("mk_(", 2)]):
            with self.assertRaises(ValueError):
                repeat_pairs_by_reference(self.PAIRS, bad)

    def test_the_dataset_lists_a_repeated_pair_k_times_and_its_first_copy_is_the_pair_as_before(self):
        with tempfile.TemporaryDirectory() as root:
            SourceJitterTest._tiny_set(root)
            plain = PreparedDataset(root, seed=3)
            repeated = PreparedDataset(root, seed=3, repeat_references=[("r", 4)])
            self.assertEqual((len(plain), len(repeated)), (1, 4))
            first, before = repeated[0], plain[0]
        for key in before:
            self.assertTrue(torch.equal(first[key], before[key]), key)


class NetworkTest(unittest.TestCase):
    def test_generator_shapes_and_identity_init(self):
        cfg = preset("smoke")
        G = Generator(cfg.model).eval()
        x = torch.rand(2, 3, 256, 256) * 2 - 1
        y = torch.rand(2, 3, 256, 256) * 2 - 1
        with torch.no_grad():
            out = G(x, y)
            out2 = G(x, torch.zeros_like(y))
        self.assertEqual(tuple(out.shape), (2, 3, 256, 256))
        self.assertLessEqual(float(out.abs().max()), 1.0)
        # zero-initialised makeup matrices: the reference has no effect at init
        self.assertTrue(torch.allclose(out, out2))

    def test_exported_generator_declares_the_working_size_as_its_output_shape(self):
        G = Generator(preset("smoke").model).eval()
        with tempfile.TemporaryDirectory() as d:
            path = export_generator(G, os.path.join(d, "g.onnx"), size=256, train_steps=7)
            model = onnx.load(path)
        for tensor in (*model.graph.input, model.graph.output[0]):
            dims = [x.dim_param or x.dim_value for x in tensor.type.tensor_type.shape.dim]
            self.assertEqual(dims, ["N", 3, 256, 256], tensor.name)

    def test_region_discriminators(self):
        cfg = preset("smoke")
        MG = MakeupGan(cfg.model)
        img = torch.rand(2, 3, 256, 256) * 2 - 1
        lab = torch.zeros(2, 256, 256, dtype=torch.long)
        lmk = torch.rand(2, 68, 2) * 120 + 60
        crops = MG.crops(img, R.region_masks(lab, 4), lmk)
        self.assertEqual(crops["brow"][0].shape[1], 6)
        self.assertEqual(crops["brow"][1].shape[1], 8)
        self.assertEqual(crops["eye"][0].shape[1], 6)
        self.assertEqual(crops["lip"][0].shape[1], 3)
        self.assertEqual(crops["lip"][1].shape[1], 4)
        logits = MG(crops)
        for v in logits.values():
            self.assertEqual(v.shape[0], 2)

    def test_full_config_discriminator_blocks(self):
        cfg = preset("full")
        MG = MakeupGan(cfg.model)
        self.assertEqual(len(MG.d["lip"].blocks), 8)

    def test_config_roundtrip(self):
        cfg = preset("smoke")
        self.assertEqual(Config.from_dict(cfg.to_dict()), cfg)


class LossWeightOverrideTest(unittest.TestCase):
    def test_override_sets_one_weight_and_leaves_the_others(self):
        from train import apply_loss_weight
        cfg = preset("cpu")
        apply_loss_weight(cfg, "hist_lip=4")
        self.assertEqual(cfg.loss.hist_lip, 4.0)
        self.assertEqual(cfg.loss.hist_eye, preset("cpu").loss.hist_eye)
        self.assertEqual(Config.from_dict(cfg.to_dict()).loss.hist_lip, 4.0)   # recorded in run.json / checkpoints

    def test_unknown_or_malformed_override_is_refused(self):
        from train import apply_loss_weight
        for bad in ("hist_lips=4", "hist_lip", "hist_lip=red", "eye_band_radius=3"):
            with self.assertRaises(SystemExit, msg=bad):
                apply_loss_weight(preset("cpu"), bad)


class GeneratorAveragingTest(unittest.TestCase):
    _average = staticmethod(average_state_dicts)

    def test_mean_of_generators_equals_the_element_wise_mean_of_each_tensor(self):
        cfg = preset("smoke").model
        states = []
        for seed in (1, 2, 3):
            torch.manual_seed(seed)
            states.append(Generator(cfg).state_dict())
        mean = self._average(states)
        self.assertEqual(set(mean), set(states[0]))
        for k, v in mean.items():
            naive = (states[0][k] + states[1][k] + states[2][k]) / 3 if v.is_floating_point() else states[0][k]
            self.assertTrue(torch.allclose(v, naive, atol=1e-6), k)
        Generator(cfg).load_state_dict(mean)  # loads back into the network

    def test_weighted_mean_gives_each_generator_its_normalised_share(self):
        cfg = preset("smoke").model
        states = []
        for seed in (1, 2):
            torch.manual_seed(seed)
            states.append(Generator(cfg).state_dict())
        mix = self._average(states, [1.0, 3.0])
        for k, v in mix.items():
            naive = 0.25 * states[0][k] + 0.75 * states[1][k] if v.is_floating_point() else states[0][k]
            self.assertTrue(torch.allclose(v, naive, atol=1e-6), k)
        # a zero share leaves that input out
        only_second = self._average(states, [0.0, 2.0])
        self.assertTrue(all(torch.allclose(only_second[k], states[1][k]) for k in states[1]))

    def test_bad_weights_are_refused(self):
        a = {"w": torch.ones(2, 2)}
        for bad in ([1.0], [1.0, 2.0, 3.0], [-1.0, 2.0], [0.0, 0.0], [float("nan"), 1.0]):
            with self.assertRaises(ValueError, msg=str(bad)):
                self._average([a, a], bad)
        with self.assertRaises(ValueError):
            parse_weights("1,half")
        self.assertEqual(parse_weights("1,3"), [1.0, 3.0])

    def test_mismatched_checkpoints_are_refused(self):
        a = {"w": torch.ones(2, 2), "n": torch.tensor(3)}
        with self.assertRaises(ValueError):
            self._average([a, {"w": torch.ones(2, 3), "n": torch.tensor(3)}])   # shape
        with self.assertRaises(ValueError):
            self._average([a, {"w": torch.ones(2, 2)}])                          # tensors
        with self.assertRaises(ValueError):
            self._average([a, {"w": torch.ones(2, 2), "n": torch.tensor(4)}])   # integer tensor differs
        with self.assertRaises(ValueError):
            self._average([])


class ModelCardTest(unittest.TestCase):
    def test_wall_time_of_one_run_is_its_last_logged_clock(self):
        self.assertEqual(wall_seconds([{"wall_s": "20.5"}, {"wall_s": "41"}, {"wall_s": "62"}]), 62)

    def test_wall_time_of_a_run_resumed_in_the_same_folder_adds_both_segments(self):
        # train.py restarts its clock on --resume: 300 s before the stop, then 60 s after it
        rows = [{"wall_s": w} for w in ("100", "200", "300", "20", "40", "60")]
        self.assertEqual(wall_seconds(rows), 360)

    def test_symbolic_spatial_dims_are_written_as_the_working_size_and_the_batch_as_n(self):
        dims = ["N", 3, "Tanhoutput_dim_2", "Tanhoutput_dim_3"]   # an output exported before _pin_output_size
        out = helper.make_tensor_value_info("output", TensorProto.FLOAT, dims)
        self.assertEqual(tensor_entry(out, "RGB", 256)["shape"], ["N", 3, 256, 256])
        fixed = helper.make_tensor_value_info("source", TensorProto.FLOAT, ["batch", 3, 128, 128])
        self.assertEqual(tensor_entry(fixed, "RGB", 256)["shape"], ["N", 3, 128, 128])


class PairedScoresTest(unittest.TestCase):
    HEADER = "engine,source,reference,lips_after,lips_moved,eyes_after,eyes_moved\n"

    def write_csv(self, rows):
        f = tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False)
        f.write(self.HEADER + "".join(rows))
        f.close()
        self.addCleanup(os.remove, f.name)
        return f.name

    def test_pair_score_weights_moved_against_distance_for_the_named_engine_only(self):
        path = self.write_csv(["classical,a,r,0.5,0.9,1.0,0.8\n", "generator,a,r,4.0,0.7,6.0,0.5\n",
                               "generator,b,r,,,,\n", "generator,c,r,NaN,NaN,3.0,0.5\n"])
        # 100 (0.7 + 0.5) - 7.5 (4 + 6) = 120 - 75
        self.assertEqual(pair_scores(path, "generator"), {("a", "r"): 45.0})
        self.assertAlmostEqual(pair_scores(path, "classical")[("a", "r")], 170.0 - 11.25)

    def test_region_parts_are_over_the_pairs_of_the_whole_score_and_add_up_to_it(self):
        path = self.write_csv(["generator,a,r,4.0,0.7,6.0,0.5\n", "generator,c,r,2.0,0.6,NaN,NaN\n"])
        lips = pair_scores(path, "generator", ("lips",))
        eyes = pair_scores(path, "generator", ("eyes",))
        # 100 * 0.7 - 7.5 * 4 and 100 * 0.5 - 7.5 * 6; pair c has no eye measure, so neither part holds it
        self.assertEqual(lips, {("a", "r"): 40.0})
        self.assertEqual(eyes, {("a", "r"): 5.0})
        self.assertEqual(lips[("a", "r")] + eyes[("a", "r")], pair_scores(path, "generator")[("a", "r")])

    def test_a_reference_pattern_keeps_the_pairs_whose_whole_reference_name_matches(self):
        scores = {("a", "10092"): 1.0, ("b", "vFG45"): 2.0, ("c", "00224"): 3.0, ("d", "8ed6f"): 4.0}
        self.assertEqual(with_references(scores, "[0-9]+"), {("a", "10092"): 1.0, ("c", "00224"): 3.0})
        self.assertEqual(with_references(scores, "v.*"), {("b", "vFG45"): 2.0})
        self.assertEqual(with_references(scores, ".*"), scores)

    def test_differences_cover_only_pairs_both_files_hold(self):
        base = {("a", "r"): 10.0, ("b", "r"): 20.0, ("c", "r"): 5.0}
        candidate = {("b", "r"): 25.0, ("a", "r"): 4.0, ("d", "r"): 99.0}
        self.assertEqual(differences(base, candidate), [-6.0, 5.0])

    def test_excluded_pairs_are_those_of_any_engine_in_the_used_file_and_are_dropped_from_the_scores(self):
        used = self.write_csv(["classical,a,r,0.5,0.9,1.0,0.8\n", "generator,c,s,,,,\n"])
        self.assertEqual(pairs_in(used), {("a", "r"), ("c", "s")})
        scores = {("a", "r"): 1.0, ("a", "s"): 2.0, ("c", "s"): 3.0}
        self.assertEqual(without(scores, pairs_in(used)), {("a", "s"): 2.0})

    def test_bootstrap_interval_brackets_the_statistic_and_narrows_with_more_pairs(self):
        rng = np.random.default_rng(3)
        few = list(rng.normal(2.0, 5.0, 30))
        many = list(rng.normal(2.0, 5.0, 600))
        lo, hi = bootstrap_interval(few, lambda v: sum(v) / len(v), 2000, 1)
        self.assertLess(lo, sum(few) / len(few))
        self.assertGreater(hi, sum(few) / len(few))
        lo2, hi2 = bootstrap_interval(many, lambda v: sum(v) / len(v), 2000, 1)
        # the standard error falls as 1/sqrt(n): 20 times the pairs, about 4.5 times narrower
        self.assertLess(hi2 - lo2, (hi - lo) / 3)
        self.assertEqual(bootstrap_interval([1.5] * 10, lambda v: sum(v) / len(v), 200, 1), (1.5, 1.5))


class DegradeReferencesTest(unittest.TestCase):
    GREY = np.full((16, 16, 3), 128, np.uint8)

    def test_each_change_is_the_one_it_names(self):
        out = {kind: change(self.GREY).astype(np.float64) for kind, change in CHANGES.items()}
        self.assertEqual(out["dark"].mean(), int(255 * 0.8 * (128 / 255) ** 1.4))    # 77: 0.30 of full scale
        self.assertGreater(out["warm"][..., 2].mean(), out["warm"][..., 0].mean() + 30)   # BGR: red over blue
        self.assertTrue(np.array_equal(out["blur"], self.GREY.astype(np.float64)))       # a flat photo stays flat
        self.assertGreater(out["noise"].std(), 3)

    def test_the_copy_keeps_every_file_name_and_changes_every_photo(self):
        with tempfile.TemporaryDirectory() as src, tempfile.TemporaryDirectory() as out:
            for name in ("00078.png", "vFG1.png"):
                cv2.imwrite(os.path.join(src, name), self.GREY)
            with open(os.path.join(src, "notes.txt"), "w") as f:
                f.write("not a photo")
            self.assertEqual(degrade_references_main(["--kind", "dark", "--references", src, "--out", out]), 0)
            self.assertEqual(sorted(os.listdir(out)), ["00078.png", "vFG1.png"])
            self.assertLess(float(cv2.imread(os.path.join(out, "vFG1.png")).mean()), 100)


class ExtendPreparedTest(unittest.TestCase):
    @staticmethod
    def face(i):
        return {"id": i, "kind": "helen", "image": "faces/%s.jpg" % i, "labels": "faces/%s.labels.png" % i}

    @staticmethod
    def pair(s, r):
        return {"source": s, "reference": r, "warped": "pairs/%s__%s.jpg" % (s, r),
                "warpedLabels": "pairs/%s__%s.labels.png" % (s, r)}

    def test_every_base_pair_is_kept_and_only_pairs_of_new_faces_are_added(self):
        base = {"size": 256, "faces": [self.face("a"), self.face("m"), self.face("n")], "pairs": [self.pair("a", "m")]}
        # the larger set drew another reference for a, and has a new face b
        extra = {"size": 256, "faces": [self.face("a"), self.face("m"), self.face("n"), self.face("b")],
                 "pairs": [self.pair("a", "n"), self.pair("b", "m"), self.pair("b", "n")]}
        out = extension(base, extra)
        self.assertEqual([f["id"] for f in out["faces"]], ["a", "m", "n", "b"])
        self.assertEqual([(p["source"], p["reference"]) for p in out["pairs"]], [("a", "m"), ("b", "m"), ("b", "n")])
        self.assertEqual(out["size"], 256)

    def test_pairs_with_a_reference_of_a_named_kind_are_added_once_and_others_are_not(self):
        faces = [self.face("a"), self.face("b"), dict(self.face("m"), kind="makeup")]
        base = {"size": 256, "faces": faces, "pairs": [self.pair("a", "m"), self.pair("a", "b")]}
        # the wild-reference set re-drew b's makeup reference (b, m), and drew wild references (a, b) and (b, a)
        extra = {"size": 256, "faces": faces, "pairs": [self.pair("b", "m"), self.pair("a", "b"), self.pair("b", "a")]}
        out = extension(base, extra, frozenset({"helen"}))
        self.assertEqual([(p["source"], p["reference"]) for p in out["pairs"]], [("a", "m"), ("a", "b"), ("b", "a")])
        self.assertEqual(len(extension(base, extra)["pairs"]), 2)   # without the kinds: nothing new

    def test_sets_of_different_crop_sizes_are_refused(self):
        with self.assertRaises(ValueError):
            extension({"size": 256, "faces": [], "pairs": []}, {"size": 128, "faces": [], "pairs": []})


class WeightMeanTest(unittest.TestCase):
    def test_ema_update_matches_the_step_by_step_formula(self):
        cfg = preset("smoke").model
        torch.manual_seed(1)
        ema = Generator(cfg)
        start = {k: v.clone() for k, v in ema.state_dict().items()}
        torch.manual_seed(2)
        model = Generator(cfg)
        decay = 0.9
        ema_update(ema, model, decay)
        ema_update(ema, model, decay)
        target = model.state_dict()
        for name, _ in ema.named_parameters():
            # two updates towards a fixed model: start * d^2 + model * (1 - d^2)
            naive = start[name] * decay ** 2 + target[name] * (1 - decay ** 2)
            self.assertTrue(torch.allclose(ema.state_dict()[name], naive, atol=1e-6), name)

    def test_a_mean_started_at_the_wrong_weights_is_repaired_to_the_one_started_at_the_right_ones(self):
        cfg = preset("smoke").model
        torch.manual_seed(1)
        wrong = Generator(cfg)
        torch.manual_seed(2)
        right = Generator(cfg)
        wrong_start = {k: v.clone() for k, v in wrong.state_dict().items()}
        right_start = {k: v.clone() for k, v in right.state_dict().items()}
        decay = 0.8
        for seed in range(3, 8):          # five updates towards a moving model
            torch.manual_seed(seed)
            model = Generator(cfg)
            ema_update(wrong, model, decay)
            ema_update(right, model, decay)
        repaired = repair_weight_mean(wrong.state_dict(), wrong_start, right_start, 5, decay)
        for k, v in right.state_dict().items():
            self.assertTrue(torch.allclose(repaired[k], v, atol=1e-6), k)
        # the unrepaired mean is measurably elsewhere, so the check above can fail
        self.assertFalse(all(torch.allclose(wrong.state_dict()[k], v, atol=1e-6) for k, v in right.state_dict().items()))

    def test_trainer_keeps_the_mean_only_when_asked(self):
        cfg = preset("smoke")
        cfg.perceptual = "none"
        self.assertIsNone(Trainer(cfg, torch.device("cpu")).G_ema)
        cfg.optim.ema_decay = 0.99
        t = Trainer(cfg, torch.device("cpu"))
        self.assertIsNotNone(t.G_ema)
        self.assertFalse(any(p.requires_grad for p in t.G_ema.parameters()))   # never trained


class OnnxImporterTest(unittest.TestCase):
    """Exports a small NHWC mobile-net-like model (the face-mesh op set: Transpose,
    Conv incl. depthwise with asymmetric padding, PRelu, MaxPool, channel Pad, Add,
    Reshape) with torch.onnx and checks the importer reproduces it, gradients included."""

    class Tiny(nn.Module):
        def __init__(self):
            super().__init__()
            self.c0 = nn.Conv2d(3, 8, 3, 2, 0)
            self.p0 = nn.PReLU(8)
            self.dw = nn.Conv2d(8, 8, 3, 1, 1, groups=8)
            self.pw = nn.Conv2d(8, 8, 1)
            self.p1 = nn.PReLU(8)
            self.pw2 = nn.Conv2d(8, 16, 1)
            self.head = nn.Conv2d(16, 4, 4)

        def forward(self, x):
            x = x.permute(0, 3, 1, 2)
            x = self.p0(self.c0(F.pad(x, (0, 1, 0, 1))))
            x = self.p1(x + self.pw(self.dw(x)))
            x = F.max_pool2d(x, 2)
            x = F.pad(x, (0, 0, 0, 0, 0, 8)) + self.pw2(x)
            return self.head(x).reshape(x.shape[0], -1)

    def test_import_matches_torch(self):
        import importlib.util
        import warnings
        if importlib.util.find_spec("onnx") is None:
            self.skipTest("onnx package not installed")
        from psgan.onnx_import import OnnxGraph
        from psgan.features import OnnxFeatures
        torch.manual_seed(0)
        m = self.Tiny().eval()
        x = torch.rand(1, 16, 16, 3)
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "tiny.onnx")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                torch.onnx.export(m, (x,), p, input_names=["input_1"], output_names=["out"], opset_version=13)
            g = OnnxGraph(p)
            got = g(x)["out"]
            self.assertLess(float((got - m(x)).abs().max()), 1e-5)
            feats = OnnxFeatures(p, strides=(4,))
            img = (torch.rand(1, 3, 32, 32) * 2 - 1).requires_grad_(True)
            f = feats(img)
            self.assertEqual(tuple(f[0].shape), (1, 16, 4, 4))
            f[0].sum().backward()
            self.assertGreater(float(img.grad.abs().sum()), 0)


if __name__ == "__main__":
    unittest.main()
