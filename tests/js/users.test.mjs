// getUser / createUser / updateUser / user.update / deleteUser / user.delete: behaviour,
// patch semantics, immutable snapshots, getters, JSON and inspect output.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import util from "node:util";
import { User } from "ferrochat";
import { uid, openChat, closeChats, rejects, callAsync } from "./helpers.mjs";

let chat;
before(async () => {
  chat = await openChat("users");
});
after(closeChats);

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

const FULL = Object.freeze({
  name: "Mike Kelly",
  externalId: "ext-15",
  profileUrl: "https://example.com/mkelly.png",
  email: "mike@example.com",
  custom: { linkedInUrl: "https://www.linkedin.com/mkelly", age: 42, vip: true },
  status: "active",
  type: "support-agent",
});

function assertFields(user, expected, label = "user") {
  for (const [k, v] of Object.entries(expected)) {
    if (k === "custom" && v && typeof v === "object") {
      assert.deepEqual({ ...user.custom }, v, `${label}.custom`);
    } else {
      assert.equal(user[k], v, `${label}.${k}`);
    }
  }
}

test("getUser resolves null for an unknown id", async () => {
  const r = await callAsync(() => chat.getUser(uid("nobody")), "getUser");
  assert.equal(r, null);
});

test("createUser returns a User with every field set", async () => {
  const id = uid("create");
  const u = await callAsync(() => chat.createUser(id, { ...FULL }), "createUser");
  assert.ok(u instanceof User, "createUser resolves a User");
  assert.equal(u.id, id);
  assertFields(u, FULL);
  assert.equal(typeof u.updated, "string");
  assert.match(u.updated, RFC3339, "updated is an RFC 3339 string");
  assert.ok(!Number.isNaN(Date.parse(u.updated)));
  assert.equal(typeof u.active, "boolean");
  assert.ok(u.lastActiveTimestamp === undefined || typeof u.lastActiveTimestamp === "number");
});

test("getUser returns the stored user as a User", async () => {
  const id = uid("get");
  const created = await chat.createUser(id, { ...FULL });
  const got = await chat.getUser(id);
  assert.ok(got instanceof User);
  assert.equal(got.id, id);
  assertFields(got, FULL, "getUser");
  assert.equal(got.updated, created.updated);
});

test("a user created by one Chat is visible to another Chat", async () => {
  const other = await openChat("users-other");
  const id = uid("cross");
  await chat.createUser(id, { name: "Cross" });
  const got = await other.getUser(id);
  assert.ok(got);
  assert.equal(got.name, "Cross");
});

test("unset fields read as undefined", async () => {
  const id = uid("unset");
  const u = await chat.createUser(id, { name: "Only Name" });
  for (const field of ["externalId", "profileUrl", "email", "custom", "status", "type"]) {
    assert.equal(u[field], undefined, `${field} must read as undefined (got ${util.inspect(u[field])})`);
  }
  const got = await chat.getUser(id);
  for (const field of ["externalId", "profileUrl", "email", "custom", "status", "type"]) {
    assert.equal(got[field], undefined, `getUser: ${field} must read as undefined`);
  }
});

test("custom keeps strings, numbers and booleans with their JS types", async () => {
  const custom = { s: "text", n: 1.5, i: -7, z: 0, t: true, f: false, empty: "", uni: "é中🙂" };
  const u = await chat.createUser(uid("custom-types"), { name: "C", custom });
  assert.deepEqual({ ...u.custom }, custom);
  const got = await chat.getUser(u.id);
  assert.deepEqual({ ...got.custom }, custom);
  assert.equal(Object.getPrototypeOf(got.custom), Object.prototype, "custom is a plain object (not a Map)");
});

test("createUser on an existing id rejects with USER_EXISTS", async () => {
  const id = uid("dup");
  await chat.createUser(id, { name: "First" });
  await rejects(() => chat.createUser(id, { name: "Second" }), {
    code: "USER_EXISTS",
    message: "User with this ID already exists",
  });
  assert.equal((await chat.getUser(id)).name, "First", "the failed create changed nothing");
});

test("updateUser of an unknown id rejects with USER_NOT_FOUND (and does not create it)", async () => {
  const id = uid("upd-missing");
  await rejects(() => chat.updateUser(id, { name: "x" }), {
    code: "USER_NOT_FOUND",
    message: "User with this ID does not exist",
  });
  assert.equal(await chat.getUser(id), null);
});

