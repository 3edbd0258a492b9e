#!/usr/bin/env bash
# Vigil against a reference, measured in the same run and interleaved per row (V R V R V R,
# each its own process) so both sides see the same machine load.
#
#   Benchmarks/compare.sh [--nets a,b] [--threads 1,2] [--modes infer,train] [--reps R]
#                         [--min-time S] [--quick] [--out FILE] [--startup] [--no-build]
#
# Rows: every network × (infer batch 1, infer batch 32, train batch 32) × threads (default 2).
#   Vigil:     vigil-bench models (fused inference; with T > 1 and batch >= T the batch is split
#              over T one-thread replicas sharing one model's weights; SGD momentum 0.9 step)
#   inference: ONNX Runtime (intra-op threads = T, inter-op 1, sequential, ORT_ENABLE_ALL) on
#              Vigil's own graph, made by `$VIGIL export NET --format onnx` (random weights)
#   training:  PyTorch eager, torch.set_num_threads(T), the same network (torchvision or
#              compare_ref.py's crop_vgg), SGD momentum 0.9, cross-entropy
# A cell is the median over the R reps of each side's median images/s; ratio = Vigil / reference
# (above 1: Vigil faster). The table goes to stdout and to --out (default /tmp/compare-DATE.md).
#
# Environment:
#   ANCHOR_VENV  Python venv with torch, torchvision, onnxruntime, onnx, numpy (/tmp/anchor-venv)
#   PY           its python (default $ANCHOR_VENV/bin/python)
#   VIGIL        the vigil binary with `export` (default .build/release/vigil)
#   BUILD_DIR    scratch path for building vigil-bench (default: swift's own .build)
set -euo pipefail
cd "$(dirname "$0")/.."

ANCHOR_VENV=${ANCHOR_VENV:-/tmp/anchor-venv}
PY=${PY:-$ANCHOR_VENV/bin/python}
VIGIL=${VIGIL:-.build/release/vigil}
BUILD_DIR=${BUILD_DIR:-}

NETS=resnet18,resnet50,mobilenet_v2,efficientnet_lite0,crop_vgg,mobilenet_v2_detect
THREADS=2
MODES=infer,train
REPS=3
MIN_TIME=2.5
OUT=/tmp/compare-$(date +%Y%m%d-%H%M%S).md
STARTUP=0
BUILD=1
usage() { sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --nets) NETS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --modes) MODES=$2; shift 2 ;;
    --reps) REPS=$2; shift 2 ;;
    --min-time) MIN_TIME=$2; shift 2 ;;
    --quick) REPS=1; MIN_TIME=0.3; shift ;;
    --out) OUT=$2; shift 2 ;;
    --startup) STARTUP=1; shift ;;
    --no-build) BUILD=0; shift ;;
    -h|--help) usage 0 ;;
    *) echo "compare.sh: unknown argument $1" >&2; usage 64 ;;
  esac
done

# ---- build vigil-bench -------------------------------------------------------------------
if [ -n "$BUILD_DIR" ]; then
  BENCH=$BUILD_DIR/release/vigil-bench
  SCRATCH=(--scratch-path "$BUILD_DIR")
else
  BENCH=.build/release/vigil-bench
  SCRATCH=()
fi
if [ "$BUILD" = 1 ]; then
  echo "[compare] building vigil-bench (release)…" >&2
  swift build -c release --product vigil-bench "${SCRATCH[@]}" >&2
fi
[ -x "$BENCH" ] || { echo "compare.sh: $BENCH is missing (build it or drop --no-build)" >&2; exit 2; }
"$PY" -c "import torch, torchvision, onnxruntime, onnx, numpy" 2>/dev/null || {
  echo "compare.sh: $PY cannot import torch, torchvision, onnxruntime, onnx and numpy (see ANCHOR_VENV)" >&2; exit 2; }

