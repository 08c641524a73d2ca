#!/usr/bin/env python3
"""examples/embed.c as a user runs it: against a fresh database in a temp
directory it exits 0 and prints what the README's "Embedding libhodei"
section shows (job ids aside): the three jobs queued, then the critical one
run first, then normal, then low.

usage: test_embed_example.py PATH-TO-hodei-embed-example PATH-TO-README.md
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

EXE, README = os.path.abspath(sys.argv[1]), sys.argv[2]
JOB_ID = re.compile(r'job-[0-9a-f]{19}')
failures = []


def check(name, cond, detail=''):
    print(('ok   ' if cond else 'FAIL ') + name + ('' if cond else ': ' + str(detail)[:3000]),
          flush=True)
    if not cond:
        failures.append(name)
    return cond


def readme_example():
    """The command and the output lines of the console block in the README."""
    with open(README) as f:
        text = f.read()
    section = text[text.index('## Embedding libhodei'):]
    block = section[section.index('```console\n') + len('```console\n'):]
    lines = block[:block.index('```')].splitlines()
    return lines[0], lines[1:]


def anonymise(lines):
    """Job ids replaced by J1, J2, ... in the order they first appear."""
    names = {}

    def name(m):
        return names.setdefault(m.group(0), 'J%d' % (len(names) + 1))
    return [JOB_ID.sub(name, line) for line in lines]


def run(*args, cwd):
    env = {k: v for k, v in os.environ.items() if not k.startswith('HODEI_')}
    return subprocess.run([EXE, *args], capture_output=True, text=True, timeout=100,
                          cwd=cwd, env=env)


tmp = tempfile.mkdtemp(prefix='hodei-embed-')
command, shown = readme_example()
check('the README runs the example meson builds', command.split()[:2] ==
      ['$', 'build/examples/hodei-embed-example'] and
      EXE.endswith('/examples/hodei-embed-example'), command)

p = run(os.path.join(tmp, 'embed.db'), cwd=tmp)
out = p.stdout.splitlines()
check('exit 0, nothing on stderr', p.returncode == 0 and p.stderr == '',
      (p.returncode, p.stderr))
files = os.listdir(tmp)
check('the database is where the argument says', 'embed.db' in files and
      'embed-example.db' not in files, files)
check('job ids look like the README\'s', all(JOB_ID.fullmatch(id) for line in shown + out
                                          for id in re.findall(r'job-\w+', line)), out)

# The README shows a prefix and then "...".
check('the README block ends with "..."', shown and shown[-1] == '...', shown)
prefix = anonymise(shown[:-1])
check('output starts as the README shows', anonymise(out)[:len(prefix)] == prefix,
      '\n'.join(out))

# All of it: one worker, so each job's lines come together, by priority.
# Within the normal job, stdout and stderr are separate pipes: either order.
got = anonymise(out)
expected_head = ['[J1] -> QUEUED', '[J2] -> QUEUED', '[J3] -> QUEUED']
runs = {'J3': ['DEBUG ::progress::50', 'INFO  urgent job done'],
        'J2': ['INFO  normal', 'WARN  WARN careful'],
        'J1': ['INFO  low priority done']}
pos = len(expected_head)
ok = got[:pos] == expected_head
for job in ('J3', 'J2', 'J1'):
    n = 2 + len(runs[job]) + 1
    lines = got[pos:pos + n]
    ok = ok and lines[:2] == ['[%s] -> ASSIGNED' % job, '[%s] -> RUNNING' % job] and \
        sorted(lines[2:-1]) == sorted('[%s] %s' % (job, l) for l in runs[job]) and \
        lines[-1] == '[%s] -> SUCCEEDED' % job
    pos += n
check('critical, then normal, then low, each with its log', ok and pos == len(got),
      '\n'.join(out))

# A database path it cannot open: exit 1 with the library's message.
p = run(tmp, cwd=tmp)
check('unusable database: exit 1 and a message', p.returncode == 1 and p.stdout == '' and
      p.stderr.startswith('hodei: '), (p.returncode, p.stdout, p.stderr))

if failures:
    print('%d failed: %s\n(files in %s)' % (len(failures), ', '.join(failures), tmp))
    sys.exit(1)
shutil.rmtree(tmp, ignore_errors=True)
