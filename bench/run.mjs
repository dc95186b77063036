// ferrochat vs @pubnub/chat 0.14.2 against one ferrochat-server, interleaved; every figure
// as median and p99 for both SDKs and the ratio ferrochat / anchor.
//
//   node bench/run.mjs                 full run (~5 min on 2 cores)
//   node bench/run.mjs --quick         fewer iterations (a smoke test, ~2 min)
//   node bench/run.mjs --only cold,rt  some scenarios: sizes cold rt latency streamOn embedded server serverLoad
//   node bench/run.mjs --baseline      also write results/baseline.{md,json}
//
// Writes bench/results/latest.md and latest.json. See bench/README.md.
import { writeFileSync, mkdirSync } from "node:fs";
import { execSync } from "node:child_process";
import os from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startServer, requestShape, serverBin } from "./lib/server.mjs";
import { seedUsers, closeAgent } from "./lib/seed.mjs";
import { summary, sleep, withTimeout } from "./lib/stats.mjs";
import { SDKS, load, netConfig, destroyChat } from "./lib/sdk.mjs";
import { runChild, streamOnRun } from "./lib/children.mjs";
import { packageSizes } from "./lib/sizes.mjs";
import { serverScenario } from "./lib/server-alone.mjs";
import { serverLoad } from "./lib/server-load.mjs";
import { renderMarkdown } from "./lib/report.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes("--quick");
const baseline = args.includes("--baseline");
const onlyArg = args.find((a) => a.startsWith("--only"));
const only = onlyArg ? (onlyArg.includes("=") ? onlyArg.split("=")[1] : args[args.indexOf(onlyArg) + 1]).split(",") : null;
const want = (name) => !only || only.includes(name);

// Iteration counts (per SDK). The full run stays around 5 minutes on 2 shared cores.
const N = quick
  ? { cold: 6, coldWarm: 1, rtBlocks: 6, rtBlock: 10, rtWarm: 10, lat: 30, latWarm: 5, so1k: 1, so10k: 1, burst: 300, emb: 100_000, embIter: 10, srvSec: 3 }
  : { cold: 24, coldWarm: 2, rtBlocks: 150, rtBlock: 10, rtWarm: 30, lat: 600, latWarm: 10, so1k: 4, so10k: 2, burst: 500, emb: 100_000, embIter: 40, srvSec: 8 };

const log = (...a) => console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...a);
const results = { meta: {}, scenarios: {} };
const started = Date.now();

function meta() {
  let commit = null;
  let dirty = null;
  try {
    commit = execSync("git rev-parse --short HEAD", { cwd: here, stdio: ["ignore", "pipe", "ignore"] }).toString().trim();
    dirty = execSync("git status --porcelain -- ../src ../crates ../js", { cwd: here, stdio: ["ignore", "pipe", "ignore"] }).toString().trim() !== "";
  } catch {}
  return {
    date: new Date().toISOString(),
    cores: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? null,
    memGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    loadavg: os.loadavg().map((x) => +x.toFixed(2)),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    commit,
    srcDirty: dirty,
    server: serverBin(),
    quick,
    iterations: N,
  };
}

/** Runs `fn` for both SDKs in ABAB order, `rounds` times, swapping who goes first each round. */
async function interleave(rounds, fn) {
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? SDKS : [...SDKS].reverse();
    for (const sdk of order) await fn(sdk, r);
  }
}

// ---------------------------------------------------------------------------------------
async function scenarioCold(server) {
  // One existing user, so every init is the same "sign in" for both SDKs.
  await seedUsers(server.url, ["cold-user"]);
  const starts = ["ferrochat", "anchor", "ferrochat-embedded"]; // children that start an SDK
  const kinds = [...starts, "node-fetch"]; // node-fetch: no SDK, Node's own first fetch()
  const samples = Object.fromEntries(kinds.map((k) => [k, []]));
  const failures = [];
  const total = N.coldWarm + N.cold;
  for (let r = 0; r < total; r++) {
    const order = r % 2 === 0 ? kinds : [...kinds].reverse();
    for (const k of order) {
      const res = await runChild("child-cold.mjs", [k, server.origin, "cold-user"], { timeoutMs: 30_000 });
      if (res.error) failures.push(`${k}: ${res.error} ${res.output ?? ""}`.slice(0, 300));
      else if (r >= N.coldWarm) samples[k].push(res);
    }
  }
  const pick = (k, f) => summary(samples[k].map((s) => s[f]));
  const out = { failures };
  out["node-fetch"] = { firstFetchMs: pick("node-fetch", "firstFetchMs"), secondFetchMs: pick("node-fetch", "secondFetchMs") };
  for (const k of starts) out[k] = { importInitMs: pick(k, "importInitMs"), importMs: pick(k, "importMs"), initMs: pick(k, "initMs"), init2Ms: pick(k, "init2Ms"), processMs: pick(k, "processMs"), rssBytes: pick(k, "rss") };
  // Requests one init makes (from the server log).
  for (const sdk of SDKS) {
    const m = await server.mark();
    await runChild("child-cold.mjs", [sdk, server.origin, "cold-user"], { timeoutMs: 30_000 });
    out[sdk].requestsPerInit = requestShape(await server.since(m, 300));
  }
  return out;
}

