// The documented error table and every INVALID_ARGUMENT rule. Every Promise-returning
// method must reject (never throw synchronously) with an Error carrying a string `code`.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { User } from "ferrochat";
import { uid, openChat, closeChats, rejects, assertCodedError, describe } from "./helpers.mjs";

let chat;
let existing; // a User that exists for the whole file
before(async () => {
  chat = await openChat("errors");
  existing = await chat.createUser(uid("errors-existing"), { name: "Existing" });
});
after(closeChats);

const ID_REQUIRED = { code: "ID_REQUIRED", message: "ID is required" };
const NOT_FOUND = { code: "USER_NOT_FOUND", message: "User with this ID does not exist" };
const EXISTS = { code: "USER_EXISTS", message: "User with this ID already exists" };

// ---- the documented table -------------------------------------------------------------

test("empty id: ID_REQUIRED from getUser, createUser, updateUser, deleteUser (hard and soft)", async () => {
  await rejects(() => chat.getUser(""), { ...ID_REQUIRED, label: "getUser('')" });
  await rejects(() => chat.createUser("", { name: "x" }), { ...ID_REQUIRED, label: "createUser('')" });
  await rejects(() => chat.updateUser("", { name: "x" }), { ...ID_REQUIRED, label: "updateUser('')" });
  await rejects(() => chat.deleteUser(""), { ...ID_REQUIRED, label: "deleteUser('')" });
  await rejects(() => chat.deleteUser("", { soft: true }), { ...ID_REQUIRED, label: "deleteUser('', soft)" });
});

test("missing id (undefined) is refused by every id-taking method", async () => {
  for (const [label, fn] of [
    ["getUser()", () => chat.getUser()],
    ["createUser(undefined)", () => chat.createUser(undefined, { name: "x" })],
    ["updateUser(undefined)", () => chat.updateUser(undefined, { name: "x" })],
    ["deleteUser()", () => chat.deleteUser()],
  ]) {
    const err = await rejects(fn, { label });
    assert.ok(["ID_REQUIRED", "INVALID_ARGUMENT"].includes(err.code), `${label}: code ${err.code}`);
  }
});

test("update of an unknown id: USER_NOT_FOUND", async () => {
  await rejects(() => chat.updateUser(uid("missing"), { name: "x" }), NOT_FOUND);
});

test("soft delete of an unknown id: USER_NOT_FOUND", async () => {
  await rejects(() => chat.deleteUser(uid("missing"), { soft: true }), NOT_FOUND);
});

test("create of an existing id: USER_EXISTS", async () => {
  await rejects(() => chat.createUser(existing.id, { name: "again" }), EXISTS);
});

test("create of the current user's id: USER_EXISTS", async () => {
  await rejects(() => chat.createUser(chat.currentUser.id, { name: "again" }), EXISTS);
});

test("User.streamUpdatesOn([]) throws EMPTY_USER_LIST synchronously", () => {
  let called = false;
  assert.throws(
    () => User.streamUpdatesOn([], () => {
      called = true;
    }),
    (err) => {
      assertCodedError(err, { code: "EMPTY_USER_LIST", message: "Cannot stream user updates on an empty list" });
      return true;
    },
  );
  assert.equal(called, false);
});

// ---- INVALID_ARGUMENT: ids --------------------------------------------------------------

const BAD_IDS = [
  ["93 ASCII characters", "a".repeat(93)],
  ["93 multi-byte characters", "é".repeat(93)],
  ["comma", "a,b"],
  ["slash", "a/b"],
  ["backslash", "a\\b"],
  ["star", "a*b"],
  ["colon", "a:b"],
  ["newline", "a\nb"],
  ["tab", "a\tb"],
  ["NUL", "a\u0000b"],
  ["U+001F", "a\u001fb"],
  ["DEL", "a\u007fb"],
];

test("createUser: invalid ids reject with INVALID_ARGUMENT naming the id", async () => {
  for (const [what, bad] of BAD_IDS) {
    await rejects(() => chat.createUser(bad, { name: "x" }), { code: "INVALID_ARGUMENT", message: /\bid\b/i, label: `createUser(${what})` });
  }
});

