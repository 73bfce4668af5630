#!/usr/bin/env bash
# Builds pkg/: the npm package `yolo-wasm` (ESM for browsers and workers, .d.ts, README).
#   PROFILE=release (default; reuses the test build) or PROFILE=dist (fat LTO, one codegen unit)
#   WASM_OPT=1 adds a wasm-opt pass (npm binaryen, which runs in Node: ~10 min here), at
#   WASM_OPT_LEVEL (default -O3; -Oz for size)
#   Two builds of the same code are shipped: yolo_wasm_bg.wasm (SIMD128, every current browser)
#   and yolo_wasm_relaxed_bg.wasm (also relaxed SIMD: the GEMM kernel's multiply-add is
#   f32x4.relaxed_madd, an FMA where the CPU has one: ~12 % faster inference here). The default
#   init() of yolo_wasm.js loads the relaxed one where the engine validates a relaxed-SIMD probe
#   (BENCHMARKS.md, I5). Both come from one wasm-bindgen glue (checked identical here). The
#   relaxed build has its own target dir (target/relaxed-simd): a second full build, ~7 min.
#   RELAXED_SIMD=0 skips it (a package with the SIMD128 build only; init() then always loads it).
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
names=(--remove-name-section --remove-producers-section)
[ "${KEEP_NAMES:-0}" = 1 ] && names=()
# build <target dir> <out dir> [rustflags]: the cdylib, then wasm-bindgen into <out dir>.
build() {
  # An empty RUSTFLAGS would still replace .cargo/config.toml's flags: set it only when given.
  (export CARGO_TARGET_DIR=$1; if [ -n "${3:-}" ]; then export RUSTFLAGS=$3; fi
    cargo rustc --lib --crate-type cdylib --profile "$profile" --target wasm32-unknown-unknown)
  rm -rf "$2" && mkdir -p "$2"
  wasm-bindgen --target web "${names[@]}" --out-dir "$2" --out-name yolo_wasm \
    "$1/wasm32-unknown-unknown/$profile/yolo_wasm.wasm"
  # Optional size/speed pass with npm's binaryen (Debian's binaryen 108 breaks the externref table).
  if [ "${WASM_OPT:-0}" = 1 ]; then
    node_modules/.bin/wasm-opt "${WASM_OPT_LEVEL:--O3}" --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int \
      --enable-sign-ext --enable-reference-types --enable-mutable-globals --enable-relaxed-simd \
      "$2/yolo_wasm_bg.wasm" -o "$2/yolo_wasm_bg.wasm"
  fi
}
# The SIMD128 build takes its flags from .cargo/config.toml (RUSTFLAGS unset).
build target pkg
if [ "${RELAXED_SIMD:-1}" != 0 ]; then
  build target/relaxed-simd target/pkg-relaxed-simd "-C target-feature=+simd128,+relaxed-simd"
  cmp -s pkg/yolo_wasm.js target/pkg-relaxed-simd/yolo_wasm.js \
    || { echo "build-pkg: the relaxed-SIMD build's JS glue differs from the SIMD128 one" >&2; exit 1; }
  cp target/pkg-relaxed-simd/yolo_wasm_bg.wasm pkg/yolo_wasm_relaxed_bg.wasm
  node scripts/pick-wasm.mjs pkg
fi
version=$(awk -F'"' '/^version = / { print $2; exit }' Cargo.toml)
sed "s/\"version\": \"0.0.0\"/\"version\": \"$version\"/" npm/package.json > pkg/package.json
cp npm/README.md pkg/README.md
for f in pkg/yolo_wasm_bg.wasm pkg/yolo_wasm_relaxed_bg.wasm; do
  [ -f "$f" ] || continue
  echo "$f: $(stat -c %s "$f") bytes raw, $(gzip -9 -c "$f" | wc -c) bytes gzip ($profile profile)"
done
