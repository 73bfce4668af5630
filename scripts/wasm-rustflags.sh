#!/usr/bin/env bash
# Prints the rustc flags every wasm32 build adds (scripts/build-pkg.sh, scripts/threads-rustflags.sh,
# the Makefile's wasm tests and lint): the panic locations compiled into the module name
# /cargo/registry/… and /rustc/… instead of this machine's paths (~450 of them; they would end up in
# every app that bundles the package).
set -euo pipefail
cargo_home=${CARGO_HOME:-$HOME/.cargo}
sysroot=$(rustc --print sysroot)
echo "--remap-path-prefix=$cargo_home=/cargo --remap-path-prefix=$sysroot=/rustc"
