// Builds www/dist: the app's own files plus the ferrochat browser files, copied from the
// installed package (node_modules/ferrochat, i.e. `file:../pkg`) exactly as an app would ship them.
//   node build.mjs            (npm run build)
import { cpSync, existsSync, mkdirSync, rmSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, "dist");
const pkgDir = path.join(here, "node_modules", "ferrochat");
const VENDOR_FILES = ["browser.js", "ferrochat_web.js", "ferrochat_bg.wasm"];
const APP_FILES = ["index.html", "app.js", "style.css", "avatars"];

if (!existsSync(path.join(pkgDir, "package.json"))) {
  console.error("www/build: node_modules/ferrochat is missing: run `npm install` in www/ (and build pkg/ first)");
  process.exit(1);
}
for (const f of VENDOR_FILES) {
  if (!existsSync(path.join(pkgDir, f))) {
    console.error(`www/build: ferrochat package has no ${f}: build it with \`node scripts/build.mjs\` at the repo root`);
    process.exit(1);
  }
}

rmSync(dist, { recursive: true, force: true });
mkdirSync(path.join(dist, "vendor", "ferrochat"), { recursive: true });
for (const f of VENDOR_FILES) cpSync(path.join(pkgDir, f), path.join(dist, "vendor", "ferrochat", f));
for (const f of APP_FILES) cpSync(path.join(here, f), path.join(dist, f), { recursive: true });

const version = JSON.parse(readFileSync(path.join(pkgDir, "package.json"), "utf8")).version;
console.log(`www/build: dist/ ready (ferrochat ${version})`);
