// How ferrochat's requests leave the process (src/backend/http.rs calls `send`).
//
// By default `send` is the global `fetch(url, init)`: browsers, workers, bundlers. The Node
// build installs js/node-http.cjs instead (scripts/build.mjs adds it to the Node glue only, so
// no browser bundle ever sees `node:http`): Node's built-in `fetch` (undici) costs a few
// hundred microseconds more per request than `http.request`, and loads ~40 ms of modules
// on its first call.
//
// `init` is what the Rust side builds: `{ method, signal, headers?, body? }`, headers a plain
// object and body a string. The answer needs `status`, `headers.get(name)` and
// `arrayBuffer()`, as a `Response` has.

/** The installed transport, or null for `fetch`. */
let transport = null;

/** Installs `fn(url, init) → Promise<Response-like>` for every later request. */
export function setTransport(fn) {
  transport = fn;
}

/** Sends one request. */
export function send(url, init) {
  return transport ? transport(url, init) : fetch(url, init);
}
