// The sample code of the two documented pages (seeds 000 "Delete users" and 004 "Manage
// user updates"), run as written. Each test prepares support_agent_15 / support-manager
// first. The example bodies are copied verbatim; the only change is that the
// `/* handle update callback */` placeholders are filled with a callback, and the pages'
// undeclared `incidentChannel` is the manager user (what the page's text means).
//
// The pages use the literal ids "support_agent_15" and "support-manager". In the embedded
// store each test file runs in its own process, so the literal ids are used as written.
// Against a network server (FERROCHAT_ORIGIN) ids must be unique per run, so `chat` is then a
// thin wrapper that maps the two literal ids to unique ones (the example text stays as is).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { User } from "ferrochat";
import { uid, openChat, closeChats, NETWORK, waitFor, captureConsole, sleep, QUIET_MS } from "./helpers.mjs";

const AGENT = "support_agent_15";
const MANAGER = "support-manager";
const REAL = NETWORK ? { [AGENT]: uid("support_agent_15"), [MANAGER]: uid("support-manager") } : { [AGENT]: AGENT, [MANAGER]: MANAGER };

let realChat; // the Chat the examples use
let chat; // `chat` as the examples name it
let other; // a second Chat that makes changes the streams should see

/** In network mode, wraps a Chat so that the pages' literal ids map to this run's ids. */
function seedChat(c) {
  if (!NETWORK) return c;
  const map = (id) => (typeof id === "string" && id in REAL ? REAL[id] : id);
  return new Proxy(c, {
    get(target, prop) {
      const v = target[prop];
      if (typeof v !== "function") return v;
      if (["getUser", "createUser", "updateUser", "deleteUser"].includes(prop)) {
        return (id, ...rest) => v.call(target, map(id), ...rest);
      }
      return v.bind(target);
    },
  });
}

before(async () => {
  realChat = await openChat("seed-admin");
  other = await openChat("seed-other");
  chat = seedChat(realChat);
});
after(closeChats);

const AGENT_DATA = {
  name: "Mike Kelly",
  email: "mkelly@example.com",
  profileUrl: "https://example.com/mkelly.png",
  custom: { linkedInUrl: "https://www.linkedin.com/mkelly_vp1", department: "support" },
  type: "support-agent",
  status: "active",
};

/** Fresh support_agent_15 (and support-manager) before each example. */
async function reset() {
  await realChat.deleteUser(REAL[AGENT]);
  await realChat.deleteUser(REAL[MANAGER]);
  await realChat.createUser(REAL[AGENT], { ...AGENT_DATA });
  await realChat.createUser(REAL[MANAGER], { name: "Support Manager", type: "manager" });
}

// ---- 000: Delete users -------------------------------------------------------------

test("seed 000, delete(): permanently delete user support_agent_15", async () => {
  await reset();
  {
    // reference the "user" object
    const user = await chat.getUser("support_agent_15")
    // invoke the "delete()" method. By default, the "soft" parameter is set to "false" and can be skipped.
    await user.delete()
  }
  assert.equal(await realChat.getUser(REAL[AGENT]), null, "the user is gone");
});

test("seed 000, deleteUser(): permanently delete user support_agent_15", async () => {
  await reset();
  let result;
  {
    // reference the "chat" object and invoke the "deleteUser()" method. By default, the "soft" parameter is set to "false" and can be skipped.
    const user = await chat.deleteUser(
     "support_agent_15"
    )
    result = user;
  }
  assert.equal(result, true, "a hard delete resolves true");
  assert.equal(await realChat.getUser(REAL[AGENT]), null);
});

test("seed 000, delete({ soft: true }): archive support_agent_15", async () => {
  await reset();
  let result;
  {
    const user = await chat.getUser("support_agent_15")
    result = await user.delete(
     {
      soft: true
     }
    )
  }
  assert.ok(result instanceof User);
  assert.equal(result.status, "deleted");
  const kept = await realChat.getUser(REAL[AGENT]);
  assert.ok(kept, "the data is kept");
  assert.equal(kept.status, "deleted");
  assert.equal(kept.name, AGENT_DATA.name);
  assert.equal(kept.email, AGENT_DATA.email);
  assert.deepEqual({ ...kept.custom }, AGENT_DATA.custom);
});

test("seed 000, deleteUser(id, { soft: true }): archive support_agent_15", async () => {
  await reset();
  const result = await (async () => {
    return await chat.deleteUser(
     "support_agent_15",
     {
      soft: true
     }
    )
  })();
  assert.ok(result instanceof User);
  assert.equal(result.status, "deleted");
  assert.equal(result.type, AGENT_DATA.type);
  const kept = await realChat.getUser(REAL[AGENT]);
  assert.equal(kept.status, "deleted");
});

test("seed 000: deleting without an id gives 'ID is required'", async () => {
  const err = await chat.deleteUser("").then(
    () => assert.fail("must reject"),
    (e) => e,
  );
  assert.ok(err instanceof Error);
  assert.equal(err.message, "ID is required");
});

// ---- 004: Manage user updates ------------------------------------------------------------

