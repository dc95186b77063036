// ferrochat-server alone: updates per second with `clients` subscribers, each a raw HTTP
// subscribe long-poll loop (its own keep-alive socket) on the same `users` channels.
// A writer keeps `inFlight` PATCHes going for `seconds`; every update fans out to every
// client. Measures: acknowledged updates/s (per 1 s window), PATCH latency, events
// delivered/s (all clients), and fan-out latency (PATCH sent → event at a client).
//
// `client`: "raw" (default) speaks HTTP/1.1 over plain sockets (lib/raw-http.mjs), so the
// load generator, which shares the 2 cores with the server, costs little per request;
// "node-http" is the node:http client the figure was first measured with (kept to compare).
import http from "node:http";
import { readFileSync } from "node:fs";
import { summary, sleep } from "./stats.mjs";
import { seedUsers } from "./seed.mjs";
import { RawConnection, getRequest, patchRequest } from "./raw-http.mjs";

function get(agent, base, path, timeoutMs) {
  return new Promise((resolve, reject) => {
    const req = http.get(new URL(path, base), { agent }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
}

function patch(agent, base, path, body, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    const data = Buffer.from(JSON.stringify(body));
    const req = http.request(new URL(path, base), { method: "PATCH", agent, headers: { "content-type": "application/json", "content-length": data.length } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end(data);
  });
}

/** CPU seconds (user + system) a process has used, from /proc (Linux); null elsewhere. */
export function processCpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/** node:http or raw-socket GET / PATCH, one request at a time per connection. */
function transport(kind, server) {
  const { hostname, port, host } = new URL(server.url);
  if (kind === "node-http") {
    return () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      return {
        get: (path, timeoutMs) => get(agent, server.url, path, timeoutMs),
        patch: (path, body) => patch(agent, server.url, path, body).then((status) => ({ status })),
        close: () => agent.destroy(),
      };
    };
  }
  return () => {
    const conn = new RawConnection(hostname, Number(port));
    return {
      get: (path, timeoutMs) =>
        conn.request(getRequest(host, path), timeoutMs).then((r) => ({ status: r.status, body: r.body.toString("utf8") })),
      patch: (path, body) => conn.request(patchRequest(host, path, JSON.stringify(body)), 10_000),
      close: () => conn.close(),
    };
  };
}

export async function serverAlone({ server, clients = 10, users = 100, seconds = 6, warmupSeconds = 1, inFlight = 8, client = "raw" }) {
  const open = transport(client, server);
  const ids = Array.from({ length: users }, (_, i) => `srv-${String(i).padStart(4, "0")}`);
  await seedUsers(server.url, ids);
  const channels = ids.map(encodeURIComponent).join(",");
  const sent = new Map(); // seq → performance.now() at send
  const fanout = [];
  let delivered = 0;
  let measuring = false;
  let stopping = false;
  const errors = [];

  let truncated = 0;
  let polls = 0;
  const subscriber = async (c) => {
    const conn = open();
    let tt = "0";
    let tr = "";
    while (!stopping) {
      try {
        const q = `uuid=sub-${c}&tt=${tt}${tr ? `&tr=${tr}` : ""}&ee`;
        const r = await conn.get(`/v2/subscribe/demo/${channels}/0?${q}`, 15_000);
        if (r.status !== 200) {
          errors.push(`subscribe HTTP ${r.status}`);
          await sleep(100);
          continue;
        }
        const body = JSON.parse(r.body);
        if (measuring) polls++;
        if (body.truncated) truncated++;
        tt = body.t.t;
        tr = body.t.r ?? "";
        const at = performance.now();
        for (const m of body.m ?? []) {
          const seq = m.d?.data?.custom?.seq;
          if (seq === undefined) continue;
          if (measuring) delivered++;
          const t0 = sent.get(seq);
          if (t0 !== undefined && measuring) fanout.push(at - t0);
        }
      } catch (e) {
        if (!stopping) errors.push(String(e.message ?? e));
      }
    }
    conn.close();
  };
  const subs = Array.from({ length: clients }, (_, c) => subscriber(c));
  await sleep(500); // handshakes done

  const ackLatency = [];
  const windows = [];
  let seq = 0;
  let acked = 0;
  let writing = true;
  const writer = async () => {
    const conn = open();
    while (writing) {
      const s = ++seq;
      const id = ids[s % users];
      const t0 = performance.now();
      sent.set(s, t0);
      try {
        const { status } = await conn.patch(`/v2/objects/demo/uuids/${id}`, { custom: { seq: s } });
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
  const start = performance.now();
  for (let w = 0; w < seconds; w++) {
    const a0 = acked;
    const d0 = delivered;
    await sleep(1000);
    windows.push({ updatesPerSec: acked - a0, eventsPerSec: delivered - d0 });
  }
  const elapsed = (performance.now() - start) / 1000;
  measuring = false;
  const serverCpu1 = server.pid ? processCpuSeconds(server.pid) : null;
  const clientCpu = process.cpuUsage(clientCpu0);
  writing = false;
  await Promise.all(writers);
  await sleep(300);
  stopping = true;
  // Wake the long-polls: one more write answers every open poll at once.
  await patch(new http.Agent(), server.url, `/v2/objects/demo/uuids/${ids[0]}`, { custom: { wake: 1 } }).catch(() => {});
  await Promise.race([Promise.all(subs), sleep(16_000)]);
  return {
    client,
    clients,
    users,
    inFlight,
    truncatedReplies: truncated,
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
    fanoutLatencyMs: summary(fanout),
    errors: errors.slice(0, 10),
    errorCount: errors.length,
  };
}
