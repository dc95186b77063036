// Issue 18: a subscribe reply whose catch-up window was exceeded carries an extra
// top-level key, "truncated": true. The official clients must ignore it: a client that
// catches up from an old timetoken past the window still gets the messages that are kept,
// and goes on receiving new ones.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import PubNub10 from "pubnub10";
import PubNub12 from "pubnub12";
import { startServer, waitFor, uniqueId, closeClients } from "./helpers/server.mjs";

describe("truncated catch-up replies (--retain-per-channel 5)", () => {
  let server;
  const clients = [];

  before(async () => {
    server = await startServer(["--retain-per-channel", "5"]);
  });
  after(async () => {
    closeClients(clients);
    await server.stop();
  });

  for (const [label, PubNub] of [["pubnub 10.2.6", PubNub10], ["pubnub 12.x", PubNub12]]) {
    it(`${label} ignores "truncated" and keeps receiving`, async () => {
      const pn = new PubNub({ publishKey: "p", subscribeKey: "s", userId: uniqueId("t"), origin: server.origin, ssl: false });
      clients.push(pn);
      const channel = uniqueId("window");
      const start = String((await pn.time()).timetoken);
      for (let i = 0; i < 20; i++) await pn.publish({ channel, message: { i } });

      // The raw reply the client will get: truncated, the last 5 kept.
      const raw = await fetch(`http://${server.origin}/v2/subscribe/s/${encodeURIComponent(channel)}/0?tt=${start}`);
      const body = await raw.json();
      assert.equal(body.truncated, true);
      assert.deepEqual(body.m.map((m) => m.d.i), [15, 16, 17, 18, 19]);

      const got = [];
      const errors = [];
      pn.addListener({ status: (s) => s.error && errors.push(s.category) });
      const sub = pn.channel(channel).subscription();
      sub.onMessage = (m) => got.push(m.message.i);
      sub.subscribe({ timetoken: start });
      await waitFor(() => got.length >= 5, 10_000, "the kept messages");
      assert.deepEqual(got.slice(0, 5), [15, 16, 17, 18, 19]);
      await pn.publish({ channel, message: { i: 20 } });
      await waitFor(() => got.includes(20), 10_000, "a new message after the truncated reply");
      assert.deepEqual(errors, []);
      sub.unsubscribe();
    });
  }
});
