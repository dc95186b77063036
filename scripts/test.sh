#!/usr/bin/env bash
# The README's test command: installs what it needs, then runs every test layer.
# Every stage runs even if an earlier one failed; the exit code is non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"

passed=0; failed=0; failures=()
stage() {
  local name="$1"; shift
  printf '\n=== %s\n' "$name"
  local start=$SECONDS
  if "$@"; then
    passed=$((passed + 1)); printf '=== %s: ok (%ss)\n' "$name" $((SECONDS - start))
  else
    failed=$((failed + 1)); failures+=("$name"); printf '=== %s: FAILED (%ss)\n' "$name" $((SECONDS - start))
  fi
}

# Runs a command with a fresh ferrochat-server on a free loopback port, as FERROCHAT_ORIGIN.
with_server() {
  local log pid port
  log=$(mktemp)
  target/release/ferrochat-server --listen 127.0.0.1:0 --subscribe-timeout 10 >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do
    port=$(sed -n 's|^ferrochat-server listening on http://127.0.0.1:\([0-9]*\)$|\1|p' "$log")
    [ -n "$port" ] && break
    sleep 0.1
  done
  if [ -z "$port" ]; then echo "ferrochat-server did not start:"; cat "$log"; kill "$pid" 2>/dev/null; return 1; fi
  local rc=0
  FERROCHAT_ORIGIN="127.0.0.1:$port" "$@" || rc=$?
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  rm -f "$log"
  return $rc
}

source scripts/lib.sh

npm_suite() { # dir: install its dependencies, then npm test
  npm_deps "$1" && (cd "$1" && npm test)
}

# Install first: without the tools nothing else can run.
bash scripts/setup.sh --browser || { echo "setup failed"; exit 1; }

stage "rustfmt" cargo fmt --all -- --check
stage "clippy (host: core, server, sdk)" cargo clippy --workspace --all-targets -- -D warnings
stage "clippy (wasm32: sdk)" cargo clippy -p ferrochat --all-targets --target wasm32-unknown-unknown -- -D warnings
stage "cargo test: ferrochat-core, ferrochat-client" cargo test -p ferrochat-core -p ferrochat-client
stage "build pkg/" node scripts/build.mjs
stage "wasm-bindgen-test: Node" wasm-pack test --node -- -p ferrochat --test wasm_node
stage "wasm-bindgen-test: headless Chromium" wasm-pack test --headless --chrome -- -p ferrochat --test wasm_browser
stage "build ferrochat-server (release)" cargo build --release -p ferrochat-server
stage "wasm-bindgen-test: Node, network backend" with_server wasm-pack test --node -- -p ferrochat --test wasm_node
stage "wasm-bindgen-test: headless Chromium, network backend" with_server wasm-pack test --headless --chrome -- -p ferrochat --test wasm_browser
for suite in tests/js tests/types tests/package tests/browser; do
  [ -f "$suite/package.json" ] && stage "JS: $suite" npm_suite "$suite"
done
demo() { npm_deps examples && node examples/quickstart.mjs >/dev/null; }
stage "demo: examples/quickstart.mjs" demo
[ -f scripts/test-server.sh ] && stage "ferrochat-server" bash scripts/test-server.sh
[ -f scripts/test-network.sh ] && stage "network backend, interop, restart, lifecycle" bash scripts/test-network.sh
[ -f www/package.json ] && stage "www (headless Chromium)" npm_suite www

printf '\n'
[ "$failed" -gt 0 ] && printf 'failed stage: %s\n' "${failures[@]}"
printf 'stages: %d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
