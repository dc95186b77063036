// Leak test (run with --expose-gc): 5,000 subscribe/unsubscribe cycles and 5,000 dropped User
// objects must not grow memory without bound.
//
// Three independent signals, each with generous margins and no timing asserts:
//  * wasm linear memory (captured by wrapping WebAssembly.Instance/instantiate before the
//    package loads): after a warm-up batch, a second identical batch must not grow it by
//    more than a few MiB (the users carry ~2 KiB of custom data, so leaking one user copy or
//    one subscription record per cycle would grow it by 10+ MiB);
//  * JS: callbacks / Users are registered in a FinalizationRegistry, and at least 90% of
//    them must be collected after unsubscribe/drop (a leaked Closure, a table entry that is
//    never freed, or a User kept by the SDK keeps them alive);
//  * process.memoryUsage(): heapUsed / rss growth of the second batch below wide bounds.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import v8 from "node:v8";
import vm from "node:vm";

// ---- capture the wasm memory before ferrochat is loaded --------------------------------
const memories = new Set();
function capture(instance) {
  if (!instance || !instance.exports) return;
  for (const v of Object.values(instance.exports)) if (v instanceof WebAssembly.Memory) memories.add(v);
}
const OrigInstance = WebAssembly.Instance;
WebAssembly.Instance = new Proxy(OrigInstance, {
  construct(target, args, newTarget) {
    const inst = Reflect.construct(target, args, newTarget === WebAssembly.Instance ? target : newTarget);
    capture(inst);
    return inst;
  },
});
for (const name of ["instantiate", "instantiateStreaming"]) {
  const orig = WebAssembly[name];
  if (typeof orig !== "function") continue;
  WebAssembly[name] = async function (...args) {
    const r = await orig.apply(this, args);
    capture(r instanceof OrigInstance ? r : r.instance);
    return r;
  };
}

const { Chat, User } = await import("ferrochat");
const { uid, openChat, closeChats, collector, waitFor, NETWORK, chatConfig } = await import("./helpers.mjs");

let gc = globalThis.gc;
if (typeof gc !== "function") {
  v8.setFlagsFromString("--expose-gc");
  gc = vm.runInNewContext("gc");
}

// 5,000 per batch on the embedded store; a network server gets fewer round trips.
const CYCLES = NETWORK ? 1000 : 5000;
const BIG = "x".repeat(2048);

let chat;
let big; // a user with ~2 KiB of custom data
let list; // 20 such users
before(async () => {
  chat = await openChat("leak");
  big = await chat.createUser(uid("leak-big"), { name: "Big", custom: { blob: BIG } });
  list = [];
  for (let i = 0; i < 20; i++) list.push(await chat.createUser(uid("leak-l"), { name: `L${i}`, custom: { blob: BIG } }));
});
after(closeChats);

const tick = () => new Promise((r) => setImmediate(r));

async function settle() {
  for (let i = 0; i < 8; i++) {
    gc();
    await tick();
    await new Promise((r) => setTimeout(r, 5));
  }
}

function wasmBytes() {
  let n = 0;
  for (const m of memories) n += m.buffer.byteLength;
  return n;
}

function snapshot() {
  const m = process.memoryUsage();
  return { wasm: wasmBytes(), heapUsed: m.heapUsed, rss: m.rss };
}

const MiB = 1024 * 1024;
function fmt(s) {
  return `wasm ${(s.wasm / MiB).toFixed(1)} MiB, heapUsed ${(s.heapUsed / MiB).toFixed(1)} MiB, rss ${(s.rss / MiB).toFixed(1)} MiB`;
}

/** Runs batches and asserts the second (post warm-up) batch is flat. */
async function assertFlat(label, batch) {
  // Warm-up with a full batch: dropped Users free their wasm memory only when the JS GC
  // finalizes them, so one batch's worth may be live at once (the high-water mark).
  await batch(CYCLES);
  await settle();
  const s0 = snapshot();
  await batch(CYCLES);
  await settle();
  const s1 = snapshot();
  await batch(CYCLES);
  await settle();
  const s2 = snapshot();
  const msg = `${label}\n  after warm-up: ${fmt(s0)}\n  after batch 1: ${fmt(s1)}\n  after batch 2: ${fmt(s2)}`;
  if (memories.size > 0) {
    assert.ok(s2.wasm - s1.wasm <= 4 * MiB, `wasm memory grew by ${((s2.wasm - s1.wasm) / MiB).toFixed(1)} MiB in the second batch of ${CYCLES}\n${msg}`);
    assert.ok(s2.wasm - s0.wasm <= 8 * MiB, `wasm memory grew by ${((s2.wasm - s0.wasm) / MiB).toFixed(1)} MiB over ${2 * CYCLES}\n${msg}`);
  }
  assert.ok(s2.heapUsed - s1.heapUsed <= 16 * MiB, `JS heap grew by ${((s2.heapUsed - s1.heapUsed) / MiB).toFixed(1)} MiB\n${msg}`);
  assert.ok(s2.rss - s1.rss <= 96 * MiB, `rss grew by ${((s2.rss - s1.rss) / MiB).toFixed(1)} MiB\n${msg}`);
  return { s0, s1, s2 };
}

/** Registers values and counts how many were collected. */
function tracker() {
  let collected = 0;
  let registered = 0;
  const reg = new FinalizationRegistry(() => {
    collected += 1;
  });
  return {
    track(v) {
      registered += 1;
      reg.register(v, null);
    },
    get collected() {
      return collected;
    },
    get registered() {
      return registered;
    },
  };
}

async function settleUntil(tr, fraction) {
  for (let i = 0; i < 30 && tr.collected < tr.registered * fraction; i++) await settle();
}

