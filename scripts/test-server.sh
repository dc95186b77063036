#!/usr/bin/env bash
# Builds ferrochat-server (release), runs its Rust tests, then the JS tests that drive it
# with the official PubNub SDKs (10.2.6 and 12.x) and @pubnub/chat 0.14.2.
# Run from anywhere; works on a clean clone (installs the npm dependencies itself).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

echo "==> cargo build --release -p ferrochat-server"
cargo build --release -p ferrochat-server

echo "==> cargo test -p ferrochat-server"
cargo test -p ferrochat-server

target_dir="${CARGO_TARGET_DIR:-$root/target}"
case "$target_dir" in /*) ;; *) target_dir="$root/$target_dir" ;; esac
export FERROCHAT_SERVER_BIN="${FERROCHAT_SERVER_BIN:-$target_dir/release/ferrochat-server}"

source "$root/scripts/lib.sh"
echo "==> npm dependencies (tests/server-js)"
npm_deps "$root/tests/server-js"
cd "$root/tests/server-js"

echo "==> node --test (tests/server-js, server: $FERROCHAT_SERVER_BIN)"
node --test --test-reporter=spec