test("getUser / updateUser / deleteUser: invalid ids reject with INVALID_ARGUMENT", async () => {
  for (const [what, bad] of BAD_IDS) {
    await rejects(() => chat.getUser(bad), { code: "INVALID_ARGUMENT", message: /\bid\b/i, label: `getUser(${what})` });
    await rejects(() => chat.updateUser(bad, { name: "x" }), { code: "INVALID_ARGUMENT", message: /\bid\b/i, label: `updateUser(${what})` });
    await rejects(() => chat.deleteUser(bad), { code: "INVALID_ARGUMENT", message: /\bid\b/i, label: `deleteUser(${what})` });
  }
});

test("ids at the limits are accepted: 92 characters (ASCII and multi-byte), punctuation that is allowed", async () => {
  for (const c of ["a", "é", "🙂"]) {
    // unique for a shared server, and exactly 92 characters (code points) long
    const tail = uid("").replace(/[^a-z0-9]/gi, "").slice(-10);
    const id = c.repeat(92 - tail.length) + tail;
    assert.equal([...id].length, 92);
    const u = await chat.createUser(id, { name: "limit" });
    assert.equal(u.id, id);
    assert.equal((await chat.getUser(id)).id, id);
  }
  const punct = uid("ok.id_with-punct@x+y=z~!$'()&;?#[]");
  assert.equal((await chat.createUser(punct, { name: "p" })).id, punct);
});

// ---- INVALID_ARGUMENT: fields -----------------------------------------------------------

test("name empty or whitespace-only: INVALID_ARGUMENT naming name (create and update)", async () => {
  for (const name of ["", " ", "   ", "\t\n", "\u00a0"]) {
    const id = uid("badname");
    await rejects(() => chat.createUser(id, { name }), { code: "INVALID_ARGUMENT", message: /name/, label: `create name ${JSON.stringify(name)}` });
    assert.equal(await chat.getUser(id), null, "a refused create stores nothing");
    await rejects(() => chat.updateUser(existing.id, { name }), { code: "INVALID_ARGUMENT", message: /name/, label: `update name ${JSON.stringify(name)}` });
  }
  assert.equal((await chat.getUser(existing.id)).name, "Existing", "refused updates changed nothing");
});

test("custom values that are not string/number/boolean: INVALID_ARGUMENT naming custom", async () => {
  const bad = [
    ["null", { a: null }],
    ["object", { a: { nested: 1 } }],
    ["array", { a: [1, 2] }],
    ["empty array", { a: [] }],
    ["NaN", { a: NaN }],
    ["Infinity", { a: Infinity }],
    ["function", { a: () => 1 }],
    ["bigint", { a: 10n }],
  ];
  for (const [what, custom] of bad) {
    await rejects(() => chat.createUser(uid("badcustom"), { name: "c", custom }), { code: "INVALID_ARGUMENT", message: /custom/, label: `create custom ${what}` });
    await rejects(() => chat.updateUser(existing.id, { custom }), { code: "INVALID_ARGUMENT", message: /custom/, label: `update custom ${what}` });
  }
});

test("custom itself not an object: INVALID_ARGUMENT", async () => {
  for (const custom of ["text", 5, true, [1, 2], ["a"]]) {
    await rejects(() => chat.updateUser(existing.id, { custom }), { code: "INVALID_ARGUMENT", message: /custom/, label: `custom = ${describe(custom)}` });
  }
});

test("status / type over 50 characters: INVALID_ARGUMENT naming the field; 50 is fine", async () => {
  await rejects(() => chat.updateUser(existing.id, { status: "s".repeat(51) }), { code: "INVALID_ARGUMENT", message: /status/ });
  await rejects(() => chat.updateUser(existing.id, { type: "t".repeat(51) }), { code: "INVALID_ARGUMENT", message: /type/ });
  await rejects(() => chat.createUser(uid("longtag"), { name: "x", status: "é".repeat(51) }), { code: "INVALID_ARGUMENT", message: /status/ });
  const u = await chat.updateUser(existing.id, { status: "s".repeat(50), type: "é".repeat(50) });
  assert.equal(u.status, "s".repeat(50));
  assert.equal(u.type, "é".repeat(50));
  await chat.updateUser(existing.id, { status: null, type: null });
});