test("updateUser: absent and undefined fields are unchanged", async () => {
  const id = uid("patch-keep");
  await chat.createUser(id, { ...FULL });
  const u = await chat.updateUser(id, { name: "New Name", email: undefined, custom: undefined });
  assert.ok(u instanceof User);
  assertFields(u, { ...FULL, name: "New Name" });
  assertFields(await chat.getUser(id), { ...FULL, name: "New Name" }, "stored");
});

test("updateUser: null clears a field", async () => {
  const id = uid("patch-clear");
  await chat.createUser(id, { ...FULL });
  const u = await chat.updateUser(id, { email: null, externalId: null, profileUrl: null, status: null, type: null, custom: null });
  for (const f of ["email", "externalId", "profileUrl", "status", "type", "custom"]) {
    assert.equal(u[f], undefined, `${f} cleared by null must read as undefined`);
  }
  assert.equal(u.name, FULL.name, "name untouched");
  const got = await chat.getUser(id);
  for (const f of ["email", "externalId", "profileUrl", "status", "type", "custom"]) {
    assert.equal(got[f], undefined, `stored ${f} cleared`);
  }
});

test("updateUser: custom is replaced as a whole, not merged", async () => {
  const id = uid("patch-custom");
  await chat.createUser(id, { name: "C", custom: { a: 1, b: "two", c: true } });
  const u = await chat.updateUser(id, { custom: { linkedInUrl: "https://www.linkedin.com/mkelly_vp2" } });
  assert.deepEqual({ ...u.custom }, { linkedInUrl: "https://www.linkedin.com/mkelly_vp2" });
  assert.deepEqual({ ...(await chat.getUser(id)).custom }, { linkedInUrl: "https://www.linkedin.com/mkelly_vp2" });
});

test("user.update behaves like updateUser and returns a new User", async () => {
  const id = uid("uupdate");
  const u1 = await chat.createUser(id, { name: "Before", email: "b@example.com" });
  const u2 = await callAsync(() => u1.update({ name: "After" }), "user.update");
  assert.ok(u2 instanceof User);
  assert.notEqual(u2, u1, "update returns a new object");
  assert.equal(u2.name, "After");
  assert.equal(u2.email, "b@example.com");
  assert.equal(u2.id, id);
});

test("User objects are immutable snapshots", async () => {
  const id = uid("immutable");
  const u1 = await chat.createUser(id, { name: "Snap", custom: { k: "v" }, status: "s1" });
  const u2 = await chat.updateUser(id, { name: "Changed", custom: { k: "w" }, status: "s2" });
  // the old object still shows the old state
  assert.equal(u1.name, "Snap");
  assert.deepEqual({ ...u1.custom }, { k: "v" });
  assert.equal(u1.status, "s1");
  assert.notEqual(u1.updated, u2.updated);
  // user.update also leaves the receiver alone
  const u3 = await u2.update({ name: "Again" });
  assert.equal(u2.name, "Changed");
  assert.equal(u3.name, "Again");
  // assigning a field does not change it (a getter-only property; strict mode may throw)
  try {
    u3.name = "hacked";
  } catch {
    // TypeError in strict mode is fine
  }
  assert.equal(u3.name, "Again");
  // mutating the returned custom object does not change the user
  const c = u3.custom;
  try {
    c.k = "mutated";
    c.extra = 1;
  } catch {
    // a frozen object is fine too
  }
  assert.deepEqual({ ...u3.custom }, { k: "w" });
});

test("updated changes on every real update", async () => {
  const id = uid("updated");
  let u = await chat.createUser(id, { name: "v0" });
  const seen = new Set([u.updated]);
  for (let i = 1; i <= 5; i++) {
    const prev = u.updated;
    u = await chat.updateUser(id, { name: `v${i}` });
    assert.match(u.updated, RFC3339);
    assert.notEqual(u.updated, prev, `update ${i} must change updated`);
    assert.ok(Date.parse(u.updated) >= Date.parse(prev), "updated does not go backwards");
    seen.add(u.updated);
  }
  assert.equal(seen.size, 6);
});

