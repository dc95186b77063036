// What an npm user meets (issue 19), on either backend: typed errors with the caller's call
// site, the Chat SDK's errorLogger, logging (off by default, a logger or the console, each
// request without keys), PubNub options accepted, unknown options warned about once, both
// page cursors, and bulk deletes that report every user and stop on an AbortSignal.

import { test, after } from "node:test";
import assert from "node:assert/strict";
import { Chat, ChatError } from "ferrochat";
import { NETWORK, chatConfig, uid, openChat, closeChats, captureConsole, ids, rejects } from "./helpers.mjs";

after(closeChats);

/** The script these tests run from (this file, or the browser suite's bundle of it). */
const HERE = /(?:\(|at )([^()\s]+?):\d+:\d+\)?$/.exec(new Error().stack.split("\n")[1])[1];

/** A stack's frames without Node's own task-queue frames (they may come first). */
const frames = (stack) => stack.split("\n").slice(1).filter((f) => !f.includes("(node:internal/"));

/** A Chat.init with `extra` options; destroyed at the end of the file. */
async function initWith(prefix, extra) {
  const chat = await Chat.init({ ...chatConfig(uid(prefix)), ...extra });
  after(() => chat.destroy());
  return chat;
}

/** A logger that records `level message` lines. */
function recorder() {
  const lines = [];
  const logger = {};
  for (const level of ["trace", "debug", "info", "warn", "error"]) logger[level] = (m) => lines.push(`${level} ${m}`);
  return { lines, logger };
}

test("every rejection is a ChatError: name, code, cause, and a stack that starts at the caller", async () => {
  const chat = await openChat("typed");
  let caught;
  async function theCallersFunction() {
    try {
      await chat.getUser("");
    } catch (e) {
      caught = e;
    }
  }
  await theCallersFunction();
  assert.ok(caught instanceof ChatError && caught instanceof Error);
  assert.equal(caught.name, "ChatError");
  assert.equal(caught.code, "ID_REQUIRED");
  assert.equal(caught.message, "ID is required");
  // The first frame outside Node's own task queue is the caller's; no ferrochat frame.
  const [first, ...rest] = frames(caught.stack);
  assert.match(first, /at async theCallersFunction /, caught.stack);
  assert.ok(first.includes(HERE), caught.stack);
  assert.ok(![first, ...rest].some((f) => /wasm|ferrochat_node|ferrochat_web|user\.js/.test(f)), `no glue frames:\n${caught.stack}`);

  const thrown = new Error("getter says no");
  const err = await rejects(() => chat.createUser(uid("cause"), { get name() { throw thrown; } }), { code: "INVALID_ARGUMENT" });
  assert.equal(err.cause, thrown, "cause is what the caller's value threw");
  // User methods go through the same wrapper.
  const user = await chat.createUser(uid("typed-user"), { name: "T" });
  await rejects(() => user.update({ name: "" }), { code: "INVALID_ARGUMENT" });
});

test("every Promise method's rejection names the caller's line (each is wrapped)", async () => {
  const chat = await openChat("stacks");
  const user = await chat.createUser(uid("stacks-u"), { name: "S" });
  const calls = {
    "Chat.init": () => Chat.init(5),
    getUser: () => chat.getUser(""),
    createUser: () => chat.createUser("", {}),
    updateUser: () => chat.updateUser("", {}),
    deleteUser: () => chat.deleteUser(""),
    restoreUser: () => chat.restoreUser(""),
    getUserByEmail: () => chat.getUserByEmail(5),
    getUserByExternalId: () => chat.getUserByExternalId(5),
    deleteUsers: () => chat.deleteUsers(5),
    getUsers: () => chat.getUsers(5),
    "user.update": () => user.update({ name: "" }),
    "user.delete": () => user.delete(5),
    "user.restore": () => chat.restoreUser(uid("nobody")),
  };
  for (const [name, call] of Object.entries(calls)) {
    let err;
    try {
      await call();
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof ChatError, `${name}: ${err}`);
    assert.ok(frames(err.stack)[0].includes(HERE), `${name}:\n${err.stack}`);
  }
  // A synchronous throw keeps its stack as made.
  assert.throws(() => user.streamUpdates(5), (e) => e instanceof ChatError && e.stack.includes(HERE));
});

