// user.streamUpdates and User.streamUpdatesOn: delivery (same Chat and across Chats), merged
// state, no-op updates, unsubscribe, ref-counting, throwing callbacks, list semantics.
//
// Events are never assumed to be synchronous: each expected call is awaited with a 5 s
// timeout, and "no call" is asserted after a 300 ms quiet period.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { User } from "ferrochat";
import { uid, openChat, closeChats, collector, sleep, QUIET_MS, captureConsole, waitFor, ids, assertCodedError, NETWORK } from "./helpers.mjs";

let chatA;
let chatB;
before(async () => {
  chatA = await openChat("stream-a");
  chatB = await openChat("stream-b");
  assert.notEqual(chatA.currentUser.id, chatB.currentUser.id);
});
after(closeChats);

/**
 * Subscribes with streamUpdates and proves the subscription is live: makes a real change and
 * waits for it (a network backend needs the subscribe loop to be running first).
 */
async function liveStream(user, { via = chatA } = {}) {
  const c = collector(`streamUpdates(${user.id})`);
  const stop = user.streamUpdates(c.cb);
  assert.equal(typeof stop, "function", "streamUpdates returns an unsubscribe function");
  const marker = await warmUp(user.id, via, c, (u, m) => u.externalId === m);
  return { c, stop, marker };
}

/**
 * Makes a real change (externalId = marker) and waits until collector `c` sees it. The
 * embedded backend must deliver the very first change; against a network server the
 * subscribe loop may need a moment, so there a few changes are tried.
 */
async function warmUp(id, via, c, seen) {
  const attempts = NETWORK ? 5 : 1;
  for (let i = 1; ; i++) {
    const marker = `warm-${Math.random().toString(36).slice(2)}`;
    await via.updateUser(id, { externalId: marker });
    try {
      await c.waitMatch((x) => seen(x, marker), NETWORK ? 2000 : undefined, "the warm-up change");
      return marker;
    } catch (err) {
      if (i >= attempts) throw err;
    }
  }
}

/**
 * change(i) makes a real change; resolves when check() is truthy. Against a network server a
 * fresh subscription may need a moment, so there the change is retried (with a new i).
 */
async function deliver(change, check, label = "the change to be delivered") {
  const attempts = NETWORK ? 5 : 1;
  for (let i = 1; ; i++) {
    await change(i);
    try {
      return await waitFor(check, NETWORK ? 2000 : undefined, label);
    } catch (err) {
      if (i >= attempts) throw err;
    }
  }
}

test("streamUpdates returns a function and delivers a User for a change made by the same Chat", async () => {
  const u = await chatA.createUser(uid("s-same"), { name: "Before" });
  const { c, stop } = await liveStream(u, { via: chatA });
  try {
    await chatA.updateUser(u.id, { name: "After" });
    const got = await c.waitMatch((x) => x.name === "After");
    assert.ok(got instanceof User, "the callback receives a User");
    assert.equal(got.id, u.id);
    await u.update({ name: "Via user.update" });
    await c.waitMatch((x) => x.name === "Via user.update");
  } finally {
    stop();
  }
});

test("streamUpdates delivers changes made by another Chat (cross-Chat)", async () => {
  const u = await chatA.createUser(uid("s-cross"), { name: "A-made" });
  const { c, stop } = await liveStream(u);
  try {
    const n = c.calls.length;
    await chatB.updateUser(u.id, { name: "B-changed" });
    const got = await c.waitCalls(n + 1);
    assert.ok(got instanceof User);
    assert.equal(got.name, "B-changed");
    // and the other direction: B streams, A writes
    const ub = await chatB.getUser(u.id);
    const cb = collector("B's stream");
    const stopB = ub.streamUpdates(cb.cb);
    try {
      const gotB = await deliver(
        (i) => chatA.updateUser(u.id, { name: `A-changed-${i}` }),
        () => cb.calls.find((x) => x.name.startsWith("A-changed")),
      );
      assert.equal(gotB.id, u.id);
    } finally {
      stopB();
    }
  } finally {
    stop();
  }
});

test("user.update() made through a User object of another Chat is delivered", async () => {
  const u = await chatA.createUser(uid("s-uupdate"), { name: "x" });
  const { c, stop } = await liveStream(u);
  try {
    const viaB = await chatB.getUser(u.id);
    await viaB.update({ status: "busy" });
    const got = await c.waitMatch((x) => x.status === "busy");
    assert.equal(got.name, "x");
  } finally {
    stop();
  }
});

