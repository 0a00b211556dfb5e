#!/usr/bin/env python3
"""Train the PSGAN-style makeup transfer generator (no AMM) on a prepared-data folder.

  python3 training/train.py --data PREPARED --steps 200000 --ckpt-dir training/runs/main --resume

`--steps` is the total step count: with --resume the run continues from the saved step
up to it. See training/README.md.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import os
import signal
import sys
import time
from typing import Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import torch  # noqa: E402
from torch.utils.data import DataLoader  # noqa: E402

from psgan.config import Config, preset  # noqa: E402
from psgan.data import PreparedDataset  # noqa: E402
from psgan.device import configure_threads, select_device, torch_load  # noqa: E402
from psgan.export import ema_metadata, export_generator, verify_export  # noqa: E402
from psgan.trainer import LOSS_KEYS, Trainer  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="prepared-data folder with index.json")
    p.add_argument("--steps", type=int, required=True, help="total training steps (including resumed ones)")
    p.add_argument("--batch-size", type=int, default=1, help="PSGAN uses 1")
    p.add_argument("--lr", type=float, default=None, help="learning rate for G and D (default 2e-4)")
    p.add_argument("--lr-d", type=float, default=None, help="separate D learning rate")
    p.add_argument("--decay-from", type=int, default=None, help="linear lr decay to 0 from this step")
    p.add_argument("--ema-decay", type=float, default=None,
                   help="keep an exponential moving average of G's weights (e.g. 0.999; 0: off); with an export, "
                        "the mean is exported too, next to it as NAME-ema.onnx")
    p.add_argument("--config", default="full", choices=["full", "cpu", "smoke"], help="model preset")
    p.add_argument("--loss-weight", action="append", default=[], metavar="NAME=VALUE",
                   help="override one LossConfig weight, e.g. hist_lip=4 (repeatable; recorded in run.json)")
    p.add_argument("--perceptual", default=None,
                   help="auto | facemesh[:path] | onnx:path | random-vgg | none (default auto)")
    p.add_argument("--ckpt-dir", default=os.path.join(HERE, "checkpoints", "default"))
    p.add_argument("--resume", nargs="?", const="auto", default=None,
                   help="resume from CKPT_DIR/latest.pt (or the given checkpoint file)")
    p.add_argument("--init-generator", default=None,
                   help="when not resuming: start G from this exported ONNX generator (same preset); its step count "
                        "carries on, the discriminators and optimisers start fresh")
    p.add_argument("--d-warmup", type=int, default=0, metavar="N",
                   help="with --init-generator: first train the fresh discriminators alone for N steps against the "
                        "file's outputs (G frozen, not counted as steps)")
    p.add_argument("--g-from-mean", action="store_true",
                   help="with --resume: G restarts from the checkpoint's weight mean (Trainer.restart_generator_from_mean)")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N")
    p.add_argument("--workers", type=int, default=2, help="DataLoader worker processes")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-augment", action="store_true")
    p.add_argument("--source-jitter", type=float, default=0.0, metavar="A",
                   help="also jitter the source photo's colour (brightness, contrast, saturation in 1 +- A, "
                        "channel gains in 1 +- A/3); 0: off")
    p.add_argument("--reference-jitter", type=float, default=0.05, metavar="A",
                   help="jitter the reference's brightness, contrast and saturation in 1 +- A, warped and original "
                        "reference alike (default 0.05, as every stage before 43)")
    p.add_argument("--reference-white-balance", type=float, default=0.0, metavar="G",
                   help="with that jitter, a gain per RGB channel of the reference in 1 +- G; 0: off")
    p.add_argument("--reference-recolour", type=float, default=0.0, metavar="DEG",
                   help="turn the hue of the reference's lips and, apart, of its eye-shadow band (each for half of "
                        "the pairs) by up to DEG degrees, saturation by up to 20%%, on the warped and the original "
                        "reference alike; 0: off")
    p.add_argument("--repeat-references", action="append", default=[], metavar="PATTERN=K",
                   help="list each pair whose reference id (e.g. mk_10005) matches the regular expression PATTERN as "
                        "a whole K times, so it is drawn K times as often (repeatable; the largest K applies)")
    p.add_argument("--log-every", type=int, default=10, help="append mean losses to losses.csv every N steps")
    p.add_argument("--save-every", type=int, default=500, help="write latest.pt every N steps")
    p.add_argument("--keep-every", type=int, default=0, help="also keep step_N.pt every N steps (0: off)")
    p.add_argument("--sample-every", type=int, default=0, help="write samples/step_N.png every N steps")
    p.add_argument("--max-minutes", type=float, default=0, help="stop (and save) after this wall time")
    p.add_argument("--export", default=None, help="ONNX path written at the end (default CKPT_DIR/generator.onnx)")
    p.add_argument("--no-export", action="store_true")
    p.add_argument("--opset", type=int, default=13)
    return p.parse_args(argv)


def apply_loss_weight(cfg: Config, item: str) -> None:
    """NAME=VALUE on the command line -> cfg.loss.NAME = VALUE. Only existing float weights; a typo is an error, not
    a silently ignored setting."""
    name, sep, value = item.partition("=")
    current = getattr(cfg.loss, name, None)
    if not sep or not isinstance(current, float):
        raise SystemExit("--loss-weight %r: expected NAME=VALUE with NAME one of %s" % (
            item, ", ".join(k for k, v in vars(cfg.loss).items() if isinstance(v, float))))
    try:
        setattr(cfg.loss, name, float(value))
    except ValueError:
        raise SystemExit("--loss-weight %r: %r is not a number" % (item, value))


def parse_repeat(item: str) -> Tuple[str, int]:
    """PATTERN=K of --repeat-references; the last '=' splits, so a pattern may hold one."""
    pattern, sep, count = item.rpartition("=")
    try:
        k = int(count)
    except ValueError:
        k = 0
    if not sep or not pattern or k < 1:
        raise SystemExit("--repeat-references %r: expected PATTERN=K with K a whole number >= 1" % item)
    return pattern, k


def infinite_batches(ds, batch_size, workers, seed, device, start_epoch):
    epoch = start_epoch
    g = torch.Generator()
    while True:
        ds.set_epoch(epoch)
        g.manual_seed(seed * 7919 + epoch)
        dl = DataLoader(ds, batch_size=batch_size, shuffle=True, drop_last=len(ds) >= batch_size,
                        num_workers=workers, generator=g, pin_memory=device.type == "cuda")
        for batch in dl:
            yield batch
        epoch += 1


def main(argv=None) -> int:
    args = parse_args(argv)
    device = select_device(args.device)
    configure_threads(device)
    torch.manual_seed(args.seed)
    os.makedirs(args.ckpt_dir, exist_ok=True)

    resume_path = None
    if args.resume:
        resume_path = os.path.join(args.ckpt_dir, "latest.pt") if args.resume == "auto" else args.resume
        if not os.path.exists(resume_path):
            if args.resume != "auto":
                raise SystemExit("checkpoint not found: %s" % resume_path)
            print("no checkpoint at %s, starting fresh" % resume_path)
            resume_path = None

    # refused before the data and the networks are loaded
    if args.d_warmup < 0:
        raise SystemExit("--d-warmup must be >= 0")
    if args.d_warmup and not (args.init_generator and not resume_path):
        raise SystemExit("--d-warmup needs --init-generator (a resumed checkpoint has its trained discriminators)")
    if args.g_from_mean and not resume_path:
        raise SystemExit("--g-from-mean needs --resume (the checkpoint's weight mean becomes G)")

    if resume_path:
        saved = torch_load(resume_path, map_location="cpu")
        cfg = Config.from_dict(saved["config"])
        if cfg.name != args.config:
            print("note: using the checkpoint's config %r (not --config %r)" % (cfg.name, args.config))
        del saved
    else:
        cfg = preset(args.config)
    if args.lr is not None:
        cfg.optim.lr_g = cfg.optim.lr_d = args.lr
    if args.lr_d is not None:
        cfg.optim.lr_d = args.lr_d
    if args.decay_from is not None:
        cfg.optim.decay_from = args.decay_from
    if args.ema_decay is not None:
        if not 0 <= args.ema_decay < 1:
            raise SystemExit("--ema-decay must be in [0, 1)")
        cfg.optim.ema_decay = args.ema_decay
    if args.g_from_mean and cfg.optim.ema_decay <= 0:   # before the data is loaded, like the checks above
        raise SystemExit("--g-from-mean: the run keeps no weight mean (--ema-decay is 0)")
    if args.perceptual is not None:
        cfg.perceptual = args.perceptual
    for item in args.loss_weight:
        apply_loss_weight(cfg, item)

    try:   # the dataset checks its data and settings (e.g. --source-jitter's range); say so without a traceback
        ds = PreparedDataset(args.data, augment=not args.no_augment, seed=args.seed, source_jitter=args.source_jitter,
                             repeat_references=[parse_repeat(item) for item in args.repeat_references],
                             reference_recolour=args.reference_recolour, jitter=args.reference_jitter,
                             reference_white_balance=args.reference_white_balance)
    except ValueError as e:
        raise SystemExit("training data (%s): %s" % (args.data, e))
    if ds.size != cfg.model.size:
        raise SystemExit("data size %d != model size %d" % (ds.size, cfg.model.size))
    trainer = Trainer(cfg, device)
    trainer.total_steps = args.steps
    if resume_path:
        trainer.load(resume_path)   # lr comes from cfg each step, so a new --lr applies
        print("resumed from %s at step %d" % (resume_path, trainer.step))
        if args.g_from_mean:
            trainer.restart_generator_from_mean()
            print("G restarts from the weight mean of %s" % resume_path)
    elif args.init_generator:
        trainer.init_generator_from_onnx(args.init_generator)
        print("generator initialised from %s (trained %d steps); discriminators and optimisers fresh"
              % (args.init_generator, trainer.step))

    counts = trainer.parameter_counts()
    print("device %s, torch %s, threads %d, pairs %d, config %s" % (
        device, torch.__version__, torch.get_num_threads(), len(ds), cfg.name))
    print("parameters: " + ", ".join("%s=%d" % kv for kv in counts.items()))
    with open(os.path.join(args.ckpt_dir, "run.json"), "w") as f:
        json.dump({"config": cfg.to_dict(), "parameters": counts, "args": vars(args),
                   "perceptual": trainer.P.describe() if trainer.P is not None else None}, f, indent=1)

    log_path = os.path.join(args.ckpt_dir, "losses.csv")
    new_log = not os.path.exists(log_path)
    log_f = open(log_path, "a", newline="")
    writer = csv.writer(log_f)
    if new_log:
        writer.writerow(["step", "wall_s", "steps_per_s", "lr_g"] + LOSS_KEYS)

    stop = {"flag": False}

    def on_signal(signum, frame):
        print("signal %d: saving and stopping after this step" % signum)
        stop["flag"] = True

    old_handlers = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        return _loop(args, cfg, ds, trainer, writer, log_f, stop)
    finally:
        for sig, h in old_handlers.items():
            signal.signal(sig, h)
        log_f.close()


def _past_time_limit(args, t_start: float) -> bool:
    return bool(args.max_minutes) and time.time() - t_start > args.max_minutes * 60


def _warm_up_discriminators(args, trainer, batches, stop, t_start) -> None:
    """--d-warmup: discriminator-only steps before the joint ones (Trainer.discriminator_step says why). They count
    against --max-minutes like every other step."""
    acc = {"d_region": 0.0, "d_global": 0.0}
    n_acc = 0
    t_log = time.time()
    for i in range(1, args.d_warmup + 1):
        if stop["flag"] or _past_time_limit(args, t_start):
            break
        losses = trainer.discriminator_step(next(batches))
        for k in acc:
            acc[k] += losses[k]
        n_acc += 1
        if i % args.log_every == 0 or i == args.d_warmup:
            print("D warm-up %d/%d  %.3f it/s  D region %.3f global %.3f" % (
                i, args.d_warmup, n_acc / max(1e-9, time.time() - t_log), acc["d_region"] / n_acc,
                acc["d_global"] / n_acc), flush=True)
            acc = {k: 0.0 for k in acc}
            n_acc = 0
            t_log = time.time()


def _loop(args, cfg, ds, trainer, writer, log_f, stop) -> int:
    steps_per_epoch = max(1, len(ds) // args.batch_size)
    batches = infinite_batches(ds, args.batch_size, args.workers, args.seed, trainer.device,
                               start_epoch=trainer.step // steps_per_epoch)
    t_start = time.time()
    t_log = time.time()
    acc = {k: 0.0 for k in LOSS_KEYS}
    n_acc = 0
    first_step = trainer.step
    _warm_up_discriminators(args, trainer, batches, stop, t_start)
    while trainer.step < args.steps and not stop["flag"]:
        batch = next(batches)
        losses = trainer.train_step(batch)
        for k in LOSS_KEYS:
            acc[k] += losses.get(k, 0.0)
        n_acc += 1
        bad = [k for k, v in losses.items() if not math.isfinite(v)]
        if bad:
            print("non-finite losses at step %d: %s" % (trainer.step, bad))
        s = trainer.step
        if s % args.log_every == 0 or s == args.steps:
            now = time.time()
            rate = n_acc / max(1e-9, now - t_log)
            row = [s, round(now - t_start, 2), round(rate, 4), trainer.opt_g.param_groups[0]["lr"]]
            row += [round(acc[k] / n_acc, 6) for k in LOSS_KEYS]
            writer.writerow(row)
            log_f.flush()
            print("step %d  %.3f it/s  G %.4f (cyc %.4f per %.4f hist %.3f/%.3f/%.3f mgan %.3f adv %.3f)  "
                  "D region %.3f global %.3f" % (
                      s, rate, acc["g_total"] / n_acc, acc["cyc"] / n_acc, acc["per"] / n_acc,
                      acc["hist_lip"] / n_acc, acc["hist_eye"] / n_acc, acc["hist_skin"] / n_acc,
                      acc["g_mgan"] / n_acc, acc["g_adv"] / n_acc, acc["d_region"] / n_acc,
                      acc["d_global"] / n_acc), flush=True)
            acc = {k: 0.0 for k in LOSS_KEYS}
            n_acc = 0
            t_log = now
        if args.sample_every and s % args.sample_every == 0:
            os.makedirs(os.path.join(args.ckpt_dir, "samples"), exist_ok=True)
            trainer.save_samples(os.path.join(args.ckpt_dir, "samples", "step_%07d.png" % s))
        if s % args.save_every == 0:
            trainer.save(os.path.join(args.ckpt_dir, "latest.pt"))
        if args.keep_every and s % args.keep_every == 0:
            trainer.save(os.path.join(args.ckpt_dir, "step_%07d.pt" % s))
        if _past_time_limit(args, t_start):
            print("time budget reached")
            break
    if trainer.step != first_step or not os.path.exists(os.path.join(args.ckpt_dir, "latest.pt")):
        trainer.save(os.path.join(args.ckpt_dir, "latest.pt"))
    print("saved %s at step %d (%.1f s)" % (os.path.join(args.ckpt_dir, "latest.pt"), trainer.step,
                                            time.time() - t_start))

    if not args.no_export:
        path = args.export or os.path.join(args.ckpt_dir, "generator.onnx")
        exports = [(trainer.G, path, None)]
        if trainer.G_ema is not None:
            exports.append((trainer.G_ema, os.path.splitext(path)[0] + "-ema.onnx", ema_metadata(cfg)))
        for g, out, meta in exports:
            export_generator(g, out, size=cfg.model.size, train_steps=trainer.step, opset=args.opset,
                             extra_meta=meta)
            diff, backend = verify_export(g, out, size=cfg.model.size)
            print("exported %s; max |onnx - torch| = %s (%s)" % (out, diff, backend))
    return 0


if __name__ == "__main__":
    sys.exit(main())
