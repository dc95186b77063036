// Issue 4.6: a ferrochat client streams a user's updates while ferrochat-server (SQLite
// durability, fixed port) is killed with SIGKILL and restarted mid-stream. Every update,
// before the kill and after the restart, arrives exactly once and in order.
//
// The SDK reconnects with capped exponential backoff (0.5 s * 2^n, max 30 s, jittered) from
// its cursor, so the waits here are generous; nothing asserts an upper bound on time.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Chat, User } from "ferrochat";
import { startServer, freePort } from "../support/server.mjs";
import { netConfig, uid, sleep, waitFor, QUIET_MS } from "./helpers/common.mjs";

/** Updates before the kill and after the restart. */
const N = 5;
/** Long enough for the capped backoff to come round a few times. */
const RECONNECT_MS = 90_000;

describe("restart: ferrochat-server killed (SIGKILL) and restarted mid-stream", () => {
  let dir;
  let port;
  let server;
  const chats = [];

  const start = () =>
    startServer({ listen: `127.0.0.1:${port}`, subscribeTimeout: 10, args: ["--db", join(dir, "ferrochat.db")] });

  /** Starts the server on the fixed port, retrying while the old socket is released. */
  const restart = async () => {
    let lastErr;
    for (let i = 0; i < 20; i++) {
      try {
        return await start();
      } catch (err) {
        lastErr = err;
        await sleep(250);
      }
    }
    throw lastErr;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "ferrochat-restart-"));
    port = await freePort();
    server = await start();
  });

  after(async () => {
    for (const chat of chats) {
      try {
        chat.destroy();
      } catch {
        // best effort
      }
    }
    if (server) await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const init = async (prefix) => {
    const chat = await Chat.init(netConfig(`127.0.0.1:${port}`, uid(prefix)));
    chats.push(chat);
    return chat;
  };

  /**
   * One scenario: a watcher streams; N updates; kill; restart; N updates; all 2N arrive once,
   * in order. `waitBeforeKill`: whether the first N are seen before the kill (otherwise the
   * server is killed right after the N-th write is acknowledged, so delivery of the last
   * ones may depend on catch-up after the restart).
   */
  async function scenario({ waitBeforeKill }) {
    const watcher = await init("watcher");
    const editor = await init("editor");
    const id = uid("target");
    const user = await editor.createUser(id, { name: "v0", email: "keep@example.com" });
    const watched = await watcher.getUser(id);
    const names = [];
    const emails = new Set();
    const listNames = [];
    const stop = watched.streamUpdates((u) => {
      names.push(u.name);
      emails.add(u.email);
    });
    const stopList = User.streamUpdatesOn([watched], (us) => listNames.push(us[0].name));
    try {
      const expected = Array.from({ length: 2 * N }, (_, i) => `v${i + 1}`);
      for (const name of expected.slice(0, N)) {
        await editor.updateUser(id, { name });
      }
      if (waitBeforeKill) {
        await waitFor(() => names.length >= N, 10_000, `the first ${N} updates before the kill (got ${names})`);
      }

      const killed = await server.kill();
      assert.equal(killed.signal, "SIGKILL");
      server = null;
      await sleep(1_500); // the watcher's long-poll fails and it starts backing off
      server = await restart();

      // The server is back: the stored user survived, with the last acknowledged write.
      const probe = await init("probe");
      assert.equal((await probe.getUser(id))?.name, `v${N}`, "acknowledged writes survive kill -9");

      for (const name of expected.slice(N)) {
        // The same editor as before the kill: its client must cope with the dropped sockets.
        try {
          await editor.updateUser(id, { name });
        } catch (err) {
          assert.fail(`editor.updateUser(${name}) after the restart failed: ${err.code} ${err.message}`);
        }
      }
      await waitFor(
        () => names.length >= 2 * N && listNames.length >= 2 * N,
        RECONNECT_MS,
        `all ${2 * N} updates (stream got ${JSON.stringify(names)}, streamUpdatesOn got ${JSON.stringify(listNames)})`,
      );
      await sleep(QUIET_MS * 2);
      assert.deepEqual(names, expected, "streamUpdates: every update exactly once, in order");
      assert.deepEqual(listNames, expected, "streamUpdatesOn: every update exactly once, in order");
      assert.deepEqual([...emails], ["keep@example.com"], "merged state kept across the restart");
      assert.equal(user.id, id);
    } finally {
      stop();
      stopList();
    }
  }

  it("every update arrives exactly once and in order (first N delivered before the kill)", { timeout: 180_000 }, async () => {
    await scenario({ waitBeforeKill: true });
  });

  it("every update arrives exactly once and in order (killed right after the N-th write)", { timeout: 180_000 }, async () => {
    await scenario({ waitBeforeKill: false });
  });
});
