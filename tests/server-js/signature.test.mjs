// Request signing end to end: the official SDK (Node build) signs every request with its
// secretKey, and ferrochat-server started with --secret-key verifies it.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import PubNub10 from "pubnub10";
import PubNub12 from "pubnub12";
import { startServer, waitFor, uniqueId, closeClients } from "./helpers/server.mjs";

describe("signed requests (--secret-key)", () => {
  let server;
  const clients = [];
  const make = (PubNub, secretKey) => {
    const pn = new PubNub({
      publishKey: "signing-pub",
      subscribeKey: "signing-sub",
      secretKey,
      userId: uniqueId("signer"),
      origin: server.origin,
      ssl: false,
    });
    clients.push(pn);
    return pn;
  };

  before(async () => {
    server = await startServer(["--secret-key", "signing-secret", "--publish-key", "signing-pub"]);
  });
  after(async () => {
    closeClients(clients);
    await server.stop();
  });

  for (const [label, PubNub] of [["pubnub 10.2.6", PubNub10], ["pubnub 12.x", PubNub12]]) {
    it(`${label}: signed objects, publish and subscribe calls are accepted`, async () => {
      const pn = make(PubNub, "signing-secret");
      const id = uniqueId("signed user #1");
      const set = await pn.objects.setUUIDMetadata({ uuid: id, data: { name: "Signed Ünïcode", custom: { a: "b c" } } });
      assert.equal(set.data.name, "Signed Ünïcode");
      assert.equal((await pn.objects.getUUIDMetadata({ uuid: id })).data.custom.a, "b c");
      const list = await pn.objects.getAllUUIDMetadata({ filter: `name LIKE 'Signed*'`, sort: { name: "asc", updated: "desc" }, include: { totalCount: true } });
      assert.ok(list.totalCount >= 1);

      const channel = uniqueId("signed-room");
      const got = [];
      const connected = new Promise((resolve) => pn.addListener({ status: (s) => s.category === "PNConnectedCategory" && resolve() }));
      const sub = pn.channel(channel).subscription();
      sub.onMessage = (m) => got.push(m.message);
      sub.subscribe();
      await connected;
      await pn.publish({ channel, message: { hi: 1 } });
      await pn.publish({ channel, message: { hi: 2 }, sendByPost: true });
      await waitFor(() => got.length >= 2, 10_000, "signed messages");
      assert.deepEqual(got, [{ hi: 1 }, { hi: 2 }]);
      sub.unsubscribe();
      assert.equal((await pn.objects.removeUUIDMetadata({ uuid: id })).status, 200);
    });

    it(`${label}: a wrong secret key or no signature is refused with 403`, async () => {
      const wrong = make(PubNub, "not-the-secret");
      await assert.rejects(wrong.objects.setUUIDMetadata({ uuid: uniqueId("x"), data: { name: "X" } }), (err) => {
        assert.equal(err.status.statusCode, 403);
        assert.equal(err.status.category, "PNAccessDeniedCategory");
        return true;
      });
      const unsigned = make(PubNub, undefined);
      await assert.rejects(unsigned.objects.getAllUUIDMetadata(), (err) => err.status.statusCode === 403);
      // time is never signed.
      assert.match(String((await unsigned.time()).timetoken), /^\d{17}$/);
    });
  }
});