test("errorLogger (the Chat SDK's) hears every failure with the method and its arguments", async () => {
  const items = [];
  const chat = await initWith("errlog", { errorLogger: { setItem: (key, params) => items.push([key, params]) } });
  await rejects(() => chat.getUser(""), { code: "ID_REQUIRED" });
  const user = await chat.createUser(uid("errlog-u"), { name: "E" });
  await rejects(() => user.update({ custom: { nested: {} } }), { code: "INVALID_ARGUMENT" });
  assert.equal(items.length, 2);
  assert.equal(items[0][0], "Chat.getUser");
  assert.deepEqual(items[0][1].thrownFunctionArguments, [""]);
  assert.ok(items[0][1].error instanceof ChatError);
  assert.equal(items[1][0], "User.update");
  // A logger that throws changes nothing the caller sees.
  const noisy = await initWith("errlog-throws", { errorLogger: { setItem() { throw new Error("logger broke"); } } });
  await rejects(() => noisy.getUser(""), { code: "ID_REQUIRED" });
});

test("logging is off by default: a logger without logLevel hears nothing", async () => {
  const { lines, logger } = recorder();
  const chat = await initWith("quiet", { logger, heartbeatInterval: 10 });
  await chat.getUser(uid("nobody"));
  await chat.createUser(uid("quiet-u"), { name: "Q" });
  assert.deepEqual(lines, []);
});

