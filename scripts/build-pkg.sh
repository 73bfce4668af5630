#!/usr/bin/env bash
# Builds pkg/: the npm package `yolo-wasm` (ESM for browsers and workers, .d.ts, README).
#   PROFILE=dist (default: LTO, one codegen unit)  or  PROFILE=release (reuses the test build)
#   WASM_OPT=0 skips the wasm-opt pass (npm binaryen; minutes on this module)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
profile=${PROFILE:-dist}
# A plain `cargo build` of a cdylib+rlib crate silently drops LTO for the cdylib: build the
# cdylib alone so the profile's LTO setting really applies.
cargo rustc --lib --crate-type cdylib --profile "$profile" --target wasm32-unknown-unknown
wasm=target/wasm32-unknown-unknown/$profile/yolo_wasm.wasm
rm -rf pkg && mkdir -p pkg
wasm-bindgen --target web --out-dir pkg --out-name yolo_wasm "$wasm"
# Optional size/speed pass with npm's binaryen (Debian's binaryen 108 breaks the externref table).
if [ -x node_modules/.bin/wasm-opt ] && [ "${WASM_OPT:-1}" = 1 ]; then
  node_modules/.bin/wasm-opt -O3 --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-reference-types --enable-mutable-globals \
    pkg/yolo_wasm_bg.wasm -o pkg/yolo_wasm_bg.wasm
fi
version=$(awk -F'"' '/^version = / { print $2; exit }' Cargo.toml)
sed "s/\"version\": \"0.0.0\"/\"version\": \"$version\"/" npm/package.json > pkg/package.json
cp npm/README.md pkg/README.md
raw=$(stat -c %s pkg/yolo_wasm_bg.wasm)
gz=$(gzip -9 -c pkg/yolo_wasm_bg.wasm | wc -c)
echo "pkg/yolo_wasm_bg.wasm: $raw bytes raw, $gz bytes gzip ($profile profile)"