test("a record over 32 KiB: INVALID_ARGUMENT; a record well under it is fine", async () => {
  await rejects(() => chat.createUser(uid("big"), { name: "big", custom: { blob: "x".repeat(33 * 1024) } }), {
    code: "INVALID_ARGUMENT",
    message: /KiB|record|size|large|long|bytes/i,
    label: "create 33 KiB custom",
  });
  await rejects(() => chat.updateUser(existing.id, { profileUrl: "https://example.com/" + "p".repeat(40 * 1024) }), {
    code: "INVALID_ARGUMENT",
    label: "update 40 KiB profileUrl",
  });
  const many = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`key${i}`, `value-${i}`]));
  await rejects(() => chat.updateUser(existing.id, { custom: many }), { code: "INVALID_ARGUMENT", label: "2000 custom keys (~35 KiB)" });
  const ok = await chat.createUser(uid("big-ok"), { name: "ok", custom: { blob: "x".repeat(24 * 1024) } });
  assert.equal(ok.custom.blob.length, 24 * 1024);
});

test("wrong-typed field values: INVALID_ARGUMENT naming the field", async () => {
  for (const [field, value] of [
    ["name", 5],
    ["name", true],
    ["email", 123],
    ["status", {}],
    ["type", ["a"]],
    ["externalId", 1n],
    ["profileUrl", () => "x"],
  ]) {
    await rejects(() => chat.updateUser(existing.id, { [field]: value }), {
      code: "INVALID_ARGUMENT",
      message: new RegExp(field),
      label: `${field} = ${describe(value)}`,
    });
  }
});

// ---- INVALID_ARGUMENT: wrong-typed arguments (never a synchronous throw) ----------------

test("wrong-typed id arguments reject with INVALID_ARGUMENT", async () => {
  for (const bad of [42, 0, NaN, true, {}, { id: existing.id }, [existing.id], () => existing.id]) {
    await rejects(() => chat.getUser(bad), { code: "INVALID_ARGUMENT", label: `getUser(${describe(bad)})` });
    await rejects(() => chat.createUser(bad, { name: "x" }), { code: "INVALID_ARGUMENT", label: `createUser(${describe(bad)})` });
    await rejects(() => chat.updateUser(bad, { name: "x" }), { code: "INVALID_ARGUMENT", label: `updateUser(${describe(bad)})` });
    await rejects(() => chat.deleteUser(bad), { code: "INVALID_ARGUMENT", label: `deleteUser(${describe(bad)})` });
  }
});

test("undefined / wrong-typed data for createUser and updateUser rejects with INVALID_ARGUMENT", async () => {
  for (const data of [undefined, null, "name", 5, true, [1]]) {
    await rejects(() => chat.createUser(uid("baddata"), data), { code: "INVALID_ARGUMENT", label: `createUser(id, ${describe(data)})` });
    await rejects(() => chat.updateUser(existing.id, data), { code: "INVALID_ARGUMENT", label: `updateUser(id, ${describe(data)})` });
    await rejects(() => existing.update(data), { code: "INVALID_ARGUMENT", label: `user.update(${describe(data)})` });
  }
});

test("a string (or other non-object) for options rejects with INVALID_ARGUMENT", async () => {
  const victim = await chat.createUser(uid("opts"), { name: "Victim" });
  for (const opts of ["soft", 1, true]) {
    await rejects(() => chat.deleteUser(victim.id, opts), { code: "INVALID_ARGUMENT", label: `deleteUser(id, ${describe(opts)})` });
    await rejects(() => victim.delete(opts), { code: "INVALID_ARGUMENT", label: `user.delete(${describe(opts)})` });
    await rejects(() => chat.getUsers(opts), { code: "INVALID_ARGUMENT", label: `getUsers(${describe(opts)})` });
  }
  assert.ok(await chat.getUser(victim.id), "refused deletes must not delete");
  await rejects(() => chat.deleteUser(victim.id, { soft: "yes" }), { code: "INVALID_ARGUMENT", message: /soft/, label: "soft: 'yes'" });
  assert.equal((await chat.getUser(victim.id)).status, undefined);
});

