#!/usr/bin/env bash
# bench/run.sh - runs each benchmark's own runner, in order, each with its defaults:
#   bench/run.sh              index, ann, embed, pilot, search (those whose run.sh exists)
#   bench/run.sh index embed  only these
# Arguments each runner takes (see its header): index/run.sh [BUILD_DIR] (default
# build), ann/run.sh [BUILD_DIR] [ann_bench args] (default build-bench, 15-20 min),
# embed/run.sh and pilot/run.sh (build dir from $PLAIT_BUILD_DIR, defaults build-embed and
# build-pilot; pilot also reads PILOT_ROUNDS).  A runner that fails is
# reported and the next one still runs; the exit status is 1 if any failed.
set -uo pipefail
cd "$(dirname "$0")"
names=("$@")
[ ${#names[@]} -eq 0 ] && names=(index ann embed pilot search)
failed=()
for n in "${names[@]}"; do
  if [ ! -x "$n/run.sh" ] && [ ! -f "$n/run.sh" ]; then
    echo "== bench/$n: no run.sh, skipped"
    continue
  fi
  echo "== bench/$n ($(date '+%H:%M:%S'))"
  bash "$n/run.sh" || failed+=("$n")
  echo
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "bench: failed: ${failed[*]}" >&2
  exit 1
fi
