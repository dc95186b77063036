// Test helpers for the official-client suites. The server itself is started by the
// shared tests/support/server.mjs (stopped by PID, never by name).
import { startServer as start } from "../../support/server.mjs";

export { serverBin } from "../../support/server.mjs";

/** Starts a server (long-poll hold 20 s) with extra flags; resolves to { port, origin, pid, log(), stop() }. */
export function startServer(args = []) {
  return start({ subscribeTimeout: 20, args });
}

export async function waitFor(predicate, ms = 10_000, what = "condition") {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const value = await predicate();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A unique id for this run (so tests never share users). */
export function uniqueId(prefix) {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Unsubscribes and destroys official PubNub clients (test teardown). */
export function closeClients(clients) {
  for (const pn of clients.splice(0)) {
    pn.unsubscribeAll?.();
    pn.destroy?.();
  }
}
