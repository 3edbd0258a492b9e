#!/usr/bin/env bash
# Fashion-MNIST from scratch: `vigil train` and PyTorch on the same architecture (crop_vgg ×
# WIDTH), data, optimizer, schedule, batch, epochs and threads, one after the other.
#   PY=/path/to/venv/bin/python EPOCHS=12 THREADS=2 bash Benchmarks/train_fashion.sh
# PY needs torch and numpy (the anchors venv has both). Skip PyTorch with PY=none.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-/usr/share/datasets/fashion-mnist}
EPOCHS=${EPOCHS:-12}
THREADS=${THREADS:-2}
WIDTH=${WIDTH:-0.5}
PY=${PY:-python3}
OUT=${OUT:-$(mktemp -d)}
swift build -c release --product vigil >/dev/null
rm -rf "$OUT/vigil"
start=$(date +%s.%N)
.build/release/vigil train "$DATA" --arch crop_vgg --width "$WIDTH" --epochs "$EPOCHS" --batch 128 --lr 0.002 \
    --weight-decay 0.01 --val-split 0 --threads "$THREADS" --out "$OUT/vigil"
end=$(date +%s.%N)
python3 - "$OUT/vigil/summary.json" "$start" "$end" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
n = s["train_images"] * s["epochs_run"]
print(json.dumps({"summary": "vigil", "threads": s["threads"], "epochs": s["epochs_run"], "test_accuracy": s.get("test_accuracy"),
                  "train_seconds": round(s["train_seconds"], 1), "images_per_second": round(n / s["train_seconds"], 1),
                  "wall_seconds": round(float(sys.argv[3]) - float(sys.argv[2]), 1)}))
PY
if [ "$PY" != none ]; then
    "$PY" Benchmarks/train_fashion_torch.py --data "$DATA" --epochs "$EPOCHS" --threads "$THREADS" --width "$WIDTH"
fi
