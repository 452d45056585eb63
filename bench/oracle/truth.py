#!/usr/bin/env python3
"""Ground truth from the compiler: rustdoc JSON (items, impls) + MIR text (calls).

usage: truth.py --crate NAME --src DIR --rustdoc JSON --mir MIR --out TRUTH.json

Writes one JSON document:
  items:  every item of the local crate that rustdoc lists with a span, with its
          kind (plait's vocabulary), name, canonical path, file, line span and
          origin ("source": written out at its span; "macro-arg": written inside
          a macro invocation's arguments; "macro-gen": produced by a macro body
          or a derive, so no source text declares it).
  impls:  impl -> self type id / trait id when those are local items.
  calls:  (caller item, callee item, file, first line, last line, class) from
          every Call terminator in rustc's MIR, resolved to local items where
          the callee is defined in this crate.
See docs/oracle.md for how each step decides.
"""
import argparse
import collections
import json
import os
import re
import sys

# ---------------------------------------------------------------- helpers

OPEN = {'<': '>', '(': ')', '[': ']', '{': '}'}
CLOSE = {v: k for k, v in OPEN.items()}


def split_top(s, stop_chars):
    """Index of the first char of stop_chars at bracket depth 0, or -1.
    '->' is not a bracket."""
    depth = 0
    i = 0
    n = len(s)
    while i < n:
        ch = s[i]
        if ch == '-' and i + 1 < n and s[i + 1] == '>':
            i += 2
            continue
        if depth == 0 and ch in stop_chars:
            return i
        if ch in OPEN:
            depth += 1
        elif ch in CLOSE:
            depth -= 1
        i += 1
    return -1


def matching(s, i):
    """s[i] is an opening bracket; index of its partner."""
    depth = 0
    j = i
    while j < len(s):
        ch = s[j]
        if ch == '-' and j + 1 < len(s) and s[j + 1] == '>':
            j += 2
            continue
        if ch in OPEN:
            depth += 1
        elif ch in CLOSE:
            depth -= 1
            if depth == 0:
                return j
        j += 1
    return -1


def unimpl(path):
    """a::b::<impl x::T<U>>::m -> x::T<U>::m (an inherent impl printed by its self type)."""
    i = path.find('<impl ')
    while i >= 0:
        j = matching(path, i)
        if j < 0:
            break
        inner = path[i + 6:j]
        if inner.startswith('at '):
            i = path.find('<impl ', j)
            continue
        path = inner + path[j + 1:]
        i = path.find('<impl ')
    return path


def strip_generics(path):
    """a::B::<T>::c::<U> -> a::B::c ; also B<T>::c -> B::c (outside qualified parts)."""
    out = []
    i = 0
    while i < len(path):
        ch = path[i]
        if ch == '<' and not (i > 0 and path[i - 1] == '-'):
            j = matching(path, i)
            if j < 0:
                break
            i = j + 1
            if out and out[-1] == ':' and len(out) >= 2 and out[-2] == ':':
                out.pop()
                out.pop()
            continue
        out.append(ch)
        i += 1
    return ''.join(out)


def split_path(p):
    """Split a::b::<impl at x:1:2: 3:4>::c on top-level '::'."""
    segs = []
    depth = 0
    cur = []
    i = 0
    while i < len(p):
        ch = p[i]
        if ch in '<({[':
            depth += 1
        elif ch in '>)}]':
            depth -= 1
        if depth == 0 and p.startswith('::', i):
            segs.append(''.join(cur))
            cur = []
            i += 2
            continue
        cur.append(ch)
        i += 1
    segs.append(''.join(cur))
    return segs


EXT = set()
LOCAL = set()
PRIMS = {'bool', 'char', 'str', 'u8', 'u16', 'u32', 'u64', 'u128', 'usize', 'i8', 'i16',
         'i32', 'i64', 'i128', 'isize', 'f32', 'f64', '!'}


