#!/usr/bin/env bash
# Bad input next to good files: each problem gives its diagnostic and the rest is indexed.
. "$(dirname "$0")/common.sh"
B="$T/bad"; mkdir -p "$B/src"
printf '[package]\nname = "bad-input"\nversion = "0.1.0"\n' > "$B/Cargo.toml"
printf 'pub mod ok;\npub mod broken;\npub mod latin;\npub mod bin;\nmod deep;\nmod huge;\nmod locked;\nmod gone;\n' > "$B/src/lib.rs"
printf 'pub fn fine() {}\n' > "$B/src/ok.rs"
printf 'pub fn broken( {\n}\npub fn after() {}\n' > "$B/src/broken.rs"
printf 'pub fn caf\xe9() {}\npub fn good() {}\n' > "$B/src/latin.rs"
printf 'fn x() {}\0\0\0binary' > "$B/src/bin.rs"
python3 -c "print('fn deep() { let x = ' + '('*5000 + '1' + ')'*5000 + '; }\npub fn shallow() {}')" > "$B/src/deep.rs"
python3 -c "
import sys
with open(sys.argv[1], 'w') as f:
    i = 0
    while f.tell() < 20 * 1024 * 1024:
        f.write('pub fn generated_%d(a: u32) -> u32 { a + %d }\n' % (i, i)); i += 1
" "$B/src/huge.rs"
printf 'pub fn secret() {}\n' > "$B/src/locked.rs"; chmod 000 "$B/src/locked.rs"
printf 'pub fn vanishing() {}\n' > "$B/src/gone.rs"
ln -s . "$B/src/loop"
ln -s nowhere "$B/src/dangling.rs"

run() { # as an unprivileged user when we are root, so the unreadable file is unreadable
  if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
    chmod 755 "$T"; chown -R 65534:65534 "$B" "$T" 2>/dev/null; chown root "$B/src/locked.rs"
    setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
  else "$@"; fi
}
# gone.rs is discovered, then deleted before the reader (slowed to 200 ms a file) gets to it:
# the database appears after discovery, and gone.rs is the 5th file read
( for _ in $(seq 600); do [ -e "$T/db/index.db" ] && break; sleep 0.05; done; rm -f "$B/src/gone.rs" ) &
run env PLAIT_TEST_READ_DELAY_MS=200 "$PLAIT" index "$B" --db "$T/db" -q --jobs 2
wait
run "$PLAIT" export --db "$T/db" --stable > "$T/x.jsonl"
for p in bad_input::ok::fine bad_input::broken::after bad_input::latin::good bad_input::deep::shallow; do
  grep -q "\"path\":\"$p\"" "$T/x.jsonl" || fail "$p not indexed next to bad input"
done
! grep -q 'generated_1"' "$T/x.jsonl" || fail "the 20 MB file was indexed past the size limit"
st=$(run "$PLAIT" status --db "$T/db" --json)
for code in syntax utf8 binary symlink-loop too-large too-deep vanished broken-symlink; do
  echo "$st" | python3 -c "
import json,sys; s=json.load(sys.stdin)
sys.exit(0 if any(d['code']=='$code' for d in s['diagnostics']) else 1)" || fail "no $code diagnostic"
done
if [ "$(id -u)" -ne 0 ] || command -v setpriv >/dev/null; then
  echo "$st" | contains '"code":"unreadable"' || fail "no unreadable diagnostic"
fi
# with the limit raised the big file is indexed (tree-sitter copes with 20 MB)
run "$PLAIT" index "$B" --db "$T/db2" -q --max-file-size 33554432
run "$PLAIT" find generated_123456 --db "$T/db2" >/dev/null || fail "big file not indexed with a raised limit"
echo "badinput: ok"
