#!/usr/bin/env bash
# Runs the e2e driver against a real VS Code (code-server) with the project's own .vsix installed.
# Everything the run writes lives in a throwaway folder under .e2e/ (user data, extensions, HOME, XDG dirs,
# browser profile): the user's real VS Code settings and home directory are never read or written.
# The server and the browser are started in their own process groups and stopped by those PIDs.
#   scripts/e2e/run.sh [path/to/selfextend-vscode-linux-x64-<version>.vsix]
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
E2E_HOME=${E2E_HOME:-$ROOT/.e2e}
VERSION=$(node -p "require('$ROOT/package.json').version")
VSIX=${1:-$ROOT/out/selfextend-vscode-linux-x64-$VERSION.vsix}
REPORTS=${E2E_REPORTS:-$ROOT/reports/e2e}
CS_BIN=${E2E_CS_BIN:-$E2E_HOME/cs/node_modules/.bin/code-server}   # run-latest.sh points it at code-server 4.104
[ -x "$CS_BIN" ] || { echo "run.sh: code-server missing; run scripts/e2e/install.sh" >&2; exit 1; }
[ -f "$VSIX" ] || { echo "run.sh: $VSIX missing; run npm run package -- --target linux-x64" >&2; exit 1; }

mkdir -p "$E2E_HOME" "$REPORTS"
# Keep only the last few run folders (they hold logs worth reading after a failure).
ls -1dt "$E2E_HOME"/run.* 2>/dev/null | tail -n +4 | xargs -r rm -rf
RUN=$(mktemp -d "$E2E_HOME/run.XXXXXX")
mkdir -p "$RUN"/{data/User,exts,home,xdg-data,xdg-config,xdg-cache,markers}
cp -r "$ROOT/test/e2e/fixture-workspace" "$RUN/ws"   # a copy: the run may open and edit files
# Base workbench settings: no telemetry, updates, welcome pages or trust prompt that would steal focus.
cat > "$RUN/data/User/settings.json" <<'JSON'
{
  "workbench.startupEditor": "none",
  "workbench.colorTheme": "Default Dark Modern",
  "workbench.tips.enabled": false,
  "workbench.enableExperiments": false,
  "telemetry.telemetryLevel": "off",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "extensions.ignoreRecommendations": true,
  "update.mode": "none",
  "security.workspace.trust.enabled": false,
  "chat.commandCenter.enabled": false,
  "window.commandCenter": false
}
JSON
TRUST_ARGS=(--disable-workspace-trust)
if [ "${E2E_RESTRICTED:-}" = 1 ]; then # run-latest.sh: open the workspace untrusted (Restricted Mode), with a
  TRUST_ARGS=()                        # workspace model path that must be ignored there
  mkdir -p "$RUN/ws/.vscode"
  printf '{\n  "selfextend.modelPath": "./models/not-trusted.gguf"\n}\n' > "$RUN/ws/.vscode/settings.json"
  node -e 'const fs = require("fs"), f = process.argv[1], s = JSON.parse(fs.readFileSync(f, "utf8"));
    Object.assign(s, { "security.workspace.trust.enabled": true, "security.workspace.trust.startupPrompt": "never" });
    fs.writeFileSync(f, JSON.stringify(s, null, 2) + "\n");' "$RUN/data/User/settings.json"
fi
printf 'auth: none\ncert: false\n' > "$RUN/config.yaml"   # else code-server creates ~/.config/code-server

export HOME="$RUN/home" XDG_DATA_HOME="$RUN/xdg-data" XDG_CONFIG_HOME="$RUN/xdg-config" XDG_CACHE_HOME="$RUN/xdg-cache"
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}   # lavapipe's Vulkan loader wants one
export E2E_MARKER_DIR="$RUN/markers"               # the extension writes activated.json / answer-<n>.json here
# Model downloads go to a closed port on this machine (a refused connection): the "offline" check.
export E2E_DOWNLOAD_BASE="http://127.0.0.1:9"
# code-server's extension gallery is open-vsx.org; point it at a closed local port so nothing in the run
# (e.g. a theme or extension search) can reach the network.
export EXTENSIONS_GALLERY='{"serviceUrl":"http://127.0.0.1:9/vscode/gallery","itemUrl":"http://127.0.0.1:9/vscode/item"}'

CS=("$CS_BIN" --config "$RUN/config.yaml" --user-data-dir "$RUN/data" --extensions-dir "$RUN/exts")
ms() { date +%s%3N; }

