// Starts the release ferrochat-server binary for tests and stops it by PID (shared by
// tests/server-js and tests/network; only node built-ins, so any suite can import it).
// It reads the "listening" line from stdout; supports a fixed --listen address (restart
// tests), SIGKILL, and picking a free port.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "..", "..");

/** Path of the server binary: $FERROCHAT_SERVER_BIN or target/release/ferrochat-server. */
export const serverBin = process.env.FERROCHAT_SERVER_BIN
  ? resolve(process.env.FERROCHAT_SERVER_BIN)
  : resolve(repoRoot, "target", "release", "ferrochat-server");

const LISTENING = /^ferrochat-server listening on http:\/\/(127\.0\.0\.1):(\d+)$/;

/** A TCP port on 127.0.0.1 that was free a moment ago (bind to 0, read it, close). */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolvePort(port));
    });
  });
}

/**
 * Starts a server; resolves to { port, origin, pid, log(), stop(), kill() }.
 * @param {object} [opts]
 * @param {string} [opts.listen] address to bind (default 127.0.0.1:0, a free port)
 * @param {number} [opts.subscribeTimeout] long-poll hold in seconds (default 10)
 * @param {string[]} [opts.args] extra flags (e.g. ["--db", path])
 * @param {string} [opts.bin] the binary (default: serverBin)
 * @param {string} [opts.rustLog] RUST_LOG for the server (default $RUST_LOG or "info")
 * @param {(line: string) => void} [opts.onLogLine] sees every log line; when given, the
 *   log is not also kept whole (some lines are 140 KB: 10,000-channel subscribes)
 */
export async function startServer({
  listen = "127.0.0.1:0",
  subscribeTimeout = 10,
  args = [],
  bin = serverBin,
  rustLog = process.env.RUST_LOG ?? "info",
  onLogLine,
} = {}) {
  if (!existsSync(bin)) {
    throw new Error(
      `ferrochat-server binary not found at ${bin} (run cargo build --release -p ferrochat-server or set FERROCHAT_SERVER_BIN)`,
    );
  }
  const child = spawn(bin, ["--listen", listen, "--subscribe-timeout", String(subscribeTimeout), ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, RUST_LOG: rustLog },
  });
  let stderr = "";
  let partial = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk) => {
    if (!onLogLine) {
      stderr += chunk;
      return;
    }
    partial += chunk;
    let nl;
    while ((nl = partial.indexOf("\n")) >= 0) {
      onLogLine(partial.slice(0, nl));
      partial = partial.slice(nl + 1);
    }
  });
  const exited = new Promise((resolveExit) => child.once("exit", (code, signal) => resolveExit({ code, signal })));
  const port = await new Promise((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in time; stderr:\n${stderr}`)), 15_000);
    const lines = createInterface({ input: child.stdout });
    lines.once("line", (line) => {
      clearTimeout(timer);
      const m = LISTENING.exec(line);
      if (m) resolvePort(Number(m[2]));
      else reject(new Error(`unexpected first line: ${JSON.stringify(line)}`));
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening; stderr:\n${stderr}`));
    });
  });
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    port,
    origin: `127.0.0.1:${port}`,
    pid: child.pid,
    log: () => stderr,
    running,
    /** Stops this server (SIGTERM to its PID, SIGKILL after 5 s); resolves to its exit. */
    async stop() {
      if (!running()) return exited;
      process.kill(child.pid, "SIGTERM");
      const timer = setTimeout(() => {
        if (running()) process.kill(child.pid, "SIGKILL");
      }, 5_000);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
    /** SIGKILL to its PID (a crash: no clean shutdown); resolves to its exit. */
    async kill() {
      if (running()) process.kill(child.pid, "SIGKILL");
      return exited;
    },
  };
}
