#!/usr/bin/env bash
# The shipped supervised tile classifier (README, "Supervised tiles"): accuracy on tiles of other
# renders, and OK/NG verdicts of pipelines/surface-defects-tiles.yaml on whole parts of products
# it never saw.
#   bash Benchmarks/tiles.sh
set -euo pipefail
cd "$(dirname "$0")/.."
V=${VIGIL:-.build/release/vigil}
M=${MODEL:-models/anomaly/defect-tiles.safetensors}
OUT=${OUT:-/tmp/vigil-tiles-bench}
[ -x "$V" ] || swift build -c release --product vigil
[ -d $OUT/tiles ] || $V synth tiles --out $OUT/tiles --per-class 30 --seed 2
echo "== held-out tiles"; $V eval $OUT/tiles --model $M | head -9
[ -d $OUT/parts ] || $V synth surfaces --out $OUT/parts --train 0 --test-good 10 --test-per-defect 4 --seed 1
for k in brushed_metal machined_metal painted_panel wood fabric pcb; do
  $V pipeline run pipelines/surface-defects-tiles.yaml $OUT/parts/$k/test --out $OUT/run/$k --set classify.model=$M >/dev/null
done
echo "== whole parts: good called OK, defective called NG, right type among the boxes (crack, pit, scratch, stain)"
python3 - "$OUT/run" <<'PY'
import json, os, sys
for k in "brushed_metal machined_metal painted_panel wood fabric pcb".split():
    good = [0, 0]; bad = [0, 0]; typed = [0, 0]
    for line in open(os.path.join(sys.argv[1], k, "defects.jsonl")):
        r = json.loads(line); kind = r["path"].split("/")[0]; ng = bool(r["regions"])
        if kind == "good": good[0] += 1; good[1] += not ng
        else:
            bad[0] += 1; bad[1] += ng
            if kind in ("crack", "pit", "scratch", "stain"):
                typed[0] += 1; typed[1] += any(g["label"] == kind for g in r["regions"])
    print(f"{k:15s} good OK {good[1]}/{good[0]}  defective NG {bad[1]}/{bad[0]}  right type {typed[1]}/{typed[0]}")
PY
