#!/usr/bin/env python3
"""evalset.py - builds the search-quality evaluation of issue 5 from a real tree.

    evalset.py build ROOT INDEX_DB OUT [--max N] [--seed S]
    evalset.py check OUT STRIPPED_INDEX_DB
    evalset.py selftest

build reads the nodes of INDEX_DB (a `plait index ROOT --embed none` of the untouched tree),
picks every documented item, takes the first sentence of its doc as the query (see
first_sentence), drops short and ambiguous queries, samples at most N (seeded), and writes
into OUT:
    queries.txt     one query per line (the input of `plait search --batch`)
    answers.jsonl   per query, in the same order: query, path, kind, file, line
    tree/           a copy of ROOT in which the doc comments of every answer item (and of
                    its cfg twins) are overwritten with spaces: `///`, `/** */`, `//!`,
                    `/*! */`, `#[doc = ...]` and `#![doc = ...]`.  Newlines stay, so every
                    byte offset and line number of the copy equals the original's.
    build.json      counts (documented items, kept, dropped and why, spans blanked)
check reads the index of OUT/tree and counts answers whose doc survived the stripping (a
node with the answer's path and kind whose doc still starts with the query): a leak makes
the evaluation too easy, so run.sh prints the count (0 expected).
selftest runs the unit checks of the parsing helpers on small inputs.
"""
import json
import os
import random
import re
import shutil
import sqlite3
import sys
import unicodedata

# Kinds that are not evaluated: a `use` carries the docs of what it re-exports.
SKIP_KINDS = {"use"}
MIN_WORDS = 3
MIN_CHARS = 12
MAX_CHARS = 300


# ---------------------------------------------------------------------------------------
# the query: the first sentence of a doc comment

ABBREV = ("e.g", "i.e", "etc", "vs", "cf", "approx", "resp", "incl", "ca", "viz")


ASCII_PUNCT = {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
               "\u2026": "...", "\u00a0": " "}


def ascii_punct(s):
    """Typographic punctuation as a user types it (’ -> ', — -> -); other non-ASCII
    punctuation and symbols (→, ≤, ×) become spaces.  Letters are kept."""
    out = []
    for c in s:
        if c in ASCII_PUNCT:
            out.append(ASCII_PUNCT[c])
        elif ord(c) >= 0x80 and unicodedata.category(c)[0] in "PSZC":
            out.append(" ")
        else:
            out.append(c)
    return "".join(out)


def clean_markdown(s):
    """Markdown a user would not type: link targets, reference brackets, backticks, bold;
    then typographic punctuation made ASCII (ascii_punct)."""
    s = ascii_punct(s)
    s = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", s)          # images
    s = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", s)           # [text](url)
    s = re.sub(r"\[([^\]]+)\]\[[^\]]*\]", r"\1", s)          # [text][ref]
    s = re.sub(r"\[(`[^`\]]+`)\]", r"\1", s)                  # [`x`]
    s = re.sub(r"\[([^\]\[]+)\](?!\()", r"\1", s)            # [text]
    s = s.replace("`", "").replace("**", "")
    return re.sub(r"\s+", " ", s).strip()


def first_paragraph(doc):
    """The first paragraph of prose: not a heading, a code fence, a table, HTML or a badge."""
    paras = re.split(r"\n\s*\n", doc.strip())
    for p in paras[:4]:
        t = p.strip()
        if not t or t.startswith(("#", "```", "|", "<", "[!", "![", "- ", "* ")):
            continue
        if re.match(r"^\[[^\]]+\]:\s", t):                     # link reference definitions
            continue
        return " ".join(line.strip() for line in t.splitlines())
    return ""


def first_sentence(doc):
    """First sentence of the first prose paragraph, markdown cleaned; '' if none."""
    if not doc:
        return ""
    p = clean_markdown(first_paragraph(doc))
    for m in re.finditer(r"[.!?](?=\s|$)", p):
        end = m.end()
        before = p[:m.start()]
        word = re.split(r"[\s(]", before)[-1].lower() if before else ""
        if word.rstrip(".") in ABBREV or re.fullmatch(r"[a-z]", word):
            continue                                          # e.g. / i.e. / single letters
        rest = p[end:].lstrip()
        if rest and not (rest[0].isupper() or rest[0] in "(\"'[`0123456789"):
            continue                                          # "... 1.5 times ..." etc.
        return p[:end].strip()
    return p.strip()


