#!/usr/bin/env bash
# Prints the RUSTFLAGS of the threaded wasm build (scripts/build-pkg.sh, `make lint`): atomics and
# SIMD128 (not relaxed SIMD: one threaded build for every engine with shared memory, Safari
# included, which lacks relaxed SIMD; relaxed SIMD measured 1-5 % faster there, not worth a second
# threaded build's ~5 min of CI and 19 MB: DESIGN.md "Browser threads"), shared imported memory (each worker instantiates the module on it), thread-local
# storage exported for wasm-bindgen's thread glue, and a 1 GiB maximum: browsers reserve a shared
# memory's maximum up front, and iOS refuses 4 GiB (RangeError: Out of memory). The measured peak
# over the fixture models at src/limits.rs's largest image (50 MP, 7071x7071 ImageData) is 351 MiB:
# yolo11n-shapes-dynamic at imgsz 1280 and yolo11n/yolo26n-seg with 300 masks, 2 threads, Chromium
# 156 (DESIGN.md "Browser threads"). A model that needs more: a single-thread build (4 GiB).
flags="-C target-feature=+atomics,+bulk-memory,+mutable-globals,+simd128"
for arg in --shared-memory --import-memory --max-memory=1073741824 --export=__wasm_init_tls \
  --export=__tls_size --export=__tls_align --export=__tls_base; do
  flags+=" -C link-arg=$arg"
done
echo "$flags $("$(dirname "$0")/wasm-rustflags.sh")"
