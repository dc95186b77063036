// A server that answers badly: every reply the network backend cannot understand is a
// coded Error (MALFORMED_RESPONSE or HTTP_<status>), never a crash, and the same Chat (and
// the wasm module) keeps working afterwards. The replies come from a scripted node:http
// server on 127.0.0.1 (not ferrochat-server, which never sends these).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { Chat } from "ferrochat";
import { netConfig, scriptedServer } from "./helpers/common.mjs";

const user = (id) => ({ id, name: "Ann", externalId: null, profileUrl: null, email: null, type: null, status: null, custom: { n: 0.1, k: 7 }, updated: "2026-01-01T00:00:00.000000Z", eTag: "e1" });
const ok = (data) => ({ status: 200, body: JSON.stringify({ status: 200, data }) });

describe("network backend: replies it cannot understand", () => {
  let server;
  let origin;
  let chat;
  /** The next reply to GET /uuids/{id} and GET /uuids, when set; otherwise a valid one. */
  let script = null;

  before(async () => {
    server = await scriptedServer((req, res) => {
      const path = new URL(req.url, "http://x").pathname;
      const reply = script ?? (path.endsWith("/uuids") ? { ...ok([user("a"), user("b")]), body: JSON.stringify({ status: 200, data: [user("a"), user("b")], totalCount: 2 }) } : ok(user(decodeURIComponent(path.split("/").pop()))));
      res.writeHead(reply.status, { "content-type": "application/json" });
      res.end(reply.body);
    });
    origin = server.origin;
    chat = await Chat.init(netConfig(origin, "me"));
  });

  after(async () => {
    chat?.destroy();
    await server?.close();
  });

  const expectCode = async (p, code, message) => {
    const err = await p.then(() => assert.fail("resolved"), (e) => e);
    assert.ok(err instanceof Error, `an Error, got ${err}`);
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
  };

  const cases = [
    ["a body that is not JSON", { status: 200, body: "<html>oops</html>" }, "MALFORMED_RESPONSE", /not the expected JSON \(expected an object at byte 0\)/],
    ["a truncated body", { status: 200, body: '{"status":200,"data":{"id":"a","name":"An' }, "MALFORMED_RESPONSE"],
    ["a body that is not UTF-8", { status: 200, body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) }, "MALFORMED_RESPONSE", /UTF-8/],
    ["a user without an id", { status: 200, body: '{"data":{"name":"x"}}' }, "MALFORMED_RESPONSE", /without id/],
    ["a field of the wrong type", { status: 200, body: '{"data":{"id":"a","name":7}}' }, "MALFORMED_RESPONSE"],
    ["a nested custom value", { status: 200, body: '{"data":{"id":"a","custom":{"x":{"y":1}}}}' }, "MALFORMED_RESPONSE", /custom\.x/],
    ["100,000 levels of nesting", { status: 200, body: '{"extra":' + "[".repeat(100_000) }, "MALFORMED_RESPONSE", /less nesting/],
    ["an error status with an HTML body", { status: 400, body: "<html>bad</html>" }, "HTTP_400", /request failed/],
    ["an error status with a JSON message", { status: 403, body: '{"error":{"message":"Forbidden here"}}' }, "HTTP_403", /Forbidden here/],
  ];
  for (const [what, reply, code, message] of cases) {
    it(`getUser: ${what} → ${code}`, async () => {
      script = reply;
      try {
        await expectCode(chat.getUser("a"), code, message);
      } finally {
        script = null;
      }
      // The module is not poisoned: the next call works.
      assert.equal((await chat.getUser("a")).name, "Ann");
    });
  }

  it("getUsers: data that is not an array, or a bad user in the page → MALFORMED_RESPONSE", async () => {
    for (const body of ['{"data":{}}', '{"data":[{"id":"a"},{"id":null}]}', '{"data":[1,2]}', '{"data":[]} trailing', '{"data":[{"id":"a"}],"data":[{"id":"b"}]}']) {
      script = { status: 200, body };
      try {
        await expectCode(chat.getUsers({ limit: 2 }), "MALFORMED_RESPONSE");
      } finally {
        script = null;
      }
    }
    const page = await chat.getUsers({ limit: 2 });
    assert.deepEqual(page.users.map((u) => u.id), ["a", "b"]);
    assert.equal(page.total, 2);
  });

  it("getUsers: escaped and non-ASCII strings, repeated custom keys, absent fields come through as JSON.parse reads them", async () => {
    const body =
      '{"status":200,"data":[' +
      '{"id":"a\\u00e9","name":"line\\nbreak \\"q\\" \\ud83d\\ude00","email":null,"custom":{"k":"v","n":1,"k":"w\\u0041","lastActiveTimestamp":"1700000000000"},"updated":"2024-01-01T00:00:00.000000Z","eTag":"e1"},' +
      '{"id":"日本","type":"ünïcode","custom":null}' +
      '],"next":"Mg","totalCount":7}';
    const want = JSON.parse(body).data;
    script = { status: 200, body };
    let page;
    try {
      page = await chat.getUsers({ limit: 2 });
    } finally {
      script = null;
    }
    assert.deepEqual(page.users.map((u) => u.id), want.map((u) => u.id));
    const [a, b] = page.users;
    assert.equal(a.name, "line\nbreak \"q\" \u{1F600}");
    assert.equal(a.email, undefined);
    assert.deepEqual({ ...a.custom }, { k: "wA", n: 1, lastActiveTimestamp: "1700000000000" });
    assert.deepEqual(Object.keys(a.custom), ["k", "n", "lastActiveTimestamp"]);
    assert.equal(a.lastActiveTimestamp, 1700000000000);
    assert.equal(a.eTag, undefined, "eTag is not a public field");
    assert.equal(b.type, "ünïcode");
    assert.equal(b.custom, undefined);
    assert.equal(b.updated, undefined);
    assert.equal(page.total, 7);
    assert.equal(page.page.next, "Mg");
  });

  it("numbers come through exactly: fractions, exponents, big integers", async () => {
    const custom = { f: 0.30000000000000004, e: 1.5e-7, big: 9007199254740991, neg: -42, z: 0 };
    // JSON.stringify writes -0 as 0; the wire may still carry "-0".
    const body = JSON.stringify({ data: { ...user("n"), custom } }).replace('"z":0', '"z":-0');
    custom.z = -0;
    script = { status: 200, body };
    try {
      const u = await chat.getUser("n");
      assert.deepEqual({ ...u.custom }, custom);
      assert.ok(Object.is(u.custom.z, -0));
    } finally {
      script = null;
    }
  });

  it("escapes and non-ASCII text decode as JSON.parse would", async () => {
    const name = 'Zoë "Z" \\ \n\t 😀 \u0001 / end';
    script = { status: 200, body: JSON.stringify({ data: { ...user("s"), name } }).replace("😀", "\\ud83d\\ude00") };
    try {
      assert.equal((await chat.getUser("s")).name, name);
    } finally {
      script = null;
    }
  });
});
