// @pubnub/chat 0.14.2 running its user flows against ferrochat-server.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { Chat } from "@pubnub/chat";
import PubNub from "pubnub10";
import { startServer, waitFor, uniqueId } from "./helpers/server.mjs";

describe("@pubnub/chat 0.14.2", () => {
  let server;
  const chats = [];
  const init = async (userId = uniqueId("chat-user")) => {
    const chat = await Chat.init({
      publishKey: "demo-pub",
      subscribeKey: "demo-sub",
      userId,
      origin: server.origin,
      ssl: false,
    });
    chats.push(chat);
    return chat;
  };

  before(async () => {
    server = await startServer();
  });
  after(async () => {
    for (const chat of chats) {
      chat.sdk.unsubscribeAll?.();
      chat.sdk.destroy?.();
    }
    const exit = await server.stop();
    assert.equal(exit.code, 0);
    assert.doesNotMatch(server.log(), /404: no such endpoint/, "chat hit an endpoint the server lacks");
  });

  it("init creates the current user, and a second init finds it", async () => {
    const id = uniqueId("me");
    const chat = await init(id);
    assert.equal(chat.currentUser.id, id);
    assert.equal(chat.currentUser.name, id, "created with name = userId");
    const again = await init(id);
    assert.equal(again.currentUser.id, id);
    assert.equal(again.currentUser.updated, chat.currentUser.updated, "not re-created");
  });

  it("createUser, getUser, update, getUsers", async () => {
    const chat = await init();
    const id = uniqueId("bob");
    const bob = await chat.createUser(id, {
      name: "Bob",
      email: "bob@example.com",
      custom: { team: "red", level: 2 },
      status: "active",
      type: "agent",
    });
    assert.equal(bob.id, id);
    assert.equal(bob.name, "Bob");
    assert.deepEqual(bob.custom, { team: "red", level: 2 });
    await assert.rejects(chat.createUser(id, { name: "Again" }), /exist/i);

    const got = await chat.getUser(id);
    assert.equal(got.name, "Bob");
    assert.equal(got.email, "bob@example.com");
    assert.equal(got.type, "agent");
    assert.equal(await chat.getUser(uniqueId("nobody")), null);

    const updated = await got.update({ name: "Bobby" });
    assert.equal(updated.name, "Bobby");
    assert.equal(updated.email, "bob@example.com", "fields left out are kept");
    assert.deepEqual(updated.custom, { team: "red", level: 2 });
    const viaChat = await chat.updateUser(id, { custom: { team: "blue" } });
    assert.deepEqual(viaChat.custom, { team: "blue" });
    assert.equal(viaChat.name, "Bobby");

    const { users, total } = await chat.getUsers({ filter: `id == '${id}'` });
    assert.equal(users.length, 1);
    assert.equal(users[0].name, "Bobby");
    assert.ok(total === undefined || total === 1);
  });

  it("soft delete keeps the user with status deleted; hard delete removes it", async () => {
    const chat = await init();
    const id = uniqueId("carol");
    const carol = await chat.createUser(id, { name: "Carol", email: "c@example.com" });
    const soft = await chat.deleteUser(id, { soft: true });
    assert.notEqual(soft, true);
    assert.equal(soft.status, "deleted");
    assert.equal(soft.name, "Carol");
    const stillThere = await chat.getUser(id);
    assert.equal(stillThere.status, "deleted");
    assert.equal(stillThere.email, "c@example.com");

    assert.equal(await carol.delete(), true);
    assert.equal(await chat.getUser(id), null);
    // Through the raw API too: the record is really gone.
    const pn = new PubNub({ subscribeKey: "demo-sub", userId: "probe", origin: server.origin, ssl: false });
    await assert.rejects(pn.objects.getUUIDMetadata({ uuid: id }), (e) => e.status.statusCode === 404);
    pn.destroy();
  });

  it("streamUpdates sees changes made by another client, then the delete", async () => {
    const watcher = await init();
    const editor = await init();
    const id = uniqueId("dave");
    const dave = await watcher.createUser(id, { name: "Dave", custom: { mood: "ok" } });
    const seen = [];
    const stop = dave.streamUpdates((user) => seen.push(user));
    // Let the subscription connect before changing anything.
    await new Promise((r) => setTimeout(r, 700));

    await editor.updateUser(id, { name: "David" });
    await waitFor(() => seen.length >= 1, 10_000, "first update");
    assert.equal(seen[0].name, "David");
    assert.deepEqual(seen[0].custom, { mood: "ok" }, "the changeset is merged, not replaced");

    await editor.deleteUser(id, { soft: true });
    await waitFor(() => seen.length >= 2, 10_000, "soft delete update");
    assert.equal(seen[1].status, "deleted");
    assert.equal(seen[1].name, "David");

    await editor.deleteUser(id);
    await waitFor(() => seen.length >= 3, 10_000, "hard delete notification");
    assert.ok(seen[2] == null || seen[2].id === undefined, `hard delete is reported without a user: ${JSON.stringify(seen[2])}`);
    stop();
    stop();
  });

  it("users written by the raw SDK and by Chat are the same records", async () => {
    const chat = await init();
    const pn = new PubNub({ publishKey: "demo-pub", subscribeKey: "demo-sub", userId: "raw", origin: server.origin, ssl: false });
    const id = uniqueId("eve");
    await pn.objects.setUUIDMetadata({ uuid: id, data: { name: "Eve", profileUrl: "https://example.com/eve.png" } });
    const eve = await chat.getUser(id);
    assert.equal(eve.profileUrl, "https://example.com/eve.png");
    await eve.update({ status: "away" });
    const raw = await pn.objects.getUUIDMetadata({ uuid: id });
    assert.equal(raw.data.status, "away");
    assert.equal(raw.data.name, "Eve");
    pn.destroy();
  });
});
