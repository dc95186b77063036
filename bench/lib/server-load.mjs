// ferrochat-server under attack-shaped load (issue 18), each part on its own server:
//
// * /time/0 latency alone, then while 4 clients run pathological list filters in a loop
//   (300 users with 16,000-character names; 16 LIKE conditions that each scan a whole
//   name): median and p99, plus PATCH latency under the same filters.
// * writes/s (8 PATCHes in flight, raw sockets) with no long-poll open, then with 2,000
//   idle long-polls on other channels (held by a child process with a raised open-file
//   limit), then with none again: the ratio idle / none.
import { spawn } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startServer as start } from "../../tests/support/server.mjs";
import { serverBin } from "./server.mjs";
import { RawConnection, getRequest, patchRequest } from "./raw-http.mjs";
import { summary, sleep } from "./stats.mjs";

const here = dirname(fileURLToPath(import.meta.url));

/** A server for one measurement: info logging only (no per-request log line). */
export function quietServer(args = [], subscribeTimeout = 60) {
  return start({ subscribeTimeout, args, bin: serverBin(), rustLog: "info" });
}

function connection(server) {
  return new RawConnection("127.0.0.1", server.port);
}

/** Closed loop of `make()` requests for `ms`; resolves { latencies, count, errors }. */
async function loop(conn, make, ms, pauseMs = 0) {
  const until = performance.now() + ms;
  const latencies = [];
  let errors = 0;
  while (performance.now() < until) {
    const t0 = performance.now();
    try {
      const r = await conn.request(make(), 30_000);
      if (r.status !== 200) errors++;
      latencies.push(performance.now() - t0);
    } catch {
      errors++;
    }
    if (pauseMs) await sleep(pauseMs);
  }
  return { latencies, count: latencies.length, errors };
}

async function timeUnderFilters({ seconds }) {
  const server = await quietServer();
  const host = server.origin;
  try {
    const seed = connection(server);
    for (let i = 0; i < 300; i++) {
      const name = "a".repeat(16_000) + String(i).padStart(4, "0");
      const r = await seed.request(patchRequest(host, `/v2/objects/demo/uuids/big-${i}`, JSON.stringify({ name })));
      if (r.status !== 200) throw new Error(`seed: HTTP ${r.status}`);
    }
    seed.close();
    const filter = encodeURIComponent(Array(16).fill("name LIKE '*zz*'").join(" || "));
    const time = connection(server);
    const alone = await loop(time, () => getRequest(host, "/time/0"), seconds * 1000, 5);
    let stop = false;
    const filterLatencies = [];
    const filterClients = Array.from({ length: 4 }, async () => {
      const c = connection(server);
      while (!stop) {
        const t0 = performance.now();
        const r = await c.request(getRequest(host, `/v2/objects/demo/uuids?filter=${filter}&count=true`), 120_000);
        if (r.status !== 200) throw new Error(`filter: HTTP ${r.status}`);
        filterLatencies.push(performance.now() - t0);
      }
      c.close();
    });
    await sleep(300);
    const writer = connection(server);
    let n = 0;
    const [underFilters, writes] = await Promise.all([
      loop(time, () => getRequest(host, "/time/0"), seconds * 1000, 5),
      loop(writer, () => patchRequest(host, `/v2/objects/demo/uuids/w-${n++ % 10}`, JSON.stringify({ custom: { n } })), seconds * 1000, 5),
    ]);
    stop = true;
    await Promise.race([Promise.all(filterClients), sleep(130_000)]);
    time.close();
    writer.close();
    return {
      timeAloneMs: summary(alone.latencies),
      timeUnderFiltersMs: summary(underFilters.latencies),
      patchUnderFiltersMs: summary(writes.latencies),
      filterRequestMs: summary(filterLatencies),
      errors: alone.errors + underFilters.errors + writes.errors,
    };
  } finally {
    await server.stop();
  }
}

/** Opens `n` idle long-polls in a child process whose open-file limit is raised. */
function idlePolls(server, n, tt) {
  return new Promise((resolveReady, reject) => {
    const script = resolve(here, "child-idle-polls.mjs");
    const child = spawn("bash", ["-c", `ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "${process.execPath}" "${script}" ${server.port} ${n} ${tt}`], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error("idle polls: not ready in 60 s"));
    }, 60_000);
    child.stdout.on("data", (d) => {
      out += d;
      if (out.includes("ready")) {
        clearTimeout(timer);
        resolveReady({ stop: () => new Promise((r) => { child.once("exit", r); child.kill("SIGTERM"); }) });
      } else if (out.includes("error")) {
        clearTimeout(timer);
        child.kill("SIGKILL");
        reject(new Error(out.trim()));
      }
    });
  });
}

async function writesPerSecond(server, seconds) {
  const host = server.origin;
  const conns = Array.from({ length: 8 }, () => connection(server));
  let acked = 0;
  let seq = 0;
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    conns.map(async (c) => {
      while (performance.now() < until) {
        const s = ++seq;
        const r = await c.request(patchRequest(host, `/v2/objects/demo/uuids/busy-${s % 100}`, JSON.stringify({ custom: { s } })));
        if (r.status === 200) acked++;
      }
      c.close();
    }),
  );
  return acked / seconds;
}

async function writesWithIdlePolls({ seconds, idle = 2000 }) {
  const server = await quietServer([], 120);
  try {
    const time = connection(server);
    const r = await time.request(getRequest(server.origin, "/v2/subscribe/demo/x/0"));
    const tt = JSON.parse(r.body.toString()).t.t;
    time.close();
    await writesPerSecond(server, 1); // warm-up
    const none1 = await writesPerSecond(server, seconds);
    const polls = await idlePolls(server, idle, tt);
    const withIdle = await writesPerSecond(server, seconds);
    await polls.stop();
    await sleep(300);
    const none2 = await writesPerSecond(server, seconds);
    const none = (none1 + none2) / 2;
    return { idlePolls: idle, writesPerSecNone: none, writesPerSecNoneRuns: [none1, none2], writesPerSecIdle: withIdle, ratio: withIdle / none };
  } finally {
    await server.stop();
  }
}

export async function serverLoad({ seconds = 4 } = {}) {
  const filters = await timeUnderFilters({ seconds });
  const idle = await writesWithIdlePolls({ seconds });
  return { seconds, ...filters, ...idle };
}
