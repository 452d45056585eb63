#!/usr/bin/env bash
# The whole suite: a normal build (all tests), an ASan+UBSan build (all tests), a TSan build
# (tests labelled concurrency) and a clang libFuzzer build (short fuzz runs, label fuzz).
# Ends with one line "N passed, N failed" summing every ctest run.
set -uo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
pass=0; fail=0

run_config() { # name cmake-args... -- ctest-args...
  local name=$1; shift
  local cargs=() targs=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do cargs+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  targs=("$@")
  local dir="build-test-$name"
  echo "== $name: configure and build" >&2
  if ! cmake -S . -B "$dir" -DPLAIT_BENCH=OFF "${cargs[@]}" >"$dir.log" 2>&1 ||
     ! cmake --build "$dir" -j"$jobs" >>"$dir.log" 2>&1; then
    echo "== $name: BUILD FAILED (see $dir.log)" >&2; tail -30 "$dir.log" >&2
    fail=$((fail + 1)); return
  fi
  echo "== $name: ctest ${targs[*]}" >&2
  local out
  out=$(cd "$dir" && ctest --output-on-failure -j"$jobs" "${targs[@]}" 2>&1)
  echo "$out"
  local line
  line=$(echo "$out" | grep -E 'tests passed, [0-9]+ tests failed out of' | tail -1)
  if [ -z "$line" ]; then
    echo "$out" | grep -q 'No tests were found' || fail=$((fail + 1))
    return
  fi
  local total failed
  total=$(echo "$line" | sed -E 's/.* out of ([0-9]+).*/\1/')
  failed=$(echo "$line" | sed -E 's/.*, ([0-9]+) tests failed.*/\1/')
  pass=$((pass + total - failed)); fail=$((fail + failed))
}

run_config release -DCMAKE_BUILD_TYPE=RelWithDebInfo
run_config asan -DCMAKE_BUILD_TYPE=Debug -DPLAIT_SANITIZE=address -- -LE nosan
run_config tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPLAIT_SANITIZE=thread -- -L concurrency
if command -v clang >/dev/null; then
  run_config fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DPLAIT_FUZZ=ON -- -L fuzz
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
