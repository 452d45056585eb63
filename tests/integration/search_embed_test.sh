#!/usr/bin/env bash
# The embedding stage through the CLI, with the local model, on the fixture: every embeddable
# node gets a vector; an unchanged re-index embeds and writes nothing; an edited function is
# embedded again (and only it); a damaged or stale HNSW file is searched around and then
# rebuilt by the next index; an unreachable HTTP model leaves the structural index usable and
# `plait status` shows the breaker.
. "$(dirname "$0")/common.sh"
SRC=${PLAIT_SOURCE_DIR:?}/tests/fixtures
cp -r "$SRC/ws" "$T/ws"
field() { python3 -c 'import json, sys; o = json.load(sys.stdin)
for k in sys.argv[1].split("."): o = o[k]
print(str(o).lower())' "$1"; }
DB="$T/db/index.db"

"$PLAIT" index "$T/ws" --db "$T/db" --json > "$T/1.json"
want=$(sqlite3 "$DB" "SELECT count(*) FROM nodes WHERE kind NOT IN ('use', 'impl')")
[ "$(field embed.status < "$T/1.json")" = complete ] || fail "first embedding: $(cat "$T/1.json")"
[ "$(field embed.embedded < "$T/1.json")" = "$want" ] || fail "embedded $(field embed.embedded < "$T/1.json"), want $want"
"$PLAIT" status --db "$T/db" --json | field vectors.missing | contains -x 0 || fail "status: vectors missing"
"$PLAIT" status --db "$T/db" | contains "vectors: $want of $want nodes (0 missing)" || fail "status text"

# unchanged: nothing embedded, nothing written
sum() { cat "$DB" "$DB-wal" 2>/dev/null | md5sum; ls -l --time-style=+%s.%N "$T/db"/vectors-*.hnsw | awk '{print $6}'; }
before=$(sum)
"$PLAIT" index "$T/ws" --db "$T/db" --json > "$T/2.json"
[ "$(field embed.status < "$T/2.json")" = unchanged ] || fail "unchanged re-index: $(cat "$T/2.json")"
[ "$(sum)" = "$before" ] || fail "an unchanged re-index wrote something"

# one function edited: it alone is embedded again; its new text is what semantic search finds
sed -i 's|((self.x - o.x).powi(2) + (self.y - o.y).powi(2)).sqrt()|let giraffe_count = self.x + o.y; giraffe_count.sqrt()|' \
  "$T/ws/crates/core_lib/src/geometry/point.rs"
"$PLAIT" index "$T/ws" --db "$T/db" --json > "$T/3.json"
[ "$(field embed.embedded < "$T/3.json")" = 1 ] || fail "edit: $(cat "$T/3.json")"
[ "$(field embed.removed < "$T/3.json")" -ge 1 ] || fail "edit: the old vector was not removed"
"$PLAIT" search "giraffe count" --db "$T/db" --mode semantic --k 1 | contains 'Point::dist ' || fail "the new text is not what is searched"
key=$(sqlite3 "$DB" "SELECT key FROM nodes WHERE path = 'core_lib::geometry::point::Point::dist'")
[ "$(sqlite3 "$DB" "SELECT count(*) FROM node_vecs v JOIN nodes n ON n.key = v.key AND n.stamp = v.stamp WHERE v.key = '$key'")" = 1 ] \
  || fail "the edited function's vector is not for its new stamp"

# a damaged file: search falls back to the stored vectors (and says so), index rebuilds it
f=$(ls "$T/db"/vectors-*.hnsw)
printf 'garbage!' | dd of="$f" bs=1 seek=400 conv=notrunc 2>/dev/null
"$PLAIT" search "a generic wrapper around a value" --db "$T/db" --mode semantic --k 1 2> "$T/err" | contains 'core_lib::Wrapper ' \
  || fail "search with a damaged vector file"
contains damaged "$T/err" || fail "no note about the damaged file: $(cat "$T/err")"
"$PLAIT" index "$T/ws" --db "$T/db" --json > "$T/4.json"
[ "$(field embed.rebuilt < "$T/4.json")" = true ] || fail "damaged file not rebuilt: $(cat "$T/4.json")"
[ "$(field embed.embedded < "$T/4.json")" = 0 ] || fail "a rebuild must not embed again"
"$PLAIT" status --db "$T/db" --json | field vectors.file_state | contains -x current || fail "file not current after rebuild"

# a stale file (the database moved on without it): same
sqlite3 "$DB" "UPDATE meta SET value = value + 1 WHERE key = 'vec_generation'"
"$PLAIT" search "thing that has an area" --db "$T/db" --mode semantic --k 1 2> "$T/err" | contains 'core_lib::Area ' || fail "stale search"
contains stale "$T/err" || fail "no note about the stale file"
"$PLAIT" index "$T/ws" --db "$T/db" --json > "$T/5.json"
[ "$(field embed.rebuilt < "$T/5.json")" = true ] || fail "stale file not rebuilt: $(cat "$T/5.json")"

# HTTP model that cannot be reached: the index stays usable, status shows why and the breaker
"$PLAIT" index "$T/ws" --db "$T/db" --embed http --embed-url http://127.0.0.1:9 --embed-model nomodel --embed-dims 16 \
  --json > "$T/6.json" 2> "$T/6.err" || fail "index with an unreachable model failed: $(cat "$T/6.err")"
[ "$(field embed.status < "$T/6.json")" = failed ] || fail "http: $(cat "$T/6.json")"
"$PLAIT" find Wrapper --db "$T/db" | contains 'core_lib::Wrapper' || fail "find after a model failure"
"$PLAIT" status --db "$T/db" > "$T/status"
contains 'breaker: open' "$T/status" || fail "status does not show the open breaker: $(cat "$T/status")"
contains "vectors: 0 of $want nodes ($want missing); failed" "$T/status" || fail "status does not say why: $(cat "$T/status")"
"$PLAIT" search Wrapper --db "$T/db" 2> "$T/err" | head -1 | contains 'core_lib::Wrapper ' || fail "lexical search after a model failure"
contains 'lexical search only' "$T/err" || fail "no note that search fell back to lexical"
echo ok
