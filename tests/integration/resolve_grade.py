#!/usr/bin/env python3
"""Grade plait's resolved edges on tests/fixtures/resolve against the hand-labelled truth.

usage: resolve_grade.py EXPORT.jsonl EXPECTED.tsv [--threshold KIND/VIEW=P,R ...]
                        [--max-violations N] [--quiet]

EXPORT.jsonl is `plait export --stable` of the fixture; EXPECTED.tsv is
tests/fixtures/resolve.expected.tsv (its header explains the format). Prints precision and
recall per edge kind (calls in three views: exact only, exact+inferred, all), every miss and
false positive grouped by the rule it tests, the negative edges that exist, and one summary
line. Exits 1 when a threshold is not met, 2 when the labels name nodes the export lacks.

Grading, per kind K and view V (V = the confidences counted on both sides):
  scope       the srcs named on K's lines (positive, "!", "~" or ".").
  predicted   plait's resolved K edges from in-scope srcs with a confidence in V, deduplicated
              by (src, dst), plus its unresolved K edges that match a labelled "-PATH"
              (unlabelled unresolved edges, e.g. std calls, are noise and not graded).
  tp          predicted edges that are labelled (any labelled confidence: a right edge at a
              stronger confidence than labelled is still right).
  fp          predicted edges neither labelled nor tolerated. Tolerated: "~" lines, and a call
              to a trait's declaration of a method when the labelled target is an impl's
              method of that name for that trait (rustc names `<Circle as Area>::area`; an
              index that answers `Area::area` is less precise, not wrong: no credit, no fp).
  recall      labelled edges whose labelled confidence is in V that plait has at a
              confidence in V.
"""
import argparse
import collections
import json
import sys

KINDS = ["imports", "calls", "implements", "impl_for", "references_type"]
RANK = {"exact": 0, "inferred": 1, "ambiguous": 2}
VIEWS = {
    "calls": [("exact", {"exact"}), ("typed", {"exact", "inferred"}),
              ("all", {"exact", "inferred", "ambiguous"})],
}
DEFAULT_VIEW = [("all", {"exact", "inferred", "ambiguous"})]
AMBIGUOUS_CAP = 8


def load_export(path):
    nodes, edges, contains = {}, [], []
    with open(path) as f:
        for line in f:
            o = json.loads(line)
            if o["type"] == "node":
                nodes[o["key"]] = o
            elif o["kind"] in KINDS:
                edges.append(o)
            elif o["kind"] == "contains":
                contains.append((o["src"], o["dst"]))
    by_path = collections.Counter(n["path"] for n in nodes.values())
    label = {}
    for k, n in nodes.items():
        label[k] = n["path"] if by_path[n["path"]] == 1 else "%s@%d" % (n["path"], n["line_start"])
    return nodes, edges, label, contains


def trait_decl_tolerance(rows, nodes, label, contains):
    """(src, trait method) pairs tolerated because the labelled call goes to an impl's method
    of that trait. impl -> trait comes from the labelled implements lines (the truth), impl ->
    method and trait -> method from the structural contains edges."""
    impl_trait = {r["src"]: r["dst"] for r in rows
                  if r["kind"] == "implements" and r["mode"] == "+" and not r["dst"].startswith("-")}
    parent = {label[m]: label[p] for p, m in contains}
    trait_method = {(label[p], nodes[m]["name"]): label[m] for p, m in contains
                    if nodes[p]["kind"] == "trait"}
    name_of = {label[k]: n["name"] for k, n in nodes.items()}
    tol = set()
    for r in rows:
        if r["kind"] != "calls" or r["mode"] != "+" or r["dst"] in (".",) or r["dst"].startswith("-"):
            continue
        trait = impl_trait.get(parent.get(r["dst"]))
        decl = trait_method.get((trait, name_of.get(r["dst"])))
        if decl:
            tol.add((r["src"], decl))
    return tol


