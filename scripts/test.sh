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
swift test --disable-swift-testing
