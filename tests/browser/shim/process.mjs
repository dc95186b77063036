// The bits of `process` the suite reads. env comes from the page's query string
// (e.g. ?FERROCHAT_ORIGIN=127.0.0.1:8090), so one bundle serves both backends.
/** Browser events for the process events the suite listens to (uncaught errors). */
const EVENTS = { uncaughtException: "error", unhandledRejection: "unhandledrejection" };
const listeners = new Map();
let added = 0;

export const process = {
  on(event, fn) {
    const name = EVENTS[event];
    if (!name) return;
    const h = (e) => fn(e.error ?? e.reason ?? e);
    listeners.set(++added, { event, fn, name, h });
    globalThis.addEventListener(name, h);
  },
  off(event, fn) {
    for (const [k, l] of listeners) {
      if (l.event === event && l.fn === fn) {
        globalThis.removeEventListener(l.name, l.h);
        listeners.delete(k);
      }
    }
  },
  env: Object.fromEntries(new URLSearchParams(globalThis.location?.search ?? "")),
  pid: 1,
  memoryUsage: () => {
    throw new Error("process.memoryUsage is Node-only");
  },
};
