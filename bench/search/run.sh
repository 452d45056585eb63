#!/usr/bin/env bash
# bench/search/run.sh - search quality and speed (issue 5, "How it is measured"), every figure
# beside an anchor measured in the same run.  Prints a summary table; about 15-20 minutes on
# 2 shared cores (most of it embedding library/std twice and the TF.js reference).
#
#   bench/search/run.sh [BUILD_DIR]      (default build-evalbench, relative to the repository)
#
# Environment: WORK (default /tmp/plait-evalbench: indexes, tree copies, raw results; kept
# for inspection), SYN and STD (the corpora), MAX_QUERIES (2000), LAT_QUERIES (1000),
# JOBS (2, plait index --jobs), EMBED_BENCH=0 to skip bench/embed/run.sh (the throughput
# table with TF.js), FULL_EMBED=0 to skip the full embedding of the untouched library/std
# (the latency figures then run on the stripped copy's index).
#
# Quality, per corpus (syn; library/std from rust-src):
#   1. plait index ROOT --embed none; bench/search/evalset.py picks every documented item,
#      its doc's first sentence is the query, and writes a copy of the tree with those items'
#      doc comments blanked (line numbers and byte offsets unchanged);
#   2. plait index COPY --embed local, then evalset.py check: answers whose doc survived (0);
#   3. plait search --batch for lexical, semantic and hybrid; score.py: MRR@10, Recall@10,
#      Recall@1 (match rule: canonical path + kind, see score.py);
#   anchors on the same index and queries: search_anchor fts (bare FTS5 bm25, equal column
#   weights, words OR'ed) and search_anchor exact (the query embedded by the same model,
#   brute-force scan of every stored vector: the exact answer HNSW approximates).
# Speed:
#   bench/embed/run.sh (local model nodes/s and tokens/s, 1 and 2 threads, TF.js beside it);
#   plait index library/std --embed local vs --embed none (wall; the difference is the
#   embedding), each on a fresh database;
#   search latency over LAT_QUERIES queries (ms_total, and ms_total - ms_embed) per mode on
#   that index, beside search_anchor exact / fts and `grep -rlic` of the query's longest word.
# Targets: hybrid MRR@10 >= 1.10 x lexical on both corpora; hybrid p50 < 10 ms including the
# query embedding.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
build=${1:-build-evalbench}
work=${WORK:-/tmp/plait-evalbench}
syn=${SYN:-/usr/share/cargo/registry/syn-1.0.107}
std=${STD:-/usr/src/rustc-1.63.0/library/std}
maxq=${MAX_QUERIES:-2000}
latq=${LAT_QUERIES:-1000}
jobs=${JOBS:-2}
timebin=/usr/bin/time
here=bench/search

scripts/setup.sh bench
for tool in "$timebin" python3 grep; do
  command -v "$tool" >/dev/null || { echo "bench/search: $tool not found" >&2; exit 1; }
done
for d in "$syn" "$std"; do [ -d "$d" ] || { echo "bench/search: $d missing" >&2; exit 1; }; done
python3 $here/evalset.py selftest >/dev/null
python3 $here/score.py selftest >/dev/null

if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DPLAIT_BENCH=ON >/dev/null
fi
cmake --build "$build" -j2 --target plait search_anchor bench_embed >/dev/null
plait="$repo/$build/src/cli/plait"
anchor="$repo/$build/bench/search/search_anchor"

mkdir -p "$work"
res="$work/results"
rm -rf "$res"
mkdir -p "$res"
load0=$(cut -d' ' -f1 /proc/loadavg)
log() { echo "bench/search: $*" >&2; }

# timed NAME cmd...: wall seconds and peak RSS into $res/NAME.time, stdout into $res/NAME.out
timed() {
  local name=$1
  shift
  "$timebin" -f "%e %M" -o "$res/$name.time" "$@" > "$res/$name.out" 2> "$res/$name.err" || {
    echo "bench/search: failed: $*" >&2
    tail -20 "$res/$name.err" >&2
    exit 1
  }
}

# search_modes DB QUERIES PREFIX: plait search in every mode, then both anchors
search_modes() {
  local db=$1 q=$2 p=$3
  for mode in lexical semantic hybrid; do
    timed "$p-$mode" "$plait" search --batch "$q" --mode "$mode" --k 10 --db "$db" --json
  done
  timed "$p-exact" "$anchor" "$db" "$q" exact --k 10
  timed "$p-fts" "$anchor" "$db" "$q" fts --k 10
}

