#!/usr/bin/env bash
# Sets up, builds in release mode and runs the main job on the bundled samples:
# `vigil scan` over Fixtures/ (good images of every kind, and deliberately broken files).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release --product vigil
mkdir -p .build/demo
.build/release/vigil scan Fixtures --output .build/demo/manifest.csv
echo
echo "First rows of .build/demo/manifest.csv:"
head -n 8 .build/demo/manifest.csv | cut -d, -f1-8,11-13