// ---------------------------------------------------------------------------------------
async function scenarioRoundTrips(server) {
  const ids = Array.from({ length: 100 }, (_, i) => `rt-${String(i).padStart(5, "0")}`);
  await seedUsers(server.url, ids);
  const chats = {};
  for (const sdk of SDKS) {
    const { Chat } = await load(sdk);
    chats[sdk] = await Chat.init(netConfig(server.origin, `rt-me-${sdk}`));
  }
  let k = 0;
  const ops = {
    getUser: (chat) => chat.getUser(ids[k++ % ids.length]),
    updateUser: (chat) => chat.updateUser(ids[k % ids.length], { name: `User ${k++} ${Math.random().toString(36).slice(2, 6)}` }),
    "getUsers({ limit: 100 })": (chat) => chat.getUsers({ limit: 100 }),
  };
  const out = {};
  for (const [name, op] of Object.entries(ops)) {
    const lat = { ferrochat: [], anchor: [] };
    // Warm-up, then blocks of rtBlock calls, ABAB.
    for (const sdk of SDKS) for (let i = 0; i < N.rtWarm; i++) await withTimeout(op(chats[sdk]), 10_000, `${sdk} ${name}`);
    await interleave(N.rtBlocks, async (sdk) => {
      for (let i = 0; i < N.rtBlock; i++) {
        const t = performance.now();
        await withTimeout(op(chats[sdk]), 10_000, `${sdk} ${name}`);
        lat[sdk].push(performance.now() - t);
      }
    });
    out[name] = { ferrochat: summary(lat.ferrochat), anchor: summary(lat.anchor) };
    for (const sdk of SDKS) {
      const m = await server.mark();
      await op(chats[sdk]);
      out[name][sdk].requestsPerCall = requestShape(await server.since(m, 200));
    }
  }
  for (const sdk of SDKS) destroyChat(sdk, chats[sdk]);
  return out;
}