test("the callback gets the merged latest state, not just the changed fields", async () => {
  const u = await chatA.createUser(uid("s-merge"), {
    name: "Full",
    email: "full@example.com",
    custom: { a: 1 },
    type: "agent",
    profileUrl: "https://example.com/p.png",
  });
  const { c, stop, marker } = await liveStream(u);
  try {
    const n = c.calls.length;
    await chatB.updateUser(u.id, { status: "away" });
    const got = await c.waitCalls(n + 1);
    assert.equal(got.status, "away");
    assert.equal(got.name, "Full");
    assert.equal(got.email, "full@example.com");
    assert.equal(got.type, "agent");
    assert.equal(got.profileUrl, "https://example.com/p.png");
    assert.equal(got.externalId, marker);
    assert.deepEqual({ ...got.custom }, { a: 1 });
    // a second change merges on top of the first
    await chatB.updateUser(u.id, { custom: { b: 2 } });
    const got2 = await c.waitCalls(n + 2);
    assert.equal(got2.status, "away");
    assert.deepEqual({ ...got2.custom }, { b: 2 });
    // clearing a field is delivered as cleared
    await chatB.updateUser(u.id, { email: null });
    const got3 = await c.waitCalls(n + 3);
    assert.equal(got3.email, undefined);
    assert.equal(got3.name, "Full");
    // the delivered state matches what getUser says
    const fresh = await chatA.getUser(u.id);
    assert.equal(got3.updated, fresh.updated);
    assert.deepEqual(JSON.parse(JSON.stringify(got3)), JSON.parse(JSON.stringify(fresh)));
  } finally {
    stop();
  }
});

test("each real change calls back once, in order", async () => {
  const u = await chatA.createUser(uid("s-order"), { name: "n0" });
  const { c, stop } = await liveStream(u);
  try {
    const n = c.calls.length;
    for (let i = 1; i <= 5; i++) await chatB.updateUser(u.id, { name: `n${i}` });
    await c.waitCalls(n + 5);
    await sleep(QUIET_MS);
    assert.deepEqual(c.calls.slice(n).map((x) => x.name), ["n1", "n2", "n3", "n4", "n5"]);
  } finally {
    stop();
  }
});

test("an update that changes nothing calls nothing", async () => {
  const u = await chatA.createUser(uid("s-noop"), { name: "Same", email: "same@example.com" });
  const { c, stop, marker } = await liveStream(u);
  try {
    const n = c.calls.length;
    await chatB.updateUser(u.id, { name: "Same", email: "same@example.com", externalId: marker });
    await chatB.updateUser(u.id, {});
    await sleep(QUIET_MS);
    assert.equal(c.calls.length, n, "no callback for a no-op update");
    // still live
    await chatB.updateUser(u.id, { name: "Different" });
    await c.waitMatch((x) => x.name === "Different");
  } finally {
    stop();
  }
});

test("after unsubscribe no more calls; calling unsubscribe twice is harmless", async () => {
  const u = await chatA.createUser(uid("s-unsub"), { name: "U" });
  const { c, stop } = await liveStream(u);
  const n = c.calls.length;
  assert.doesNotThrow(() => stop());
  assert.doesNotThrow(() => stop(), "a second unsubscribe call is harmless");
  await chatB.updateUser(u.id, { name: "After Unsubscribe" });
  await sleep(QUIET_MS);
  assert.equal(c.calls.length, n, "no call after unsubscribe");
  assert.equal(stop(), undefined);
});

test("unsubscribe from inside the callback stops further calls", async () => {
  const u = await chatA.createUser(uid("s-unsub-inside"), { name: "U" });
  const { c: warm, stop: stopWarm } = await liveStream(u); // keeps the channel warm
  const calls = [];
  let stop;
  stop = u.streamUpdates((x) => {
    calls.push(x);
    stop();
  });
  try {
    await chatB.updateUser(u.id, { name: "one" });
    await waitFor(() => calls.length >= 1, undefined, "first call");
    const n = warm.calls.length;
    await chatB.updateUser(u.id, { name: "two" });
    await warm.waitCalls(n + 1);
    await sleep(QUIET_MS);
    assert.equal(calls.length, 1);
  } finally {
    stopWarm();
  }
});

