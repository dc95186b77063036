// ferrochat-server alone: updates per second with `clients` subscribers, each a raw HTTP
// subscribe long-poll loop (its own keep-alive socket) on the same `users` channels.
// A writer keeps `inFlight` PATCHes going for `seconds`; every update fans out to every
// client. Measures: acknowledged updates/s (per 1 s window), PATCH latency, events
// delivered/s (all clients), fan-out latency (PATCH sent → event at a client), subscribe
// replies per update, and the CPU an update costs the server and the client.
//
// The subscribers run in a worker thread (their own event loop), as independent clients
// would: on one thread, a burst of replies to parse held up the writers' answers, and the
// figure measured that queue more than the server.
//
// `client`: "raw" (default) speaks HTTP/1.1 over plain sockets (lib/raw-http.mjs), so the
// load generator, which shares the 2 cores with the server, costs little per request;
// "node-http" is the node:http client the figure was first measured with (kept to compare).
import { readFileSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { summary, sleep } from "./stats.mjs";
import { seedUsers } from "./seed.mjs";
import { transport } from "./server-alone-clients.mjs";
import { quietServer } from "./server-load.mjs";

/** CPU seconds (user + system) a process has used, from /proc (Linux); null elsewhere. */
export function processCpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/** Absolute milliseconds, comparable across threads. */
const nowMs = () => performance.timeOrigin + performance.now();

export async function serverAlone({ server, clients = 10, users = 100, seconds = 6, warmupSeconds = 1, inFlight = 8, client = "raw" }) {
  const open = transport(client, server);
  const ids = Array.from({ length: users }, (_, i) => `srv-${String(i).padStart(4, "0")}`);
  await seedUsers(server.url, ids);
  const channels = ids.map(encodeURIComponent).join(",");
  // [0] measuring, [1] stopping, [2] events delivered, [3] subscribe replies, [4] truncated
  const shared = new Int32Array(new SharedArrayBuffer(5 * 4));
  const worker = new Worker(new URL("./server-alone-subscribers.mjs", import.meta.url), {
    workerData: { url: server.url, client, clients, channels, shared },
  });
  const workerDone = new Promise((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  await sleep(500); // handshakes done

  const errors = [];
  const ackLatency = [];
  const windows = [];
  let seq = 0;
  let acked = 0;
  let writing = true;
  let measuring = false;
  const writer = async () => {
    const conn = open();
    while (writing) {
      const s = ++seq;
      const id = ids[s % users];
      const t0 = performance.now();
      try {
        const { status } = await conn.patch(`/v2/objects/demo/uuids/${id}`, { custom: { seq: s, at: nowMs() } });
        if (status !== 200) errors.push(`PATCH HTTP ${status}`);
        else if (measuring) {
          acked++;
          ackLatency.push(performance.now() - t0);
        }
      } catch (e) {
        errors.push(String(e.message ?? e));
      }
    }
    conn.close();
  };
  const writers = Array.from({ length: inFlight }, writer);
  await sleep(warmupSeconds * 1000);
  const serverCpu0 = server.pid ? processCpuSeconds(server.pid) : null;
  const clientCpu0 = process.cpuUsage();
  measuring = true;
  Atomics.store(shared, 0, 1);
  const start = performance.now();
  for (let w = 0; w < seconds; w++) {
    const a0 = acked;
    const d0 = Atomics.load(shared, 2);
    await sleep(1000);
    windows.push({ updatesPerSec: acked - a0, eventsPerSec: Atomics.load(shared, 2) - d0 });
  }
  const elapsed = (performance.now() - start) / 1000;
  measuring = false;
  Atomics.store(shared, 0, 0);
  const serverCpu1 = server.pid ? processCpuSeconds(server.pid) : null;
  const clientCpu = process.cpuUsage(clientCpu0);
  const delivered = Atomics.load(shared, 2);
  const polls = Atomics.load(shared, 3);
  writing = false;
  await Promise.all(writers);
  await sleep(300);
  Atomics.store(shared, 1, 1);
  // Wake the long-polls: one more write answers every open poll at once.
  await open().patch(`/v2/objects/demo/uuids/${ids[0]}`, { custom: { wake: 1 } }).catch(() => {});
  const sub = await Promise.race([workerDone, sleep(16_000).then(() => ({ fanout: [], errors: ["subscribers did not stop"] }))]);
  await worker.terminate();
  errors.push(...sub.errors);
  return {
    client,
    clients,
    users,
    inFlight,
    truncatedReplies: Atomics.load(shared, 4),
    // Subscribe replies per acknowledged update, all clients together (10 clients: at most
    // 10, when every reply carries one event).
    pollsPerUpdate: acked ? polls / acked : null,
    seconds: elapsed,
    updatesPerSec: acked / elapsed,
    eventsPerSec: delivered / elapsed,
    expectedEventsPerSec: (acked * clients) / elapsed,
    windows: { updatesPerSec: summary(windows.map((w) => w.updatesPerSec)), eventsPerSec: summary(windows.map((w) => w.eventsPerSec)) },
    // CPU per acknowledged update while measuring (the machine may be shared: these say
    // what an update costs, whatever else ran).
    serverCpuUsPerUpdate: serverCpu0 != null && serverCpu1 != null && acked ? ((serverCpu1 - serverCpu0) * 1e6) / acked : null,
    serverCores: serverCpu0 != null && serverCpu1 != null ? (serverCpu1 - serverCpu0) / elapsed : null,
    clientCpuUsPerUpdate: acked ? (clientCpu.user + clientCpu.system) / acked : null,
    clientCores: (clientCpu.user + clientCpu.system) / 1e6 / elapsed,
    ackLatencyMs: summary(ackLatency),
    fanoutLatencyMs: summary(sub.fanout),
    errors: errors.slice(0, 10),
    errorCount: errors.length,
  };
}

/**
 * The bench's `server` scenario: a server of its own (in-memory database, info logging: no
 * per-request log line for the clients to read), the raw-socket client, and, unless
 * `quick`, the same with node:http (the client of the earlier baselines).
 */
export async function serverScenario({ seconds, quick = false }) {
  const run = async (client) => {
    const s = await quietServer([], 10);
    try {
      return await serverAlone({ server: { url: `http://${s.origin}`, origin: s.origin, pid: s.pid }, seconds, client });
    } finally {
      await s.stop();
    }
  };
  const result = await run("raw");
  if (!quick) result.nodeHttp = await run("node-http");
  return result;
}
