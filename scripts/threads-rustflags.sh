#!/usr/bin/env bash
# Prints the RUSTFLAGS of the threaded wasm build (scripts/build-pkg.sh, `make lint`): atomics and
# relaxed SIMD, shared imported memory (each worker instantiates the module on it), 4 GiB maximum
# (wasm32's limit), thread-local storage exported for wasm-bindgen's thread glue.
flags="-C target-feature=+atomics,+bulk-memory,+mutable-globals,+simd128,+relaxed-simd"
for arg in --shared-memory --import-memory --max-memory=4294967296 --export=__wasm_init_tls \
  --export=__tls_size --export=__tls_align --export=__tls_base; do
  flags+=" -C link-arg=$arg"
done
echo "$flags"
