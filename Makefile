# yolo-wasm — the two commands a newcomer needs: `make demo` and `make test`.
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)
# Browser tests: in three engines, Debian's Chromium (chromedriver), Firefox ESR (geckodriver) and
# WebKitGTK (WebKitWebDriver's MiniBrowser under Xvfb), picked by scripts/with-engine.sh; flags and
# prefs in webdriver.json; generous timeouts (tract in a test build takes seconds per 640 inference).
# `make test-web ENGINES=firefox` runs one engine's wasm tests (`make test-web-webkit` too).
ENGINES ?= chromium firefox webkit
export WASM_BINDGEN_TEST_TIMEOUT ?= 600
# Every wasm32 build (tests, lint, scripts/build-pkg.sh's SIMD128 build, which shares `target`): the
# SIMD128 flag of .cargo/config.toml plus this machine's paths remapped out of the module.
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS ?= -C target-feature=+simd128 $(shell scripts/wasm-rustflags.sh)
# Tests link executables: keep LTO out of the inner loop.
export CARGO_PROFILE_RELEASE_LTO ?= false
PORT ?= 8080

LOADTEST_CLIENTS ?= 32
LOADTEST_SECONDS ?= 60

.PHONY: setup test test-native loadtest test-web test-web-lib test-web-chromium test-web-firefox test-web-webkit test-pkg test-e2e \
  pkg demo lint fmt clean fuzz

setup:
	./scripts/setup.sh

## Every test: native parity and unit tests, browser tests in Chromium, Firefox and WebKit, the npm
## package (in the three engines), the demo page end to end (Chromium).
## Each stage is timed (scripts/timed.sh); the table of stage times ends the log. pkg/ is built once,
## as its own stage (`-o pkg`: test-pkg and test-e2e do not rebuild it).
TEST_STAGES = test-native test-web-lib $(addprefix test-web-,$(ENGINES)) pkg test-pkg test-e2e
test:
	@rm -f target/stage-times.txt
	@./scripts/timed.sh setup $(MAKE) setup
	@for stage in $(TEST_STAGES); do ./scripts/timed.sh $$stage $(MAKE) $$([ $$stage = pkg ] || echo -o pkg) $$stage || { cat target/stage-times.txt; exit 1; }; done; \
	  echo "== stage times"; cat target/stage-times.txt

# tests/program.rs runs the WebGPU kernels on Mesa's lavapipe (Vulkan), which wants a runtime dir.
test-native:
	XDG_RUNTIME_DIR=$${XDG_RUNTIME_DIR:-/tmp} cargo test --release --workspace

# `test-hooks` adds `__testTrap` (a panic / trap on purpose) for the trap tests; every wasm test
# build uses it so the library is compiled once. Each trap test poisons its module for good, so
# each has its own test binary. The --lib unit tests run in Node (no browser). Each engine runs
# the same browser test binaries (the first compiles them, the others only run
# wasm-bindgen-test-runner again); web_hub reads the test server's URL at compile time, so it is
# relinked for each engine's server (a fresh server: fresh rate limits).
WASM_TEST := cargo test --release --target wasm32-unknown-unknown --features test-hooks
test-web: test-web-lib $(addprefix test-web-,$(ENGINES))
test-web-lib:
	$(WASM_TEST) --lib
test-web-chromium test-web-firefox test-web-webkit: test-web-%:
	./scripts/with-engine.sh $* $(WASM_TEST) --test web --test web_worker --test web_trap --test web_trap_worker \
	  --test web_trap_async
	./scripts/with-test-server.sh ./scripts/with-engine.sh $* $(WASM_TEST) --test web_hub

# The package as tests see it (release profile: reuses the test build); in Chromium through
# playwright-core, in Firefox and WebKit through WebDriver (tests/pkg/engines.test.mjs; its
# ENGINES environment variable, default "firefox webkit", picks them).
test-pkg: pkg
	node_modules/.bin/tsc -p tests/pkg/tsconfig.json
	node --test tests/pkg/

# The demo page (www/) end to end in Debian's Chromium (playwright-core) against a real `yolo-wasm serve`
# that the harness builds and starts on a free port; screenshots in tests/e2e/screenshots/ (~1-2 min).
test-e2e: pkg
	node --test tests/e2e/

