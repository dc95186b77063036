// Bundles tests/js (unchanged) for the browser: node:test → shim/test.mjs, node:assert →
// the npm port, node:util → the npm port, process → shim/process.mjs; `ferrochat` stays
// external (the page's import map points it at pkg/browser.js, as an app would load it).
import { build } from "esbuild";
import { NODE_ONLY_FILES } from "./skips.mjs";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const suite = resolve(here, "..", "js");
const files = readdirSync(suite)
  .filter((f) => f.endsWith(".test.mjs") && !(f in NODE_ONLY_FILES))
  .sort();
mkdirSync(join(here, "dist"), { recursive: true });
const entry = join(here, "dist", "entry.mjs");
writeFileSync(
  entry,
  [
    `import { beginFile, runAll } from "../shim/test.mjs";`,
    `import { skipReason } from "../skips.mjs";`,
    ...files.map((f) => `beginFile(${JSON.stringify(f)}); await import(${JSON.stringify(join(suite, f))});`),
    `globalThis.__results = await runAll(skipReason);`,
  ].join("\n") + "\n",
);
await build({
  entryPoints: [entry],
  outfile: join(here, "dist", "suite.js"),
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  external: ["ferrochat"],
  inject: [join(here, "shim", "process.mjs")],
  alias: {
    "node:test": join(here, "shim", "test.mjs"),
    "node:assert/strict": join(here, "shim", "assert.mjs"),
    "node:util": "util",
    "node:module": join(here, "shim", "node-only.mjs"),
    "node:vm": join(here, "shim", "node-only.mjs"),
    "node:v8": join(here, "shim", "node-only.mjs"),
  },
  define: { global: "globalThis" },
  logLevel: "warning",
});
writeFileSync(
  join(here, "dist", "index.html"),
  `<!doctype html><meta charset="utf-8"><title>ferrochat tests/js in the browser</title>
<script type="importmap">{ "imports": { "ferrochat": "/pkg/browser.js" } }</script>
<script type="module" src="/tests/browser/dist/suite.js"></script>\n`,
);
console.log(`bundled ${files.length} test files`);
