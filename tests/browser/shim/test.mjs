// A browser stand-in for the part of node:test the suite uses: test(name, [options], fn),
// before/after hooks per file, t.skip(). Tests run in registration order, one at a time,
// grouped by the file that registered them (each file's hooks wrap its own tests, as
// node --test's one-process-per-file does).
const files = [];
let current = null;

/** Starts collecting the registrations of test file `name` (called by the entry). */
export function beginFile(name) {
  current = { name, tests: [], before: [], after: [] };
  files.push(current);
}

export function test(name, options, fn) {
  if (typeof options === "function") [options, fn] = [{}, options];
  current.tests.push({ name, options: options ?? {}, fn });
}
export const it = test;
export function before(fn) {
  current.before.push(fn);
}
export function after(fn) {
  current.after.push(fn);
}

const TIMEOUT_MS = 60_000;
function withTimeout(promise, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Runs everything; `skip(file, name)` returns a reason to skip a Node-only test, or null. */
export async function runAll(skip) {
  globalThis.__started = true;
  const results = [];
  for (const file of files) {
    let hookError = null;
    for (const h of file.before) {
      try {
        await withTimeout(Promise.resolve().then(h), `${file.name}: before`);
      } catch (e) {
        hookError = e;
      }
    }
    for (const t of file.tests) {
      const reason = skip(file.name, t.name) ?? (t.options.skip ? String(t.options.skip) : null);
      if (reason) {
        results.push({ file: file.name, name: t.name, status: "skip", reason });
        continue;
      }
      if (hookError) {
        results.push({ file: file.name, name: t.name, status: "fail", error: `before hook: ${hookError}` });
        continue;
      }
      let skipped = null;
      const ctx = { name: t.name, skip: (msg) => { skipped = msg ?? "skipped"; }, diagnostic: () => {} };
      const started = performance.now();
      try {
        await withTimeout(Promise.resolve().then(() => t.fn(ctx)), t.name);
        results.push({ file: file.name, name: t.name, status: skipped ? "skip" : "pass", reason: skipped, ms: performance.now() - started });
      } catch (e) {
        results.push({ file: file.name, name: t.name, status: "fail", error: `${e?.stack ?? e}` });
      }
    }
    for (const h of file.after) {
      try {
        await withTimeout(Promise.resolve().then(h), `${file.name}: after`);
      } catch (e) {
        results.push({ file: file.name, name: "after hook", status: "fail", error: `${e}` });
      }
    }
  }
  return results;
}