test("an update that changes nothing still resolves the (unchanged) User", async () => {
  const id = uid("noop");
  const u1 = await chat.createUser(id, { name: "Same", email: "s@example.com" });
  const u2 = await chat.updateUser(id, { name: "Same", email: "s@example.com" });
  assert.ok(u2 instanceof User);
  assert.equal(u2.name, "Same");
  assert.equal(u2.email, "s@example.com");
  const u3 = await chat.updateUser(id, {});
  assert.ok(u3 instanceof User);
  assert.equal(u3.name, "Same");
  assert.equal(u1.name, "Same");
});

test("deleteUser (hard) resolves true and removes the user", async () => {
  const id = uid("hard");
  await chat.createUser(id, { name: "Gone" });
  const r = await callAsync(() => chat.deleteUser(id), "deleteUser");
  assert.equal(r, true);
  assert.equal(await chat.getUser(id), null);
  // the id can be created again after a hard delete
  const again = await chat.createUser(id, { name: "Back" });
  assert.equal(again.name, "Back");
});

test("deleteUser with { soft: false } and with {} is a hard delete", async () => {
  for (const opts of [{ soft: false }, {}, undefined]) {
    const id = uid("hard-opt");
    await chat.createUser(id, { name: "Gone" });
    assert.equal(await chat.deleteUser(id, opts), true, `options ${JSON.stringify(opts)}`);
    assert.equal(await chat.getUser(id), null);
  }
});

test("hard delete is idempotent, also for an id that never existed", async () => {
  const id = uid("idem");
  await chat.createUser(id, { name: "Twice" });
  assert.equal(await chat.deleteUser(id), true);
  assert.equal(await chat.deleteUser(id), true);
  assert.equal(await chat.deleteUser(uid("never")), true);
});

test("user.delete() (hard) resolves true; calling it again resolves true", async () => {
  const id = uid("udelete");
  const u = await chat.createUser(id, { name: "Bye" });
  assert.equal(await callAsync(() => u.delete(), "user.delete"), true);
  assert.equal(await chat.getUser(id), null);
  assert.equal(await u.delete(), true);
  assert.equal(u.name, "Bye", "the snapshot still reads its fields after delete");
});

test("soft delete sets status 'deleted' and keeps every other field", async () => {
  const id = uid("soft");
  const created = await chat.createUser(id, { ...FULL });
  const r = await chat.deleteUser(id, { soft: true });
  assert.ok(r instanceof User, "soft delete resolves the updated User");
  assert.equal(r.id, id);
  assert.equal(r.status, "deleted");
  const { status: _ignored, ...rest } = FULL;
  assertFields(r, rest, "soft-deleted");
  assert.notEqual(r.updated, created.updated);
  const got = await chat.getUser(id);
  assert.ok(got, "a soft-deleted user can still be fetched");
  assert.equal(got.status, "deleted");
  assertFields(got, rest, "stored soft-deleted");
});

test("user.delete({ soft: true }) resolves the User with status 'deleted'", async () => {
  const id = uid("usoft");
  const u = await chat.createUser(id, { name: "Archive Me", type: "agent" });
  const r = await u.delete({ soft: true });
  assert.ok(r instanceof User);
  assert.equal(r.status, "deleted");
  assert.equal(r.name, "Archive Me");
  assert.equal(r.type, "agent");
  assert.equal(u.status, undefined, "the receiver snapshot is unchanged");
});

test("soft delete of an unknown id rejects with USER_NOT_FOUND", async () => {
  await rejects(() => chat.deleteUser(uid("soft-missing"), { soft: true }), {
    code: "USER_NOT_FOUND",
    message: "User with this ID does not exist",
  });
});

test("user.update / user.delete({soft}) after a hard delete reject with USER_NOT_FOUND", async () => {
  const id = uid("stale");
  const u = await chat.createUser(id, { name: "Stale" });
  await chat.deleteUser(id);
  await rejects(() => u.update({ name: "x" }), { code: "USER_NOT_FOUND", message: "User with this ID does not exist" });
  await rejects(() => u.delete({ soft: true }), { code: "USER_NOT_FOUND", message: "User with this ID does not exist" });
  assert.equal(await chat.getUser(id), null, "update of a deleted user must not re-create it");
});