for corpus in syn std; do
  root=$syn
  [ "$corpus" = std ] && root=$std
  ev="$work/$corpus-eval"
  evdb="$work/$corpus-evaldb"   # outside $ev: evalset.py build replaces $ev
  log "$corpus: index the original tree ($root), --embed none"
  rm -rf "$work/$corpus-orig"
  timed "$corpus-index-orig" "$plait" index "$root" --db "$work/$corpus-orig" --embed none --jobs "$jobs" --quiet --json
  log "$corpus: evaluation set and stripped copy"
  python3 $here/evalset.py build "$root" "$work/$corpus-orig/index.db" "$ev" --max "$maxq" > "$res/$corpus-evalset.json"
  treesum=$(cd "$ev/tree" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
  if [ "${REUSE:-0}" = 1 ] && [ -f "$evdb/index.db" ] && [ "$(cat "$work/$corpus-eval.treesum" 2>/dev/null)" = "$treesum" ]; then
    log "$corpus: REUSE=1: the stripped copy is unchanged, its embedded index is kept"
  else
    log "$corpus: index the stripped copy, --embed local"
    rm -rf "$evdb" "$work/$corpus-eval.treesum"
    timed "$corpus-index-eval" "$plait" index "$ev/tree" --db "$evdb" --embed local --jobs "$jobs" --quiet --json
    echo "$treesum" > "$work/$corpus-eval.treesum"
  fi
  python3 $here/evalset.py check "$ev" "$evdb/index.db" > "$res/$corpus-check.json" || true
  log "$corpus: $(wc -l < "$ev/queries.txt") queries, lexical / semantic / hybrid and anchors"
  search_modes "$evdb" "$ev/queries.txt" "$corpus-q"
  python3 $here/score.py quality "$ev/answers.jsonl" \
    lexical="$res/$corpus-q-lexical.out" semantic="$res/$corpus-q-semantic.out" \
    hybrid="$res/$corpus-q-hybrid.out" exact="$res/$corpus-q-exact.out" fts="$res/$corpus-q-fts.out" \
    --json "$res/$corpus-quality.json" > /dev/null
done

if [ "${EMBED_BENCH:-1}" != 0 ]; then
  log "throughput: bench/embed/run.sh"
  PLAIT_BUILD_DIR=$build bash bench/embed/run.sh > "$res/embed-table.txt" 2> "$res/embed-table.err" || {
    echo "bench/search: bench/embed/run.sh failed" >&2
    tail -20 "$res/embed-table.err" >&2
  }
fi

latdb="$work/std-evaldb"
if [ "${FULL_EMBED:-1}" != 0 ]; then
  log "library/std: full index with --embed local and --embed none, fresh databases"
  rm -rf "$work/std-none" "$work/std-full"
  timed std-index-none "$plait" index "$std" --db "$work/std-none" --embed none --jobs "$jobs" --quiet --json
  timed std-index-full "$plait" index "$std" --db "$work/std-full" --embed local --jobs "$jobs" --quiet --json
  "$plait" status --db "$work/std-full" --json > "$res/std-full-status.json" 2>/dev/null || true
  latdb="$work/std-full"
fi
python3 -c "
import random, sys
q = [l for l in open('$work/std-eval/queries.txt') if l.strip()]
random.Random(7).shuffle(q)
sys.stdout.write(''.join(q[:$latq]))" > "$work/latency-queries.txt"
log "latency: $(wc -l < "$work/latency-queries.txt") queries on $latdb"
load_before=$(cut -d' ' -f1 /proc/loadavg)
search_modes "$latdb" "$work/latency-queries.txt" lat
echo "$load_before $(cut -d' ' -f1 /proc/loadavg)" > "$res/lat-load.txt"
python3 $here/score.py grep "$std" "$work/latency-queries.txt" 100 > "$res/lat-grep.json"

python3 $here/summary.py "$res" "$work" > "$res/summary.txt"
cat "$res/summary.txt"
[ -f "$res/embed-table.txt" ] && { echo; echo "local model throughput (bench/embed/run.sh, same run):"; cat "$res/embed-table.txt"; }
echo "(queries: MAX_QUERIES=$maxq per corpus, LAT_QUERIES=$latq; --jobs $jobs; machine: $(nproc) cores," \
  "$(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | xargs); load avg at start $load0, at end $(cut -d' ' -f1 /proc/loadavg))"
