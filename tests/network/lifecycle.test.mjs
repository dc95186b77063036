// Issue 5: the rest of a user's life, on BOTH backends (embedded store and ferrochat-server):
// restore, lookups by email / external id, bulk delete (ids, filter, progress, pacing,
// partial failure, the all-users guard), a deleted signed-in user, onUpdated / onDeleted,
// and destroy.
//
// The network backend uses the server at FERROCHAT_ORIGIN when set (scripts/test-network.sh),
// otherwise a private one. `allowAll` is exercised only on a fresh private server (network)
// and as the very last embedded test (the embedded store belongs to this test process).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { Chat, User } from "ferrochat";
import { startServer } from "../support/server.mjs";
import { EVENT_MS, QUIET_MS, netConfig, uid, sleep, waitFor, rejectsWith, fields, pool, serverOrigin, destroyAll, full } from "./helpers/common.mjs";

const NOT_FOUND = "User with this ID does not exist";

const sorted = (xs) => [...xs].sort();

for (const backend of ["embedded", "network"]) {
  describe(`lifecycle (${backend})`, () => {
    const NETWORK = backend === "network";
    let server;
    let origin;
    const chats = [];
    const servers = [];

    const config = (userId, at = origin) => (NETWORK ? netConfig(at, userId) : { userId });
    const init = async (userId, at) => {
      const chat = await Chat.init(config(userId, at));
      chats.push(chat);
      return chat;
    };
    const open = (prefix = "me") => init(uid(prefix));

    before(async () => {
      if (!NETWORK) return;
      ({ origin, server } = await serverOrigin());
      if (server) servers.push(server);
    });

    after(async () => {
      destroyAll(chats);
      for (const s of servers) await s.stop();
    });

    // ---------------------------------------------------------------- restore

    it("user.restore() clears status 'deleted' and keeps every other field", async () => {
      const chat = await open("rst");
      const id = uid("arch");
      await chat.createUser(id, full("r1"));
      const soft = await chat.deleteUser(id, { soft: true });
      assert.equal(soft.status, "deleted");
      const restored = await soft.restore();
      assert.ok(restored instanceof User);
      const expected = { id, ...full("r1"), status: undefined };
      assert.deepEqual(fields(restored), expected);
      assert.deepEqual(fields(await chat.getUser(id)), expected, "the stored record is restored");
    });

    it("chat.restoreUser(id) clears status 'deleted' (deleted by another Chat) and keeps every other field", async () => {
      const a = await open("rst-a");
      const b = await open("rst-b");
      const id = uid("arch");
      await a.createUser(id, full("r2"));
      await a.deleteUser(id, { soft: true });
      assert.equal((await b.getUser(id)).status, "deleted");
      const restored = await b.restoreUser(id);
      const expected = { id, ...full("r2"), status: undefined };
      assert.deepEqual(fields(restored), expected);
      assert.deepEqual(fields(await a.getUser(id)), expected);
    });

    it("restoring an unknown id rejects USER_NOT_FOUND", async () => {
      const chat = await open("rst-none");
      await rejectsWith(() => chat.restoreUser(uid("nobody")), "USER_NOT_FOUND", {
        message: NOT_FOUND,
        label: "restoreUser(unknown)",
      });
      // A User object whose record was hard-deleted.
      const id = uid("gone");
      const user = await chat.createUser(id, { name: "Gone" });
      await chat.deleteUser(id);
      await rejectsWith(() => user.restore(), "USER_NOT_FOUND", { message: NOT_FOUND, label: "user.restore() after hard delete" });
      assert.equal(await chat.getUser(id), null, "restore must not re-create a hard-deleted user");
    });

    it("restoring a user that is not deleted resolves it unchanged", async () => {
      const chat = await open("rst-noop");
      const away = uid("away");
      const created = await chat.createUser(away, { ...full("r3"), status: "away" });
      const r1 = await chat.restoreUser(away);
      assert.deepEqual(fields(r1), fields(created), "a status other than 'deleted' is kept");
      assert.equal(r1.updated, created.updated, "nothing was written");

      const plain = uid("plain");
      const created2 = await chat.createUser(plain, { name: "Plain" });
      const r2 = await created2.restore();
      assert.deepEqual(fields(r2), fields(created2));
      assert.equal(r2.updated, created2.updated);
      assert.deepEqual(fields(await chat.getUser(plain)), fields(created2));
    });

    // ---------------------------------------------------------------- lookups

    it("getUserByEmail / getUserByExternalId find exact values (quotes, stars, backslashes) or null", async () => {
      const chat = await open("look");
      const t = uid("lk");
      const values = [`O'Brien-${t}`, `a*b-${t}`, `back\\slash-${t}`, `say "hi" ${t}`];
      // Decoys whose ids sort first and that a wildcard or a lost escape would match.
      const decoys = [`aXYb-${t}`, `a-b-${t}`, `backslash-${t}`, `back/slash-${t}`];
      for (const [i, v] of decoys.entries()) {
        await chat.createUser(`${t}-0-decoy-${i}`, { name: "Decoy", externalId: v, email: `${v}@example.com` });
      }
      for (const [i, v] of values.entries()) {
        await chat.createUser(`${t}-1-real-${i}`, { name: `Real ${i}`, externalId: v, email: `${v}@example.com` });
      }
      for (const [i, v] of values.entries()) {
        const byExt = await chat.getUserByExternalId(v);
        assert.ok(byExt instanceof User, `getUserByExternalId(${JSON.stringify(v)}) found nothing`);
        assert.equal(byExt.id, `${t}-1-real-${i}`, `getUserByExternalId(${JSON.stringify(v)})`);
        assert.equal(byExt.externalId, v);
        const byEmail = await chat.getUserByEmail(`${v}@example.com`);
        assert.ok(byEmail instanceof User, `getUserByEmail(${JSON.stringify(v)}@example.com) found nothing`);
        assert.equal(byEmail.id, `${t}-1-real-${i}`, `getUserByEmail(${JSON.stringify(v)}@example.com)`);
        assert.equal(byEmail.email, `${v}@example.com`);
      }
      assert.equal(await chat.getUserByEmail(`nobody-${t}@example.com`), null);
      assert.equal(await chat.getUserByExternalId(`nobody-${t}`), null);
      assert.equal(await chat.getUserByExternalId(`a*`), null, "no wildcard matching");

      // Several matches: the first by id.
      await chat.createUser(`${t}-dup-b`, { name: "B", email: `dup-${t}@example.com` });
      await chat.createUser(`${t}-dup-a`, { name: "A", email: `dup-${t}@example.com` });
      assert.equal((await chat.getUserByEmail(`dup-${t}@example.com`)).id, `${t}-dup-a`);
    });

    // ---------------------------------------------------------------- bulk delete

    it("deleteUsers(ids) hard-deletes every id and resolves { operationId, deleted, failed }", async () => {
      const chat = await open("bulk-ids");
      const ids = Array.from({ length: 5 }, () => uid("bd"));
      for (const id of ids) await chat.createUser(id, { name: id });
      const progress = [];
      const res = await chat.deleteUsers(ids, { onProgress: (p) => progress.push({ ...p }) });
      assert.equal(typeof res.operationId, "string");
      assert.ok(res.operationId.length > 0);
      assert.deepEqual(sorted(res.deleted), sorted(ids));
      assert.deepEqual(res.failed, []);
      for (const id of ids) assert.equal(await chat.getUser(id), null, `${id} is gone`);
      assert.ok(progress.length >= 1, "onProgress was called");
      assert.deepEqual(progress.at(-1), { done: 5, total: 5, failed: 0 });
    });

    it("deleteUsers({ filter }) by email / externalId deletes only the matches", async () => {
      const chat = await open("bulk-filter");
      const t = uid("ser");
      const wash = `${t}-wash`;
      const mal = `${t}-mal`;
      const x25 = `${t}-25`;
      const x250 = `${t}-250`;
      await chat.createUser(wash, { name: "Wash", email: `wash-${t}@serenity.io`, externalId: `24-${t}` });
      await chat.createUser(mal, { name: "Mal", email: `mal-${t}@serenity.io`, externalId: `26-${t}` });
      await chat.createUser(x25, { name: "Twenty-five", externalId: `25-${t}` });
      await chat.createUser(x250, { name: "Two-fifty", externalId: `250-${t}` });

      const soft = await chat.deleteUsers({ filter: `email == 'wash-${t}@serenity.io'` }, { soft: true });
      assert.deepEqual(soft.deleted, [wash]);
      assert.deepEqual(soft.failed, []);
      const washNow = await chat.getUser(wash);
      assert.equal(washNow.status, "deleted");
      assert.equal(washNow.name, "Wash", "a soft delete keeps the other fields");
      assert.equal((await chat.getUser(mal)).status, undefined, "non-matching users untouched");

      const hard = await chat.deleteUsers({ filter: `externalId == '25-${t}'` }, {});
      assert.deepEqual(hard.deleted, [x25]);
      assert.deepEqual(hard.failed, []);
      assert.equal(await chat.getUser(x25), null);
      assert.ok(await chat.getUser(x250), "externalId '250-…' does not match == '25-…'");
    });

    it("a bulk soft delete of 1,000 users reports progress until done === total", { timeout: 300_000 }, async () => {
      const chat = await open("bulk-1000");
      const t = uid("k");
      const ids = Array.from({ length: 1000 }, (_, i) => `${t}-${String(i).padStart(4, "0")}`);
      await pool(ids, 16, (id) => chat.createUser(id, { name: `Bulk ${id}`, email: `${id}@bulk.example` }));

      const progress = [];
      const res = await chat.deleteUsers(ids, { soft: true, rate: 2000, onProgress: (p) => progress.push({ ...p }) });
      assert.equal(res.failed.length, 0, JSON.stringify(res.failed.slice(0, 3).map((f) => [f.id, f.error?.code])));
      assert.equal(res.deleted.length, 1000);
      assert.deepEqual(sorted(res.deleted), ids);

      assert.ok(progress.length > 1, `onProgress called repeatedly (got ${progress.length})`);
      for (const [i, p] of progress.entries()) {
        assert.equal(p.total, 1000, "total is the number of targets");
        assert.equal(p.failed, 0);
        assert.ok(p.done >= 0 && p.done <= 1000, `done in range: ${p.done}`);
        if (i > 0) assert.ok(p.done >= progress[i - 1].done, "done never goes back");
      }
      assert.equal(progress.at(-1).done, 1000, "the last progress has done === total");

      const { users, total } = await chat.getUsers({ filter: `id LIKE '${t}-*' && status == 'deleted'`, limit: 10 });
      assert.equal(total, 1000, "every one is soft-deleted");
      assert.equal(users[0].name, `Bulk ${users[0].id}`, "soft delete keeps the other fields");
      // Clean up (hard) so the shared server does not keep 1,000 archived users around.
      const cleanup = await chat.deleteUsers(ids, { rate: 5000, concurrency: 32 });
      assert.equal(cleanup.deleted.length, 1000);
    });

    it("at the default rate (100 users/s) deleting n users takes at least (n-1)/100 s", { timeout: 120_000 }, async () => {
      const chat = await open("bulk-rate");
      const n = 101;
      const t = uid("rate");
      const ids = Array.from({ length: n }, (_, i) => `${t}-${i}`);
      await pool(ids, 16, (id) => chat.createUser(id, { name: id }));
      const started = performance.now();
      const res = await chat.deleteUsers(ids, { soft: true });
      const elapsed = performance.now() - started;
      assert.equal(res.deleted.length, n);
      assert.deepEqual(res.failed, []);
      // 10 ms of slack for timer and clock granularity (Date.now vs performance.now).
      const floor = ((n - 1) / 100) * 1000 - 10;
      assert.ok(elapsed >= floor, `took ${elapsed.toFixed(0)} ms, expected at least ${floor + 10} ms`);
      await chat.deleteUsers(ids, { rate: 5000 });
    });

    it("deleteUsers rejects bad options with INVALID_ARGUMENT", async () => {
      const chat = await open("bulk-opts");
      const id = uid("opt");
      await chat.createUser(id, { name: "Opt" });
      await rejectsWith(() => chat.deleteUsers([id], { rate: 0 }), "INVALID_ARGUMENT", { label: "rate: 0" });
      await rejectsWith(() => chat.deleteUsers([id], { concurrency: 0 }), "INVALID_ARGUMENT", { label: "concurrency: 0" });
      await rejectsWith(() => chat.deleteUsers("nope", {}), "INVALID_ARGUMENT", { label: "target: string" });
      await rejectsWith(() => chat.deleteUsers({ filter: "name LIKE" }, {}), "INVALID_ARGUMENT", { label: "bad filter" });
      assert.ok(await chat.getUser(id), "nothing was deleted");
    });

    it("partial failure: soft-deleting ids that do not exist lists exactly those ids in failed", async () => {
      const chat = await open("bulk-partial");
      const real = Array.from({ length: 3 }, () => uid("real"));
      const missing = Array.from({ length: 2 }, () => uid("missing"));
      for (const id of real) await chat.createUser(id, { name: id });
      const target = [real[0], missing[0], real[1], missing[1], real[2]];
      const progress = [];
      const res = await chat.deleteUsers(target, { soft: true, onProgress: (p) => progress.push({ ...p }) });
      assert.deepEqual(sorted(res.deleted), sorted(real));
      assert.deepEqual(sorted(res.failed.map((f) => f.id)), sorted(missing));
      for (const f of res.failed) {
        assert.ok(f.error instanceof Error, `failed[${f.id}].error is an Error`);
        assert.equal(f.error.code, "USER_NOT_FOUND");
        assert.equal(f.error.message, NOT_FOUND);
      }
      assert.deepEqual(progress.at(-1), { done: 5, total: 5, failed: 2 });
      for (const id of real) assert.equal((await chat.getUser(id)).status, "deleted");
      for (const id of missing) assert.equal(await chat.getUser(id), null, "a soft delete never creates a user");

      // A hard delete is idempotent: unknown ids are not failures.
      const hard = await chat.deleteUsers([...missing, real[0]], {});
      assert.deepEqual(hard.failed, []);
      assert.deepEqual(sorted(hard.deleted), sorted([...missing, real[0]]));
    });

    it("a filter that selects every user is refused with REFUSED_ALL_USERS (without allowAll)", async () => {
      const chat = await open("bulk-all");
      const keep = uid("keep");
      await chat.createUser(keep, { name: "Keep" });
      await rejectsWith(() => chat.deleteUsers({ filter: "id LIKE '*'" }, {}), "REFUSED_ALL_USERS", { label: "hard, id LIKE '*'" });
      await rejectsWith(() => chat.deleteUsers({ filter: "id LIKE '*'" }, { soft: true }), "REFUSED_ALL_USERS", {
        label: "soft, id LIKE '*'",
      });
      await rejectsWith(
        () => chat.deleteUsers({ filter: `id != '${uid("no-such")}'` }, { soft: true, allowAll: false }),
        "REFUSED_ALL_USERS",
        { label: "a tautology also selects everyone" },
      );
      const still = await chat.getUser(keep);
      assert.ok(still, "nothing was deleted");
      assert.equal(still.status, undefined, "nothing was soft-deleted");
      assert.equal((await chat.getUser(chat.currentUser.id))?.status, undefined);
    });

    it("an empty list or a filter with no match deletes nothing", async () => {
      const chat = await open("bulk-empty");
      const progress = [];
      const empty = await chat.deleteUsers([], { onProgress: (p) => progress.push({ ...p }) });
      assert.deepEqual(empty.deleted, []);
      assert.deepEqual(empty.failed, []);
      assert.equal(typeof empty.operationId, "string");
      for (const p of progress) assert.deepEqual(p, { done: 0, total: 0, failed: 0 });

      const none = await chat.deleteUsers({ filter: `id == '${uid("none")}'` }, { soft: true });
      assert.deepEqual(none.deleted, []);
      assert.deepEqual(none.failed, []);
      assert.ok(await chat.getUser(chat.currentUser.id), "the signed-in user is still there");
    });

    it("deleteUsers that includes the signed-in user deletes every target, then ends this Chat", async () => {
      const chat = await open("bulk-self");
      const statuses = [];
      chat.addConnectionStatusListener((s) => statuses.push({ ...s }));
      const others = [uid("bs"), uid("bs")];
      for (const id of others) await chat.createUser(id, { name: id });
      const me = chat.currentUser.id;
      // The signed-in user first in the list: the others must still be deleted.
      const res = await chat.deleteUsers([me, ...others], { soft: true });
      assert.deepEqual(res.failed.map((f) => [f.id, f.error?.code]), []);
      assert.deepEqual(sorted(res.deleted), sorted([me, ...others]));
      await waitFor(() => statuses.length >= 1, EVENT_MS, "the status callback for the own user");
      assert.deepEqual(statuses[0], { category: "PNDisconnectedCategory", reason: "userDeleted", userId: me, soft: true });
      await rejectsWith(() => chat.getUser(me), "CURRENT_USER_DELETED");
      const admin = await open("bulk-self-admin");
      for (const id of others) assert.equal((await admin.getUser(id)).status, "deleted");
    });

    // ---------------------------------------------------------------- deleted signed-in user

    it("soft-deleting the signed-in user from another Chat disconnects it; Chat.init rejects USER_DELETED until restored", async () => {
      const victimId = uid("victim");
      const victim = await init(victimId);
      const statuses = [];
      const dropped = [];
      const unsubscribe = victim.addConnectionStatusListener((s) => statuses.push({ ...s }));
      assert.equal(typeof unsubscribe, "function");
      const unsubscribeDropped = victim.addConnectionStatusListener((s) => dropped.push(s));
      unsubscribeDropped();
      unsubscribeDropped(); // twice is harmless

      const admin = await open("admin");
      await admin.deleteUser(victimId, { soft: true });
      await waitFor(() => statuses.length >= 1, EVENT_MS, "the victim's connection status callback");
      assert.deepEqual(statuses[0], {
        category: "PNDisconnectedCategory",
        reason: "userDeleted",
        userId: victimId,
        soft: true,
      });
      assert.equal(dropped.length, 0, "an unsubscribed listener is not called");

      await rejectsWith(() => victim.getUser(victimId), "CURRENT_USER_DELETED", { label: "getUser" });
      await rejectsWith(() => victim.createUser(uid("x"), { name: "X" }), "CURRENT_USER_DELETED", { label: "createUser" });
      await rejectsWith(() => victim.getUsers({}), "CURRENT_USER_DELETED", { label: "getUsers" });
      await rejectsWith(() => victim.restoreUser(victimId), "CURRENT_USER_DELETED", { label: "restoreUser (own)" });

      await rejectsWith(() => Chat.init(config(victimId)), "USER_DELETED", { label: "Chat.init of a soft-deleted user" });

      const restored = await admin.restoreUser(victimId);
      assert.equal(restored.status, undefined);
      const again = await init(victimId);
      assert.equal(again.currentUser.id, victimId);
      assert.equal(again.currentUser.status, undefined);
      assert.equal(again.currentUser.name, victimId, "the record was kept, not re-created");
      assert.ok(await again.getUser(admin.currentUser.id), "the new Chat works");

      await sleep(QUIET_MS);
      assert.equal(statuses.length, 1, "the old Chat was told once");
    });

    it("hard-deleting the signed-in user from another Chat disconnects it (soft: false)", async () => {
      const victimId = uid("victim-h");
      const victim = await init(victimId);
      const statuses = [];
      victim.addConnectionStatusListener((s) => statuses.push({ ...s }));
      const admin = await open("admin-h");
      assert.equal(await admin.deleteUser(victimId), true);
      await waitFor(() => statuses.length >= 1, EVENT_MS, "the victim's connection status callback");
      assert.deepEqual(statuses[0], {
        category: "PNDisconnectedCategory",
        reason: "userDeleted",
        userId: victimId,
        soft: false,
      });
      await rejectsWith(() => victim.getUser(admin.currentUser.id), "CURRENT_USER_DELETED", { label: "getUser" });
      await rejectsWith(() => victim.updateUser(admin.currentUser.id, { name: "N" }), "CURRENT_USER_DELETED", {
        label: "updateUser",
      });
      // A hard-deleted id is free again: Chat.init creates it anew.
      const again = await init(victimId);
      assert.equal(again.currentUser.id, victimId);
      assert.equal(again.currentUser.name, victimId);
    });

    // ---------------------------------------------------------------- onUpdated / onDeleted

    it("user.onUpdated reports changes from another Chat; its unsubscribe stops it", async () => {
      const a = await open("ou-a");
      const b = await open("ou-b");
      const id = uid("ou");
      const user = await a.createUser(id, { name: "One", email: "one@example.com" });
      const updates = [];
      const off = user.onUpdated((u) => updates.push(u));
      assert.equal(typeof off, "function");
      await b.updateUser(id, { name: "Two" });
      await waitFor(() => updates.length >= 1, EVENT_MS, "onUpdated");
      assert.ok(updates[0] instanceof User);
      assert.equal(updates[0].name, "Two");
      assert.equal(updates[0].email, "one@example.com", "the latest merged state");
      off();
      off(); // twice is harmless
      await b.updateUser(id, { name: "Three" });
      await sleep(QUIET_MS);
      assert.equal(updates.length, 1, "no callback after unsubscribe");
    });

    it("user.onDeleted reports a soft delete with { id, soft: true }; its unsubscribe stops it", async () => {
      const a = await open("od-a");
      const b = await open("od-b");
      const id = uid("od");
      const user = await a.createUser(id, { name: "Del" });
      const deleted = [];
      const off = user.onDeleted((info) => deleted.push({ ...info }));
      assert.equal(typeof off, "function");
      await b.updateUser(id, { name: "Del 2" }); // not a delete
      await b.deleteUser(id, { soft: true });
      await waitFor(() => deleted.length >= 1, EVENT_MS, "onDeleted (soft)");
      assert.deepEqual(deleted[0], { id, soft: true });
      await sleep(QUIET_MS);
      assert.equal(deleted.length, 1, "an update is not a delete");

      off();
      await b.restoreUser(id);
      await b.deleteUser(id, { soft: true });
      await b.deleteUser(id);
      await sleep(QUIET_MS);
      assert.equal(deleted.length, 1, "no callback after unsubscribe");
    });

    it("user.onDeleted reports a hard delete with { id, soft: false }", async () => {
      const a = await open("odh-a");
      const b = await open("odh-b");
      const id = uid("odh");
      const user = await a.createUser(id, { name: "Hard" });
      const deleted = [];
      user.onDeleted((info) => deleted.push({ ...info }));
      assert.equal(await b.deleteUser(id), true);
      await waitFor(() => deleted.length >= 1, EVENT_MS, "onDeleted (hard)");
      assert.deepEqual(deleted[0], { id, soft: false });
    });

    // ---------------------------------------------------------------- destroy

    it("chat.destroy(): later calls reject DESTROYED and no more callbacks arrive", async () => {
      const a = await open("ds-a");
      const b = await open("ds-b");
      const id = uid("ds");
      const user = await a.createUser(id, { name: "A" });
      const streamed = [];
      const updated = [];
      const deleted = [];
      const statuses = [];
      user.streamUpdates((u) => streamed.push(u));
      user.onUpdated((u) => updated.push(u));
      user.onDeleted((i) => deleted.push(i));
      a.addConnectionStatusListener((s) => statuses.push(s));
      await b.updateUser(id, { name: "B" });
      await waitFor(() => streamed.length >= 1 && updated.length >= 1, EVENT_MS, "the streams to be live");

      assert.equal(a.destroy(), undefined);
      assert.doesNotThrow(() => a.destroy(), "destroy is idempotent");

      const calls = {
        getUser: () => a.getUser(id),
        createUser: () => a.createUser(uid("n"), { name: "N" }),
        updateUser: () => a.updateUser(id, { name: "N" }),
        deleteUser: () => a.deleteUser(id),
        softDelete: () => a.deleteUser(id, { soft: true }),
        getUsers: () => a.getUsers({}),
        restoreUser: () => a.restoreUser(id),
        getUserByEmail: () => a.getUserByEmail("x@example.com"),
        getUserByExternalId: () => a.getUserByExternalId("x"),
        deleteUsers: () => a.deleteUsers([id], {}),
        "user.update": () => user.update({ name: "N" }),
        "user.delete": () => user.delete({}),
        "user.restore": () => user.restore(),
      };
      for (const [label, call] of Object.entries(calls)) {
        await rejectsWith(call, "DESTROYED", { message: "This Chat was destroyed", label });
      }

      const before = [streamed.length, updated.length, deleted.length, statuses.length];
      await b.updateUser(id, { name: "C" });
      await b.deleteUser(id, { soft: true });
      await b.deleteUser(a.currentUser.id, { soft: true }); // its own user: no status callback either
      await b.deleteUser(id);
      await sleep(QUIET_MS);
      assert.deepEqual([streamed.length, updated.length, deleted.length, statuses.length], before, "no callbacks after destroy");
      assert.equal((await b.getUser(id)), null, "b's writes went through");
    });

    // ---------------------------------------------------------------- allowAll (last)

    it("allowAll: true really deletes every user (fresh private store/server only)", { timeout: 60_000 }, async () => {
      let at = origin;
      if (NETWORK) {
        const fresh = await startServer();
        servers.push(fresh);
        at = fresh.origin;
      }
      // Embedded: this is the last embedded test, and the store belongs to this process.
      const chat = await init(uid("wiper"), at);
      const ids = Array.from({ length: 5 }, () => uid("wipe"));
      for (const id of ids) await chat.createUser(id, { name: id });
      await rejectsWith(() => chat.deleteUsers({ filter: "id LIKE '*'" }, {}), "REFUSED_ALL_USERS", { label: "without allowAll" });

      const res = await chat.deleteUsers({ filter: "id LIKE '*'" }, { allowAll: true });
      assert.deepEqual(res.failed, []);
      for (const id of [...ids, chat.currentUser.id]) assert.ok(res.deleted.includes(id), `${id} deleted`);

      const probe = await init(uid("probe"), at);
      const { users, total } = await probe.getUsers({});
      assert.deepEqual(
        users.map((u) => u.id),
        [probe.currentUser.id],
        "only the probe's own (new) user is left",
      );
      assert.equal(total, 1);
    });
  });
}
