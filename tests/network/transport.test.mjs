// The Node transport (js/node-http.cjs): in Node, ferrochat's requests go through
// `http.request` with keep-alive connections, not the global `fetch`. Checked against a
// scripted node:http server on 127.0.0.1: which API carries the requests, that connections
// are reused, that compressed replies are decoded and redirects followed, that a reply cut short is a coded NETWORK error (and the Chat still works),
// that destroy() really closes the long-poll's connection, and that a script using the
// network backend exits on its own.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { spawn } from "node:child_process";
import { gzipSync, deflateRawSync } from "node:zlib";
import { Chat } from "ferrochat";
import { listedId, listReply, netConfig, waitFor, scriptedServer } from "./helpers/common.mjs";

const user = (id, name = "Ann") => ({ id, name, externalId: null, profileUrl: null, email: null, type: null, status: null, custom: null, updated: "2026-01-01T00:00:00.000000Z", eTag: "e1" });
const json = (res, status, body) => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
};

describe("network backend in Node: the node:http transport", () => {
  let server;
  let origin;
  /** Requests seen: { method, path, socket } (socket: a number per TCP connection). */
  const seen = [];
  /** Open TCP connections to the server. */
  const sockets = new Set();
  /** When set, handles every PATCH instead of the default. */
  let onPatch = null;

  before(async () => {
    let next = 0;
    server = await scriptedServer((req, res) => {
      const { pathname } = new URL(req.url, "http://x");
      seen.push({ method: req.method, path: pathname, socket: req.socket.ferrochatId });
      const id = decodeURIComponent(pathname.split("/").pop());
      if (pathname.startsWith("/v2/subscribe/")) return; // a long-poll that never answers
      const listed = listedId(req.url);
      if (listed !== null) return json(res, 200, listReply([user(listed)]));
      if (pathname.endsWith("/zipped") || pathname.endsWith("/deflated")) {
        const zip = pathname.endsWith("/zipped");
        const accepts = String(req.headers["accept-encoding"] ?? "");
        const body = JSON.stringify({ status: 200, data: user(id, accepts) });
        res.writeHead(200, { "content-type": "application/json", "content-encoding": zip ? "gzip" : "deflate" });
        return res.end(zip ? gzipSync(body) : deflateRawSync(body));
      }
      if (pathname.endsWith("/moved")) {
        res.writeHead(307, { location: req.url.replace("/moved", "/target") });
        return res.end("moved");
      }
      if (req.method === "PATCH" && onPatch) return onPatch(req, res);
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => json(res, 200, { status: 200, data: req.method === "PATCH" ? user(id, JSON.parse(body).name ?? "Ann") : user(id) }));
    });
    server.server.on("connection", (s) => {
      s.ferrochatId = ++next;
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
    });
    origin = server.origin;
  });

  after(async () => {
    await server?.close();
  });

  it("sends through http.request (not fetch), reusing one keep-alive connection", async () => {
    const viaHttp = [];
    const realRequest = http.request;
    const realFetch = globalThis.fetch;
    let fetchCalls = 0;
    http.request = function (...args) {
      viaHttp.push(args[0]?.path);
      return realRequest.apply(this, args);
    };
    globalThis.fetch = (...args) => {
      fetchCalls++;
      return realFetch(...args);
    };
    let chat;
    try {
      chat = await Chat.init(netConfig(origin, "me"));
      const from = seen.length;
      for (let i = 0; i < 5; i++) assert.equal((await chat.getUser(`u${i}`)).id, `u${i}`);
      const mine = seen.slice(from);
      assert.equal(mine.length, 5);
      assert.equal(new Set(mine.map((r) => r.socket)).size, 1, "one connection for five sequential requests");
    } finally {
      http.request = realRequest;
      globalThis.fetch = realFetch;
      chat?.destroy();
    }
    assert.equal(fetchCalls, 0);
    assert.ok(viaHttp.length >= 6, `init and five getUser calls through http.request, saw ${viaHttp.length}`);
    assert.ok(viaHttp.every((p) => typeof p === "string" && p.startsWith("/v2/objects/")), viaHttp.join(" "));
  });

  it("asks for compressed replies and decodes gzip and deflate, as fetch does", async () => {
    const chat = await Chat.init(netConfig(origin, "me"));
    try {
      const zipped = await chat.getUser("zipped");
      assert.equal(zipped.id, "zipped");
      assert.match(zipped.name, /gzip/, "the request's Accept-Encoding (echoed as the name)");
      assert.equal((await chat.getUser("deflated")).id, "deflated");
    } finally {
      chat.destroy();
    }
  });

  it("follows redirects, as fetch does", async () => {
    const chat = await Chat.init(netConfig(origin, "me"));
    try {
      const from = seen.length;
      assert.equal((await chat.getUser("moved")).id, "target");
      assert.deepEqual(seen.slice(from).map((r) => r.path.split("/").pop()), ["moved", "target"]);
    } finally {
      chat.destroy();
    }
  });

  it("a reply cut short is a retried, then coded NETWORK error, and the Chat keeps working", async () => {
    const chat = await Chat.init(netConfig(origin, "me"));
    try {
      // updateUser: GET (answered), then PATCH with If-Match (safe to resend, so retried):
      // every PATCH gets headers and half a body, then the connection drops.
      let cut = 0;
      onPatch = (req, res) => {
        cut++;
        res.writeHead(200, { "content-type": "application/json", "content-length": "500" });
        res.write('{"status":200,"data":{"id":"cut"');
        setTimeout(() => res.socket.destroy(), 20);
      };
      const err = await chat.updateUser("cut", { name: "B" }).then(() => assert.fail("resolved"), (e) => e);
      onPatch = null;
      assert.ok(err instanceof Error);
      assert.equal(err.code, "NETWORK", err.message);
      assert.ok(cut >= 2, `the cut PATCH was sent again (${cut} attempts)`);
      assert.equal((await chat.updateUser("cut", { name: "C" })).name, "C");
    } finally {
      onPatch = null;
      chat.destroy();
    }
  });

  it("destroy() closes the long-poll's connection", async () => {
    const chat = await Chat.init(netConfig(origin, "me"));
    const u = await chat.getUser("watched");
    const stop = u.streamUpdates(() => {});
    const poll = await waitFor(() => seen.find((r) => r.path.startsWith("/v2/subscribe/") && sockets.size > 0 && [...sockets].some((s) => s.ferrochatId === r.socket)), 5_000, "a subscribe long-poll");
    stop();
    chat.destroy();
    await waitFor(() => ![...sockets].some((s) => s.ferrochatId === poll.socket), 5_000, "the long-poll's connection to close");
  });

  it("a Node script that used the network backend exits on its own", async () => {
    const script = `
      const { Chat } = await import("ferrochat");
      const chat = await Chat.init(${JSON.stringify(netConfig(origin, "script"))});
      await chat.getUser("someone");
      await chat.updateUser("someone", { name: "Z" });
      console.log("done");
    `;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { cwd: process.cwd(), stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    const code = await new Promise((r) => child.on("exit", (c, sig) => r(sig ?? c)));
    clearTimeout(timer);
    assert.equal(code, 0, `exit ${code}: ${out}`);
    assert.match(out, /done/);
  });
});
