#!/usr/bin/env bash
# Runs the ANN benchmark (plait vs hnswlib vs FAISS IndexHNSWFlat) and prints the table.
# Usage: bench/ann/run.sh [BUILD_DIR] [1m] [extra ann_bench args...]
#   default plan: 384-d, 100k clustered + uniform, 1,000 queries, M 16 and 32 (FAISS at M 16
#   only: its Debian build takes minutes per build on 2 cores), efConstruction 200, ef 10..400,
#   int8 variants at M 16, and 3 interleaved rounds of plait / hnswlib builds at 1 and 2
#   threads (wall and CPU time).  About 25-30 minutes on 2 cores.
#   The query sweeps of all indexes of one M are interleaved (each ef: every index back to
#   back) and repeated 3 times (--sweep-rounds R); rows give the best and the median round.
#   1m: the 1M configuration (ann_bench --preset 1m): clustered 1,000,000 x 384-d, M 16,
#   efConstruction 200, ef 10,40,100,200,400, plait / hnswlib / plait int8 built on 2 threads
#   and swept interleaved, then 1-thread builds of plait and hnswlib, then FAISS (progress on
#   stderr) and a second interleaved sweep with it.  About 1.5 hours of CPU before FAISS, whose
#   build alone takes several more.  --cache DIR keeps the built indexes for a rerun.
#   Quick look: bench/ann/run.sh build-vector --n 20000 --queries 200
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=${1:-build-bench}
shift || true
if [ ! -x "$dir/bench/ann/ann_bench" ]; then
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release -DPLAIT_BENCH=ON >/dev/null
  cmake --build "$dir" -j2 --target ann_bench >/dev/null
fi
if [ "${1:-}" = 1m ]; then
  shift
  exec "$dir/bench/ann/ann_bench" --preset 1m "$@"
fi
exec "$dir/bench/ann/ann_bench" --n 100000 --queries 1000 --dim 384 --data clustered,uniform \
  --M 16,32 --faiss-M 16 --ef 10,20,40,80,120,200,400 --threads 2 --int8 \
  --single-libs plait,hnswlib --build-reps 3 "$@"
