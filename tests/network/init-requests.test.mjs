// What Chat.init sends over the network: one read for a user that exists, one read and
// one write for a new one (it read the missing user twice before), and a soft-deleted
// user is refused after its read. `user.update()` is one PATCH with If-Match on the copy's
// eTag; a stale copy costs one more read and PATCH. The read is a filtered list (`LIST id`), which answers
// 200 for a missing user too: no 404 for a browser to log. The replies come from a scripted node:http server on
// 127.0.0.1 that records each request.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { Chat } from "ferrochat";
import { listedId, listReply, netConfig, rejectsWith, scriptedServer } from "./helpers/common.mjs";

const record = (id, extra = {}) => ({ id, name: id, externalId: null, profileUrl: null, email: null, type: null, status: null, updated: "2026-01-01T00:00:00.000000Z", eTag: "e1", ...extra });

describe("network backend: the requests Chat.init and user.update make", () => {
  let server;
  let origin;
  /** Users the scripted server knows, by id. */
  const users = new Map();
  /** `METHOD /last-path-segment` of every objects request, in order. */
  let seen = [];
  /** The If-Match header of every PATCH (null: none). */
  let ifMatch = [];

  before(async () => {
    server = await scriptedServer((req, res) => {
      const url = new URL(req.url, "http://x");
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        const reply = (status, json) => {
          res.writeHead(status, { "content-type": "application/json" });
          res.end(JSON.stringify(json));
        };
        if (!url.pathname.startsWith("/v2/objects/")) return reply(404, { status: 404, error: { message: "not scripted" } });
        const listed = listedId(req.url);
        if (listed !== null) {
          seen.push(`LIST ${listed}`);
          return reply(200, listReply(users.has(listed) ? [users.get(listed)] : []));
        }
        const id = decodeURIComponent(url.pathname.split("/").pop());
        seen.push(`${req.method} ${id}`);
        if (req.method === "GET") {
          const user = users.get(id);
          return user ? reply(200, { status: 200, data: user }) : reply(404, { status: 404, error: { message: "Requested object was not found." } });
        }
        if (req.method === "PATCH") {
          const tag = req.headers["if-match"];
          ifMatch.push(tag ?? null);
          if (tag !== undefined && users.get(id)?.eTag !== tag) return reply(412, { status: 412, error: { message: "eTag mismatch" } });
          const user = record(id, { ...users.get(id), ...JSON.parse(body), eTag: `e${seen.length}` });
          users.set(id, user);
          return reply(200, { status: 200, data: user });
        }
        reply(405, { status: 405, error: { message: "not scripted" } });
      });
    });
    origin = server.origin;
  });

  after(async () => {
    await server?.close();
  });

  it("an existing user: one read", async () => {
    users.set("old", record("old", { name: "Old Timer" }));
    seen = [];
    const chat = await Chat.init(netConfig(origin, "old"));
    assert.deepEqual(seen, ["LIST old"]);
    assert.equal(chat.currentUser.name, "Old Timer");
    chat.destroy();
  });

  it("a new user: one read, then one PATCH that names it after its id", async () => {
    seen = [];
    const chat = await Chat.init(netConfig(origin, "newcomer"));
    assert.deepEqual(seen, ["LIST newcomer", "PATCH newcomer"]);
    assert.equal(chat.currentUser.id, "newcomer");
    assert.equal(chat.currentUser.name, "newcomer");
    assert.equal(users.get("newcomer").name, "newcomer");
    chat.destroy();
  });

  it("a soft-deleted user: one read, then USER_DELETED and no write", async () => {
    users.set("gone", record("gone", { status: "deleted" }));
    seen = [];
    await rejectsWith(() => Chat.init(netConfig(origin, "gone")), "USER_DELETED", { label: "Chat.init of a soft-deleted user" });
    assert.deepEqual(seen, ["LIST gone"]);
  });

  it("user.update(): one PATCH with If-Match on the user's own eTag", async () => {
    users.set("upd", record("upd", { eTag: "e-upd" }));
    const chat = await Chat.init(netConfig(origin, "updater"));
    const user = await chat.getUser("upd");
    seen = [];
    ifMatch = [];
    const updated = await user.update({ name: "Updated" });
    assert.deepEqual(seen, ["PATCH upd"]);
    assert.deepEqual(ifMatch, ["e-upd"]);
    assert.equal(updated.name, "Updated");
    chat.destroy();
  });

  it("user.update() of a stale copy: 412, then one read and one PATCH on the current eTag", async () => {
    users.set("stale", record("stale", { eTag: "e-old", email: "kept@x.io" }));
    const chat = await Chat.init(netConfig(origin, "updater2"));
    const user = await chat.getUser("stale");
    users.set("stale", record("stale", { eTag: "e-new", email: "kept@x.io" }));
    seen = [];
    ifMatch = [];
    const updated = await user.update({ name: "Fresh" });
    assert.deepEqual(seen, ["PATCH stale", "GET stale", "PATCH stale"]);
    assert.deepEqual(ifMatch, ["e-old", "e-new"]);
    assert.equal(updated.email, "kept@x.io");
    chat.destroy();
  });
});
