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

# Thresholds: what plait achieves now, rounded down (precision, recall), taking the lower of
# HEAD 96ea9c6 and the resolver work in progress beside it; raise them as the resolver improves.
# Figures (HEAD -> work in progress): imports R .72 -> .95; calls/exact P .98 -> .97, R .79 -> .94;
# calls/typed R .71 -> .85; calls/all R .81 -> .89; implements R .68 -> 1.0; impl_for R .97 ->
# 1.0; references_type R .81 -> .97. The misses behind them, by cause (TODO):
#  - (fixed in the work in progress) `extern crate basics as geo` at the crate root was seen
#    only in the root module; a renamed Cargo dependency (`geo = { .., package = "basics" }`)
#    was not a crate name: every `use geo::..` / `geo::` path outside engine/src/lib.rs.
#  - `use x as _` gets no imports edge (std::fmt::Write as _, geo::Area as _).
#  - `super::` in a call path inside a function body does not resolve (app::extra::secret).
#  - cfg twins: `use platform::backend_name` and `engine::backend_name()` go to one copy,
#    ambiguous (the not(unix) one); through `use super::*` (platform::tests) nothing.
#  - two globs where visibility decides (`use crate::util::*; use extra::*;`): HEAD leaves
#    fmt_area/secret unresolved; the work in progress resolves fmt_area to extra's PRIVATE one
#    (an exact false positive: the 5th must-not edge allowed below, calls/exact P .97).
#  - receivers not typed yet: self.field.m() (Meters::value/double, Style::apply,
#    Style::describe_to), a let bound to a free function's result (label_or, summary, main's
#    `scene.area()`); they fall back to by-name candidates.
#  - by-name candidates collapse to the trait's declaration (c.area() -> Area::area, tolerated),
#    so impl methods (Circle::area, Polygon::area) are never candidates, an inherent method of
#    the same name (Scene::area) is left out, and the cap drops Describe::describe_to entirely.
#  - references_type from impl headers: `impl From<Meters> for f64`, the bound in
#    `impl<T: Describe> Describe for Option<T>`.
#  - precision: `matches!(self, Option::Missing(_))` yields an exact call to the variant (a
#    pattern); `self.lines.push(..)` / `scene.nodes.push(..)` on Vec fields give ambiguous calls
#    to Report::push. Target: calls/exact precision 1.0 and no must-not edge.
python3 "$SRC/integration/resolve_grade.py" "$T/export.jsonl" "$SRC/fixtures/resolve.expected.tsv" \
  --threshold imports=1.0,0.71 \
  --threshold calls/exact=0.96,0.79 \
  --threshold calls/typed=0.97,0.71 \
  --threshold calls/all=0.95,0.80 \
  --threshold implements=1.0,0.68 \
  --threshold impl_for=1.0,0.96 \
  --threshold references_type=1.0,0.81 \
  --max-violations 5

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