test("ref-counting: two streams on one user; unsubscribing one keeps the other working", async () => {
  const u = await chatA.createUser(uid("s-ref"), { name: "R" });
  const first = await liveStream(u);
  const second = collector("second");
  const stop2 = u.streamUpdates(second.cb);
  try {
    await chatB.updateUser(u.id, { name: "both" });
    await first.c.waitMatch((x) => x.name === "both");
    await second.waitMatch((x) => x.name === "both");
    first.stop();
    const n1 = first.c.calls.length;
    await chatB.updateUser(u.id, { name: "only-second" });
    await second.waitMatch((x) => x.name === "only-second");
    await sleep(QUIET_MS);
    assert.equal(first.c.calls.length, n1, "the unsubscribed stream gets nothing");
    // calling the first unsubscribe again must not drop the second's reference
    first.stop();
    await chatB.updateUser(u.id, { name: "still-second" });
    await second.waitMatch((x) => x.name === "still-second");
  } finally {
    stop2();
    first.stop();
  }
});

test("ref-counting across a stream and a list stream on the same user", async () => {
  const u = await chatA.createUser(uid("s-ref-list"), { name: "R" });
  const single = await liveStream(u);
  const list = collector("list");
  const stopList = User.streamUpdatesOn([u], list.cb);
  try {
    await chatB.updateUser(u.id, { name: "x1" });
    await list.waitMatch((l) => l[0].name === "x1");
    stopList();
    await chatB.updateUser(u.id, { name: "x2" });
    await single.c.waitMatch((x) => x.name === "x2");
  } finally {
    single.stop();
    stopList();
  }
});

test("two Chats can stream the same user independently", async () => {
  const u = await chatA.createUser(uid("s-two-chats"), { name: "T" });
  const a = await liveStream(u);
  const fromB = await chatB.getUser(u.id);
  const b = collector("B");
  const stopB = fromB.streamUpdates(b.cb);
  try {
    await deliver(
      (i) => chatA.updateUser(u.id, { name: `T2-${i}` }),
      () => b.calls.find((x) => x.name.startsWith("T2")),
    );
    await a.c.waitMatch((x) => x.name.startsWith("T2"));
    stopB();
    await chatA.updateUser(u.id, { name: "T3" });
    await a.c.waitMatch((x) => x.name === "T3");
  } finally {
    a.stop();
    stopB();
  }
});

test("a callback that throws is reported with console.error and the stream continues", async () => {
  const u = await chatA.createUser(uid("s-throw"), { name: "Boom" });
  const { c: other, stop: stopOther } = await liveStream(u);
  const errors = captureConsole("error");
  let count = 0;
  const stop = u.streamUpdates(() => {
    count += 1;
    throw new Error("callback failure on purpose");
  });
  try {
    await chatB.updateUser(u.id, { name: "b1" });
    await waitFor(() => count >= 1, undefined, "the throwing callback to be called");
    await waitFor(() => errors.calls.length >= 1, undefined, "console.error to report the throw");
    const text = errors.calls.map((args) => args.map((a) => (a instanceof Error ? a.message : String(a))).join(" ")).join("\n");
    assert.match(text, /callback failure on purpose/, "console.error shows the thrown error");
    await other.waitMatch((x) => x.name === "b1");
    await chatB.updateUser(u.id, { name: "b2" });
    await waitFor(() => count >= 2, undefined, "the throwing callback to be called again");
    await other.waitMatch((x) => x.name === "b2");
  } finally {
    errors.restore();
    stop();
    stopOther();
  }
  // and the module is fine afterwards
  assert.equal((await chatA.getUser(u.id)).name, "b2");
});

test("soft delete is delivered as a change with status 'deleted'", async () => {
  const u = await chatA.createUser(uid("s-soft"), { name: "Soft", email: "s@example.com" });
  const { c, stop } = await liveStream(u);
  try {
    await chatB.deleteUser(u.id, { soft: true });
    const got = await c.waitMatch((x) => x.status === "deleted");
    assert.equal(got.name, "Soft");
    assert.equal(got.email, "s@example.com");
  } finally {
    stop();
  }
});

test("the callback may call back into the SDK (no re-entrancy problem)", async () => {
  const u = await chatA.createUser(uid("s-reenter"), { name: "Re" });
  const { stop: stopWarm } = await liveStream(u);
  const results = [];
  const stop = u.streamUpdates((x) => {
    // synchronous SDK calls from inside a callback
    results.push(x.name);
    const p = chatA.getUser(x.id).then((fresh) => results.push(`fresh:${fresh && fresh.name}`));
    const s = x.streamUpdates(() => {});
    s();
    return p;
  });
  try {
    await chatB.updateUser(u.id, { name: "Re2" });
    await waitFor(() => results.includes("fresh:Re2"), undefined, "the nested getUser");
  } finally {
    stop();
    stopWarm();
  }
});

