#!/usr/bin/env bash
# `vigil classify` beside PIL + ONNX Runtime (Benchmarks/classify_ort.py) on the same
# 1280×720 JPEGs (the anchors' 200 photo-like images), MobileNetV2, same threads, same run.
# Needs a Python with torch, torchvision, onnx, onnxruntime and Pillow: PY=..., default the
# anchors venv (bash ../shared/bench/anchors/setup.sh makes it).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-/tmp/anchor-venv/bin/python}
THREADS=${THREADS:-2}
IMAGES=/tmp/anchor-images/jpg
CACHE=${VIGIL_CACHE_DIR:-$HOME/.cache/vigil/models}
[ -d "$IMAGES" ] || "$PY" ../shared/bench/anchors/decode.py /tmp/vigil-bench/decode.json
bash scripts/fetch-models.sh
swift build -c release --product vigil >&2
PTH="$(dirname "$CACHE")/downloads/mobilenet_v2-b0353104.pth"
# ONNX Runtime at batch 4 and 16 (its best), Vigil at its default batch, alternating.
for run in 1 2; do
  echo "== run $run ==" >&2
  for b in 4 16; do "$PY" Benchmarks/classify_ort.py "$IMAGES" "$PTH" "$THREADS" "$b"; done
  .build/release/vigil classify "$IMAGES" --threads "$THREADS" --format csv -o /tmp/vigil-bench/classify.csv 2>&1 | tail -1
done
