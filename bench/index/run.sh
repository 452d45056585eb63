#!/usr/bin/env bash
# bench/index/run.sh - plait's index benchmark (issue 2, "Benchmark"), anchors in the same run.
#
#   bench/index/run.sh [BUILD_DIR]        (default build, relative to the repository; RUNS=3 in the environment)
#
# Corpora: Debian rust-src library/ and the syn crate (librust-syn-dev); override with
# LIBRARY=... SYN=....  For each corpus:
#   plait index ROOT --db (fresh) --jobs 1 and --jobs 2, RUNS times each: wall (median), peak RSS
#     (the --jobs 2 runs interleaved with PLAIT_BENCH_STRUCTURE_ONLY=1 runs: the foundation's
#     graph without call/type/import edges and resolution, the anchor for issue 3's +50%),
#     (max of the runs, GNU time %M), files, lines, nodes, edges, MB/s (source bytes / wall);
#   plait index again over the unchanged tree, RUNS times after the last fresh --jobs 2 index:
#     wall (median), files parsed, and whether index.db's bytes changed (sha256 before/after);
#   ctags -R --languages=Rust over the same root, RUNS times (wall median, peak RSS, tags);
#   ts_parse_rate ROOT 1 2 (bare tree-sitter-rust parse, files preloaded), RUNS times.
# Targets (library/, this 2-core machine): index wall <= 2x ctags, peak RSS < 500 MB,
# unchanged re-index < 0.5 s, resolution <= +50% over the structure-only index.  No
# embedding (--embed none): bench/search measures that.  About 3-4 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
runs=${RUNS:-3}
library=${LIBRARY:-/usr/src/rustc-1.63.0/library}
syn=${SYN:-/usr/share/cargo/registry/syn-1.0.107}
timebin=/usr/bin/time
for tool in "$timebin" ctags python3 sha256sum; do
  command -v "$tool" >/dev/null || { echo "bench/index: $tool not found" >&2; exit 1; }
done

if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPLAIT_BENCH=ON >/dev/null
fi
cmake --build "$build" -j2 --target plait ts_parse_rate >/dev/null
plait="$build/src/cli/plait"
tsrate="$build/bench/index/ts_parse_rate"

