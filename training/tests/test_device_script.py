"""training/device/train-on-device.sh, run on the CPU with the smoke preset: what it leaves in $OUT must fit what the
device tool brings back (at most 8 files, 16 MiB each, 64 MiB together), and the ONNX files that come back must join
into the exported bytes.

  /usr/bin/python3 -m unittest discover -s training/tests -v
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
for p in (HERE, os.path.join(os.path.dirname(HERE), "tools")):
    if p not in sys.path:
        sys.path.insert(0, p)

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import standin  # noqa: E402
from half_weights import MAX_RELATIVE_ROUNDING, WEIGHTS_ONLY_KEY, half_weights  # noqa: E402
from onnx import numpy_helper  # noqa: E402

REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
SCRIPT = os.path.join(REPO_ROOT, "training", "device", "train-on-device.sh")

# The device tool's limits on what comes back from $OUT (/work/.library/device/README.md, "Limits").
MAX_FILES = 8
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_TOTAL_BYTES = 64 * 1024 * 1024


def _sha256(chunks):
    h = hashlib.sha256()
    for c in chunks:
        h.update(c)
    return h.hexdigest()


class DeviceScriptTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="psgan_device_")
        env = os.environ.get("MAKEUPAPI_PREPARED_DATA")
        cls.data = env if env else standin.build(os.path.join(cls.tmp, "prepared"), n_makeup=2, n_nonmakeup=2)
        cls.default = None     # the run with the default limits, made once by _default_run

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def _script(self, name, **settings):
        """Runs the script with the smoke preset on the CPU, $OUT a new folder `name`; returns (process, $OUT)."""
        out = os.path.join(self.tmp, name)
        os.makedirs(out)
        env = dict(os.environ, OUT=out, TRAIN_DATA=self.data, TRAIN_CONFIG="smoke", TRAIN_DEVICE="cpu",
                   TRAIN_MINUTES="0.01", TRAIN_WORKERS="0", PYTHON=sys.executable, OMP_NUM_THREADS="1",
                   **{k: str(v) for k, v in settings.items()})
        proc = subprocess.run(["bash", SCRIPT], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
        return proc, out

    def _default_run(self):
        if type(self).default is None:
            type(self).default = self._run("default")
        return type(self).default

    def _run(self, name, **limits):
        proc, out = self._script(name, **limits)
        self.assertEqual(proc.returncode, 0, proc.stdout[-3000:] + proc.stderr[-3000:])
        names = sorted(os.listdir(out))
        sizes = {n: os.path.getsize(os.path.join(out, n)) for n in names}
        self.assertLessEqual(len(names), MAX_FILES, names)
        self.assertLessEqual(max(sizes.values()), MAX_FILE_BYTES, sizes)
        self.assertLessEqual(sum(sizes.values()), MAX_TOTAL_BYTES, sizes)
        self.assertIn("train.log", names)
        with tarfile.open(os.path.join(out, "run-files.tar.gz")) as tar:
            members = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}
        self.assertIn("losses.csv", members)
        self.assertIn("run.json", members)
        sums = dict(reversed(line.split()) for line in members["SHA256SUMS"].decode().splitlines())
        with open(os.path.join(out, "train.log")) as f:
            log = f.read()
        return out, names, sums, log

    def _joined_digest(self, out, names, onnx_name):
        parts = sorted(n for n in names if n.startswith(onnx_name + ".part-"))
        chunks = []
        for p in parts or [onnx_name]:
            with open(os.path.join(out, p), "rb") as f:
                chunks.append(f.read())
        return len(parts), _sha256(chunks)

    def test_with_the_default_limits_both_small_exports_come_back_whole(self):
        out, names, sums, _ = self._default_run()
        self.assertEqual(sorted(sums), ["psgan-generator-ema.onnx", "psgan-generator.onnx"])
        for onnx_name, digest in sums.items():
            self.assertEqual(self._joined_digest(out, names, onnx_name), (0, digest), onnx_name)

    def test_parts_join_into_the_exported_files_and_the_mean_comes_first_when_room_runs_out(self):
        ema_bytes = os.path.getsize(os.path.join(self._default_run()[0], "psgan-generator-ema.onnx"))
        # three parts each: both files fit the six places for ONNX parts
        out, names, sums, log = self._run("three", RETURN_PART_BYTES=-(-ema_bytes // 3))
        for onnx_name, digest in sums.items():
            self.assertEqual(self._joined_digest(out, names, onnx_name), (3, digest), onnx_name)
        self.assertNotIn("not brought back", log)
        # six parts for the mean fill the places: G stays behind, and the log says so
        out, names, sums, log = self._run("six", RETURN_PART_BYTES=-(-ema_bytes // 6))
        self.assertEqual(self._joined_digest(out, names, "psgan-generator-ema.onnx"),
                         (6, sums["psgan-generator-ema.onnx"]))
        self.assertFalse([n for n in names if n.startswith("psgan-generator.onnx")], names)
        self.assertIn("not brought back: psgan-generator.onnx", log)

    def test_a_float16_copy_of_the_mean_halves_the_file_and_starts_the_next_run(self):
        full = os.path.join(self._default_run()[0], "psgan-generator-ema.onnx")
        half = os.path.join(self.tmp, "carried-half.onnx")
        converted, kept = half_weights(full, half)
        self.assertGreater(converted, 0)
        # the smoke run is a few steps old: biases that started at zero are still below float16's normal range
        self.assertLess(os.path.getsize(half), 0.6 * os.path.getsize(full))
        a = {t.name: numpy_helper.to_array(t) for t in onnx.load(full).graph.initializer}
        model = onnx.load(half)
        b = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
        self.assertEqual(sorted(a), sorted(b))
        self.assertEqual(sum(v.dtype == np.float16 for v in b.values()), converted)
        self.assertEqual(sum(v.dtype == np.float32 for v in b.values()),
                         sum(v.dtype == np.float32 for v in a.values()) - converted)
        for name, w in a.items():
            if w.dtype == np.float32 and w.size:
                err = np.abs(b[name].astype(np.float32) - w).max()
                self.assertLessEqual(err, MAX_RELATIVE_ROUNDING * np.abs(w).max(), name)
        self.assertIn(WEIGHTS_ONLY_KEY, {p.key for p in model.metadata_props})

        _, _, _, log = self._run("next", TRAIN_INIT=half)
        self.assertIn("generator initialised from %s" % half, log)

    def test_a_missing_init_file_is_refused_before_training(self):
        proc, out = self._script("missing", TRAIN_INIT=os.path.join(self.tmp, "no-such.onnx"))
        self.assertEqual(proc.returncode, 2, proc.stdout + proc.stderr)
        self.assertIn("no-such.onnx missing", proc.stderr)
        self.assertEqual(os.listdir(out), [])

    def test_a_file_over_the_byte_budget_stays_behind_and_the_log_says_so(self):
        out, names, sums, log = self._run("nothing", RETURN_BUDGET_BYTES=1)
        self.assertEqual(sorted(names), ["run-files.tar.gz", "train.log"])
        self.assertEqual(len(sums), 2)
        for onnx_name in sums:
            self.assertIn("not brought back: %s" % onnx_name, log)


if __name__ == "__main__":
    unittest.main()
