#!/usr/bin/env bash
# Installs what a fresh machine lacks for `make test` / `make demo`; each step is skipped when
# already satisfied, so running it again costs seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '\n== %s\n' "$*"; }

# 1. The wasm32 target.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# 1b. The standard library's sources: the threaded wasm build rebuilds std with atomics
# (`-Z build-std` on stable with RUSTC_BOOTSTRAP=1; scripts/build-pkg.sh, THREADS.md).
if ! rustup component list --installed | grep -q '^rust-src'; then
  say "rustup component add rust-src"
  rustup component add rust-src
fi

# 2. wasm-bindgen-cli: exactly the version of the wasm-bindgen crate in Cargo.lock.
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  say "cargo install wasm-bindgen-cli $want (had: ${have:-none}; ~9 min on 2 cores)"
  # Not --locked: its lock file names a webpki-roots release this registry does not serve.
  cargo install wasm-bindgen-cli --version "$want"
fi

# 3. The three engines of the browser tests, Debian's (never a downloaded browser): Chromium and its
#    WebDriver, Firefox ESR (its WebDriver, geckodriver, in step 3b), WebKitGTK's WebDriver with its
#    MiniBrowser, and Xvfb, the X server MiniBrowser needs (it has no headless mode; DESIGN.md
#    "Other engines"). Debian's FFmpeg (`ffmpeg`, `ffprobe`): the endpoint decodes video uploads
#    with it (server/src/video.rs). Mesa's Vulkan drivers give lavapipe, the software Vulkan device
#    the native WebGPU kernel tests (src/gpu/, DESIGN.md "WebGPU") and Firefox's WebGPU run on.
missing=""
[ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] || missing="chromium chromium-driver"
[ -x /usr/bin/firefox-esr ] || missing="$missing firefox-esr"
[ -x /usr/bin/WebKitWebDriver ] && [ -x /usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser ] ||
  missing="$missing webkit2gtk-driver"
[ -x /usr/bin/Xvfb ] || missing="$missing xvfb"
command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || missing="$missing ffmpeg"
ls /usr/share/vulkan/icd.d/lvp_icd.*.json >/dev/null 2>&1 || missing="$missing mesa-vulkan-drivers"
if [ -n "$missing" ]; then
  say "apt-get install $missing"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi

# 3b. geckodriver, Firefox's WebDriver, pinned, from crates.io (~3 min on 2 cores; Debian has no
#     package, and npm's `geckodriver` downloads a binary from GitHub).
gecko_want=0.37.1
gecko_have=$(geckodriver --version 2>/dev/null | awk 'NR == 1 {print $2}' || true)
if [ "$gecko_have" != "$gecko_want" ]; then
  say "cargo install geckodriver $gecko_want (had: ${gecko_have:-none}; ~3 min on 2 cores)"
  cargo install geckodriver --version "$gecko_want" --locked
fi

# 4. Node packages (pinned by package-lock.json).
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci"
  npm ci --no-audit --no-fund
fi
say "setup done"
