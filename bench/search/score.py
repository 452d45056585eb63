#!/usr/bin/env python3
"""score.py - scores `plait search --batch --json` output against evalset.py's answers.

    score.py quality ANSWERS MODE=RESULTS.jsonl ... [--json OUT]
    score.py latency MODE=RESULTS.jsonl ... [--json OUT]
    score.py misses ANSWERS MODE=RESULTS.jsonl ... [--n 10]
    score.py grep ROOT QUERIES N
    score.py selftest

A result line is {"query", "results": [{"key","name","path","kind","file","line","score"}...],
"ms_total", "ms_embed"}, one per line of queries.txt and in its order.

Matching rule: a result answers a query when its canonical path and kind equal the answer
item's.  Keys are not compared (the stripped copy is another tree, so its keys may differ);
the file is not required either, so a cfg twin of the answer (same path and kind, another
file or cfg) counts as the answer.  Only the first 10 results are read.

    MRR@10     mean over queries of 1/rank of the first matching result (0 if none in 10)
    Recall@10  share of queries whose answer is in the first 10 (one answer per query)
    Recall@1   share whose answer is first
"""
import json
import sys

K = 10


def load_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def rank_of(answer, results):
    for i, r in enumerate(results[:K]):
        if r.get("path") == answer["path"] and (r.get("kind") or answer["kind"]) == answer["kind"]:
            return i + 1
    return 0


def ranks(answers, results):
    if len(results) != len(answers):
        raise SystemExit(f"score: {len(results)} result lines for {len(answers)} queries")
    out = []
    for a, r in zip(answers, results):
        if r.get("query") is not None and r["query"].strip() != a["query"].strip():
            raise SystemExit(f"score: result for {r['query']!r} where {a['query']!r} was asked")
        out.append(rank_of(a, r.get("results") or []))
    return out


def metrics(rk):
    n = len(rk)
    if n == 0:
        return {"n": 0, "mrr10": 0.0, "recall10": 0.0, "recall1": 0.0}
    return {"n": n,
            "mrr10": sum(1.0 / r for r in rk if r) / n,
            "recall10": sum(1 for r in rk if r) / n,
            "recall1": sum(1 for r in rk if r == 1) / n}


