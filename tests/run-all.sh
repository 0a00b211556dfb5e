#!/usr/bin/env bash
# Runs every test of the project on a fresh Debian 12 machine: installs what the tests need (system packages for
# OpenCvSharp and the training smoke test, the Node packages of the tfjs reference runner), then the .NET suite
# (units, pipeline on the shared photos, HTTP) and the Python training smoke test. Prints one closing line
# "tests: N passed, M failed" summing both.
set -euo pipefail
cd "$(dirname "$0")/.."

bash deploy/install-deps.sh
# The tests also need: the Python model tooling (onnx, numpy, opencv), PyTorch for the training smoke test, and an
# OpenMP BLAS (without it Debian's torch falls back to the reference BLAS, about 7x slower).
need=()
for pkg in python3-onnx python3-numpy python3-opencv python3-torch libopenblas0-openmp nodejs npm; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
# nodejs may come from elsewhere than Debian (it does on the development machines): a working node is enough.
if command -v node >/dev/null && command -v npm >/dev/null; then
  need=("${need[@]/nodejs}"); need=("${need[@]/npm}")
fi
need=($(printf '%s\n' "${need[@]}" | grep -v '^$' || true))
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# The original tfjs models and face-api's multi-face sample photos, for the equivalence and detection tests.
[ -d tools/tfjs-reference/node_modules/@tensorflow/tfjs ] || npm ci --prefix tools/tfjs-reference --no-audit --no-fund >/dev/null

work=$(mktemp -d)
status=0
dotnet build MakeupApi.sln -c Release -nologo -v q

# Training smoke test (Python): trains a few steps on a small set that the service's own pipeline prepares, exports
# the generator to ONNX; the .NET suite then loads and runs that export (GeneratorMakeupEngineTests).
dotnet run --project src/MakeupApi.Cli -c Release --no-build -- prepare-training-data \
  --out "$work/prepared" --helen 0 --poses 0 --refs 1
py_log="$work/python.log"
MAKEUPAPI_PREPARED_DATA="$work/prepared" MAKEUPAPI_SMOKE_EXPORT="$work/smoke-generator.onnx" \
  /usr/bin/python3 -m unittest discover -s training/tests -v 2>&1 | tee "$py_log" || status=$?
# Counts are read with awk alone: a grep that finds nothing would end the script under set -e -o pipefail.
py_ran=$(awk '/^Ran [0-9]+ test/ {s+=$2} END {print s+0}' "$py_log")
py_failed=$(awk '/^FAILED \(/ { while (match($0, /(failures|errors)=[0-9]+/)) { split(substr($0, RSTART, RLENGTH), a, "="); s+=a[2]; $0=substr($0, RSTART+RLENGTH) } } END {print s+0}' "$py_log")

log="$work/dotnet.log"
MAKEUPAPI_SMOKE_GENERATOR="$work/smoke-generator.onnx" \
  dotnet test MakeupApi.sln -c Release --no-build --blame --results-directory "$work/blame" \
  --logger "console;verbosity=normal" 2>&1 | tee "$log" || status=$?
# dotnet test ends each test project's run with a summary block: "Total tests: 253", "     Passed: 252", "    Failed: 0".
sum_field() { awk -v f="$1" '$0 ~ "^ +" f ": +[0-9]+ *$" {s+=$2} END {print s+0}' "$log"; }
dotnet_passed=$(sum_field Passed)
dotnet_failed=$(sum_field Failed)

# CI shows only the end of this output: repeat each failure there (name, message, the first lines of its trace).
awk '/^  Failed [^ ]/ { p = 1; n = 0; print "FAILED (.NET):" } /^  (Passed|Skipped) / { p = 0 } p && n++ < 25' "$log"
# A test host that dies (a native crash) ends the run without a failed test: --blame names the tests that were running.
awk '!p && /test run was aborted|Test Run Aborted/ { p = 1; print "ABORTED (.NET):" } p && n++ < 30' "$log"
awk '/^(FAIL|ERROR): / { p = 1; n = 0; print "FAILED (Python):" } /^(-{50,}|Ran [0-9]+ test)/ && n > 2 { p = 0 } p && n++ < 25' "$py_log"

passed=$(( ${dotnet_passed:-0} + py_ran - py_failed ))
failed=$(( ${dotnet_failed:-0} + py_failed ))
aborted=$(awk '/Test Run Aborted/ {n++} END {print n+0}' "$log")
echo "tests: ${passed} passed, ${failed} failed$([ "$aborted" -gt 0 ] && echo ", .NET run aborted before the end")"
exit $status
