// Tests that need Node itself, skipped in the browser (with the reason printed):
// --expose-gc / process.memoryUsage / node:vm (leak.test.mjs), CommonJS require, and
// Node's util.inspect hook (the package installs it in its Node entry only).
/** Whole files that only make sense in Node: not bundled at all. */
export const NODE_ONLY_FILES = {
  "leak.test.mjs": "Node-only: --expose-gc, v8 flags and process.memoryUsage",
};

export function skipReason(file, name) {
  if (/require\(|CommonJS|CJS/.test(name)) return "Node-only: CommonJS require";
  if (/inspect|console\.log|util\.format/i.test(name)) return "Node-only: util.inspect hook of the Node entry";
  return null;
}
