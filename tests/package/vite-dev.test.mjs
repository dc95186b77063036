// The package as an app really gets it: `npm pack` of pkg/, installed from the tarball into
// a fresh app (a real copy in node_modules, not a symlink, so Vite treats it as a dependency
// and pre-bundles it), then (1) served by the Vite dev server and (2) built with Vite, each
// loaded in headless Chromium.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { createServer, build } from "vite";
import { startStaticServer } from "../support/static-server.mjs";
import { launchBrowser, runPage } from "./lib/browser.mjs";
import { FIXTURES, pkgDir, ensureOutput } from "./lib/pkg.mjs";
import { assertScenario } from "./lib/scenario-checks.mjs";

const appDir = path.join(ensureOutput(), "tarball-app");
let browser;
let setupError;

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

before(async () => {
  try {
    fs.rmSync(appDir, { recursive: true, force: true });
    fs.mkdirSync(appDir, { recursive: true });
    const packed = JSON.parse(run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", appDir], pkgDir()));
    const tarball = path.join(appDir, packed[0].filename);
    fs.writeFileSync(path.join(appDir, "package.json"), JSON.stringify({ name: "tarball-app", private: true, type: "module" }, null, 2));
    run("npm", ["install", "--no-audit", "--no-fund", "--no-package-lock", "--ignore-scripts", tarball], appDir);
    assert.ok(!fs.lstatSync(path.join(appDir, "node_modules", "ferrochat")).isSymbolicLink(), "installed as a copy");
    fs.copyFileSync(path.join(FIXTURES, "scenario.js"), path.join(appDir, "scenario.js"));
    fs.copyFileSync(path.join(FIXTURES, "vite-app", "index.html"), path.join(appDir, "index.html"));
    fs.writeFileSync(
      path.join(appDir, "main.js"),
      fs.readFileSync(path.join(FIXTURES, "vite-app", "main.js"), "utf8").replace('"../scenario.js"', '"./scenario.js"'),
    );
    browser = await launchBrowser();
  } catch (err) {
    setupError = err;
  }
});

after(async () => {
  await browser?.close();
});

test("the packed tarball installs into a fresh app", () => {
  assert.equal(setupError, undefined, setupError && setupError.stack);
  assert.ok(fs.existsSync(path.join(appDir, "node_modules", "ferrochat", "package.json")));
});

async function devServerRun(t, label, screenshot, extraConfig = {}) {
  if (setupError) return t.skip("setup failed");
  const server = await createServer({
    root: appDir,
    configFile: false,
    logLevel: "warn",
    cacheDir: path.join(appDir, `.vite-cache-${screenshot}`),
    server: { host: "127.0.0.1", port: 0, strictPort: false, hmr: false },
    ...extraConfig,
  });
  await server.listen();
  try {
    const { port } = server.httpServer.address();
    const { result, logs, page, context } = await runPage(browser, `http://127.0.0.1:${port}/`);
    try {
      await page.screenshot({ path: path.join(ensureOutput(), `${screenshot}.png`), fullPage: true });
      assert.ok(result.ok, `${label}: ${result.error}\nconsole:\n${logs.join("\n")}`);
      assertScenario(result);
      const errors = logs.filter((l) => l.startsWith("pageerror") || l.startsWith("console.error"));
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  } finally {
    await server.close();
  }
}

// Vite's dev server pre-bundles dependencies into node_modules/.vite/deps/, away from the
// .wasm that `new URL(..., import.meta.url)` points next to; like other wasm packages,
// ferrochat documents `optimizeDeps: { exclude: ["ferrochat"] }` (js/README.md, "Browsers and bundlers").
// Production builds (`vite build`) need nothing: see the next file's test.
test("Vite dev server with optimizeDeps.exclude: ['ferrochat'] runs in Chromium", async (t) => {
  await devServerRun(t, "the app failed under the Vite dev server (ferrochat excluded from pre-bundling)", "vite-dev-exclude", {
    optimizeDeps: { exclude: ["ferrochat"] },
  });
});

test("Vite build of the same app (dependency installed from the tarball) runs in Chromium", async (t) => {
  if (setupError) return t.skip("setup failed");
  const outDir = path.join(appDir, "dist");
  await build({ root: appDir, configFile: false, logLevel: "warn", build: { outDir, emptyOutDir: true } });
  const server = await startStaticServer({ mounts: { "/": outDir } });
  try {
    const { result, logs, context } = await runPage(browser, `${server.url}/index.html`);
    try {
      assert.ok(result.ok, `the built app failed: ${result.error}\nconsole:\n${logs.join("\n")}\nrequests:\n${server.requests.join("\n")}`);
      assertScenario(result);
    } finally {
      await context.close();
    }
  } finally {
    await server.close();
  }
});
