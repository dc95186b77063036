// What the package weighs, measured one way for the build's report, the size ratchet test
// (tests/package) and the bench (which weighs file by file): raw, gzip -9 and brotli 11 of
// the files each kind of consumer loads from pkg/.
import { readFileSync } from "node:fs";
import { gzipSync, brotliCompressSync, constants } from "node:zlib";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The files a browser / Node consumer loads, per kind. */
export const KINDS = {
  "wasm": ["ferrochat_bg.wasm"],
  "browser (wasm + JS)": ["ferrochat_bg.wasm", "ferrochat_web.js", "browser.js"],
  "node (wasm + JS)": ["ferrochat_bg.wasm", "ferrochat_node.cjs", "index.cjs", "index.mjs"],
};

/** The budget (design.md) and the ratchet ceiling, from scripts/size-budget.json. */
export const BUDGET = JSON.parse(
  readFileSync(join(dirname(fileURLToPath(import.meta.url)), "size-budget.json"), "utf8"),
);

/** `{ raw, gzip, brotli }` in bytes: `buf` as it is, gzip -9 and brotli 11. */
export function weigh(buf) {
  return {
    raw: buf.length,
    gzip: gzipSync(buf, { level: 9 }).length,
    brotli: brotliCompressSync(buf, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
}

/** `{ kind: { raw, gzip, brotli } }` in bytes for the package in `pkgDir`. */
export function packageSizes(pkgDir) {
  const report = {};
  for (const [kind, files] of Object.entries(KINDS)) {
    report[kind] = weigh(Buffer.concat(files.map((f) => readFileSync(join(pkgDir, f)))));
  }
  return report;
}

/** Bytes as the KB (KiB) figure the docs use. */
export const kb = (n) => (n / 1024).toFixed(1) + " KB";
