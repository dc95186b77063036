// getUsers: filter language, sort, limit and paging over 250 users of this run.
//
// Every query is scoped to this file's users with `id LIKE 'P-*'` (P unique per run), so the
// shared store / server may hold any number of other users.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { User } from "ferrochat";
import { uid, openChat, closeChats, ids } from "./helpers.mjs";

const N = 250;
const NAMES = ["Alice", "bob", "Carol", "dave", "Eve", "Mallory", "O'Brien", "Star*Lord", "Zed", "Émile"];
let chat;
let P; // the id prefix of this run
let SCOPE; // filter clause selecting exactly this run's users
const model = []; // what we created, index i -> fields

function pad(i) {
  return String(i).padStart(3, "0");
}

before(async () => {
  chat = await openChat("gu");
  P = uid("gu");
  SCOPE = `id LIKE '${P}-*'`;
  for (let i = 0; i < N; i++) {
    const fields = {
      name: `${NAMES[i % NAMES.length]} ${pad(i)}`,
      custom: { n: i, group: i % 5, vip: i % 7 === 0, tag: `t${i % 3}`, "employment-status": i % 2 ? "full" : "part" },
      status: i % 4 === 0 ? "away" : "online",
      type: i % 10 === 0 ? "admin" : "member",
    };
    if (i % 3 !== 0) fields.email = `user${pad(i)}@ex${i % 2}.com`;
    model.push({ id: `${P}-${pad(i)}`, ...fields });
  }
  // sequential, so updated order is creation order
  for (const m of model) {
    const { id, ...data } = m;
    await chat.createUser(id, data);
  }
});
after(closeChats);

/** All matching users of this run, following page.next until the end. */
async function all(params = {}) {
  const out = [];
  let page;
  for (let guard = 0; guard < 50; guard++) {
    const r = await chat.getUsers({ ...params, ...(page ? { page: { next: page } } : {}) });
    out.push(...r.users);
    if (!r.page.next) return out;
    page = r.page.next;
  }
  throw new Error("paging did not end");
}

async function query(filter, extra = {}) {
  return chat.getUsers({ filter: `${SCOPE} && (${filter})`, ...extra });
}

function expected(pred) {
  return model.filter(pred).map((m) => m.id);
}

async function assertFilter(filter, pred) {
  const full = `${SCOPE} && (${filter})`;
  const first = await chat.getUsers({ filter: full });
  const users = await all({ filter: full });
  const want = expected(pred);
  assert.deepEqual(ids(users).sort(), want.sort(), `filter: ${filter}`);
  assert.equal(first.total, want.length, `total for filter: ${filter}`);
}

test("result shape: { users: User[], page: {}, total }", async () => {
  const r = await chat.getUsers({ filter: SCOPE, limit: 5 });
  assert.ok(Array.isArray(r.users));
  assert.equal(r.users.length, 5);
  for (const u of r.users) assert.ok(u instanceof User);
  assert.equal(typeof r.page, "object");
  assert.ok(r.page !== null);
  assert.equal(typeof r.page.next, "string");
  assert.equal(r.page.prev, undefined, "no prev on the first page");
  assert.equal(r.total, N);
});

test("getUsers() with no arguments resolves a page of at most 100 users", async () => {
  const r = await chat.getUsers();
  assert.ok(Array.isArray(r.users));
  assert.ok(r.users.length <= 100);
  assert.ok(r.users.length > 0);
  const r2 = await chat.getUsers({});
  assert.ok(r2.users.length <= 100);
});

test("default limit is 100 and paging forward covers all users exactly once", async () => {
  const p1 = await chat.getUsers({ filter: SCOPE });
  assert.equal(p1.users.length, 100);
  assert.equal(p1.total, N);
  assert.ok(p1.page.next, "page 1 has next");
  assert.equal(p1.page.prev, undefined, "page 1 has no prev");
  const p2 = await chat.getUsers({ filter: SCOPE, page: { next: p1.page.next } });
  assert.equal(p2.users.length, 100);
  assert.ok(p2.page.next, "page 2 has next");
  assert.ok(p2.page.prev, "page 2 has prev");
  const p3 = await chat.getUsers({ filter: SCOPE, page: { next: p2.page.next } });
  assert.equal(p3.users.length, 50);
  assert.equal(p3.page.next, undefined, "the last page has no next");
  assert.ok(p3.page.prev, "page 3 has prev");
  const seen = [...ids(p1.users), ...ids(p2.users), ...ids(p3.users)];
  assert.equal(new Set(seen).size, N, "no duplicates across pages");
  assert.deepEqual([...seen].sort(), model.map((m) => m.id).sort());
  // and back
  const back2 = await chat.getUsers({ filter: SCOPE, page: { prev: p3.page.prev } });
  assert.deepEqual(ids(back2.users), ids(p2.users), "prev from page 3 gives page 2");
  const back1 = await chat.getUsers({ filter: SCOPE, page: { prev: back2.page.prev } });
  assert.deepEqual(ids(back1.users), ids(p1.users), "prev from page 2 gives page 1");
  assert.equal(back1.page.prev, undefined, "back on the first page: no prev");
});

