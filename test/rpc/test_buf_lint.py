#!/usr/bin/env python3
"""proto/ must stay clean under `buf lint` (config in /buf.yaml)."""
import os
import subprocess
import sys

from harness import BUF, ensure_buf

ensure_buf()
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
p = subprocess.run([BUF, 'lint'], cwd=root, capture_output=True, text=True)
print(p.stdout + p.stderr)
print('%d passed, %d failed' % (p.returncode == 0, p.returncode != 0))
sys.exit(p.returncode)
