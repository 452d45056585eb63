#!/usr/bin/env bash
# bench/pilot/run.sh - the concurrency pilot (issue 2, item 10): a string interner fed from
# rust-src, measured as "private" (per-worker plait_strmap + merge: plait today), "striped"
# (64 mutex stripes) and liburcu's cds_lfht (urcu-memb and urcu-qsbr) at 1 and 2 threads.
#   bench/pilot/run.sh                (build dir: $PLAIT_BUILD_DIR or build-pilot)
#   PILOT_ROUNDS=5 (default)          rounds; each round runs every configuration once
# Workloads: "library" = rust-src library/ (the briefed corpus); "lib+compiler" = library/
# then compiler/ (a larger workspace, ~2.7M ops).  Rounds are interleaved so that a change in
# the machine's load hits every configuration alike; each process loads the corpus, makes one
# verifying cold pass (memory figure, every op checked) and one timed warm run.  The table
# gives the median of the rounds.  Any failed check (bench_pilot exits 3, or two contenders'
# final sets differ) stops the script with FAIL.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${PLAIT_BUILD_DIR:-build-pilot}
rounds=${PILOT_ROUNDS:-5}
src=/usr/src/rustc-1.63.0
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" -j2 --target bench_pilot >/dev/null
bin="$build/bench/pilot/bench_pilot"
res=$(mktemp /tmp/plait-pilot-XXXXXX.txt)
trap 'rm -f "$res"' EXIT

declare -A corpus=(
  [library]="--corpus $src/library"
  [lib+compiler]="--corpus $src/library --corpus $src/compiler"
)
# map label -> bench_pilot arguments.  "/presized" starts cds_lfht at 2^17 buckets (more than
# library/'s distinct strings) to separate the table from its background resizing.  To keep
# the run under ~5 minutes the larger workload measures only the qsbr flavour (see
# docs/pilot.md for why qsbr).
maps=(private striped lfht-memb lfht-qsbr lfht-memb/presized lfht-qsbr/presized)
big_skip=" lfht-memb lfht-memb/presized lfht-qsbr/presized "
declare -A mapargs=(
  [private]="--map private" [striped]="--map striped" [lfht-memb]="--map lfht-memb"
  [lfht-qsbr]="--map lfht-qsbr" [lfht-memb/presized]="--map lfht-memb --lfht-init 131072"
  [lfht-qsbr/presized]="--map lfht-qsbr --lfht-init 131072"
)
load0=$(cut -d' ' -f1-3 /proc/loadavg)
t0=$(date +%s)
for ((r = 1; r <= rounds; r++)); do
  for w in library lib+compiler; do
    for m in "${maps[@]}"; do
      [ "$w" = lib+compiler ] && [[ "$big_skip" == *" $m "* ]] && continue
      for t in 1 2; do
        # shellcheck disable=SC2086
        if ! out=$("$bin" ${mapargs[$m]} --threads "$t" --runs 1 ${corpus[$w]}); then
          echo "FAIL: bench_pilot ${mapargs[$m]} --threads $t ($w) failed" >&2
          exit 1
        fi
        echo "workload=$w label=$m round=$r $out" >> "$res"
      done
    done
  done
done
t1=$(date +%s)

python3 - "$res" <<'PY'
import sys, statistics as st
rows = []
for line in open(sys.argv[1]):
    rows.append(dict(kv.split('=', 1) for kv in line.split()))
fail = False
for w in sorted({r['workload'] for r in rows}):
    digests = {r['digest'] for r in rows if r['workload'] == w}
    if len(digests) != 1 or any(r['check'] != 'ok' or r['verified'] != 'yes' for r in rows if r['workload'] == w):
        print(f"FAIL: {w}: contenders disagree on the final set: {sorted(digests)}")
        fail = True
if fail:
    sys.exit(1)
order = ['private', 'striped', 'lfht-memb', 'lfht-qsbr', 'lfht-memb/presized', 'lfht-qsbr/presized']
for w in ['library', 'lib+compiler']:
    sel = [r for r in rows if r['workload'] == w]
    if not sel:
        continue
    r0 = sel[0]
    print(f"\n{w}: {r0['files']} files, {r0['mb']} MB, {int(r0['ops']):,} ops "
          f"({int(r0['idents']):,} identifiers, {int(r0['lifetimes']):,} lifetimes, {int(r0['paths']):,} paths, "
          f"{int(r0['canon']):,} canonical item paths), {int(r0['distinct']):,} distinct, hit ratio {float(r0['hit']):.3f}; "
          f"final set digest {r0['digest']} (all runs agree)")
    print(f"{'map':<20}{'thr':>4}{'Mops/s (median)':>17}{'min-max':>13}{'Mops/cpu-s':>12}{'cold Mops/s':>13}"
          f"{'merge ms':>10}{'map peak MB':>13}{'proc peak MB':>14}{'vs 1 thr':>10}")
    base = {}
    for m in order:
        for t in ('1', '2'):
            g = [r for r in sel if r['label'] == m and r['threads'] == t]
            if not g:
                continue
            ops = [float(r['ops_per_s']) / 1e6 for r in g]
            med = st.median(ops)
            if t == '1':
                base[m] = med
            scale = f"{med / base[m]:.2f}x" if t == '2' and m in base else ''
            print(f"{m:<20}{t:>4}{med:>17.2f}{min(ops):>6.2f}-{max(ops):<6.2f}"
                  f"{st.median(float(r['ops_per_cpu_s']) / 1e6 for r in g):>12.2f}"
                  f"{st.median(float(r['cold_ops_per_s']) / 1e6 for r in g):>13.2f}"
                  f"{st.median(float(r['finish_s']) * 1e3 for r in g):>10.1f}"
                  f"{st.median(float(r['map_peak_kb']) / 1024 for r in g):>13.1f}"
                  f"{st.median(float(r['proc_peak_kb']) / 1024 for r in g):>14.1f}{scale:>10}")
PY
echo
echo "(median of $rounds interleaved rounds; machine: $(nproc) cores, $(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | xargs), shared with other jobs; load avg at start $load0, at end $(cut -d' ' -f1-3 /proc/loadavg); wall $((t1 - t0)) s)"
