#!/usr/bin/env bash
# Fine-tuning ImageNet MobileNetV2 on a small real labelled set: 10 Fashion-MNIST classes,
# 40 training + 20 validation images per class, 50 test images per class (PNG folders written
# by Benchmarks/fashion_subset.py). Head only (backbone features computed once), then full
# fine-tuning (backbone at 0.1 × the head's rate). Needs the imported model
# (scripts/fetch-models.sh).
#   THREADS=2 bash Benchmarks/finetune.sh
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${THREADS:-2}
OUT=${OUT:-$(mktemp -d)}
swift build -c release --product vigil >/dev/null
rm -rf "$OUT/data" "$OUT/head" "$OUT/full"
python3 Benchmarks/fashion_subset.py "$OUT/data" --train 40 --val 20 --test 50
timed() { local s e; s=$(date +%s.%N); "$@"; e=$(date +%s.%N); echo "wall: $(python3 -c "print(round($e - $s, 1))") s"; }
timed .build/release/vigil finetune "$OUT/data" --from mobilenet_v2 --freeze backbone --epochs 30 --lr 0.003 \
    --threads "$THREADS" --out "$OUT/head"
timed .build/release/vigil finetune "$OUT/data" --from mobilenet_v2 --epochs 5 --lr 0.001 --backbone-lr-scale 0.1 \
    --threads "$THREADS" --out "$OUT/full"
for run in head full; do
    python3 -c "import json; s = json.load(open('$OUT/$run/summary.json')); print('$run', {k: s.get(k) for k in ('test_accuracy', 'best', 'best_epoch', 'feature_seconds', 'train_seconds', 'wall_seconds')})"
done
