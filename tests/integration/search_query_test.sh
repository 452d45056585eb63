#!/usr/bin/env bash
# `plait search` on the fixture with the local model: each mode finds the obvious item for a
# few queries, filters hold in every mode, copies of a file reached from several crates are
# folded, --explain gives each signal, and --batch prints one JSON object per query line in
# the documented shape (the benchmark depends on it).
. "$(dirname "$0")/common.sh"
SRC=${PLAIT_SOURCE_DIR:?}/tests/fixtures
"$PLAIT" index "$SRC/ws" --db "$T/db" -q
S() { "$PLAIT" search --db "$T/db" "$@"; }
top() { S "$@" --k 1 | awk '{print $3}'; }

for mode in hybrid lexical semantic; do
  [ "$(top 'thing that has an area' --mode $mode)" = core_lib::Area ] || fail "$mode: area trait"
  [ "$(top 'a generic wrapper around a value' --mode $mode)" = core_lib::Wrapper ] || fail "$mode: wrapper"
done
[ "$(top Point --mode lexical)" = core_lib::geometry::point::Point ] || fail "lexical: Point"
[ "$(top Point)" = core_lib::geometry::point::Point ] || fail "hybrid: exact name first"
[ "$(top '2-D point')" = core_lib::geometry::point::Point ] || fail "hybrid: 2-D point"
[ "$(top Wrapper::new)" = core_lib::Wrapper::new ] || fail "hybrid: a path's last component as the name"

# filters, pushed into both searches: every hit passes, and the best hit that passes is found
for mode in hybrid lexical semantic; do
  S area --mode $mode --kind method --k 20 --json | python3 -c '
import json, sys; r = json.load(sys.stdin)["results"]
assert len(r) >= 5 and all(h["kind"] == "method" for h in r), r' || fail "$mode --kind"
  S area --mode $mode --crate app --k 20 --json | python3 -c '
import json, sys; r = json.load(sys.stdin)["results"]
assert r and all(h["path"] == "app" or h["path"].startswith("app::") for h in r), r' || fail "$mode --crate"
  S 'area of a point' --mode $mode --path '*geometry*' --k 20 --json | python3 -c '
import json, sys; r = json.load(sys.stdin)["results"]
assert r and all("geometry" in h["file"] for h in r), r' || fail "$mode --path"
done

# --explain: each signal's rank and score
S 'thing that has an area' --explain --json --k 1 | python3 -c '
import json, sys; h = json.load(sys.stdin)["results"][0]["explain"]
assert h["lexical"]["rank"] >= 1 and "bm25" in h["lexical"] and h["semantic"]["rank"] >= 1 and "similarity" in h["semantic"], h' \
  || fail "--explain"
S Point --explain | contains 'name +' || fail "--explain text shows the name boost"

# a file reached from two crates (tools/cli) is listed once
S 'library' --mode lexical --k 50 --json | python3 -c '
import json, sys, collections; r = json.load(sys.stdin)["results"]
sites = collections.Counter((h["file"], h["line"], h["kind"]) for h in r)
assert all(c == 1 for c in sites.values()), sites' || fail "copies not folded"

# --batch: one object per query line, the documented fields, model loaded once
printf 'thing that has an area\n\nPoint\n2-D point\n' > "$T/q"
for mode in hybrid lexical semantic; do
  S --batch "$T/q" --mode $mode --k 3 --json > "$T/out"
  python3 - "$T/out" "$mode" <<'PY' || fail "--batch $mode"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 3, lines
want = ["thing that has an area", "Point", "2-D point"]
for line, q in zip(lines, want):
    o = json.loads(line)
    assert o["query"] == q and isinstance(o["ms_total"], float) and isinstance(o["ms_embed"], float), o
    assert 1 <= len(o["results"]) <= 3
    for h in o["results"]:
        assert set(["key", "name", "path", "kind", "file", "line", "score"]) <= set(h), h
        assert isinstance(h["line"], int) and isinstance(h["score"], float)
    if sys.argv[2] == "lexical":
        assert o["ms_embed"] == 0.0
    else:
        assert o["ms_embed"] > 0 and o["ms_total"] >= o["ms_embed"]
PY
done

# no vectors: semantic and hybrid degrade to lexical with a note
"$PLAIT" index "$SRC/ws" --db "$T/none" -q --embed none
"$PLAIT" search Point --db "$T/none" --mode semantic 2> "$T/err" | head -1 | contains 'geometry::point::Point ' || fail "degraded search"
contains 'lexical search only' "$T/err" || fail "no note when degrading: $(cat "$T/err")"
set +e; "$PLAIT" search --db "$T/db" zzzqqqxxx >/dev/null 2>&1; rc=$?; set -e
[ $rc -eq 0 ] || [ $rc -eq 4 ] || fail "exit code $rc for a query with no lexical match"
set +e; "$PLAIT" search --db "$T/db" --mode nonsense x >/dev/null 2>&1; rc=$?; set -e
[ $rc -eq 2 ] || fail "a bad --mode exits $rc, want 2"
# the name boost is for a query that is a name or a path, not a sentence naming one in passing
S Wrapper::new --explain | contains 'name +' || fail "a path query gets the name boost"
! S 'Returned by Wrapper::new.' --explain | grep -q 'name +' || fail "a sentence got the name boost"
# copies of one item (same path and kind: cfg twins, impl copies) are listed once, every mode
for mode in hybrid lexical semantic; do
  S 'area of a point' --mode $mode --k 50 --json | python3 -c '
import json, sys, collections; r = json.load(sys.stdin)["results"]
items = collections.Counter((h["path"], h["kind"]) for h in r)
assert r and all(c == 1 for c in items.values()), items' || fail "$mode: copies of an item not folded"
done

# punctuation of any script in a query: one result line per query, none failing (a word with
# a typographic apostrophe once became a phrase the FTS table refused, ending the batch)
printf 'the point\xe2\x80\x99s area\na\xe2\x80\x94b \xc2\xabwrapper\xc2\xbb\ncaf\xc3\xa9 na\xc3\xafve\nx\xff y\nPoint\n' > "$T/uq.txt"
for mode in hybrid lexical semantic; do
  S --batch "$T/uq.txt" --json --mode $mode > "$T/uq.out" || fail "$mode: a batch with non-ASCII punctuation failed"
  [ "$(wc -l < "$T/uq.out")" -eq 5 ] || fail "$mode: $(wc -l < "$T/uq.out") result lines for 5 queries"
  ! grep -q '"error"' "$T/uq.out" || fail "$mode: $(grep '"error"' "$T/uq.out")"
done

echo ok
