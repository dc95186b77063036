// The official PubNub JS SDK (10.2.6 and current 12.x) against ferrochat-server:
// App Context user metadata and real-time objects events.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import PubNub10 from "pubnub10";
import PubNub12 from "pubnub12";
import { startServer, waitFor, uniqueId, closeClients } from "./helpers/server.mjs";

const versions = [
  ["pubnub 10.2.6", PubNub10],
  ["pubnub 12.x", PubNub12],
];

for (const [label, PubNub] of versions) {
  describe(`${label} (${new PubNub({ subscribeKey: "s", userId: "x" }).getVersion()})`, () => {
    let server;
    const clients = [];
    const client = (userId = uniqueId("client")) => {
      const pn = new PubNub({
        publishKey: "demo-pub",
        subscribeKey: "demo-sub",
        userId,
        origin: server.origin,
        ssl: false,
      });
      clients.push(pn);
      return pn;
    };

    before(async () => {
      server = await startServer();
    });
    after(async () => {
      closeClients(clients);
      const exit = await server.stop();
      assert.equal(exit.code, 0, `server exit ${JSON.stringify(exit)}\n${server.log()}`);
    });

    it("sets, gets and removes UUID metadata", async () => {
      const pn = client();
      const id = uniqueId("ann");
      const set = await pn.objects.setUUIDMetadata({
        uuid: id,
        data: { name: "Ann", email: "ann@example.com", custom: { team: "red", level: 3, admin: false } },
      });
      assert.equal(set.status, 200);
      assert.equal(set.data.id, id);
      assert.equal(set.data.name, "Ann");
      assert.equal(set.data.externalId, null);
      assert.deepEqual(set.data.custom, { team: "red", level: 3, admin: false });
      assert.match(set.data.eTag, /^[0-9a-f]{32}$/);
      assert.match(set.data.updated, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);

      const got = await pn.objects.getUUIDMetadata({ uuid: id });
      assert.deepEqual(got.data, set.data);
      const noCustom = await pn.objects.getUUIDMetadata({ uuid: id, include: { customFields: false } });
      assert.equal(noCustom.data.custom, undefined);

      // Patch semantics: absent keeps, null clears, custom replaced whole.
      const patched = await pn.objects.setUUIDMetadata({ uuid: id, data: { email: null, custom: { team: "blue" } } });
      assert.equal(patched.data.name, "Ann");
      assert.equal(patched.data.email, null);
      assert.deepEqual(patched.data.custom, { team: "blue" });
      assert.notEqual(patched.data.eTag, set.data.eTag);

      const removed = await pn.objects.removeUUIDMetadata({ uuid: id });
      assert.equal(removed.status, 200);
      await assert.rejects(pn.objects.getUUIDMetadata({ uuid: id }), (err) => {
        assert.equal(err.status.statusCode, 404);
        assert.equal(err.status.errorData.status, 404);
        return true;
      });
      // Remove is idempotent.
      assert.equal((await pn.objects.removeUUIDMetadata({ uuid: id })).status, 200);
    });

    it("lists UUID metadata with filter, sort, paging and totalCount", async () => {
      const pn = client();
      const tag = uniqueId("list").replace(/-/g, "_");
      for (let i = 0; i < 7; i++) {
        await pn.objects.setUUIDMetadata({
          uuid: `${tag}-${i}`,
          data: { name: `${tag} member ${i}`, status: i % 2 ? "odd" : "even", custom: { i } },
        });
      }
      const filter = `name LIKE '${tag}*' && status == 'even'`;
      const all = await pn.objects.getAllUUIDMetadata({
        filter,
        sort: { name: "desc" },
        include: { totalCount: true, customFields: true },
      });
      assert.equal(all.totalCount, 4);
      assert.deepEqual(all.data.map((u) => u.id), [6, 4, 2, 0].map((i) => `${tag}-${i}`));
      assert.deepEqual(all.data[0].custom, { i: 6 });

      // Multi-key sort, paging forward with next and back with prev.
      const seen = [];
      let page = {};
      let pages = 0;
      for (;;) {
        const res = await pn.objects.getAllUUIDMetadata({
          filter: `name LIKE '${tag}*'`,
          sort: { status: "asc", id: "desc" },
          limit: 3,
          page,
          include: { totalCount: true },
        });
        assert.equal(res.totalCount, 7);
        seen.push(...res.data.map((u) => u.id));
        pages++;
        if (!res.next) break;
        page = { next: res.next };
      }
      assert.equal(pages, 3);
      assert.deepEqual(seen, [6, 4, 2, 0, 5, 3, 1].map((i) => `${tag}-${i}`));
      const second = await pn.objects.getAllUUIDMetadata({ filter: `name LIKE '${tag}*'`, sort: { id: "asc" }, limit: 3, page: { next: "Mw" } });
      const back = await pn.objects.getAllUUIDMetadata({ filter: `name LIKE '${tag}*'`, sort: { id: "asc" }, limit: 3, page: { prev: second.prev } });
      assert.deepEqual(back.data.map((u) => u.id), [0, 1, 2].map((i) => `${tag}-${i}`));

      await assert.rejects(pn.objects.getAllUUIDMetadata({ filter: "name LIKE" }), (err) => {
        assert.equal(err.status.statusCode, 400);
        assert.equal(err.status.errorData.error.details[0].location, "filter");
        return true;
      });
    });

    it("ifMatchesEtag with a stale eTag gives 412", async () => {
      const pn = client();
      const id = uniqueId("etag");
      const first = await pn.objects.setUUIDMetadata({ uuid: id, data: { name: "One" } });
      const second = await pn.objects.setUUIDMetadata({ uuid: id, data: { name: "Two" }, ifMatchesEtag: first.data.eTag });
      assert.equal(second.data.name, "Two");
      await assert.rejects(
        pn.objects.setUUIDMetadata({ uuid: id, data: { name: "Three" }, ifMatchesEtag: first.data.eTag }),
        (err) => {
          assert.equal(err.status.statusCode, 412);
          assert.equal(err.status.errorData.status, 412);
          assert.equal(err.status.errorData.error.source, "objects");
          return true;
        },
      );
      assert.equal((await pn.objects.getUUIDMetadata({ uuid: id })).data.name, "Two");
    });

    it("an objects listener on a subscription receives set and delete events", async () => {
      const listener = client();
      const writer = client();
      const id = uniqueId("live");
      const events = [];
      const connected = new Promise((resolve) => {
        listener.addListener({
          status: (s) => {
            if (s.category === "PNConnectedCategory") resolve();
          },
        });
      });
      const subscription = listener.channel(id).subscription();
      subscription.onObjects = (event) => events.push(event);
      subscription.subscribe();
      await connected;

      const set = await writer.objects.setUUIDMetadata({ uuid: id, data: { name: "Live", custom: { on: true } } });
      await writer.objects.setUUIDMetadata({ uuid: id, data: { name: "Live" } }); // no change: no event
      await writer.objects.setUUIDMetadata({ uuid: id, data: { status: "busy" } });
      await writer.objects.removeUUIDMetadata({ uuid: id });
      await waitFor(() => events.length >= 3, 10_000, "three objects events");
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(events.length, 3, JSON.stringify(events));

      const [created, changed, deleted] = events;
      assert.equal(created.channel, id);
      assert.match(String(created.timetoken), /^\d{17}$/);
      assert.equal(created.message.event, "set");
      assert.equal(created.message.type, "uuid");
      assert.equal(created.message.data.id, id);
      assert.equal(created.message.data.name, "Live");
      assert.equal(created.message.data.eTag, set.data.eTag);
      assert.equal(changed.message.event, "set");
      assert.equal(changed.message.data.status, "busy");
      assert.equal(changed.message.data.name, undefined, "changesets carry only what changed");
      assert.equal(deleted.message.event, "delete");
      assert.deepEqual(deleted.message.data, { id });
      subscription.unsubscribe();
    });

    it("publishes and receives messages (GET and POST)", async () => {
      const listener = client();
      const sender = client("sender-uuid");
      const channel = uniqueId("room");
      const messages = [];
      const connected = new Promise((resolve) => {
        listener.addListener({ status: (s) => s.category === "PNConnectedCategory" && resolve() });
      });
      const subscription = listener.channel(channel).subscription();
      subscription.onMessage = (m) => messages.push(m);
      subscription.subscribe();
      await connected;
      const sent = await sender.publish({ channel, message: { text: "hello" }, meta: { lang: "en" } });
      assert.match(String(sent.timetoken), /^\d{17}$/);
      await sender.publish({ channel, message: { text: "by post" }, sendByPost: true });
      await waitFor(() => messages.length >= 2, 10_000, "two messages");
      assert.deepEqual(messages.map((m) => m.message), [{ text: "hello" }, { text: "by post" }]);
      assert.equal(messages[0].publisher, "sender-uuid");
      assert.equal(String(messages[0].timetoken), String(sent.timetoken));
      assert.deepEqual(messages[0].userMetadata, { lang: "en" });
      subscription.unsubscribe();
    });

    it("time returns a 17-digit timetoken", async () => {
      const pn = client();
      const t = await pn.time();
      assert.match(String(t.timetoken), /^\d{17}$/);
    });
  });
}
