#!/usr/bin/env bash
# Benchmarks ferrochat against @pubnub/chat 0.14.2 on one ferrochat-server (bench/README.md).
#   bash scripts/bench.sh               full run (~2–5 min on 2 cores) → bench/results/latest.{md,json}
#   bash scripts/bench.sh --quick       smoke run
#   bash scripts/bench.sh --baseline    also rewrite bench/results/baseline.{md,json}
#   bash scripts/bench.sh --only cold,rt
# Builds ferrochat-server (release) unless FERROCHAT_SERVER_BIN is set, builds pkg/ only if
# it is missing, installs bench/'s npm dependencies, then runs node bench/run.mjs.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if [ -z "${FERROCHAT_SERVER_BIN:-}" ]; then
  echo "==> cargo build --release -p ferrochat-server"
  cargo build --release -p ferrochat-server
  target_dir="${CARGO_TARGET_DIR:-$root/target}"
  case "$target_dir" in /*) ;; *) target_dir="$root/$target_dir" ;; esac
  export FERROCHAT_SERVER_BIN="$target_dir/release/ferrochat-server"
fi
echo "==> server: $FERROCHAT_SERVER_BIN"

if [ ! -f pkg/ferrochat_bg.wasm ] || [ ! -f pkg/index.mjs ]; then
  echo "==> pkg/ is not built: node scripts/build.mjs"
  node scripts/build.mjs
fi

source "$root/scripts/lib.sh"
echo "==> npm dependencies (bench/)"
npm_deps "$root/bench"
cd "$root/bench"

echo "==> node bench/run.mjs $*"
exec node run.mjs "$@"
