#!/usr/bin/env bash
# The full-text rows follow the nodes through edits, renames and deletions of files (same
# transactions), the FTS5 index passes its integrity check, and an index of schema 2 is
# migrated to 3 with its FTS rows built.  Structure only (--embed none).
. "$(dirname "$0")/common.sh"
SRC=${PLAIT_SOURCE_DIR:?}/tests/fixtures
cp -r "$SRC/ws" "$T/ws"
L() { "$PLAIT" search --db "$T/db" --mode lexical --k 50 "$@"; }
fts_ok() {
  sqlite3 "$T/db/index.db" "INSERT INTO nodes_fts(nodes_fts, rank) VALUES ('integrity-check', 1);" || fail "FTS integrity check"
  [ "$(sqlite3 "$T/db/index.db" "SELECT (SELECT count(*) FROM nodes_fts) = (SELECT count(*) FROM nodes WHERE kind != 'use')")" = 1 ] \
    || fail "FTS rows differ from nodes $1"
}

"$PLAIT" index "$T/ws" --db "$T/db" -q --embed none
fts_ok "after the first index"
L Point | head -1 | contains 'struct  *core_lib::geometry::point::Point ' || fail "lexical: Point first"
L dist | contains 'Point::dist' || fail "lexical: dist"

# edit: a function renamed inside a file
sed -i 's/pub fn dist(/pub fn euclid_span(/' "$T/ws/crates/core_lib/src/geometry/point.rs"
"$PLAIT" index "$T/ws" --db "$T/db" -q --embed none
fts_ok "after an edit"
! L dist | contains 'Point::dist' || fail "the old name is still found"
L "euclid span" | head -1 | contains 'Point::euclid_span' || fail "the new name is not found"

# a file renamed (its module moves with it) and a file deleted
mv "$T/ws/crates/core_lib/src/shapes/detail.rs" "$T/ws/crates/core_lib/src/shapes/inner_detail.rs"
sed -i 's/^mod detail;/mod inner_detail;/' "$T/ws/crates/core_lib/src/shapes.rs"
rm "$T/ws/crates/core_lib/src/unused.rs"
"$PLAIT" index "$T/ws" --db "$T/db" -q --embed none
fts_ok "after a rename and a delete"
L "inner detail" --json | python3 -c '
import json, sys
r = json.load(sys.stdin)["results"]
assert any(h["file"] == "crates/core_lib/src/shapes/inner_detail.rs" for h in r), r
assert not any(h["file"].endswith("shapes/detail.rs") for h in r), r' || fail "renamed file"
! L unused --json | contains 'unused.rs' || fail "a deleted file is still found"

# filters are applied inside the search, not after the top k
L area --kind method --json | python3 -c '
import json, sys; r = json.load(sys.stdin)["results"]
assert r and all(h["kind"] == "method" for h in r), r' || fail "--kind"
L area --crate app --json | python3 -c '
import json, sys; r = json.load(sys.stdin)["results"]
assert r and all(h["path"] == "app" or h["path"].startswith("app::") for h in r), r' || fail "--crate"
L area --path 'crates/core_lib/src/shapes*' --k 1 --json | python3 -c '
import json, sys; r = json.load(sys.stdin)["results"]
assert len(r) == 1 and r[0]["file"].startswith("crates/core_lib/src/shapes"), r' || fail "--path"

# schema 2 -> 3: the FTS table and vector tables are made and filled by the next index
cp -r "$T/db" "$T/old"
sqlite3 "$T/old/index.db" 'DROP TABLE nodes_fts; DROP TABLE vec_labels; DROP TABLE vec_cache; DROP TABLE node_vecs; PRAGMA user_version = 2;'
set +e; "$PLAIT" search Point --db "$T/old" >/dev/null 2>&1; rc=$?; set -e
[ $rc -eq 3 ] || fail "search on schema 2 exits $rc, want 3"
"$PLAIT" index "$T/ws" --db "$T/old" -q --embed none
[ "$(sqlite3 "$T/old/index.db" 'PRAGMA user_version')" = 3 ] || fail "not migrated"
"$PLAIT" search Point --db "$T/old" --mode lexical | head -1 | contains 'geometry::point::Point ' || fail "search after migration"
echo ok
