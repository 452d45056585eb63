#!/usr/bin/env python3
"""summary.py RESULTS_DIR WORK_DIR - the table bench/search/run.sh prints, from its raw files."""
import json
import os
import re
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import score  # noqa: E402

res, work = sys.argv[1], sys.argv[2]


def path(name):
    return os.path.join(res, name)


def jload(name):
    try:
        with open(path(name)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def last_json(name):
    """The last JSON line of a command's stdout (plait index --json prints one)."""
    try:
        lines = [l for l in open(path(name)) if l.strip().startswith("{")]
        return json.loads(lines[-1]) if lines else None
    except (OSError, ValueError):
        return None


def wall(name):
    try:
        w, rss = open(path(name)).read().split()[-2:]
        return float(w), int(rss) / 1024
    except (OSError, ValueError):
        return None, None


def rows_of(name):
    try:
        return score.load_jsonl(path(name))
    except OSError:
        return None


def ann_agreement(sem, exact):
    """Mean share of the exact top 10 (by key) that the HNSW-backed semantic top 10 holds."""
    if not sem or not exact or len(sem) != len(exact):
        return None
    tot = 0.0
    for a, b in zip(sem, exact):
        ea = {r["key"] for r in (b.get("results") or [])[:10]}
        sa = {r["key"] for r in (a.get("results") or [])[:10]}
        tot += len(ea & sa) / len(ea) if ea else 1.0
    return tot / len(sem)


out = []
p = out.append
fmt = lambda m: f"{m['mrr10']:.3f}  {m['recall10']:.3f}  {m['recall1']:.3f}"

p("search quality: query = first sentence of an item's doc, the doc blanked in the indexed copy;")
p("answer = a result with the item's canonical path and kind; MRR@10  Recall@10  Recall@1")
p("")
p(f"{'corpus':<7} {'queries':>7}  {'mode':<9} {'MRR@10  R@10   R@1':<20} anchor (same index, same queries, same run)")
p("-" * 110)
for corpus in ("syn", "std"):
    q = jload(f"{corpus}-quality.json")
    ev = jload(f"{corpus}-evalset.json") or {}
    ck = jload(f"{corpus}-check.json") or {}
    if not q:
        p(f"{corpus:<7} (no results)")
        continue
    m = q["modes"]
    n = q["queries"]
    agree = ann_agreement(rows_of(f"{corpus}-q-semantic.out"), rows_of(f"{corpus}-q-exact.out"))
    gain = q.get("hybrid_gain_mrr")
    ok = "ok" if gain is not None and gain >= 0.10 else "MISS"
    p(f"{corpus:<7} {n:>7}  {'lexical':<9} {fmt(m['lexical']):<20} bare FTS5 bm25 (words OR'ed, equal weights): {fmt(m['fts'])}")
    p(f"{'':<7} {'':>7}  {'semantic':<9} {fmt(m['semantic']):<20} exact brute-force scan, same model: {fmt(m['exact'])}"
      + (f"; HNSW top 10 holds {agree * 100:.1f}% of the exact top 10" if agree is not None else ""))
    p(f"{'':<7} {'':>7}  {'hybrid':<9} {fmt(m['hybrid']):<20} vs lexical: {gain * 100:+.1f}% MRR@10 (target >= +10%: {ok})"
      if gain is not None else f"{'':<17}hybrid {fmt(m['hybrid'])}")
    ov = q.get("overlap") or {}
    p(f"{'':<17}in the top 10 of: both {ov.get('both')}, lexical only {ov.get('lexical_only')}, "
      f"semantic only {ov.get('semantic_only')}, neither {ov.get('neither')}")
    p(f"{'':<17}set: {ev.get('documented')} documented items, {ev.get('ambiguous_queries')} ambiguous first sentences dropped, "
      f"{ev.get('short_or_no_prose')} too short, {ev.get('candidates')} candidates, {ev.get('queries')} queries; "
      f"{ev.get('spans_blanked')} doc spans blanked in {ev.get('files_changed')} files; docs left on answers: "
      f"{ck.get('doc_left')}, leaks: {ck.get('leaks')}")
    p("-" * 110)

p("")
p("speed")
ni, ri = wall("std-index-none.time")
fi, rf = wall("std-index-full.time")
full = last_json("std-index-full.out") or {}
st = jload("std-full-status.json") or {}
emb_rate = None
try:
    for line in open(path("embed-table.txt")):
        mm = re.match(r"all\s+plait C, (\d) worker\(s\)\s+\d+\s+\d+\s+([\d.]+)\s+([\d.]+)", line)
        if mm:
            emb_rate = emb_rate or {}
            emb_rate[int(mm.group(1))] = (float(mm.group(2)), float(mm.group(3)))
except OSError:
    pass
if fi is not None and ni is not None:
    emb = full.get("embed") if isinstance(full.get("embed"), dict) else {}
    nodes = emb.get("embedded")
    p(f"full embedding of library/std: plait index --embed local {fi:.1f} s (peak RSS {rf:.0f} MB) vs --embed none "
      f"{ni:.1f} s (peak RSS {ri:.0f} MB; anchor, same run) -> embedding about {fi - ni:.1f} s"
      + (f" (embed stage: {emb['seconds']:.1f} s)" if emb.get("seconds") else ""))
    if isinstance(nodes, int) and nodes:
        p(f"  {nodes} texts embedded ({emb.get('cached', 0)} more nodes from the text cache) -> "
          f"{nodes / max(emb.get('seconds') or (fi - ni), 1e-9):.0f} texts/s in the embed stage"
          + (f"; bench_embed, same run: {emb_rate[1][0]:.0f} nodes/s at 1 worker, {emb_rate[2][0]:.0f} at 2"
             if emb_rate and 1 in emb_rate and 2 in emb_rate else ""))
    if full:
        p(f"  plait index --json: {json.dumps({k: full[k] for k in ('nodes', 'phases', 'embed') if k in full})}")

lat = {}
cpu_of = {}
for mname in ("lexical", "semantic", "hybrid", "exact", "fts"):
    rows = rows_of(f"lat-{mname}.out")
    if rows:
        tot = [float(r["ms_total"]) for r in rows]
        wo = [float(r["ms_total"]) - float(r.get("ms_embed") or 0) for r in rows]
        lat[mname] = (len(rows), score.percentile(tot, 50), score.percentile(tot, 99),
                      score.percentile(wo, 50), score.percentile(wo, 99))
        if all("ms_cpu" in r for r in rows):  # CPU time of the query's threads (plait search only)
            cpu = [float(r["ms_cpu"]) for r in rows]
            cwo = [float(r["ms_cpu"]) - float(r.get("ms_cpu_embed") or 0) for r in rows]
            cpu_of[mname] = (score.percentile(cpu, 50), score.percentile(cpu, 99),
                             score.percentile(cwo, 50), score.percentile(cwo, 99))
gr = jload("lat-grep.json")
if lat:
    n = next(iter(lat.values()))[0]
    try:
        l0, l1 = open(path("lat-load.txt")).read().split()[:2]
        load = f"; load average {l0} before, {l1} after"
    except (OSError, ValueError):
        load = ""
    p(f"search latency on library/std ({n} queries, ms; measured inside the process per query{load}):")
    p(f"  {'mode':<9} {'p50':>7} {'p99':>7}   {'without the query embedding':<28} anchor")
    anch = {"lexical": "fts", "semantic": "exact"}
    for mname in ("lexical", "semantic", "hybrid"):
        if mname not in lat:
            continue
        _, a, b, c, d = lat[mname]
        note = ""
        if mname in anch and anch[mname] in lat:
            _, e, f, g, h = lat[anch[mname]]
            note = (f"bare FTS5 query p50 {e:.2f} p99 {f:.2f}" if mname == "lexical" else
                    f"exact scan incl. embedding p50 {e:.2f} p99 {f:.2f}; scan alone p50 {g:.2f} p99 {h:.2f}")
        if mname == "hybrid":
            note = f"target p50 < 10 ms incl. embedding: {'ok' if a < 10 else 'MISS'}"
        p(f"  {mname:<9} {a:>7.2f} {b:>7.2f}   p50 {c:>6.2f}  p99 {d:>6.2f}         {note}")
    if cpu_of:
        p("  CPU time of the query's threads (wall clock above is inflated by the load of a shared machine):")
        for mname in ("lexical", "semantic", "hybrid"):
            if mname in cpu_of:
                a, b, c, d = cpu_of[mname]
                p(f"  {mname:<9} cpu p50 {a:>6.2f} p99 {b:>6.2f}   without the query embedding p50 {c:>6.2f} p99 {d:>6.2f}")
    if gr:
        p(f"  anchor: grep -rliF of the query's longest word over library/std ({gr['n']} queries, process included): "
          f"p50 {gr['p50']:.1f} p99 {gr['p99']:.1f} ms")
    if emb_rate is not None:
        pass
print("\n".join(out))
