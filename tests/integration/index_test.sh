#!/usr/bin/env bash
# Integration: runs the plait binary on a real crate (Debian's syn).
# Checks: determinism across --jobs and file order, queries, and that re-indexing an unchanged
# tree changes no database byte and parses nothing.
. "$(dirname "$0")/common.sh"
SYN=$(ls -d /usr/share/cargo/registry/syn-1.* | head -1)

"$PLAIT" index "$SYN" --db "$T/a" -q --jobs 2
# a first load runs with a rollback journal (pages written once) and leaves the database in
# WAL mode; with a reader attached SQLite keeps WAL for the whole load, and the graph is the same
[ "$(sqlite3 "$T/a/index.db" 'PRAGMA journal_mode')" = wal ] || fail "a first load left the database out of WAL mode"
mkdir -p "$T/c"; sqlite3 "$T/c/index.db" 'PRAGMA journal_mode = WAL; CREATE TABLE held(x)' >/dev/null
python3 -c 'import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN"); c.execute("SELECT count(*) FROM held").fetchall()
open(sys.argv[1] + ".ready", "w").close(); time.sleep(120)' "$T/c/index.db" >/dev/null 2>&1 & reader=$!
for _ in $(seq 100); do [ -e "$T/c/index.db.ready" ] && break; sleep 0.1; done
"$PLAIT" index "$SYN" --db "$T/c" -q --jobs 2 --embed none
kill $reader 2>/dev/null || true; wait $reader 2>/dev/null || true
"$PLAIT" export --db "$T/c" --stable > "$T/c.jsonl"
"$PLAIT" index "$SYN" --db "$T/b" -q --jobs 1 --shuffle 12345
"$PLAIT" export --db "$T/a" --stable > "$T/a.jsonl"
"$PLAIT" export --db "$T/b" --stable > "$T/b.jsonl"
cmp -s "$T/a.jsonl" "$T/b.jsonl" || fail "export differs between --jobs 2 and --jobs 1 shuffled"
cmp -s "$T/a.jsonl" "$T/c.jsonl" || fail "export differs when a reader was attached during the first load"
grep -q '"path":"syn::punctuated::Punctuated"' "$T/a.jsonl" || fail "syn::punctuated::Punctuated missing"
"$PLAIT" find Punctuated --db "$T/a" | contains 'struct *syn::punctuated::Punctuated' || fail "find"
"$PLAIT" show syn::punctuated::Punctuated --db "$T/a" | contains 'impl_for' || fail "show lacks impl edges"
set +e; "$PLAIT" show no::such::Item --db "$T/a" 2>/dev/null; rc=$?; set -e
[ $rc -eq 4 ] || fail "show of a missing item exits $rc, want 4"

# unchanged re-index writes nothing
sqlite3 "$T/a/index.db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null  # readers may leave a WAL behind
sum1=$(md5sum < "$T/a/index.db")
"$PLAIT" index "$SYN" --db "$T/a" -q --jobs 2
sum2=$(md5sum < "$T/a/index.db")
[ ! -s "$T/a/index.db-wal" ] || fail "re-index of the unchanged tree wrote to the WAL"
[ "$sum1" = "$sum2" ] || fail "re-index of the unchanged tree changed the database"
"$PLAIT" index "$SYN" --db "$T/a" --json | contains "\"parsed\":0," || fail "unchanged re-index parsed files"
# two files claiming one module path: the same copy wins in any order, and the loser is told
D="$T/dup"; mkdir -p "$D/src"
printf '[package]\nname = "dup"\nversion = "0.1.0"\n' > "$D/Cargo.toml"
printf 'mod a;\n#[path = "other.rs"]\nmod a;\n' > "$D/src/lib.rs"
echo 'pub fn f() {}' > "$D/src/a.rs"; echo 'pub fn f() { g() }' > "$D/src/other.rs"
for seed in 1 2 3; do
  rm -rf "$T/dupdb"; "$PLAIT" index "$D" --db "$T/dupdb" -q --jobs 1 --shuffle $seed
  "$PLAIT" export --db "$T/dupdb" --stable > "$T/dup$seed.jsonl"
done
cmp -s "$T/dup1.jsonl" "$T/dup2.jsonl" && cmp -s "$T/dup1.jsonl" "$T/dup3.jsonl" || fail "duplicate keys resolved by processing order"
"$PLAIT" status --db "$T/dupdb" | contains 'src/other.rs:1 \[duplicate\]' || fail "no duplicate diagnostic on the losing file"
echo "integration: ok"
