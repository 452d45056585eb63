#!/usr/bin/env python3
"""Grade a plait index against the compiler's ground truth (truth.py's output).

usage: grade.py --truth TRUTH.json --db INDEX_DIR_OR_DB --crate NAME [--src-prefix src/]
                [--json REPORT.json] [--samples N]

Reads plait's index read-only (nodes, edges with their call line; `plait export` has no
line, which call-site matching needs), matches plait nodes to rustdoc items by file,
kind, name and line span, then compares impl_for / implements / calls edges in the
compiler's id space. Prints the figures and categorised misses / false positives.
"""
import argparse
import collections
import json
import os
import sqlite3
import sys

FNLIKE = {'function', 'method'}
KINDS_OK = {
    'function': {'function', 'method'}, 'method': {'method', 'function'},
    'type_alias': {'type_alias'}, 'const': {'const'}, 'static': {'static'},
    'struct': {'struct'}, 'enum': {'enum'}, 'union': {'union'}, 'trait': {'trait'},
    'variant': {'variant'}, 'field': {'field'}, 'impl': {'impl'}, 'macro': {'macro'},
    'module': {'module'}, 'crate': {'crate'},
}
IN_SOURCE = ('source', 'macro-arg')


def pr(tp, fp, fn):
    p = tp / (tp + fp) if tp + fp else float('nan')
    r = tp / (tp + fn) if tp + fn else float('nan')
    return p, r


def fmt(x):
    return '  n/a' if x != x else f'{x:5.3f}'


class Samples:
    def __init__(self, n):
        self.n = n
        self.count = collections.Counter()
        self.ex = collections.defaultdict(list)

    def add(self, cat, text):
        self.count[cat] += 1
        if len(self.ex[cat]) < self.n:
            self.ex[cat].append(text)

    def dump(self, title, out):
        total = sum(self.count.values())
        print(f'\n## {title} ({total})', file=out)
        for cat, n in self.count.most_common():
            print(f'  {n:6d}  {cat}', file=out)
            for e in self.ex[cat]:
                print(f'            {e}', file=out)

    def as_json(self):
        return {c: {'count': n, 'examples': self.ex[c]} for c, n in self.count.most_common()}


