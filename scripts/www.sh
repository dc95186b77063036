#!/usr/bin/env bash
# One command for the user-directory web app (www/): builds the ferrochat package, the page
# and ferrochat-server, starts the server and a static file server on 127.0.0.1, and prints
# the URL to open. Ctrl-C (or any exit) stops both.
#
#   bash scripts/www.sh
#
# Environment:
#   FERROCHAT_PORT   ferrochat-server port (default 8090; a free port if 8090 is taken)
#   WWW_PORT         page port (default 8080; a free port if taken)
#   FERROCHAT_DB     SQLite file for the server (default: in memory, lost on exit)
#   WWW_SKIP_BUILD=1 skip setup and all builds (use what is already built)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
source scripts/lib.sh

say() { printf '[www] %s\n' "$*"; }

target_dir="${CARGO_TARGET_DIR:-$root/target}"
case "$target_dir" in /*) ;; *) target_dir="$root/$target_dir" ;; esac
server_bin="${FERROCHAT_SERVER_BIN:-$target_dir/release/ferrochat-server}"

if [ "${WWW_SKIP_BUILD:-}" != 1 ]; then
  bash scripts/setup.sh
  node scripts/build.mjs
  say "building the page (www/)"
  npm_deps www
  (cd www && node build.mjs)
  say "cargo build --release -p ferrochat-server"
  cargo build --release -p ferrochat-server
fi
[ -x "$server_bin" ] || { echo "[www] no ferrochat-server binary at $server_bin" >&2; exit 1; }
[ -f www/dist/index.html ] || { echo "[www] www/dist is not built (run without WWW_SKIP_BUILD)" >&2; exit 1; }

tmp="$(mktemp -d)"
server_pid=""
www_pid=""
cleanup() {
  trap - EXIT INT TERM
  for pid in $www_pid $server_pid; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in $www_pid $server_pid; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo; say "stopping"; exit 130' INT
trap 'exit 143' TERM

# Waits (up to 20 s) for a line matching $2 in file $1 while process $3 lives; prints the match.
wait_for_line() {
  local file=$1 pattern=$2 pid=$3 i line
  for i in $(seq 1 200); do
    line=$(grep -m1 -oE "$pattern" "$file" 2>/dev/null || true)
    if [ -n "$line" ]; then printf '%s\n' "$line"; return 0; fi
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

start_server() {
  local listen=$1
  local args=(--listen "$listen")
  [ -n "${FERROCHAT_DB:-}" ] && args+=(--db "$FERROCHAT_DB")
  : >"$tmp/server.out"
  "$server_bin" "${args[@]}" >"$tmp/server.out" 2>"$tmp/server.err" &
  server_pid=$!
  server_url=$(wait_for_line "$tmp/server.out" 'http://[0-9.]+:[0-9]+' "$server_pid") || {
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
    return 1
  }
}

want_port="${FERROCHAT_PORT:-8090}"
if ! start_server "127.0.0.1:$want_port"; then
  say "port $want_port is not available; using a free port"
  start_server "127.0.0.1:0" || { cat "$tmp/server.err" >&2; echo "[www] ferrochat-server did not start" >&2; exit 1; }
fi
server_origin="${server_url#http://}"
say "ferrochat-server (pid $server_pid) listening on $server_url"

node www/serve.mjs --port "${WWW_PORT:-8080}" >"$tmp/www.out" 2>"$tmp/www.err" &
www_pid=$!
www_url=$(wait_for_line "$tmp/www.out" 'http://[0-9.]+:[0-9]+' "$www_pid") || {
  cat "$tmp/www.err" >&2; echo "[www] the static server did not start" >&2; exit 1; }
say "page server (pid $www_pid) serving www/dist at $www_url"
echo
echo "Open $www_url/?origin=$server_origin"
echo "  (embedded store, no server: $www_url/ ; Ctrl-C stops both servers)"
echo

# Stay up until Ctrl-C or until either server exits.
while kill -0 "$server_pid" 2>/dev/null && kill -0 "$www_pid" 2>/dev/null; do
  sleep 1
done
say "a server exited"
cat "$tmp/server.err" >&2 || true
exit 1
