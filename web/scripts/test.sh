#!/bin/sh
# The dashboard's whole test run, for developers and CI:
#   web/scripts/test.sh [PATH/TO/hodeid]
# 1. npm ci (from package-lock.json), generate the client from proto/,
#    type-check (TypeScript strict), Vitest unit/component tests;
# 2. production build (web/dist) and the initial-JS budget (< 300 KiB gzip);
# 3. with a hodeid binary: end-to-end tests in Debian's Chromium against a real
#    hodeid started by the test (serving web/dist).  Screenshots and figures
#    go to web/test-results/.  Without one, step 3 is skipped (and said so).
# Needs: node >= 20, npm, and /usr/bin/chromium (apt-get install chromium).
set -eu

web_dir=$(cd "$(dirname "$0")/.." && pwd)
hodeid=${1:-}
if [ -n "$hodeid" ]; then
	hodeid=$(cd "$(dirname "$hodeid")" && pwd)/$(basename "$hodeid")
	[ -x "$hodeid" ] || { echo "test.sh: $hodeid is not an executable" >&2; exit 2; }
fi
cd "$web_dir"

echo "== npm ci"
npm ci --no-audit --no-fund
echo "== generate client, type-check"
npm run -s generate
npx tsc -b
echo "== vitest"
npx vitest run
echo "== build"
npx vite build
node scripts/measure-bundle.mjs > test-results-bundle.json || { cat test-results-bundle.json; echo "test.sh: initial JS over budget" >&2; exit 1; }
mkdir -p test-results && mv test-results-bundle.json test-results/bundle.json
echo "initial JS: $(node -e 'console.log(require("./test-results/bundle.json").gzipKiB)') KiB gzipped"

if [ -z "$hodeid" ]; then
	echo "== e2e skipped: pass the path to a hodeid binary to run it"
	exit 0
fi
echo "== e2e (chromium against $hodeid)"
HODEI_BIN="$hodeid" node --test --test-concurrency=1 e2e/dashboard.test.mjs e2e/security.test.mjs e2e/tls.test.mjs
