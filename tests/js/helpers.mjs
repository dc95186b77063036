// Shared helpers for ferrochat's JS test suite.
//
// Every behaviour test gets its Chat through chatConfig()/openChat() so the same suite can
// later run against a network server: set FERROCHAT_ORIGIN=host:port and chatConfig()
// switches from the embedded store to that server. Ids come from uid(): the embedded store
// is shared by every Chat in a process and a server keeps state between runs, so no two
// tests (or runs) may use the same id.

import assert from "node:assert/strict";
import { Chat, ChatError } from "ferrochat";

/** How long to wait for something that should happen (an event, a page). */
export const EVENT_TIMEOUT_MS = 5000;
/** How long to wait before concluding that something did not happen. */
export const QUIET_MS = 300;

/** True when the suite runs against a network server (FERROCHAT_ORIGIN is set). */
export const NETWORK = Boolean(process.env.FERROCHAT_ORIGIN);

/** The config for Chat.init: embedded store by default, the server at FERROCHAT_ORIGIN otherwise. */
export function chatConfig(userId) {
  if (NETWORK) {
    return {
      userId,
      publishKey: "demo",
      subscribeKey: "demo",
      origin: process.env.FERROCHAT_ORIGIN,
      ssl: false,
    };
  }
  return { userId };
}

const RUN = `${process.pid.toString(36)}${Date.now().toString(36).slice(-5)}`;
let counter = 0;

/**
 * A unique id `prefix-RUN-N-RAND`, made only of [A-Za-z0-9_-] so that it is a valid user id
 * and can be used inside a LIKE pattern. Stays well under the 92 character limit.
 */
export function uid(prefix = "u") {
  counter += 1;
  const rand = Math.random().toString(36).slice(2, 6);
  const id = `${prefix}-${RUN}-${counter}${rand}`;
  assert.ok(id.length <= 92, `uid too long: ${id}`);
  return id;
}

const openChats = [];

/** Chat.init with chatConfig(uid(prefix)) (or the exact userId given); remembered for closeChats(). */
export async function openChat(prefix = "me", { exactId } = {}) {
  const chat = await Chat.init(chatConfig(exactId ?? uid(prefix)));
  openChats.push(chat);
  return chat;
}

/** Destroys every Chat opened with openChat (when the optional destroy() exists). */
export async function closeChats() {
  while (openChats.length) {
    const chat = openChats.pop();
    if (typeof chat.destroy === "function") {
      try {
        await chat.destroy();
      } catch {
        // destroy is best effort in teardown
      }
    }
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until `what` holds: a predicate (sync or async, polled) or a promise. Rejects with a
 * descriptive error after `ms`.
 */
export async function waitFor(what, ms = EVENT_TIMEOUT_MS, label = "condition") {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${label}`)), ms);
  });
  let stopped = false;
  try {
    if (typeof what === "function") {
      const poll = (async () => {
        while (!stopped) {
          const v = await what();
          if (v) return v;
          await sleep(10);
        }
        return undefined;
      })();
      return await Promise.race([poll, timeout]);
    }
    return await Promise.race([Promise.resolve(what), timeout]);
  } finally {
    stopped = true;
    clearTimeout(timer);
  }
}

/**
 * A callback that records its calls. `waitCalls(n)` resolves when at least n calls were seen
 * (fails after 5 s); `calls` holds the argument of each call.
 */
export function collector(label = "callback") {
  const calls = [];
  const cb = (arg) => {
    calls.push(arg);
  };
  return {
    cb,
    calls,
    get last() {
      return calls[calls.length - 1];
    },
    async waitCalls(n, ms = EVENT_TIMEOUT_MS) {
      await waitFor(() => calls.length >= n, ms, `${label} to be called ${n} time(s) (got ${calls.length})`);
      return calls[n - 1];
    },
    /** Waits until some call satisfies pred; returns that call's argument. */
    async waitMatch(pred, ms = EVENT_TIMEOUT_MS, what = "a matching call") {
      return waitFor(() => calls.find(pred), ms, `${label}: ${what}`);
    },
  };
}

/** Calls fn(); asserts it does not throw synchronously and returns a thenable. */
export function callAsync(fn, label = "call") {
  let result;
  assert.doesNotThrow(() => {
    result = fn();
  }, `${label} must not throw synchronously (it returns a Promise)`);
  assert.ok(result && typeof result.then === "function", `${label} must return a Promise`);
  return result;
}

/** Asserts that `err` is an Error with a string code (and the given code/message when set). */
export function assertCodedError(err, { code, message, label = "error" } = {}) {
  assert.ok(err instanceof Error, `${label}: expected an Error instance, got ${describe(err)}`);
  assert.ok(err instanceof ChatError, `${label}: expected a ChatError, got ${err.name}: ${err.message}`);
  assert.equal(typeof err.code, "string", `${label}: error.code must be a string (message: ${err.message})`);
  if (code !== undefined) {
    assert.equal(err.code, code, `${label}: wrong code (message: ${err.message})`);
  }
  if (typeof message === "string") {
    assert.equal(err.message, message, `${label}: wrong message`);
  } else if (message instanceof RegExp) {
    assert.match(err.message, message, `${label}: wrong message`);
  }
  return err;
}

/**
 * Calls fn() (which must return a Promise without throwing synchronously) and asserts that it
 * rejects with an Error carrying `code` (and `message`, string = exact, RegExp = match).
 * Returns the error.
 */
export async function rejects(fn, { code, message, label = "call" } = {}) {
  const p = callAsync(fn, label);
  let value;
  try {
    value = await p;
  } catch (err) {
    return assertCodedError(err, { code, message, label });
  }
  assert.fail(`${label}: expected a rejection${code ? ` with ${code}` : ""}, but it resolved with ${describe(value)}`);
}

/** A short printable description of any value (for assertion messages). */
export function describe(v) {
  if (typeof v === "string") return v.length > 60 ? `string(${v.length}) ${JSON.stringify(v.slice(0, 40))}…` : JSON.stringify(v);
  if (typeof v === "function") return "function";
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "symbol") return v.toString();
  if (v && typeof v === "object" && v.constructor && v.constructor.name === "User") return `User(${v.id})`;
  try {
    const s = JSON.stringify(v);
    if (s === undefined) return String(v);
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    return Object.prototype.toString.call(v);
  }
}

/** Temporarily replaces console[method] with a recorder; returns { calls, restore }. */
export function captureConsole(method = "error") {
  const original = console[method];
  const calls = [];
  console[method] = (...args) => {
    calls.push(args);
  };
  return {
    calls,
    restore() {
      console[method] = original;
    },
  };
}

/** The ids of a list of users. */
export const ids = (users) => users.map((u) => u.id);
