#!/usr/bin/env python3
"""Compile every public header alone: as C11 with -pedantic and as C++11,
warnings as errors, each one included twice (its include guard), and in C++
with each HODEI_EXTERN function redeclared with C linkage (a header whose
functions are not inside extern "C" fails there).

    check_headers.py --cc CC... --cxx CXX... --include DIR [--expect-failures]

Every *.h under DIR/hodei is checked; a new header is covered without being
listed. With --expect-failures the run passes only if every header fails
(the self-test over test/headers/bad/).
"""
import os
import re
import subprocess
import sys

C_FLAGS = ['-std=c11', '-pedantic', '-Werror', '-Wall', '-Wextra', '-Wundef',
           '-Wstrict-prototypes', '-fsyntax-only', '-x', 'c', '-']
CXX_FLAGS = ['-std=c++11', '-pedantic', '-Werror', '-Wall', '-Wextra', '-Wundef',
             '-fsyntax-only', '-x', 'c++', '-']
EXTERN_FN = re.compile(r'HODEI_EXTERN\b[^;{]*?\b(hodei_\w+)\s*\(', re.S)


def parse_args(argv):
    opts = {'--cc': [], '--cxx': [], '--include': [], '--expect-failures': []}
    key = None
    for a in argv:
        if a in opts:
            key = a
            if a == '--expect-failures':
                opts[a] = [True]
        elif key is None:
            sys.exit('check_headers.py: unexpected argument ' + a)
        else:
            opts[key].append(a)
    if not opts['--cc'] or not opts['--cxx'] or len(opts['--include']) != 1:
        sys.exit(__doc__)
    return opts


def compile_source(cmd, flags, include, source):
    p = subprocess.run(cmd + ['-I', include] + flags, input=source, text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return p.returncode == 0, p.stdout


def check(header, opts):
    """The list of failures of one header, e.g. ['C11: ...']."""
    include = opts['--include'][0]
    with open(os.path.join(include, header), encoding='utf-8') as f:
        functions = sorted(set(EXTERN_FN.findall(f.read())))
    twice = '#include <%s>\n#include <%s>\n' % (header, header)
    linkage = ''.join('extern "C" decltype(%s) %s;\n' % (fn, fn) for fn in functions)
    failures = []
    for name, cmd, flags, source in (
            ('C11', opts['--cc'], C_FLAGS, twice),
            ('C++11', opts['--cxx'], CXX_FLAGS, twice + linkage)):
        ok, out = compile_source(cmd, flags, include, source)
        if not ok:
            failures.append('%s:\n%s' % (name, out.rstrip()))
    return failures


def main():
    opts = parse_args(sys.argv[1:])
    include = opts['--include'][0]
    headers = sorted(os.path.relpath(os.path.join(d, f), include)
                     for d, _, files in os.walk(os.path.join(include, 'hodei'))
                     for f in files if f.endswith('.h'))
    if not headers:
        sys.exit('check_headers.py: no headers under %s/hodei' % include)
    expect_failures = bool(opts['--expect-failures'])
    bad = 0
    for h in headers:
        failures = check(h, opts)
        if expect_failures:
            print('%s: %s' % (h, 'fails, as it should' if failures else 'PASSES but should fail'))
            bad += not failures
        else:
            print('%s: %s' % (h, 'ok' if not failures else 'FAILED'))
            for f in failures:
                print('  ' + f.replace('\n', '\n  '))
            bad += bool(failures)
    print('%d of %d headers %s' % (bad, len(headers),
          'not caught' if expect_failures else 'failed'))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
