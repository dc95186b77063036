// Fuzz: wrong-typed and random JS values into every method. Each Promise-returning method
// must return a Promise (never throw synchronously); each rejection must be an Error with a
// string `code`; the two synchronous stream methods either return an unsubscribe function or
// throw such an Error. Afterwards the module must still work: a Rust panic (or a trap on a
// stack overflow) poisons the wasm instance, which the sanity checks would catch.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Chat, User } from "ferrochat";
import { chatConfig, uid, openChat, closeChats, describe, NETWORK, collector, captureConsole, waitFor } from "./helpers.mjs";

const SEED = Number(process.env.FUZZ_SEED ?? 0xfe770c4a);
const RANDOM_CASES = Number(process.env.FUZZ_CASES ?? (NETWORK ? 40 : 150));

let chat;
let target; // a user the fuzz may update
let stale; // a User object whose record was hard-deleted
let consoleErrors;

before(async () => {
  chat = await openChat("fuzz");
  target = await chat.createUser(uid("fuzz-target"), { name: "Fuzz Target" });
  stale = await chat.createUser(uid("fuzz-stale"), { name: "Stale" });
  await chat.deleteUser(stale.id);
  consoleErrors = captureConsole("error");
});
after(async () => {
  consoleErrors?.restore();
  await closeChats();
});

// ---- values ----------------------------------------------------------------------------

function nested(depth) {
  let o = { leaf: 1 };
  for (let i = 0; i < depth; i++) o = { a: o };
  return o;
}
function nestedArray(depth) {
  let a = [1];
  for (let i = 0; i < depth; i++) a = [a];
  return a;
}
class Custom {
  constructor() {
    this.name = "class instance";
  }
}

const HUGE = "x".repeat(4 * 1024 * 1024);
const FIXED_VALUES = [
  0, -1, 1.5, -0, NaN, Infinity, -Infinity, 2 ** 53 + 1, Number.MAX_VALUE, Number.MIN_VALUE, 1e300,
  "", " ", "x", "a,b", "a/b", "*", "\u0000", "a\u0000b", "\ud800", "\udfff\ud800", "é".repeat(200), "🙂".repeat(100),
  "x".repeat(92), "x".repeat(93), "x".repeat(100_000), HUGE, "'", '"', "\\", "name == 'a'", "__proto__", "constructor",
  true, false, null, undefined,
  {}, [], [1, 2, 3], [undefined], [null], ["a", "b"], { a: { b: { c: {} } } },
  nested(10), nested(5000), nestedArray(5000),
  () => {}, function named() {}, async () => {}, class K {},
  10n, -(2n ** 70n),
  new Date(0), new Map([["name", "m"]]), new Set([1]), new Uint8Array(8), new ArrayBuffer(4), /re/g, new Error("e"),
  Object.create(null), new Custom(), Promise.resolve(1), new Proxy({}, {}),
  { name: 5 }, { name: "" }, { name: null }, { custom: { a: {} } }, { custom: { a: [] } }, { custom: { a: null } },
  { custom: Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i])) },
  { soft: "yes" }, { soft: 1 }, { soft: null }, { filter: 5 }, { filter: "(".repeat(100_000) }, { filter: "!".repeat(100_000) + "id == 'a'" },
  { limit: "x" }, { limit: -1 }, { limit: 1e9 }, { sort: { name: {} } }, { sort: [] }, { sort: { __proto__: null, name: "asc" } },
  { page: { next: {} } }, { page: { prev: 5 } }, { page: { next: "MTA", prev: "MTA" } }, { page: { next: "////" } },
  { toJSON() { return 1; } }, { valueOf() { return "x"; } }, { then: undefined },
];

