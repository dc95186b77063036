// Starts a ferrochat-server on a free loopback port and stops it by PID. Keeps the
// request log (RUST_LOG=ferrochat_server=debug logs one line per request) so the bench can
// count requests per operation.
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startServer as start } from "../../tests/support/server.mjs";

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, "..", "..");

/** $FERROCHAT_SERVER_BIN, else $CARGO_TARGET_DIR/release, else target/release. */
export function serverBin() {
  if (process.env.FERROCHAT_SERVER_BIN) return resolve(process.env.FERROCHAT_SERVER_BIN);
  const target = process.env.CARGO_TARGET_DIR ? resolve(repoRoot, process.env.CARGO_TARGET_DIR) : resolve(repoRoot, "target");
  return resolve(target, "release", "ferrochat-server");
}

const REQUEST = /request method=(\w+) path=(\S+) status=(\d+)/;

/**
 * Starts a server (tests/support/server.mjs) that records the requests it logs; resolves
 * to { port, origin, url, pid, requests, otherLog(), mark(), since(mark), stop() }.
 * @param {string[]} args extra flags
 */
export async function startServer(args = [], { subscribeTimeout = 10 } = {}) {
  // Parsed request lines (method, path, status, at = Date.now() when read); the raw log
  // is not kept whole (a 10,000-channel subscribe path is 140 KB per line).
  const requests = [];
  const other = [];
  const onLogLine = (line) => {
    const m = REQUEST.exec(line);
    if (m) requests.push({ method: m[1], path: m[2].length > 200 ? m[2].slice(0, 200) + "…" : m[2], status: Number(m[3]), at: Date.now() });
    else if (other.length < 2000) other.push(line.length > 300 ? line.slice(0, 300) + "…" : line);
  };
  const server = await start({ subscribeTimeout, args, bin: serverBin(), rustLog: "ferrochat_server=debug", onLogLine });
  return {
    port: server.port,
    origin: server.origin,
    url: `http://${server.origin}`,
    pid: server.pid,
    requests,
    otherLog: () => other,
    /** Index into the request log, for `since`, after letting the log catch up (the
     * server writes its log asynchronously, so earlier requests can still be on the way). */
    async mark(settleMs = 200) {
      await new Promise((r) => setTimeout(r, settleMs));
      return requests.length;
    },
    /** Requests logged after `mark` (waits `settleMs` for the log to catch up). */
    async since(mark, settleMs = 150) {
      await new Promise((r) => setTimeout(r, settleMs));
      return requests.slice(mark);
    },
    stop: () => server.stop(),
  };
}

/** Summarises requests as "GET /v2/objects/…/uuids/{id} ×2, PATCH … ×1" style counts. */
export function requestShape(reqs) {
  const counts = new Map();
  for (const r of reqs) {
    let p = r.path
      .replace(/^\/v2\/objects\/[^/]+\/uuids\/[^/?]+/, "/v2/objects/{sub}/uuids/{id}")
      .replace(/^\/v2\/objects\/[^/]+\/uuids$/, "/v2/objects/{sub}/uuids")
      .replace(/^\/v2\/subscribe\/.*/, "/v2/subscribe/…")
      .replace(/^\/v2\/presence\/.*\/(leave|heartbeat)$/, "/v2/presence/…/$1")
      .replace(/^\/publish\/.*/, "/publish/…")
      .replace(/^\/time\/0$/, "/time/0");
    const key = `${r.method} ${p} ${r.status}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1]));
}
