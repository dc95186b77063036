// Hostile arguments, as an attacker or a buggy app would pass them: revoked Proxies, getters
// that throw, Proxies whose traps throw, in every position of every method. Each call must
// settle (a Promise within 1 s) with INVALID_ARGUMENT carrying what was thrown as `cause`
// (synchronous methods throw that error), nothing may escape as an uncaught exception, and
// the module must keep working afterwards: a throw unwinding through wasm used to leave its
// state half-changed, and after three such calls every later call hung.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { Chat, User } from "ferrochat";
import { chatConfig, closeChats, openChat, uid } from "./helpers.mjs";

const boom = () => new Error("boom");

/** Values that throw when looked at, each with what it throws (checked as `cause`). */
function hostiles() {
  const revoked = Proxy.revocable({}, {});
  revoked.revoke();
  const thrown = boom();
  // Every key the API reads, as a getter that throws.
  const getterThrows = {};
  for (const key of ["userId", "name", "email", "custom", "filter", "sort", "limit", "page", "next", "prev", "soft", "allowAll", "rate", "concurrency", "onProgress", "signal", "aborted", "addEventListener"]) {
    Object.defineProperty(getterThrows, key, { enumerable: true, get: () => { throw thrown; } });
  }
  const trapsThrow = new Proxy({}, {
    get() { throw thrown; },
    ownKeys() { throw thrown; },
    getPrototypeOf() { throw thrown; },
    has() { throw thrown; },
  });
  const revokedArray = Proxy.revocable([], {});
  revokedArray.revoke();
  return [
    { label: "a revoked Proxy", value: revoked.proxy, cause: TypeError },
    { label: "a revoked Proxy of an array", value: revokedArray.proxy, cause: TypeError },
    { label: "an object whose getters throw", value: getterThrows, cause: thrown },
    { label: "a Proxy whose traps throw", value: trapsThrow, cause: thrown },
  ];
}

/** Objects that hold a hostile value under `key`. */
function nested(key) {
  return hostiles().map((h) => ({ label: `{ ${key}: ${h.label} }`, value: { [key]: h.value }, cause: h.cause }));
}

/** A custom object whose entry getter throws, and one whose keys trap throws. */
function hostileCustom() {
  const thrown = boom();
  const custom = {};
  Object.defineProperty(custom, "a", { enumerable: true, get: () => { throw thrown; } });
  return [
    { label: "custom with a getter that throws", value: { custom }, cause: thrown },
    { label: "custom as a Proxy whose ownKeys throws", value: { custom: new Proxy({}, { ownKeys() { throw thrown; } }) }, cause: thrown },
    ...nested("custom"),
  ];
}

const uncaught = [];
const onUncaught = (e) => uncaught.push(e);
process.on("uncaughtException", onUncaught);
process.on("unhandledRejection", onUncaught);

after(async () => {
  process.off("uncaughtException", onUncaught);
  process.off("unhandledRejection", onUncaught);
  await closeChats();
});