TMP=$(mktemp -d /tmp/vigil-compare.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# ---- machine header ----------------------------------------------------------------------
{
  echo "# Vigil vs reference — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores"
  echo "- SIMD flags: $(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx512|avx2$|fma$|avx_vnni)' | sort | tr '\n' ' ')"
  echo "- Vigil BLAS: $("$BENCH" models --header-only | grep -m1 'OpenBLAS core' | sed 's/^ *//')"
  echo "- OpenBLAS package: $(dpkg-query -W -f='${Version}' libopenblas0-pthread 2>/dev/null || dpkg-query -W -f='${Version}' libopenblas0 2>/dev/null || echo '?')"
  echo "- $("$PY" -c 'import torch, onnxruntime as o; print(f"torch {torch.__version__} (CPU capability {torch.backends.cpu.get_cpu_capability()}), onnxruntime {o.__version__}")')"
  echo "- Vigil commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- Sources Package.swift 2>/dev/null || echo ' + uncommitted changes'); ONNX graphs from: $VIGIL export"
  echo "- $REPS rep(s) per row, interleaved V R V R…, each its own process; ≥ $MIN_TIME s timed per process after warm-up"
  echo "- Vigil inference: fuseForInference, then forward; with T > 1 threads and batch ≥ T the batch is split over T one-thread replicas sharing one model's weights (BatchParallelInference), else one T-thread Context; training: SGD momentum 0.9 step (vigil-bench models)"
  echo "- ratio = Vigil img/s ÷ reference img/s (> 1: Vigil faster)"
  echo
} | tee "$TMP/header.md"

# ---- helpers -----------------------------------------------------------------------------
median() { python3 -c 'import sys, statistics; v=[float(x) for x in sys.argv[1:]]; print(f"{statistics.median(v):.1f}" if v else "")' "$@"; }

torch_net() { case "$1" in resnet18|resnet50|mobilenet_v2|crop_vgg) return 0 ;; *) return 1 ;; esac; }

# ONNX file for a net, made once: prints its path, or fails with a reason on stderr.
onnx_for() {
  local net=$1 f=$TMP/$1.onnx
  if [ -s "$f" ]; then echo "$f"; return 0; fi
  if [ -e "$f.failed" ]; then return 1; fi
  if [ ! -x "$VIGIL" ] || ! "$VIGIL" export --help >/dev/null 2>&1; then
    echo "no \`$VIGIL export\`: build it with swift build -c release --product vigil" > "$f.failed"; return 1
  fi
  # Random weights, the same seed as vigil-bench models uses.
  "$VIGIL" export "$net" --random --format onnx --out "$f" --seed 1 >/dev/null 2>"$f.log" \
    || { tail -1 "$f.log" > "$f.failed"; return 1; }
  echo "$f"
}

# One Vigil measurement as its own process: prints median img/s.
vigil_once() {
  local net=$1 mode=$2 batch=$3 threads=$4 j=$TMP/v.json
  rm -f "$j"
  "$BENCH" models --nets "$net" --modes "$mode" --batch "$batch" --train-batch "$batch" --threads "$threads" \
    --min-time "$MIN_TIME" --no-sgemm --json "$j" >"$TMP/v.log" 2>&1 || { tail -3 "$TMP/v.log" >&2; return 1; }
  python3 -c 'import json, sys; print("%.1f" % json.load(open(sys.argv[1]))[0]["imagesPerSecond"])' "$j"
}

# One reference measurement as its own process: prints median img/s.
ref_once() {
  local net=$1 mode=$2 batch=$3 threads=$4 onnx=${5:-} line
  if [ "$mode" = infer ]; then
    line=$("$PY" Benchmarks/compare_ref.py --engine onnxruntime --onnx "$onnx" --net "$net" --mode infer \
           --batch "$batch" --threads "$threads" --min-time "$MIN_TIME" 2>"$TMP/r.log" | tail -1) || { tail -3 "$TMP/r.log" >&2; return 1; }
  else
    line=$("$PY" Benchmarks/compare_ref.py --engine torch --net "$net" --mode train \
           --batch "$batch" --threads "$threads" --min-time "$MIN_TIME" 2>"$TMP/r.log" | tail -1) || { tail -3 "$TMP/r.log" >&2; return 1; }
  fi
  python3 -c 'import json, sys; print("%.1f" % json.loads(sys.argv[1])["img_s_median"])' "$line"
}

