#!/usr/bin/env bash
# Decode benchmark: Vigil beside PIL, measured in the same run on the same files.
#
#  1. ../shared/bench/anchors/decode.py generates 200 photo-like 1280×720 q90 JPEGs
#     (once, into /tmp/anchor-images) and measures PIL, including draft()+resize.
#  2. vigil-bench decode measures Vigil's single-thread decode → 224×224 float tensor.
#  3. vigil scan over the same folder with 2 threads gives folder throughput.
#
# Python: the anchors venv (/tmp/anchor-venv) when present, else a small throw-away
# venv with numpy and Pillow in /tmp/vigil-bench-venv. Nothing is written to the repo.
set -euo pipefail
cd "$(dirname "$0")/.."
ANCHORS=${ANCHORS:-../shared/bench/anchors}
OUT=${BENCH_OUT:-/tmp/vigil-bench}
mkdir -p "$OUT"

PY=/tmp/anchor-venv/bin/python
if [ ! -x "$PY" ]; then
  PY=/tmp/vigil-bench-venv/bin/python
  if [ ! -x "$PY" ]; then
    python3 -m venv /tmp/vigil-bench-venv
    /tmp/vigil-bench-venv/bin/pip install -q numpy pillow
  fi
fi

swift build -c release --product vigil-bench >&2
swift build -c release --product vigil >&2

echo "== PIL (anchors/decode.py) ==" >&2
"$PY" "$ANCHORS/decode.py" "$OUT/pil-decode.json"
echo "== Vigil ==" >&2
.build/release/vigil-bench decode /tmp/anchor-images/jpg --json "$OUT/vigil-decode.json"

echo "== vigil scan, 2 threads, 400 files ==" >&2
.build/release/vigil scan /tmp/anchor-images --threads 2 --output "$OUT/scan.csv" 2>&1 | head -1

"$PY" - "$OUT/pil-decode.json" "$OUT/vigil-decode.json" <<'PYEOF'
import json, sys
pil = {r["name"]: r["img_per_s_median"] for r in json.load(open(sys.argv[1]))["results"]}
ours = {r["name"]: r["imagesPerSecond"] for r in json.load(open(sys.argv[2]))}
draft = next(v for k, v in pil.items() if k.startswith("JPEG PIL draft(224)"))
print(f"\nPIL draft(224)+resize224 (same run): {draft:.1f} img/s")
for k, v in ours.items():
    print(f"{k:60s} {v:8.1f} img/s  = {v / draft:.2f}x PIL draft+resize")
PYEOF
