#!/usr/bin/env bash
# Name resolution graded on a labelled fixture (issue 3): indexes tests/fixtures/resolve, exports
# it and grades the imports / calls / implements / impl_for / references_type edges against the
# hand-labelled tests/fixtures/resolve.expected.tsv. Prints precision and recall per kind, every
# miss and false positive by rule, and a one-line summary. See docs/resolve-fixture.md.
#
# Run alone: PLAIT_BIN=build-x/src/cli/plait PLAIT_SOURCE_DIR=$PWD tests/integration/resolve_test.sh
set -euo pipefail
PLAIT=${PLAIT_BIN:?}
SRC=${PLAIT_SOURCE_DIR:?}/tests
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT

cp -r "$SRC/fixtures/resolve" "$T/ws"
"$PLAIT" index "$T/ws" --db "$T/db" -q
"$PLAIT" export --db "$T/db" --stable > "$T/export.jsonl"

# Thresholds: what plait achieves now, rounded down (precision, recall). Figures when they were
# set: imports P1.00 R0.98; calls/exact P1.00 R0.98; calls/typed P1.00 R0.98; calls/all P1.00
# R0.96; implements, impl_for and references_type P1.00 R1.00; no must-not edge. The misses
# left, by cause (TODO):
#  - cfg twins: `use platform::backend_name` and `engine::backend_name()` go to the not(unix)
#    copy (same path, so not ambiguous any more, but not the copy rustc sees on Linux); plait
#    indexes every cfg branch and does not evaluate cfg.
#  - a loop variable or an untyped closure parameter (element types of iterators are not
#    followed): by-name candidates, and those pass the cap of 8 (Describe::describe_to has 12
#    definitions); a pattern over a generic variant field (`Option::Some(v)` of the local
#    Option<T>, v: &T) is not followed to T's bounds.
#  - a receiver typed by a method's return type through another crate's alias (to_basic ->
#    geo::Circle).
python3 "$SRC/integration/resolve_grade.py" "$T/export.jsonl" "$SRC/fixtures/resolve.expected.tsv" \
  --threshold imports=1.0,0.97 \
  --threshold calls/exact=1.0,0.97 \
  --threshold calls/typed=0.99,0.97 \
  --threshold calls/all=0.99,0.95 \
  --threshold implements=1.0,1.0 \
  --threshold impl_for=1.0,1.0 \
  --threshold references_type=1.0,0.99 \
  --max-violations 0

# Incremental correctness (issue 3): edit, rename and delete items in one file; edges from
# unchanged files into it must be answered again, none may point at a node that is gone, and
# the whole graph must equal a clean index of the new tree.
F="$T/ws/basics/src/units.rs"
sed -i 's/pub fn meters(v: f64) -> Meters {/pub fn metres(v: f64) -> Meters {/' "$F"
python3 - "$F" <<'PY'
import re, sys
p = sys.argv[1]; s = open(p).read()
s = re.sub(r"/// rule: casts reference the alias they name\.\npub fn round_to_grid\(v: i64\) -> Scalar \{\n    v as Scalar\n\}\n", "", s)
s = s.replace("(dx * dx + dy * dy).sqrt()", "(dx * dx + dy * dy).sqrt() + 0.0")
open(p, "w").write(s)
PY
grep -q 'fn metres' "$F" && ! grep -q 'fn round_to_grid' "$F" || { echo "FAIL: edit did not apply"; exit 1; }
"$PLAIT" index "$T/ws" --db "$T/db" -q
"$PLAIT" index "$T/ws" --db "$T/clean" -q
"$PLAIT" export --db "$T/db" --stable > "$T/inc.jsonl"
"$PLAIT" export --db "$T/clean" --stable > "$T/clean.jsonl"
diff -u "$T/clean.jsonl" "$T/inc.jsonl" || { echo "FAIL: incremental graph differs from a clean index"; exit 1; }
dangling=$(sqlite3 "$T/db/index.db" 'SELECT count(*) FROM edges e WHERE e.dst IS NOT NULL AND NOT EXISTS (SELECT 1 FROM nodes n WHERE n.key = e.dst)')
[ "$dangling" = 0 ] || { echo "FAIL: $dangling edges point at nodes that no longer exist"; exit 1; }
# the caller in an unchanged file lost its target and kept the path it wrote
"$PLAIT" callees basics::summary --db "$T/db" | grep -c 'meters .*(unresolved)' >/dev/null ||
  { echo "FAIL: call to the renamed fn from an unchanged file not re-answered"; exit 1; }
echo "resolve fixture: incremental edit/rename/delete equals a clean index"