# ---- rows --------------------------------------------------------------------------------
TABLE=$TMP/table.md
{
  echo "| network | mode | batch | threads | Vigil img/s | reference | reference img/s | ratio |"
  echo "|---|---|---:|---:|---:|---|---:|---:|"
} > "$TABLE"
NOTES=$TMP/notes.md
: > "$NOTES"
cat "$TABLE"

IFS=, read -r -a NET_LIST <<< "$NETS"
IFS=, read -r -a MODE_LIST <<< "$MODES"
IFS=, read -r -a THREAD_LIST <<< "$THREADS"
for net in "${NET_LIST[@]}"; do
  for mode in "${MODE_LIST[@]}"; do
    if [ "$mode" = infer ]; then batches=(1 32); else batches=(32); fi
    for batch in "${batches[@]}"; do
      for threads in "${THREAD_LIST[@]}"; do
        # What the reference is for this row, or why there is none.
        ref_label="" onnx="" why=""
        if [ "$mode" = infer ]; then
          if onnx=$(onnx_for "$net"); then
            ref_label="onnxruntime (Vigil's graph)"
          else
            why="n/a ($(cat "$TMP/$net.onnx.failed" 2>/dev/null | cut -c1-80))"
          fi
        elif torch_net "$net"; then
          ref_label="torch eager"
        else
          why="n/a (no PyTorch version of $net)"
        fi
        vs=() rs=()
        for ((r = 1; r <= REPS; r++)); do
          if v=$(vigil_once "$net" "$mode" "$batch" "$threads"); then vs+=("$v"); fi
          if [ -n "$ref_label" ]; then
            if x=$(ref_once "$net" "$mode" "$batch" "$threads" "$onnx"); then rs+=("$x"); fi
          fi
        done
        vm=$(median "${vs[@]+"${vs[@]}"}"); rm_=$(median "${rs[@]+"${rs[@]}"}")
        ratio=""
        if [ -n "$vm" ] && [ -n "$rm_" ]; then ratio=$(python3 -c "print(f'{$vm / $rm_:.2f}×')"); fi
        line="| $net | $mode | $batch | $threads | ${vm:-error} | ${ref_label:-$why} | ${rm_:-–} | ${ratio:-–} |"
        echo "$line" | tee -a "$TABLE"
        echo "- $net $mode b$batch t$threads: Vigil reps ${vs[*]:-none}; reference reps ${rs[*]:-none}" >> "$NOTES"
      done
    done
  done
done

# ---- optional: cold start ----------------------------------------------------------------
STARTUP_MD=$TMP/startup.md
: > "$STARTUP_MD"
if [ "$STARTUP" = 1 ]; then
  if command -v hyperfine >/dev/null && [ -x "$VIGIL" ]; then
    hyperfine -N --warmup 3 --runs 20 --export-json "$TMP/hf.json" "$VIGIL --version" "$PY -c 'import torch'" \
      "$PY -c 'import onnxruntime'" >&2 || true
    python3 - "$TMP/hf.json" > "$STARTUP_MD" <<'EOF' || true
import json, sys
r = json.load(open(sys.argv[1]))["results"]
print("\n| cold start (hyperfine, 20 runs) | mean ms | σ ms |\n|---|---:|---:|")
for x in r:
    print(f"| `{x['command']}` | {x['mean'] * 1e3:.1f} | {x['stddev'] * 1e3:.1f} |")
EOF
    cat "$STARTUP_MD"
  else
    echo "(startup rows skipped: hyperfine or $VIGIL missing)" | tee "$STARTUP_MD"
  fi
fi

{
  cat "$TMP/header.md" "$TABLE" "$STARTUP_MD"
  echo
  echo "Per-rep medians (img/s):"
  echo
  cat "$NOTES"
} > "$OUT"
echo "[compare] wrote $OUT" >&2
