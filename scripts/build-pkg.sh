#!/usr/bin/env bash
# Builds pkg/: the npm package `yolo-wasm` (ESM for browsers and workers, .d.ts, README).
#   PROFILE=release (default; reuses the test build) or PROFILE=dist (fat LTO, one codegen unit)
#   WASM_OPT=1 adds a wasm-opt pass (npm binaryen, which runs in Node: ~10 min here), at
#   WASM_OPT_LEVEL (default -O3; -Oz for size)
#   RELAXED_SIMD=1 also enables WebAssembly relaxed SIMD (tract-linalg's 8×8 matmul kernel then
#   uses f32x4.relaxed_madd: ~12 % faster inference here). The module then does not compile in a
#   browser without relaxed SIMD, and results may differ in the last bits between hosts: opt-in,
#   for deployments that know their browsers. Own target dir (target/relaxed-simd): a full build.
#   KEEP_NAMES=1 keeps the wasm name section (function names in stack traces and profiles, e.g.
#   for bench/profile.mjs): 2.2 MB raw, 0.49 MB gzip of the shipped file
# Measured here (tract 0.23.9, simd128): release 17.2 MB raw / 3.82 MB gzip; dist 17.3 / 4.02;
# dist + wasm-opt -O3 14.8 / 3.81. LTO does not shrink it; wasm-opt saves raw bytes, not gzip.
# Without the name section (the default since issue 6): release 15.5 MB raw / 3.49 MB gzip;
# with the cold crates built for size too ([profile.release.package."*"]): 14.1 MB / 3.30 MB.
# See BENCHMARKS.md, "Levers".
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
profile=${PROFILE:-release}
# A plain `cargo build` of a cdylib+rlib crate silently drops LTO for the cdylib: build the
# cdylib alone so the profile's LTO setting really applies.
target_dir=target
if [ "${RELAXED_SIMD:-0}" = 1 ]; then
  target_dir=target/relaxed-simd
  export CARGO_TARGET_DIR=$target_dir RUSTFLAGS="-C target-feature=+simd128,+relaxed-simd"
fi
cargo rustc --lib --crate-type cdylib --profile "$profile" --target wasm32-unknown-unknown
wasm=$target_dir/wasm32-unknown-unknown/$profile/yolo_wasm.wasm
rm -rf pkg && mkdir -p pkg
names=(--remove-name-section --remove-producers-section)
[ "${KEEP_NAMES:-0}" = 1 ] && names=()
wasm-bindgen --target web "${names[@]}" --out-dir pkg --out-name yolo_wasm "$wasm"
# Optional size/speed pass with npm's binaryen (Debian's binaryen 108 breaks the externref table).
if [ "${WASM_OPT:-0}" = 1 ]; then
  node_modules/.bin/wasm-opt "${WASM_OPT_LEVEL:--O3}" --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-reference-types --enable-mutable-globals \
    $([ "${RELAXED_SIMD:-0}" = 1 ] && echo --enable-relaxed-simd) \
    pkg/yolo_wasm_bg.wasm -o pkg/yolo_wasm_bg.wasm
fi
version=$(awk -F'"' '/^version = / { print $2; exit }' Cargo.toml)
sed "s/\"version\": \"0.0.0\"/\"version\": \"$version\"/" npm/package.json > pkg/package.json
cp npm/README.md pkg/README.md
raw=$(stat -c %s pkg/yolo_wasm_bg.wasm)
gz=$(gzip -9 -c pkg/yolo_wasm_bg.wasm | wc -c)
echo "pkg/yolo_wasm_bg.wasm: $raw bytes raw, $gz bytes gzip ($profile profile)"
