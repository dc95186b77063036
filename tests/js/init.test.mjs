// Chat.init, the Chat constructor, currentUser, module shape.

import { test, after } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { Chat, User } from "ferrochat";
import { chatConfig, uid, openChat, closeChats, rejects, callAsync, assertCodedError, waitFor, NETWORK } from "./helpers.mjs";

after(closeChats);

test("the package exports the classes Chat and User", () => {
  assert.equal(typeof Chat, "function");
  assert.equal(typeof User, "function");
  assert.equal(typeof Chat.init, "function");
  assert.equal(typeof User.streamUpdatesOn, "function");
  assert.equal(Chat.name, "Chat", "the minified glue keeps the class names");
  assert.equal(User.name, "User");
});

test("ESM import and CJS require share one module instance", async () => {
  const require = createRequire(import.meta.url);
  const cjs = require("ferrochat");
  assert.equal(cjs.Chat, Chat, "require('ferrochat').Chat must be the same class as the ESM import");
  assert.equal(cjs.User, User);
  // and therefore one embedded store: a user created through one is seen through the other
  if (!process.env.FERROCHAT_ORIGIN) {
    const a = await Chat.init(chatConfig(uid("esm")));
    const b = await cjs.Chat.init(chatConfig(uid("cjs")));
    const id = uid("shared");
    await a.createUser(id, { name: "Shared" });
    const seen = await b.getUser(id);
    assert.ok(seen, "user created via the ESM Chat must be visible via the CJS Chat");
    assert.equal(seen.name, "Shared");
  }
});

test("new Chat() throws an Error pointing to Chat.init", () => {
  assert.throws(
    () => new Chat(),
    (err) => {
      assert.ok(err instanceof Error, "must throw an Error");
      assert.match(err.message, /Chat\.init/, "the message must point to Chat.init");
      return true;
    },
  );
});

test("Chat.init creates the current user when missing, with name = userId", async () => {
  const userId = uid("init-new");
  const chat = await callAsync(() => Chat.init(chatConfig(userId)), "Chat.init");
  assert.ok(chat instanceof Chat, "Chat.init resolves a Chat");
  const me = chat.currentUser;
  assert.ok(me instanceof User, "chat.currentUser is a User");
  assert.equal(me.id, userId);
  assert.equal(me.name, userId);
  const stored = await chat.getUser(userId);
  assert.ok(stored, "the current user was stored");
  assert.equal(stored.name, userId);
});

test("Chat.init fetches an existing current user instead of overwriting it", async () => {
  const admin = await openChat("init-admin");
  const userId = uid("init-existing");
  await admin.createUser(userId, { name: "Existing Name", email: "e@example.com", custom: { a: 1 } });
  const chat = await openChat("unused", { exactId: userId });
  assert.equal(chat.currentUser.id, userId);
  assert.equal(chat.currentUser.name, "Existing Name");
  assert.equal(chat.currentUser.email, "e@example.com");
  assert.deepEqual({ ...chat.currentUser.custom }, { a: 1 });
});

test("two concurrent Chat.init for one new userId both succeed", async () => {
  const userId = uid("init-race");
  const [a, b] = await Promise.all([openChat("x", { exactId: userId }), openChat("x", { exactId: userId })]);
  assert.equal(a.currentUser.id, userId);
  assert.equal(b.currentUser.id, userId);
  assert.equal(a.currentUser.name, userId);
  assert.equal(b.currentUser.name, userId);
});

test("currentUser is the same snapshot on each read and stays a User", async () => {
  const chat = await openChat("init-cu");
  const a = chat.currentUser;
  const b = chat.currentUser;
  assert.ok(a instanceof User && b instanceof User);
  assert.equal(a.id, b.id);
});

test("Chat.init({}) rejects with ID_REQUIRED", async () => {
  await rejects(() => Chat.init({}), { code: "ID_REQUIRED", message: "ID is required", label: "Chat.init({})" });
});

test("Chat.init with an empty userId rejects with ID_REQUIRED", async () => {
  await rejects(() => Chat.init(chatConfig("")), { code: "ID_REQUIRED", message: "ID is required" });
});

test("Chat.init with userId undefined / null rejects with ID_REQUIRED", async () => {
  await rejects(() => Chat.init({ userId: undefined }), { code: "ID_REQUIRED", message: "ID is required" });
  await rejects(() => Chat.init({ userId: null }), { code: "ID_REQUIRED", message: "ID is required" });
});

test("Chat.init without any config rejects (never throws) with a coded Error", async () => {
  for (const cfg of [undefined, null]) {
    const err = await rejects(() => Chat.init(cfg), { label: `Chat.init(${cfg})` });
    assert.ok(["ID_REQUIRED", "INVALID_ARGUMENT"].includes(err.code), `unexpected code ${err.code}`);
  }
});

test("Chat.init with a wrong-typed config or userId rejects with INVALID_ARGUMENT", async () => {
  await rejects(() => Chat.init("user-1"), { code: "INVALID_ARGUMENT", label: "Chat.init(string)" });
  await rejects(() => Chat.init(42), { code: "INVALID_ARGUMENT", label: "Chat.init(number)" });
  await rejects(() => Chat.init({ userId: 42 }), { code: "INVALID_ARGUMENT", label: "userId: 42" });
  await rejects(() => Chat.init({ userId: { id: "x" } }), { code: "INVALID_ARGUMENT", label: "userId: object" });
});

