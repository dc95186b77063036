#!/usr/bin/env node
// Builds the npm package in pkg/:
//   cargo (wasm32, size profile) → wasm-bindgen (web + nodejs glue over ONE .wasm)
//   → wasm-opt -Os --converge, then short import/export names → glue renamed to match and
//   minified (esbuild) → entry files, types, package.json → prints raw / gzip / brotli sizes.
// Prerequisites come from scripts/setup.sh (the README's commands run it first).
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { BUDGET, kb, packageSizes } from "./sizes.mjs";
import { bundleGlue } from "./bundle.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = join(root, "pkg");
const out = join(root, "target", "bindgen");
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: "inherit" });

function need(cmd, hint) {
  try {
    execFileSync(cmd, ["--version"], { stdio: "ignore" });
  } catch {
    console.error(`build: '${cmd}' not found. ${hint}`);
    process.exit(1);
  }
}
need("wasm-bindgen", "Run: bash scripts/setup.sh");
// wasm-opt comes from the npm package `binaryen` (a devDependency): Debian's binaryen 108
// rewrites externref tables as anyref, which current engines reject.
const wasmOpt = join(root, "node_modules", ".bin", "wasm-opt");
if (!existsSync(wasmOpt)) {
  console.error("build: node_modules/.bin/wasm-opt not found. Run: bash scripts/setup.sh");
  process.exit(1);
}

run("cargo", ["build", "--release", "--lib", "--target", "wasm32-unknown-unknown", "-p", "ferrochat"]);
const wasm = join(root, "target", "wasm32-unknown-unknown", "release", "ferrochat.wasm");
rmSync(out, { recursive: true, force: true });
for (const target of ["web", "nodejs"]) {
  run("wasm-bindgen", [wasm, "--out-dir", join(out, target), "--target", target, "--weak-refs"]);
}

rmSync(pkg, { recursive: true, force: true });
mkdirSync(pkg, { recursive: true });
// The wasm is the same for both targets (checked here): ship it once, optimised for size.
const web = readFileSync(join(out, "web", "ferrochat_bg.wasm"));
if (!web.equals(readFileSync(join(out, "nodejs", "ferrochat_bg.wasm")))) {
  throw new Error("wasm-bindgen produced different wasm for web and nodejs targets");
}
// -Os --converge compresses better than -Oz (gzip −0.4 KB for 4 s more build). Then the
// imports, exports and the import module get short names: wasm-bindgen's carry a
// 16-hex-digit hash each, which neither gzip nor brotli can squeeze (−3.7 KB gzip over wasm
// and glue together). wasm-opt prints the mapping; renameGlue applies it to the glue.
const features = [
  "--enable-bulk-memory", "--enable-nontrapping-float-to-int", "--enable-sign-ext",
  "--enable-mutable-globals", "--enable-reference-types", "--enable-multivalue",
];
const optimised = join(out, "optimised.wasm");
// --low-memory-unused and --zero-filled-memory let binaryen fold more memory accesses and
// drop zero data (Rust leaves the first KiB unused and memory starts zeroed): −0.7 KB gzip.
run(wasmOpt, [join(out, "web", "ferrochat_bg.wasm"), "-o", optimised, "-Os", "--converge", ...features, "--low-memory-unused", "--zero-filled-memory", "--strip-debug", "--strip-producers", "--strip-target-features"]);
// A separate run: under --converge the minifier would run (and print) once per round.
const mapping = execFileSync(wasmOpt, [optimised, "-o", join(pkg, "ferrochat_bg.wasm"), ...features, "--minify-imports-and-exports-and-modules"], {
  cwd: root,
  encoding: "utf8",
  stdio: ["ignore", "pipe", "inherit"],
});
const renameGlue = glueRenamer(mapping, readFileSync(join(pkg, "ferrochat_bg.wasm")));
// The generated glue and its snippets bundled into one minified file per target, with the
// wasm's short names (scripts/bundle.mjs). The Node file is CommonJS, so the package needs
// no `require` of ES modules.
for (const [target, file, format] of [["web", "ferrochat_web.js", "esm"], ["nodejs", "ferrochat_node.cjs", "cjs"]]) {
  bundleGlue({ dir: join(out, target), outfile: join(pkg, file), format, minify: true, rewrite: renameGlue });
}
// Types: the generated declarations without `[Symbol.dispose]` members (they need the
// esnext.disposable lib, which consumers on older `lib` settings do not have), and with
// `Chat.free()` documented as what finishClasses makes it.
// Types: js/types.d.ts (the hand-written ones), then the `Chat` class wasm-bindgen
// declares, with its constructor private (it only throws: `Chat.init` makes Chats) and
// `free()` documented as what finishClasses makes it.
const generated = readFileSync(join(out, "nodejs", "ferrochat.d.ts"), "utf8")
  .replace(/^\/\* (tslint|eslint)[^\n]*\n/gm, "")
  .replace(/^(\s*)constructor\(\);$/m, "$1private constructor();")
  .replace(
    /^(export class Chat \{\n)(\s*)free\(\): void;\n/m,
    (_, head, indent) =>
      `${head}${indent}/** The same as \`destroy()\` (also what \`[Symbol.dispose]\` does, for \`using\`). */\n${indent}free(): void;\n`,
  );
if (!/The same as `destroy\(\)`/.test(generated)) throw new Error("build: Chat.free() not found in the generated declarations");
if (!/private constructor\(\);/.test(generated)) throw new Error("build: Chat's constructor not found in the generated declarations");
const types = readFileSync(join(root, "js", "types.d.ts"), "utf8") + "\n" + generated;
writeFileSync(join(pkg, "ferrochat.d.ts"), types);
writeFileSync(join(pkg, "ferrochat.d.cts"), types);
for (const f of ["index.cjs", "index.mjs", "browser.js"]) copyFileSync(join(root, "js", f), join(pkg, f));
// The version and the repository come from the workspace's Cargo.toml (one place for both).
const cargo = readFileSync(join(root, "Cargo.toml"), "utf8");
const version = /^version = "([^"]+)"/m.exec(cargo)[1];
const repository = /^repository = "([^"]+)"/m.exec(cargo)[1];
const manifest = JSON.parse(readFileSync(join(root, "js", "package.json"), "utf8"));
manifest.version = version;
manifest.repository = { type: "git", url: `git+${repository}.git` };
manifest.homepage = `${repository}#readme`;
manifest.bugs = { url: `${repository}/issues` };
writeFileSync(join(pkg, "package.json"), JSON.stringify(manifest, null, 2) + "\n");
// The package's README is for npm users (js/README.md); the repository's is for contributors.
copyFileSync(join(root, "js", "README.md"), join(pkg, "README.md"));