test("seed 004, update(): change support_agent_15's LinkedIn URL", async () => {
  await reset();
  let updated;
  {
    // reference the "user" object
    const user = await chat.getUser("support_agent_15")
    // invoke the "update()" method on the "user" object
    updated = await user.update(
    {
    custom: {
    linkedInUrl: "https://www.linkedin.com/mkelly_vp2"
    }
    }
    )
  }
  assert.ok(updated instanceof User);
  assert.deepEqual({ ...updated.custom }, { linkedInUrl: "https://www.linkedin.com/mkelly_vp2" });
  assert.equal(updated.name, AGENT_DATA.name, "other fields are unchanged");
  const stored = await realChat.getUser(REAL[AGENT]);
  assert.deepEqual({ ...stored.custom }, { linkedInUrl: "https://www.linkedin.com/mkelly_vp2" });
  assert.equal(stored.email, AGENT_DATA.email);
});

test("seed 004, updateUser(): change support_agent_15's LinkedIn URL", async () => {
  await reset();
  let result;
  {
    // reference the "chat" object and invoke the "updateUser()" method
    const user = await chat.updateUser(
    "support_agent_15",
    {
    custom: {
    linkedInUrl: "https://www.linkedin.com/mkelly_vp2"
    }
    }
    )
    result = user;
  }
  assert.ok(result instanceof User);
  assert.equal(result.id, REAL[AGENT]);
  assert.equal(result.custom.linkedInUrl, "https://www.linkedin.com/mkelly_vp2");
  assert.equal(result.type, AGENT_DATA.type);
});

test("seed 004: update errors are the documented ones", async () => {
  const e1 = await chat.updateUser("", { name: "x" }).then(() => assert.fail("must reject"), (e) => e);
  assert.equal(e1.message, "ID is required");
  const e2 = await chat.updateUser(uid("nobody"), { name: "x" }).then(() => assert.fail("must reject"), (e) => e);
  assert.equal(e2.message, "User with this ID does not exist");
});

test("seed 004, streamUpdates(): get updates on support_agent_15 (console.log shows the user)", async () => {
  await reset();
  const logs = captureConsole("log");
  let stop;
  try {
    {
      const user = await chat.getUser("support_agent_15")
      stop = user.streamUpdates((user) => {
      console.log("Updated user: ", user)
      })
    }
    assert.equal(typeof stop, "function");
    await waitFor(async () => {
      if (logs.calls.length) return true;
      // someone else edits the agent (retried only for a network server's subscribe warm-up)
      await other.updateUser(REAL[AGENT], { name: `Mike K. ${Math.random().toString(36).slice(2, 6)}` });
      await sleep(NETWORK ? 1000 : 50);
      return logs.calls.length > 0;
    });
  } finally {
    logs.restore();
    stop?.();
  }
  const [label, logged] = logs.calls[0];
  assert.equal(label, "Updated user: ");
  assert.ok(logged instanceof User);
  assert.match(logged.name, /^Mike K\. /);
  const { format } = await import("node:util");
  assert.match(format(label, logged), /Mike K\. /, "console.log output shows the field values");
});

test("seed 004, streamUpdatesOn(): get updates on support_agent_15 and support-manager", async () => {
  await reset();
  const logs = captureConsole("log");
  let stop;
  try {
    {
      const agentUser = await chat.getUser("support_agent_15")
      const managerUser = await chat.getUser("support-manager")
      const incidentChannel = managerUser
      stop = User.streamUpdatesOn([agentUser, incidentChannel], (users) => {
      console.log("Updated users: ", users)
      })
    }
    assert.equal(typeof stop, "function");
    await waitFor(async () => {
      if (logs.calls.length) return true;
      await other.updateUser(REAL[MANAGER], { name: `Manager ${Math.random().toString(36).slice(2, 6)}` });
      await sleep(NETWORK ? 1000 : 50);
      return logs.calls.length > 0;
    });
  } finally {
    logs.restore();
    stop?.();
  }
  const [label, users] = logs.calls[0];
  assert.equal(label, "Updated users: ");
  assert.ok(Array.isArray(users));
  assert.deepEqual(users.map((u) => u.id), [REAL[AGENT], REAL[MANAGER]]);
  assert.match(users[1].name, /^Manager /);
  assert.equal(users[0].name, AGENT_DATA.name);
});

test("seed 004, stop listening to updates on support_agent_15", async () => {
  await reset();
  const calls = [];
  const handleUpdate = (user) => calls.push(user);
  {
    const user = await chat.getUser("support_agent_15")
    const stopUpdates = user.streamUpdates(handleUpdate /* handle update callback */)
    // after some time...
    await sleep(50);
    stopUpdates()
  }
  await other.updateUser(REAL[AGENT], { name: "After Stop" });
  await sleep(QUIET_MS);
  assert.equal(calls.length, 0, "no updates after stopUpdates()");
});

test("seed 004, stop listening to updates on support_agent_15 and support-manager", async () => {
  await reset();
  const calls = [];
  const handleUpdates = (users) => calls.push(users);
  {
    const agentUser = await chat.getUser("support_agent_15")
    const managerUser = await chat.getUser("support-manager")
    const incidentChannel = managerUser
    const stopUpdates = User.streamUpdatesOn([agentUser, incidentChannel], handleUpdates /* handle update callback */)
    // after some time...
    await sleep(50);
    stopUpdates()
  }
  await other.updateUser(REAL[AGENT], { name: "After Stop" });
  await other.updateUser(REAL[MANAGER], { name: "After Stop" });
  await sleep(QUIET_MS);
  assert.equal(calls.length, 0, "no updates after stopUpdates()");
});

test("seed 004: streamUpdatesOn without a list gives 'Cannot stream user updates on an empty list'", () => {
  assert.throws(
    () => User.streamUpdatesOn([], () => {}),
    (e) => e instanceof Error && e.message === "Cannot stream user updates on an empty list",
  );
});