## Loopback load test of the real `yolo-wasm serve` (a load test, not a unit test: it reports latencies and peak
## memory): $(LOADTEST_CLIENTS) clients for $(LOADTEST_SECONDS) s against --concurrency 2 --queue 8, with header tricklers,
## stalled uploads, idle sockets and decompression bombs (server/tests/load.rs; `make test` runs its 3 s version).
loadtest:
	LOADTEST_CLIENTS=$(LOADTEST_CLIENTS) LOADTEST_SECONDS=$(LOADTEST_SECONDS) LOADTEST_TRICKLERS=4 LOADTEST_IDLE=16 \
	  LOADTEST_BOMBS=3 LOADTEST_RSS_CEILING_MB=1024 \
	  cargo test --release -p yolo-wasm-server --test load -- --nocapture

## pkg/: the npm package (release profile; `WASM_OPT=1` adds a wasm-opt -O3 pass, `PROFILE=dist` fat LTO).
pkg:
	./scripts/build-pkg.sh

## The demo page on http://127.0.0.1:$(PORT)/www/, served by `yolo-wasm serve` (open, loopback only), which also
## answers the HUB Inference API with the fixture models: `curl -F model=yolo11n-shapes -F file=@… http://127.0.0.1:$(PORT)`.
demo: setup pkg
	cargo build --release -p yolo-wasm-server
	@echo "yolo-wasm demo: http://127.0.0.1:$(PORT)/www/"
	cargo run --release -p yolo-wasm-server -- serve --models tests/fixtures/models --host 127.0.0.1 --port $(PORT) \
	  --static /www=www --static /pkg=pkg --static /tests/fixtures=tests/fixtures --cross-origin-isolation

## Benchmarks: yolo-wasm vs onnxruntime-web vs @ultralytics/yolo in headless Chromium (bench/run.mjs;
## writes the latest run into BENCHMARKS.md). Rebuilds pkg/ first when it is missing or older than
## the sources. Native stage benchmarks: `cargo bench --bench pipeline`.
## Native benchmark (bench/native.py): yolo-wasm (tract) at 1 and 2 threads against ONNX Runtime 1.32.0 (PyPI
## wheel in a venv under target/, CPU provider) at 1 and 2 threads, inference only, interleaved run by run; then the
## endpoint's requests per second at --concurrency 1 and 2. Writes BENCHMARKS.md between the bench-native markers.
ORT_VENV ?= target/ort-venv
.PHONY: bench-native
bench-native:
	@[ -x $(ORT_VENV)/bin/python ] || { python3 -m venv $(ORT_VENV) && $(ORT_VENV)/bin/pip install -q onnxruntime==1.32.0 numpy==2.4.6; }
	cargo build --release -p yolo-wasm-server
	cargo build --release --example infer_worker
	$(ORT_VENV)/bin/python bench/native.py $(BENCH_ARGS)

.PHONY: bench
bench: setup
	@if [ ! -f pkg/yolo_wasm_bg.wasm ] || [ -n "$$(find src npm scripts Cargo.toml Cargo.lock -newer pkg/yolo_wasm_bg.wasm -print -quit)" ]; then \
	  ./scripts/build-pkg.sh; fi
	node bench/run.mjs $(BENCH_ARGS)
	node bench/run.mjs --webgpu $(BENCH_WEBGPU_ARGS)

## Fuzzing (not part of `make test`): every cargo-fuzz target for FUZZ_RUNS executions (default
## 1,000,000; FUZZ_TIME=S caps each target's seconds), one job and one worker; prints executions,
## exec/s and libFuzzer's cov/ft per target. Needs the nightly toolchain; installs cargo-fuzz.
## `make fuzz FUZZ_TARGETS="heads hub"` runs only those. See FUZZING.md.
FUZZ_TARGETS ?=
fuzz:
	@command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked || cargo install cargo-fuzz
	./fuzz/run.sh $(FUZZ_TARGETS)

# The threaded wasm build's flags (the same as scripts/build-pkg.sh's): its own target dir, std rebuilt with atomics.
THREADS_RUSTFLAGS = $(shell scripts/threads-rustflags.sh)
lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --release -- -D warnings
	cargo clippy --all-targets --release --target wasm32-unknown-unknown -- -D warnings
	RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR=target/threads RUSTFLAGS="$(THREADS_RUSTFLAGS)" cargo clippy --lib --release \
	  --target wasm32-unknown-unknown --features threads -Z build-std=panic_abort,std -- -D warnings

fmt:
	cargo fmt --all
	cargo fmt --manifest-path fuzz/Cargo.toml

clean:
	cargo clean
	rm -rf pkg
