#!/usr/bin/env bash
# Runs every fuzz target (or those named) for FUZZ_RUNS executions each (default 1,000,000),
# one job, one worker, and prints per target: executions, seconds, exec/s, cov, ft, corpus, and
# whether it crashed. Crash inputs land in fuzz/artifacts/<target>/. Used by `make fuzz`.
#
#   FUZZ_RUNS=N          executions per target
#   FUZZ_TIME=S          optional: also stop a target after S seconds (-max_total_time)
#   FUZZ_SANITIZER=none  cargo fuzz's sanitizer (none | address); none by default, see FUZZING.md
#   FUZZ_BUILD=0         run the binaries already built (no `cargo fuzz build`)
set -uo pipefail
cd "$(dirname "$0")"
RUNS=${FUZZ_RUNS:-1000000}
SAN=${FUZZ_SANITIZER:-none}
TARGETS=${*:-pylit metadata hub server_keys server_form contours letterbox heads image_decode png_alpha model_load}
./seed.sh > /dev/null
if [ "${FUZZ_BUILD:-1}" != 0 ]; then cargo +nightly fuzz build -s "$SAN" --release || exit 1; fi
BIN=${CARGO_TARGET_DIR:-$PWD/target}/x86_64-unknown-linux-gnu/release
mkdir -p logs
summary=()
status=0
for t in $TARGETS; do
  opts=(-runs="$RUNS" -jobs=1 -workers=1 -rss_limit_mb=2048 -print_final_stats=1)
  case $t in
    pylit | metadata) opts+=(-dict=dicts/pylit.dict -max_len=4096 -timeout=1 -malloc_limit_mb=256) ;;
    hub) opts+=(-dict=dicts/hub.dict -max_len=16384 -timeout=1 -malloc_limit_mb=256) ;;
    server_form) opts+=(-dict=dicts/form.dict -max_len=8192 -timeout=1 -malloc_limit_mb=256) ;;
    server_keys) opts+=(-max_len=4096 -timeout=1 -malloc_limit_mb=256) ;;
    contours | letterbox | heads) opts+=(-max_len=65536 -timeout=1 -malloc_limit_mb=512) ;;
    # The decoders may allocate up to decode::MAX_ALLOC (1 GiB) for a declared 16384² canvas.
    image_decode) opts+=(-max_len=65536 -timeout=1 -malloc_limit_mb=1100) ;;
    # png::Limits lets the decoder allocate 8 bytes a pixel of MAX_IMAGE_PIXELS (400 MB).
    png_alpha) opts+=(-max_len=65536 -timeout=1 -malloc_limit_mb=1100) ;;
    # tract: a plan for a 4096² input may hold tensors up to limits::MAX_TENSOR_ELEMENTS (512 MiB).
    model_load) opts+=(-max_len=65536 -timeout=5 -malloc_limit_mb=1100) ;;
  esac
  [ -n "${FUZZ_TIME:-}" ] && opts+=(-max_total_time="$FUZZ_TIME")
  mkdir -p "artifacts/$t"
  start=$(date +%s)
  # -jobs=1 runs the fuzzer in a child (log: fuzz-0.log, replayed into logs/<target>.log at its end).
  "$BIN/$t" "corpus/$t" "${opts[@]}" -artifact_prefix="artifacts/$t/" > "logs/$t.log" 2>&1
  rc=$?
  secs=$(( $(date +%s) - start ))
  last=$(grep -E '^#[0-9]+' "logs/$t.log" | tail -1)
  runs=$(grep -oE 'stat::number_of_executed_units: [0-9]+' "logs/$t.log" | awk '{print $2}')
  cov=$(grep -oE 'cov: [0-9]+' <<< "$last" | awk '{print $2}')
  ft=$(grep -oE 'ft: [0-9]+' <<< "$last" | awk '{print $2}')
  corp=$(grep -oE 'corp: [0-9]+/[0-9]+[a-zA-Z]*' <<< "$last" | awk '{print $2}')
  rate=$(( ${runs:-0} / (secs > 0 ? secs : 1) ))
  verdict=ok; [ $rc -ne 0 ] && { verdict="CRASH (rc $rc, logs/$t.log)"; status=1; }
  summary+=("$(printf '%-13s %10s runs %6ss %8s exec/s  cov %6s  ft %7s  corpus %-12s %s' \
    "$t" "${runs:-?}" "$secs" "$rate" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$verdict")")
  echo "${summary[-1]}"
done
echo; echo "fuzz summary (FUZZ_RUNS=$RUNS, sanitizer $SAN):"; printf '%s\n' "${summary[@]}"
exit $status