test("streamUpdates with a non-function callback is refused without breaking the module", async () => {
  const u = await chatA.createUser(uid("s-badcb"), { name: "Bad" });
  for (const bad of [undefined, null, 42, "cb", {}]) {
    let stop;
    try {
      stop = u.streamUpdates(bad);
    } catch (err) {
      assertCodedError(err, { label: `streamUpdates(${String(bad)})` });
      continue;
    }
    // if it returned, it must be an unsubscribe function
    assert.equal(typeof stop, "function");
    stop();
  }
  assert.ok(await chatA.getUser(u.id));
});

// ---- streamUpdatesOn ---------------------------------------------------------------

async function liveList(users) {
  const c = collector("streamUpdatesOn");
  const stop = User.streamUpdatesOn(users, c.cb);
  assert.equal(typeof stop, "function", "streamUpdatesOn returns an unsubscribe function");
  const marker = await warmUp(users[0].id, chatA, c, (l, m) => l[0].externalId === m);
  return { c, stop, marker };
}

test("streamUpdatesOn calls back with the whole list in input order, changed entry replaced", async () => {
  const u1 = await chatA.createUser(uid("l1"), { name: "One" });
  const u2 = await chatA.createUser(uid("l2"), { name: "Two" });
  const u3 = await chatA.createUser(uid("l3"), { name: "Three" });
  const input = [u3, u1, u2]; // not sorted by anything
  const { c, stop, marker } = await liveList(input);
  try {
    const n = c.calls.length;
    await chatB.updateUser(u1.id, { name: "One changed" });
    const list = await c.waitCalls(n + 1);
    assert.ok(Array.isArray(list));
    assert.equal(list.length, 3);
    for (const x of list) assert.ok(x instanceof User);
    assert.deepEqual(ids(list), [u3.id, u1.id, u2.id], "input order");
    assert.equal(list[1].name, "One changed", "the changed entry is replaced");
    assert.equal(list[0].name, "Three");
    assert.equal(list[0].externalId, marker, "state is cumulative (warm-up change kept)");
    assert.equal(list[2].name, "Two");
    // the input array itself is not mutated
    assert.deepEqual(ids(input), [u3.id, u1.id, u2.id]);
    assert.equal(input[1].name, "One");
  } finally {
    stop();
  }
});

test("streamUpdatesOn state is cumulative across callbacks", async () => {
  const a = await chatA.createUser(uid("cum-a"), { name: "A" });
  const b = await chatA.createUser(uid("cum-b"), { name: "B" });
  const { c, stop } = await liveList([a, b]);
  try {
    const n = c.calls.length;
    await chatB.updateUser(b.id, { name: "B1" });
    await c.waitCalls(n + 1);
    await chatB.updateUser(a.id, { name: "A1" });
    const list = await c.waitCalls(n + 2);
    assert.deepEqual(list.map((x) => x.name), ["A1", "B1"], "the earlier change to b is still there");
    await chatB.updateUser(b.id, { status: "s" });
    const list3 = await c.waitCalls(n + 3);
    assert.deepEqual(list3.map((x) => [x.name, x.status]), [["A1", undefined], ["B1", "s"]]);
  } finally {
    stop();
  }
});

test("streamUpdatesOn: a hard-deleted user leaves the list", async () => {
  const a = await chatA.createUser(uid("del-a"), { name: "A" });
  const b = await chatA.createUser(uid("del-b"), { name: "B" });
  const d = await chatA.createUser(uid("del-c"), { name: "C" });
  const { c, stop } = await liveList([a, b, d]);
  try {
    await chatB.deleteUser(b.id);
    const list = await c.waitMatch((l) => l.length === 2, undefined, "a 2-entry list");
    assert.deepEqual(ids(list), [a.id, d.id]);
    // later changes keep the deleted user out
    const n = c.calls.length;
    await chatB.updateUser(d.id, { name: "C1" });
    const list2 = await c.waitCalls(n + 1);
    assert.deepEqual(ids(list2), [a.id, d.id]);
    assert.equal(list2[1].name, "C1");
  } finally {
    stop();
  }
});

