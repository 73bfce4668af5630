#!/usr/bin/env bash
# Runs a command with the WebDriver of one browser engine selected for wasm-bindgen-test-runner,
# so `cargo test --target wasm32-unknown-unknown` runs its browser tests there (the same test
# binaries in every engine: only the runner runs again).
#   scripts/with-engine.sh chromium|firefox|webkit CMD...
# The runner takes the first of $GECKODRIVER, $SAFARIDRIVER, $CHROMEDRIVER that is set, starts it
# with `--port=N` and merges webdriver.json into the session's capabilities (Chromium's flags,
# Firefox's binary and WebGPU prefs; the Safari path sends none):
#   chromium: Debian's chromedriver and chromium (headless);
#   firefox:  geckodriver (cargo install, scripts/setup.sh) and Debian's firefox-esr (-headless);
#   webkit:   WebKitGTK's WebKitWebDriver as "safaridriver": it takes the same `--port=N`, and
#             without capabilities it starts its MiniBrowser with `--automation`. MiniBrowser has
#             no headless mode, so it gets an Xvfb display of its own, stopped afterwards.
# A missing driver or browser is an error (`make setup` installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
engine=${1:?usage: scripts/with-engine.sh chromium|firefox|webkit CMD...}
shift
xvfb=""
unset GECKODRIVER SAFARIDRIVER CHROMEDRIVER MSEDGEDRIVER GECKODRIVER_REMOTE SAFARIDRIVER_REMOTE \
  CHROMEDRIVER_REMOTE MSEDGEDRIVER_REMOTE
need() {
  for f in "$@"; do
    [ -x "$f" ] || { echo "with-engine.sh: $engine needs $f, which is missing: run \`make setup\`" >&2; exit 1; }
  done
}
case "$engine" in
  chromium)
    need /usr/bin/chromedriver /usr/bin/chromium
    export CHROMEDRIVER=/usr/bin/chromedriver
    ;;
  firefox)
    gecko=$(command -v geckodriver || echo "$HOME/.cargo/bin/geckodriver")
    need "$gecko" /usr/bin/firefox-esr
    export GECKODRIVER=$gecko
    ;;
  webkit)
    need /usr/bin/WebKitWebDriver /usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser /usr/bin/Xvfb
    export SAFARIDRIVER=/usr/bin/WebKitWebDriver
    # As Safari on an isolated page: SharedArrayBuffer on (JSC's option, off in Debian's build;
    # tests/engines/webdriver.mjs does the same for the package tests).
    export JSC_useSharedArrayBuffer=true
    # Xvfb picks a free display itself (-displayfd) and writes its number to fd 3.
    dfile=$(mktemp -t xvfb-display.XXXXXX)
    Xvfb -displayfd 3 -screen 0 1280x1024x24 -nolisten tcp 3>"$dfile" 2>"$dfile.err" &
    xvfb=$!
    trap 'kill "$xvfb" 2>/dev/null || true; wait "$xvfb" 2>/dev/null || true; rm -f "$dfile" "$dfile.err"' EXIT
    for _ in $(seq 1 200); do
      [ -s "$dfile" ] && break
      kill -0 "$xvfb" 2>/dev/null || { echo "Xvfb exited:" >&2; cat "$dfile.err" >&2; exit 1; }
      sleep 0.05
    done
    [ -s "$dfile" ] || { echo "Xvfb reported no display" >&2; exit 1; }
    export DISPLAY=":$(head -1 "$dfile")"
    ;;
  *)
    echo "with-engine.sh: unknown engine '$engine' (chromium, firefox or webkit)" >&2
    exit 1
    ;;
esac
echo "with-engine.sh: $engine${xvfb:+ (Xvfb on DISPLAY $DISPLAY)}" >&2
"$@"