def percentile(xs, p):
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    s = sorted(xs)
    k = max(0, min(len(s) - 1, int(-(-p * len(s) // 100)) - 1))
    return s[k]


def parse_modes(args):
    modes, rest = [], []
    for a in args:
        if "=" in a and not a.startswith("--"):
            m, p = a.split("=", 1)
            modes.append((m, p))
        else:
            rest.append(a)
    return modes, rest


def opt(rest, name, default=None):
    return rest[rest.index(name) + 1] if name in rest else default


def quality(argv):
    answers = load_jsonl(argv[0])
    modes, rest = parse_modes(argv[1:])
    res = {"queries": len(answers), "modes": {}, "by_kind": {}}
    allr = {}
    for m, p in modes:
        rk = ranks(answers, load_jsonl(p))
        allr[m] = rk
        res["modes"][m] = metrics(rk)
    kinds = sorted({a["kind"] for a in answers})
    for kd in kinds:
        idx = [i for i, a in enumerate(answers) if a["kind"] == kd]
        res["by_kind"][kd] = {m: metrics([allr[m][i] for i in idx]) for m in allr}
    if "lexical" in allr and "hybrid" in allr:
        lx, hy = res["modes"]["lexical"]["mrr10"], res["modes"]["hybrid"]["mrr10"]
        res["hybrid_gain_mrr"] = (hy - lx) / lx if lx else None
        # who finds what: answers in the top 10 of one signal but not the other
        both = [(l, s) for l, s in zip(allr["lexical"], allr.get("semantic", allr["lexical"]))]
        res["overlap"] = {"both": sum(1 for l, s in both if l and s),
                          "lexical_only": sum(1 for l, s in both if l and not s),
                          "semantic_only": sum(1 for l, s in both if s and not l),
                          "neither": sum(1 for l, s in both if not l and not s)}
    out = opt(rest, "--json")
    if out:
        with open(out, "w") as f:
            json.dump(res, f, indent=1)
    for m, v in res["modes"].items():
        print(f"{m:<9} n={v['n']:<5} MRR@10 {v['mrr10']:.3f}  Recall@10 {v['recall10']:.3f}  Recall@1 {v['recall1']:.3f}")
    if res.get("hybrid_gain_mrr") is not None:
        print(f"hybrid vs lexical MRR@10: {res['hybrid_gain_mrr'] * 100:+.1f}% (target >= +10%)")
    return res


def latency(argv):
    modes, rest = parse_modes(argv)
    res = {}
    for m, p in modes:
        rows = load_jsonl(p)
        tot = [float(r["ms_total"]) for r in rows]
        emb = [float(r.get("ms_embed") or 0.0) for r in rows]
        wo = [t - e for t, e in zip(tot, emb)]
        res[m] = {"n": len(rows),
                  "p50": percentile(tot, 50), "p99": percentile(tot, 99),
                  "p50_no_embed": percentile(wo, 50), "p99_no_embed": percentile(wo, 99),
                  "embed_p50": percentile(emb, 50), "embed_p99": percentile(emb, 99),
                  "mean": sum(tot) / len(tot)}
    out = opt(rest, "--json")
    if out:
        with open(out, "w") as f:
            json.dump(res, f, indent=1)
    for m, v in res.items():
        print(f"{m:<9} n={v['n']:<5} p50 {v['p50']:.2f} ms  p99 {v['p99']:.2f} ms  "
              f"without the query embedding p50 {v['p50_no_embed']:.2f} p99 {v['p99_no_embed']:.2f}")
    return res


def misses(argv):
    """Examples for the analysis: per pair of modes, queries one finds and the other not."""
    answers = load_jsonl(argv[0])
    modes, rest = parse_modes(argv[1:])
    n = int(opt(rest, "--n", "10"))
    data = {m: load_jsonl(p) for m, p in modes}
    rk = {m: ranks(answers, d) for m, d in data.items()}
    names = list(data)
    for a_m in names:
        for b_m in names:
            if a_m == b_m:
                continue
            idx = [i for i in range(len(answers)) if rk[a_m][i] and not rk[b_m][i]]
            print(f"== {a_m} finds, {b_m} misses: {len(idx)}")
            for i in idx[:n]:
                a = answers[i]
                top = [f"{r.get('kind')} {r.get('path')}" for r in (data[b_m][i].get("results") or [])[:3]]
                print(f"  q: {a['query']}\n     answer {a['kind']} {a['path']} ({a_m} rank {rk[a_m][i]})"
                      f"\n     {b_m} top 3: " + " | ".join(top))
    idx = [i for i in range(len(answers)) if not any(rk[m][i] for m in names)]
    print(f"== missed by all: {len(idx)}")
    for i in idx[:n]:
        a = answers[i]
        print(f"  q: {a['query']}\n     answer {a['kind']} {a['path']}")


def grep_anchor(argv):
    """The grep anchor: `grep -rliF --include=*.rs WORD ROOT` for the longest word of each of
    the first N queries, timed from process start to exit (what a tool without an index pays
    to find candidate files for one word)."""
    import re
    import subprocess
    import time
    root, qpath, n = argv[0], argv[1], int(argv[2])
    qs = [l.strip() for l in open(qpath) if l.strip()][:n]
    ms, files = [], []
    for q in qs:
        words = sorted(re.findall(r"[A-Za-z0-9_]+", q), key=len, reverse=True) or ["fn"]
        t0 = time.perf_counter()
        p = subprocess.run(["grep", "-rliF", "--include=*.rs", words[0], root],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        ms.append((time.perf_counter() - t0) * 1000)
        files.append(len(p.stdout.splitlines()))
    res = {"n": len(ms), "p50": percentile(ms, 50), "p99": percentile(ms, 99),
           "files_p50": percentile(files, 50)}
    print(json.dumps(res))
    return res


def selftest():
    ans = [{"query": "a", "path": "c::A", "kind": "struct"},
           {"query": "b", "path": "c::b", "kind": "function"},
           {"query": "c", "path": "c::C", "kind": "trait"}]
    res = [{"query": "a", "results": [{"path": "c::X", "kind": "struct"}, {"path": "c::A", "kind": "struct"}]},
           {"query": "b", "results": [{"path": "c::b", "kind": "method"}, {"path": "c::b", "kind": "function"}]},
           {"query": "c", "results": [{"path": "c::D", "kind": "trait"}] * 10 + [{"path": "c::C", "kind": "trait"}]}]
    rk = ranks(ans, res)
    assert rk == [2, 2, 0], rk                                # kind must match; only the top 10 count
    m = metrics(rk)
    assert abs(m["mrr10"] - (0.5 + 0.5) / 3) < 1e-12 and abs(m["recall10"] - 2 / 3) < 1e-12 and m["recall1"] == 0
    assert percentile([5, 1, 3, 2, 4], 50) == 3 and percentile(list(range(1, 101)), 99) == 99
    assert percentile(list(range(1, 1001)), 99) == 990 and percentile([7], 99) == 7
    print("score selftest: ok")


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "quality":
        quality(argv[2:])
    elif cmd == "latency":
        latency(argv[2:])
    elif cmd == "misses":
        misses(argv[2:])
    elif cmd == "grep":
        grep_anchor(argv[2:])
    elif cmd == "selftest":
        selftest()
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