def load_labels(path):
    rows = []
    with open(path) as f:
        for no, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) < 4:
                sys.exit("%s:%d: want kind<TAB>src<TAB>dst<TAB>confidence<TAB>rule" % (path, no))
            kind, src, dst, conf = parts[:4]
            rule = parts[4] if len(parts) > 4 and parts[4] else "(no rule given)"
            mode = "+"
            if kind[0] in "!~":
                mode, kind = kind[0], kind[1:]
            if kind not in KINDS:
                sys.exit("%s:%d: unknown kind %r" % (path, no, kind))
            if mode == "+" and dst != "." and conf not in RANK:
                sys.exit("%s:%d: confidence must be exact, inferred or ambiguous" % (path, no))
            rows.append(dict(mode=mode, kind=kind, src=src, dst=dst, conf=conf, rule=rule, line=no))
    return rows


def pct(a, b):
    return 1.0 if b == 0 else a / b


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("export")
    ap.add_argument("expected")
    ap.add_argument("--threshold", action="append", default=[],
                    help="KIND/VIEW=MIN_PRECISION,MIN_RECALL (e.g. calls/exact=1.0,0.8)")
    ap.add_argument("--max-violations", type=int, default=None,
                    help="most '!' edges allowed to exist")
    ap.add_argument("--quiet", action="store_true", help="figures and summary only")
    a = ap.parse_args()

    nodes, edges, label, contains = load_export(a.export)
    rows = load_labels(a.expected)
    known = set(label.values())
    bad = sorted({(r["line"], x) for r in rows for x in (r["src"], r["dst"])
                  if x != "." and not x.startswith("-") and x not in known})
    if bad:
        for no, x in bad:
            print("label error: line %d names %r, which is not a node of the export" % (no, x))
        return 2

    # plait's edges: resolved (kind, src, dst) -> set of confidences; unresolved
    # (kind, src, "-" + target_path) -> set of confidences
    trait_tol = trait_decl_tolerance(rows, nodes, label, contains)
    got = collections.defaultdict(set)
    for e in edges:
        dst = label[e["dst"]] if e["dst"] else "-" + (e["target_path"] or "")
        got[(e["kind"], label[e["src"]], dst)].add(e["confidence"])

    failures, summary, violations = [], [], []
    figures = {}
    for kind in KINDS:
        krows = [r for r in rows if r["kind"] == kind]
        scope = {r["src"] for r in krows}
        pos = {(r["src"], r["dst"]): r for r in krows if r["mode"] == "+" and r["dst"] != "."}
        tol = {(r["src"], r["dst"]) for r in krows if r["mode"] == "~"}
        if kind == "calls":
            tol |= trait_tol
        neg = {(r["src"], r["dst"]): r for r in krows if r["mode"] == "!"}
        for (s, d), r in sorted(neg.items()):
            if (kind, s, d) in got:
                violations.append((kind, s, d, r["rule"], sorted(got[(kind, s, d)], key=RANK.get)))
        for view, confs in VIEWS.get(kind, DEFAULT_VIEW):
            pred = set()
            for (k, s, d), cs in got.items():
                if k != kind or s not in scope or not (cs & confs):
                    continue
                if d.startswith("-") and (s, d) not in pos:
                    continue  # unresolved and unlabelled: noise (std, macros of std)
                pred.add((s, d))
            tp = {p for p in pred if p in pos}
            fp = sorted(p for p in pred if p not in pos and p not in tol)
            want = {p: r for p, r in pos.items() if r["conf"] in confs}
            found = {p for p in want if (kind, p[0], p[1]) in got and got[(kind, p[0], p[1])] & confs}
            miss = sorted(p for p in want if p not in found)
            prec = pct(len(tp), len(tp) + len(fp))
            rec = pct(len(found), len(want))
            name = kind if view == "all" and kind != "calls" else "%s/%s" % (kind, view)
            figures[name] = (prec, rec)
            print("%-22s precision %.3f (%d/%d)  recall %.3f (%d/%d)" % (
                name, prec, len(tp), len(tp) + len(fp), rec, len(found), len(want)))
            summary.append("%s P%.2f R%.2f" % (name, prec, rec))
            if a.quiet:
                continue
            by_rule = collections.defaultdict(list)
            for s, d in miss:
                have = sorted((c for (k, ss, dd), cs in got.items() if k == kind and ss == s and dd == d
                               for c in cs), key=RANK.get)
                note = " (plait has it as %s)" % "/".join(have) if have else ""
                by_rule[want[(s, d)]["rule"]].append("    miss  %s -> %s [%s]%s" % (
                    s, d, want[(s, d)]["conf"], note))
            for s, d in fp:
                cs = "/".join(sorted(got[(kind, s, d)] & confs, key=RANK.get))
                why = neg[(s, d)]["rule"] if (s, d) in neg else "not labelled"
                by_rule["false positive: " + why].append("    fp    %s -> %s [%s]" % (s, d, cs))
            for rule in sorted(by_rule):
                print("  %s" % rule)
                for line in by_rule[rule]:
                    print(line)

    # resolved edges from srcs the labels do not cover (a hint that a src is missing a label)
    scopes = collections.defaultdict(set)
    for r in rows:
        scopes[r["kind"]].add(r["src"])
    outside = sorted({(k, s, d) for (k, s, d) in got if not d.startswith("-") and s not in scopes[k]})
    if outside:
        print("not graded: %d resolved edges from srcs without labels of their kind" % len(outside))
        if not a.quiet:
            for k, s, d in outside:
                print("    %s %s -> %s" % (k, s, d))

    # ambiguous candidates are capped: at most 8 per call site (src, written path)
    per_site = collections.defaultdict(set)
    for e in edges:
        if e["kind"] == "calls" and e["confidence"] == "ambiguous" and e["dst"]:
            per_site[(label[e["src"]], e["target_path"])].add(e["dst"])
    over = sorted((s, t, len(d)) for (s, t), d in per_site.items() if len(d) > AMBIGUOUS_CAP)
    for s, t, n in over:
        print("cap exceeded: %s calls %s with %d ambiguous candidates (cap %d)" % (s, t, n, AMBIGUOUS_CAP))
        failures.append("ambiguous cap")

    for kind, s, d, rule, cs in violations:
        print("negative edge exists: %s %s -> %s [%s] (%s)" % (kind, s, d, "/".join(cs), rule))
    npos = collections.Counter(r["kind"] for r in rows if r["mode"] == "+" and r["dst"] != ".")
    print("labelled: %d edges (%s), %d must-not, %d tolerated" % (
        sum(npos.values()), ", ".join("%s %d" % (k, npos[k]) for k in KINDS),
        sum(r["mode"] == "!" for r in rows), sum(r["mode"] == "~" for r in rows)))

    for t in a.threshold:
        name, _, vals = t.partition("=")
        mp, mr = (float(x) for x in vals.split(","))
        if name not in figures:
            print("unknown threshold name %r (have: %s)" % (name, ", ".join(figures)))
            failures.append(name)
            continue
        p, r = figures[name]
        # compare at the printed precision so a threshold copied from the output holds
        if round(p, 3) < mp or round(r, 3) < mr:
            print("BELOW THRESHOLD: %s precision %.3f < %.3f or recall %.3f < %.3f" % (name, p, mp, r, mr))
            failures.append(name)
    if a.max_violations is not None and len(violations) > a.max_violations:
        print("BELOW THRESHOLD: %d negative edges exist, at most %d allowed" % (len(violations), a.max_violations))
        failures.append("violations")

    print("resolve fixture: %d labelled edges; %s; %d must-not edges present" % (
        sum(npos.values()), ", ".join(summary), len(violations)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