tmp=$(mktemp -d /tmp/plait-bench-index-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
res="$tmp/results.txt"
: > "$res"
load0=$(cut -d' ' -f1 /proc/loadavg)

# index.db and its WAL (not -shm: shared memory, rewritten by readers)
dbsum() { { cat "$1/index.db"; cat "$1/index.db-wal" 2>/dev/null || true; } | sha256sum | cut -c1-16; }

# timed CORPUS TAG RUN cmd... : one line "time CORPUS TAG RUN wall rss_kb" in results
timed() {
  local corpus=$1 tag=$2 run=$3
  shift 3
  "$timebin" -f "%e %M" -o "$tmp/time" "$@" > "$tmp/out" 2> "$tmp/err" || {
    echo "bench/index: failed: $*" >&2
    cat "$tmp/err" >&2
    exit 1
  }
  echo "time $corpus $tag $run $(tail -1 "$tmp/time")" >> "$res"
}

for corpus in library syn; do
  root=$library
  [ "$corpus" = syn ] && root=$syn
  [ -d "$root" ] || { echo "bench/index: $root missing" >&2; exit 1; }
  echo "bench/index: $corpus ($root)" >&2
  for r in $(seq 1 "$runs"); do
    timed "$corpus" ctags "$r" ctags -R --languages=Rust -f "$tmp/tags" "$root"
    echo "ctags $corpus tags $r $(grep -vc '^!_TAG' "$tmp/tags")" >> "$res"
    "$tsrate" "$root" 1 2 | sed "s/^/ts $corpus parse $r /" >> "$res"
  done
  for jobs in 1 2; do
    for r in $(seq 1 "$runs"); do
      if [ "$jobs" = 2 ]; then # the foundation's graph alone (no call/type/import edges, no
        # resolution), interleaved with the full runs so both see the same machine
        rm -rf "$tmp/db-structure"
        PLAIT_BENCH_STRUCTURE_ONLY=1 timed "$corpus" structure2 "$r" "$plait" index "$root" --db "$tmp/db-structure" \
          --jobs 2 --quiet --json --embed none
        echo "json $corpus structure2 $r $(tail -1 "$tmp/out")" >> "$res"
      fi
      db="$tmp/db-$corpus-$jobs"
      rm -rf "$db"
      timed "$corpus" "index$jobs" "$r" "$plait" index "$root" --db "$db" --jobs "$jobs" --quiet --json --embed none
      echo "json $corpus index$jobs $r $(tail -1 "$tmp/out")" >> "$res"
    done
    echo "status $corpus $jobs 0 $("$plait" status --db "$db" --json | python3 -c \
      'import json,sys; s=json.load(sys.stdin); print(json.dumps({k: s.get(k) for k in ("files","lines","nodes","edges")}))')" >> "$res"
  done
  # re-index the unchanged tree, starting right after the last fresh --jobs 2 index
  for r in $(seq 1 "$runs"); do
    before=$(dbsum "$db")
    timed "$corpus" reindex "$r" "$plait" index "$root" --db "$db" --jobs 2 --quiet --json --embed none
    echo "json $corpus reindex $r $(tail -1 "$tmp/out")" >> "$res"
    echo "dbsame $corpus reindex $r $([ "$before" = "$(dbsum "$db")" ] && echo 1 || echo 0)" >> "$res"
  done
done

[ -n "${BENCH_INDEX_RAW:-}" ] && cp "$res" "$BENCH_INDEX_RAW"
python3 - "$res" <<'PY'
import json, statistics, sys
from collections import defaultdict

time_, js, ts, tags, status, same = (defaultdict(list) for _ in range(6))
for line in open(sys.argv[1]):
    kind, corpus, tag, run, rest = line.rstrip("\n").split(" ", 4)
    if kind == "time":
        wall, rss = rest.split()
        time_[corpus, tag].append((float(wall), int(rss)))
    elif kind == "json":
        js[corpus, tag].append(json.loads(rest))
    elif kind == "ts":
        kv = dict(p.split("=") for p in rest.split())
        ts[corpus, int(kv["threads"])].append(kv)
    elif kind == "ctags":
        tags[corpus].append(int(rest))
    elif kind == "status":
        status[corpus, int(tag)] = json.loads(rest)
    elif kind == "dbsame":
        same[corpus].append(rest == "1")

med = statistics.median
wall = lambda c, t: med(w for w, _ in time_[c, t])
rss = lambda c, t: max(r for _, r in time_[c, t]) / 1024
rows = []
def row(*cells): rows.append([str(x) for x in cells])
def sep(): rows.append(None)

for c in ("library", "syn"):
    if (c, "ctags") not in time_:
        continue
    j1, j2 = js[c, "index1"][-1], js[c, "index2"][-1]
    s1, s2 = status[c, 1], status[c, 2]
    mb = j1["bytes"] / 1e6
    ct = wall(c, "ctags")
    t1, t2 = wall(c, "index1"), wall(c, "index2")
    ts1 = med(float(x["mbps"]) for x in ts[c, 1])
    ts2 = med(float(x["mbps"]) for x in ts[c, 2])
    tsf = ts[c, 1][0]
    rx = js[c, "reindex"]
    rw = wall(c, "reindex")
    target = c == "library"
    row(c, "plait --jobs 1", "plait --jobs 2", "anchor", "vs target" if target else "")
    sep()
    row("files", j1["files"], j2["files"], f"{tsf['files']} .rs files (ctags, tree-sitter)", "")
    row("lines", s1["lines"], s2["lines"], f"{tsf['lines']} (all .rs files)", "")
    row("source MB", f"{mb:.1f}", f"{j2['bytes'] / 1e6:.1f}", f"{int(tsf['bytes']) / 1e6:.1f}", "")
    row("wall s (median)", f"{t1:.2f}", f"{t2:.2f}", f"ctags {ct:.2f}",
        f"{min(t1, t2) / ct:.1f}x ctags (<= 2x: {'ok' if min(t1, t2) <= 2 * ct else 'MISS'})" if target else "")
    ts2w = wall(c, "structure2")
    row("  structure only (no resolution)", "", f"{ts2w:.2f}", f"full / structure = {t2 / ts2w:.2f}",
        f"resolution +{100 * (t2 / ts2w - 1):.0f}% (<= 50%: {'ok' if t2 <= 1.5 * ts2w else 'MISS'})" if target else "")
    ph = lambda t: {k: med(j["phases"][k] for j in js[c, t]) for k in js[c, t][0]["phases"]}
    p2, pst = ph("index2"), ph("structure2")
    row("  phases s, full", "", " ".join(f"{k} {v:.2f}" for k, v in p2.items()), "", "")
    row("  phases s, structure only", "", " ".join(f"{k} {v:.2f}" for k, v in pst.items()), "", "")
    row("MB/s", f"{mb / t1:.2f}", f"{j2['bytes'] / 1e6 / t2:.2f}",
        f"tree-sitter {ts1:.2f} (1 thr), {ts2:.2f} (2 thr); ctags {int(tsf['bytes']) / 1e6 / ct:.1f}", "")
    row("plait / bare parse", f"{(mb / t1) / ts1:.2f}", f"{(j2['bytes'] / 1e6 / t2) / ts2:.2f}", "1.00 = parse-bound", "")
    row("nodes", s1["nodes"], s2["nodes"], f"ctags tags {med(tags[c])}", "")
    row("edges", s1["edges"], s2["edges"], "", "")
    row("files parsed", j1["parsed"], j2["parsed"], "", "")
    row("file writes (incl. re-mounts)", j1.get("written", "-"), j2.get("written", "-"), "", "")
    r1, r2 = rss(c, "index1"), rss(c, "index2")
    row("peak RSS MB (max)", f"{r1:.0f}", f"{r2:.0f}", f"ctags {rss(c, 'ctags'):.0f}",
        f"{max(r1, r2) / 500:.2f} of 500 MB ({'ok' if max(r1, r2) < 500 else 'MISS'})" if target else "")
    row("re-index unchanged s", "", f"{rw:.3f} (median; runs " + ", ".join(f"{w:.2f}" for w, _ in time_[c, "reindex"]) + ")",
        "", f"{rw / 0.5:.2f} of 0.5 s ({'ok' if rw < 0.5 else 'MISS'})" if target else "")
    row("  files parsed per re-index", "", ", ".join(str(x["parsed"]) for x in rx), "0 expected", "")
    row("  index.db bytes changed", "", ", ".join("yes" if not s else "no" for s in same[c]), "no expected", "")
    sep()

widths = [max(len(r[i]) for r in rows if r) for i in range(5)]
for r in rows:
    if r is None:
        print("-" * (sum(widths) + 8))
    else:
        print("  ".join(x.ljust(widths[i]) for i, x in enumerate(r)).rstrip())
PY
echo "(RUNS=$runs; wall = median, peak RSS = max over runs; MB = 10^6 bytes; machine: $(nproc) cores," \
  "$(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | xargs); load avg at start $load0, at end $(cut -d' ' -f1 /proc/loadavg))"
