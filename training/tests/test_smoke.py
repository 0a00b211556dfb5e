"""CPU smoke test: a few training steps on a handful of faces, resume, ONNX export.

  /usr/bin/python3 -m unittest discover -s training/tests -v

Data: the folder named by MAKEUPAPI_PREPARED_DATA (a prepared-data folder, see
training/psgan/data.py), else a tiny stand-in built from the shared photos at
../shared/data (relative to the repository root); fails with a clear message when
neither is there.
"""
from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import shutil
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TRAINING = os.path.dirname(HERE)
for p in (HERE, TRAINING, os.path.join(TRAINING, "tools")):
    if p not in sys.path:
        sys.path.insert(0, p)

import standin  # noqa: E402
import torch  # noqa: E402
import train  # noqa: E402
from psgan.device import torch_load  # noqa: E402
from psgan.export import INPUTS, OUTPUT, read_metadata  # noqa: E402


def _read_log(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


class SmokeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="psgan_smoke_")
        env = os.environ.get("MAKEUPAPI_PREPARED_DATA")
        if env:
            if not os.path.exists(os.path.join(env, "index.json")):
                raise RuntimeError("MAKEUPAPI_PREPARED_DATA=%s has no index.json" % env)
            cls.data = env
        else:
            # raises FileNotFoundError naming ../shared/data when the photos are missing
            cls.data = standin.build(os.path.join(cls.tmp, "prepared"), n_makeup=2, n_nonmakeup=2)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def _train(self, *extra):
        out = io.StringIO()
        args = ["--data", self.data, "--config", "smoke", "--device", "cpu", "--batch-size", "1",
                "--workers", "0", "--log-every", "1", "--ckpt-dir", self.ckpt, "--seed", "0"] + list(extra)
        with contextlib.redirect_stdout(out):
            rc = train.main(args)
        self.assertEqual(rc, 0, out.getvalue())
        return out.getvalue()

    def test_train_resume_export(self):
        t0 = time.time()
        self.ckpt = os.path.join(self.tmp, "ckpt")
        self._train("--steps", "4", "--save-every", "2", "--no-export")
        rows = _read_log(os.path.join(self.ckpt, "losses.csv"))
        self.assertEqual([int(r["step"]) for r in rows], [1, 2, 3, 4])
        for r in rows:
            for k, v in r.items():
                self.assertTrue(math.isfinite(float(v)), "%s=%s at step %s" % (k, v, r["step"]))
        g = [float(r["g_total"]) for r in rows]
        self.assertGreater(max(g) - min(g), 1e-4, "generator loss did not move: %s" % g)
        self.assertGreater(float(rows[0]["g_total"]), 0)
        d = [float(r["d_region"]) for r in rows]
        self.assertGreater(max(d) - min(d), 1e-5, "makeup GAN loss did not move: %s" % d)

        # resume from latest.pt up to 6 steps, now keeping a weight mean (which starts at the resumed G), export
        onnx_path = os.path.join(self.tmp, "generator.onnx")
        log = self._train("--steps", "6", "--resume", "--export", onnx_path, "--ema-decay", "0.5")
        self.assertIn("resumed from", log)
        self.assertIn("no weight mean; it starts from its generator", log)
        rows = _read_log(os.path.join(self.ckpt, "losses.csv"))
        self.assertEqual([int(r["step"]) for r in rows], [1, 2, 3, 4, 5, 6])
        self.assertEqual(torch_load(os.path.join(self.ckpt, "latest.pt"))["step"], 6)

        import onnx
        model = onnx.load(onnx_path)
        onnx.checker.check_model(model)
        self.assertEqual([i.name for i in model.graph.input], list(INPUTS))
        self.assertEqual([o.name for o in model.graph.output], [OUTPUT])
        for i in model.graph.input:
            dims = [d.dim_value or d.dim_param for d in i.type.tensor_type.shape.dim]
            self.assertEqual(dims[1:], [3, 256, 256])
        self.assertTrue(13 <= model.opset_import[0].version <= 17)
        meta = read_metadata(onnx_path)
        self.assertEqual(meta["makeupapi.model"], "psgan-generator")
        self.assertEqual(meta["makeupapi.size"], "256")
        self.assertEqual(meta["makeupapi.input_range"], "-1,1")
        self.assertEqual(meta["makeupapi.color_order"], "RGB")
        self.assertEqual(meta["makeupapi.train_steps"], "6")
        line = [ln for ln in log.splitlines() if ln.startswith("exported")][0]
        diff = line.split("=")[1].split("(")[0].strip()
        if diff != "None":      # a runtime was available to run the ONNX file
            self.assertLess(float(diff), 1e-3, line)
        # the weight mean is saved, differs from G after two steps, and is exported beside G with its decay
        saved = torch_load(os.path.join(self.ckpt, "latest.pt"))
        self.assertEqual(set(saved["G_ema"]), set(saved["G"]))
        self.assertTrue(any(not torch.equal(saved["G_ema"][k], saved["G"][k]) for k in saved["G"]))
        ema_meta = read_metadata(os.path.join(self.tmp, "generator-ema.onnx"))
        self.assertEqual((ema_meta["makeupapi.ema_decay"], ema_meta["makeupapi.train_steps"]), ("0.5", "6"))
        self.assertNotIn("makeupapi.ema_decay", meta)

        # a fresh run can start its generator from the export (when a checkpoint is lost): same weights, step 6 on
        saved_g = torch_load(os.path.join(self.ckpt, "latest.pt"))["G"]
        self.ckpt = os.path.join(self.tmp, "from-onnx")
        log = self._train("--steps", "7", "--init-generator", onnx_path, "--no-export", "--ema-decay", "0.5")
        self.assertIn("generator initialised from", log)
        self.assertEqual([int(r["step"]) for r in _read_log(os.path.join(self.ckpt, "losses.csv"))], [7])
        # its weight mean starts at the exported weights, not at the random ones G was built with: after one step
        # at decay 0.5 it is halfway between the export and the trained G
        step7 = torch_load(os.path.join(self.ckpt, "latest.pt"))
        for k, v in step7["G_ema"].items():
            self.assertTrue(torch.allclose(v, 0.5 * saved_g[k] + 0.5 * step7["G"][k], atol=1e-6), k)
        from psgan.config import preset
        from psgan.networks import Generator
        from psgan.trainer import generator_weights_from_onnx
        fresh = Generator(preset("smoke").model)
        self.assertEqual(generator_weights_from_onnx(fresh, onnx_path), 6)
        for k, v in fresh.state_dict().items():
            self.assertTrue(torch.equal(v, saved_g[k]), k)
        with self.assertRaises(ValueError):
            generator_weights_from_onnx(Generator(preset("cpu").model), onnx_path)

        # a mean of the two branches' weight means (tools/average_generators.py --ema) exports those means' average
        import average_generators
        soup_path = os.path.join(self.tmp, "soup.onnx")
        branches = [os.path.join(self.tmp, "ckpt", "latest.pt"), os.path.join(self.ckpt, "latest.pt")]
        with contextlib.redirect_stdout(io.StringIO()):
            self.assertEqual(average_generators.main(["--ema", "--no-verify", "--out", soup_path] + branches), 0)
        soup_meta = read_metadata(soup_path)
        self.assertEqual((soup_meta["makeupapi.averaged_steps"], soup_meta["makeupapi.averaged_weights"]), ("6,7", "ema"))
        soup = Generator(preset("smoke").model)
        self.assertEqual(generator_weights_from_onnx(soup, soup_path), 7)
        means = [torch_load(b)["G_ema"] for b in branches]
        for k, v in soup.state_dict().items():
            self.assertTrue(torch.allclose(v, (means[0][k] + means[1][k]) / 2, atol=1e-6), k)

        # WiSE-FT's mixture of an exported start (no checkpoint needed) and a fine-tune of it, in unequal shares
        mix_path = os.path.join(self.tmp, "mix.onnx")
        with contextlib.redirect_stdout(io.StringIO()):
            self.assertEqual(average_generators.main(["--ema", "--no-verify", "--weights", "1,3", "--out", mix_path,
                                                      onnx_path, branches[1]]), 0)
        mix_meta = read_metadata(mix_path)
        self.assertEqual((mix_meta["makeupapi.averaged_steps"], mix_meta["makeupapi.averaged_shares"]), ("6,7", "0.25,0.75"))
        with self.assertRaises(SystemExit), contextlib.redirect_stderr(io.StringIO()):   # no config without a .pt
            average_generators.main(["--no-verify", "--out", mix_path, onnx_path, onnx_path])
        mix = Generator(preset("smoke").model)
        generator_weights_from_onnx(mix, mix_path)
        for k, v in mix.state_dict().items():
            self.assertTrue(torch.allclose(v, 0.25 * saved_g[k] + 0.75 * means[1][k], atol=1e-6), k)
        # and its model card says what was mixed, in which shares
        import model_card
        card_path = os.path.join(self.tmp, "card.json")
        with contextlib.redirect_stdout(io.StringIO()):
            model_card.main(["--onnx", mix_path, "--ckpt-dir", self.ckpt, "--card", card_path, "--command", "smoke",
                             "--device", "cpu", "--status", "UNDERTRAINED: smoke test"])
        with open(card_path) as f:
            weights = json.load(f)["training"]["stages"][-1]["weights"]
        self.assertEqual(weights, "mean of the weight means at steps 6, 7 in shares 0.25, 0.75")

        # tests/run-all.sh hands this export to the C# suite, which loads and runs it in GeneratorMakeupEngine.
        keep = os.environ.get("MAKEUPAPI_SMOKE_EXPORT")
        if keep:
            shutil.copyfile(onnx_path, keep)
        print("\nsmoke: %.1f s, %s" % (time.time() - t0, line), file=sys.stderr)

    def test_discriminator_warm_up_trains_only_the_discriminators(self):
        from psgan.config import preset
        from psgan.data import PreparedDataset
        from psgan.export import export_generator
        from psgan.trainer import Trainer

        cfg = preset("smoke")
        cfg.perceptual = "none"
        cfg.optim.ema_decay = 0.5
        torch.manual_seed(3)
        onnx_path = os.path.join(self.tmp, "warm-up-start.onnx")
        export_generator(Trainer(cfg, torch.device("cpu")).G, onnx_path, size=256, train_steps=40)

        trainer = Trainer(cfg, torch.device("cpu"))
        trainer.init_generator_from_onnx(onnx_path)
        batch = {k: v.unsqueeze(0) for k, v in PreparedDataset(self.data, augment=False)[0].items()}
        g_before = {k: v.clone() for k, v in trainer.G.state_dict().items()}
        mean_before = {k: v.clone() for k, v in trainer.G_ema.state_dict().items()}
        d_before = [p.detach().clone() for p in trainer.MG.parameters()] + \
            [p.detach().clone() for p in trainer.DG.parameters()]
        losses = trainer.discriminator_step(batch)
        self.assertTrue(math.isfinite(losses["d_region"]) and math.isfinite(losses["d_global"]), losses)
        self.assertEqual(trainer.step, 40)
        for k, v in trainer.G.state_dict().items():
            self.assertTrue(torch.equal(v, g_before[k]), k)
        for k, v in trainer.G_ema.state_dict().items():
            self.assertTrue(torch.equal(v, mean_before[k]), k)
        d_after = list(trainer.MG.parameters()) + list(trainer.DG.parameters())
        self.assertTrue(any(not torch.equal(a, b) for a, b in zip(d_after, d_before)), "no discriminator weight moved")
        self.assertTrue(all(p.requires_grad for p in trainer.G.parameters()), "G left frozen for the joint steps")

        # on the command line: warm-up steps are not counted as training steps; without --init-generator it is refused
        self.ckpt = os.path.join(self.tmp, "warm-up")
        log = self._train("--steps", "41", "--init-generator", onnx_path, "--d-warmup", "2", "--no-export")
        self.assertIn("D warm-up 2/2", log)
        self.assertEqual([int(r["step"]) for r in _read_log(os.path.join(self.ckpt, "losses.csv"))], [41])
        with self.assertRaises(SystemExit):
            self._train("--steps", "42", "--resume", "--d-warmup", "2", "--no-export")

    def _smoke_config_and_batch(self, seed, adjust):
        """The smoke preset without perceptual network, changed by adjust(cfg), and the first prepared pair as a batch
        of one; the seed is set before the batch, so that a Trainer made next starts from the same weights each run."""
        from psgan.config import preset
        from psgan.data import PreparedDataset

        cfg = preset("smoke")
        cfg.perceptual = "none"
        adjust(cfg)
        torch.manual_seed(seed)
        return cfg, {k: v.unsqueeze(0) for k, v in PreparedDataset(self.data, augment=False)[0].items()}

    def test_a_wild_reference_pair_at_adversarial_weight_zero_leaves_the_discriminators_alone(self):
        from psgan.trainer import Trainer

        cfg, batch = self._smoke_config_and_batch(5, lambda c: setattr(c.loss, "adv_wild", 0.0))
        trainer = Trainer(cfg, torch.device("cpu"))

        def discriminator_weights():
            return [p.detach().clone() for p in list(trainer.MG.parameters()) + list(trainer.DG.parameters())]

        batch["ref_wild"] = torch.tensor([True])
        d_before, g_before = discriminator_weights(), [p.detach().clone() for p in trainer.G.parameters()]
        losses = trainer.train_step(batch)
        self.assertEqual((losses["g_adv"], losses["g_mgan"], losses["d_region"], losses["d_global"]), (0.0,) * 4)
        self.assertTrue(all(torch.equal(a, b) for a, b in zip(discriminator_weights(), d_before)))
        self.assertTrue(any(not torch.equal(a, b) for a, b in zip(trainer.G.parameters(), g_before)),
                        "the content losses must still train G")

        batch["ref_wild"] = torch.tensor([False])   # the same pair with a reference from the makeup set plays
        losses = trainer.train_step(batch)
        self.assertGreater(losses["g_mgan"], 0)
        self.assertTrue(any(not torch.equal(a, b) for a, b in zip(discriminator_weights(), d_before)))

    def test_resume_with_g_from_mean_starts_the_generator_at_the_weight_mean(self):
        from psgan.trainer import Trainer

        cfg, batch = self._smoke_config_and_batch(4, lambda c: setattr(c.optim, "ema_decay", 0.5))
        first = Trainer(cfg, torch.device("cpu"))
        first.train_step(batch)
        mean = {k: v.clone() for k, v in first.G_ema.state_dict().items()}
        self.assertTrue(any(not torch.equal(v, mean[k]) for k, v in first.G.state_dict().items()),
                        "one step left G equal to its mean: the test would prove nothing")
        path = os.path.join(self.tmp, "g-from-mean.pt")
        first.save(path)

        resumed = Trainer(cfg, torch.device("cpu"))
        resumed.load(path)
        resumed.restart_generator_from_mean()
        for k, v in resumed.G.state_dict().items():
            self.assertTrue(torch.equal(v, mean[k]), k)
        for k, v in resumed.G_ema.state_dict().items():
            self.assertTrue(torch.equal(v, mean[k]), k)
        for a, b in zip(resumed.MG.parameters(), first.MG.parameters()):
            self.assertTrue(torch.equal(a, b), "the discriminators must carry on unchanged")
        self.assertEqual(resumed.step, 1)

        # on the command line: it needs --resume, and says what it did
        self.ckpt = os.path.join(self.tmp, "g-from-mean")
        with self.assertRaises(SystemExit):
            self._train("--steps", "2", "--g-from-mean", "--no-export")
        os.makedirs(self.ckpt, exist_ok=True)
        shutil.copy(path, os.path.join(self.ckpt, "latest.pt"))
        log = self._train("--steps", "2", "--resume", "--g-from-mean", "--ema-decay", "0.5", "--no-export")
        self.assertIn("G restarts from the weight mean", log)


if __name__ == "__main__":
    unittest.main()