// ---- INVALID_ARGUMENT: getUsers -------------------------------------------------------------

test("getUsers limit must be an integer in 0..100", async () => {
  for (const limit of [101, -1, 1.5, NaN, Infinity, "10", 1000]) {
    await rejects(() => chat.getUsers({ limit }), { code: "INVALID_ARGUMENT", message: /limit/, label: `limit ${describe(limit)}` });
  }
  for (const limit of [0, 1, 100]) {
    const r = await chat.getUsers({ limit, filter: `id == '${existing.id}'` });
    assert.ok(r.users.length <= limit, `limit ${limit}`);
  }
});

test("getUsers sort direction must be asc, desc or null", async () => {
  for (const dir of ["up", "ASC", "descending", 1, true, {}]) {
    await rejects(() => chat.getUsers({ sort: { name: dir } }), { code: "INVALID_ARGUMENT", label: `direction ${describe(dir)}` });
  }
});

test("getUsers sort by an unknown field is refused", async () => {
  for (const field of ["bogus", "Name", "custom", ""]) {
    await rejects(() => chat.getUsers({ sort: { [field]: "asc" } }), { code: "INVALID_ARGUMENT", label: `field ${JSON.stringify(field)}` });
  }
});

test("getUsers with a wrong-typed sort / filter / page rejects with INVALID_ARGUMENT", async () => {
  // (A bare key is PubNub's shorthand for { key: "asc" }; other non-objects are refused.)
  await rejects(() => chat.getUsers({ sort: 5 }), { code: "INVALID_ARGUMENT", message: /sort/, label: "sort: number" });
  await rejects(() => chat.getUsers({ sort: "nonsense" }), { code: "INVALID_ARGUMENT", message: /sort/, label: "sort: unknown key" });
  await rejects(() => chat.getUsers({ filter: 5 }), { code: "INVALID_ARGUMENT", message: /filter/, label: "filter: number" });
  await rejects(() => chat.getUsers({ page: "next" }), { code: "INVALID_ARGUMENT", message: /page/, label: "page: string" });
  await rejects(() => chat.getUsers({ page: { next: 5 } }), { code: "INVALID_ARGUMENT", label: "page.next: number" });
  const err = await rejects(() => chat.getUsers({ page: { next: "not a cursor!" } }), { label: "page.next: garbage" });
  // embedded: INVALID_ARGUMENT; a server may answer 400 instead
  assert.ok(["INVALID_ARGUMENT", "HTTP_400"].includes(err.code), `page.next garbage: ${err.code} ${err.message}`);
});

test("malformed filters reject with 'Invalid filter at position N:'", async () => {
  for (const filter of [
    "name = 'a'",
    "name == 'a",
    "(name == 'a'",
    "name == 'a' AND id == 'b'",
    "name ==",
    "&& name == 'a'",
    "name == 'a' ||",
    "name LIKE 5",
    "name == bar",
    "name",
  ]) {
    await rejects(() => chat.getUsers({ filter }), {
      code: "INVALID_ARGUMENT",
      message: /^Invalid filter at position \d+:/,
      label: `filter ${JSON.stringify(filter)}`,
    });
  }
  const err = await rejects(() => chat.getUsers({ filter: "name = 'a'" }), { code: "INVALID_ARGUMENT" });
  const pos = Number(/position (\d+)/.exec(err.message)[1]);
  assert.ok(pos >= 4 && pos <= 7, `the position must point at the '=' (got ${pos}: ${err.message})`);
});

test("an empty filter string is either no filter or a filter error, never a crash", async () => {
  try {
    const r = await chat.getUsers({ filter: "", limit: 1 });
    assert.ok(Array.isArray(r.users));
  } catch (err) {
    assertCodedError(err, { code: "INVALID_ARGUMENT" });
  }
});

test("after all these errors the module still works", async () => {
  const got = await chat.getUser(existing.id);
  assert.ok(got);
  assert.equal(got.name, "Existing");
});
