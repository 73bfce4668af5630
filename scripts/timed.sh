#!/usr/bin/env bash
# Runs one stage of `make test` and records how long it took in target/stage-times.txt, so a CI
# log says where its minutes went (`make test` prints the table at the end). Usage:
#   scripts/timed.sh NAME COMMAND...
set -uo pipefail
name=$1
shift
mkdir -p target
start=$(date +%s)
"$@"
rc=$?
printf '%-20s %5d s%s\n' "$name" "$(( $(date +%s) - start ))" "$([ $rc = 0 ] || echo "  (failed: exit $rc)")" \
  >> target/stage-times.txt
exit $rc