def load_plait(db, crate, prefix):
    path = db if db.endswith('.db') else os.path.join(db, 'index.db')
    con = sqlite3.connect(f'file:{path}?mode=ro', uri=True)
    files = dict(con.execute('SELECT id, path FROM files'))
    nodes = {}
    for key, fid, kind, name, p, cr, parent, ls, le in con.execute(
            'SELECT key, file_id, kind, name, path, crate, parent, line_start, line_end FROM nodes'):
        nodes[key] = {'key': key, 'file': files.get(fid, '?'), 'kind': kind, 'name': name,
                      'path': p, 'crate': cr, 'parent': parent, 'ls': ls, 'le': le}
    cols = [r[1] for r in con.execute('PRAGMA table_info(edges)')]
    line_col = 'line' if 'line' in cols else 'NULL'
    edges = [dict(zip(('src', 'dst', 'kind', 'conf', 'tp', 'line'), r)) for r in con.execute(
        f'SELECT src, dst, kind, confidence, target_path, {line_col} FROM edges '
        "WHERE kind IN ('calls', 'impl_for', 'implements')")]
    lib = {k for k, n in nodes.items() if n['crate'] == crate and n['file'].startswith(prefix)}
    return nodes, edges, lib


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--truth', required=True)
    ap.add_argument('--db', required=True)
    ap.add_argument('--crate', required=True)
    ap.add_argument('--src-prefix', default='src/')
    ap.add_argument('--json')
    ap.add_argument('--src', help='the crate folder (for cfg hints in the report)')
    ap.add_argument('--samples', type=int, default=4)
    a = ap.parse_args()
    out = sys.stdout
    T = json.load(open(a.truth))
    items = T['items']
    nodes, edges, lib = load_plait(a.db, a.crate, a.src_prefix)
    S = a.samples

    def loc(it):
        return f"{it.get('file')}:{it.get('l1')}"

    # ------------------------------------------------------------ items
    cand = collections.defaultdict(list)
    for k in lib:
        n = nodes[k]
        cand[(n['file'], n['kind'])].append(n)
    t2p, p2t = {}, {}
    elig = [i for i in items.values()
            if i['origin'] in IN_SOURCE and 'file' in i and not os.path.isabs(i['file'])
            and i['kind'] != 'use' and not i.get('synthetic')]
    elig.sort(key=lambda i: (i['file'], i['l1'], -i['l2']))
    for it in elig:
        best = None
        for pk in KINDS_OK.get(it['kind'], {it['kind']}):
            for n in cand.get((it['file'], pk), []):
                if n['key'] in p2t:
                    continue
                if it['kind'] != 'impl' and n['name'] != it['name']:
                    continue
                if not (n['ls'] <= it['l1'] <= n['le'] or it['l1'] <= n['ls'] <= it['l2']):
                    continue
                d = abs(n['ls'] - it['l1']) + abs(n['le'] - it['l2'])
                if best is None or d < best[0]:
                    best = (d, n)
        if best:
            t2p[it['id']] = best[1]['key']
            p2t[best[1]['key']] = it['id']

    item_miss = Samples(S)
    path_diff = Samples(S)
    by_kind = collections.defaultdict(lambda: [0, 0])
    by_kind_arg = collections.defaultdict(lambda: [0, 0])
    gen_count = collections.Counter()
    for it in items.values():
        if it['origin'] == 'macro-gen' and 'file' in it and not os.path.isabs(it['file']) \
                and not it.get('synthetic'):
            gen_count[it['kind']] += 1
    for it in elig:
        bk = by_kind if it['origin'] == 'source' else by_kind_arg
        bk[it['kind']][1] += 1
        if it['id'] in t2p:
            bk[it['kind']][0] += 1
            n = nodes[t2p[it['id']]]
            if it['kind'] != 'impl' and not it['path'].startswith('?') and n['path'] != it['path']:
                path_diff.add(f"{it['kind']}", f"{loc(it)} plait {n['path']}  rustc {it['path']}")
        else:
            same_name = [n for ns in cand.values() for n in ns
                         if n['name'] == it['name'] and n['file'] == it['file']] if it['kind'] != 'impl' else []
            why = 'no plait node'
            if same_name:
                why = f'plait has {same_name[0]["kind"]} {same_name[0]["name"]} at line {same_name[0]["ls"]}'
            item_miss.add(f"{it['origin']} {it['kind']}",
                          f"{loc(it)} {it['path']} ({why})")

    # collapse nested fns onto their enclosing item (rustdoc has none; MIR callers are too)
    def truth_of(key):
        k = key
        for _ in range(64):
            if k in p2t:
                return p2t[k]
            n = nodes.get(k)
            if n is None or n['kind'] not in FNLIKE:
                return None
            par = nodes.get(n['parent'])
            if par is None or par['kind'] not in FNLIKE:
                return None
            k = n['parent']
        return None

    # ------------------------------------------------------------ impls
    impl_res = {}
    impl_samples = {}
    for ek, field in (('impl_for', 'for_id'), ('implements', 'trait_id')):
        miss = Samples(S)
        fps = Samples(S)
        tp = fp = fn = fn_gen = 0
        pl = collections.defaultdict(list)
        for e in edges:
            if e['kind'] == ek and e['src'] in lib:
                pl[e['src']].append(e)
        truth_impls = [i for i in elig if i['kind'] == 'impl']
        for it in truth_impls:
            want = it.get(field)
            pk = t2p.get(it['id'])
            got = [e for e in pl.get(pk, [])] if pk else []
            got_res = [e for e in got if e['dst']]
            got_ids = {p2t.get(e['dst']) for e in got_res}
            if want:
                target_in_src = items[want]['origin'] in IN_SOURCE
                if want in got_ids:
                    tp += 1
                else:
                    if not target_in_src:
                        fn_gen += 1
                    if pk is None:
                        cat = 'impl node missing in plait'
                    elif not target_in_src:
                        cat = f"target {items[want]['kind']} is macro-generated (no source declares it)"
                    elif want not in t2p:
                        cat = f"target {items[want]['kind']} not in plait's items"
                    elif got_res:
                        cat = 'plait resolved to another item'
                    elif got:
                        cat = 'plait left it unresolved'
                    else:
                        cat = 'plait has no edge'
                    tgt = items[want]['path']
                    g = ', '.join(f"{e['tp']}->{nodes[e['dst']]['path'] if e['dst'] else 'NULL'}" for e in got)
                    miss.add(cat, f"{loc(it)} rustc {tgt}; plait [{g}]")
                    fn += 1
            for e in got_res:
                d = p2t.get(e['dst'])
                if want and d == want:
                    continue
                if want is None:
                    ext = it.get('trait_ext') if field == 'trait_id' else it.get('for_shape')
                    cat = 'rustc: the target is not a local item'
                    fps.add(cat, f"{loc(it)} plait {e['tp']} -> {nodes[e['dst']]['path']}; rustc {ext}")
                elif d is None:
                    fps.add('plait target is not a rustc item (cfg\'d out / other crate)',
                            f"{loc(it)} plait {e['tp']} -> {nodes[e['dst']]['path']}")
                else:
                    fps.add('different item than rustc', f"{loc(it)} plait {e['tp']} -> {nodes[e['dst']]['path']}; rustc {items[want]['path']}")
                fp += 1
        impl_res[ek] = (tp, fp, fn, fn_gen)
        impl_samples[ek] = (miss, fps)

    # ------------------------------------------------------------ calls
    def acceptable(c):
        ids = set(c.get('callee', []))
        if c['class'] == 'trait-impl':
            for cid in list(ids):
                par = items[cid].get('parent')
                tr = items.get(par, {}).get('trait_id') if par else None
                if tr:
                    m = items[tr].get('members', {}).get(items[cid]['name'])
                    if m:
                        ids.add(m)
        return ids

    truth_calls = []
    excluded = collections.Counter()
    by_caller = collections.defaultdict(list)
    for c in T['calls']:
        if c['caller'] is None:
            excluded['caller not a rustdoc item (macro-generated impl)'] += 1
            continue
        if not c.get('callee'):
            excluded[f"callee {c['class']}"] += 1
            by_caller[c['caller']].append(c)
            continue
        by_caller[c['caller']].append(c)
        if c['class'] == 'ctor':
            excluded['tuple struct / variant constructor'] += 1
            continue
        if c['site'] != 'written':
            excluded[f"site {c['site']}"] += 1
            continue
        if items[c['caller']]['origin'] not in IN_SOURCE:
            excluded['caller macro-generated'] += 1
            continue
        if not all(items[i]['origin'] in IN_SOURCE and 'file' in items[i] and not os.path.isabs(items[i]['file'])
                   for i in c['callee']):
            excluded['callee macro-generated or derived'] += 1
            continue
        truth_calls.append(c)
    dedup = {}
    for c in truth_calls:
        dedup[(c['caller'], tuple(sorted(c['callee'])), c['file'], c['l1'], c['c1'], c['l2'], c['c2'])] = c
    truth_calls = list(dedup.values())

    plait_calls = []
    skipped = collections.Counter()
    for e in edges:
        if e['kind'] != 'calls' or e['src'] not in lib or not e['dst']:
            continue
        dn = nodes.get(e['dst'])
        if dn is None:
            skipped['dst missing'] += 1
            continue
        if dn['kind'] == 'macro':
            skipped['calls a macro_rules (not graded: MIR has no macros)'] += 1
            continue
        if dn['kind'] in ('struct', 'variant', 'enum', 'union'):
            skipped['constructor call (not graded)'] += 1
            continue
        s = truth_of(e['src'])
        if s is None:
            skipped['caller not a rustc item (cfg\'d out, test-only, or unmatched)'] += 1
            continue
        d = truth_of(e['dst'])
        plait_calls.append((s, d, e['line'], e['conf'], e))
    pc_by_caller = collections.defaultdict(list)
    for pc in plait_calls:
        pc_by_caller[pc[0]].append(pc)

    def site_of(c):
        return f"{c['file']}:{c['l1']}"

    def in_span(line, c):
        return line is not None and c['l1'] <= line <= c['l2']

    src_root = a.src

    def srcfile_text(it):
        if not src_root or 'file' not in it:
            return ''
        try:
            with open(os.path.join(src_root, it['file']), encoding='utf-8', errors='replace') as fh:
                ls = fh.read().split('\n')
        except OSError:
            return ''
        return '\n'.join(ls[it['l1'] - 1:it['l2']])

    res = {}
    samples = {}
    by_class = collections.defaultdict(lambda: [0, 0, 0])
    for label, confs in (('exact', {'exact'}), ('exact+inferred', {'exact', 'inferred'}),
                         ('all', {'exact', 'inferred', 'ambiguous'})):
        miss = Samples(S)
        fps = Samples(S)
        tp_r = fn = 0
        tp_p = fp = 0
        for c in truth_calls:
            acc = acceptable(c)
            cands = [pc for pc in pc_by_caller.get(c['caller'], []) if in_span(pc[2], c)]
            ck = (c['class'], 'method' if c['method_syntax'] else 'path')
            if label == 'exact':
                by_class[ck][0] += 1
                if any(pc[1] in acc for pc in cands):
                    by_class[ck][2] += 1
            if any(pc[1] in acc and pc[3] in confs for pc in cands):
                tp_r += 1
                if label == 'exact':
                    by_class[ck][1] += 1
                continue
            fn += 1
            syntax = 'method-call syntax' if c['method_syntax'] else 'path call'
            want = items[c['callee'][0]]
            here = [pc for pc in cands if pc[4]['tp'] and pc[4]['tp'].split('.')[-1].split('::')[-1] == c['name']]
            if c['caller'] not in t2p:
                cat = 'caller item not in plait'
            elif not all(i in t2p for i in c['callee']):
                cat = 'callee item not in plait'
            elif any(pc[1] in acc for pc in cands):
                cat = f"found, but {'/'.join(sorted({pc[3] for pc in cands if pc[1] in acc}))}"
            elif here:
                got = here[0]
                cat = f"plait resolved elsewhere ({got[3]})"
            else:
                cat = 'no resolved edge at this site'
            detail = f"{site_of(c)} in {items[c['caller']]['path']}: rustc {c['callee_mir'][:90]} -> {want['path']}"
            if here:
                got = here[0]
                dn = nodes[got[4]['dst']]
                detail += f"; plait {got[4]['tp']} -> {dn['path']} ({got[3]})"
            miss.add(f"{c['class']} / {syntax}: {cat}", detail)
        # precision
        tc_by_caller = collections.defaultdict(list)
        for c in T['calls']:
            if c['caller']:
                tc_by_caller[c['caller']].append(c)
        seen = set()
        for s, d, line, conf, e in plait_calls:
            if conf not in confs:
                continue
            k = (s, d, line, e['dst'], e['tp'])
            if k in seen:
                continue
            seen.add(k)
            rc = [c for c in tc_by_caller.get(s, []) if in_span(line, c)]
            ok = any(c.get('callee') and d in acceptable(c) for c in rc)
            if ok:
                tp_p += 1
                continue
            fp += 1
            dn = nodes[e['dst']]
            nm = e['tp'].split('.')[-1].split('::')[-1] if e['tp'] else ''
            same = [c for c in rc if c['name'] == nm]
            where = f"{nodes[e['src']]['file']}:{line} in {items[s]['path']}: plait {e['tp']} -> {dn['path']} ({conf})"
            if d is None:
                cat = "plait's target is not a rustc item (cfg'd-out twin, nested fn, other crate)"
                if same:
                    where += f"; rustc {same[0]['callee_mir'][:90]}"
            elif same:
                c = same[0]
                if c['class'] == 'external':
                    cat = 'rustc: the callee is in another crate'
                elif c.get('callee'):
                    cat = f"rustc: a different local item ({c['class']})"
                else:
                    cat = f"rustc: {c['class']}"
                where += f"; rustc {c['callee_mir'][:100]}"
            elif rc:
                cat = 'rustc has calls on this line, none with this name'
                where += f"; rustc here: {', '.join(sorted({c['name'] for c in rc}))[:80]}"
            else:
                ci = items[s]
                body = srcfile_text(ci)
                if '#[cfg' in body:
                    cat = "no call on this line per rustc; the caller has #[cfg] inside (inactive code)"
                else:
                    cat = "no call on this line per rustc (macro body or line mismatch)"
            fps.add(cat, where)
        p, _ = pr(tp_p, fp, 0)
        _, r = pr(tp_r, 0, fn)
        res[label] = {'precision': p, 'recall': r, 'tp_precision': tp_p, 'fp': fp,
                      'tp_recall': tp_r, 'fn': fn}
        samples[label] = (miss, fps)

    # ------------------------------------------------------------ report
    print(f'# oracle: {a.crate}', file=out)
    tot = [sum(v[0] for v in by_kind.values()), sum(v[1] for v in by_kind.values())]
    tot_arg = [sum(v[0] for v in by_kind_arg.values()), sum(v[1] for v in by_kind_arg.values())]
    print(f"\nitems written in source:        recall {fmt(tot[0] / tot[1] if tot[1] else float('nan'))}  ({tot[0]}/{tot[1]})", file=out)
    print(f"items inside macro arguments:   recall {fmt(tot_arg[0] / tot_arg[1] if tot_arg[1] else float('nan'))}  ({tot_arg[0]}/{tot_arg[1]})", file=out)
    allm = tot[0] + tot_arg[0]
    alln = tot[1] + tot_arg[1]
    print(f"items, both:                    recall {fmt(allm / alln if alln else float('nan'))}  ({allm}/{alln})", file=out)
    print(f"  (not graded: {sum(gen_count.values())} items produced by macro bodies or derives: "
          + ', '.join(f'{k} {v}' for k, v in gen_count.most_common()) + ')', file=out)
    print('  by kind (source): ' + ', '.join(
        f"{k} {v[0]}/{v[1]}" for k, v in sorted(by_kind.items())), file=out)
    if by_kind_arg:
        print('  by kind (macro args): ' + ', '.join(
            f"{k} {v[0]}/{v[1]}" for k, v in sorted(by_kind_arg.items())), file=out)
    matched_paths = sum(1 for i in elig if i['id'] in t2p and i['kind'] != 'impl')
    print(f"  canonical path agrees on {matched_paths - sum(path_diff.count.values())}/{matched_paths} matched items", file=out)
    print('\n                      precision  recall     tp/fp/fn', file=out)
    for ek in ('impl_for', 'implements'):
        tp, fp, fn, fn_gen = impl_res[ek]
        p, r = pr(tp, fp, fn)
        _, r2 = pr(tp, fp, fn - fn_gen)
        print(f"{ek:22s}{fmt(p)}      {fmt(r)}     {tp}/{fp}/{fn}   (recall {fmt(r2)} without macro-generated targets)", file=out)
    for label in ('exact', 'exact+inferred', 'all'):
        r = res[label]
        print(f"calls {label:16s}{fmt(r['precision'])}      {fmt(r['recall'])}     "
              f"{r['tp_precision']}/{r['fp']}/{r['fn']}", file=out)
    print('\ncall recall by rustc class / syntax:   sites  exact  any-confidence', file=out)
    for (cls, syn), (n, ex, an) in sorted(by_class.items(), key=lambda x: -x[1][0]):
        print(f"  {cls + ' / ' + syn:34s} {n:6d}  {ex / n:5.3f}  {an / n:5.3f}", file=out)
    print(f"\ncrate-local call sites graded: {len(truth_calls)} (callee defined in this crate, "
          'written at the site); not graded: ' + ', '.join(f'{k} {v}' for k, v in excluded.most_common()), file=out)
    print('plait call edges not graded: ' + ', '.join(f'{k} {v}' for k, v in skipped.most_common()), file=out)
    item_miss.dump('items missed (origin kind)', out)
    path_diff.dump('matched items whose canonical path differs', out)
    for ek in ('impl_for', 'implements'):
        impl_samples[ek][0].dump(f'{ek}: missed', out)
        impl_samples[ek][1].dump(f'{ek}: false positives', out)
    samples['exact'][1].dump('calls, exact: false positives', out)
    samples['exact'][0].dump('calls, exact: missed (class / syntax: why)', out)
    samples['exact+inferred'][1].dump('calls, exact+inferred: false positives', out)
    samples['all'][1].dump('calls, all confidences: false positives', out)
    if a.json:
        rep = {'crate': a.crate,
               'items': {'source': tot, 'macro_args': tot_arg, 'by_kind': by_kind, 'by_kind_macro_args': by_kind_arg,
                         'missed': item_miss.as_json(), 'path_differs': path_diff.as_json()},
               'impl': {ek: dict(zip(('tp', 'fp', 'fn', 'fn_macro_generated_target'), impl_res[ek]),
                                 missed=impl_samples[ek][0].as_json(), fp_list=impl_samples[ek][1].as_json())
                        for ek in impl_res},
               'calls': {lab: dict(res[lab], missed=samples[lab][0].as_json(), fp_list=samples[lab][1].as_json())
                         for lab in res},
               'calls_graded': len(truth_calls), 'calls_by_class': {f'{k[0]} / {k[1]}': v for k, v in by_class.items()}, 'calls_excluded': excluded, 'plait_calls_skipped': skipped}
        json.dump(rep, open(a.json, 'w'), indent=1, default=str)


if __name__ == '__main__':
    main()
