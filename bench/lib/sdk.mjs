// The two SDKs behind one small interface, so every scenario drives them the same way.
import { repoRoot } from "./server.mjs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

export const SDKS = ["ferrochat", "anchor"];
export const LABEL = { ferrochat: "ferrochat", anchor: "@pubnub/chat 0.14.2" };

// FERROCHAT_ENTRY points the bench at another build of the package's Node entry (profile.mjs
// --named sets it to target/named/, a build whose wasm keeps its function names).
export const ferrochatEntry = pathToFileURL(resolve(process.env.FERROCHAT_ENTRY ?? resolve(repoRoot, "pkg", "index.mjs"))).href;

/** Imports an SDK module: { Chat, User }. */
export async function load(sdk) {
  return sdk === "ferrochat" ? import(ferrochatEntry) : import("@pubnub/chat");
}

export const netConfig = (origin, userId) => ({ publishKey: "demo", subscribeKey: "demo", userId, origin, ssl: false });

/** Ends a Chat's subscriptions and timers so the process can exit. */
export function destroyChat(sdk, chat) {
  if (!chat) return;
  try {
    if (sdk === "ferrochat") chat.destroy();
    else {
      chat.sdk?.unsubscribeAll?.();
      chat.sdk?.stop?.();
      chat.sdk?.destroy?.();
    }
  } catch {
    /* best effort */
  }
}

/**
 * Records the HTTP requests this process makes: http.request (ferrochat's Node transport;
 * the anchor's pubnub 10 uses node-fetch, which calls it too) and the global fetch (other
 * ferrochat builds, e.g. one from before round 7). Call before loading the SDK.
 * Returns the live list of { method, urlLength, path (cut), status, ms, error }.
 */
export async function instrumentHttp() {
  const log = [];
  const http = (await import("node:http")).default;
  const origRequest = http.request;
  http.request = function (...args) {
    const opts = typeof args[0] === "string" || args[0] instanceof URL ? new URL(args[0]) : args[0];
    const path = opts.path ?? opts.pathname ?? "";
    const rec = { via: "http", method: opts.method ?? "GET", urlLength: path.length, path: path.slice(0, 200), status: null, t0: performance.now(), ms: null, error: null };
    log.push(rec);
    const req = origRequest.apply(this, args);
    req.once("response", (res) => {
      rec.status = res.statusCode;
      rec.ms = performance.now() - rec.t0;
    });
    req.once("error", (e) => {
      rec.error = String(e?.code ?? e?.message ?? e);
      rec.ms = performance.now() - rec.t0;
    });
    return req;
  };
  const origFetch = globalThis.fetch;
  globalThis.fetch = async function (input, init) {
    const url = typeof input === "string" ? input : input?.url ?? String(input);
    const u = new URL(url);
    const full = u.pathname + u.search;
    const rec = { via: "fetch", method: init?.method ?? input?.method ?? "GET", urlLength: full.length, path: full.slice(0, 200), status: null, t0: performance.now(), ms: null, error: null };
    log.push(rec);
    try {
      const res = await origFetch(input, init);
      rec.status = res.status;
      rec.ms = performance.now() - rec.t0;
      return res;
    } catch (e) {
      rec.error = String(e?.name ?? e?.message ?? e);
      rec.ms = performance.now() - rec.t0;
      throw e;
    }
  };
  return log;
}

/**
 * Captures the ferrochat wasm instance's memory: wraps WebAssembly.Instance before the
 * package instantiates its module. Returns a getter of the memory's byte length (throws
 * when the package was not loaded through WebAssembly.Instance).
 */
export function captureWasmMemory() {
  let memory = null;
  const Orig = WebAssembly.Instance;
  const Patched = function (module, imports) {
    const inst = new Orig(module, imports);
    // The package's wasm exports have short names (scripts/build.mjs): find the memory by type.
    memory ??= Object.values(inst.exports).find((x) => x instanceof WebAssembly.Memory) ?? null;
    return inst;
  };
  Patched.prototype = Orig.prototype;
  WebAssembly.Instance = Patched;
  return () => {
    // Silently reporting nothing hid a lost figure once: fail the scenario instead.
    if (!memory) throw new Error("bench: ferrochat's wasm memory was not captured (no WebAssembly.Memory export)");
    return memory.buffer.byteLength;
  };
}

/** Summarises an instrumented request log: counts by method/endpoint/status. */
export function httpShape(log) {
  const counts = {};
  for (const r of log) {
    const kind = r.path.startsWith("/v2/subscribe") ? "subscribe" : r.path.startsWith("/v2/objects") ? "objects" : r.path.split("/")[1] || r.path;
    const key = `${r.method} ${kind} → ${r.status ?? r.error ?? "pending"}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}