/**
 * Returns a function that rewrites wasm-bindgen's glue for the names wasm-opt's
 * --minify-imports-and-exports-and-modules gave: the keys of the imports object, its module
 * key, and every `wasm.<export>`. `printed` is the mapping wasm-opt printed (JSON but for
 * trailing commas); `bytes` the minified wasm, which says the new module name. Throws when a
 * name is not where it is expected, so a wasm-bindgen or binaryen update cannot produce a
 * package whose glue and wasm disagree.
 */
function glueRenamer(printed, bytes) {
  const map = JSON.parse(printed.slice(printed.indexOf("{")).replace(/,(\s*[\]}])/g, "$1"));
  const modules = new Set(WebAssembly.Module.imports(new WebAssembly.Module(bytes)).map((i) => i.module));
  const oldModules = new Set(map.imports.map(([m]) => m));
  if (modules.size !== 1 || oldModules.size !== 1) throw new Error(`build: expected one import module, got ${[...oldModules]} → ${[...modules]}`);
  const [from] = oldModules;
  const [to] = modules;
  const exact = (text, re, expected, what) => {
    const n = (text.match(re) || []).length;
    if (n !== expected) throw new Error(`build: ${what} found ${n} times in the glue, expected ${expected}`);
  };
  return (text) => {
    exact(text, new RegExp(`^\\s+${JSON.stringify(from).replace(/[.]/g, "\\.")}: `, "gm"), 1, `module ${from}`);
    text = text.replace(`${JSON.stringify(from)}: `, () => `${JSON.stringify(to)}: `);
    for (const [, name, short] of map.imports) {
      const key = new RegExp(`^(\\s+)${name}: `, "m");
      exact(text, new RegExp(`\\b${name}\\b`, "g"), 1, `import ${name}`);
      exact(text, new RegExp(key.source, "gm"), 1, `import key ${name}`);
      text = text.replace(key, (_, indent) => `${indent}${short}: `);
    }
    const exports = new Map(map.exports);
    text = text.replace(/\bwasm\.([\w$]+)/g, (use, name) => {
      if (!exports.has(name)) throw new Error(`build: the glue uses ${use}, which the wasm does not export`);
      return `wasm.${exports.get(name)}`;
    });
    return text;
  };
}

// Sizes: what a browser app loads (wasm + web glue + entry), and the Node files.
const report = packageSizes(pkg);
console.log("\npkg/ built. Sizes:");
for (const [name, s] of Object.entries(report)) {
  console.log(`  ${name.padEnd(22)} raw ${kb(s.raw).padStart(9)}   gzip ${kb(s.gzip).padStart(8)}   brotli ${kb(s.brotli).padStart(8)}`);
}
const browserGzip = report["browser (wasm + JS)"].gzip;
const over = browserGzip - BUDGET.budgetGzipKiB * 1024;
console.log(
  `  budget (design.md): browser gzip ${BUDGET.budgetGzipKiB} KB, ` +
    (over > 0 ? `over by ${kb(over)}` : `${kb(-over)} to spare`) +
    `; ratchet ceiling ${BUDGET.ceilingGzipKiB} KB (scripts/size-budget.json)`,
);
writeFileSync(join(out, "sizes.json"), JSON.stringify(report, null, 2));
