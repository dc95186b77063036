// Embedded backend alone: creates N users in ferrochat's embedded store (no server), then
// times getUsers queries with filters. argv: n iterations
import { load, captureWasmMemory } from "./sdk.mjs";
import { summary } from "./stats.mjs";

const n = Number(process.argv[2]);
const iterations = Number(process.argv[3]);
const wasmBytes = captureWasmMemory();
const { Chat } = await load("ferrochat");
const chat = await Chat.init({ userId: "bench-admin" });
const teams = ["red", "blue", "green", "gold"];
globalThis.gc?.();
const mem0 = process.memoryUsage();
const wasm0 = wasmBytes();
let t = performance.now();
for (let i = 0; i < n; i += 1000) {
  const batch = [];
  for (let j = i; j < Math.min(n, i + 1000); j++) {
    batch.push(
      chat.createUser(`emb-${String(j).padStart(6, "0")}`, {
        name: `User ${j}`,
        email: `u${j}@example.com`,
        custom: { team: teams[j % 4], level: j % 10 },
      }),
    );
  }
  await Promise.all(batch);
}
const createMs = performance.now() - t;
globalThis.gc?.();
const mem1 = process.memoryUsage();
const wasm1 = wasmBytes();

// Each query: what it asks, and the params. All return at most 100 users (one page).
const queries = [
  { name: "custom filter (10% match, && of two custom fields)", params: { filter: "custom.team == 'red' && custom.level == 4", limit: 100 } },
  { name: "LIKE prefix on name (11 match)", params: { filter: "name LIKE 'User 4242*'", limit: 100 } },
  { name: "id equality (1 match)", params: { filter: "id == 'emb-050000'", limit: 100 } },
  { name: "custom filter + sort name desc (25% match)", params: { filter: "custom.team == 'blue'", sort: { name: "desc" }, limit: 100 } },
  { name: "no filter (first page, default sort)", params: { limit: 100 } },
];
const results = [];
for (const q of queries) {
  const r0 = await chat.getUsers(q.params);
  for (let w = 0; w < 3; w++) await chat.getUsers(q.params); // warm-up
  const lat = [];
  for (let k = 0; k < iterations; k++) {
    t = performance.now();
    await chat.getUsers(q.params);
    lat.push(performance.now() - t);
  }
  results.push({ name: q.name, params: q.params, returned: r0.users.length, total: r0.total, latencyMs: summary(lat) });
}
/**
 * What typed errors with the caller's stack cost per call, in µs: the package's own
 * finishClasses (js/user.js wrapAsync) on a stand-in class whose methods settle at once,
 * rejecting with makeRejection's error (no stack; the wrapper captures the caller's),
 * against the same methods unwrapped rejecting with a ChatError made with its stack (what
 * a rejection cost before). Interleaved blocks; the median block.
 */
async function wrapperCost() {
  const { ChatError, makeRejection, finishClasses } = await import("../../js/user.js");
  class Plain {}
  class Wrapped {}
  Plain.prototype.getUser = async () => 1;
  Plain.prototype.createUser = async () => {
    throw new ChatError("ID is required", "ID_REQUIRED");
  };
  Wrapped.prototype.getUser = Plain.prototype.getUser;
  Wrapped.prototype.createUser = async () => {
    throw makeRejection("ID is required", "ID_REQUIRED");
  };
  for (const c of [Plain, Wrapped]) {
    c.prototype.destroy = () => {};
    for (const m of ["updateUser", "deleteUser", "restoreUser", "getUserByEmail", "getUserByExternalId", "deleteUsers", "getUsers", "__update"]) c.prototype[m] = c.prototype.getUser;
    c.init = async () => new c();
  }
  finishClasses(Wrapped);
  const block = 20_000;
  const time = async (obj, name) => {
    const t0 = performance.now();
    for (let i = 0; i < block; i++) {
      try {
        await obj[name]("x");
      } catch {}
    }
    return ((performance.now() - t0) * 1000) / block;
  };
  const plain = new Plain();
  const wrapped = new Wrapped();
  const out = { resolved: [], rejected: [] };
  for (let round = 0; round < 15; round++) {
    out.resolved.push((await time(wrapped, "getUser")) - (await time(plain, "getUser")));
    out.rejected.push((await time(wrapped, "createUser")) - (await time(plain, "createUser")));
  }
  return { resolvedUs: summary(out.resolved), rejectedUs: summary(out.rejected) };
}

const result = {
  n,
  wrapper: await wrapperCost(),
  createMs,
  createPerSec: n / (createMs / 1000),
  memory: { rssDelta: mem1.rss - mem0.rss, heapUsedDelta: mem1.heapUsed - mem0.heapUsed, externalDelta: mem1.external - mem0.external, wasmBefore: wasm0, wasmAfter: wasm1 },
  queries: results,
};
chat.destroy();
process.send({ type: "result", result }, () => process.exit(0));
