#!/usr/bin/env bash
# The fixture workspace (tests/fixtures/ws) must export exactly tests/fixtures/ws.expected.jsonl
# (stamps left out); every stamp must be a UUIDv7; an unchanged item keeps its stamp across
# an edit of its file while a changed one gets a new, later stamp; and an edited tree
# converges to what a clean index of the same tree gives.
. "$(dirname "$0")/common.sh"
SRC=${PLAIT_SOURCE_DIR:?}/tests/fixtures

cp -r "$SRC/ws" "$T/ws"
"$PLAIT" index "$T/ws" --db "$T/db" -q
"$PLAIT" export --db "$T/db" --stable > "$T/got.jsonl"
diff -u "$SRC/ws.expected.jsonl" "$T/got.jsonl" || fail "fixture export differs from ws.expected.jsonl"

"$PLAIT" export --db "$T/db" > "$T/full.jsonl"
python3 - "$T/full.jsonl" <<'PY' || fail "stamps"
import json, re, sys
rx = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$')
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o["type"] == "node" and not rx.match(o["stamp"]):
        sys.exit("bad stamp %r on %s" % (o["stamp"], o["path"]))
PY

# graph walks on the fixture
"$PLAIT" callers core_lib::outer::helper --db "$T/db" | contains 'core_lib::outer::Local::go  crates/core_lib/src/lib.rs:93  (exact)' || fail "callers"
[ "$("$PLAIT" impls core_lib::Area --db "$T/db" | grep -c '^implements')" -eq 5 ] || fail "impls of Area"
"$PLAIT" callees core_lib::Area::describe --db "$T/db" --min-confidence exact | contains 'core_lib::Area::area' || fail "callees"
"$PLAIT" callees core_lib::outer --db "$T/db" | contains 'core_lib::outer::Local::go' || fail "callees: ambiguous"
! "$PLAIT" callees core_lib::outer --db "$T/db" --min-confidence inferred | contains 'core_lib::outer::Local::go' || fail "min-confidence"
"$PLAIT" callers core_lib::Wrapper::new --db "$T/db" --json | python3 -c '
import json, sys; h = json.load(sys.stdin)
assert [x["path"] for x in h] == ["app::main"] and h[0]["line"] == 33, h' || fail "callers --json"

"$PLAIT" callees app::through_reexport --db "$T/db" | contains 'core_lib::geometry::point::Point::dist .*(exact)' || fail "call through a re-export"
"$PLAIT" refs core_lib::Area --db "$T/db" | contains '^imports' || fail "imports edge in refs"

"$PLAIT" refs core_lib::geometry::point::Point --db "$T/db" | contains 'references_type core_lib::geometry::point::Point::dist' || fail "references_type from a signature"
"$PLAIT" refs core_lib::Error --db "$T/db" | contains 'references_type core_lib::Result' || fail "references_type from a type alias"

# an index of schema 1 (edges had no line) is migrated by the next `plait index`
cp -r "$T/db" "$T/old"
sqlite3 "$T/old/index.db" 'ALTER TABLE edges DROP COLUMN line; PRAGMA user_version = 1;'
set +e; "$PLAIT" status --db "$T/old" >/dev/null 2>&1; rc=$?; set -e
[ $rc -eq 3 ] || fail "a reader on an old schema exits $rc, want 3"
"$PLAIT" index "$T/ws" --db "$T/old" -q
[ "$(sqlite3 "$T/old/index.db" 'PRAGMA user_version')" = "$(sqlite3 "$T/db/index.db" 'PRAGMA user_version')" ] ||
  fail "not migrated to the current schema"
"$PLAIT" export --db "$T/old" --stable | cmp -s - "$SRC/ws.expected.jsonl" || fail "migrated index differs"

stamp() { grep "\"path\":\"$1\"" "$2" | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["stamp"])'; }
before_keep=$(stamp core_lib::geometry::point::Point::dist "$T/full.jsonl")
before_change=$(stamp core_lib::geometry::point::Point "$T/full.jsonl")
# edit: change the struct (new field), keep `dist` byte-identical, add and remove items elsewhere
sed -i 's/    pub y: f64,/    pub y: f64,\n    pub z: f64,/' "$T/ws/crates/core_lib/src/geometry/point.rs"
sed -i 's/pub fn custom() {}/pub fn custom_renamed() {}/' "$T/ws/crates/core_lib/src/extra/custom.rs"
rm "$T/ws/crates/app/src/bin/tool.rs"
echo 'pub mod added;' >> "$T/ws/crates/core_lib/src/geometry/mod.rs"
echo 'pub struct Added;' > "$T/ws/crates/core_lib/src/geometry/added.rs"
"$PLAIT" index "$T/ws" --db "$T/db" -q
"$PLAIT" export --db "$T/db" > "$T/full2.jsonl"
[ "$(stamp core_lib::geometry::point::Point::dist "$T/full2.jsonl")" = "$before_keep" ] || fail "unchanged item lost its stamp"
after_change=$(stamp core_lib::geometry::point::Point "$T/full2.jsonl")
[ "$after_change" != "$before_change" ] || fail "changed item kept its stamp"
[[ "$after_change" > "$before_change" ]] || fail "new stamp is not later than the old one"
"$PLAIT" index "$T/ws" --db "$T/clean" -q
"$PLAIT" export --db "$T/db" --stable > "$T/inc.jsonl"
"$PLAIT" export --db "$T/clean" --stable > "$T/clean.jsonl"
diff -u "$T/clean.jsonl" "$T/inc.jsonl" || fail "incremental index differs from a clean index"
grep -q '"path":"core_lib::geometry::added::Added"' "$T/inc.jsonl" || fail "added module missing"
grep -q '"path":"core_lib::custom::custom_renamed"' "$T/inc.jsonl" || fail "renamed item missing"
! grep -q '"path":"core_lib::custom::custom"' "$T/inc.jsonl" || fail "renamed item's old node survived"
! grep -q '"file":"crates/app/src/bin/tool.rs"' "$T/inc.jsonl" || fail "deleted file's nodes survived"
echo "fixture: ok"