test("Chat.init with an invalid userId rejects with INVALID_ARGUMENT naming the id", async () => {
  for (const bad of ["a,b", "a/b", "a:b", "a*b", "a\\b", "a\nb", "x".repeat(93)]) {
    await rejects(() => Chat.init(chatConfig(bad)), { code: "INVALID_ARGUMENT", message: /id/i, label: JSON.stringify(bad) });
  }
});

test("a rejected Chat.init leaves the module usable", async () => {
  await Chat.init({}).catch(() => {});
  const chat = await openChat("init-after");
  assert.equal(await chat.getUser(uid("nobody")), null);
});

test("errors are Error instances with a string code and the documented message", async () => {
  const chat = await openChat("init-err");
  const err = await chat.getUser("").then(
    () => assert.fail("getUser('') must reject"),
    (e) => e,
  );
  assertCodedError(err, { code: "ID_REQUIRED", message: "ID is required" });
  assert.ok(err.stack === undefined || typeof err.stack === "string");
  assert.equal(String(err).includes("ID is required"), true);
});

test("storeUserActivityInterval below 60000 ms is refused with INVALID_ARGUMENT", async () => {
  const err = await rejects(
    () => Chat.init({ ...chatConfig(uid("init-interval")), storeUserActivityTimestamps: true, storeUserActivityInterval: 1000 }),
    { code: "INVALID_ARGUMENT" },
  );
  assert.match(err.message, /storeUserActivityInterval/);
});

test("storeUserActivityTimestamps: lastActiveTimestamp is a recent number and active is true", async () => {
  const before = Date.now();
  const chat = await Chat.init({ ...chatConfig(uid("init-activity")), storeUserActivityTimestamps: true });
  try {
    const after = Date.now();
    const me = chat.currentUser;
    assert.equal(typeof me.lastActiveTimestamp, "number");
    assert.ok(me.lastActiveTimestamp >= before - 1000 && me.lastActiveTimestamp <= after + 1000, `${me.lastActiveTimestamp} not in [${before}, ${after}]`);
    assert.equal(me.active, true);
    const fetched = await chat.getUser(me.id);
    assert.equal(fetched.lastActiveTimestamp, me.lastActiveTimestamp);
  } finally {
    chat.destroy?.();
  }
  const plain = await openChat("init-noactivity");
  assert.equal(plain.currentUser.lastActiveTimestamp, undefined);
  assert.equal(plain.currentUser.active, false);
});

test("Chat.init for a soft-deleted user rejects with USER_DELETED; after a restore it signs in", async () => {
  const admin = await openChat("init-admin2");
  const userId = uid("init-softdeleted");
  await admin.createUser(userId, { name: "Archived" });
  await admin.deleteUser(userId, { soft: true });
  await assert.rejects(Chat.init(chatConfig(userId)), (e) => e instanceof Error && e.code === "USER_DELETED");
  const restored = await admin.restoreUser(userId);
  assert.equal(restored.status, undefined);
  const chat = await Chat.init(chatConfig(userId));
  assert.equal(chat.currentUser.name, "Archived", "fetched, not re-created");
  chat.destroy();
});

test("a Chat that hard-deletes its own user ends: status listeners hear it, later calls reject", async () => {
  const chat = await openChat("init-selfdelete");
  const other = await openChat("init-selfdelete-other");
  const me = chat.currentUser.id;
  const statuses = [];
  // (Over the network a Chat watches its own user while it has a listener or a stream.)
  chat.addConnectionStatusListener((s) => statuses.push(s));
  await new Promise((r) => setTimeout(r, NETWORK ? 300 : 0));
  assert.equal(await chat.deleteUser(me), true);
  await waitFor(() => statuses.length > 0, 5000, "the userDeleted status");
  assert.equal(statuses[0].reason, "userDeleted");
  assert.equal(statuses[0].userId, me);
  assert.equal(statuses[0].soft, false);
  await assert.rejects(chat.getUser(me), (e) => e.code === "CURRENT_USER_DELETED");
  assert.equal(await other.deleteUser(me), true, "hard delete stays idempotent");
  assert.equal(await other.getUser(me), null);
});

test("chat.free() and chat[Symbol.dispose]() mean destroy(): that Chat and its Users reject with DESTROYED, others carry on", async () => {
  for (const how of ["free", "dispose"]) {
    if (how === "dispose" && typeof Symbol.dispose !== "symbol") continue;
    const chat = await openChat(`init-${how}`);
    const other = await openChat(`init-${how}-other`);
    const id = uid(`init-${how}-user`);
    const user = await chat.createUser(id, { name: "Kept" });
    let streamed = 0;
    user.streamUpdates(() => streamed++);
    if (how === "free") chat.free();
    else chat[Symbol.dispose]();
    const destroyed = (e) => e instanceof Error && e.code === "DESTROYED" && e.message === "This Chat was destroyed";
    await assert.rejects(chat.getUser(id), destroyed);
    await assert.rejects(user.update({ name: "Changed" }), destroyed);
    assert.throws(() => user.streamUpdates(() => {}), destroyed);
    assert.equal(user.name, "Kept", "the snapshot stays readable");
    chat.free(); // idempotent, like destroy()
    const updated = await other.updateUser(id, { name: "ByOther" });
    assert.equal(updated.name, "ByOther");
    await new Promise((r) => setTimeout(r, NETWORK ? 500 : 20));
    assert.equal(streamed, 0, "a destroyed Chat's streams are stopped");
  }
});