test("logVerbosity: true logs at debug: ignored options once, and (network) each request without keys", async () => {
  const { lines, logger } = recorder();
  const chat = await initWith("verbose", { logVerbosity: true, logger, heartbeatInterval: 10, restore: true });
  assert.ok(lines.some((l) => /^debug \[ferrochat\] option 'heartbeatInterval' is accepted and ignored$/.test(l)), lines.join("\n"));
  const id = uid("verbose-get");
  lines.length = 0;
  await chat.getUser(id);
  if (!NETWORK) return;
  const request = lines.find((l) => l.includes(`/uuids/${id}`));
  assert.ok(request, `the getUser request is logged:\n${lines.join("\n")}`);
  assert.match(request, new RegExp(`^debug \\[ferrochat\\] GET /v2/objects/<subscribeKey>/uuids/${id} 404 in \\d+\\.\\d ms$`));
  assert.ok(!lines.some((l) => /[?&](auth|signature|pnsdk|uuid)=|\/demo\//.test(l)), `no keys or query:\n${lines.join("\n")}`);
});

test("logLevel takes names and PubNub's numbers; without a logger, lines go to the console", async () => {
  const debug = captureConsole("debug");
  try {
    await initWith("console", { logLevel: "debug", presenceTimeout: 300 });
    await initWith("numeric", { logLevel: 1, presenceTimeout: 300 });
    await initWith("warn-only", { logLevel: "warn", presenceTimeout: 300 });
  } finally {
    debug.restore();
  }
  const about = debug.calls.filter(([m]) => m.includes("'presenceTimeout'"));
  assert.equal(about.length, 2, "debug and 1 log it; warn does not");
});

test("an option nobody knows (misspelled?) warns once per process, and init still works", async () => {
  const warn = captureConsole("warn");
  try {
    const name = `logVerbostiy${Date.now()}`;
    const a = await initWith("typo", { [name]: true });
    await initWith("typo", { [name]: true });
    assert.equal(a.currentUser.name !== undefined, true);
    const about = warn.calls.filter(([m]) => m.includes(`'${name}'`));
    assert.equal(about.length, 1, JSON.stringify(warn.calls));
    assert.match(about[0][0], /does not know the option .* \(misspelled\?\)/);
  } finally {
    warn.restore();
  }
});

test("a @pubnub/chat config runs unchanged (uuid, the Chat SDK's and PubNub's options)", async () => {
  const warn = captureConsole("warn");
  try {
    const chat = await Chat.init({
      ...chatConfig(undefined),
      uuid: uid("pn-config"),
      typingTimeout: 5000,
      storeUserActivityInterval: 600000,
      storeUserActivityTimestamps: false,
      rateLimitFactor: 2,
      rateLimitPerChannel: { direct: 0, group: 500, public: 0, unknown: 0 },
      pushNotifications: { sendPushes: false, deviceGateway: "gcm", apnsEnvironment: "development" },
      saveDebugLog: false,
      errorLogger: { setItem() {}, getStorageObject: () => ({}) },
      customPayloads: {},
      syncMutedUsers: false,
      restore: true,
      keepAlive: true,
      heartbeatInterval: 0,
      presenceTimeout: 300,
      autoNetworkDetection: false,
      enableEventEngine: true,
      suppressLeaveEvents: false,
      logVerbosity: false,
    });
    after(() => chat.destroy());
    assert.match(chat.currentUser.id, /^pn-config-/);
    assert.deepEqual(warn.calls, [], "no option of theirs is unknown");
  } finally {
    warn.restore();
  }
});

test("getUsers: page has next and prev; prev pages backward", async () => {
  const chat = await openChat("pages");
  const prefix = uid("pages");
  const made = [];
  for (let i = 0; i < 5; i++) made.push((await chat.createUser(`${prefix}-${i}`, { name: `P${i}` })).id);
  const filter = `id LIKE '${prefix}-*'`;
  const first = await chat.getUsers({ filter, sort: { id: "asc" }, limit: 2 });
  assert.deepEqual(Object.keys(first.page).sort(), ["next", "prev"]);
  const second = await chat.getUsers({ filter, sort: { id: "asc" }, limit: 2, page: { next: first.page.next } });
  assert.deepEqual(ids(second.users), made.slice(2, 4));
  const back = await chat.getUsers({ filter, sort: { id: "asc" }, limit: 2, page: { prev: second.page.prev } });
  assert.deepEqual(ids(back.users), made.slice(0, 2));
  const bare = await chat.getUsers({ filter, sort: "name", limit: 1 });
  assert.deepEqual(ids(bare.users), made.slice(0, 1), "a bare sort key: ascending");
});

test("deleteUsers of 500 users: progress after every user, an AbortSignal stops it with aborted: true", async () => {
  const chat = await openChat("bulk-abort");
  const prefix = uid("bulk");
  const targets = Array.from({ length: 500 }, (_, i) => `${prefix}-${i}`);
  for (let i = 0; i < targets.length; i += 50) {
    await Promise.all(targets.slice(i, i + 50).map((id) => chat.createUser(id, {})));
  }
  const controller = new AbortController();
  const seen = [];
  const result = await chat.deleteUsers(targets, {
    rate: 500,
    signal: controller.signal,
    onProgress: (p) => {
      seen.push(p.done);
      assert.equal(p.total, 500);
      if (p.done === 40) controller.abort();
    },
  });
  assert.equal(result.aborted, true);
  assert.ok(result.deleted.length >= 40 && result.deleted.length < 500, `deleted ${result.deleted.length}`);
  assert.deepEqual(seen, seen.map((_, i) => i + 1), "one progress call per user, in order");
  const left = await chat.getUsers({ filter: `id LIKE '${prefix}-*'`, limit: 1 });
  assert.equal(left.total, 500 - result.deleted.length, "what is not reported deleted is still there");

  // Aborted before it starts: nothing deleted, resolves at once.
  const done = await chat.deleteUsers(targets, { signal: AbortSignal.abort() });
  assert.deepEqual([done.aborted, done.deleted.length], [true, 0]);
  // Not an AbortSignal: a clear error.
  await rejects(() => chat.deleteUsers(targets, { signal: {} }), { code: "INVALID_ARGUMENT", message: "signal must be an AbortSignal" });
  // Without a signal: aborted is false.
  const rest = await chat.deleteUsers(targets.slice(0, 3));
  assert.equal(rest.aborted, false);
});
