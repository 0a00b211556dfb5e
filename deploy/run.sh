#!/usr/bin/env bash
# Installs the dependencies, builds MakeupApi in Release and runs it on http://0.0.0.0:${PORT:-8080}
# with the models in onnx-models/ at the repository root.
#   PORT=9000 deploy/run.sh                               another port
#   ONNX_EP=Cuda deploy/run.sh                            build with the CUDA execution provider (see deploy/README.md)
#   Concurrency__MaxConcurrent=4 deploy/run.sh            any setting, as an environment variable (":" -> "__")
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

bash deploy/install-deps.sh

ep="${ONNX_EP:-Cpu}"
out="$root/artifacts/publish"
dotnet publish src/MakeupApi/MakeupApi.csproj -c Release -o "$out" -p:OnnxExecutionProvider="$ep" --nologo -v quiet

if [ ! -f onnx-models/manifest.json ]; then
  echo "run: onnx-models/ with the converted models is missing at $root/onnx-models" >&2
  exit 1
fi

export ASPNETCORE_ENVIRONMENT="${ASPNETCORE_ENVIRONMENT:-Production}"
# An absolute path: the published app does not sit under the repository's model folder.
export Models__Directory="${Models__Directory:-$root/onnx-models}"
if [ "$ep" = "Cuda" ]; then export Models__ExecutionProvider="${Models__ExecutionProvider:-Cuda}"; fi

exec dotnet "$out/MakeupApi.dll" --urls "http://0.0.0.0:${PORT:-8080}"
