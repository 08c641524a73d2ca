#!/usr/bin/python3
"""Embedded throughput of two builds (before/after) with xargs measured in each
repetition, interleaved so all see the same machine; medians (min, max).
2,000 `true`, 2 local workers, single and batched submits (bench/hodei-bench).
usage: compare.py REPS BEFORE_DIR AFTER_DIR   (build dirs, or copies of their
bench/ lib/ tools/ subdirectories)"""
import json, os, statistics, subprocess, sys, tempfile, time
reps, before, after = int(sys.argv[1]), sys.argv[2], sys.argv[3]
res = {}
db = os.path.join(tempfile.mkdtemp(prefix='hodei-compare-'), 'bench.db')
def add(k, v): res.setdefault(k, []).append(v)
for r in range(reps):
    t0 = time.time(); subprocess.run('seq 2000 | xargs -P2 -n1 true', shell=True, check=True); add('xargs', 2000 / (time.time() - t0))
    for name, d in (('before', before), ('after', after)):
        for m in ('single', 'batch'):
            out = subprocess.run([d + '/bench/hodei-bench', 'throughput', db, '2000', '2', m], stdout=subprocess.PIPE, check=True).stdout
            add(name + ' ' + m, 2000 / json.loads(out)['seconds'])
    print(r, {k: round(v[-1]) for k, v in res.items()}, flush=True)
x = statistics.median(res['xargs'])
for k, v in res.items():
    m = statistics.median(v)
    print('%-14s median %6.0f jobs/s  ratio %.2f  (min %.0f max %.0f)' % (k, m, m / x, min(v), max(v)))
