#!/usr/bin/env bash
# `npm run test:e2e`: install the e2e tools (cached in .e2e/), package the linux-x64 .vsix, run the real
# VS Code checks. Exit code is the driver's; reports/e2e/ holds screenshots and results.json.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
start=$(date +%s)
bash scripts/e2e/install.sh
node scripts/package.mjs --target linux-x64
rc=0
bash scripts/e2e/run.sh || rc=$?
bash scripts/e2e/run-latest.sh || rc=$?   # code-server 4.104 (VS Code 1.104, Node 22): the language-model API
echo "test:e2e: finished in $(( $(date +%s) - start )) s (rc=$rc)"
exit $rc
