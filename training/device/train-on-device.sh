#!/usr/bin/env bash
# One device call that trains the generator on a lent GPU and brings the result back.
#
# Run it through the device tool's `run`, from the repository root, carrying the prepared data (git-ignored, ~35 MB;
# the tree that travels is limited to 64 MiB):
#
#   run(command="training/device/train-on-device.sh", carry=["training/prepared"], timeout_s=600)
#
# The call is limited to 10 minutes and a session's device time to 15, machine start included, so the training gets
# TRAIN_MINUTES (default 8) and the export happens after it. Checkpoints cannot come back (a file back from $OUT is at
# most 16 MiB; a cpu-preset latest.pt is ~65-79 MB), so what comes back is the exported generator, in parts of 15 MiB
# when it is larger (the full preset's fp32 file is ~50 MB), plus the loss log, run.json, the console log and the last
# sample grid. Join the parts here with `cat psgan-generator.onnx.part-* > psgan-generator.onnx`.
#
# By default it continues the committed cpu-preset model (onnx-models/psgan-generator.onnx, --init-generator), so
# each GPU session adds to the same model. TRAIN_CONFIG=full starts the paper-sized preset from scratch instead.
#
# Variables: TRAIN_MINUTES (8), TRAIN_CONFIG (cpu | full), TRAIN_DEVICE (cuda; cpu only to check this script),
# TRAIN_BATCH (1, the papers' setting), TRAIN_WORKERS (8), TRAIN_EMA (0.999: also export the running mean of G's
# weights, as psgan-generator-ema.onnx; 0: off), TRAIN_EXTRA (more train.py arguments, e.g.
# "--loss-weight hist_lip=4"), PYTHON (python3, which holds PyTorch on the device machine).
set -euo pipefail
cd "$(dirname "$0")/../.."

out=${OUT:?OUT must name the folder whose files come back}
minutes=${TRAIN_MINUTES:-8}
config=${TRAIN_CONFIG:-cpu}
device=${TRAIN_DEVICE:-cuda}
batch=${TRAIN_BATCH:-1}
workers=${TRAIN_WORKERS:-8}
ema=${TRAIN_EMA:-0.999}
py=${PYTHON:-python3}
ckpt=$(mktemp -d)
trap 'rm -rf "$ckpt"' EXIT
export PYTHONUNBUFFERED=1

[ -f training/prepared/index.json ] || { echo "training/prepared/index.json missing: carry training/prepared" >&2; exit 2; }
"$py" -c "import torch, cv2, onnx; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"

init=()
if [ "$config" = cpu ]; then
  init=(--init-generator onnx-models/psgan-generator.onnx)
fi

# shellcheck disable=SC2086  # TRAIN_EXTRA is a list of arguments
"$py" training/train.py --data training/prepared --config "$config" --steps 100000000 --batch-size "$batch" \
  --ckpt-dir "$ckpt" --device "$device" --workers "$workers" --log-every 50 --save-every 100000000 \
  --sample-every 2000 --max-minutes "$minutes" --ema-decay "$ema" "${init[@]}" ${TRAIN_EXTRA:-} \
  --export "$ckpt/psgan-generator.onnx" 2>&1 | tee "$out/train.log"

cp "$ckpt/losses.csv" "$ckpt/run.json" "$out/"
last_sample=$(ls "$ckpt"/samples/*.png 2>/dev/null | tail -n 1 || true)
[ -n "$last_sample" ] && cp "$last_sample" "$out/last-sample.png"
for name in psgan-generator psgan-generator-ema; do
  file="$ckpt/$name.onnx"
  [ -f "$file" ] || continue     # the -ema file exists when TRAIN_EMA is not 0
  if [ "$(stat -c %s "$file")" -le $((15 * 1024 * 1024)) ]; then
    cp "$file" "$out/"
  else
    split -b 15M -d "$file" "$out/$name.onnx.part-"
  fi
  sha256sum "$file" | tee "$out/$name.onnx.sha256"
done
ls -l "$out"
