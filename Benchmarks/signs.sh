#!/usr/bin/env bash
# The sign detector beside the classical route on held-out generated scenes with real photo
# backgrounds the detector never saw (README, "Driving: signs in road scenes").
#   bash Benchmarks/signs.sh             # release build, shipped models, 300 scenes, 2 threads
# MODEL=runs/signs/best.safetensors bash Benchmarks/signs.sh   # another detector
set -euo pipefail
cd "$(dirname "$0")/.."
V=${VIGIL:-.build/release/vigil}
M=${MODEL:-models/detect/traffic-signs.safetensors}
C=${CROPS:-models/detect/sign-crops.safetensors}
OUT=${OUT:-/tmp/vigil-signs-bench}
[ -x "$V" ] || swift build -c release --product vigil
bash scripts/fetch-backgrounds.sh
BG="$(dirname "${VIGIL_CACHE_DIR:-$HOME/.cache/vigil/models}")/backgrounds/test"
T=$OUT/scenes
[ -f $T/annotations.json ] || $V synth signs --out $T --scenes 300 --seed 99 --backgrounds "$BG"
# Subsets: the scenes on photos (even indices), and stop signs alone.
python3 - "$T" <<'PY'
import json, os, sys
root = sys.argv[1]
d = json.load(open(os.path.join(root, "annotations.json")))
photo = {im["id"] for im in d["images"] if int(os.path.basename(im["file_name"]).split(".")[0]) % 2 == 0}
json.dump(dict(d, images=[i for i in d["images"] if i["id"] in photo], annotations=[a for a in d["annotations"] if a["image_id"] in photo]),
          open(os.path.join(root, "photos.json"), "w"))
stop = next(c["id"] for c in d["categories"] if c["name"] == "stop")
json.dump(dict(d, annotations=[a for a in d["annotations"] if a["category_id"] == stop], categories=[c for c in d["categories"] if c["id"] == stop]),
          open(os.path.join(root, "stop-only.json"), "w"))
PY
grep -m1 "model name" /proc/cpuinfo; grep -o -w -m1 "avx512f" /proc/cpuinfo || true
echo "== detector, all scenes";           $V eval --task detect $T/annotations.json --model $M --out $OUT/det --worst 8
echo "== detector, scenes on photos";     $V eval --task detect $T/photos.json --model $M --out $OUT/det-photos --worst 0
$V detect $T/images --model $M --threshold 0.01 --no-annotate --out $OUT/det-records >/dev/null
echo "== detector, class-agnostic";       $V eval --task detect $T/annotations.json --predictions $OUT/det-records/detections.jsonl --class-agnostic | head -2
$V pipeline run pipelines/sign-candidates.yaml $T/images --out $OUT/proposals --set 'propose.colors=[red,blue,yellow]' >/dev/null
echo "== proposals alone, class-agnostic"; $V eval --task detect $T/annotations.json --predictions $OUT/proposals/candidates.jsonl --class-agnostic | head -2
$V pipeline run pipelines/sign-candidates.yaml $T/images --out $OUT/red --set 'propose.colors=[red]' >/dev/null
echo "== red proposals as stop signs";    $V eval --task detect $T/stop-only.json --predictions $OUT/red/candidates.jsonl --class-agnostic | head -2
$V pipeline run pipelines/sign-classical.yaml $T/images --out $OUT/classical --set classify.model=$C >/dev/null
echo "== proposals + crop classifier";    $V eval --task detect $T/annotations.json --predictions $OUT/classical/signs.jsonl --worst 0
echo "== signs found at IoU 0.5 by size (detector at score >= 0.3, classical route at >= 0.5)"
python3 - "$T" "$OUT" <<'PY'
import json, os, sys
root, out = sys.argv[1], sys.argv[2]
d = json.load(open(os.path.join(root, "annotations.json")))
cats = {c["id"]: c["name"] for c in d["categories"]}
name = {im["id"]: os.path.basename(im["file_name"]) for im in d["images"]}
truth = {}
for a in d["annotations"]:
    x, y, w, h = a["bbox"]
    truth.setdefault(name[a["image_id"]], []).append((cats[a["category_id"]], (x, y, x + w, y + h)))
def iou(a, b):
    i = max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))
    u = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - i
    return i / u if u > 0 else 0
for route, path, least in [("detector", "det-records/detections.jsonl", 0.3), ("classical", "classical/signs.jsonl", 0.5)]:
    found = {}
    for line in open(os.path.join(out, path)):
        r = json.loads(line)
        found[os.path.basename(r["path"])] = [(g["label"], g["box"]) for g in r["regions"] if g["score"] >= least]
    rows = {}
    for f, objs in truth.items():
        for cls, b in objs:
            side = max(b[2] - b[0], b[3] - b[1])
            k = "small <32" if side < 32 else ("medium 32-64" if side < 64 else "large >=64")
            n = rows.setdefault(k, [0, 0, 0]); n[0] += 1
            hits = [l for l, p in found.get(f, []) if iou(b, p) >= 0.5]
            n[1] += bool(hits); n[2] += cls in hits
    print(route, ", ".join(f"{k}: found {v[1]}/{v[0]}, right class {v[2]}" for k, v in sorted(rows.items())))
PY
echo "== traffic-signs pipeline (class-blind NMS)"
$V pipeline run pipelines/traffic-signs.yaml $T/images --out $OUT/pack --set detect.threshold=0.01 >/dev/null
$V eval --task detect $T/annotations.json --predictions $OUT/pack/signs.jsonl --worst 0 | head -4
echo "== speed: vigil detect, records and annotated JPEGs, 2 threads then 1"
$V detect $T/images --model $M --out $OUT/speed2 --threads 2
$V detect $T/images --model $M --out $OUT/speed1 --threads 1
