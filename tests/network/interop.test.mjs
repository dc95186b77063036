// Issue 4.5: ferrochat (network backend) and @pubnub/chat 0.14.2 on the same
// ferrochat-server see each other's users, updates and deletes; the official `pubnub`
// client's objects listener sees ferrochat's changes.
//
// Uses the server at FERROCHAT_ORIGIN when set (scripts/test-network.sh), otherwise starts a
// private one.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { Chat } from "ferrochat";
import { Chat as PnChat } from "@pubnub/chat";
import PubNub from "pubnub";
import { EVENT_MS, QUIET_MS, KEYS, netConfig, uid, sleep, waitFor, fields, serverOrigin, destroyAll, full } from "./helpers/common.mjs";

/** Time for @pubnub/chat's subscribe handshake to finish (it has no catch-up from "now"). */
const PN_SETTLE_MS = 1_000;

describe("interop: ferrochat <-> @pubnub/chat 0.14.2 / pubnub 10.2.6 on ferrochat-server", () => {
  let server;
  let origin;
  const ferroChats = [];
  const pnChats = [];
  const pubnubs = [];

  const ferro = async (userId = uid("fc")) => {
    const chat = await Chat.init(netConfig(origin, userId));
    ferroChats.push(chat);
    return chat;
  };
  const pn = async (userId = uid("pc")) => {
    const chat = await PnChat.init(netConfig(origin, userId));
    pnChats.push(chat);
    return chat;
  };
  const rawClient = (userId = uid("raw")) => {
    const client = new PubNub({ ...KEYS, userId, origin, ssl: false });
    pubnubs.push(client);
    return client;
  };

  before(async () => {
    ({ origin, server } = await serverOrigin());
  });

  after(async () => {
    destroyAll(ferroChats);
    for (const chat of pnChats) {
      chat.sdk.unsubscribeAll?.();
      chat.sdk.destroy?.();
    }
    for (const client of pubnubs) {
      client.unsubscribeAll?.();
      client.destroy?.();
    }
    if (server) await server.stop();
  });

  it("users created by either SDK have the same fields in the other", async () => {
    const fc = await ferro();
    const pc = await pn();

    // ferrochat creates, @pubnub/chat reads.
    const a = uid("fc-made");
    const madeByFerro = await fc.createUser(a, full("a"));
    const seenByPn = await pc.getUser(a);
    assert.ok(seenByPn, "@pubnub/chat getUser finds the user ferrochat created");
    assert.deepEqual(fields(seenByPn), { id: a, ...full("a") });
    assert.deepEqual(fields(seenByPn), fields(madeByFerro));

    // @pubnub/chat creates, ferrochat reads.
    const b = uid("pc-made");
    const madeByPn = await pc.createUser(b, full("b"));
    const seenByFerro = await fc.getUser(b);
    assert.ok(seenByFerro, "ferrochat getUser finds the user @pubnub/chat created");
    assert.deepEqual(fields(seenByFerro), { id: b, ...full("b") });
    assert.deepEqual(fields(seenByFerro), fields(madeByPn));

    // Both lists agree too.
    const filter = `id == '${a}' || id == '${b}'`;
    const fromFerro = await fc.getUsers({ filter, sort: { id: "asc" } });
    const fromPn = await pc.getUsers({ filter, sort: { id: "asc" } });
    assert.deepEqual(
      fromFerro.users.map(fields),
      fromPn.users.map(fields),
      "getUsers gives the same users with the same fields in both SDKs",
    );
    assert.equal(fromFerro.users.length, 2);

    // Each SDK's signed-in user is visible to the other.
    assert.equal((await pc.getUser(fc.currentUser.id))?.name, fc.currentUser.id);
    assert.equal((await fc.getUser(pc.currentUser.id))?.name, pc.currentUser.id);
  });

  it("an update from @pubnub/chat triggers ferrochat's streamUpdates with the merged state", async () => {
    const fc = await ferro();
    const pc = await pn();
    const id = uid("pc-upd");
    const user = await fc.createUser(id, full("c"));
    const seen = [];
    const stop = user.streamUpdates((u) => seen.push(u));
    try {
      const pnUser = await pc.getUser(id);
      await pnUser.update({ name: "Changed by PN", custom: { team: "blue" } });
      await waitFor(() => seen.length >= 1, EVENT_MS, "ferrochat stream to see @pubnub/chat's update");
      const got = seen[0];
      assert.equal(got.name, "Changed by PN");
      assert.deepEqual({ ...got.custom }, { team: "blue" }, "custom replaced whole");
      assert.equal(got.email, full("c").email, "fields not in the changeset are kept (merged)");
      assert.equal(got.externalId, full("c").externalId);
      assert.equal(got.profileUrl, full("c").profileUrl);
      assert.equal(got.status, "active");
      assert.equal(got.type, "agent");

      // (@pubnub/chat 0.14.2 drops `null` values, so it cannot clear a field.)
      await pc.updateUser(id, { status: "away" });
      await waitFor(() => seen.length >= 2, EVENT_MS, "ferrochat stream to see the second update");
      assert.equal(seen[1].status, "away");
      assert.equal(seen[1].type, "agent");
      assert.equal(seen[1].name, "Changed by PN");
      await sleep(QUIET_MS);
      assert.equal(seen.length, 2, "exactly one callback per change");
    } finally {
      stop();
    }
  });

  it("an update from ferrochat triggers @pubnub/chat's streamUpdates", async () => {
    const fc = await ferro();
    const pc = await pn();
    const id = uid("fc-upd");
    await pc.createUser(id, full("d"));
    const pnUser = await pc.getUser(id);
    const seen = [];
    const stop = pnUser.streamUpdates((u) => seen.push(u));
    try {
      await sleep(PN_SETTLE_MS);
      await fc.updateUser(id, { name: "Changed by ferrochat", custom: { team: "green", level: 9 } });
      await waitFor(() => seen.length >= 1, EVENT_MS, "@pubnub/chat stream to see ferrochat's update");
      assert.equal(seen[0].name, "Changed by ferrochat");
      assert.deepEqual({ ...seen[0].custom }, { team: "green", level: 9 });
      assert.equal(seen[0].email, full("d").email, "@pubnub/chat merges the changeset");

      const fcUser = await fc.getUser(id);
      await fcUser.update({ email: "new@example.com" });
      await waitFor(() => seen.length >= 2, EVENT_MS, "@pubnub/chat stream to see the second update");
      assert.equal(seen[1].email, "new@example.com");
      assert.equal(seen[1].name, "Changed by ferrochat");
    } finally {
      stop();
    }
  });

  it("a soft delete from ferrochat is seen by @pubnub/chat (getUser and stream)", async () => {
    const fc = await ferro();
    const pc = await pn();
    const id = uid("fc-soft");
    await fc.createUser(id, full("e"));
    const pnUser = await pc.getUser(id);
    const seen = [];
    const stop = pnUser.streamUpdates((u) => seen.push(u));
    try {
      await sleep(PN_SETTLE_MS);
      const soft = await fc.deleteUser(id, { soft: true });
      assert.equal(soft.status, "deleted");
      await waitFor(() => seen.length >= 1, EVENT_MS, "@pubnub/chat stream to see the soft delete");
      assert.equal(seen[0].status, "deleted");
      assert.equal(seen[0].name, full("e").name);
      const got = await pc.getUser(id);
      assert.deepEqual(fields(got), { id, ...full("e"), status: "deleted" }, "every other field kept");
    } finally {
      stop();
    }
  });

  it("a soft delete from @pubnub/chat is seen by ferrochat (getUser, stream, onDeleted)", async () => {
    const fc = await ferro();
    const pc = await pn();
    const id = uid("pc-soft");
    await pc.createUser(id, full("f"));
    const user = await fc.getUser(id);
    const streamed = [];
    const deleted = [];
    const stopStream = user.streamUpdates((u) => streamed.push(u));
    const stopDeleted = user.onDeleted((info) => deleted.push(info));
    try {
      await pc.deleteUser(id, { soft: true });
      await waitFor(() => streamed.length >= 1, EVENT_MS, "ferrochat stream to see @pubnub/chat's soft delete");
      assert.equal(streamed[0].status, "deleted");
      assert.equal(streamed[0].name, full("f").name);
      await waitFor(() => deleted.length >= 1, EVENT_MS, "ferrochat onDeleted for the soft delete");
      assert.deepEqual({ ...deleted[0] }, { id, soft: true });
      const got = await fc.getUser(id);
      assert.deepEqual(fields(got), { id, ...full("f"), status: "deleted" });

      // ferrochat can restore a user @pubnub/chat archived; @pubnub/chat sees it restored.
      const restored = await fc.restoreUser(id);
      assert.equal(restored.status, undefined);
      const pnView = await pc.getUser(id);
      assert.notEqual(pnView.status, "deleted");
      assert.equal(pnView.name, full("f").name);
    } finally {
      stopStream();
      stopDeleted();
    }
  });

  it("a hard delete from either SDK makes the other's getUser resolve null", async () => {
    const fc = await ferro();
    const pc = await pn();

    const a = uid("fc-hard");
    await pc.createUser(a, full("g"));
    const user = await fc.getUser(a);
    const deleted = [];
    const stopDeleted = user.onDeleted((info) => deleted.push(info));
    try {
      assert.ok(await pc.getUser(a));
      await pc.deleteUser(a); // hard, by @pubnub/chat
      assert.equal(await fc.getUser(a), null, "ferrochat getUser after @pubnub/chat's hard delete");
      await waitFor(() => deleted.length >= 1, EVENT_MS, "ferrochat onDeleted for the hard delete");
      assert.deepEqual({ ...deleted[0] }, { id: a, soft: false });
    } finally {
      stopDeleted();
    }

    const b = uid("pc-hard");
    await fc.createUser(b, full("h"));
    const pnUser = await pc.getUser(b);
    const seen = [];
    const stop = pnUser.streamUpdates((u) => seen.push(u));
    try {
      await sleep(PN_SETTLE_MS);
      assert.equal(await fc.deleteUser(b), true); // hard, by ferrochat
      assert.equal(await pc.getUser(b), null, "@pubnub/chat getUser after ferrochat's hard delete");
      await waitFor(() => seen.length >= 1, EVENT_MS, "@pubnub/chat stream to see the hard delete");
      assert.ok(seen[0] == null || seen[0].id === undefined, "a hard delete is reported without a user");
    } finally {
      stop();
    }
  });

  it("the official pubnub client's objects listener sees ferrochat's changes", async () => {
    const fc = await ferro();
    const listener = rawClient();
    const id = uid("raw-watch");
    const events = [];
    const connected = new Promise((resolve) => {
      listener.addListener({
        status: (s) => {
          if (s.category === "PNConnectedCategory") resolve();
        },
        objects: (e) => {
          if (e.channel === id) events.push(e);
        },
      });
    });
    listener.subscribe({ channels: [id] });
    await connected;

    const created = await fc.createUser(id, { name: "Raw", email: "raw@example.com", custom: { k: 1 } });
    await fc.updateUser(id, { name: "Raw 2" });
    await fc.updateUser(id, { name: "Raw 2" }); // no change: no event
    await fc.deleteUser(id, { soft: true });
    await fc.deleteUser(id);
    await waitFor(() => events.length >= 4, EVENT_MS, `four objects events (got ${events.length})`);
    await sleep(QUIET_MS);
    assert.equal(events.length, 4, JSON.stringify(events.map((e) => e.message)));
    const [set1, set2, soft, del] = events;
    for (const e of events) {
      assert.equal(e.channel, id);
      assert.equal(e.message.type, "uuid");
      assert.equal(e.message.data.id, id);
    }
    assert.equal(set1.message.event, "set");
    assert.equal(set1.message.data.name, "Raw");
    assert.equal(set1.message.data.email, "raw@example.com");
    assert.equal(set1.message.data.updated, created.updated);
    assert.equal(set2.message.event, "set");
    assert.equal(set2.message.data.name, "Raw 2");
    assert.equal(set2.message.data.email, undefined, "a changeset carries only what changed");
    assert.equal(soft.message.event, "set");
    assert.equal(soft.message.data.status, "deleted");
    assert.equal(del.message.event, "delete");
    listener.unsubscribeAll();
  });
});