test("streamUpdatesOn: no call for a no-op update; none after unsubscribe; unsubscribe twice harmless", async () => {
  const a = await chatA.createUser(uid("lq-a"), { name: "A" });
  const b = await chatA.createUser(uid("lq-b"), { name: "B" });
  const { c, stop } = await liveList([a, b]);
  const n = c.calls.length;
  await chatB.updateUser(b.id, { name: "B" });
  await sleep(QUIET_MS);
  assert.equal(c.calls.length, n, "no-op update: no call");
  stop();
  assert.doesNotThrow(() => stop());
  await chatB.updateUser(b.id, { name: "B2" });
  await sleep(QUIET_MS);
  assert.equal(c.calls.length, n, "no call after unsubscribe");
});

test("streamUpdatesOn with the same user twice keeps both positions", async () => {
  const a = await chatA.createUser(uid("twice"), { name: "A" });
  const b = await chatA.createUser(uid("twice-b"), { name: "B" });
  const c = collector();
  const stop = User.streamUpdatesOn([a, b, a], c.cb);
  try {
    const list = await deliver(
      (i) => chatB.updateUser(a.id, { name: `A2-${i}` }),
      () => c.calls.find((l) => l.some((x) => x.name.startsWith("A2"))),
    );
    assert.deepEqual(ids(list), [a.id, b.id, a.id]);
    assert.match(list[0].name, /^A2/);
    assert.equal(list[2].name, list[0].name);
  } finally {
    stop();
  }
});

test("streamUpdatesOn delivers changes made by the same Chat too", async () => {
  const a = await chatA.createUser(uid("same-l"), { name: "A" });
  const c = collector();
  const stop = User.streamUpdatesOn([a], c.cb);
  try {
    const list = await deliver(
      (i) => chatA.updateUser(a.id, { name: `A-same-${i}` }),
      () => c.calls.find((l) => l[0].name.startsWith("A-same")),
    );
    assert.equal(list.length, 1);
  } finally {
    stop();
  }
});

test("streamUpdatesOn with a throwing callback: console.error and the stream continues", async () => {
  const a = await chatA.createUser(uid("lthrow"), { name: "A" });
  const errors = captureConsole("error");
  let count = 0;
  const stop = User.streamUpdatesOn([a], () => {
    count += 1;
    throw new Error("list callback failure on purpose");
  });
  try {
    await deliver((i) => chatB.updateUser(a.id, { name: `A1-${i}` }), () => count >= 1);
    await waitFor(() => errors.calls.length >= 1, undefined, "console.error");
    await chatB.updateUser(a.id, { name: "A2" });
    await waitFor(() => count >= 2, undefined, "a second call after the throw");
  } finally {
    errors.restore();
    stop();
  }
});

test("streamUpdatesOn refuses non-arrays and non-User entries without breaking the module", async () => {
  const a = await chatA.createUser(uid("lbad"), { name: "A" });
  for (const [label, args] of [
    ["undefined list", [undefined, () => {}]],
    ["string list", ["abc", () => {}]],
    ["list of plain objects", [[{ id: a.id }], () => {}]],
    ["list with null", [[a, null], () => {}]],
    ["no callback", [[a], undefined]],
  ]) {
    let stop;
    try {
      stop = User.streamUpdatesOn(...args);
    } catch (err) {
      assertCodedError(err, { label });
      continue;
    }
    assert.equal(typeof stop, "function", `${label}: returned value must be an unsubscribe function`);
    stop();
  }
  assert.ok(await chatA.getUser(a.id));
});

// ---- stale snapshots and unsubscribe during dispatch -------------------------------------

test("a real change is delivered even when the subscribed User snapshot is stale", async () => {
  const u = await chatA.createUser(uid("s-stale"), { name: "A" });
  await chatB.updateUser(u.id, { name: "B" }); // u (name A) is now stale
  const c = collector("stale stream");
  const stop = u.streamUpdates(c.cb);
  try {
    // keep a fresh stream on the same user so a network backend's channel is warm
    const fresh = await chatA.getUser(u.id);
    const warm = await liveStream(fresh);
    const n = c.calls.length;
    // a real change of the stored record: B -> A
    await chatB.updateUser(u.id, { name: "A" });
    await warm.c.waitMatch((x) => x.name === "A", undefined, "the fresh stream to see B -> A");
    await waitFor(() => c.calls.length > n, undefined, "the stale stream to be called for the real change B -> A");
    assert.equal(c.last.name, "A");
    warm.stop();
  } finally {
    stop();
  }
});

