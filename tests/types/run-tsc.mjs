// Runs `tsc --noEmit` over each project of this suite, then compiles runtime.ts (NodeNext and
// bundler resolution) and runs the output against pkg/. Every step runs even if an earlier
// one fails; prints the errors and ends with a "N passed, N failed" line.

import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const tsc = require.resolve("typescript/bin/tsc");

const PROJECTS = [
  ["tsconfig.json", "documented signatures, misuse, CJS consumer (strict)"],
  ["tsconfig.examples.json", "the seed pages' examples as written"],
  ["tsconfig.bundler.json", "bundler-resolution consumer"],
  ["tsconfig.es2022.json", "the .d.ts compiles with lib es2022 (no esnext.disposable) and skipLibCheck false"],
];

/** Compiled, then run: [project, its output, what it proves]. */
const RUNTIME = [
  ["tsconfig.runtime.json", "build/nodenext/runtime.js", "runtime.ts (NodeNext) compiles and runs: types = runtime"],
  ["tsconfig.runtime-bundler.json", "build/bundler/runtime.js", "runtime.ts (bundler resolution) compiles and runs"],
];

let passed = 0;
let failed = 0;
/** Runs `args` with node; reports `name: what` as passed or failed with its output. */
function step(name, what, args) {
  const r = spawnSync(process.execPath, args, { encoding: "utf8" });
  const out = `${r.stdout}${r.stderr}`.trim();
  if (r.status === 0) {
    passed += 1;
    console.log(`ok - ${name}: ${what}`);
  } else {
    failed += 1;
    console.log(`not ok - ${name}: ${what}\n${out.replace(/^/gm, "    ")}`);
  }
  return r.status === 0;
}
for (const [project, what] of PROJECTS) step(project, what, [tsc, "--noEmit", "--pretty", "false", "-p", project]);
for (const [project, output, what] of RUNTIME) {
  if (step(project, "compiles (tsc --strict)", [tsc, "--pretty", "false", "-p", project])) step(output, what, [output]);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
