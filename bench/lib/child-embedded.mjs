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
const result = {
  n,
  createMs,
  createPerSec: n / (createMs / 1000),
  memory: { rssDelta: mem1.rss - mem0.rss, heapUsedDelta: mem1.heapUsed - mem0.heapUsed, externalDelta: mem1.external - mem0.external, wasmBefore: wasm0, wasmAfter: wasm1 },
  queries: results,
};
chat.destroy();
process.send({ type: "result", result }, () => process.exit(0));