def acceptable(q):
    return len(q) >= MIN_CHARS and len(q.split()) >= MIN_WORDS


# ---------------------------------------------------------------------------------------
# finding doc comments in Rust source (bytes), without a parser
#
# Outer docs precede their item: the scan goes back from the item's first byte (plait's
# byte_start is the first byte after its attributes) over blank lines, comments and
# attributes, collecting `///`, `/** */` and `#[doc = ...]`.  Inner docs open a module's
# body: the scan goes forward from the file start or the inline module's `{` over `//!`,
# `/*! */`, inner attributes and plain comments.  Spans are (start, end) byte offsets.

DOC_ATTR = re.compile(rb"^#!?\[\s*doc\s*=")


def _skip_string(t, i):
    """t[i] is a quote (or the r/b prefix of a raw or byte string); returns the end or -1."""
    m = re.compile(rb'b?r(#*)"').match(t, i)
    if m:
        close = b'"' + m.group(1)
        j = t.find(close, m.end())
        return -1 if j < 0 else j + len(close)
    j = i + 1 if t[i:i + 1] == b'"' else i + 2                # b"..."
    while j < len(t):
        c = t[j:j + 1]
        if c == b"\\":
            j += 2
            continue
        if c == b'"':
            return j + 1
        j += 1
    return -1


def parse_attr(t, i, end):
    """An attribute `#[...]` or `#![...]` starting at t[i]; returns its end or -1."""
    m = re.compile(rb"#!?\s*\[").match(t, i)
    if not m:
        return -1
    depth, j = 1, m.end()
    while j < end:
        c = t[j:j + 1]
        if c in (b'"',) or (c in (b"r", b"b") and re.compile(rb'(b?r#*"|b")').match(t, j)
                            and (j == 0 or not re.match(rb"[A-Za-z0-9_]", t[j - 1:j]))):
            j = _skip_string(t, j)
            if j < 0:
                return -1
            continue
        if c == b"'":
            m2 = re.compile(rb"'(\\.[^']*|[^\\'])'").match(t, j)
            j = m2.end() if m2 else j + 1
            continue
        if t.startswith(b"//", j):
            k = t.find(b"\n", j)
            j = end if k < 0 else k
            continue
        if t.startswith(b"/*", j):
            k = t.find(b"*/", j + 2)
            if k < 0:
                return -1
            j = k + 2
            continue
        if c in (b"[", b"(", b"{"):
            depth += 1
        elif c in (b"]", b")", b"}"):
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    return -1


def parse_attr_run(t, start, end):
    """t[start:end] must be only attributes, whitespace and plain comments; returns the doc
    attribute spans in it, or None if it is anything else."""
    spans, j = [], start
    while True:
        while j < end and t[j:j + 1] in b" \t\r\n":
            j += 1
        if j >= end:
            return spans
        if t.startswith(b"//", j) and not t.startswith(b"///", j) and not t.startswith(b"//!", j):
            k = t.find(b"\n", j)
            j = end if k < 0 or k > end else k
            continue
        if t.startswith(b"#[", j) or t.startswith(b"# [", j):
            k = parse_attr(t, j, end)
            if k < 0 or k > end:
                return None
            if DOC_ATTR.match(t[j:k]):
                spans.append((j, k))
            j = k
            continue
        return None


def outer_doc_spans(t, pos):
    """Doc spans (byte ranges) before the item starting at byte pos of t."""
    spans = []
    ls = t.rfind(b"\n", 0, pos) + 1
    if t[ls:pos].strip():
        run = parse_attr_run(t, ls, pos)
        if run is None:
            return spans                                      # e.g. `struct A(pub u8)`: no docs
        spans += run
    cur = ls                                                  # start of the line below the scan
    while cur > 0:
        le = cur - 1                                          # the '\n' ending the line above
        lstart = t.rfind(b"\n", 0, le) + 1
        line = t[lstart:le]
        s = line.strip()
        if not s:
            cur = lstart
            continue
        ind = lstart + (len(line) - len(line.lstrip()))
        if s.startswith(b"///") and not s.startswith(b"////"):
            spans.append((ind, lstart + len(line.rstrip())))
            cur = lstart
            continue
        if s.startswith(b"//!"):
            break
        if s.startswith(b"//"):
            cur = lstart
            continue
        if s.endswith(b"*/"):
            k = t.rfind(b"/*", 0, le)
            if k < 0:
                break
            kl = t.rfind(b"\n", 0, k) + 1
            if t[kl:k].strip():
                break
            if t.startswith(b"/*!", k):
                break
            if t.startswith(b"/**", k) and not t.startswith(b"/***", k) and not t.startswith(b"/**/", k):
                spans.append((k, lstart + len(line.rstrip())))
            cur = kl
            continue
        if b"]" in s:
            # an attribute, perhaps over several lines and followed by a comment: the
            # nearest line above that opens one and from which a clean attribute run
            # reaches the end of this line
            found = -1
            k_end = lstart + len(line.rstrip())
            kl = lstart
            for _ in range(80):
                if t[kl:].lstrip(b" \t").startswith((b"#[", b"# [")):
                    run = parse_attr_run(t, kl, k_end)
                    if run is not None:
                        found = kl
                        spans += run
                        break
                if kl == 0:
                    break
                kl = t.rfind(b"\n", 0, kl - 1) + 1
            if found < 0:
                break
            cur = found
            continue
        break
    return sorted(spans)


