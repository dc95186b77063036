// A Node build of ferrochat whose wasm keeps its function names, for profiles
// (`node bench/profile.mjs … --named`). pkg/'s wasm is optimised and its names stripped and
// shortened, so its frames show as wasm-function[N]; this one is wasm-bindgen's output before
// wasm-opt, which `node scripts/build.mjs` leaves in target/bindgen/nodejs/.
//
// That glue loads its snippet (js/user.js, ES module syntax) with require(), which Node 20
// cannot do for ES modules, so it is bundled into one CommonJS file here, as
// scripts/build.mjs does for pkg/ (without minifying or renaming anything).
import { cpSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative } from "node:path";
import { repoRoot } from "./server.mjs";

/** Finds the one `user.js` under `dir` (the snippet); throws if there is not exactly one. */
function snippet(dir) {
  const found = readdirSync(dir, { recursive: true }).filter((f) => f.endsWith("user.js"));
  if (found.length !== 1) throw new Error(`named build: expected one user.js snippet in ${dir}, found ${found.length}`);
  return found[0];
}

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
  const glue = join(out, "ferrochat.js");
  writeFileSync(glue, readFileSync(glue, "utf8").replace(/require\(String\.raw`([^`]+)`\)/g, (_, p) => `require(${JSON.stringify(p)})`));
  const user = "./" + join("snippets", snippet(join(out, "snippets"))).replaceAll("\\", "/");
  // The glue is CommonJS, but the repository's package.json says "type": "module".
  writeFileSync(join(out, "package.json"), '{ "type": "commonjs" }\n');
  const { buildSync } = createRequire(join(repoRoot, "package.json"))("esbuild");
  buildSync({
    stdin: {
      contents: `const g = require("./ferrochat.js");\nconst u = require(${JSON.stringify(user)});\nu.finishClasses(g.Chat);\nmodule.exports = { Chat: g.Chat, User: u.User };\n`,
      resolveDir: out,
      sourcefile: "entry.cjs",
    },
    outfile: join(out, "bundle.cjs"),
    bundle: true,
    format: "cjs",
    platform: "node",
    logLevel: "warning",
  });
  writeFileSync(join(out, "index.mjs"), 'import m from "./bundle.cjs";\nexport const Chat = m.Chat;\nexport const User = m.User;\n');
  return join(out, "index.mjs");
}
