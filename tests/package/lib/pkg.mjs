// Where the installed ferrochat package is and what its package.json says.

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const HERE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const OUTPUT = path.join(HERE, "test-output");
export const FIXTURES = path.join(HERE, "fixtures");

/** The real directory of node_modules/ferrochat (the file: dependency on ../../pkg). */
export function pkgDir() {
  return fs.realpathSync(path.join(HERE, "node_modules", "ferrochat"));
}

export function pkgJson() {
  return JSON.parse(fs.readFileSync(path.join(pkgDir(), "package.json"), "utf8"));
}

/** The conditions object of exports["."] (or a string). */
export function rootExport(pj = pkgJson()) {
  const e = pj.exports;
  if (e === undefined) return undefined;
  if (typeof e === "string") return e;
  return "." in e ? e["."] : e;
}

/**
 * The browser entry: what a browser/bundler resolves (exports "." with the "browser",
 * "import" and "default" conditions, not "node"), relative to the package directory.
 */
export function browserEntry(pj = pkgJson()) {
  const pick = (v) => {
    if (typeof v === "string") return v;
    if (!v || typeof v !== "object" || Array.isArray(v)) return undefined;
    for (const [cond, target] of Object.entries(v)) {
      if (["browser", "import", "module", "default"].includes(cond)) {
        const r = pick(target);
        if (r && !r.endsWith(".d.ts")) return r;
      }
    }
    return undefined;
  };
  const r = pick(rootExport(pj)) ?? pj.browser ?? pj.module;
  return typeof r === "string" ? r.replace(/^\.\//, "") : undefined;
}

export function ensureOutput() {
  fs.mkdirSync(OUTPUT, { recursive: true });
  return OUTPUT;
}
