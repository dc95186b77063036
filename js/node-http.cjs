// The Node transport (see js/transport.js): one request over `node:http` / `node:https` with
// keep-alive connections, answering with the part of `Response` ferrochat reads.
//
// Requests go through `http.request` / `https.request` looked up at call time, so tools that
// intercept those (nock, msw's interceptors, APM agents) see ferrochat's traffic as they see
// any Node HTTP client's. CommonJS, so the modules load on the first request, not when
// ferrochat is imported (`node:https` brings TLS: ~8 ms an embedded-only script would pay).
"use strict";

/** Per protocol: the module and its keep-alive agent, made on first use. */
const clients = {};

/**
 * Idle connections are kept 4 s (as Node's fetch does) and never hold the process open
 * (Node unrefs idle keep-alive sockets); a server's `Keep-Alive: timeout=…` hint is honoured.
 */
function client(protocol) {
  if (!clients[protocol]) {
    const mod = protocol === "https:" ? require("node:https") : require("node:http");
    clients[protocol] = { mod, agent: new mod.Agent({ keepAlive: true, timeout: 4000 }) };
  }
  return clients[protocol];
}

/** The reason an aborted request fails with (fetch rejects with `signal.reason`). */
function aborted(signal) {
  const r = signal.reason;
  if (r instanceof Error) return r;
  const e = new Error(r === undefined ? "This operation was aborted" : String(r));
  e.name = "AbortError";
  return e;
}

/** What ferrochat reads of a reply: status, headers, the whole body. */
class Reply {
  constructor(res, body) {
    this.status = res.statusCode;
    this.headers = {
      get(name) {
        const v = res.headers[String(name).toLowerCase()];
        return v === undefined ? null : Array.isArray(v) ? v.join(", ") : String(v);
      },
    };
    this.body = body;
  }

  arrayBuffer() {
    const b = this.body;
    return Promise.resolve(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  }
}

/**
 * Decodes a body by its `Content-Encoding` (gzip, deflate with or without its zlib
 * header, br; none or identity as it is), as fetch does; calls `cb(error, body)`.
 */
function decode(encoding, raw, cb) {
  const enc = encoding.trim().toLowerCase();
  if (enc === "" || enc === "identity") return cb(null, raw);
  const zlib = require("node:zlib");
  if (enc === "gzip" || enc === "x-gzip") return zlib.gunzip(raw, cb);
  if (enc === "br") return zlib.brotliDecompress(raw, cb);
  if (enc === "deflate") return zlib.inflate(raw, (e, out) => (e ? zlib.inflateRaw(raw, cb) : cb(null, out)));
  cb(new Error(`unsupported Content-Encoding: ${encoding}`));
}

/** The most redirects one request follows (as fetch). */
const MAX_REDIRECTS = 20;

/**
 * Where a redirect leads, as `fetch` follows it (`redirect: "follow"`): the request for the
 * `Location`, or null when `res` is no redirect. 303, and 301/302 after a POST, become a
 * GET without a body.
 */
function redirected(res, url, init) {
  const location = res.headers.location;
  if (![301, 302, 303, 307, 308].includes(res.statusCode) || !location) return null;
  const method = init.method ?? "GET";
  const toGet = res.statusCode === 303 ? method !== "HEAD" : (res.statusCode === 301 || res.statusCode === 302) && method === "POST";
  const next = toGet ? { ...init, method: "GET", body: undefined, headers: { ...init.headers } } : init;
  if (toGet) for (const k of Object.keys(next.headers)) if (/^content-/i.test(k)) delete next.headers[k];
  return { url: new URL(location, url).href, init: next };
}

/**
 * `fetch(url, init)` over `node:http(s)`: resolves once the whole body has arrived (after
 * following redirects), rejects on a connection error, a reply cut short, or
 * `init.signal` aborting (with its reason).
 */
function nodeHttp(url, init = {}, redirects = 0) {
  return new Promise((resolve, reject) => {
    const signal = init.signal;
    if (signal?.aborted) return reject(aborted(signal));
    let u;
    try {
      u = new URL(url);
    } catch (e) {
      return reject(e);
    }
    if (u.protocol !== "http:" && u.protocol !== "https:") return reject(new TypeError(`unsupported protocol in ${url}`));
    const { mod, agent } = client(u.protocol);
    // As fetch: ask for compressed replies (the PubNub network compresses), decode them.
    const headers = { "Accept-Encoding": "gzip, deflate, br", ...init.headers };
    const body = init.body ?? null;
    if (body !== null) headers["Content-Length"] = Buffer.byteLength(body);
    let settled = false;
    const onAbort = () => req.destroy(aborted(signal));
    const done = (fn, v) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      fn(v);
    };
    const fail = (e) => done(reject, e);
    const req = mod.request(
      {
        protocol: u.protocol,
        hostname: u.hostname.replace(/^\[|\]$/g, ""),
        port: u.port || undefined,
        path: u.pathname + u.search,
        method: init.method ?? "GET",
        headers,
        agent,
      },
      (res) => {
        const next = redirected(res, url, init);
        if (next) {
          res.resume();
          if (redirects >= MAX_REDIRECTS) return fail(new TypeError(`more than ${MAX_REDIRECTS} redirects from ${url}`));
          return done(resolve, nodeHttp(next.url, next.init, redirects + 1));
        }
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          const raw = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
          decode(String(res.headers["content-encoding"] ?? ""), raw, (e, body) => (e ? fail(e) : done(resolve, new Reply(res, body))));
        });
        res.on("error", fail);
        res.on("close", () => {
          if (!res.complete) fail(new Error("the connection closed before the reply was complete"));
        });
      },
    );
    req.on("error", fail);
    signal?.addEventListener("abort", onAbort, { once: true });
    req.end(body ?? undefined);
  });
}

module.exports = { nodeHttp };
