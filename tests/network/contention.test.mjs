// Contention: 20 clients update one user while one client hard-deletes it, 40 rounds. An
// update writes only on the version it read (If-Match), so it can never re-create a user
// deleted meanwhile; it fails with USER_NOT_FOUND (or CONFLICT when others keep winning)
// instead. Before, the last retry was an unconditional PATCH, an upsert: the user came
// back in 5 of 80 rounds, without its custom data.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { Chat } from "ferrochat";
import { destroyAll, netConfig, serverOrigin, uid } from "./helpers/common.mjs";

const ROUNDS = 40;
const WRITERS = 20;

describe("updates racing a hard delete (network)", () => {
  let origin;
  let server;
  const chats = [];

  before(async () => {
    ({ origin, server } = await serverOrigin());
  });

  after(async () => {
    destroyAll(chats);
    await server?.stop();
  });

  it(`never resurrect the user (${ROUNDS} rounds, ${WRITERS} writers)`, async () => {
    const admin = await Chat.init(netConfig(origin, uid("admin")));
    chats.push(admin);
    const writers = [];
    for (let i = 0; i < WRITERS; i++) writers.push(await Chat.init(netConfig(origin, uid(`w${i}`))));
    chats.push(...writers);
    const outcomes = new Map();
    for (let round = 0; round < ROUNDS; round++) {
      const id = uid("hot");
      await admin.createUser(id, { name: "Hot", custom: { keep: true } });
      // The delete starts after a different number of updates each round.
      const work = [];
      writers.forEach((w, i) => {
        if (i === round % WRITERS) work.push(admin.deleteUser(id).then(() => "deleted"));
        work.push(w.updateUser(id, { email: `${round}-${i}@x.io` }).then(() => "updated", (e) => e.code));
      });
      for (const o of await Promise.all(work)) outcomes.set(o, (outcomes.get(o) ?? 0) + 1);
      assert.equal(await admin.getUser(id), null, `round ${round}: the deleted user came back`);
    }
    for (const o of outcomes.keys()) assert.ok(["updated", "deleted", "USER_NOT_FOUND", "CONFLICT"].includes(o), `unexpected outcome ${o}`);
    console.log("  outcomes:", Object.fromEntries(outcomes));
  });
});