def inner_doc_spans(t, pos):
    """Doc spans of inner docs opening a module body whose first byte is pos."""
    spans, j, n = [], pos, len(t)
    while j < n:
        while j < n and t[j:j + 1] in b" \t\r\n":
            j += 1
        if t.startswith(b"//!", j):
            k = t.find(b"\n", j)
            k = n if k < 0 else k
            spans.append((j, len(t[:k].rstrip()) if t[j:k].rstrip() else k))
            j = k
        elif t.startswith(b"///", j) and not t.startswith(b"////", j):
            break                                             # an outer doc: items begin
        elif t.startswith(b"//", j):
            k = t.find(b"\n", j)
            j = n if k < 0 else k
        elif t.startswith(b"/*!", j):
            k = t.find(b"*/", j)
            if k < 0:
                break
            spans.append((j, k + 2))
            j = k + 2
        elif t.startswith(b"/**", j) and not t.startswith(b"/***", j) and not t.startswith(b"/**/", j):
            break
        elif t.startswith(b"/*", j):
            k = t.find(b"*/", j)
            if k < 0:
                break
            j = k + 2
        elif t.startswith(b"#!", j) and re.compile(rb"#!\s*\[").match(t, j):
            k = parse_attr(t, j, n)
            if k < 0:
                break
            if DOC_ATTR.match(t[j:k]):
                spans.append((j, k))
            j = k
        else:
            break
    return spans


def blank(buf, spans):
    """Overwrite each span of bytearray buf with spaces, keeping newlines."""
    for a, b in spans:
        for i in range(a, b):
            if buf[i] not in (10, 13):
                buf[i] = 32


# ---------------------------------------------------------------------------------------
# build and check

def load_nodes(db):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rows = con.execute(
        "SELECT n.key, n.kind, n.name, n.path, f.path, n.line_start, n.byte_start, n.byte_end,"
        " n.doc, n.parent FROM nodes n JOIN files f ON f.id = n.file_id").fetchall()
    con.close()
    cols = ("key", "kind", "name", "path", "file", "line", "byte_start", "byte_end", "doc", "parent")
    return [dict(zip(cols, r)) for r in rows]


def doc_spans_for(node, text, by_key, texts):
    """(file, spans) pairs to blank for one node."""
    out = [(node["file"], outer_doc_spans(text, node["byte_start"]))]
    if node["kind"] in ("module", "crate"):
        if node["byte_start"] == 0:
            out.append((node["file"], inner_doc_spans(text, 0)))
            # outer docs on the `mod name;` declaration in the parent module's file
            parent = by_key.get(node["parent"])
            if parent and node["kind"] == "module":
                ptext = texts(parent["file"])
                decl = re.compile(rb"(?m)^[ \t]*(?:pub(?:\([^)]*\))?\s+)?mod\s+(?:r#)?"
                                  + re.escape(node["name"].encode()) + rb"\s*;")
                for m in decl.finditer(ptext):
                    if parent["byte_start"] <= m.start() < parent["byte_end"] or parent["byte_start"] == 0:
                        k = m.start() + len(m.group(0)) - len(m.group(0).lstrip())
                        out.append((parent["file"], outer_doc_spans(ptext, k)))
        else:
            m = re.compile(rb"[^{;]*\{").match(text, node["byte_start"])
            if m and m.end() <= node["byte_end"]:
                out.append((node["file"], inner_doc_spans(text, m.end())))
    return out


