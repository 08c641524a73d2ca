#!/usr/bin/env python3
"""The documentation matches the tool: every command and option that
hodei-jobs-cli's --help lists is in man/hodei-jobs-cli.1 and offered by the
completion, and the man page documents every exit code; the completion
completes commands, options and values; the installed bash script is the
one `hodei-jobs-cli completion bash` prints.

usage: test_cli_docs.py CLI MAN-PAGE COMPLETION
"""
import os
import re
import subprocess
import sys

CLI, MAN, COMPLETION = (os.path.abspath(p) for p in sys.argv[1:4])
failures = []


def check(name, cond, detail=''):
    print(('ok   ' if cond else 'FAIL ') + name + ('' if cond else ': ' + str(detail)))
    if not cond:
        failures.append(name)


def run(*args):
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=30).stdout


man = open(MAN).read().replace('\\-', '-')
completion = open(COMPLETION).read()
commands = re.findall(r'^  ((?:jobs|workers|queue|providers|config) [\w-]+|health|logs)  ',
                      run('--help'), re.M)
check('--help lists the commands', len(commands) >= 11, commands)
for cmd in commands:
    check('man page documents "%s"' % cmd, re.search(r'\.SS %s\b' % cmd, man), cmd)
    words = cmd.split()
    for i, word in enumerate(words):
        check('completion offers "%s"' % word, word in run('__complete', *words[:i], '').split())
    for opt in set(re.findall(r'^  (--[a-z-]+)', run(*cmd.split(), '--help'), re.M)):
        check('man page documents %s %s' % (cmd, opt), opt in man)
        check('completion offers %s %s' % (cmd, opt), opt in run('__complete', *words, '--').split())
check('the installed bash completion is `completion bash`', completion == run('completion', 'bash'))
for sh in ('zsh', 'fish'):
    check('completion %s prints a script' % sh, '__complete' in run('completion', sh))
for code in ('0', '1', '2', '3', '4', '5', '124', '125', '128+N'):
    check('man page documents exit status %s' % code,
          re.search(r'\.SH EXIT STATUS.*\.B %s\b' % re.escape(code), man, re.S))


def complete(line):
    """What the completion offers for `line` (the cursor at its end)."""
    script = ('source %s; COMP_LINE=%s; read -ra COMP_WORDS <<< "$COMP_LINE"; '
              '[[ $COMP_LINE == *" " ]] && COMP_WORDS+=(""); '
              'COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _hodei_jobs_cli; '
              'printf "%%s\\n" "${COMPREPLY[@]}"') % (COMPLETION, "'" + line + "'")
    env = dict(os.environ, PATH=os.path.dirname(CLI) + ':' + os.environ['PATH'])
    out = subprocess.run(['bash', '-c', script], capture_output=True, text=True, env=env).stdout
    return sorted(w for w in out.split('\n') if w)


check('complete commands', complete('hodei-jobs-cli jo') == ['jobs'], complete('hodei-jobs-cli jo'))
check('complete subcommands', complete('hodei-jobs-cli jobs ') ==
      ['cancel', 'get', 'list', 'queue', 'retry'], complete('hodei-jobs-cli jobs '))
check('complete options', complete('hodei-jobs-cli jobs queue --pri') == ['--priority'])
check('complete values', complete('hodei-jobs-cli jobs queue --priority ') ==
      ['critical', 'high', 'low', 'normal'])
check('complete after a global option', complete('hodei-jobs-cli --server h:1 logs x --fo') ==
      ['--follow'])
check('complete a directory for --workdir', 'test' in complete('hodei-jobs-cli jobs queue --workdir te'),
      complete('hodei-jobs-cli jobs queue --workdir te'))
check('complete the shells of completion', complete('hodei-jobs-cli completion ') ==
      ['bash', 'fish', 'zsh'])
check('complete config subcommands', 'use-context' in complete('hodei-jobs-cli config '))

if failures:
    print('%d failed' % len(failures))
    sys.exit(1)
