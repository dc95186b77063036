// A Node build of ferrochat whose wasm keeps its function names, for profiles
// (`node bench/profile.mjs … --named`). pkg/'s wasm is optimised and its names stripped and
// shortened, so its frames show as wasm-function[N]; this one is wasm-bindgen's output before
// wasm-opt, which `node scripts/build.mjs` leaves in target/bindgen/nodejs/. It is bundled
// by the same code as pkg/'s Node file (scripts/bundle.mjs: snippets, finishClasses, the
// node:http transport), unminified and without renaming anything.
import { cpSync, existsSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { repoRoot } from "./server.mjs";
import { bundleGlue } from "../../scripts/bundle.mjs";

/**
 * Builds target/named/ from target/bindgen/nodejs/ and returns the path of its ESM entry
 * (what FERROCHAT_ENTRY takes). Run `node scripts/build.mjs` first.
 */
export function namedBuild() {
  const src = join(repoRoot, "target", "bindgen", "nodejs");
  if (!existsSync(join(src, "ferrochat.js")) || !existsSync(join(src, "ferrochat_bg.wasm"))) {
    throw new Error(`named build: ${relative(repoRoot, src)} is missing; run: node scripts/build.mjs`);
  }
  const out = join(repoRoot, "target", "named");
  rmSync(out, { recursive: true, force: true });
  cpSync(src, out, { recursive: true });
  bundleGlue({ dir: out, outfile: join(out, "bundle.cjs"), format: "cjs", minify: false });
  writeFileSync(join(out, "index.mjs"), 'import m from "./bundle.cjs";\nexport const Chat = m.Chat;\nexport const User = m.User;\n');
  return join(out, "index.mjs");
}
