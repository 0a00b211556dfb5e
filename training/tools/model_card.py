"""Writes the generator's model card (onnx-models/psgan-generator.json) after a training stage.

    /usr/bin/python3 training/tools/model_card.py --onnx onnx-models/psgan-generator.onnx \
        --ckpt-dir training/checkpoints/cpu --card onnx-models/psgan-generator.json \
        --command "..." --device "..." --status "UNDERTRAINED: ..."

The card keeps the stages already listed in the existing card (a model trained over several sessions has one stage
per session) and appends this one. When the new file descends from stages that earlier files skipped, one call per
stage adds them in order (--end-step for each but the last), after --redo-last if the first of them continues the run
that the previous file was taken from. Each stage is read from the run's own files: run.json (preset, parameter
counts) and losses.csv (first and last logged losses, steps, wall time). Inputs, outputs, step count and sha256 come
from the ONNX file. The status line is the caller's judgement and is required: an undertrained model must say so.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os

import onnx

LOSSES = ["g_total", "cyc", "per", "hist_lip", "hist_eye", "hist_skin", "g_mgan", "d_region", "d_global"]
DATA = ("makeupapi-cli prepare-training-data (defaults): 258 faces (55 makeup, 43 bare, 100 HELEN, 60 FASSEG "
        "|yaw|<=45) and 984 pairs, aligned 256x256 crops, parser labels, pose-corrected references, from ../shared/data; "
        "a stage with its own 'data' entry trained on that instead")
LICENCE = ("trained in this repository; training photos CC BY-NC-SA 4.0 (CSD-MT, SSAT, SHMT), BeautyGAN set (no licence "
           "stated), HELEN and FASSEG (research use): non-commercial use only")


def _mean_rows(rows, keys):
    return {k: round(sum(float(r[k]) for r in rows) / len(rows), 4) for k in keys}


def tensor_entry(value_info, normalisation, size):
    """A card entry for an NCHW tensor. The batch dimension is dynamic ("N"). Files exported before the exporter wrote
    the output's size (psgan/export.py, _pin_output_size) have a symbolic height and width there (names such as
    'Tanhoutput_dim_2'); the generator maps a size x size input to a size x size output, so such a dimension is
    written as the working size. Newer files carry the size themselves."""
    dims = [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]
    shape = [d if isinstance(d, int) else "N" if i == 0 else size for i, d in enumerate(dims)]
    return {"name": value_info.name, "shape": shape, "dtype": "float32", "layout": "NCHW",
            "normalisation": normalisation}


def wall_seconds(rows):
    """Wall time of the logged rows. train.py restarts its clock when a run is resumed into the same folder, so a
    stage stopped and resumed there (e.g. to change its schedule) logs several segments: each ends where the clock
    falls back, and the stage's time is the sum of their last values."""
    total, last = 0.0, 0.0
    for r in rows:
        wall = float(r["wall_s"])
        if wall < last:
            total += last
        last = wall
    return total + last