def build(root, db, out, cap, seed):
    nodes = load_nodes(db)
    documented = [n for n in nodes if n["doc"] and n["kind"] not in SKIP_KINDS]
    stats = {"nodes": len(nodes), "documented": len(documented)}
    by_query, by_item = {}, {}
    short = 0
    for n in documented:
        q = first_sentence(n["doc"])
        if not acceptable(q):
            short += 1
            continue
        q = q[:MAX_CHARS]
        n["query"] = q
        by_query.setdefault(q, set()).add((n["path"], n["kind"]))
        by_item.setdefault((n["path"], n["kind"]), []).append(n)
    ambiguous = {q for q, items in by_query.items() if len(items) > 1}
    cands = []
    for (path, kind), ns in sorted(by_item.items()):
        ns.sort(key=lambda n: (n["file"], n["byte_start"]))
        pick = next((n for n in ns if n["query"] not in ambiguous), None)
        if pick is not None:
            cands.append(pick)
    stats.update(short_or_no_prose=short, ambiguous_queries=len(ambiguous),
                 twins=sum(len(v) - 1 for v in by_item.values()))
    seen, uniq = set(), []
    for n in cands:                                           # one item per query text
        if n["query"] not in seen:
            seen.add(n["query"])
            uniq.append(n)
    stats["candidates"] = len(uniq)
    if cap and len(uniq) > cap:
        uniq = random.Random(seed).sample(uniq, cap)
        uniq.sort(key=lambda n: (n["path"], n["kind"]))
    stats["queries"] = len(uniq)
    chosen_q = {n["query"] for n in uniq}
    chosen_items = {(n["path"], n["kind"]) for n in uniq}
    # docs to strip: the answers, their twins (same path and kind), and any item whose first
    # sentence is one of the queries
    strip = [n for n in documented
             if (n["path"], n["kind"]) in chosen_items or n.get("query") in chosen_q]
    stats["items_stripped"] = len(strip)

    if os.path.exists(out):
        shutil.rmtree(out)
    tree = os.path.join(out, "tree")
    shutil.copytree(root, tree, symlinks=True,
                    ignore=shutil.ignore_patterns(".plait", "target", ".git"))
    cache = {}

    def texts(rel):
        if rel not in cache:
            with open(os.path.join(root, rel), "rb") as f:
                cache[rel] = f.read()
        return cache[rel]

    by_key = {n["key"]: n for n in nodes}
    per_file = {}
    for n in strip:
        for rel, spans in doc_spans_for(n, texts(n["file"]), by_key, texts):
            per_file.setdefault(rel, []).extend(spans)
    nspans = 0
    for rel, spans in per_file.items():
        buf = bytearray(texts(rel))
        spans = sorted(set(spans))
        nspans += len(spans)
        blank(buf, spans)
        assert len(buf) == len(texts(rel))
        with open(os.path.join(tree, rel), "wb") as f:
            f.write(buf)
    stats.update(spans_blanked=nspans, files_changed=len(per_file))
    with open(os.path.join(out, "queries.txt"), "w") as fq, \
            open(os.path.join(out, "answers.jsonl"), "w") as fa:
        for n in uniq:
            fq.write(n["query"] + "\n")
            fa.write(json.dumps({"query": n["query"], "path": n["path"], "kind": n["kind"],
                                 "file": n["file"], "line": n["line"]}) + "\n")
    with open(os.path.join(out, "build.json"), "w") as f:
        json.dump(stats, f, indent=1)
    print(json.dumps(stats))


def check(out, db):
    answers = [json.loads(l) for l in open(os.path.join(out, "answers.jsonl"))]
    nodes = load_nodes(db)
    by_item = {}
    for n in nodes:
        by_item.setdefault((n["path"], n["kind"]), []).append(n)
    leaks, missing, partial = [], [], 0
    for a in answers:
        ns = by_item.get((a["path"], a["kind"]))
        if not ns:
            missing.append(a)
            continue
        partial += any(n["doc"] for n in ns)
        for n in ns:
            if n["doc"] and first_sentence(n["doc"])[:MAX_CHARS] == a["query"]:
                leaks.append(a)
                break
    res = {"answers": len(answers), "leaks": len(leaks), "missing_in_copy": len(missing),
           "doc_left": partial,
           "leak_examples": [f"{a['kind']} {a['path']} ({a['file']}:{a['line']})" for a in leaks[:5]],
           "missing_examples": [f"{a['kind']} {a['path']}" for a in missing[:5]]}
    print(json.dumps(res))
    return res


