#!/usr/bin/env bash
# Installs what building (and, with --browser, browser-testing) ferrochat needs.
# Idempotent: each step is skipped when its tool is already there at the right version.
#   bash scripts/setup.sh            # Rust wasm target, wasm-bindgen-cli (pinned), npm build deps
#   bash scripts/setup.sh --browser  # + wasm-pack, Debian's chromium and chromium-driver
set -euo pipefail
cd "$(dirname "$0")/.."

browser=0
[ "${1:-}" = "--browser" ] && browser=1

say() { printf '[setup] %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "[setup] need root to run: $*" >&2; exit 1; fi
}

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# wasm-bindgen-cli must match the crate's exact wasm-bindgen version.
wb_version=$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)"/\1/p' Cargo.toml)
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $wb_version" ]; then
  say "cargo install wasm-bindgen-cli $wb_version"
  cargo install wasm-bindgen-cli --version "$wb_version"
fi

# wasm-opt: the npm package `binaryen` (pinned in package.json; Debian's is too old).
if [ ! -x node_modules/.bin/wasm-opt ]; then
  say "npm ci (build tools)"
  npm ci --no-audit --no-fund --loglevel=error
fi

if [ "$browser" = 1 ]; then
  command -v wasm-pack >/dev/null || { say "cargo install wasm-pack"; cargo install wasm-pack; }
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    apt_install chromium chromium-driver
  fi
fi
say "ready"
