// A plain page: <script type="module"> importing the package's browser entry file directly
// (no bundler), served by a tiny static server on 127.0.0.1, run in headless Chromium.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { startStaticServer } from "../support/static-server.mjs";
import { launchBrowser, runPage } from "./lib/browser.mjs";
import { FIXTURES, pkgDir, browserEntry, ensureOutput } from "./lib/pkg.mjs";
import { assertScenario } from "./lib/scenario-checks.mjs";

let server;
let browser;
let entry;

before(async () => {
  entry = browserEntry();
  assert.ok(entry, "the package declares a browser entry (exports '.' default)");
  const page = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><link rel="icon" href="data:,"><title>ferrochat — plain module page</title></head>
<body style="font-family: sans-serif">
<h1>ferrochat from a plain &lt;script type="module"&gt;</h1>
<pre id="out">running…</pre>
<script type="module">
import { Chat, User } from "/pkg/${entry}";
import { runAndReport } from "/fixtures/scenario.js";
await runAndReport({ Chat, User }, "plain page: import from /pkg/${entry}");
</script>
</body>
</html>`;
  server = await startStaticServer({
    mounts: { "/pkg/": pkgDir(), "/fixtures/": FIXTURES },
    pages: { "/": page, "/index.html": page },
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test("plain <script type=module> page: loads the wasm and runs the scenario in Chromium", async () => {
  const { result, logs, page, context } = await runPage(browser, `${server.url}/`);
  try {
    await page.screenshot({ path: path.join(ensureOutput(), "plain-page.png"), fullPage: true });
    assert.ok(result.ok, `the page failed: ${result.error}\nconsole:\n${logs.join("\n")}\nrequests:\n${server.requests.join("\n")}`);
    assertScenario(result);
    assert.ok(server.requests.some((r) => /^200 .*\.wasm$/.test(r)), `the .wasm was fetched: ${server.requests.join(", ")}`);
    const errors = logs.filter((l) => l.startsWith("pageerror") || l.startsWith("console.error"));
    assert.deepEqual(errors, [], "no page errors or console errors");
  } finally {
    await context.close();
  }
});
