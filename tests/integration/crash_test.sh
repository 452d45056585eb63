#!/usr/bin/env bash
# Crash safety: SIGKILL `plait index` at several points; each time the database must open, pass
# PRAGMA integrity_check, and the next run must converge on the export of a clean index.
set -euo pipefail
PLAIT=${PLAIT_BIN:?}
SYN=$(ls -d /usr/share/cargo/registry/syn-1.* | head -1)
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$PLAIT" index "$SYN" --db "$T/clean" -q
"$PLAIT" export --db "$T/clean" --stable > "$T/clean.jsonl"
# measure a full run to spread the kill points over it
t0=$(date +%s%N); "$PLAIT" index "$SYN" --db "$T/probe" -q; t1=$(date +%s%N)
full_ms=$(( (t1 - t0) / 1000000 ))
for frac in 5 20 40 60 80 95; do
  rm -rf "$T/db"
  "$PLAIT" index "$SYN" --db "$T/db" -q --jobs 2 & pid=$!
  sleep "$(python3 -c "print($full_ms * $frac / 100 / 1000)")"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [ -f "$T/db/index.db" ]; then
    ok=$(sqlite3 "$T/db/index.db" 'PRAGMA integrity_check' 2>&1) || fail "database does not open after kill at $frac%: $ok"
    [ "$ok" = ok ] || fail "integrity_check after kill at $frac%: $ok"
  fi
  "$PLAIT" index "$SYN" --db "$T/db" -q
  "$PLAIT" export --db "$T/db" --stable > "$T/after.jsonl"
  cmp -s "$T/clean.jsonl" "$T/after.jsonl" || fail "run after kill at $frac% did not converge"
done
# Ctrl-C: exit 130, a consistent database, and the next run finishes the job
rm -rf "$T/db"
"$PLAIT" index "$SYN" --db "$T/db" -q --jobs 2 & pid=$!
sleep "$(python3 -c "print($full_ms * 0.5 / 1000)")"
kill -INT "$pid" 2>/dev/null || true
set +e; wait "$pid"; rc=$?; set -e
[ $rc -eq 130 ] || [ $rc -eq 0 ] || fail "SIGINT exit code $rc, want 130 (or 0 if it had finished)"
[ "$(sqlite3 "$T/db/index.db" 'PRAGMA integrity_check')" = ok ] || fail "integrity after SIGINT"
"$PLAIT" index "$SYN" --db "$T/db" -q
"$PLAIT" export --db "$T/db" --stable > "$T/after.jsonl"
cmp -s "$T/clean.jsonl" "$T/after.jsonl" || fail "run after SIGINT did not converge"
# a kill during an incremental run too
rm -rf "$T/db"; "$PLAIT" index "$SYN" --db "$T/db" -q
"$PLAIT" index "$SYN" --db "$T/db" -q & pid=$!; sleep 0.05; kill -9 $pid 2>/dev/null || true; wait $pid 2>/dev/null || true
[ "$(sqlite3 "$T/db/index.db" 'PRAGMA integrity_check')" = ok ] || fail "integrity after incremental kill"
echo "crash: ok (full run ${full_ms} ms)"
