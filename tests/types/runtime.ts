// Types = runtime, proven: this file is compiled by tsc --strict (NodeNext and bundler
// resolution, tsconfig.runtime*.json) and the output is then RUN against pkg/ on the
// embedded store. Every check below holds at compile time (the declared types) and at run
// time (what the package does); a failed check throws, which fails the run.

import * as ferrochat from "ferrochat";
import { Chat, ChatError, User } from "ferrochat";
import type { BulkDeleteResult, ErrorCode, GetUsersResult, Logger, SortField } from "ferrochat";

/** Fails the run with `what` unless `ok`. */
function check(ok: boolean, what: string): asserts ok {
  if (!ok) throw new Error(`runtime.ts: ${what}`);
}

/** The ChatError a promise rejects with (fails the run if it resolves or rejects otherwise). */
async function rejection(p: Promise<unknown>, code: ErrorCode): Promise<ChatError> {
  try {
    await p;
  } catch (e) {
    check(e instanceof ChatError, `expected a ChatError, got ${String(e)}`);
    check(e.code === code, `expected ${code}, got ${e.code}: ${e.message}`);
    return e;
  }
  throw new Error(`runtime.ts: expected a rejection with ${code}`);
}

const run = `runtime-${Date.now().toString(36)}`;

// ---- every declared export exists at run time, and nothing undeclared is exported ------------
// (The object's type is the declared value exports: a missing or extra key fails tsc.)
const declared: { [K in keyof typeof ferrochat]: true } = { Chat: true, ChatError: true, User: true };
check(
  JSON.stringify(Object.keys(ferrochat).sort()) === JSON.stringify(Object.keys(declared).sort()),
  `runtime exports ${Object.keys(ferrochat).join(", ")} differ from the declared ones`,
);
for (const [name, value] of Object.entries(ferrochat)) {
  check(typeof value === "function", `${name} is not a class`);
  check(value.name === name, `${name}.name is ${value.name}`);
}

// ---- Chat's constructor is not public; neither is User's -------------------------------------
try {
  // @ts-expect-error Chat's constructor is private: use Chat.init
  new Chat();
  check(false, "new Chat() did not throw");
} catch (e) {
  check(e instanceof ChatError && e.code === "INVALID_ARGUMENT", `new Chat() threw ${String(e)}`);
}
try {
  // @ts-expect-error User's constructor is private: users come from Chat methods
  new User();
  check(false, "new User() did not throw");
} catch (e) {
  check(e instanceof ChatError && e.code === "INVALID_ARGUMENT", `new User() threw ${String(e)}`);
}

// ---- `using` ends the Chat at the end of its scope --------------------------------------------
let kept: Chat | undefined;
{
  using scoped = await Chat.init({ userId: `${run}-using` });
  kept = scoped;
  check((await scoped.getUser(`${run}-using`))?.id === `${run}-using`, "the signed-in user exists");
}
await rejection(kept.getUser(`${run}-using`), "DESTROYED");

// ---- a config written for @pubnub/chat and pubnub compiles and runs --------------------------
const lines: string[] = [];
const logger: Logger = { debug: (m) => lines.push(m), info: (m) => lines.push(m) };
using chat = await Chat.init({
  userId: `${run}-me`,
  logVerbosity: true,
  logger,
  heartbeatInterval: 0,
  restore: true,
  keepAlive: true,
  typingTimeout: 5000,
  storeUserActivityTimestamps: false,
  storeUserActivityInterval: 600000,
  rateLimitFactor: 2,
  errorLogger: { setItem: () => undefined },
});
check(
  lines.some((l) => l.includes("heartbeatInterval") && l.includes("ignored")),
  `an ignored option is logged at debug level: ${JSON.stringify(lines)}`,
);
// `uuid` is the PubNub SDKs' older name of userId.
using old = await Chat.init({ uuid: `${run}-uuid` });
check(old.currentUser.id === `${run}-uuid`, "uuid is the user id");