SPID="" DPID=""
stop_group() { # $1 = leader PID of a process group we started
  local pid=$1 i
  [ -n "$pid" ] || return 0
  kill -TERM -- "-$pid" 2>/dev/null || return 0
  for i in $(seq 50); do kill -0 -- "-$pid" 2>/dev/null || return 0; sleep 0.1; done
  echo "run.sh: process group $pid ignored SIGTERM; killing" >&2
  kill -KILL -- "-$pid" 2>/dev/null || true
}
cleanup() {
  stop_group "$DPID"
  stop_group "$SPID"
  # Prove nothing we started is left running.
  local left
  left=$(pgrep -a -g "${SPID:-0},${DPID:-0}" 2>/dev/null || true)
  [ -z "$left" ] || echo "run.sh: WARNING processes left: $left" >&2
}
trap cleanup EXIT

T0=$(ms)
"${CS[@]}" --install-extension "$VSIX" > "$RUN/install-extension.log" 2>&1 ||
  { cat "$RUN/install-extension.log" >&2; exit 1; }
for x in ${E2E_EXTRA_VSIX:-}; do # test-only extensions installed beside ours (run-latest.sh: the LM consumer)
  "${CS[@]}" --install-extension "$x" >> "$RUN/install-extension.log" 2>&1 || { cat "$RUN/install-extension.log" >&2; exit 1; }
done
# The model is the passkey GGUF embedded in the package, read from where VS Code installed it: this
# tests the path (load, prefill, stream), not answer quality.
MODEL=$(find "$RUN/exts" -path '*selfextend*' -name passkey-char-128.gguf | head -1)
[ -n "$MODEL" ] || { echo "run.sh: the installed extension has no assets/models/passkey-char-128.gguf" >&2; exit 1; }
# selfextend.modelPath is machine-scoped: in a remote window (code-server is one) VS Code takes it from the
# remote machine's settings (data/Machine), not the browser user's, so it goes there.
mkdir -p "$RUN/data/Machine"
printf '{\n  "selfextend.modelPath": "%s"\n}\n' "$MODEL" > "$RUN/data/Machine/settings.json"
node -e '
  const fs = require("fs"), file = process.argv[1];
  const s = JSON.parse(fs.readFileSync(file, "utf8"));
  s["selfextend.maxNewTokens"] = 64; // short answers keep the run fast; the Stop check raises it
  // The passkey model was trained on 128 tokens: no G up to 64 reaches the default target, and an
  // unreachable target is an error (not a silent clamp), so aim at what it can reach.
  s["selfextend.targetContext"] = 2048;
  fs.writeFileSync(file, JSON.stringify(s, null, 2) + "\n");' "$RUN/data/User/settings.json"
T1=$(ms)
PORT=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
# setsid: the server becomes the leader of its own process group (its extension host and helpers join
# it), so cleanup can stop exactly what this run started.
setsid "${CS[@]}" --auth none --bind-addr "127.0.0.1:$PORT" --disable-telemetry --disable-update-check \
  "${TRUST_ARGS[@]}" --disable-getting-started-override --disable-proxy ${E2E_SERVER_ARGS:-} \
  "$RUN/ws" > "$RUN/server.log" 2>&1 &
SPID=$!
ready=""
for _ in $(seq 600); do # 60 s at most; fail fast if the server died (e.g. port taken)
  kill -0 "$SPID" 2>/dev/null || break
  if curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz"; then ready=1; break; fi
  sleep 0.1
done
[ -n "$ready" ] || { echo "run.sh: code-server did not come up" >&2; cat "$RUN/server.log" >&2; exit 1; }
T2=$(ms)

export CS_URL="http://127.0.0.1:$PORT/?folder=$RUN/ws" E2E_RUN="$RUN" E2E_WS="$RUN/ws" E2E_REPORTS="$REPORTS"
export E2E_USER_SETTINGS="$RUN/data/User/settings.json" E2E_SERVER_LOG="$RUN/server.log"
export E2E_MODEL="$MODEL"
setsid timeout -k 5 1200 node "${E2E_DRIVER:-$ROOT/test/e2e/driver.mjs}" &
DPID=$!
wait "$DPID"; RC=$?
T3=$(ms)
echo "run.sh: install-extension $((T1 - T0)) ms, server ready $((T2 - T1)) ms, driver $((T3 - T2)) ms, total $((T3 - T0)) ms; rc=$RC; logs in $RUN"
# Keep the extension host's logs next to the screenshots: they are where a failure's cause usually is.
find "$RUN/data/logs" -name 'remoteexthost.log' -exec cp {} "$REPORTS/exthost.log" \; 2>/dev/null || true
find "$RUN/data/logs" -name '*-SelfExtend.log' -exec cp {} "$REPORTS/selfextend-output.log" \; 2>/dev/null || true
cp "$RUN/server.log" "$REPORTS/code-server.log" 2>/dev/null || true
exit $RC
