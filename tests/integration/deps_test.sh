#!/usr/bin/env bash
# `plait index --with-deps` on tests/fixtures/deps, a crate that calls into syn, quote (renamed
# `q`) and proc-macro2 from Debian's /usr/share/cargo/registry: calls, imports and type
# references into them resolve, their nodes are external (stored by absolute path), a re-run
# parses nothing, without the flag the same edges stay unresolved with their written path, a
# missing dependency is a diagnostic, and the fallbacks (no Cargo.lock; a vendor/ folder) work.
set -euo pipefail
PLAIT=${PLAIT_BIN:?}
SRC=${PLAIT_SOURCE_DIR:?}/tests/fixtures/deps
REG=/usr/share/cargo/registry
for c in syn-1.0.107 quote-1.0.21 proc-macro2-1.0.47 unicode-ident-1.0.0; do
    [ -f "$REG/$c/Cargo.toml" ] || { echo "SKIP: $REG/$c not installed"; exit 0; }
done
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
export CARGO_HOME=$T/cargo-home # an empty one: the registry lookup must reach Debian's folder
mkdir -p "$CARGO_HOME"
cp -r "$SRC" "$T/ws"

# jq-free JSON checks: python reads stdin, the assertion is argv[1]
check() { python3 -c "import json, sys; h = json.load(sys.stdin); assert $1, h" || fail "$2"; }
field() { python3 -c "import json, sys; print(json.load(sys.stdin)$1)"; }

# ---- with the dependencies
"$PLAIT" index "$T/ws" --db "$T/db" --with-deps --json > "$T/first.json"
[ "$(field '["files"]' < "$T/first.json")" -gt 60 ] || fail "dependency files not indexed: $(cat "$T/first.json")"
"$PLAIT" callees depdemo::parse_names --db "$T/db" --json |
  check 'any(x["edge"] == "calls" and x["path"] == "syn::parse_str" and x["key"] and x["confidence"] == "exact" for x in h)' \
        "calls edge into syn unresolved"
"$PLAIT" callees depdemo::fail --db "$T/db" --json |
  check 'any(x["path"] == "syn::error::Error::new" and x["key"] for x in h) and any(x["path"] == "proc_macro2::Span::call_site" and x["key"] for x in h)' \
        "calls into syn's Error and proc-macro2's Span"
"$PLAIT" callees depdemo::expand --db "$T/db" --json |
  check 'any(x["path"] == "q::quote" and x["key"] for x in h)' "macro through the renamed dependency q = { package = \"quote\" }"
"$PLAIT" refs syn::punctuated::Punctuated --db "$T/db" --json |
  check 'any(x["edge"] == "imports" and x["path"] == "depdemo::use syn::punctuated::Punctuated" for x in h) and any(x["edge"] == "references_type" and x["path"] == "depdemo::Names::items" for x in h)' \
        "imports / references_type edges into syn"
"$PLAIT" refs syn::error::Error --db "$T/db" --json |
  check 'any(x["edge"] == "references_type" and x["path"] == "depdemo::fail" for x in h)' "references_type to syn::Error"
"$PLAIT" impls syn::parse::Parse --db "$T/db" --json |
  check 'any("Names" in x["path"] for x in h)' "implements edge to syn::parse::Parse"

# external: every node of a dependency crate lives in a file stored by absolute path, none of the
# fixture's does; the dependency crates are the ones Cargo.lock names (plus the alias q)
"$PLAIT" export --db "$T/db" --stable > "$T/export.jsonl"
python3 - "$T/export.jsonl" "$REG" <<'PY' || fail "external marking"
import json, sys
crates, nodes = set(), 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o["type"] != "node":
        continue
    nodes += 1
    crate = o["path"].split("::")[0]
    external = o["file"].startswith("/")
    assert external == (crate != "depdemo"), o
    assert o.get("external", False) == external, o  # the export says so too
    if external:
        assert o["file"].startswith(sys.argv[2] + "/"), o
    if o["kind"] == "crate":
        crates.add(o["path"])
assert crates == {"depdemo", "syn", "quote", "q", "proc_macro2", "unicode_ident"}, crates
assert nodes > 5000, nodes
PY
"$PLAIT" show syn::parse_str --db "$T/db" --json |
  check 'h[0]["file"] == "'$REG'/syn-1.0.107/src/lib.rs" and h[0]["source"]["status"] == "current"' "show of an external item"

# a re-run is a no-op
"$PLAIT" index "$T/ws" --db "$T/db" --with-deps --json |
  check 'h["parsed"] == 0 and h["changed"] is False' "re-run with --with-deps parsed or changed something"

