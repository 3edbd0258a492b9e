#!/usr/bin/env bash
# Builds a libFuzzer target per decoder (PNG, JPEG) with AddressSanitizer and runs each
# for FUZZ_SECONDS (default 600), seeded from Fixtures/. Usage: bash Fuzz/run.sh [png|jpeg]...
# Work files and any crashing inputs go to .build-fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER=${FUZZ_SECONDS:-600}
OUT=.build-fuzz
mkdir -p "$OUT"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(png jpeg)

clang -fsanitize=fuzzer-no-link,address -g -O1 -ISources/CPNG/include -c Sources/CPNG/png_shim.c -o "$OUT/png_shim.o"
clang -fsanitize=fuzzer-no-link,address -g -O1 -ISources/CJPEG/include -c Sources/CJPEG/jpeg_shim.c -o "$OUT/jpeg_shim.o"

for t in "${targets[@]}"; do
  flag=$(echo "$t" | tr a-z A-Z)
  exe="$OUT/fuzz-$t"
  swiftc -sanitize=fuzzer,address -parse-as-library -O -g -module-name ImageIO -D "FUZZ_$flag" \
    -I Sources/CPNG/include -I Sources/CJPEG/include \
    Sources/ImageIO/*.swift Fuzz/FuzzDecoder.swift "$OUT/png_shim.o" "$OUT/jpeg_shim.o" \
    -lpng16 -ljpeg -o "$exe" 2> "$OUT/build-$t.log" || { cat "$OUT/build-$t.log" >&2; exit 1; }
  corpus="$OUT/corpus-$t"
  mkdir -p "$corpus"
  if [ "$t" = png ]; then cp Fixtures/png/*.png Fixtures/bad/*.png "$corpus/"; else cp Fixtures/jpeg/*.jpg Fixtures/bad/*.jpg "$corpus/"; fi
  echo "fuzz: $t for ${SECONDS_PER}s" >&2
  "$exe" -max_total_time="$SECONDS_PER" -max_len=65536 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$OUT/crash-$t-" "$corpus" 2>&1 | tee "$OUT/fuzz-$t.log" | grep -E "^#[0-9]+ +(DONE|pulse)|ERROR|SUMMARY|stat::" || true
done
