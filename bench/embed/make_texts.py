#!/usr/bin/env python3
"""make_texts.py - builds bench/embed/texts.json: ~2,000 texts shaped like what plait embeds per
node (kind, module path and name with identifiers split, the signature, the first doc
sentence), taken from the Rust standard library sources of Debian's rust-src.

Vendored crates (stdarch intrinsics, backtrace) and tests are skipped: they would swamp the
set with generated names.  Deterministic: files are walked in sorted order and every item with a signature is kept
until the target count, spread over the tree by a fixed stride.
  python3 bench/embed/make_texts.py [/usr/src/rustc-1.63.0/library] [bench/embed/texts.json]
"""
import json
import os
import re
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else "/usr/src/rustc-1.63.0/library"
OUT = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "texts.json")
TARGET = 2000

ITEM = re.compile(r"^\s*(pub(\([^)]*\))?\s+)?(const\s+)?(unsafe\s+)?(async\s+)?"
                  r"(fn|struct|enum|trait|type|union|const|static|macro_rules!)\s+([A-Za-z_][A-Za-z0-9_]*)")


def split_ident(name):
    """snake_case / camelCase / ACRONYMCase -> lower-case words."""
    words = []
    for part in re.split(r"[^A-Za-z0-9]+", name):
        words += re.findall(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+", part)
    return " ".join(w.lower() for w in words if w)


def first_sentence(doc_lines):
    text = " ".join(doc_lines).strip()
    m = re.match(r"(.+?[.!?])(\s|$)", text)
    return (m.group(1) if m else text)[:300]


def items_of(path, rel):
    module = [p for p in rel[:-3].split("/") if p not in ("src", "mod", "lib")]
    doc = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            s = line.strip()
            if s.startswith("///"):
                doc.append(s[3:].strip())
                continue
            if s.startswith("#[") or not s:
                continue
            m = ITEM.match(line)
            if m:
                kind, name = m.group(6).rstrip("!"), m.group(7)
                sig = s.split("{")[0].split(" where ")[0].strip().rstrip(";")
                parts = [kind, " ".join(split_ident(p) for p in module), split_ident(name), sig]
                if doc:
                    parts.append(first_sentence(doc))
                yield " ".join(p for p in parts if p)
            doc = []


def main():
    texts = []
    for dirpath, dirnames, filenames in os.walk(ROOT):
        dirnames.sort()
        if any(x in dirpath for x in ("/tests", "/benches", "/stdarch", "/backtrace")):
            continue
        for fn in sorted(filenames):
            if fn.endswith(".rs"):
                p = os.path.join(dirpath, fn)
                texts.extend(items_of(p, os.path.relpath(p, ROOT)))
    stride = max(1, len(texts) // TARGET)
    picked = texts[::stride][:TARGET]
    with open(OUT, "w") as f:
        json.dump(picked, f, indent=0, ensure_ascii=False)
    print(f"{len(picked)} texts (of {len(texts)} items) -> {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
