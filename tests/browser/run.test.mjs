// Runs the tests/js suite, unchanged, inside headless Chromium: on the embedded store and
// against a live ferrochat-server. build.mjs bundles it first (npm test does both).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startStaticServer } from "../support/static-server.mjs";
import { startServer } from "../support/server.mjs";
import { NODE_ONLY_FILES } from "./skips.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "..", "..");
const ARGS = [
  "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
  "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

let web, browser, server;
before(async () => {
  web = await startStaticServer({
    mounts: { "/pkg/": join(repo, "pkg"), "/tests/browser/dist/": join(here, "dist") },
  });
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: ARGS });
  server = await startServer();
});
after(async () => {
  await browser?.close();
  await web?.close();
  await server?.stop();
});

async function runSuite(query) {
  const page = await browser.newPage();
  const errors = [];
  // An error thrown while the bundle loads means no test can run: fail at once.
  const loadFailed = new Promise((_, reject) => {
    page.on("pageerror", (e) => {
      errors.push(String(e));
      page.evaluate(() => Boolean(globalThis.__started)).then((started) => {
        if (!started) reject(new Error(`the test bundle failed to load: ${e}`));
      }, () => {});
    });
  });
  await page.goto(`${web.url}/tests/browser/dist/index.html${query}`);
  await Promise.race([
    page.waitForFunction(() => globalThis.__results, null, { timeout: 15 * 60_000, polling: 500 }),
    loadFailed,
  ]);
  const results = await page.evaluate(() => globalThis.__results);
  await page.close();
  const count = (s) => results.filter((r) => r.status === s).length;
  console.log(`# browser${query || " (embedded)"}: ${count("pass")} passed, ${count("fail")} failed, ${count("skip")} skipped`);
  for (const [file, reason] of Object.entries(NODE_ONLY_FILES)) console.log(`#   skip ${file} (${reason})`);
  for (const r of results.filter((r) => r.status === "skip")) console.log(`#   skip ${r.file}: ${r.name} (${r.reason})`);
  const failures = results.filter((r) => r.status === "fail");
  for (const f of failures) console.log(`#   FAIL ${f.file}: ${f.name}\n${f.error}`);
  assert.ok(results.length > 100, `only ${results.length} tests ran`);
  assert.deepEqual(failures.map((f) => `${f.file}: ${f.name}`), [], `page errors: ${errors.join("; ")}`);
}

test("tests/js in headless Chromium, embedded store", { timeout: 15 * 60_000 }, () => runSuite(""));
test("tests/js in headless Chromium, against ferrochat-server", { timeout: 15 * 60_000 }, () =>
  runSuite(`?FERROCHAT_ORIGIN=${encodeURIComponent(server.origin)}`),
);
