#!/usr/bin/env bash
# Sets up and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The real Fashion-MNIST for the IDX reader's test (Debian package; the test says when it is absent).
if ! dpkg-query -W -f='${Status}' dataset-fashion-mnist 2>/dev/null | grep -q "install ok installed" && [ "$(id -u)" -eq 0 ]; then
  (export DEBIAN_FRONTEND=noninteractive; apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1; }) || echo "test: dataset-fashion-mnist not installed; its test will be skipped" >&2
fi
# The video tests make their clips with the ffmpeg command-line tool.
if ! command -v ffmpeg >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
  (export DEBIAN_FRONTEND=noninteractive; apt-get install -y -q ffmpeg >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q ffmpeg >/dev/null 2>&1; }) || echo "test: ffmpeg not installed; the video tests will be skipped" >&2
fi
swift build --build-tests
# Pretrained weights and sample photos for the parity test; without them it reports itself skipped.
VIGIL_BIN=.build/debug/vigil bash scripts/fetch-models.sh || echo "test: could not fetch pretrained models; the parity test will be skipped" >&2
# The .pth reader's real-file tests read the downloaded weights.
CACHE=${VIGIL_CACHE_DIR:-$HOME/.cache/vigil/models}
export VIGIL_TORCH_WEIGHTS_DIR=${VIGIL_TORCH_WEIGHTS_DIR:-$(dirname "$CACHE")/downloads}
# The ONNX export's round trip runs Vigil's exported files in ONNX Runtime, from a throw-away venv.
ONNX_VENV=${VIGIL_ONNX_VENV:-/tmp/vigil-onnx-venv}
if [ -z "${VIGIL_ONNX_PYTHON:-}" ]; then
  if { [ -x "$ONNX_VENV/bin/python" ] || python3 -m venv "$ONNX_VENV"; } \
     && "$ONNX_VENV/bin/python" -c "import onnxruntime, onnx, numpy" 2>/dev/null \
     || "$ONNX_VENV/bin/pip" install -q onnxruntime onnx numpy; then
    export VIGIL_ONNX_PYTHON="$ONNX_VENV/bin/python"
  else
    echo "test: could not install onnxruntime; the ONNX round-trip test will be skipped" >&2
  fi
fi
swift test --disable-swift-testing
