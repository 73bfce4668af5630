#!/usr/bin/env bash
# Builds pkg/: the npm package `yolo-wasm` (ESM for browsers and workers, .d.ts, README).
#   PROFILE=release (default; reuses the test build) or PROFILE=dist (fat LTO, one codegen unit)
#   WASM_OPT=1 adds a wasm-opt pass (npm binaryen, which runs in Node: ~10 min here), at
#   WASM_OPT_LEVEL (default -O3; -Oz for size)
#   Three builds of the same code are shipped (the entry yolo_wasm.js picks one at init(); see
#   npm/entry.js and DESIGN.md "Browser threads"):
#   - yolo_wasm_threads_bg.wasm: threads (rayon's pool on Web Workers, tract's multithread executor)
#     + SIMD128, for cross-origin isolated pages in every engine (Safari has no relaxed SIMD). Its
#     own glue (yolo_wasm_threads.js: shared, imported memory) and target dir (target/threads); std rebuilt with atomics (`-Z build-std` on
#     the stable toolchain with RUSTC_BOOTSTRAP=1; flags in threads-rustflags.sh). A third full
#     build, ~7.5 min. THREADS=0 skips it.
#   - yolo_wasm_relaxed_bg.wasm: one thread, relaxed SIMD (the GEMM kernel's multiply-add is
#     f32x4.relaxed_madd: ~12 % faster inference here). target/relaxed-simd, ~7 min.
#     RELAXED_SIMD=0 skips it.
#   - yolo_wasm_bg.wasm: one thread, SIMD128 (every current browser). The relaxed build shares its
#     glue (yolo_wasm_single.js; checked identical here).
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
# build <target dir> <out dir> <out name> [rustflags [cargo args…]]: the cdylib, then
# wasm-bindgen into <out dir> as <out name>.js / <out name>_bg.wasm.
build() {
  local tdir=$1 out=$2 name=$3 flags=${4:-}
  shift 4 || shift $#
  # An empty RUSTFLAGS would still replace .cargo/config.toml's flags: set it only when given.
  (export CARGO_TARGET_DIR=$tdir; if [ -n "$flags" ]; then export RUSTFLAGS=$flags; fi
    cargo rustc --lib --crate-type cdylib --profile "$profile" --target wasm32-unknown-unknown "$@")
  rm -rf "$out" && mkdir -p "$out"
  wasm-bindgen --target web "${names[@]}" --out-dir "$out" --out-name "$name" \
    "$tdir/wasm32-unknown-unknown/$profile/yolo_wasm.wasm"
  # Optional size/speed pass with npm's binaryen (Debian's binaryen 108 breaks the externref table).
  if [ "${WASM_OPT:-0}" = 1 ]; then
    node_modules/.bin/wasm-opt "${WASM_OPT_LEVEL:--O3}" --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int \
      --enable-sign-ext --enable-reference-types --enable-mutable-globals --enable-relaxed-simd --enable-threads \
      "$out/${name}_bg.wasm" -o "$out/${name}_bg.wasm"
  fi
}
# Every build remaps this machine's paths out of the module (scripts/wasm-rustflags.sh).
remap=$(scripts/wasm-rustflags.sh)
# The SIMD128 build shares `target` with the wasm tests: the same flags as the Makefile gives them
# (.cargo/config.toml's +simd128 and the remap, through the target's own variable, RUSTFLAGS unset).
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS=${CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS:-"-C target-feature=+simd128 $remap"}
build target target/pkg-simd128 yolo_wasm_single
rm -rf pkg && mkdir -p pkg
cp -r target/pkg-simd128/. pkg/
mv pkg/yolo_wasm_single_bg.wasm pkg/yolo_wasm_bg.wasm
rm -f pkg/yolo_wasm_single_bg.wasm.d.ts
# The glue's default module URL names the file as wasm-bindgen wrote it; the package ships it as
# yolo_wasm_bg.wasm. Bundlers (webpack) resolve every `new URL(…, import.meta.url)`, even one the
# entry never reaches (it always passes the module's URL): name the shipped file.
grep -q "new URL('yolo_wasm_single_bg.wasm', import.meta.url)" pkg/yolo_wasm_single.js \
  || { echo "build-pkg: yolo_wasm_single.js has no default module URL to rename (wasm-bindgen's glue changed?)" >&2; exit 1; }
sed -i "s/new URL('yolo_wasm_single_bg.wasm', import.meta.url)/new URL('yolo_wasm_bg.wasm', import.meta.url)/" pkg/yolo_wasm_single.js
if [ "${RELAXED_SIMD:-1}" != 0 ]; then
  build target/relaxed-simd target/pkg-relaxed-simd yolo_wasm_single "-C target-feature=+simd128,+relaxed-simd $remap"
  # Equal but for wasm-bindgen's "Cast intrinsic" comments, which quote each closure's shim index
  # in the wasm (the two builds number their functions differently; the code is the same).
  glue() { grep -v '// Cast intrinsic for ' "$1" | sed "s/yolo_wasm_single_bg.wasm/yolo_wasm_bg.wasm/"; }
  cmp -s <(glue pkg/yolo_wasm_single.js) <(glue target/pkg-relaxed-simd/yolo_wasm_single.js) \
    || { echo "build-pkg: the relaxed-SIMD build's JS glue differs from the SIMD128 one" >&2; exit 1; }
  cp target/pkg-relaxed-simd/yolo_wasm_single_bg.wasm pkg/yolo_wasm_relaxed_bg.wasm
fi
entry_args=()
if [ "${THREADS:-1}" != 0 ]; then
  threads_flags=$(scripts/threads-rustflags.sh)
  RUSTC_BOOTSTRAP=1 build target/threads target/pkg-threads yolo_wasm_threads "$threads_flags" \
    --features threads -Z build-std=panic_abort,std
  cp target/pkg-threads/yolo_wasm_threads.js target/pkg-threads/yolo_wasm_threads_bg.wasm pkg/
  # Both glues use the same inline snippets (identical files); the threads one adds rayon's.
  (cd target/pkg-threads && find snippets -type f) | while read -r f; do
    if [ -f "pkg/$f" ]; then
      cmp -s "pkg/$f" "target/pkg-threads/$f" || { echo "build-pkg: snippet $f differs between the glues" >&2; exit 1; }
    else
      mkdir -p "pkg/$(dirname "$f")" && cp "target/pkg-threads/$f" "pkg/$f"
    fi
  done
else
  entry_args=(--no-threads)
fi
node scripts/make-entry.mjs pkg "${entry_args[@]}"
version=$(awk -F'"' '/^version = / { print $2; exit }' Cargo.toml)
sed "s/\"version\": \"0.0.0\"/\"version\": \"$version\"/" npm/package.json > pkg/package.json
cp npm/README.md pkg/README.md
# yolo-wasm/worker (npm/worker.js and its worker) and the threaded build's pool bootstrap
# (npm/pool.js, npm/pool_worker.js): plain ES modules, copied as they are.
cp npm/worker.js npm/worker.d.ts npm/worker_thread.js npm/worker_latest.js npm/worker_protocol.js npm/pool.js npm/pool_worker.js pkg/
for f in pkg/yolo_wasm_bg.wasm pkg/yolo_wasm_relaxed_bg.wasm pkg/yolo_wasm_threads_bg.wasm; do
  [ -f "$f" ] || continue
  echo "$f: $(stat -c %s "$f") bytes raw, $(gzip -9 -c "$f" | wc -c) bytes gzip ($profile profile)"
done