def mir_type_shape(t, local_root_types):
    t = t.strip()
    if t.startswith('&'):
        t = t[1:].lstrip()
        t = re.sub(r"^'\w+\s*", '', t)
        if t.startswith('mut '):
            t = t[4:]
        return '&' + mir_type_shape(t, local_root_types)
    if t.startswith('*const ') or t.startswith('*mut '):
        return '*'
    if t.startswith('['):
        return '['
    if t.startswith('('):
        return '('
    if t.startswith('dyn ') or t.startswith('impl '):
        return '?'
    if t.startswith('fn(') or t.startswith('for<') or t.startswith('unsafe fn') or t.startswith('{'):
        return 'fn'
    base = strip_generics(t)
    segs = split_path(base)
    last = segs[-1]
    if len(segs) > 1 and segs[0] in EXT:
        return 'ext:' + last
    if len(segs) == 1 and last not in PRIMS and last not in local_root_types:
        return '?'   # a type parameter or Self
    return last


def rd_type_shape(t):
    if not isinstance(t, dict):
        return '?'
    k, v = next(iter(t.items()))
    if k == 'resolved_path':
        last = v['path'].split('::')[-1]
        return last if str(v['id']) in LOCAL else 'ext:' + last
    if k == 'borrowed_ref':
        return '&' + rd_type_shape(v['type'])
    if k in ('slice', 'array'):
        return '['
    if k == 'tuple':
        return '('
    if k == 'primitive':
        return v
    if k == 'raw_pointer':
        return '*'
    if k == 'function_pointer':
        return 'fn'
    return '?'


# ---------------------------------------------------------------- rustdoc

KIND = {
    'module': 'module', 'struct': 'struct', 'enum': 'enum', 'union': 'union',
    'variant': 'variant', 'struct_field': 'field', 'trait': 'trait', 'impl': 'impl',
    'constant': 'const', 'static': 'static', 'type_alias': 'type_alias', 'macro': 'macro',
    'assoc_const': 'const', 'assoc_type': 'type_alias', 'trait_alias': 'trait',
    'function': 'function', 'use': 'use', 'proc_macro': 'macro', 'extern_crate': 'use',
}

DECL_RE = {
    'function': r'fn\s+{n}\b', 'method': r'fn\s+{n}\b', 'struct': r'struct\s+{n}\b',
    'enum': r'enum\s+{n}\b', 'union': r'union\s+{n}\b', 'trait': r'trait\s+{n}\b',
    'const': r'const\s+{n}\b', 'static': r'static\s+(mut\s+)?{n}\b',
    'type_alias': r'type\s+{n}\b', 'macro': r'macro_rules!\s*{n}\b', 'module': r'mod\s+{n}\b',
    'impl': r'\bimpl\b', 'variant': r'^\s*{n}\b', 'field': r'^\s*(pub(\([^)]*\))?\s+)?{n}\b',
}


class Source:
    def __init__(self, root):
        self.root = root
        self.cache = {}

    def lines(self, f):
        if f not in self.cache:
            p = f if os.path.isabs(f) else os.path.join(self.root, f)
            try:
                with open(p, encoding='utf-8', errors='replace') as fh:
                    self.cache[f] = fh.read().split('\n')
            except OSError:
                self.cache[f] = []
        return self.cache[f]

    def text(self, f, l1, c1, l2, c2):
        ls = self.lines(f)
        if not ls or l1 < 1 or l1 > len(ls):
            return ''
        if l1 == l2:
            return ls[l1 - 1][c1 - 1:c2 - 1]
        parts = [ls[l1 - 1][c1 - 1:]] + ls[l1:l2 - 1] + ([ls[l2 - 1][:c2 - 1]] if l2 <= len(ls) else [])
        return '\n'.join(parts)


def origin_of(kind, name, text):
    """source / macro-arg / macro-gen, from the text rustdoc's span covers."""
    head = text.lstrip()
    # leading attributes / docs are not part of rustdoc spans, but be lenient
    while head.startswith('#[') or head.startswith('///') or head.startswith('//!'):
        if head.startswith('#['):
            j = matching(head, 1)
            head = head[j + 1:].lstrip() if j > 0 else ''
        else:
            nl = head.find('\n')
            head = head[nl + 1:].lstrip() if nl >= 0 else ''
    macro_call = re.match(r'[A-Za-z_][A-Za-z_0-9:]*\s*!\s*[({\[]', head)
    if kind == 'module' or (kind == 'field' and (name or '').isdigit()):
        return 'macro-gen' if macro_call else 'source'
    pat = DECL_RE.get(kind)
    if pat is None:
        return 'source'
    rx = pat.format(n=re.escape(name or ''))
    m = re.match(r'(pub(\([^)]*\))?\s+)?((unsafe|async|const|extern(\s+"[^"]*")?|default)\s+)*', head)
    rest = head[m.end():] if m else head
    if kind == 'const':
        rest = re.sub(r'^(pub(\([^)]*\))?\s+)?', '', head)
    if kind in ('variant', 'field'):
        if re.match(rx, head):
            return 'source'
    elif re.match(rx, rest):
        return 'source'
    if re.match(r'[A-Za-z_][A-Za-z_0-9]*\s*!', head):
        if kind not in ('variant', 'field', 'impl') and re.search(rx, head):
            return 'macro-arg'
        return 'macro-gen'
    return 'macro-gen'


