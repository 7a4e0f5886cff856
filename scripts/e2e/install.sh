#!/usr/bin/env bash
# Offline install (npm registry + Debian apt only) of a real VS Code for the e2e tests: code-server 4.99.4
# (VS Code 1.99.3, the last release whose server runs on Node 20) plus Debian's Chromium. Everything lands in the
# project-local, git-ignored .e2e/ folder so a second run is a few stat() calls; nothing goes to $HOME.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
E2E_HOME=${E2E_HOME:-$ROOT/.e2e}
CS_VERSION=4.99.4
t() { local s; s=$(date +%s); "$@"; echo "install.sh: $(( $(date +%s) - s ))s: $*" >&2; }

# 1. System packages: Chromium drives the workbench; libkrb5-dev is needed to build code-server's kerberos
#    addon; ripgrep seeds @vscode/ripgrep (below). Skipped when already present.
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v rg >/dev/null || need+=(ripgrep)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need+=(libkrb5-dev)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "install.sh: need root to apt-get install ${need[*]}" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  # A fresh machine may have empty apt lists; update only when the install cannot find the packages.
  t apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 ||
    { t apt-get update -qq && t apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; }
fi

# 2. code-server from npm, cached by version.
CS_DIR="$E2E_HOME/cs"
if [ "$(cat "$CS_DIR/.installed" 2>/dev/null || true)" != "$CS_VERSION" ]; then
  mkdir -p "$CS_DIR"
  # @vscode/ripgrep's postinstall downloads rg from GitHub (unreachable); seed its cache with Debian's rg.
  rgc="$(node -p 'require("os").tmpdir()')/vscode-ripgrep-cache-1.15.11"
  mkdir -p "$rgc"
  tar czf "$rgc/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C "$(dirname "$(command -v rg)")" rg
  cd "$CS_DIR"
  [ -f package.json ] || echo '{"name":"selfextend-e2e-code-server","private":true}' > package.json
  # - npm_config_yes lets node-pty's postinstall `npx node-gyp` fetch node-gyp without a prompt.
  # - npm 11.19 blocks dependency install scripts unless approved; code-server's postinstall runs nested
  #   `npm install`s for VS Code's native modules (node-pty, spdlog, kerberos, watcher, ...), which carry no
  #   allowScripts policy of their own, so the approval has to be the global switch, scoped to this private
  #   cache folder by passing it only to this one command.
  # - code-server's postinstall refuses to run as root unless npm says unsafe-perm.
  t env npm_config_yes=true npm_config_dangerously_allow_all_scripts=true npm_config_unsafe_perm=true \
    npm install --no-audit --no-fund "code-server@$CS_VERSION" > "$CS_DIR/install.log" 2>&1 ||
    { tail -40 "$CS_DIR/install.log" >&2; exit 1; }
  # Prove the install is whole (the postinstall links VS Code's node_modules.asar) before caching it.
  [ -e "$CS_DIR/node_modules/code-server/lib/vscode/node_modules.asar" ] ||
    { echo "install.sh: code-server postinstall did not complete; see $CS_DIR/install.log" >&2; exit 1; }
  echo "$CS_VERSION" > "$CS_DIR/.installed"
fi

# 3. The driver uses the project's own playwright-core (a devDependency), not a separate copy.
[ -d "$ROOT/node_modules/playwright-core" ] || { echo "install.sh: run npm ci first (playwright-core missing)" >&2; exit 1; }
echo "install.sh: ready (code-server $CS_VERSION in $CS_DIR, $(chromium --version 2>/dev/null | head -1))"
# 4. The second target (code-server 4.104 on Node 22 from npm), cached the same way.
bash "$ROOT/scripts/e2e/install-latest.sh"
