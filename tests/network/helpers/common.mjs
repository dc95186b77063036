// Shared helpers of the network end-to-end tests.
import assert from "node:assert/strict";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** How long to wait for an event that should arrive over the network. */
export const EVENT_MS = 10_000;
/** How long to wait before concluding that an event did not arrive. */
export const QUIET_MS = 1_000;

const RUN = `${process.pid.toString(36)}${Date.now().toString(36).slice(-5)}`;
let counter = 0;

/** A unique id (valid user id: [A-Za-z0-9_-]) for this run: `prefix-RUN-N-RAND`. */
export function uid(prefix = "u") {
  counter += 1;
  return `${prefix}-${RUN}-${counter}${Math.random().toString(36).slice(2, 6)}`;
}

/** The run tag (unique per process), for values that must not collide across runs. */
export const RUN_TAG = RUN;

/** Keys used by every client (the server accepts any). */
export const KEYS = { publishKey: "demo-pub", subscribeKey: "demo-sub" };

/** ferrochat / @pubnub/chat config for a server origin. */
export const netConfig = (origin, userId) => ({ userId, ...KEYS, origin, ssl: false });

/** Polls `predicate` (sync or async) until truthy; rejects after `ms`. */
export async function waitFor(predicate, ms = EVENT_MS, what = "condition") {
  const until = Date.now() + ms;
  for (;;) {
    const v = await predicate();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** Awaits `promise`, asserts it rejects with an Error whose `code` is `code` (and message). */
export async function rejectsWith(promiseOrFn, code, { message, label = "call" } = {}) {
  let p;
  if (typeof promiseOrFn === "function") {
    assert.doesNotThrow(() => {
      p = promiseOrFn();
    }, `${label} must not throw synchronously`);
  } else {
    p = promiseOrFn;
  }
  let value;
  try {
    value = await p;
  } catch (err) {
    assert.ok(err instanceof Error, `${label}: expected an Error, got ${String(err)}`);
    assert.equal(err.code, code, `${label}: wrong code (message: ${err.message})`);
    if (typeof message === "string") assert.equal(err.message, message, `${label}: wrong message`);
    else if (message instanceof RegExp) assert.match(err.message, message, `${label}: wrong message`);
    return err;
  }
  assert.fail(`${label}: expected a rejection with ${code}, but it resolved with ${safe(value)}`);
}

function safe(v) {
  try {
    return JSON.stringify(v)?.slice(0, 200) ?? String(v);
  } catch {
    return String(v);
  }
}

/** The fields the two SDKs share, as a plain object (undefined/null normalised to undefined). */
export function fields(user) {
  const pick = (v) => (v === null ? undefined : v);
  return {
    id: user.id,
    name: pick(user.name),
    externalId: pick(user.externalId),
    profileUrl: pick(user.profileUrl),
    email: pick(user.email),
    custom: user.custom == null ? undefined : { ...user.custom },
    status: pick(user.status),
    type: pick(user.type),
  };
}

/** Runs `fn` over `items` with at most `limit` in flight; resolves to the results in order. */
export async function pool(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * The server a suite talks to: FERROCHAT_ORIGIN when set (scripts/test-network.sh), else a
 * private one started here. Resolves to { origin, server } (server is null when shared).
 */
export async function serverOrigin() {
  if (process.env.FERROCHAT_ORIGIN) return { origin: process.env.FERROCHAT_ORIGIN, server: null };
  const { startServer } = await import("../../support/server.mjs");
  const server = await startServer();
  return { origin: server.origin, server };
}

/** Destroys ferrochat Chats (best effort), so Node can exit. */
export function destroyAll(chats) {
  for (const chat of chats) {
    try {
      chat.destroy();
    } catch {
      // best effort
    }
  }
}

/** A user with every field set, distinguished by `tag`. */
export const full = (tag) => ({
  name: `Name ${tag}`,
  externalId: `ext-${tag}`,
  profileUrl: `https://example.com/${tag}.png`,
  email: `${tag}@example.com`,
  custom: { team: "red", level: 3, admin: true },
  status: "active",
  type: "agent",
});

/**
 * A scripted node:http server on a free 127.0.0.1 port (for replies ferrochat-server never
 * sends): resolves to { server, origin, close() }; close() drops open connections first.
 */
export async function scriptedServer(handler) {
  const { createServer } = await import("node:http");
  const server = createServer(handler);
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return {
    server,
    origin: `127.0.0.1:${server.address().port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/**
 * The id an existence check asks for: ferrochat looks a user up with a filtered list
 * (`GET …/uuids?filter=id == 'x'`), which answers 200 whether or not the user exists (a GET
 * of a missing user is a 404, which browsers log in red). Null for other requests.
 */
export function listedId(url) {
  const u = new URL(url, "http://x");
  if (!u.pathname.endsWith("/uuids")) return null;
  const m = /^id == '((?:[^'\\]|\\.)*)'$/.exec(u.searchParams.get("filter") ?? "");
  return m ? m[1].replace(/\\(.)/g, "$1") : null;
}

/** A list reply holding `users` (what a filtered existence check gets back). */
export const listReply = (users) => ({ status: 200, data: users, totalCount: users.length });
