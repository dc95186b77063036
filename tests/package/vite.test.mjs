// A tiny app that imports "ferrochat" by name, built with Vite 7 (production build), then
// loaded from the built output in headless Chromium.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { build } from "vite";
import { startStaticServer } from "../support/static-server.mjs";
import { launchBrowser, runPage } from "./lib/browser.mjs";
import { FIXTURES, ensureOutput } from "./lib/pkg.mjs";
import { assertScenario } from "./lib/scenario-checks.mjs";

const outDir = path.join(ensureOutput(), "vite-dist");
let server;
let browser;
let buildError;

before(async () => {
  try {
    await build({
      root: path.join(FIXTURES, "vite-app"),
      configFile: false,
      logLevel: "warn",
      build: { outDir, emptyOutDir: true },
    });
  } catch (err) {
    buildError = err;
  }
  if (!buildError) {
    server = await startStaticServer({ mounts: { "/": outDir } });
    browser = await launchBrowser();
  }
});

after(async () => {
  await browser?.close();
  await server?.close();
});

function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

test("vite build of an app importing 'ferrochat' succeeds and emits the .wasm", () => {
  assert.equal(buildError, undefined, `vite build failed: ${buildError && (buildError.stack || buildError.message)}`);
  const files = walk(outDir).map((f) => path.relative(outDir, f));
  assert.ok(files.includes("index.html"), files.join(", "));
  assert.ok(files.some((f) => f.endsWith(".js")), files.join(", "));
  // Vite emits the .wasm referenced by `new URL("./x_bg.wasm", import.meta.url)` as an asset
  // (or inlines it as a data: URL when it is tiny)
  const inlined = files.filter((f) => f.endsWith(".js")).some((f) => fs.readFileSync(path.join(outDir, f), "utf8").includes("data:application/wasm"));
  assert.ok(files.some((f) => f.endsWith(".wasm")) || inlined, `the .wasm is emitted as an asset: ${files.join(", ")}`);
});

test("the built Vite app runs the scenario in Chromium", async (t) => {
  if (buildError) return t.skip("build failed (see the previous test)");
  const { result, logs, page, context } = await runPage(browser, `${server.url}/index.html`);
  try {
    await page.screenshot({ path: path.join(ensureOutput(), "vite-app.png"), fullPage: true });
    assert.ok(result.ok, `the app failed: ${result.error}\nconsole:\n${logs.join("\n")}\nrequests:\n${server.requests.join("\n")}`);
    assertScenario(result);
    if (walk(outDir).some((f) => f.endsWith(".wasm"))) {
      assert.ok(server.requests.some((r) => /^200 .*\.wasm$/.test(r)), `the .wasm was fetched: ${server.requests.join(", ")}`);
    }
    const errors = logs.filter((l) => l.startsWith("pageerror") || l.startsWith("console.error"));
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