test("the wasm memory was found (for the wasm growth check)", () => {
  assert.ok(typeof gc === "function");
  assert.ok(memories.size > 0, "could not capture the wasm memory: only JS-side measures are used");
});

test(`${CYCLES} streamUpdates / streamUpdatesOn subscribe+unsubscribe cycles do not leak`, async () => {
  const batch = async (n) => {
    for (let i = 0; i < n; i++) {
      const stop = big.streamUpdates(() => {});
      stop();
      const stopList = User.streamUpdatesOn(list, () => {});
      stopList();
      if (i % 250 === 0) await tick();
    }
  };
  await assertFlat("subscribe/unsubscribe", batch);
  // and streaming still works afterwards
  const c = collector();
  const stop = big.streamUpdates(c.cb);
  try {
    await waitFor(async () => {
      if (c.calls.length) return true;
      await chat.updateUser(big.id, { name: `Big ${Math.random().toString(36).slice(2, 7)}` });
      await new Promise((r) => setTimeout(r, NETWORK ? 1000 : 30));
      return c.calls.length > 0;
    });
  } finally {
    stop();
  }
});

test("unsubscribed callbacks are released (FinalizationRegistry)", async () => {
  const tr = tracker();
  for (let i = 0; i < CYCLES; i++) {
    const cb = () => i; // a distinct closure per cycle
    tr.track(cb);
    const stop = i % 2 ? big.streamUpdates(cb) : User.streamUpdatesOn(list, cb);
    stop();
    if (i % 250 === 0) await tick();
  }
  await settleUntil(tr, 0.9);
  assert.ok(
    tr.collected >= tr.registered * 0.9,
    `only ${tr.collected} of ${tr.registered} unsubscribed callbacks were garbage-collected: the SDK keeps them alive`,
  );
});

test(`${CYCLES} dropped User objects do not leak`, async () => {
  const batch = async (n) => {
    for (let i = 0; i < n; i++) {
      const u = await chat.getUser(big.id);
      if (u.custom.blob.length !== BIG.length) throw new Error("unexpected custom");
    }
  };
  await assertFlat("dropped getUser results", batch);
});

test(`${CYCLES} dropped User objects from getUsers pages do not leak`, async () => {
  const filter = `id LIKE '${list[0].id.split("-").slice(0, 3).join("-")}-*'`;
  const batch = async (n) => {
    for (let i = 0; i < n / 20; i++) {
      const r = await chat.getUsers({ filter, limit: 20 });
      if (r.users.length === 0) throw new Error("no users listed");
    }
  };
  await assertFlat("dropped getUsers results", batch);
});

test("dropped Users are garbage-collected (FinalizationRegistry)", async () => {
  const tr = tracker();
  for (let i = 0; i < CYCLES; i++) {
    const u = await chat.getUser(big.id);
    tr.track(u);
  }
  await settleUntil(tr, 0.9);
  assert.ok(tr.collected >= tr.registered * 0.9, `only ${tr.collected} of ${tr.registered} dropped Users were collected`);
});

test("Users dropped in a loop that never yields to the event loop do not pile up", async () => {
  // On the embedded backend every Promise settles in a microtask, so `for (...) await
  // chat.getUsers(...)` never gives the event loop a turn, and no finalizer runs in it.
  // When a User's data lived in wasm memory (freed by a finalizer), such a loop kept every
  // page alive: ~2 KiB of wasm memory per user here. Users are plain JS objects now, which
  // a GC frees by itself.
  const filter = `id LIKE '${list[0].id.split("-").slice(0, 3).join("-")}-*'`;
  const pages = NETWORK ? 150 : 1500; // 20 users each: 30,000 on the embedded store
  gc();
  const h0 = v8.getHeapStatistics().used_heap_size;
  const w0 = wasmBytes();
  for (let i = 0; i < pages; i++) {
    const r = await chat.getUsers({ filter, limit: 20 });
    if (r.users.length === 0) throw new Error("no users listed");
  }
  gc(); // synchronous: still inside the loop's run of microtasks
  const heap = (v8.getHeapStatistics().used_heap_size - h0) / MiB;
  const grown = (wasmBytes() - w0) / MiB;
  // Kept alive, the 30,000 users would hold ~60 MiB (their custom data alone).
  assert.ok(grown < 8, `wasm memory grew ${grown.toFixed(1)} MiB over the loop`);
  assert.ok(heap < 16, `the JS heap kept ${heap.toFixed(1)} MiB after the loop and a GC`);
});

test("callbacks that received Users are released too (events delivered, then unsubscribed)", async () => {
  const tr = tracker();
  const keepWarm = big.streamUpdates(() => {}); // keeps the channel subscribed (network backend)
  for (let i = 0; i < 200; i++) {
    const c = collector();
    tr.track(c.cb);
    const stop = big.streamUpdates(c.cb);
    await chat.updateUser(big.id, { name: `Big ${i}` });
    await c.waitCalls(1);
    stop();
  }
  keepWarm();
  await settleUntil(tr, 0.9);
  assert.ok(tr.collected >= tr.registered * 0.9, `only ${tr.collected} of ${tr.registered} callbacks were collected`);
});

test("dropped Chat objects (2,000 Chat.init for one userId) do not leak", async () => {
  const userId = uid("leak-chat");
  const tr = tracker();
  const batch = async (n) => {
    for (let i = 0; i < n / 2.5; i++) {
      const c = await Chat.init(chatConfig(userId));
      tr.track(c);
    }
  };
  await assertFlat("dropped Chats", batch);
  await settleUntil(tr, 0.9);
  assert.ok(tr.collected >= tr.registered * 0.9, `only ${tr.collected} of ${tr.registered} dropped Chats were collected`);
});