// ---------------------------------------------------------------------------------------
async function scenarioLatency(server) {
  const out = {};
  const pairs = {};
  for (const sdk of SDKS) {
    const id = `lat-${sdk}`;
    await seedUsers(server.url, [id]);
    const { Chat } = await load(sdk);
    const watcher = await Chat.init(netConfig(server.origin, `lat-watcher-${sdk}`));
    const editor = await Chat.init(netConfig(server.origin, `lat-editor-${sdk}`));
    const user = await watcher.getUser(id);
    let waiting = null;
    const stop = user.streamUpdates((u) => {
      if (waiting && u?.custom?.seq === waiting.seq) waiting.resolve(performance.now());
    });
    pairs[sdk] = { id, watcher, editor, stop, wait: (seq) => new Promise((resolve) => (waiting = { seq, resolve })) };
  }
  let seq = 0;
  const once = async (sdk) => {
    const p = pairs[sdk];
    const s = ++seq;
    const arrived = p.wait(s);
    const t0 = performance.now();
    await withTimeout(p.editor.updateUser(p.id, { custom: { seq: s } }), 10_000, "update");
    const acked = performance.now();
    const t1 = await withTimeout(arrived, 5_000, `${sdk} streamUpdates callback`);
    return { total: t1 - t0, afterAck: t1 - acked };
  };
  // Live: retry until a callback arrives (the subscription connects asynchronously).
  for (const sdk of SDKS) {
    const until = Date.now() + 15_000;
    for (;;) {
      try {
        await once(sdk);
        break;
      } catch (e) {
        if (Date.now() > until) throw new Error(`${sdk}: streamUpdates never delivered: ${e.message}`);
      }
    }
    for (let i = 0; i < N.latWarm; i++) await once(sdk).catch(() => {});
  }
  const lat = { ferrochat: [], anchor: [] };
  const after = { ferrochat: [], anchor: [] };
  const timeouts = { ferrochat: 0, anchor: 0 };
  await interleave(N.lat, async (sdk) => {
    try {
      const r = await once(sdk);
      lat[sdk].push(r.total);
      after[sdk].push(r.afterAck);
    } catch {
      timeouts[sdk]++;
    }
  });
  for (const sdk of SDKS) {
    out[sdk] = { updateToCallbackMs: summary(lat[sdk]), ackToCallbackMs: summary(after[sdk]), timeouts: timeouts[sdk] };
    pairs[sdk].stop();
    destroyChat(sdk, pairs[sdk].watcher);
    destroyChat(sdk, pairs[sdk].editor);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
async function scenarioStreamOn(server) {
  const out = {};
  for (const [n, reps] of [
    [1000, N.so1k],
    [10000, N.so10k],
  ]) {
    const prefix = `so${n}-`;
    const ids = Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(5, "0")}`);
    const t = performance.now();
    await seedUsers(server.url, ids);
    log(`  seeded ${n} users in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const runs = { ferrochat: [], anchor: [] };
    await interleave(reps, async (sdk, r) => {
      const res = await streamOnRun({
        server,
        sdk,
        n,
        ids,
        prefix,
        userId: `so-watcher-${sdk}-${n}-${r}`,
        liveTimeoutMs: n >= 10000 ? 10_000 : 20_000,
        burst: Math.min(N.burst, n - 1),
        timeoutMs: 120_000,
      });
      log(`  streamUpdatesOn ${n} ${sdk} #${r}: ${res.phase ?? res.error} sync ${res.syncSetupMs?.toFixed(0)} ms, live ${res.liveMs?.toFixed(0) ?? "-"} ms, ${res.eventsPerSec?.toFixed(0) ?? "-"} events/s`);
      runs[sdk].push(res);
    });
    const agg = (sdk, f) => summary(runs[sdk].map(f).filter((x) => x != null));
    out[n] = {};
    for (const sdk of SDKS) {
      const rs = runs[sdk];
      out[n][sdk] = {
        runs: rs.length,
        live: rs.filter((r) => r.liveMs != null).length,
        syncSetupMs: agg(sdk, (r) => r.syncSetupMs),
        liveMs: agg(sdk, (r) => r.liveMs),
        rssDelta: agg(sdk, (r) => (r.memory ? r.memory.after.rss - r.memory.before.rss : null)),
        heapUsedDelta: agg(sdk, (r) => (r.memory ? r.memory.after.heapUsed - r.memory.before.heapUsed : null)),
        wasmDelta: agg(sdk, (r) => (r.memory?.after.wasm != null ? r.memory.after.wasm - r.memory.before.wasm : null)),
        retainedDelta: agg(sdk, (r) => (r.memory ? r.memory.after.heapUsed - r.memory.before.heapUsed + ((r.memory.after.wasm ?? 0) - (r.memory.before.wasm ?? 0)) : null)),
        eventsPerSec: agg(sdk, (r) => r.eventsPerSec),
        stopMs: agg(sdk, (r) => r.stopMs),
        fetchMs: agg(sdk, (r) => r.fetchMs),
        detail: rs.map(({ memory, ...rest }) => ({ ...rest, memory })),
      };
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
async function scenarioEmbedded() {
  const res = await runChild("child-embedded.mjs", [String(N.emb), String(N.embIter)], { timeoutMs: 240_000, execArgv: ["--expose-gc"] });
  if (res.error) throw new Error(`embedded: ${res.error}\n${res.output ?? ""}`);
  return res;
}

// ---------------------------------------------------------------------------------------
async function main() {
  mkdirSync(resolve(here, "results"), { recursive: true });
  results.meta = meta();
  log(`ferrochat bench: ${results.meta.cores} cores, node ${process.version}, ${quick ? "quick" : "full"} run`);
  const server = await startServer([], { subscribeTimeout: 10 });
  log(`ferrochat-server on ${server.origin} (pid ${server.pid})`);
  const scenarios = [
    ["sizes", async () => packageSizes()],
    ["cold", () => scenarioCold(server)],
    ["rt", () => scenarioRoundTrips(server)],
    ["latency", () => scenarioLatency(server)],
    ["streamOn", () => scenarioStreamOn(server)],
    ["embedded", () => scenarioEmbedded()],
    ["server", () => serverScenario({ seconds: N.srvSec, quick })],
    ["serverLoad", () => serverLoad({ seconds: quick ? 2 : 4 })],
  ];
  try {
    for (const [name, fn] of scenarios) {
      if (!want(name)) continue;
      const t = performance.now();
      log(`${name} …`);
      try {
        results.scenarios[name] = await withTimeout(fn(), 300_000, name);
      } catch (e) {
        results.scenarios[name] = { error: String(e?.stack ?? e) };
        log(`${name} failed: ${e?.message ?? e}`);
      }
      log(`${name} done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
      write(false);
    }
  } finally {
    const exit = await server.stop();
    closeAgent();
    results.meta.serverExit = exit;
    results.meta.totalSeconds = Math.round((Date.now() - started) / 1000);
    results.meta.loadavgEnd = os.loadavg().map((x) => +x.toFixed(2));
    write(baseline);
  }
  const md = renderMarkdown(results);
  console.log("\n" + md);
}

function write(alsoBaseline) {
  const json = JSON.stringify(results, null, 2);
  const md = renderMarkdown(results);
  writeFileSync(resolve(here, "results", "latest.json"), json + "\n");
  writeFileSync(resolve(here, "results", "latest.md"), md);
  if (alsoBaseline) {
    writeFileSync(resolve(here, "results", "baseline.json"), json + "\n");
    writeFileSync(resolve(here, "results", "baseline.md"), md);
  }
}

// Hard stop: the run never outlives this, whatever hangs.
const hardStop = setTimeout(() => {
  console.error("bench: hard time limit (20 min) reached; exiting");
  process.exit(2);
}, 20 * 60_000);
hardStop.unref();

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
