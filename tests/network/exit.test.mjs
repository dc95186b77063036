// A Node script that streams exits by itself once its last stream stops, without
// destroy(): nothing keeps the event loop alive (no long-poll, no timer, no socket that is
// not unref'd). It used to re-open a subscribe on its own user's channel for ever. Each
// script runs in a child process against the shared ferrochat-server; it must print
// "stopped" and then exit on its own (a child still running after 20 s is killed and the
// test fails).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { netConfig, serverOrigin, uid } from "./helpers/common.mjs";

/** Runs `body` (module code with `chat`, `config` and `id` in scope) in a child; resolves its exit. */
function runScript(origin, body) {
  const config = netConfig(origin, uid("exit"));
  const script = `
    const { Chat, User } = await import("ferrochat");
    const config = ${JSON.stringify(config)};
    const chat = await Chat.init(config);
    const id = ${JSON.stringify(uid("exit-target"))};
    const user = await chat.createUser(id, { name: "A" });
    ${body}
    console.log("stopped", Date.now());
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { cwd: process.cwd(), stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  return new Promise((resolve) =>
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: signal ?? code, out, exitedAt: Date.now() });
    }),
  );
}

/** Waits for one callback of a stream started by `start(cb)`, then stops it. */
const streamOnce = (start) => `
  await new Promise((resolve) => {
    const stop = ${start}((u) => { stop(); resolve(); });
    setTimeout(() => user.update({ name: "B" }), 300);
  });
`;

describe("a Node script exits by itself after its last stop (network)", () => {
  let origin;
  let server;

  before(async () => {
    ({ origin, server } = await serverOrigin());
  });

  after(async () => {
    await server?.stop();
  });

  for (const [label, body] of [
    ["user.streamUpdates", streamOnce("user.streamUpdates")],
    ["User.streamUpdatesOn", streamOnce("((cb) => User.streamUpdatesOn([user], cb))")],
    ["user.onUpdated", streamOnce("user.onUpdated")],
    ["addConnectionStatusListener", "const off = chat.addConnectionStatusListener(() => {}); await new Promise((r) => setTimeout(r, 300)); off();"],
  ]) {
    it(`after ${label} and its stop()`, async () => {
      const { code, out, exitedAt } = await runScript(origin, body);
      assert.equal(code, 0, `exit ${code}: ${out}`);
      const stoppedAt = Number(/stopped (\d+)/.exec(out)?.[1]);
      assert.ok(stoppedAt > 0, out);
      // Not a timing assertion: a script held open would have been killed at 20 s.
      console.log(`  ${label}: exited ${exitedAt - stoppedAt} ms after the last stop`);
    });
  }
});