test("default order is updated ascending (ties by id): creation order here", async () => {
  const users = await all({ filter: SCOPE });
  const byUpdated = [...users].sort((a, b) => (a.updated < b.updated ? -1 : a.updated > b.updated ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  assert.deepEqual(ids(users), ids(byUpdated), "sorted by (updated, id)");
  assert.deepEqual(ids(users), model.map((m) => m.id), "sequential creates come back in creation order");
});

test("an update moves a user to the end of the default order", async () => {
  const scope = `${SCOPE} && custom.group == 4`;
  const before = ids((await chat.getUsers({ filter: scope })).users);
  const moved = before[0];
  await chat.updateUser(moved, { status: "moved" });
  const afterIds = ids((await chat.getUsers({ filter: scope })).users);
  assert.equal(afterIds[afterIds.length - 1], moved);
  assert.deepEqual(afterIds.slice(0, -1), before.slice(1));
  await chat.updateUser(moved, { status: model.find((m) => m.id === moved).status });
});

test("paging with a small limit walks forward and backward consistently", async () => {
  const full = ids(await all({ filter: SCOPE }));
  const pages = [];
  let r = await chat.getUsers({ filter: SCOPE, limit: 30 });
  pages.push(r);
  while (r.page.next) {
    r = await chat.getUsers({ filter: SCOPE, limit: 30, page: { next: r.page.next } });
    pages.push(r);
    assert.ok(pages.length < 20);
  }
  assert.equal(pages.length, Math.ceil(N / 30));
  assert.deepEqual(pages.flatMap((p) => ids(p.users)), full);
  for (const p of pages) assert.equal(p.total, N);
  // backward from the last page reproduces each earlier page
  let cur = pages[pages.length - 1];
  for (let i = pages.length - 2; i >= 0; i--) {
    assert.ok(cur.page.prev, `page ${i + 1} has prev`);
    cur = await chat.getUsers({ filter: SCOPE, limit: 30, page: { prev: cur.page.prev } });
    assert.deepEqual(ids(cur.users), ids(pages[i].users), `prev leads to page ${i}`);
  }
  assert.equal(cur.page.prev, undefined);
});

test("limit 0 returns no users but the total; limit 100 and 1 work", async () => {
  const z = await chat.getUsers({ filter: SCOPE, limit: 0 });
  assert.deepEqual(z.users, []);
  assert.equal(z.total, N);
  assert.equal((await chat.getUsers({ filter: SCOPE, limit: 100 })).users.length, 100);
  const one = await chat.getUsers({ filter: SCOPE, limit: 1 });
  assert.equal(one.users.length, 1);
  assert.ok(one.page.next);
});

test("page.next only when more users exist: exactly-full page has no next", async () => {
  // 50 users in group 2
  const r = await query("custom.group == 2", { limit: 50 });
  assert.equal(r.users.length, 50);
  assert.equal(r.page.next, undefined);
  const r2 = await query("custom.group == 2", { limit: 49 });
  assert.ok(r2.page.next);
  const r3 = await query("custom.group == 2", { limit: 49, page: { next: r2.page.next } });
  assert.equal(r3.users.length, 1);
  assert.equal(r3.page.next, undefined);
});

test("a filter matching nothing: no users, total 0, no cursors", async () => {
  const r = await query("name == 'nobody at all'");
  assert.deepEqual(r.users, []);
  assert.equal(r.total, 0);
  assert.equal(r.page.next, undefined);
  assert.equal(r.page.prev, undefined);
});

// ---- filter language ------------------------------------------------------------------

test("filter ==, != on strings (single and double quotes)", async () => {
  await assertFilter(`name == 'Alice 000'`, (m) => m.name === "Alice 000");
  await assertFilter(`name == "Alice 000"`, (m) => m.name === "Alice 000");
  await assertFilter(`status != 'online'`, (m) => m.status !== "online");
  await assertFilter(`type == "admin"`, (m) => m.type === "admin");
  await assertFilter(`id == '${P}-123'`, (m) => m.id === `${P}-123`);
});

test("filter <, >, <=, >= on numbers compare numerically", async () => {
  await assertFilter("custom.n >= 10 && custom.n < 20", (m) => m.custom.n >= 10 && m.custom.n < 20);
  await assertFilter("custom.n > 240", (m) => m.custom.n > 240);
  await assertFilter("custom.n <= 9", (m) => m.custom.n <= 9); // numeric: 100 is not < 9
  await assertFilter("custom.n < 5 || custom.n > 244", (m) => m.custom.n < 5 || m.custom.n > 244);
  await assertFilter("custom.n == 7.0", (m) => m.custom.n === 7);
  await assertFilter("custom.n >= -1 && custom.n < 1.5", (m) => m.custom.n < 1.5);
});

test("filter <, > on strings compare lexicographically", async () => {
  await assertFilter(`id < '${P}-010'`, (m) => m.id < `${P}-010`);
  await assertFilter(`name > 'd'`, (m) => m.name > "d");
  await assertFilter(`name >= 'Zed' && name <= 'Zed 999'`, (m) => m.name >= "Zed" && m.name <= "Zed 999");
});

test("filter on booleans and null", async () => {
  await assertFilter("custom.vip == true", (m) => m.custom.vip === true);
  await assertFilter("custom.vip == false", (m) => m.custom.vip === false);
  await assertFilter("custom.vip != true", (m) => m.custom.vip !== true);
  await assertFilter("email == null", (m) => m.email === undefined);
  await assertFilter("email != null", (m) => m.email !== undefined);
  await assertFilter("custom.missing == null", () => true);
});

test("filter &&, ||, !, parentheses and precedence", async () => {
  await assertFilter("(custom.group == 0 || custom.group == 1) && custom.vip == true", (m) => (m.custom.group === 0 || m.custom.group === 1) && m.custom.vip);
  await assertFilter("custom.group == 0 || custom.group == 1 && custom.vip == true", (m) => m.custom.group === 0 || (m.custom.group === 1 && m.custom.vip));
  await assertFilter("!(custom.group == 0)", (m) => m.custom.group !== 0);
  await assertFilter("!(custom.group == 0 || custom.group == 1)", (m) => m.custom.group > 1);
  await assertFilter("!!(custom.tag == 't1')", (m) => m.custom.tag === "t1");
  await assertFilter("((((custom.n == 42))))", (m) => m.custom.n === 42);
});

test("filter custom.key and custom[\"key\"] forms", async () => {
  await assertFilter(`custom["tag"] == 't1'`, (m) => m.custom.tag === "t1");
  await assertFilter(`custom['tag'] == "t2"`, (m) => m.custom.tag === "t2");
  await assertFilter(`custom["employment-status"] == 'full'`, (m) => m.custom["employment-status"] === "full");
  await assertFilter(`custom.tag == 't0' && custom["group"] == 3`, (m) => m.custom.tag === "t0" && m.custom.group === 3);
});

test("filter LIKE with * wildcards", async () => {
  await assertFilter("name LIKE 'Alice*'", (m) => m.name.startsWith("Alice"));
  await assertFilter("email LIKE '*@ex1.com'", (m) => m.email?.endsWith("@ex1.com"));
  await assertFilter("name LIKE '*0*'", (m) => m.name.includes("0"));
  await assertFilter("name LIKE 'C*l 0*'", (m) => /^C.*l 0/.test(m.name));
  await assertFilter("name LIKE '*'", () => true);
  await assertFilter("email LIKE '*'", (m) => m.email !== undefined);
});

test("filter LIKE: \\* matches a literal star", async () => {
  await assertFilter("name LIKE 'Star\\**'", (m) => m.name.startsWith("Star*"));
  await assertFilter("name LIKE '*\\**'", (m) => m.name.includes("*"));
  // without the escape the star is a wildcard: 'Star*' matches every name starting with Star
  await assertFilter("name LIKE 'Sta*Lord*'", (m) => m.name.startsWith("Star*Lord"));
});

test("filter strings with escaped quotes", async () => {
  await assertFilter("name LIKE 'O\\'Brien*'", (m) => m.name.startsWith("O'Brien"));
  await assertFilter(`name LIKE "O'Brien*"`, (m) => m.name.startsWith("O'Brien"));
});

test("filter is case-sensitive (values and LIKE)", async () => {
  await assertFilter("name LIKE 'alice*'", () => false);
  await assertFilter("name LIKE 'bob*'", (m) => m.name.startsWith("bob"));
  await assertFilter("name LIKE 'Bob*'", () => false);
  await assertFilter("status == 'ONLINE'", () => false);
});

test("filter with non-ASCII values", async () => {
  await assertFilter("name LIKE 'Émile*'", (m) => m.name.startsWith("Émile"));
});

test("filter comparisons between different types are false (== string vs number)", async () => {
  await assertFilter("custom.n == '7'", () => false);
});

test("filter on updated (RFC 3339 strings)", async () => {
  const users = await all({ filter: SCOPE });
  const updatedOf = Object.fromEntries(users.map((u) => [u.id, u.updated]));
  const mid = users[125].updated;
  await assertFilter(`updated >= '${mid}'`, (m) => updatedOf[m.id] >= mid);
  await assertFilter(`updated < '${mid}'`, (m) => updatedOf[m.id] < mid);
});

// ---- sort ------------------------------------------------------------------------------

function cmp(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

test("sort { name: 'asc' } and { name: 'desc' }", async () => {
  const asc = await all({ filter: SCOPE, sort: { name: "asc" } });
  assert.equal(asc.length, N);
  assert.deepEqual(asc.map((u) => u.name), model.map((m) => m.name).sort(cmp));
  const desc = await all({ filter: SCOPE, sort: { name: "desc" } });
  assert.deepEqual(desc.map((u) => u.name), model.map((m) => m.name).sort(cmp).reverse());
});

test("sort { id: 'desc' } pages consistently", async () => {
  const r = await all({ filter: SCOPE, sort: { id: "desc" }, limit: 40 });
  assert.deepEqual(ids(r), model.map((m) => m.id).sort(cmp).reverse());
});

test("sort direction null means ascending", async () => {
  const r = await all({ filter: SCOPE, sort: { name: null } });
  assert.deepEqual(r.map((u) => u.name), model.map((m) => m.name).sort(cmp));
});

test("sort keys are applied in order: { status: 'asc', name: 'desc' } and { type: 'desc', updated: null }", async () => {
  const r = await all({ filter: SCOPE, sort: { status: "asc", name: "desc" } });
  const want = [...model].sort((a, b) => cmp(a.status, b.status) || -cmp(a.name, b.name)).map((m) => m.id);
  assert.deepEqual(ids(r), want);
  const r2 = await all({ filter: SCOPE, sort: { type: "desc", updated: null } });
  const order = ids(await all({ filter: SCOPE })); // updated ascending
  const want2 = [...model].sort((a, b) => -cmp(a.type, b.type) || order.indexOf(a.id) - order.indexOf(b.id)).map((m) => m.id);
  assert.deepEqual(ids(r2), want2);
  // the reverse key order gives a different result
  const r3 = await all({ filter: SCOPE, sort: { name: "desc", status: "asc" } });
  assert.deepEqual(ids(r3), [...model].sort((a, b) => -cmp(a.name, b.name)).map((m) => m.id));
});

test("an empty sort object means the default order", async () => {
  assert.deepEqual(ids(await all({ filter: SCOPE, sort: {} })), ids(await all({ filter: SCOPE })));
});

test("sort { updated: 'desc' } is the reverse of the default order", async () => {
  const asc = ids(await all({ filter: SCOPE }));
  const desc = ids(await all({ filter: SCOPE, sort: { updated: "desc" } }));
  assert.deepEqual(desc, [...asc].reverse());
});

test("sort combined with filter and a small page", async () => {
  const r = await query("custom.vip == true", { sort: { name: "desc" }, limit: 10 });
  const want = model.filter((m) => m.custom.vip).map((m) => m.name).sort(cmp).reverse();
  assert.equal(r.total, want.length);
  assert.deepEqual(r.users.map((u) => u.name), want.slice(0, 10));
});

test("listed users carry all their fields", async () => {
  const r = await query(`id == '${P}-001'`);
  assert.equal(r.users.length, 1);
  const u = r.users[0];
  const m = model[1];
  assert.equal(u.name, m.name);
  assert.equal(u.email, m.email);
  assert.equal(u.status, m.status);
  assert.equal(u.type, m.type);
  assert.deepEqual({ ...u.custom }, m.custom);
  assert.equal(typeof u.updated, "string");
});

test("a hard-deleted user disappears from listings; a soft-deleted one stays with status 'deleted'", async () => {
  const extra = `${P}-x-hard`;
  const extra2 = `${P}-x-soft`;
  await chat.createUser(extra, { name: "Extra Hard" });
  await chat.createUser(extra2, { name: "Extra Soft" });
  assert.equal((await chat.getUsers({ filter: SCOPE, limit: 0 })).total, N + 2);
  await chat.deleteUser(extra);
  await chat.deleteUser(extra2, { soft: true });
  const r = await query(`id LIKE '${P}-x-*'`);
  assert.deepEqual(ids(r.users), [extra2]);
  assert.equal(r.users[0].status, "deleted");
  await chat.deleteUser(extra2);
  assert.equal((await chat.getUsers({ filter: SCOPE, limit: 0 })).total, N);
});