function mulberry32(a) {
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = [..."abcXYZ019 _-.,/\\*:'\"()[]!&|=<>LIKE\u0000\u0001\n\t\u007f\u00a0é中🙂\ud800"];
const KEYS = ["name", "externalId", "profileUrl", "email", "custom", "status", "type", "id", "soft", "filter", "sort", "limit", "page", "next", "prev", "userId", "x", ""];

function makeRandom(rand) {
  const pick = (arr) => arr[Math.floor(rand() * arr.length)];
  const str = (max = 40) => {
    const n = Math.floor(rand() * max);
    let s = "";
    for (let i = 0; i < n; i++) s += pick(ALPHABET);
    return s;
  };
  const value = (depth = 0) => {
    const r = rand();
    if (depth > 3 && r > 0.4) return str();
    if (r < 0.15) return pick([0, 1, -1, 0.5, 1e21, -1e-7, NaN, Infinity, 92, 100, 101, Math.floor(rand() * 1e6)]);
    if (r < 0.35) return str(rand() < 0.1 ? 2000 : 40);
    if (r < 0.42) return rand() < 0.5;
    if (r < 0.47) return null;
    if (r < 0.52) return undefined;
    if (r < 0.6) return Array.from({ length: Math.floor(rand() * 4) }, () => value(depth + 1));
    if (r < 0.9) {
      const o = {};
      const n = Math.floor(rand() * 5);
      for (let i = 0; i < n; i++) o[rand() < 0.7 ? pick(KEYS) : str(8)] = value(depth + 1);
      return o;
    }
    if (r < 0.95) return () => str();
    return BigInt(Math.floor(rand() * 1000));
  };
  return value;
}

// ---- targets ---------------------------------------------------------------------------

const isPlainObject = (v) => typeof v === "object" && v !== null && !Array.isArray(v) && [Object.prototype, null].includes(Object.getPrototypeOf(v));
const isPrimitiveNonNull = (v) => ["string", "number", "boolean", "bigint", "symbol"].includes(typeof v);
const freshId = () => uid("fz");
const noop = () => {};

/** [label, call(v), mustReject(v)] for the Promise-returning methods. */
const ASYNC_TARGETS = [
  ["Chat.init(v)", (v) => Chat.init(v), (v) => !isPlainObject(v) || typeof v.userId !== "string"],
  ["Chat.init({ userId: v })", (v) => Chat.init({ ...chatConfig("x"), userId: v }), (v) => typeof v !== "string"],
  ["chat.getUser(v)", (v) => chat.getUser(v), (v) => typeof v !== "string"],
  ["chat.createUser(v, data)", (v) => chat.createUser(typeof v === "string" ? `${freshId()}${v}` : v, { name: "fz" }), (v) => typeof v !== "string"],
  ["chat.createUser(id, v)", (v) => chat.createUser(freshId(), v), (v) => v === undefined || v === null || isPrimitiveNonNull(v) || Array.isArray(v) || typeof v === "function"],
  ["chat.updateUser(v, data)", (v) => chat.updateUser(v, { name: "fz" }), (v) => typeof v !== "string"],
  ["chat.updateUser(id, v)", (v) => chat.updateUser(target.id, v), (v) => v === undefined || v === null || isPrimitiveNonNull(v) || Array.isArray(v) || typeof v === "function"],
  ["chat.deleteUser(v)", (v) => chat.deleteUser(typeof v === "string" ? `${freshId()}${v}` : v), (v) => typeof v !== "string"],
  ["chat.deleteUser(unknown, v)", (v) => chat.deleteUser(freshId(), v), (v) => isPrimitiveNonNull(v) || typeof v === "function"],
  ["chat.getUsers(v)", (v) => chat.getUsers(v), (v) => isPrimitiveNonNull(v) || typeof v === "function"],
  ["chat.getUsers({ filter: v })", (v) => chat.getUsers({ filter: v, limit: 1 }), (v) => v !== undefined && v !== null && typeof v !== "string"],
  ["chat.getUsers({ sort: v })", (v) => chat.getUsers({ sort: v, limit: 1 }), (v) => isPrimitiveNonNull(v) || typeof v === "function"],
  ["chat.getUsers({ limit: v })", (v) => chat.getUsers({ limit: v }), (v) => v !== undefined && v !== null && !(Number.isInteger(v) && v >= 0 && v <= 100)],
  ["chat.getUsers({ page: v })", (v) => chat.getUsers({ page: v, limit: 1 }), (v) => isPrimitiveNonNull(v) || typeof v === "function"],
  ["chat.getUsers({ page: { next: v } })", (v) => chat.getUsers({ page: { next: v }, limit: 1 }), (v) => v !== undefined && v !== null && typeof v !== "string"],
  ["chat.getUsers({ page: { prev: v } })", (v) => chat.getUsers({ page: { prev: v }, limit: 1 }), (v) => v !== undefined && v !== null && typeof v !== "string"],
  ["user.update(v)", (v) => target.update(v), (v) => v === undefined || v === null || isPrimitiveNonNull(v) || Array.isArray(v) || typeof v === "function"],
  ["staleUser.delete(v)", (v) => stale.delete(v), (v) => isPrimitiveNonNull(v) || typeof v === "function"],
  ["staleUser.update(v)", (v) => stale.update(v), () => true],
];

/** [label, call(v)] for the synchronous stream methods. */
const SYNC_TARGETS = [
  ["user.streamUpdates(v)", (v) => target.streamUpdates(v)],
  ["User.streamUpdatesOn(v, cb)", (v) => User.streamUpdatesOn(v, noop)],
  ["User.streamUpdatesOn([user], v)", (v) => User.streamUpdatesOn([target], v)],
  ["User.streamUpdatesOn(v, v)", (v) => User.streamUpdatesOn(v, v)],
];

async function probeAsync(label, call, mustReject, v, failures) {
  const what = `${label} with v = ${describe(v)}`;
  let p;
  try {
    p = call(v);
  } catch (err) {
    failures.push(`${what}: threw synchronously: ${err && err.name}: ${err && err.message}`);
    return;
  }
  if (!p || typeof p.then !== "function") {
    failures.push(`${what}: did not return a Promise (got ${describe(p)})`);
    return;
  }
  let resolved;
  try {
    resolved = await p;
  } catch (err) {
    if (!(err instanceof Error)) failures.push(`${what}: rejected with a non-Error: ${describe(err)}`);
    else if (typeof err.code !== "string") failures.push(`${what}: Error without a string code: ${err.name}: ${err.message}`);
    return;
  }
  if (mustReject(v)) failures.push(`${what}: resolved (${describe(resolved)}) but a wrong-typed argument must reject`);
  if (resolved instanceof Chat && typeof resolved.destroy === "function") {
    try {
      await resolved.destroy();
    } catch {
      // best effort
    }
  }
}

function probeSync(label, call, v, failures) {
  const what = `${label} with v = ${describe(v)}`;
  let r;
  try {
    r = call(v);
  } catch (err) {
    if (!(err instanceof Error)) failures.push(`${what}: threw a non-Error: ${describe(err)}`);
    else if (typeof err.code !== "string") failures.push(`${what}: threw an Error without a string code: ${err.name}: ${err.message}`);
    return;
  }
  if (typeof r !== "function") {
    failures.push(`${what}: returned ${describe(r)}, expected an unsubscribe function or a thrown Error`);
    return;
  }
  try {
    r();
    r();
  } catch (err) {
    failures.push(`${what}: the unsubscribe function threw: ${err && err.message}`);
  }
}

async function sanity(label) {
  const got = await chat.getUser(target.id);
  assert.ok(got instanceof User, `after ${label}: getUser must still work`);
  const u = await chat.createUser(uid("fz-sane"), { name: "Sane" });
  assert.equal(u.name, "Sane", `after ${label}: createUser must still work`);
}

function report(failures) {
  if (failures.length) {
    const shown = failures.slice(0, 25).join("\n  ");
    assert.fail(`${failures.length} fuzz failure(s):\n  ${shown}${failures.length > 25 ? "\n  ..." : ""}`);
  }
}

for (const [label, call, mustReject] of ASYNC_TARGETS) {
  test(`fuzz ${label}: fixed values`, async () => {
    const failures = [];
    for (const v of FIXED_VALUES) await probeAsync(label, call, mustReject, v, failures);
    await sanity(label);
    report(failures);
  });
}

for (const [label, call] of SYNC_TARGETS) {
  test(`fuzz ${label}: fixed values`, async () => {
    const failures = [];
    for (const v of FIXED_VALUES) probeSync(label, call, v, failures);
    await sanity(label);
    report(failures);
  });
}

test(`fuzz: ${RANDOM_CASES} random values into every method (seed ${SEED})`, async () => {
  const value = makeRandom(mulberry32(SEED));
  const failures = [];
  for (let i = 0; i < RANDOM_CASES; i++) {
    for (const [label, call, mustReject] of ASYNC_TARGETS) {
      await probeAsync(label, call, mustReject, value(), failures);
    }
    for (const [label, call] of SYNC_TARGETS) probeSync(label, call, value(), failures);
    // also random multi-argument calls
    await probeAsync("chat.createUser(v, v)", (v) => chat.createUser(typeof v === "string" ? `${uid("fz")}${v}` : v, value()), () => false, value(), failures);
    await probeAsync("chat.deleteUser(v, v)", (v) => chat.deleteUser(typeof v === "string" ? `${uid("fz")}${v}` : v, value()), () => false, value(), failures);
  }
  await sanity("random fuzz");
  report(failures);
});

test("no Rust panic was reported during the fuzz", () => {
  const panics = consoleErrors.calls.filter((args) => args.some((a) => /panicked|RuntimeError|unreachable/i.test(String(a && a.message ? a.message : a))));
  assert.deepEqual(panics.map((a) => a.map(String).join(" ").slice(0, 300)), []);
});

test("after the fuzz the module still works end to end (create, list, stream)", async () => {
  consoleErrors.restore();
  const c2 = await openChat("fz-after");
  const u = await chat.createUser(uid("fz-end"), { name: "End", custom: { ok: true } });
  const listed = await c2.getUsers({ filter: `id == '${u.id}'` });
  assert.equal(listed.users.length, 1);
  const c = collector();
  const stop = u.streamUpdates(c.cb);
  try {
    await waitFor(async () => {
      if (c.calls.length) return true;
      await c2.updateUser(u.id, { name: `End ${Math.random()}` });
      await new Promise((r) => setTimeout(r, NETWORK ? 1000 : 50));
      return c.calls.length > 0;
    });
    assert.match(c.calls[0].name, /^End /);
  } finally {
    stop();
  }
});
