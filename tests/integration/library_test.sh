#!/usr/bin/env bash
# Determinism at scale: rust-src's library/ (1,249 files, several workspaces, cfg'd module
# twins, #[path] mounts shared between crates) must export byte-identically after --jobs 2
# and after --jobs 1 in a shuffled order.  Release build only (label nosan): it is slow under
# the sanitizers and the smaller tests cover the same code there.
set -euo pipefail
PLAIT=${PLAIT_BIN:?}
LIB=/usr/src/rustc-1.63.0/library
[ -d "$LIB" ] || { echo "library_test: $LIB missing (Debian rust-src)"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
"$PLAIT" index "$LIB" --db "$T/a" -q --jobs 2
"$PLAIT" index "$LIB" --db "$T/b" -q --jobs 1 --shuffle 4242
"$PLAIT" export --db "$T/a" --stable > "$T/a.jsonl"
"$PLAIT" export --db "$T/b" --stable > "$T/b.jsonl"
if ! cmp -s "$T/a.jsonl" "$T/b.jsonl"; then
  diff "$T/a.jsonl" "$T/b.jsonl" | head -5
  echo "FAIL: library/ export depends on thread count or file order"; exit 1
fi
[ "$(sqlite3 "$T/a/index.db" "SELECT count(*) FROM diagnostics WHERE code = 'duplicate'")" = 0 ] ||
  { echo "FAIL: duplicate keys in library/"; exit 1; }
echo "library: ok ($(wc -l < "$T/a.jsonl") lines of export)"
