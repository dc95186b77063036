// Test helpers: the ferrochat-server binary (own process, stopped by PID), the www static
// server (in-process), headless Chromium via playwright-core, and screenshot paths.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startServer } from "../serve.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
export const WWW = path.resolve(here, "..");
export const REPO = path.resolve(WWW, "..");
export const OUT = path.join(WWW, "test-output");

export const CHROMIUM_ARGS = [
  "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
  "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

export function shot(name) {
  mkdirSync(OUT, { recursive: true });
  return path.join(OUT, name);
}

/** Starts ferrochat-server on a free loopback port; resolves { origin, pid, stop }. */
export async function startFerrochatServer() {
  const bin = path.resolve(REPO, process.env.FERROCHAT_SERVER_BIN || "target/release/ferrochat-server");
  if (!existsSync(bin)) {
    throw new Error(`ferrochat-server binary not found at ${bin}: build it with \`cargo build --release -p ferrochat-server\` or set FERROCHAT_SERVER_BIN`);
  }
  const child = spawn(bin, ["--listen", "127.0.0.1:0", "--subscribe-timeout", "10"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG || "warn" },
  });
  let stderr = "";
  child.stderr.on("data", (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const origin = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`ferrochat-server did not start in 15 s:\n${stderr}`)), 15000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = /listening on http:\/\/(\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    exited.then(({ code }) => { clearTimeout(timer); reject(new Error(`ferrochat-server exited (${code}):\n${stderr}`)); });
  });
  const pid = child.pid;
  return {
    origin,
    pid,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      process.kill(pid, "SIGTERM");
      const timeout = new Promise((r) => setTimeout(() => r("timeout"), 8000));
      if ((await Promise.race([exited, timeout])) === "timeout") {
        process.kill(pid, "SIGKILL");
        await exited;
      }
    },
  };
}

/** Serves www/dist (built by `node build.mjs`) on a free port; records requests. */
export async function startWww() {
  const dist = path.join(WWW, "dist");
  if (!existsSync(path.join(dist, "index.html"))) throw new Error("www/dist is missing: run `node build.mjs` (npm test does)");
  return startServer({ root: dist, port: 0 });
}

export function launchBrowser() {
  return chromium.launch({ executablePath: process.env.CHROMIUM_BIN || "/usr/bin/chromium", args: CHROMIUM_ARGS });
}

/** A new page that records console errors and page errors. */
export async function openPage(browser, url, { width = 1200, height = 860 } = {}) {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  const problems = [];
  const requests = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console.error: ${m.text()}`); });
  page.on("request", (r) => requests.push(r.url()));
  const failed = [];
  page.on("response", (r) => { if (r.status() >= 400) failed.push(`${r.status()} ${r.request().method()} ${r.url()}`); });
  await page.goto(url);
  await page.locator("#live[data-state='ok']").waitFor({ timeout: 15000 });
  return { page, context, problems, requests, failed };
}

/** The row (li) of a user in the list. */
export function row(page, id) {
  return page.locator(`#users li[data-id="${id}"]`);
}

export async function createUser(page, id, fields = {}) {
  await page.getByRole("button", { name: "New user" }).click();
  const dlg = page.locator("#editor");
  await dlg.getByLabel("User ID").fill(id);
  for (const [label, value] of Object.entries(fields)) await dlg.getByLabel(label, { exact: true }).fill(value);
  await dlg.getByRole("button", { name: "Create user" }).click();
  await dlg.waitFor({ state: "hidden" });
  await row(page, id).waitFor();
}
