#!/usr/bin/env bash
# One device call that trains the generator on a lent GPU and brings the result back.
#
# Run it through the device tool's `run`, from the repository root, carrying the prepared data (git-ignored, ~35 MB;
# the tree that travels is limited to 64 MiB):
#
#   run(command="training/device/train-on-device.sh", carry=["training/prepared"], timeout_s=600)
#
# The call is limited to 10 minutes and a session's device time to 15, machine start included, so the training gets
# TRAIN_MINUTES (default 8) and the export happens after it. What comes back from $OUT is limited too (the device
# tool's README: at most 8 files, 16 MiB each, 64 MiB together), and checkpoints do not fit (a cpu-preset latest.pt is
# ~65-79 MB). So $OUT gets:
#   * train.log, the console log, written as the run goes (it comes back even when the call is killed);
#   * run-files.tar.gz: losses.csv, run.json, SHA256SUMS (of the exported files) and the last sample grid;
#   * the exported generators, each whole or in parts of 15 MiB (join with `cat NAME.onnx.part-* > NAME.onnx`): the
#     running mean of G's weights first (psgan-generator-ema.onnx, what every stage keeps), then G itself
#     (psgan-generator.onnx) while it still fits. The cpu preset's two fp32 files (12 MiB each) both come back; of the
#     full preset's (48 MiB each) only the mean does, and the log says which file stayed behind.
#
# By default it continues the committed cpu-preset model (onnx-models/psgan-generator.onnx, --init-generator), so
# each GPU session adds to the same model. TRAIN_CONFIG=full starts the paper-sized preset from scratch instead, or,
# with TRAIN_INIT, from an earlier session's mean: its fp32 export (48 MiB) cannot travel beside the tracked tree and
# any data, so carry the float16 copy that training/tools/half_weights.py writes (24 MiB) with a data set of at most
# ~19 MiB (training/README.md, GPU machine).
#
# Variables: TRAIN_MINUTES (8), TRAIN_CONFIG (cpu | full; smoke for the script's own test), TRAIN_DATA
# (training/prepared), TRAIN_INIT (an exported generator G starts from; default the committed file for cpu, none for
# full), TRAIN_DEVICE (cuda; cpu only to check this script), TRAIN_BATCH (1, the papers' setting),
# TRAIN_WORKERS (8), TRAIN_EMA (0.999: also export the running mean of G's weights; 0: off), TRAIN_EXTRA (more
# train.py arguments, e.g. "--loss-weight hist_lip=4"), PYTHON (python3, which holds PyTorch on the device machine),
# RETURN_PART_BYTES and RETURN_BUDGET_BYTES (15 MiB and 60 MiB: the part size and the room for the ONNX files, kept
# under the tool's 16 and 64 MiB; the test sets them small).
set -euo pipefail
cd "$(dirname "$0")/../.."

out=${OUT:?OUT must name the folder whose files come back}
minutes=${TRAIN_MINUTES:-8}
config=${TRAIN_CONFIG:-cpu}
device=${TRAIN_DEVICE:-cuda}
batch=${TRAIN_BATCH:-1}
workers=${TRAIN_WORKERS:-8}
ema=${TRAIN_EMA:-0.999}
data=${TRAIN_DATA:-training/prepared}
py=${PYTHON:-python3}
part_bytes=${RETURN_PART_BYTES:-$((15 * 1024 * 1024))}
budget_bytes=${RETURN_BUDGET_BYTES:-$((60 * 1024 * 1024))}
files_left=6     # the tool's 8 files, less train.log and run-files.tar.gz
ckpt=$(mktemp -d)
trap 'rm -rf "$ckpt"' EXIT
export PYTHONUNBUFFERED=1

[ -f "$data/index.json" ] || { echo "$data/index.json missing: carry $data" >&2; exit 2; }
"$py" -c "import torch, cv2, onnx; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"

init_file=${TRAIN_INIT:-}
if [ -z "$init_file" ] && [ "$config" = cpu ]; then
  init_file=onnx-models/psgan-generator.onnx
fi
init=()
if [ -n "$init_file" ]; then
  [ -f "$init_file" ] || { echo "TRAIN_INIT $init_file missing: carry it" >&2; exit 2; }
  init=(--init-generator "$init_file")
fi

# shellcheck disable=SC2086  # TRAIN_EXTRA is a list of arguments
"$py" training/train.py --data "$data" --config "$config" --steps 100000000 --batch-size "$batch" \
  --ckpt-dir "$ckpt" --device "$device" --workers "$workers" --log-every 50 --save-every 100000000 \
  --sample-every 2000 --max-minutes "$minutes" --ema-decay "$ema" "${init[@]}" ${TRAIN_EXTRA:-} \
  --export "$ckpt/psgan-generator.onnx" 2>&1 | tee "$out/train.log"

files=()
for name in psgan-generator-ema psgan-generator; do    # the mean first: it is the file a stage keeps
  file="$ckpt/$name.onnx"
  [ -f "$file" ] || continue     # the -ema file exists when TRAIN_EMA is not 0
  files+=("$name.onnx")
  size=$(stat -c %s "$file")
  parts=$(( (size + part_bytes - 1) / part_bytes ))
  if [ "$size" -gt "$budget_bytes" ] || [ "$parts" -gt "$files_left" ]; then
    echo "not brought back: $name.onnx ($size bytes; room left $budget_bytes bytes in $files_left files)" | tee -a "$out/train.log"
    continue
  fi
  if [ "$parts" -eq 1 ]; then
    cp "$file" "$out/"
  else
    split -b "$part_bytes" -d "$file" "$out/$name.onnx.part-"
  fi
  budget_bytes=$((budget_bytes - size))
  files_left=$((files_left - parts))
done

bundle=("losses.csv" "run.json")
if [ ${#files[@]} -gt 0 ]; then
  (cd "$ckpt" && sha256sum "${files[@]}" > SHA256SUMS && cat SHA256SUMS)
  bundle+=("SHA256SUMS")
fi
last_sample=$(cd "$ckpt" && ls samples/*.png 2>/dev/null | tail -n 1 || true)
[ -n "$last_sample" ] && bundle+=("$last_sample")
tar -czf "$out/run-files.tar.gz" -C "$ckpt" "${bundle[@]}"
ls -l "$out"