// ---- typed errors: ChatError, ErrorCode, the caller's call site, cause ------------------------
const required = await rejection(chat.getUser(""), "ID_REQUIRED");
check(required.name === "ChatError" && required.message === "ID is required", "the documented message");
check(required instanceof Error, "a ChatError is an Error");
// Its first frame is the caller that awaited it (`rejection` above), not wasm or glue.
const frame = (required.stack ?? "").split("\n")[1] ?? "";
check(/at async rejection .*runtime\.js:\d+/.test(frame), `the stack shows the caller:\n${required.stack}`);
const thrown = new Error("boom");
const hostile = { get name(): string { throw thrown; } };
const withCause = await rejection(chat.createUser(`${run}-cause`, hostile), "INVALID_ARGUMENT");
check(withCause.cause === thrown, "cause is what the caller's getter threw");
const code: ErrorCode = required.code;
check(code === "ID_REQUIRED", "ErrorCode");

// ---- getUsers: typed sort keys, both page cursors real --------------------------------------
const ids = ["a", "b", "c", "d", "e"].map((x) => `${run}-page-${x}`);
for (const id of ids) await chat.createUser(id, { name: id });
const filter = `id LIKE '${run}-page-*'`;
const sort: { [K in SortField]?: "asc" | "desc" | null } = { id: "asc" };
const first: GetUsersResult = await chat.getUsers({ filter, sort, limit: 2 });
check(first.total === 5, `total ${first.total}`);
check(first.page.next !== undefined && "prev" in first.page, "page has next and prev");
const second = await chat.getUsers({ filter, sort, limit: 2, page: { next: first.page.next } });
check(second.users.map((u) => u.id).join() === ids.slice(2, 4).join(), "next pages forward");
check(second.page.prev !== undefined, "a second page has a prev cursor");
const back = await chat.getUsers({ filter, sort, limit: 2, page: { prev: second.page.prev } });
check(back.users.map((u) => u.id).join() === ids.slice(0, 2).join(), `prev pages backward: ${back.users.map((u) => u.id)}`);
const bare = await chat.getUsers({ filter, sort: "name", limit: 1 });
check(bare.users[0]?.id === ids[0], "a bare sort key sorts ascending");
// @ts-expect-error sort keys are the user fields
await rejection(chat.getUsers({ sort: { nonsense: "asc" } }), "INVALID_ARGUMENT");

// ---- camelCase parameters, User fields as declared -------------------------------------------
const ext = await chat.createUser(`${run}-ext`, { externalId: `${run}-x`, email: `${run}@example.com`, custom: { n: 1 } });
check((await chat.getUserByExternalId(`${run}-x`))?.id === ext.id, "getUserByExternalId(externalId)");
check((await chat.getUserByEmail(`${run}@example.com`))?.id === ext.id, "getUserByEmail(email)");
const updated: User = await ext.update({ name: "Ext", email: null });
check(updated.name === "Ext" && updated.email === undefined && updated.custom?.n === 1, "update: null clears, absent keeps");
const soft = await updated.delete({ soft: true });
check(soft !== true && soft.status === "deleted", "soft delete resolves the User");
check((await soft.restore()).status === undefined, "restore clears the status");
check((await chat.deleteUser(ext.id)) === true, "hard delete resolves true");

// ---- bulk delete you can steer: AbortSignal and progress per user ----------------------------
const many = Array.from({ length: 500 }, (_, i) => `${run}-bulk-${i}`);
for (const id of many) await chat.createUser(id, {});
const controller = new AbortController();
const seen: number[] = [];
const result: BulkDeleteResult = await chat.deleteUsers(many, {
  rate: 1000,
  signal: controller.signal,
  onProgress: ({ done }) => {
    seen.push(done);
    if (done === 50) controller.abort();
  },
});
check(result.aborted, "aborted: true");
check(result.deleted.length >= 50 && result.deleted.length < 500, `deleted ${result.deleted.length} of 500`);
check(seen[0] === 1 && seen.every((d, i) => i === 0 || d === (seen[i - 1] ?? 0) + 1), "progress after every user");
const left = await chat.getUsers({ filter: `id LIKE '${run}-bulk-*'`, limit: 1 });
check(left.total === 500 - result.deleted.length, `what was not reported deleted is still there (${left.total})`);

console.log("runtime.ts: every check passed");
