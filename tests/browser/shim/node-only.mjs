// node:module, node:vm and node:v8 have no browser equivalent; the tests that use them are skipped.
export function createRequire() {
  return () => {
    throw new Error("require() is Node-only");
  };
}
export default {};
