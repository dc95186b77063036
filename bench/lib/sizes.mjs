// Package size: the files a bundler ships for a browser build, raw, gzip -9 and brotli q11.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, relative, resolve } from "node:path";
import { repoRoot } from "./server.mjs";
import { KINDS, weigh } from "../../scripts/sizes.mjs";

const require = createRequire(import.meta.url);

/** The anchor's browser/ESM files: @pubnub/chat's "module" entry and pubnub's "browser" entry. */
export function anchorFiles() {
  const chatDir = dirname(require.resolve("@pubnub/chat/package.json"));
  const chatPkg = JSON.parse(readFileSync(resolve(chatDir, "package.json"), "utf8"));
  const pnDir = dirname(require.resolve("pubnub/package.json"));
  const pnPkg = JSON.parse(readFileSync(resolve(pnDir, "package.json"), "utf8"));
  return {
    versions: { "@pubnub/chat": chatPkg.version, pubnub: pnPkg.version },
    files: [resolve(chatDir, chatPkg.module), resolve(pnDir, pnPkg.browser)],
  };
}

/** ferrochat's browser files: the list the build's size report uses (scripts/sizes.mjs). */
export function ferrochatFiles() {
  return { files: KINDS["browser (wasm + JS)"].map((f) => resolve(repoRoot, "pkg", f)) };
}

function measure(files) {
  const per = files.map((f) => {
    return {
      file: relative(resolve(repoRoot, "bench"), f).replace(/^node_modules\//, "").replace(/^\.\.\//, ""),
      ...weigh(readFileSync(f)),
    };
  });
  const total = (k) => per.reduce((a, p) => a + p[k], 0);
  return { files: per, raw: total("raw"), gzip: total("gzip"), brotli: total("brotli") };
}

export function packageSizes() {
  const a = anchorFiles();
  return { ferrochat: measure(ferrochatFiles().files), anchor: { ...measure(a.files), versions: a.versions } };
}
