#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""core/ is freestanding: it may include only the compiler's freestanding
headers, its own kcore/ headers and BearSSL's bearssl.h.  Any other
#include (an OS or libc header) fails this test, naming file and line."""
import pathlib
import re
import sys

ALLOWED = {
    'stdarg.h', 'stdbool.h', 'stddef.h', 'stdint.h', 'stdalign.h', 'stdnoreturn.h',
    'limits.h', 'float.h', 'iso646.h', 'stdatomic.h', 'bearssl.h',
}
root = pathlib.Path(sys.argv[1])
bad = []
for path in sorted(root.rglob('*.[ch]')):
    for n, line in enumerate(path.read_text().splitlines(), 1):
        m = re.match(r'\s*#\s*include\s*([<"])([^>"]+)[>"]', line)
        if not m:
            continue
        name = m.group(2)
        if name.startswith('kcore/') or name in ALLOWED:
            continue
        if m.group(1) == '"' and (path.parent / name).exists():
            continue  # a core-private header next to the file
        bad.append(f'{path}:{n}: core must not include <{name}>')
print('\n'.join(bad) if bad else f'core includes: ok ({root})')
sys.exit(1 if bad else 0)
