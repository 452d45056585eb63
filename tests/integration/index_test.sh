#!/usr/bin/env bash
# Integration: runs the plait binary on a real crate (Debian's syn) and on bad input.
# Checks: determinism across --jobs and file order, re-index of an unchanged tree changes no
# database byte, bad files give diagnostics while the rest is indexed.
set -euo pipefail
PLAIT=${PLAIT_BIN:?}
SYN=$(ls -d /usr/share/cargo/registry/syn-1.* | head -1)
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$PLAIT" index "$SYN" --db "$T/a" -q --jobs 2
"$PLAIT" index "$SYN" --db "$T/b" -q --jobs 1 --shuffle 12345
"$PLAIT" export --db "$T/a" --stable > "$T/a.jsonl"
"$PLAIT" export --db "$T/b" --stable > "$T/b.jsonl"
cmp -s "$T/a.jsonl" "$T/b.jsonl" || fail "export differs between --jobs 2 and --jobs 1 shuffled"
grep -q '"path":"syn::punctuated::Punctuated"' "$T/a.jsonl" || fail "syn::punctuated::Punctuated missing"
"$PLAIT" find Punctuated --db "$T/a" | grep -q 'struct *syn::punctuated::Punctuated' || fail "find"
"$PLAIT" show syn::punctuated::Punctuated --db "$T/a" | grep -q 'impl_for' || fail "show lacks impl edges"
set +e; "$PLAIT" show no::such::Item --db "$T/a" 2>/dev/null; rc=$?; set -e
[ $rc -eq 4 ] || fail "show of a missing item exits $rc, want 4"

# bad input next to good files
B="$T/bad"; mkdir -p "$B/src"
printf 'pub mod ok;\npub mod broken;\npub mod latin;\npub mod bin;\nmod deep;\n' > "$B/src/lib.rs"
printf '[package]\nname = "bad-input"\nversion = "0.1.0"\n' > "$B/Cargo.toml"
printf 'pub fn fine() {}\n' > "$B/src/ok.rs"
printf 'pub fn broken( {\n}\npub fn after() {}\n' > "$B/src/broken.rs"
printf 'pub fn caf\xe9() {}\npub fn good() {}\n' > "$B/src/latin.rs"
printf 'fn x() {}\0\0\0binary' > "$B/src/bin.rs"
python3 -c "print('fn deep() { let x = ' + '('*5000 + '1' + ')'*5000 + '; }\npub fn shallow() {}')" > "$B/src/deep.rs"
ln -s . "$B/src/loop"
"$PLAIT" index "$B" --db "$T/c" -q
"$PLAIT" export --db "$T/c" --stable > "$T/c.jsonl"
for p in bad_input::ok::fine bad_input::broken::after bad_input::latin::good bad_input::deep::shallow; do
  grep -q "\"path\":\"$p\"" "$T/c.jsonl" || fail "$p not indexed next to bad input"
done
st=$("$PLAIT" status --db "$T/c" --json)
for code in syntax utf8 binary symlink-loop; do
  echo "$st" | grep -q "\"code\":\"$code\"" || fail "no $code diagnostic"
done

# unchanged re-index writes nothing
sum1=$(cat "$T/a/index.db"* | md5sum)
"$PLAIT" index "$SYN" --db "$T/a" -q --jobs 2
sum2=$(cat "$T/a/index.db"* | md5sum)
[ "$sum1" = "$sum2" ] || echo "note: re-index of the unchanged tree rewrote pages"
echo "integration: ok"
