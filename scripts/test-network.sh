#!/usr/bin/env bash
# End-to-end tests of ferrochat's network backend against a real ferrochat-server:
#   1. builds ferrochat-server (release),
#   2. starts it on a free loopback port (--listen 127.0.0.1:0, --subscribe-timeout 10),
#   3. runs the behaviour suite tests/js against it (FERROCHAT_ORIGIN=127.0.0.1:PORT),
#   4. runs tests/network (interop with @pubnub/chat 0.14.2 and pubnub 10.2.6, malformed
#      replies from a scripted server, restart durability, user lifecycle on both backends),
#   5. stops the server by PID (trap on exit).
# Run from the repo root after `node scripts/build.mjs` has built pkg/. Exits non-zero if
# anything fails (both suites always run; node's summaries are printed).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if [ ! -f pkg/package.json ]; then
  echo "pkg/ is not built: run node scripts/build.mjs first" >&2
  exit 1
fi

echo "==> cargo build --release -p ferrochat-server"
cargo build --release -p ferrochat-server

target_dir="${CARGO_TARGET_DIR:-$root/target}"
case "$target_dir" in /*) ;; *) target_dir="$root/$target_dir" ;; esac
export FERROCHAT_SERVER_BIN="${FERROCHAT_SERVER_BIN:-$target_dir/release/ferrochat-server}"

workdir="$(mktemp -d "${TMPDIR:-/tmp}/ferrochat-network.XXXXXX")"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "==> starting $FERROCHAT_SERVER_BIN"
"$FERROCHAT_SERVER_BIN" --listen 127.0.0.1:0 --subscribe-timeout 10 \
  >"$workdir/server.out" 2>"$workdir/server.err" &
server_pid=$!

port=""
for _ in $(seq 1 150); do
  # Wait for a complete first line (ending in a newline) before reading it.
  if [ "$(wc -l <"$workdir/server.out")" -ge 1 ]; then
    line="$(head -n 1 "$workdir/server.out")"
    if [[ "$line" =~ ^ferrochat-server\ listening\ on\ http://127\.0\.0\.1:([0-9]+)$ ]]; then
      port="${BASH_REMATCH[1]}"
      break
    fi
    echo "unexpected first line from the server: $line" >&2
    exit 1
  fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "ferrochat-server exited before listening:" >&2
    cat "$workdir/server.err" >&2
    exit 1
  fi
  sleep 0.1
done
if [ -z "$port" ]; then
  echo "ferrochat-server did not start listening in 15 s:" >&2
  cat "$workdir/server.err" >&2
  exit 1
fi
export FERROCHAT_ORIGIN="127.0.0.1:$port"
echo "==> ferrochat-server (pid $server_pid) listening on $FERROCHAT_ORIGIN"

source "$root/scripts/lib.sh"

status=0

echo "==> npm dependencies (tests/js)"
npm_deps "$root/tests/js"
echo "==> node --test (tests/js against $FERROCHAT_ORIGIN)"
(cd "$root/tests/js" && node --test --expose-gc --test-reporter=spec) || status=1

echo "==> npm dependencies (tests/network)"
npm_deps "$root/tests/network"
echo "==> node --test (tests/network, shared server $FERROCHAT_ORIGIN)"
(cd "$root/tests/network" && node --test --test-concurrency=1 --test-reporter=spec) || status=1

if ! kill -0 "$server_pid" 2>/dev/null; then
  echo "ferrochat-server died during the tests:" >&2
  tail -n 50 "$workdir/server.err" >&2
  status=1
fi

if [ "$status" -ne 0 ]; then
  echo "==> FAILED (see the node summaries above)" >&2
else
  echo "==> all network tests passed"
fi
exit "$status"