def stage(ckpt_dir, start_step, end_step, command, device, export_check, loss_config):
    with open(os.path.join(ckpt_dir, "losses.csv"), newline="") as f:
        # only the steps that led to the file: when an earlier checkpoint of the run is kept, the later rows are not
        # part of its training
        rows = [r for r in csv.DictReader(f) if int(r["step"]) <= end_step]
    if not rows:
        raise SystemExit("no logged steps in %s" % ckpt_dir)
    return {
        "command": command,
        "device": device,
        "steps": [start_step, end_step],
        "wall_seconds": round(wall_seconds(rows)),
        # the loss settings this stage trained with (train.py --loss-weight can change them between stages)
        "loss_settings": {k: v for k, v in loss_config.items() if isinstance(v, float)},
        "losses_first_5_logged_mean": _mean_rows(rows[:5], LOSSES),
        "losses_last_5_logged_mean": _mean_rows(rows[-5:], LOSSES),
        "export_check": export_check,
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--onnx", required=True)
    p.add_argument("--ckpt-dir", required=True, help="the stage's folder: run.json and losses.csv")
    p.add_argument("--card", required=True, help="card to extend (read if it exists) and write")
    p.add_argument("--command", required=True, help="the training command as run")
    p.add_argument("--device", required=True, help="where it ran, in words")
    p.add_argument("--status", required=True, help="e.g. 'UNDERTRAINED: ...'")
    p.add_argument("--export-check", default="", help="train.py's 'max |onnx - torch|' line")
    p.add_argument("--data", default=None,
                   help="this stage's training data, in words, when it is not the default prepared set")
    p.add_argument("--end-step", type=int, default=None,
                   help="this stage ends before the file's step: an earlier stage of the file's lineage, added one "
                        "call per stage (default: the file's step)")
    p.add_argument("--redo-last", action="store_true",
                   help="drop the card's last stage before adding this one: the new file comes from further along "
                        "the run whose earlier checkpoint the previous file was")
    args = p.parse_args(argv)

    model = onnx.load(args.onnx)
    meta = {m.key: m.value for m in model.metadata_props}
    with open(args.onnx, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    with open(os.path.join(args.ckpt_dir, "run.json")) as f:
        run = json.load(f)
    previous = {}
    if os.path.exists(args.card):
        with open(args.card) as f:
            previous = json.load(f)
    stages = previous.get("training", {}).get("stages", [])
    if args.redo_last:
        if not stages:
            raise SystemExit("--redo-last: the card lists no stage")
        stages.pop()
    # A stage starts where the one before it ended (train.py --resume or --init-generator carry the step count on).
    # It ends at the exported step; losses.csv is written every --log-every steps, so its last row may be a few before.
    file_step = int(meta["makeupapi.train_steps"])
    end_step = file_step if args.end_step is None else args.end_step
    if end_step > file_step:
        raise SystemExit("--end-step %d is past the file's step %d" % (end_step, file_step))
    this = stage(args.ckpt_dir, stages[-1]["steps"][1] if stages else 0, end_step, args.command, args.device,
                 args.export_check, run["config"]["loss"])
    if end_step == file_step:
        # the file's own weights (an average, a running mean) describe only the stage that ends at the file's step
        if "makeupapi.averaged_steps" in meta:
            # written by tools/average_generators.py: the file is the mean of these checkpoints' generators, or with
            # --ema of their weight means
            what = "weight means" if meta.get("makeupapi.averaged_weights") == "ema" else "generators"
            this["weights"] = "mean of the %s at steps %s" % (what, meta["makeupapi.averaged_steps"].replace(",", ", "))
            if "makeupapi.averaged_shares" in meta:   # average_generators.py --weights
                this["weights"] += " in shares %s" % meta["makeupapi.averaged_shares"].replace(",", ", ")
        if "makeupapi.ema_decay" in meta:
            # train.py --ema-decay / export_onnx.py --ema: the file is the running mean, not the trained generator
            this["weights"] = ("exponential moving average of the generator's weights, decay "
                               + meta["makeupapi.ema_decay"])
    if args.data:
        this["data"] = args.data
    stages.append(this)

    cfg = run["config"]
    params = run["parameters"]["generator"]
    size = int(meta["makeupapi.size"])
    card = {
        "name": "psgan-generator",
        "file": os.path.basename(args.onnx),
        "sha256": sha,
        "status": args.status,
        "precision": "fp32",
        "architecture": "improved PSGAN generator without AMM (training/psgan/networks.py), preset '%s' (g_ch %d), "
                        "%.2f M parameters" % (cfg["name"], cfg["model"]["g_ch"], params / 1e6),
        "inputs": [tensor_entry(model.graph.input[0], "RGB, x = pixel / 127.5 - 1", size),
                   tensor_entry(model.graph.input[1], "RGB, x = pixel / 127.5 - 1; the reference warped onto the "
                                "source's geometry", size)],
        "outputs": [tensor_entry(model.graph.output[0], "RGB in [-1, 1]", size)],
        "training": {"data": DATA, "total_steps": file_step, "batch_size": 1,
                     "stages": stages},
        "licence": LICENCE,
    }
    with open(args.card, "w") as f:
        json.dump(card, f, indent=1)
        f.write("\n")
    print("wrote %s (%d steps, sha256 %s)" % (args.card, card["training"]["total_steps"], sha[:12]))


if __name__ == "__main__":
    main()
