// One User.streamUpdatesOn measurement in a fresh process (run with --expose-gc and an
// IPC channel). argv: sdk origin n idPrefix userId liveTimeoutMs burst
// Talks to the parent (which does all the writing over raw HTTP) with IPC messages:
//   child → {type:"subscribed"}   parent starts probe writes to the last user
//   child → {type:"live"}         parent stops probing
//   child → {type:"ready"}        parent writes `burst` updates to distinct users
//   parent → {type:"burst-start"} / {type:"burst-sent", ms}
//   child → {type:"recover-start"} / {type:"recover-end"}  (never live: parent probes again
//                                 while the child checks a fresh one-user stream)
//   child → {type:"result", …}    then exits
import { instrumentHttp, captureWasmMemory, load, netConfig, destroyChat, httpShape } from "./sdk.mjs";

const [sdk, origin, nStr, idPrefix, userId, liveTimeoutStr, burstStr] = process.argv.slice(2);
const n = Number(nStr);
const liveTimeoutMs = Number(liveTimeoutStr);
const burst = Number(burstStr);
const recoverTimeoutMs = 12_000;
const send = (m) => process.send(m);
const now = () => performance.now();
const gc = () => {
  globalThis.gc?.();
  globalThis.gc?.();
};
const mem = (wasmBytes) => {
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, wasm: wasmBytes() };
};
const result = { sdk, n, phase: "start", notes: [] };
const finish = (extra = {}) => {
  Object.assign(result, extra);
  result.http = httpShape(httpLog);
  result.subscribeUrlLengths = [...new Set(httpLog.filter((r) => r.path.startsWith("/v2/subscribe")).map((r) => r.urlLength))];
  result.subscribeStatuses = httpLog.filter((r) => r.path.startsWith("/v2/subscribe")).map((r) => r.status ?? r.error ?? "pending");
  // Exit only once the message is flushed (process.exit can drop a pending IPC message).
  process.send({ type: "result", result }, () => process.exit(0));
};
process.on("uncaughtException", (e) => {
  result.notes.push(`uncaughtException: ${e?.message ?? e}`);
});
process.on("unhandledRejection", (e) => {
  result.notes.push(`unhandledRejection: ${e?.message ?? e}`);
});
const origError = console.error;
console.error = (...args) => {
  if (result.notes.length < 20) result.notes.push(`console.error: ${args.map(String).join(" ").slice(0, 300)}`);
};

const wasmBytes = sdk === "ferrochat" ? captureWasmMemory() : () => null;
const httpLog = await instrumentHttp();
const { Chat, User } = await load(sdk);
const chat = await Chat.init(netConfig(origin, userId));
const statusEvents = [];
if (sdk === "anchor") {
  chat.sdk.addListener({ status: (s) => statusEvents.length < 50 && statusEvents.push({ at: now(), category: s.category, statusCode: s.statusCode ?? s.errorData?.status }) });
} else {
  chat.addConnectionStatusListener?.((s) => statusEvents.length < 50 && statusEvents.push({ at: now(), ...s }));
}

// The users, by pages of 100 (not measured as part of the set-up).
let t = now();
const users = [];
let page;
for (let guard = 0; guard < n / 100 + 5 && users.length < n; guard++) {
  const r = await chat.getUsers({ filter: `id LIKE '${idPrefix}*'`, limit: 100, page });
  users.push(...r.users);
  page = r.page;
  if (!r.users.length || !page?.next) break;
}
result.fetchMs = now() - t;
result.fetched = users.length;
if (users.length !== n) result.notes.push(`fetched ${users.length} of ${n} users`);

gc();
const before = mem(wasmBytes);
let callbacks = 0;
let lastCallbackAt = 0;
let firstCallbackAt = 0;
let counting = false;
let counted = 0;
let lastListLength = null;
const t0 = now();
const httpBefore = httpLog.length;
let stop;
try {
  stop = User.streamUpdatesOn(users, (list) => {
    callbacks++;
    const at = now();
    if (!firstCallbackAt) firstCallbackAt = at;
    lastCallbackAt = at;
    lastListLength = list?.length;
    if (counting) counted++;
  });
} catch (e) {
  finish({ phase: "streamUpdatesOn threw", error: String(e?.message ?? e) });
}
result.syncSetupMs = now() - t0;
send({ type: "subscribed" });

// Live = the first callback for a probe write (the parent writes one every 50 ms).
// The wait starts when the call returns (the anchor's call itself can take many seconds).
const liveBy = now() + liveTimeoutMs;
while (!firstCallbackAt && now() < liveBy) await new Promise((r) => setTimeout(r, 10));
send({ type: "live-or-timeout" });
result.statusEvents = statusEvents;
if (!firstCallbackAt) {
  const subs = httpLog.slice(httpBefore).filter((r) => r.path.startsWith("/v2/subscribe"));
  result.subscribeAttempts = subs.length;
  result.notes.push(`no callback within ${liveTimeoutMs} ms after streamUpdatesOn returned`);
  gc();
  result.memory = { before, after: mem(wasmBytes) };
  t = now();
  stop?.();
  result.stopMs = now() - t;
  // Does this Chat recover once the big list is unsubscribed? A stream on one user, with
  // the parent probing that user again.
  const one = users[n - 1];
  let recoveredAt = 0;
  const t1 = now();
  const stopOne = one.streamUpdates(() => {
    if (!recoveredAt) recoveredAt = now();
  });
  send({ type: "recover-start" });
  const recoverBy = now() + recoverTimeoutMs;
  while (!recoveredAt && now() < recoverBy) await new Promise((r) => setTimeout(r, 10));
  send({ type: "recover-end" });
  result.recoveredMs = recoveredAt ? recoveredAt - t1 : null;
  if (!recoveredAt) result.notes.push(`a new streamUpdates on the same Chat got nothing in ${recoverTimeoutMs} ms after the unsubscribe`);
  stopOne();
  destroyChat(sdk, chat);
  finish({ phase: "never live", liveMs: null });
} else {
  result.liveMs = firstCallbackAt - t0;
  result.listLength = lastListLength;
  await new Promise((r) => setTimeout(r, 400)); // stragglers of the probes
  gc();
  result.memory = { before, after: mem(wasmBytes) };
  // Burst: the parent writes `burst` updates to distinct users as fast as it can.
  const burstDone = new Promise((resolve) => {
    process.on("message", (m) => {
      if (m.type === "burst-start") {
        counting = true;
        counted = 0;
        result.burstStartAt = now();
      }
      if (m.type === "burst-sent") result.burstWriteMs = m.ms;
      if (m.type === "burst-sent" || m.type === "burst-start") resolve();
    });
  });
  send({ type: "ready" });
  await burstDone;
  const until = now() + 30_000;
  while (counted < burst && now() < until) await new Promise((r) => setTimeout(r, 5));
  result.burst = burst;
  result.delivered = counted;
  result.deliverMs = lastCallbackAt - result.burstStartAt;
  result.eventsPerSec = counted / (result.deliverMs / 1000);
  if (counted < burst) result.notes.push(`only ${counted} of ${burst} burst events delivered in 30 s`);
  await new Promise((r) => setTimeout(r, 100));
  result.burstWriteMs ??= null;
  t = now();
  stop();
  result.stopMs = now() - t;
  destroyChat(sdk, chat);
  finish({ phase: "done" });
}
