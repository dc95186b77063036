// Runs `tsc --noEmit` over each project of this suite (every one runs even if an earlier one
// fails), prints the errors, and ends with a "N passed, N failed" line.

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

let passed = 0;
let failed = 0;
for (const [project, what] of PROJECTS) {
  const r = spawnSync(process.execPath, [tsc, "--noEmit", "--pretty", "false", "-p", project], { encoding: "utf8" });
  const out = `${r.stdout}${r.stderr}`.trim();
  if (r.status === 0) {
    passed += 1;
    console.log(`ok - ${project}: ${what}`);
  } else {
    failed += 1;
    console.log(`not ok - ${project}: ${what}\n${out.replace(/^/gm, "    ")}`);
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
