#!/usr/bin/env bash
# Grade plait against the compiler: rustdoc JSON (items, impls) and MIR (calls)
# from nightly rustc, offline. See docs/oracle.md.
#
#   bench/oracle/run.sh [CORPUS...]      corpora: syn proc-macro2 (default: both)
#
# Environment:
#   PLAIT_ORACLE_DIR   work folder (default /tmp/plait-oracle): crate copies, rustdoc
#                      and MIR output (cached, keyed by rustc version and features),
#                      plait indexes, reports
#   PLAIT_ORACLE_REG   Debian's cargo registry (default /usr/share/cargo/registry)
#   PLAIT_BIN          a plait binary to grade instead of building build-oracle/
#   PLAIT_ORACLE_COMMIT  grade this commit (git archive into the work folder, built there)
#                      instead of the working tree
#   SAMPLES            examples per category in the report (default 4)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
WORK=${PLAIT_ORACLE_DIR:-/tmp/plait-oracle}
REG=${PLAIT_ORACLE_REG:-/usr/share/cargo/registry}
SAMPLES=${SAMPLES:-4}
CORPORA=("$@")
[ ${#CORPORA[@]} -eq 0 ] && CORPORA=(syn proc-macro2)

# corpus -> registry dir, lib crate name, cargo feature flags
declare -A DIR=([syn]=syn-1.0.107 [proc-macro2]=proc-macro2-1.0.47)
declare -A LIB=([syn]=syn [proc-macro2]=proc_macro2)
declare -A FEAT=([syn]="--all-features" [proc-macro2]="--features span-locations")
DEPS="proc-macro2-1.0.47 quote-1.0.21 unicode-ident-1.0.0"

command -v cargo >/dev/null || { echo "run.sh: cargo not found" >&2; exit 1; }
cargo +nightly --version >/dev/null 2>&1 || { echo "run.sh: needs the nightly toolchain (cargo +nightly)" >&2; exit 1; }

# ---- plait, built in its own folder
if [ -n "${PLAIT_BIN:-}" ]; then
    PLAIT=$PLAIT_BIN
elif [ -n "${PLAIT_ORACLE_COMMIT:-}" ]; then
    # a committed revision, without the uncommitted edits of a shared working tree
    rev=$(git -C "$REPO" rev-parse --short "$PLAIT_ORACLE_COMMIT")
    tree=$WORK/plait-src-$rev
    if [ ! -d "$tree" ]; then
        mkdir -p "$tree.tmp"
        git -C "$REPO" archive "$rev" | tar -x -C "$tree.tmp"
        ln -s "$REPO/third_party" "$tree.tmp/third_party"
        mv "$tree.tmp" "$tree"
    fi
    [ -f "$tree/build/CMakeCache.txt" ] ||
        cmake -S "$tree" -B "$tree/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$tree/build" -j2 --target plait >/dev/null
    PLAIT=$tree/build/src/cli/plait
else
    [ -f "$REPO/build-oracle/CMakeCache.txt" ] ||
        cmake -S "$REPO" -B "$REPO/build-oracle" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$REPO/build-oracle" -j2 --target plait >/dev/null
    PLAIT=$REPO/build-oracle/src/cli/plait
fi
# no embeddings: the oracle grades the graph only
EMBED=()
"$PLAIT" --help 2>&1 | grep -q -- '--embed ' && EMBED=(--embed none)
echo "plait: $PLAIT (${rev:-working tree at $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')})" >&2

# ---- a local source replacement: Debian's crate dirs carry .cargo-checksum.json
mkdir -p "$WORK/vendor" "$WORK/src" "$WORK/out" "$WORK/plait"
for c in $DEPS; do
    [ -f "$REG/$c/.cargo-checksum.json" ] || { echo "run.sh: missing $REG/$c" >&2; exit 1; }
    ln -sfn "$REG/$c" "$WORK/vendor/$c"
done

RUSTC_VER=$(rustc +nightly -vV | tr '\n' ' ')
SUMMARY=()
for corpus in "${CORPORA[@]}"; do
    dir=${DIR[$corpus]:-}
    [ -n "$dir" ] || { echo "run.sh: unknown corpus $corpus" >&2; exit 2; }
    lib=${LIB[$corpus]}
    src=$WORK/src/$corpus
    out=$WORK/out/$corpus
    key="$RUSTC_VER | $dir | ${FEAT[$corpus]}"
    mkdir -p "$out"
    if [ ! -f "$out/key" ] || [ "$(cat "$out/key")" != "$key" ]; then
        echo "[$corpus] preparing a copy of $REG/$dir" >&2
        rm -rf "$src" "$out"/*
        cp -r "$REG/$dir" "$src"
        # the copy drops dev-dependencies and benches: they are not in the registry and
        # only the library is graded
        python3 "$HERE/strip_manifest.py" "$src/Cargo.toml"
        mkdir -p "$src/.cargo"
        printf '[source.crates-io]\nreplace-with = "local"\n[source.local]\ndirectory = "%s"\n' \
            "$WORK/vendor" > "$src/.cargo/config.toml"
        # proc-macro2's build script enables a nightly feature that today's nightly lacks
        export RUSTFLAGS="-Zallow-features=proc_macro_span"
        export RUSTC_BOOTSTRAP=1
        echo "[$corpus] rustdoc JSON" >&2
        (cd "$src" && cargo +nightly rustdoc --offline -j2 --lib ${FEAT[$corpus]} -- \
            -Z unstable-options --output-format json --document-private-items \
            --document-hidden-items 2>"$out/rustdoc.log")
        cp "$src/target/doc/$lib.json" "$out/rustdoc.json"
        echo "[$corpus] MIR" >&2
        (cd "$src" && cargo +nightly rustc --offline -j2 --lib ${FEAT[$corpus]} -- \
            -Zunpretty=mir -Zmir-include-spans=yes -Ztrim-diagnostic-paths=false \
            -Zinline-mir=no -Awarnings >"$out/mir.txt" 2>"$out/mir.log")
        rm -f "$out/truth.json"
        echo "$key" > "$out/key"
    fi
    if [ ! -f "$out/truth.json" ] || [ "$HERE/truth.py" -nt "$out/truth.json" ]; then
        echo "[$corpus] ground truth" >&2
        python3 "$HERE/truth.py" --crate "$lib" --src "$src" --rustdoc "$out/rustdoc.json" \
            --mir "$out/mir.txt" --out "$out/truth.json"
    fi
    echo "[$corpus] plait index" >&2
    rm -rf "$WORK/plait/$corpus"
    "$PLAIT" index "$src" --db "$WORK/plait/$corpus" --jobs 2 --quiet "${EMBED[@]}"
    "$PLAIT" export --db "$WORK/plait/$corpus" --stable > "$out/plait.jsonl"
    echo "[$corpus] grading" >&2
    python3 "$HERE/grade.py" --truth "$out/truth.json" --db "$WORK/plait/$corpus" --crate "$lib" --src "$src" \
        --samples "$SAMPLES" --json "$out/report.json" > "$out/report.txt"
    SUMMARY+=("$out")
done

printf '\n%-12s %-7s %-7s %-7s %-7s %-7s %-7s %-7s %-7s %-7s %-7s %-7s %-7s\n' corpus items items+ \
    implfor implfor implem implem exact exact ex+inf ex+inf all all
printf '%-12s %-7s %-7s %-7s %-7s %-7s %-7s %-7s %-7s %-7s %-7s %-7s %-7s\n' '' recall recall P R P R P R P R P R
for out in "${SUMMARY[@]}"; do
    python3 - "$out/report.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
def d(a, b): return f'{a / b:.3f}' if b else 'n/a'
s, m = r['items']['source'], r['items']['macro_args']
row = [r['crate'], d(s[0], s[1]), d(s[0] + m[0], s[1] + m[1])]
for ek in ('impl_for', 'implements'):
    x = r['impl'][ek]
    row += [d(x['tp'], x['tp'] + x['fp']), d(x['tp'], x['tp'] + x['fn'])]
for lab in ('exact', 'exact+inferred', 'all'):
    x = r['calls'][lab]
    row += [d(x['tp_precision'], x['tp_precision'] + x['fp']), d(x['tp_recall'], x['tp_recall'] + x['fn'])]
print('%-12s ' % row[0] + ' '.join('%-7s' % v for v in row[1:]))
EOF
done
echo
echo "items = written in source; items+ = also those inside macro arguments; exact / ex+inf / all ="
echo "call edges of those confidences (P over plait's edges, R over crate-local call sites). Reports with"
echo "categorised misses and false positives: ${SUMMARY[*]/%//report.txt}"
