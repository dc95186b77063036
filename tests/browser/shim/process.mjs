// The bits of `process` the suite reads. env comes from the page's query string
// (e.g. ?FERROCHAT_ORIGIN=127.0.0.1:8090), so one bundle serves both backends.
export const process = {
  env: Object.fromEntries(new URLSearchParams(globalThis.location?.search ?? "")),
  pid: 1,
  memoryUsage: () => {
    throw new Error("process.memoryUsage is Node-only");
  },
};
