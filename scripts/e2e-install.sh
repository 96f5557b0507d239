#!/usr/bin/env bash
# Installs the VS Code e2e rig offline (npm registry + Debian apt only): code-server 4.100.3, i.e. a real VS Code
# 1.100.3 web build whose extension host is this machine's Node 20. Its postinstall would download ripgrep from
# GitHub, so it is installed with --ignore-scripts and the postinstall is redone here without downloads
# (recipe: shared/reference/vscode-e2e.md). Chromium is Debian's; playwright-core (a devDependency) drives it.
# Idempotent: a stamp file makes a second run return at once.   Usage: scripts/e2e-install.sh [RIG_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
RIG_DIR=${1:-.cache/vscode-e2e}
CS_VERSION=4.100.3 # newest code-server whose engines.node is 20
STAMP="$RIG_DIR/.installed-$CS_VERSION-node$(node -p 'process.versions.modules')"
[ -f "$STAMP" ] && exit 0
t0=$(date +%s)

# System packages: Chromium, ripgrep (replaces @vscode/ripgrep's download), and what the native modules build with.
pkgs=(chromium ripgrep python3 make g++ pkg-config libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

rm -rf "$RIG_DIR"; mkdir -p "$RIG_DIR"
RIG=$(cd "$RIG_DIR" && pwd)
echo '{"name":"vscode-e2e-rig","private":true}' > "$RIG/package.json"
log="$RIG/install.log"
fail() { echo "e2e-install: $1 failed; last lines of $log:"; tail -40 "$log"; exit 1; }
npm_q=(--no-audit --no-fund --loglevel=error)
(cd "$RIG" && npm install "${npm_q[@]}" --ignore-scripts "code-server@$CS_VERSION") >>"$log" 2>&1 || fail "npm install code-server"
# argon2 is loaded at startup even with auth none; its prebuilt download fails offline, then it builds from source.
(cd "$RIG" && npm rebuild --foreground-scripts argon2) >>"$log" 2>&1 || fail "building argon2"

# code-server's postinstall.sh, minus the downloads.
VS="$RIG/node_modules/code-server/lib/vscode"
(cd "$VS" && npm install "${npm_q[@]}" --omit=dev --ignore-scripts) >>"$log" 2>&1 || fail "npm install (VS Code deps)"
# Native modules built against this Node (the extension host is this Node). node-pty's script runs `npx node-gyp`.
(cd "$VS" && npm_config_yes=true npm rebuild --foreground-scripts @parcel/watcher @vscode/deviceid @vscode/spdlog \
  @vscode/windows-process-tree @vscode/windows-registry kerberos native-watchdog node-pty) >>"$log" 2>&1 || fail "building VS Code's native modules"
mkdir -p "$VS/node_modules/@vscode/ripgrep/bin"
cp "$(command -v rg)" "$VS/node_modules/@vscode/ripgrep/bin/rg"
ln -sfn node_modules "$VS/node_modules.asar"
(cd "$VS/bin/remote-cli" && ln -sfn code-linux.sh code-server)
(cd "$VS/bin/helpers" && ln -sfn browser-linux.sh browser.sh)
(cd "$VS/extensions" && npm install "${npm_q[@]}" --omit=dev) >>"$log" 2>&1 || fail "npm install (built-in extensions)"

touch "$STAMP"
echo "e2e rig: code-server $CS_VERSION installed in $RIG_DIR in $(( $(date +%s) - t0 )) s"