/** Calls `fn`, which must return a Promise that rejects within 1 s with INVALID_ARGUMENT. */
async function settlesInvalid(fn, { cause, label }) {
  let p;
  try {
    p = fn();
  } catch (e) {
    assert.fail(`${label}: threw synchronously instead of rejecting: ${e}`);
  }
  assert.ok(p instanceof Promise, `${label}: no Promise`);
  let timer;
  const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${label}: did not settle within 1 s`)), 1000)));
  let err;
  try {
    await Promise.race([p.then(() => assert.fail(`${label}: resolved`)), timeout]);
  } catch (e) {
    err = e;
  } finally {
    clearTimeout(timer);
  }
  assert.ok(err instanceof Error, `${label}: rejected with ${err}`);
  assert.equal(err.code, "INVALID_ARGUMENT", `${label}: ${err.message}`);
  checkCause(err, cause, label);
}

function checkCause(err, cause, label) {
  if (cause === undefined) return;
  if (typeof cause === "function") assert.ok(err.cause instanceof cause, `${label}: cause ${err.cause}`);
  else assert.equal(err.cause, cause, `${label}: cause is what was thrown`);
}

test("every Promise-returning method rejects hostile arguments with INVALID_ARGUMENT and their cause", async () => {
  const chat = await openChat("hostile");
  const id = uid("victim");
  const user = await chat.createUser(id, { name: "Victim" });
  const calls = [];
  for (const h of hostiles()) {
    calls.push([`Chat.init(${h.label})`, () => Chat.init(h.value), h]);
    calls.push([`getUsers(${h.label})`, () => chat.getUsers(h.value), h]);
    calls.push([`createUser(id, ${h.label})`, () => chat.createUser(uid("h"), h.value), h]);
    calls.push([`updateUser(id, ${h.label})`, () => chat.updateUser(id, h.value), h]);
    calls.push([`user.update(${h.label})`, () => user.update(h.value), h]);
    calls.push([`deleteUser(id, ${h.label})`, () => chat.deleteUser(id, h.value), h]);
    calls.push([`user.delete(${h.label})`, () => user.delete(h.value), h]);
    calls.push([`deleteUsers(${h.label})`, () => chat.deleteUsers(h.value), h]);
    calls.push([`deleteUsers([id], ${h.label})`, () => chat.deleteUsers([uid("none")], h.value), h]);
  }
  for (const h of [...nested("sort"), ...nested("page"), ...hostiles().slice(2)]) {
    calls.push([`getUsers(${h.label})`, () => chat.getUsers(h.value), h]);
  }
  for (const h of hostileCustom()) {
    calls.push([`createUser(id, ${h.label})`, () => chat.createUser(uid("h"), h.value), h]);
    calls.push([`updateUser(id, ${h.label})`, () => chat.updateUser(id, h.value), h]);
  }
  for (const h of nested("signal")) {
    calls.push([`deleteUsers([id], ${h.label})`, () => chat.deleteUsers([uid("none")], h.value), h]);
  }
  // A callback is checked with typeof, which looks at nothing inside: no cause.
  for (const h of nested("onProgress")) {
    calls.push([`deleteUsers([id], ${h.label})`, () => chat.deleteUsers([uid("none")], h.value), { ...h, cause: undefined }]);
  }
  for (const h of hostiles()) {
    const config = { ...chatConfig(uid("cfg")) };
    for (const key of ["origin", "subscribeKey", "ssl"]) {
      calls.push([`Chat.init({ ${key}: ${h.label} })`, () => Chat.init({ ...config, [key]: h.value }), { ...h, cause: undefined }]);
    }
  }
  for (const [label, fn, h] of calls) await settlesInvalid(fn, { cause: h.cause, label });
  assert.deepEqual(uncaught, [], "nothing escaped as an uncaught exception");
  // The module still works: the same Chat, and a new one.
  assert.equal((await chat.getUser(id)).name, "Victim");
  assert.equal((await user.update({ name: "Still here" })).name, "Still here");
  const fresh = await Chat.init(chatConfig(uid("after")));
  assert.ok(fresh.currentUser.id);
  fresh.destroy();
});

test("synchronous methods throw INVALID_ARGUMENT with the cause for hostile arguments", async () => {
  const chat = await openChat("hostile-sync");
  const user = await chat.createUser(uid("victim"), { name: "V" });
  const noop = () => {};
  for (const h of hostiles()) {
    for (const [label, fn] of [
      [`User.streamUpdatesOn(${h.label})`, () => User.streamUpdatesOn(h.value, noop)],
      [`streamUpdates(${h.label})`, () => user.streamUpdates(h.value)],
      [`addConnectionStatusListener(${h.label})`, () => chat.addConnectionStatusListener(h.value)],
    ]) {
      let err;
      try {
        fn();
      } catch (e) {
        err = e;
      }
      assert.ok(err instanceof Error, `${label}: did not throw`);
      assert.equal(err.code, "INVALID_ARGUMENT", `${label}: ${err.message}`);
      // Only a revoked Proxy throws when asked whether it is an array.
      if (label.startsWith("User.streamUpdatesOn") && h.cause === TypeError) checkCause(err, h.cause, label);
    }
  }
  // A Proxy array whose iteration throws is a cause too.
  const thrown = boom();
  const arr = new Proxy([user], { get(t, k) { if (k === "length" || k === Symbol.iterator) throw thrown; return t[k]; } });
  assert.throws(() => User.streamUpdatesOn(arr, noop), (e) => e.code === "INVALID_ARGUMENT" && e.cause === thrown);
  assert.deepEqual(uncaught, []);
  const stop = user.streamUpdates(noop);
  stop();
});

test("a callback that throws is reported, and the stream goes on", async () => {
  const chat = await openChat("hostile-cb");
  const user = await chat.createUser(uid("cb"), { name: "A" });
  const seen = [];
  const original = console.error;
  const reported = [];
  console.error = (...args) => reported.push(args);
  try {
    const stop = user.streamUpdates((u) => {
      seen.push(u.name);
      throw boom();
    });
    await new Promise((r) => setTimeout(r, 200));
    await user.update({ name: "B" });
    await chat.updateUser(user.id, { name: "C" });
    const t0 = Date.now();
    while (seen.length < 2 && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 10));
    stop();
  } finally {
    console.error = original;
  }
  assert.deepEqual(seen, ["B", "C"]);
  assert.ok(reported.length >= 2);
  assert.deepEqual(uncaught, []);
});
