// Assertions over the result of fixtures/scenario.js (shared by the plain-page and Vite tests).

import assert from "node:assert/strict";

export function assertScenario(r) {
  assert.equal(r.currentUser.isUser, true, "chat.currentUser is a User");
  assert.equal(r.currentUser.name, r.currentUser.id, "Chat.init created the current user with name = userId");
  assert.equal(r.created.isUser, true);
  assert.equal(r.created.name, "Before");
  assert.equal(r.created.updatedIsString, true);
  assert.ok(r.seenByB, "the second Chat sees the user (one embedded store per page)");
  assert.equal(r.seenByB.name, "Before");
  assert.deepEqual(r.seenByB.custom, { browser: true, n: 1 });
  assert.equal(r.streamed.isUser, true, "streamUpdates delivers a User");
  assert.equal(r.streamed.id, r.created.id);
  assert.equal(r.streamed.name, "After", "the change made by the other Chat is streamed");
  assert.equal(r.streamed.email, "page@example.com", "merged state");
  assert.equal(r.streamed.json.name, "After", "JSON.stringify(user) gives the fields");
  assert.equal(r.createdStillBefore, "Before", "User snapshots are immutable");
  assert.deepEqual(r.listed.map((u) => u.id), r.expectedListIds, "streamUpdatesOn: input order");
  assert.equal(r.listed[1].status, "streamed", "streamUpdatesOn: the changed entry replaced");
  assert.equal(r.listed[1].name, "After");
  assert.ok(r.listed.every((u) => u.isUser));
  assert.deepEqual(r.errors.emptyId, { threw: true, isError: true, code: "ID_REQUIRED", message: "ID is required" });
  assert.deepEqual(r.errors.emptyList, {
    threw: true,
    isError: true,
    code: "EMPTY_USER_LIST",
    message: "Cannot stream user updates on an empty list",
  });
  assert.deepEqual(r.errors.exists, { threw: true, isError: true, code: "USER_EXISTS", message: "User with this ID already exists" });
  assert.deepEqual(r.page.ids, r.expectedPageIds, "getUsers with a LIKE filter and sort");
  assert.equal(r.page.total, 3);
  assert.equal(r.page.next, null);
  assert.deepEqual(r.soft, { status: "deleted", name: "After" });
  assert.equal(r.hard, true);
  assert.equal(r.afterDelete, null);
}
