// Starts a ferrochat-server on a free loopback port and stops it by PID. Keeps the
// request log (RUST_LOG=ferrochat_server=debug logs one line per request) so the bench can
// count requests per operation.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, "..", "..");

/** $FERROCHAT_SERVER_BIN, else $CARGO_TARGET_DIR/release, else target/release. */
export function serverBin() {
  if (process.env.FERROCHAT_SERVER_BIN) return resolve(process.env.FERROCHAT_SERVER_BIN);
  const target = process.env.CARGO_TARGET_DIR ? resolve(repoRoot, process.env.CARGO_TARGET_DIR) : resolve(repoRoot, "target");
  return resolve(target, "release", "ferrochat-server");
}

const LISTENING = /^ferrochat-server listening on http:\/\/(127\.0\.0\.1):(\d+)$/;
const REQUEST = /request method=(\w+) path=(\S+) status=(\d+)/;

/**
 * Starts a server; resolves to { port, origin, url, pid, requests(), mark(), since(mark), stop() }.
 * @param {string[]} args extra flags
 */
export async function startServer(args = [], { subscribeTimeout = 10 } = {}) {
  const bin = serverBin();
  if (!existsSync(bin)) throw new Error(`ferrochat-server not found at ${bin} (bash scripts/bench.sh builds it)`);
  const child = spawn(bin, ["--listen", "127.0.0.1:0", "--subscribe-timeout", String(subscribeTimeout), ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, RUST_LOG: "ferrochat_server=debug" },
  });
  // Parsed request lines (method, path, status, at = Date.now() when read); the raw log
  // is not kept whole (a 10,000-channel subscribe path is 140 KB per line).
  const requests = [];
  let other = [];
  let buf = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk) => {
    buf += chunk;
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const m = REQUEST.exec(line);
      if (m) requests.push({ method: m[1], path: m[2].length > 200 ? m[2].slice(0, 200) + "…" : m[2], status: Number(m[3]), at: Date.now() });
      else if (other.length < 2000) other.push(line.length > 300 ? line.slice(0, 300) + "…" : line);
    }
  });
  const exited = new Promise((r) => child.once("exit", (code, signal) => r({ code, signal })));
  const port = await new Promise((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error("server did not start in 15 s")), 15_000);
    createInterface({ input: child.stdout }).once("line", (line) => {
      clearTimeout(timer);
      const m = LISTENING.exec(line);
      if (m) resolvePort(Number(m[2]));
      else reject(new Error(`unexpected first line: ${JSON.stringify(line)}`));
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${other.join("\n")}`));
    });
  });
  return {
    port,
    origin: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    pid: child.pid,
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
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      process.kill(child.pid, "SIGTERM");
      const timer = setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, "SIGKILL");
      }, 5_000);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
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
