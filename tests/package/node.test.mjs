// Node consumers in child processes: CommonJS require("ferrochat") and ESM import by name.
// Each child must finish on its own (no flags, no hanging handles) and print its result.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { HERE, FIXTURES, pkgDir, pkgJson, rootExport } from "./lib/pkg.mjs";

function runNode(args, { timeout = 30000 } = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: HERE, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeout);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

function lastJsonLine(out) {
  const lines = out.trim().split("\n").filter((l) => l.startsWith("{"));
  return JSON.parse(lines[lines.length - 1]);
}

test("package.json: exports '.' has types, node import/require, and a browser default that exist", () => {
  const pj = pkgJson();
  assert.equal(pj.name, "ferrochat");
  const root = rootExport(pj);
  assert.ok(root && typeof root === "object", "exports['.'] is a conditions object");
  assert.ok(root.node, "a node condition");
  const node = root.node;
  assert.ok(typeof node === "object", "node condition is an object with import/require");
  for (const cond of ["import", "require"]) {
    assert.ok(node[cond], `node.${cond}`);
    const target = typeof node[cond] === "string" ? node[cond] : node[cond].default;
    if (typeof node[cond] === "object") {
      assert.equal(Object.keys(node[cond])[0], "types", `node.${cond}: "types" first`);
    }
    assert.ok(fs.existsSync(path.join(pkgDir(), target)), `node.${cond} target exists: ${target}`);
  }
  assert.ok(root.default, "a default (browser/bundler) condition");
  const def = typeof root.default === "string" ? root.default : root.default.default ?? root.default.import;
  assert.ok(fs.existsSync(path.join(pkgDir(), def)), `default target exists: ${def}`);
  // types: one file, or per-condition files (require → .d.cts) — every one must exist.
  const typeTargets = typeof root.types === "string" ? [root.types] : Object.values(root.types ?? {});
  assert.ok(typeTargets.length > 0, "a types condition");
  for (const t of typeTargets) assert.ok(fs.existsSync(path.join(pkgDir(), t)), `types target exists: ${t}`);
});

test("package.json: 'types' is the first key of every conditions object (style practice 11)", () => {
  const walk = (v, where) => {
    if (!v || typeof v !== "object") return;
    const keys = Object.keys(v);
    if (keys.includes("types")) assert.equal(keys[0], "types", `${where}: "types" must come first (got ${keys.join(", ")})`);
    for (const k of keys) walk(v[k], `${where}.${k}`);
  };
  walk(rootExport(), "exports['.']");
});