def load_rustdoc(path, crate, src):
    d = json.load(open(path))
    idx = d['index']
    paths = d['paths']
    ext_names = {c['name'] for c in d['external_crates'].values()} | {'std', 'core', 'alloc'}
    local = {k: v for k, v in idx.items() if v['crate_id'] == 0}
    EXT.update(ext_names)
    LOCAL.update(local)
    parent = {}
    for k, v in local.items():
        kind, inner = next(iter(v['inner'].items())) if isinstance(v['inner'], dict) else (v['inner'], None)
        kids = []
        if kind == 'module':
            kids = inner['items']
        elif kind == 'struct':
            sk = inner['kind']
            if isinstance(sk, dict):
                if 'plain' in sk:
                    kids += sk['plain']['fields']
                elif 'tuple' in sk:
                    kids += [x for x in sk['tuple'] if x is not None]
            kids += inner.get('impls', [])
        elif kind == 'union':
            kids += inner['fields'] + inner.get('impls', [])
        elif kind == 'enum':
            kids += inner['variants'] + inner.get('impls', [])
        elif kind == 'variant':
            vk = inner['kind']
            if isinstance(vk, dict):
                if 'struct' in vk:
                    kids += vk['struct']['fields']
                elif 'tuple' in vk:
                    kids += [x for x in vk['tuple'] if x is not None]
        elif kind == 'trait':
            kids += inner['items'] + inner.get('implementations', [])
        elif kind == 'impl':
            kids += inner['items']
        for c in kids:
            c = str(c)
            if c in local:
                if kind in ('struct', 'enum', 'union', 'trait') and local[c]['inner'].get('impl') is not None:
                    parent.setdefault(c, k)   # impls hang off their type, weakly
                else:
                    parent[c] = k
    # canonical paths (plait's display convention) and def paths (rustc's, no crate)
    root = str(d['root'])
    kinds = {}
    for k, v in local.items():
        kinds[k] = next(iter(v['inner'])) if isinstance(v['inner'], dict) else v['inner']

    def modpath(k):
        segs = []
        cur = parent.get(k)
        while cur is not None and cur != root:
            if kinds[cur] == 'module':
                segs.append(local[cur]['name'])
            cur = parent.get(cur)
        return list(reversed(segs))

    cache = {}

    def canon(k):
        if k in cache:
            return cache[k]
        v = local[k]
        par = parent.get(k)
        pkind = kinds.get(par) if par else None
        name = v['name'] or ''
        if k == root:
            r = crate
        elif kinds[k] == 'impl':
            r = '::'.join([crate] + modpath(k) + ['impl'])
        elif pkind == 'impl':
            f = local[par]['inner']['impl']['for']
            tp = None
            if 'resolved_path' in f:
                rid = str(f['resolved_path']['id'])
                if rid in paths:
                    tp = '::'.join(paths[rid]['path'])
                elif rid in local:
                    tp = canon(rid)
            r = (tp or '?') + '::' + name
        elif pkind in ('struct', 'enum', 'union', 'trait', 'variant'):
            r = canon(par) + '::' + name
        else:
            r = '::'.join([crate] + modpath(k) + [name])
        cache[k] = r
        return r

    items = {}
    defpath = {}      # value namespace: 'mod::name' -> id (fns, consts, statics, ctors)
    typepath = {}     # type namespace: 'mod::Name' -> id
    for k, v in local.items():
        kind = kinds[k]
        if kind == 'use':
            continue
        sp = v['span']
        par = parent.get(k)
        pkind = kinds.get(par) if par else None
        if kind == 'module' and k == root:
            pk = 'crate'
        elif kind == 'function' and pkind in ('impl', 'trait'):
            pk = 'method'
        else:
            pk = KIND.get(kind, kind)
        name = v['name'] if k != root else crate
        cpath = canon(k)
        rec = {'id': k, 'kind': pk, 'rkind': kind, 'name': name, 'path': cpath,
               'parent': par}
        if sp:
            sp = dict(sp, filename=os.path.normpath(sp['filename']))
            rec.update(file=sp['filename'], l1=sp['begin'][0], c1=sp['begin'][1],
                       l2=sp['end'][0], c2=sp['end'][1])
            text = src.text(sp['filename'], sp['begin'][0], sp['begin'][1],
                            sp['end'][0], sp['end'][1])
            rec['origin'] = origin_of(pk, name, text) if k != root else 'source'
        else:
            rec['origin'] = 'nospan'
        if kind == 'impl':
            im = v['inner']['impl']
            rec['synthetic'] = bool(im['is_synthetic'] or im['blanket_impl'] is not None)
            f = im['for']
            rec['for_shape'] = rd_type_shape(f)
            if 'resolved_path' in f and str(f['resolved_path']['id']) in local:
                rec['for_id'] = str(f['resolved_path']['id'])
            tr = im['trait']
            if tr:
                rec['trait_name'] = tr['path'].split('::')[-1]
                if str(tr['id']) in local:
                    rec['trait_id'] = str(tr['id'])
                elif str(tr['id']) in paths:
                    rec['trait_ext'] = '::'.join(paths[str(tr['id'])]['path'])
            rec['members'] = {local[str(i)]['name']: str(i) for i in im['items'] if str(i) in local}
        if kind == 'trait':
            rec['members'] = {local[str(i)]['name']: str(i) for i in v['inner']['trait']['items']
                              if str(i) in local}
        items[k] = rec
        if pkind not in ('impl', 'trait') and name:
            dp = '::'.join(modpath(k) + [name])
            if kind in ('function', 'constant', 'static'):
                defpath[dp] = k
            elif kind == 'struct' and 'plain' not in v['inner']['struct']['kind']:
                defpath.setdefault(dp, k)
            if kind in ('trait', 'struct', 'enum', 'union', 'type_alias'):
                typepath[dp] = k
        if kind == 'variant' and par in local:
            defpath['::'.join(modpath(par) + [local[par]['name'], name])] = k
    for k, rec in items.items():
        par = rec['parent']
        if rec['kind'] in ('field', 'variant') and par in items:
            top = par
            while items[top]['kind'] in ('variant', 'field') and items[top]['parent'] in items:
                top = items[top]['parent']
            if items[top]['origin'] != 'source' and rec['origin'] == 'source':
                rec['origin'] = 'macro-arg'
            elif items[top]['origin'] == 'macro-gen':
                rec['origin'] = 'macro-gen'
    for k, rec in items.items():
        if rec['kind'] == 'trait':
            for m, mid in rec['members'].items():
                defpath['::'.join(modpath(k) + [rec['name'], m])] = mid
    # a struct's/enum's inherent impls
    inherent = collections.defaultdict(list)
    trait_impls = collections.defaultdict(list)   # trait name -> impl ids
    for k, rec in items.items():
        if rec['rkind'] == 'impl' and rec['origin'] != 'nospan' and not rec['synthetic']:
            if 'trait_name' not in rec:
                if 'for_id' in rec:
                    inherent[rec['for_id']].append(k)
            else:
                trait_impls[rec['trait_name']].append(k)
    return d, items, defpath, typepath, inherent, trait_impls, ext_names


