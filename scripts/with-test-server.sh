#!/usr/bin/env bash
# Runs a command with a real `yolo-wasm serve` on a free loopback port, for the browser tests of
# HubClient (tests/web_hub.rs). Exports YOLO_WASM_TEST_SERVER=http://127.0.0.1:PORT (read at
# compile time by the test) and stops the server afterwards, whatever the command's outcome.
#
# Server set-up the tests rely on: models from tests/fixtures/models; keys (tests/fixtures/server/
# keys.txt) `test-key` (unlimited), `limited-key` (2 per hour), `restricted-key` (only
# yolo11n-seg-shapes); bodies up to 4 MiB; one inference at a time with a queue of 2.
set -euo pipefail
cd "$(dirname "$0")/.."
# `--workspace --bins --tests`: the dependency features `make test-native` resolved (dev-dependencies
# included), so after it only the two workspace crates compile (~2 min) instead of every dependency
# in a second feature set (~7 min, `-p yolo-wasm-server` alone).
cargo build --release --workspace --bins --tests
log=$(mktemp -t yolo-wasm-serve.XXXXXX)
target/release/yolo-wasm serve --models tests/fixtures/models --keys tests/fixtures/server/keys.txt \
  --host 127.0.0.1 --port 0 --max-body-mb 4 --concurrency 1 --queue 2 --rate-limit 1000 >"$log" 2>"$log.err" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -f "$log" "$log.err"' EXIT
for _ in $(seq 1 600); do
  url=$(sed -n 's/^yolo-wasm serve: listening on \(http:[^ ]*\)$/\1/p' "$log" | head -1)
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || { echo "yolo-wasm serve exited:" >&2; cat "$log" "$log.err" >&2; exit 1; }
  sleep 0.1
done
[ -n "${url:-}" ] || { echo "yolo-wasm serve did not report its address" >&2; exit 1; }
echo "test server: $url"
export YOLO_WASM_TEST_SERVER="$url"
"$@"