# ---------------------------------------------------------------------------------------

def selftest():
    fs = first_sentence
    assert fs("Returns the length of the vector.\n\nMore text.") == "Returns the length of the vector."
    assert fs("Creates a new [`Vec`], i.e. an empty one. Then more.") == "Creates a new Vec, i.e. an empty one."
    assert fs("# Heading\n\nThe actual [text](http://x) here. Next.") == "The actual text here."
    assert fs("Splits on `a.b` and\ncontinues here. Next") == "Splits on a.b and continues here."
    assert fs("Version 1.5 is used by e.g. foo") == "Version 1.5 is used by e.g. foo"
    assert fs("See [`Foo`][foo] for more.\n\n[foo]: bar") == "See Foo for more."
    assert fs("") == ""
    assert fs("Returns the string\u2019s code points \u2192 all.") == "Returns the string's code points all."
    assert not acceptable("Borrows.") and acceptable("Returns the value.")
    src = (b"//! Crate doc.\n//! More.\n#![doc = \"inner\"]\n#![allow(x)]\n// plain\n"
           b"/// Item doc\n/// two\n#[cfg(all(\n    unix,\n    feature = \"a]\"\n))]\n"
           b"// note\n#[doc = \"attr doc\"]\n#[inline] pub fn f() {}\n"
           b"/** Block doc */\nstruct S {\n    /// field doc\n    a: u8 }\n"
           b"mod m {\n    //! inner m\n    fn g() {}\n}\n")
    f_at = src.index(b"pub fn f")
    spans = outer_doc_spans(src, f_at)
    got = [src[a:b] for a, b in spans]
    assert got == [b"/// Item doc", b"/// two", b"#[doc = \"attr doc\"]"], got
    got = [src[a:b] for a, b in inner_doc_spans(src, 0)]
    assert got == [b"//! Crate doc.", b"//! More.", b"#![doc = \"inner\"]"], got
    s_at = src.index(b"struct S")
    assert [src[a:b] for a, b in outer_doc_spans(src, s_at)] == [b"/** Block doc */"]
    a_at = src.index(b"a: u8")
    assert [src[a:b] for a, b in outer_doc_spans(src, a_at)] == [b"/// field doc"]
    m_open = src.index(b"mod m {") + len(b"mod m {")
    assert [src[a:b] for a, b in inner_doc_spans(src, m_open)] == [b"//! inner m"]
    g_at = src.index(b"fn g")
    assert outer_doc_spans(src, g_at) == []                   # `//!` above ends the scan
    # a string holding "]" and "///" does not confuse the attribute scan
    s2 = b"/// d\n#[doc(alias = \"x]\")]\n#[cfg(r#\"]\"#)]\nfn h() {}\n"
    assert [s2[a:b] for a, b in outer_doc_spans(s2, s2.index(b"fn h"))] == [b"/// d"]
    # code above stops the scan; "////" is not a doc
    s4 = b"/// e\n#[cfg(unix)] // why\n#[inline(never)] // frame\nfn e() {}\n"
    assert [s4[a:b] for a, b in outer_doc_spans(s4, s4.index(b"fn e"))] == [b"/// e"]
    s3 = b"let x = 1;\n//// not doc\nfn k() {}\n"
    assert outer_doc_spans(s3, s3.index(b"fn k")) == []
    buf = bytearray(src)
    blank(buf, spans)
    assert len(buf) == len(src) and buf.count(b"\n") == src.count(b"\n")
    assert b"Item doc" not in buf and b"#[inline] pub fn f" in buf and b"#[cfg(all(" in buf
    print("evalset selftest: ok")


def main(argv):
    if len(argv) >= 2 and argv[1] == "selftest":
        selftest()
        return 0
    if len(argv) >= 5 and argv[1] == "build":
        cap, seed = 2000, 5
        rest = argv[5:]
        while rest:
            if rest[0] == "--max":
                cap = int(rest[1])
            elif rest[0] == "--seed":
                seed = int(rest[1])
            else:
                break
            rest = rest[2:]
        build(argv[2], argv[3], argv[4], cap, seed)
        return 0
    if len(argv) == 4 and argv[1] == "check":
        return 0 if check(argv[2], argv[3])["leaks"] == 0 else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