# ---------------------------------------------------------------- MIR

HDR = re.compile(r'^(fn|const|static|static mut) (.*)$')
SPAN = re.compile(r'// scope \d+ at (\S+?):(\d+):(\d+): (\d+):(\d+)\s*$')
TERM = re.compile(r' -> (\[return: bb\d+[^\]]*\]|unwind [^;]*|bb\d+);\s*$')
IMPL_AT = re.compile(r'^<impl at (\S+?):(\d+):(\d+): (\d+):(\d+)>$')
NONCALL = ('drop(', 'assert(', 'switchInt(', 'falseEdge', 'falseUnwind', 'goto', 'yield(',
           'resume', 'return', 'unreachable', 'coroutine_drop', 'inline_asm', 'tailcall')


def parse_mir(path):
    """Yield (caller def path, callee text, file, l1, c1, l2, c2)."""
    caller = None
    with open(path, encoding='utf-8', errors='replace') as fh:
        for line in fh:
            if not line.startswith(' '):
                m = HDR.match(line)
                if m:
                    rest = m.group(2)
                    j = split_top(rest, '(')
                    k = split_top(rest, ':')
                    while k >= 0 and rest.startswith('::', k):
                        n = split_top(rest[k + 2:], ':')
                        k = k + 2 + n if n >= 0 else -1
                    ends = [x for x in (j, k) if x >= 0]
                    caller = rest[:min(ends)] if ends else rest
                    if '::promoted[' in caller:
                        caller = None
                continue
            if caller is None or '// scope' not in line:
                continue
            body = line[:line.index('// scope')]
            tm = TERM.search(body)
            if not tm:
                continue
            stmt = body[:tm.start()].strip()
            # destination place
            eq = stmt.find(' = ')
            if eq >= 0 and split_top(stmt[:eq], '(') < 0:
                stmt = stmt[eq + 3:]
            elif eq >= 0 and stmt.startswith('(*'):
                stmt = stmt[eq + 3:]
            if stmt.startswith(NONCALL):
                continue
            j = split_top(stmt, '(')
            if j <= 0:
                continue
            callee = stmt[:j]
            sm = SPAN.search(line)
            if not sm:
                continue
            yield (caller, callee, os.path.normpath(sm.group(1)), int(sm.group(2)), int(sm.group(3)),
                   int(sm.group(4)), int(sm.group(5)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--crate', required=True)
    ap.add_argument('--src', required=True)
    ap.add_argument('--rustdoc', required=True)
    ap.add_argument('--mir', required=True)
    ap.add_argument('--out', required=True)
    a = ap.parse_args()
    src = Source(a.src)
    d, items, defpath, typepath, inherent, trait_impls, ext_names = load_rustdoc(a.rustdoc, a.crate, src)
    local_root_types = {p for p in typepath if '::' not in p}
    impl_by_begin = {}
    for k, rec in items.items():
        if rec['rkind'] == 'impl' and 'file' in rec:
            impl_by_begin[(rec['file'], rec['l1'], rec['c1'])] = k

    def resolve_caller(p):
        segs = split_path(p)
        segs = [s for s in segs if not (s.startswith('{') and s.endswith('}'))]
        for i, s in enumerate(segs):
            m = IMPL_AT.match(s)
            if m:
                im = impl_by_begin.get((os.path.normpath(m.group(1)), int(m.group(2)), int(m.group(3))))
                if im is None:
                    return None, 'impl-not-in-rustdoc'
                if i + 1 >= len(segs):
                    return im, None
                mid = items[im]['members'].get(segs[i + 1])
                return (mid, None) if mid else (None, 'impl-member-missing')
        segs = [strip_generics(s) for s in segs]
        for n in range(len(segs), 0, -1):
            k = defpath.get('::'.join(segs[:n]))
            if k:
                return k, None
        return None, 'caller-unresolved'

    def find_impl(trait_name, self_shape, member):
        cands = [i for i in trait_impls.get(trait_name, []) if items[i]['for_shape'] == self_shape]
        if not cands:
            cands = [i for i in trait_impls.get(trait_name, []) if items[i]['for_shape'] == '?']
        return cands

    def value_path(segs):
        base = '::'.join(segs)
        k = defpath.get(base)
        if k:
            rk = items[k]['rkind']
            if rk in ('struct', 'variant'):
                return 'ctor', [k]
            if rk == 'function':
                return ('trait-generic' if items[k]['kind'] == 'method' else 'fn'), [k]
            return 'other', [k]
        if len(segs) >= 2:
            tk = typepath.get('::'.join(segs[:-1]))
            if tk:
                hits = [items[i]['members'][segs[-1]] for i in inherent.get(tk, [])
                        if segs[-1] in items[i]['members']]
                if hits:
                    return 'inherent', hits
        return None, None

    def resolve_callee(c):
        """-> (class, [item ids] or text)"""
        if c.startswith('move ') or c.startswith('copy ') or c.startswith('const ') or c.startswith('_'):
            return 'indirect', None
        if c.startswith('<'):
            j = matching(c, 0)
            inner = c[1:j]
            rest = c[j + 1:]
            if not rest.startswith('::'):
                return 'unparsed', None
            mname = strip_generics(rest[2:]).split('::')[0]
            k = inner.find(' as ')
            # find ' as ' at top level
            depth = 0
            k = -1
            for i in range(len(inner)):
                ch = inner[i]
                if ch in '<([{':
                    depth += 1
                elif ch in '>)]}' and not (ch == '>' and i > 0 and inner[i - 1] == '-'):
                    depth -= 1
                elif depth == 0 and inner.startswith(' as ', i):
                    k = i
                    break
            if k < 0:
                # <T>::assoc  (inherent on a qualified type)
                return 'unparsed', None
            selfty, trait = inner[:k], inner[k + 4:]
            tpath = strip_generics(trait)
            tsegs = split_path(tpath)
            tname = tsegs[-1]
            shape = mir_type_shape(selfty, local_root_types)
            local_trait = typepath.get(tpath) if tsegs[0] not in ext_names else None
            if local_trait and items[local_trait]['kind'] != 'trait':
                local_trait = None
            if shape != '?':
                cands = find_impl(tname, shape, mname)
                hits = [items[i]['members'][mname] for i in cands if mname in items[i]['members']]
                if hits:
                    return 'trait-impl', hits
            if local_trait:
                mid = items[local_trait]['members'].get(mname)
                if mid:
                    return ('trait-generic' if shape == '?' else 'trait-default'), [mid]
            return 'external', tpath + '::' + mname
        if split_path(strip_generics(c))[0] in ext_names:
            return 'external', strip_generics(unimpl(c))
        c = unimpl(c)
        base = strip_generics(c)
        segs = split_path(base)
        if segs[0] in ext_names:
            return 'external', base
        for n in range(len(segs), 0, -1):
            cls, hits = value_path(segs[:n])
            if hits:
                return (cls if n == len(segs) else 'nested-fn'), hits
        return 'local-unresolved', base

    calls = []
    stats = collections.Counter()
    samples = collections.defaultdict(list)
    seen = set()
    for caller, callee, f, l1, c1, l2, c2 in parse_mir(a.mir):
        key = (caller, callee, f, l1, c1, l2, c2)
        if key in seen:
            continue
        seen.add(key)
        cid, why = resolve_caller(caller)
        cls, tgt = resolve_callee(callee)
        name = strip_generics(callee.split('>::')[-1] if callee.startswith('<') else callee).split('::')[-1]
        text = src.text(f, l1, c1, l2, c2) if not os.path.isabs(f) else ''
        rec = {'caller': cid, 'caller_mir': caller, 'callee_mir': callee, 'class': cls,
               'file': f, 'l1': l1, 'c1': c1, 'l2': l2, 'c2': c2, 'name': name,
               'method_syntax': bool(re.search(r'\.\s*' + re.escape(name) + r'\b', text))}
        if isinstance(tgt, list):
            rec['callee'] = tgt
        elif tgt:
            rec['callee_path'] = tgt
        # written in the source at this span?
        if os.path.isabs(f) or cid is None:
            rec['site'] = 'elsewhere'
        else:
            ci = items[cid]
            inside = ci.get('file') == f and ci.get('l1', 0) <= l1 and l2 <= ci.get('l2', 0)
            if not inside:
                rec['site'] = 'macro-expansion'
            elif re.search(r'(?<![A-Za-z0-9_])' + re.escape(name) + r'(?![A-Za-z0-9_])', text):
                rec['site'] = 'written'
            else:
                rec['site'] = 'desugared'
        if cid is None:
            rec['caller_why'] = why
        stats[(cls, rec['site'])] += 1
        calls.append(rec)
    json.dump({'crate': a.crate, 'items': items, 'calls': calls,
               'stats': {f'{k[0]}|{k[1]}': v for k, v in stats.items()}},
              open(a.out, 'w'))
    print(f'truth: {len(items)} items, {len(calls)} MIR call sites', file=sys.stderr)


if __name__ == '__main__':
    main()
