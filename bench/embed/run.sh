#!/usr/bin/env bash
# bench/embed/run.sh - local USE-lite throughput in plait's C inference beside the TF.js
# reference runtime, in the same run, on the same texts.  Prints a table.
#   bench/embed/run.sh            (build dir: $PLAIT_BUILD_DIR or build-embed)
# plait runs the whole text set (2,000 Rust items from rust-src, bench/embed/texts.json) at
# 1 and 2 worker threads, and once with 1 worker and 2 OpenBLAS threads (the design not
# taken); TF.js (tfjs-backend-cpu, pure JS) is ~100x slower, so it and plait both also run a
# fixed 100-text subset (every 20th text), TF.js one text per call (its fastest setting).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${PLAIT_BUILD_DIR:-build-embed}
js=build-embed-js
texts=bench/embed/texts.json
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" -j2 --target bench_embed >/dev/null
[ -f "$texts" ] || python3 bench/embed/make_texts.py
bench/embed/setup_js.sh "$js"
sub=$(mktemp /tmp/plait-embed-sub-XXXXXX.json)
res=$(mktemp /tmp/plait-embed-res-XXXXXX.txt)
trap 'rm -f "$sub" "$res"' EXIT
python3 -c "import json,sys; t=json.load(open('$texts')); json.dump(t[::20], open('$sub','w'))"

bin="$build/bench/embed/bench_embed"
model=${PLAIT_MODEL_DIR:-third_party/use-lite/dist}
{
  echo "all 1 $("$bin" "$texts" 1 256)"
  echo "all 2 $("$bin" "$texts" 2 256)"
  echo "all blas2 $("$bin" "$texts" 1 256 --blas-threads 2)"
  echo "subset 1 $("$bin" "$sub" 1 256)"
  echo "subset 1 $(NODE_PATH="$PWD/$js/node_modules" node bench/embed/reference.js bench "$model" "$sub" 1 2>/dev/null | grep runtime)"
} > "$res"
python3 bench/embed/table.py < "$res"
echo "(machine: $(nproc) cores, $(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | xargs); load when started: $(cut -d" " -f1 /proc/loadavg))"