test("restore (optional addition) clears the deleted status", async (t) => {
  const id = uid("restore");
  const u = await chat.createUser(id, { name: "Phoenix", email: "p@example.com" });
  if (typeof u.restore !== "function" && typeof chat.restoreUser !== "function") {
    t.skip("restore is not implemented (optional)");
    return;
  }
  const soft = await chat.deleteUser(id, { soft: true });
  if (typeof soft.restore === "function") {
    const r = await soft.restore();
    assert.ok(r instanceof User);
    assert.equal(r.status, undefined);
    assert.equal(r.name, "Phoenix");
    assert.equal(r.email, "p@example.com");
  }
  if (typeof chat.restoreUser === "function") {
    await chat.deleteUser(id, { soft: true });
    const r = await chat.restoreUser(id);
    assert.equal(r.status, undefined);
    assert.equal(r.name, "Phoenix");
    await rejects(() => chat.restoreUser(uid("restore-missing")), {
      code: "USER_NOT_FOUND",
      message: "User with this ID does not exist",
    });
  }
});

test("JSON.stringify(user) gives the fields as a plain object", async () => {
  const id = uid("json");
  const u = await chat.createUser(id, { ...FULL });
  const plain = JSON.parse(JSON.stringify(u));
  assert.equal(plain.id, id);
  for (const [k, v] of Object.entries(FULL)) {
    assert.deepEqual(plain[k], v, `JSON field ${k}`);
  }
  assert.equal(plain.updated, u.updated);
  assert.equal(typeof u.toJSON, "function");
  const obj = u.toJSON();
  assert.equal(Object.getPrototypeOf(obj), Object.prototype, "toJSON returns a plain object");
  assert.equal(obj.name, FULL.name);
  // unset fields are left out (they read as undefined)
  const sparse = JSON.parse(JSON.stringify(await chat.createUser(uid("json-sparse"), { name: "Sparse" })));
  assert.equal(sparse.name, "Sparse");
  for (const f of ["email", "externalId", "profileUrl", "custom", "status", "type"]) {
    assert.equal(sparse[f], undefined, `unset ${f} must not appear in JSON (got ${JSON.stringify(sparse[f])})`);
  }
});

test("util.inspect(user) shows the field values, not a pointer", async () => {
  const u = await chat.createUser(uid("inspect"), { name: "Inspector Gadget", email: "gadget@example.com", custom: { gadget: "hat" } });
  const s = util.inspect(u, { depth: 4 });
  assert.ok(s.includes("Inspector Gadget"), `inspect output must include the name: ${s}`);
  assert.ok(s.includes("gadget@example.com"), `inspect output must include the email: ${s}`);
  assert.ok(s.includes(u.id), `inspect output must include the id: ${s}`);
  assert.doesNotMatch(s, /__wbg_ptr/, "inspect must not show the wasm pointer");
  // console.log formats with the same machinery
  assert.ok(util.format("Updated user: ", u).includes("Inspector Gadget"));
});

test("getters: id, name, externalId, profileUrl, email, custom, status, type, updated, lastActiveTimestamp, active", async () => {
  const u = await chat.createUser(uid("getters"), { ...FULL });
  assert.equal(typeof u.id, "string");
  for (const f of ["name", "externalId", "profileUrl", "email", "status", "type", "updated"]) {
    assert.equal(typeof u[f], "string", f);
  }
  assert.equal(typeof u.custom, "object");
  assert.equal(typeof u.active, "boolean");
  assert.ok(["undefined", "number"].includes(typeof u.lastActiveTimestamp));
});

test("custom keys are kept as given (spaces, dots, unicode, __proto__, constructor)", async () => {
  const custom = JSON.parse('{"a b": 1, "x.y": "dot", "ключ": true, "": "empty", "constructor": "c", "__proto__": "proto"}');
  assert.ok(Object.hasOwn(custom, "__proto__"));
  const u = await chat.createUser(uid("keys"), { name: "Keys", custom });
  for (const got of [u.custom, (await chat.getUser(u.id)).custom, JSON.parse(JSON.stringify(u)).custom]) {
    assert.deepEqual(Object.keys(got).sort(), Object.keys(custom).sort());
    for (const k of Object.keys(custom)) assert.equal(Object.getOwnPropertyDescriptor(got, k)?.value, custom[k], `custom[${JSON.stringify(k)}]`);
  }
});