test("package.json: what npm shows (repository, homepage, bugs, license, keywords, engines)", () => {
  const pj = pkgJson();
  assert.match(pj.repository?.url ?? "", /^git\+https:\/\/.+\.git$/);
  assert.match(pj.homepage ?? "", /^https:\/\//);
  assert.match(pj.bugs?.url ?? "", /^https:\/\/.+\/issues$/);
  assert.equal(pj.license, "MIT OR Apache-2.0");
  assert.ok(pj.keywords?.length >= 3);
  assert.match(pj.engines?.node ?? "", /^>=\d+/);
});

test("the package README is for npm users: install first, no contributor commands", () => {
  const readme = fs.readFileSync(path.join(pkgDir(), "README.md"), "utf8");
  const head = readme.split("\n").slice(0, 20).join("\n");
  assert.match(head, /^# ferrochat\n/);
  assert.match(head, /npm install ferrochat/, "npm install within the first lines");
  assert.doesNotMatch(readme, /npm run demo|npm test|cargo run/, "no contributor commands");
  for (const section of ["## Quick start", "## Backends", "### Running a local server", "## API", "## Errors", "## Logging", "## Differences from @pubnub/chat", "## Browsers and bundlers"]) {
    assert.ok(readme.includes(section), `README has ${section}`);
  }
});

test("npm pack would publish every file the exports name, and the .wasm", async () => {
  const r = await new Promise((resolve) => {
    const child = spawn("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: pkgDir(), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
  assert.equal(r.code, 0, r.stderr);
  const files = JSON.parse(r.stdout)[0].files.map((f) => f.path);
  const root = rootExport();
  const targets = new Set();
  const walk = (v) => {
    if (typeof v === "string") targets.add(v.replace(/^\.\//, ""));
    else if (v && typeof v === "object") Object.values(v).forEach(walk);
  };
  walk(root);
  for (const t of targets) assert.ok(files.includes(t), `${t} (named in exports) is missing from the packed files: ${files.join(", ")}`);
  assert.ok(files.some((f) => f.endsWith(".wasm")), `a .wasm file is packed: ${files.join(", ")}`);
  assert.ok(files.includes("package.json"));
});

test("CommonJS: require('ferrochat') in a child process", async () => {
  const r = await runNode([path.join(FIXTURES, "cjs-smoke.cjs")]);
  assert.equal(r.timedOut, false, `the CJS child did not exit on its own (hanging handle?)\n${r.stderr}`);
  assert.equal(r.code, 0, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  const out = lastJsonLine(r.stdout);
  assert.equal(out.typeofChat, "function");
  assert.equal(out.typeofUser, "function");
  assert.equal(out.isUser, true);
  assert.equal(out.created, "CJS");
  assert.equal(out.streamed, "CJS updated");
  assert.equal(out.streamedIsUser, true);
  assert.deepEqual(out.error, { isError: true, code: "ID_REQUIRED", message: "ID is required" });
  assert.equal(out.deleted, true);
});

test("ESM: import { Chat, User } from 'ferrochat' in a child process (shares the CJS instance)", async () => {
  const r = await runNode([path.join(FIXTURES, "esm-smoke.mjs")]);
  assert.equal(r.timedOut, false, `the ESM child did not exit on its own (hanging handle?)\n${r.stderr}`);
  assert.equal(r.code, 0, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  const out = lastJsonLine(r.stdout);
  assert.equal(out.namedAreFunctions, true);
  assert.equal(out.namespaceHasChat, true);
  assert.equal(out.dynamicSame, true);
  assert.equal(out.cjsSameClass, true, "require() and import must give the same classes");
  assert.equal(out.sharedStore, "ESM", "a user created via the ESM Chat is visible via the CJS Chat");
  assert.equal(out.streamed, "ESM updated via CJS Chat");
  assert.equal(out.streamedIsUser, true);
});

test("ESM: node --input-type=module -e with a bare import", async () => {
  const code = `import { Chat } from "ferrochat"; const c = await Chat.init({ userId: "eval-${process.pid}" }); console.log(JSON.stringify({ name: c.currentUser.name }));`;
  const r = await runNode(["--input-type=module", "-e", code]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(lastJsonLine(r.stdout), { name: `eval-${process.pid}` });
});

test("no stray output: loading the package prints nothing and warns nothing", async () => {
  const r = await runNode(["-e", "require('ferrochat')"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "");
  assert.equal(r.stderr, "", "no warnings (e.g. experimental flags) when loading");
  const r2 = await runNode(["--input-type=module", "-e", "import 'ferrochat'"]);
  assert.equal(r2.code, 0, r2.stderr);
  assert.equal(r2.stderr, "");
});

test("size ratchet: the browser package (wasm + JS, gzip) is not heavier than scripts/size-budget.json allows", async () => {
  const { BUDGET, kb, packageSizes } = await import("../../scripts/sizes.mjs");
  const gzip = packageSizes(pkgDir())["browser (wasm + JS)"].gzip;
  const ceiling = BUDGET.ceilingGzipKiB * 1024;
  assert.ok(
    gzip <= ceiling,
    `the browser package is ${kb(gzip)} gzip, above the ratchet ceiling of ${kb(ceiling)} ` +
      `(design.md's budget: ${BUDGET.budgetGzipKiB} KB). Find what grew (twiggy, see ` +
      `DEVELOPERS.md) or, if it is worth it, raise ceilingGzipKiB in scripts/size-budget.json ` +
      `in the same commit and say why.`,
  );
});
