// How ferrochat's requests leave the process (src/driver.rs calls `exchange`).
//
// By default requests go through the global `fetch(url, init)`: browsers, workers, bundlers.
// The Node build installs js/node-http.cjs instead (scripts/build.mjs adds it to the Node
// glue only, so no browser bundle ever sees `node:http`): Node's built-in `fetch` (undici)
// costs a few hundred microseconds more per request than `http.request`, and loads ~40 ms
// of modules on its first call.
//
// The Rust side decides everything about a request (ferrochat-client: URL, headers, body,
// retries, timeouts); this file only carries it out: it signs when asked (WebCrypto's
// HMAC-SHA256, the one piece of crypto the platform has to do), sends, reads the whole body
// and calls `done` exactly once.

/** The installed transport, or null for `fetch`. */
let transport = null;

/** Installs `fn(url, init) → Promise<Response-like>` for every later request. */
export function setTransport(fn) {
  transport = fn;
}

/** Sends one request. */
function send(url, init) {
  return transport ? transport(url, init) : fetch(url, init);
}

/** HMAC keys by secret (WebCrypto `CryptoKey` promises). */
const keys = new Map();

/**
 * The v2 signature of `text` under `secret` (protocol.md §7): "v2." and the HMAC-SHA256
 * digest in URL-safe base64 without padding (as ferrochat-client's `signature_of`).
 */
export async function signV2(secret, text) {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new Error("WebCrypto (crypto.subtle) is not available");
  const enc = new TextEncoder();
  let key = keys.get(secret);
  if (!key) {
    key = subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    keys.set(secret, key);
  }
  const digest = new Uint8Array(await subtle.sign("HMAC", await key, enc.encode(text)));
  let bin = "";
  for (const b of digest) bin += String.fromCharCode(b);
  return "v2." + btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * One exchange: signs when `toSign` is a string, sends, reads the whole body, then calls
 * `done(status, body, retryAfter, failure)` once: `body` the bytes (Uint8Array),
 * `retryAfter` the header for 429 and 5xx, or `failure` a message when no answer came
 * (network error, abort).
 */
export function exchange(url, method, ifMatch, body, signal, secret, toSign, done) {
  (async () => {
    if (typeof toSign === "string") url += "&signature=" + (await signV2(secret, toSign));
    const headers = {};
    if (ifMatch !== undefined) headers["If-Match"] = ifMatch;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const init = { method, signal, headers };
    if (body !== undefined) init.body = body;
    const res = await send(url, init);
    const status = res.status;
    const retryAfter = status === 429 || status >= 500 ? res.headers.get("retry-after") : null;
    return [status, new Uint8Array(await res.arrayBuffer()), retryAfter];
  })().then(
    ([status, bytes, retryAfter]) => done(status, bytes, retryAfter, undefined),
    (e) => done(0, undefined, null, String(e?.message ?? e ?? "fetch failed")),
  );
}