# ---- without the dependencies: the same edges stay unresolved with their written path
"$PLAIT" index "$T/ws" --db "$T/plain" -q
"$PLAIT" callees depdemo::parse_names --db "$T/plain" --json |
  check 'any(x["unresolved"] == "syn::parse_str" and x["key"] is None for x in h)' "calls edge without --with-deps"
"$PLAIT" callees depdemo::fail --db "$T/plain" --json |
  check 'any(x["unresolved"] == "Error::new" and x["key"] is None for x in h)' "calls through an import without --with-deps"
[ "$(sqlite3 "$T/plain/index.db" "SELECT count(*) FROM files WHERE path LIKE '/%'")" = 0 ] || fail "dependency files without --with-deps"
# dropping the flag on an index made with it removes the dependencies
"$PLAIT" index "$T/ws" --db "$T/db" --json | check 'h["deleted"] > 60' "dependencies not removed without --with-deps"
[ "$(sqlite3 "$T/db/index.db" "SELECT count(*) FROM nodes WHERE crate = 'syn'")" = 0 ] || fail "syn nodes left behind"

# ---- a dependency whose sources are nowhere: a diagnostic, the rest indexed
cp -r "$SRC" "$T/miss"
printf '\n[[package]]\nname = "not-there"\nversion = "9.9.9"\nsource = "registry+file:///nowhere"\n' >> "$T/miss/Cargo.lock"
"$PLAIT" index "$T/miss" --db "$T/mdb" --with-deps -q
"$PLAIT" status --db "$T/mdb" --json |
  check 'any(d["code"] == "dependency-missing" and "dependency not-there 9.9.9: sources not found" in d["message"] for d in h["diagnostics"])' \
        "missing dependency diagnostic"
"$PLAIT" callees depdemo::parse_names --db "$T/mdb" --json | check 'h[0]["key"]' "index with a missing dependency"

# ---- no Cargo.lock: the members' dependencies at the highest version found, and theirs
cp -r "$SRC" "$T/nolock"
rm "$T/nolock/Cargo.lock"
"$PLAIT" index "$T/nolock" --db "$T/ndb" --with-deps -q
[ "$(sqlite3 "$T/ndb/index.db" "SELECT group_concat(crate, ' ') FROM (SELECT crate FROM nodes WHERE kind = 'crate' ORDER BY crate)")" = \
  "depdemo proc_macro2 q quote syn unicode_ident" ] || fail "crates without Cargo.lock"
"$PLAIT" callees depdemo::parse_names --db "$T/ndb" --json | check 'h[0]["key"]' "resolution without Cargo.lock"

# ---- a vendor/ folder inside the root wins, and its packages are not workspace members
cp -r "$SRC" "$T/vend"
mkdir "$T/vend/vendor"
for c in syn-1.0.107 quote-1.0.21 proc-macro2-1.0.47 unicode-ident-1.0.0; do cp -r "$REG/$c" "$T/vend/vendor/${c%-*}"; done
"$PLAIT" index "$T/vend" --db "$T/vdb" --with-deps -q
vreal=$(cd "$T/vend" && pwd -P)
"$PLAIT" show syn::parse_str --db "$T/vdb" --json | check 'len(h) == 1 and h[0]["file"] == "'$vreal'/vendor/syn/src/lib.rs"' "vendored syn"
[ "$(sqlite3 "$T/vdb/index.db" "SELECT count(*) FROM files WHERE path LIKE 'vendor/%'")" = 0 ] || fail "vendor/ indexed as workspace members"

# ---- the committed Cargo.lock resolves what cargo resolves (same packages and versions)
if command -v cargo >/dev/null 2>&1; then
    mkdir -p "$T/vendor-src" "$T/cargo/.cargo"
    for c in "$REG"/*; do ln -s "$c" "$T/vendor-src/$(basename "$c")"; done
    cp -r "$SRC"/Cargo.toml "$SRC"/src "$T/cargo/"
    printf '[source.crates-io]\nreplace-with = "local"\n[source.local]\ndirectory = "%s"\n' "$T/vendor-src" > "$T/cargo/.cargo/config.toml"
    (cd "$T/cargo" && cargo generate-lockfile --offline -q) || fail "cargo generate-lockfile"
    pkgs() { python3 -c 'import sys, tomllib; print(sorted((p["name"], p["version"], tuple(p.get("dependencies", []))) for p in tomllib.load(open(sys.argv[1], "rb"))["package"]))' "$1"; }
    [ "$(pkgs "$T/cargo/Cargo.lock")" = "$(pkgs "$SRC/Cargo.lock")" ] || fail "committed Cargo.lock differs from cargo's resolution"
fi
echo "deps: ok"