test("the callback's User is the latest state even when the subscribed snapshot is stale", async () => {
  const u = await chatA.createUser(uid("s-stale2"), { name: "Old", email: "old@example.com" });
  await chatB.updateUser(u.id, { name: "New", email: "new@example.com" }); // u is now stale
  const c = collector("stale stream");
  const stop = u.streamUpdates(c.cb);
  try {
    await deliver(
      (i) => chatB.updateUser(u.id, { status: `s${i}` }),
      () => c.calls.some((x) => x.status?.startsWith("s")),
    );
    // Over the network, the change made just before subscribing may be delivered too
    // (it is newer than the stale snapshot); no call may ever carry the stale fields.
    for (const got of c.calls) {
      assert.equal(got.name, "New", "the delivered User must carry the latest name, not the stale snapshot's");
      assert.equal(got.email, "new@example.com");
    }
    const last = c.calls.at(-1);
    assert.equal(last.status, (await chatA.getUser(u.id)).status);
  } finally {
    stop();
  }
});

test("unsubscribing another stream from inside a callback stops its delivery of the same event", async () => {
  const u = await chatA.createUser(uid("s-unsub-other"), { name: "U" });
  const { c: warm, stop: stopWarm } = await liveStream(u);
  const calls = [];
  const stops = [];
  const cb = (x) => {
    calls.push(x);
    for (const s of stops) s(); // stops both streams
  };
  stops.push(u.streamUpdates(cb), u.streamUpdates((x) => cb(x)));
  try {
    const n = warm.calls.length;
    await chatB.updateUser(u.id, { name: "U2" });
    await warm.waitCalls(n + 1);
    await sleep(QUIET_MS);
    assert.equal(calls.length, 1, "the second stream was unsubscribed before its turn: it must not be called");
  } finally {
    for (const s of stops) s();
    stopWarm();
  }
});

test("many concurrent updates: one call per change, in order, ending in the final state", async () => {
  const u = await chatA.createUser(uid("s-burst"), { name: "b0" });
  const { c, stop } = await liveStream(u);
  try {
    const n = c.calls.length;
    const writes = [];
    for (let i = 1; i <= 20; i++) writes.push((i % 2 ? chatA : chatB).updateUser(u.id, { name: `b${i}` }));
    await Promise.all(writes);
    await c.waitCalls(n + 20);
    await sleep(QUIET_MS);
    const names = c.calls.slice(n).map((x) => x.name);
    const issued = Array.from({ length: 20 }, (_, i) => `b${i + 1}`);
    const final = (await chatA.getUser(u.id)).name;
    if (NETWORK) {
      // Concurrent HTTP requests reach the server in any order: one call per change, in
      // the server's order, ending in the server's final state.
      assert.deepEqual([...names].sort(), [...issued].sort());
      assert.equal(names.at(-1), final);
    } else {
      assert.deepEqual(names, issued);
      assert.equal(final, "b20");
    }
  } finally {
    stop();
  }
});

test("a callback that throws a non-Error value is reported and the stream goes on", async () => {
  const u = await chatA.createUser(uid("s-throw-str"), { name: "S" });
  const { c, stop: stopWarm } = await liveStream(u);
  const errors = captureConsole("error");
  let count = 0;
  const stop = u.streamUpdates(() => {
    count += 1;
    throw "a plain string"; // eslint-disable-line no-throw-literal
  });
  try {
    await chatB.updateUser(u.id, { name: "S1" });
    await waitFor(() => count >= 1 && errors.calls.length >= 1, undefined, "the throw to be reported");
    await chatB.updateUser(u.id, { name: "S2" });
    await waitFor(() => count >= 2, undefined, "a second call");
    await c.waitMatch((x) => x.name === "S2");
  } finally {
    errors.restore();
    stop();
    stopWarm();
  }
});

test("streamUpdatesOn over Users obtained from two different Chats delivers changes to both", async () => {
  const a = await chatA.createUser(uid("mix-a"), { name: "A" });
  const b0 = await chatA.createUser(uid("mix-b"), { name: "B" });
  const b = await chatB.getUser(b0.id); // the same user, as a User of the other Chat
  const { c, stop } = await liveList([a, b]);
  try {
    await chatA.updateUser(b.id, { name: "B1" });
    await c.waitMatch((l) => l[1].name === "B1", undefined, "the change to the second Chat's user");
    await chatB.updateUser(a.id, { name: "A1" });
    const list = await c.waitMatch((l) => l[0].name === "A1", undefined, "the change to the first Chat's user");
    assert.deepEqual(list.map((u) => u.name), ["A1", "B1"]);
  } finally {
    stop();
  }
});
