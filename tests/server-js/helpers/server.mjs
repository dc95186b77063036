// Starts the release ferrochat-server binary on a free loopback port and stops it by PID.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "..", "..", "..");

/** Path of the server binary: $FERROCHAT_SERVER_BIN or target/release/ferrochat-server. */
export const serverBin = process.env.FERROCHAT_SERVER_BIN
  ? resolve(process.env.FERROCHAT_SERVER_BIN)
  : resolve(repoRoot, "target", "release", "ferrochat-server");

const LISTENING = /^ferrochat-server listening on http:\/\/(127\.0\.0\.1):(\d+)$/;

/**
 * Starts a server; resolves to { port, origin, pid, log(), stop() }.
 * @param {string[]} args extra command-line flags
 */
export async function startServer(args = []) {
  if (!existsSync(serverBin)) {
    throw new Error(`ferrochat-server binary not found at ${serverBin} (run cargo build --release -p ferrochat-server or set FERROCHAT_SERVER_BIN)`);
  }
  const child = spawn(serverBin, ["--listen", "127.0.0.1:0", "--subscribe-timeout", "20", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "ferrochat_server=debug" },
  });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
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
  return {
    port,
    origin: `127.0.0.1:${port}`,
    pid: child.pid,
    log: () => stderr,
    /** Stops this server (SIGTERM to its PID, SIGKILL after 5 s); resolves to its exit. */
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

/** Resolves once `predicate()` is truthy (polling), or rejects after `ms`. */
export async function waitFor(predicate, ms = 10_000, what = "condition") {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const value = await predicate();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A unique id for this run (so tests never share users). */
export function uniqueId(prefix) {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
