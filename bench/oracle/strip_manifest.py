#!/usr/bin/env python3
"""Drop [dev-dependencies*], [[bench]], [[test]] and [[example]] tables from a (normalized,
registry-style) Cargo.toml in place: the oracle builds only the library, offline, and the
registry copy has none of the dev-dependencies."""
import sys

path = sys.argv[1]
out = []
skip = False
for line in open(path).read().splitlines():
    if line.startswith('['):
        h = line.strip()
        skip = (h.startswith('[dev-dependencies') or h.startswith('[target.') and 'dev-dependencies' in h
                or h in ('[[bench]]', '[[test]]', '[[example]]'))
    if not skip:
        out.append(line)
open(path, 'w').write('\n'.join(out) + '\n')
