// Profiles one scenario with `node --cpu-prof` (in the child process that runs it) and
// prints where the time went: self time by function, and by area (wasm, GC, the
// wasm-bindgen glue, the SDK's JS, node internals, idle), plus the requests the server saw.
//
//   node bench/profile.mjs streamOn [ferrochat|anchor] [users=1000] [burst=500]
//   node bench/profile.mjs cold [ferrochat|anchor]
//   node bench/profile.mjs rt [ferrochat|anchor] [getUser|updateUser|getUsers] [iterations=1000]
//
// --named (anywhere in the arguments) profiles a build whose wasm keeps its function names
// (lib/named.mjs makes it in target/named/ from what `node scripts/build.mjs` left in
// target/bindgen/nodejs/): pkg/'s wasm is optimised and its names stripped, so its frames
// show as wasm-function[N]. FERROCHAT_ENTRY=path/to/index.mjs profiles any other build.
//
// Profiles land in bench/results/profiles/ (gitignored); open them in Chrome DevTools.
import { readdirSync, readFileSync, mkdirSync, statSync } from "node:fs";
import { dirname, resolve, basename } from "node:path";
import { fileURLToPath } from "node:url";
import { startServer, requestShape } from "./lib/server.mjs";
import { seedUsers, closeAgent } from "./lib/seed.mjs";
import { runChild, streamOnRun } from "./lib/children.mjs";
import { namedBuild } from "./lib/named.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const profDir = resolve(here, "results", "profiles");
mkdirSync(profDir, { recursive: true });
const args = process.argv.slice(2);
if (args.includes("--named")) process.env.FERROCHAT_ENTRY = namedBuild(); // the children inherit it
const [what = "streamOn", sdk = "ferrochat", nArg, burstArg] = args.filter((a) => a !== "--named");

/** Self time per function and per area from a .cpuprofile. */
export function analyse(file, top = 25) {
  const prof = JSON.parse(readFileSync(file, "utf8"));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const dt = prof.timeDeltas;
  for (let i = 0; i < prof.samples.length; i++) self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + (dt[i] ?? 0));
  const fn = new Map();
  const area = new Map();
  let total = 0;
  for (const [id, us] of self) {
    const n = byId.get(id);
    const cf = n.callFrame;
    const url = cf.url || "";
    const name = cf.functionName || "(anonymous)";
    let a;
    if (name === "(idle)") a = "idle";
    else if (name === "(garbage collector)") a = "GC";
    else if (name === "(program)") a = "V8 (program)";
    else if (url.startsWith("wasm://") || /^\$?wasm-function|^\$/.test(name) && !url) a = "wasm (Rust code)";
    else if (url.includes("ferrochat_node.cjs") || url.includes("ferrochat_web.js") || url.includes("/target/named/")) a = "wasm-bindgen glue + User (JS)";
    else if (url.includes("/pkg/")) a = "ferrochat JS entry";
    else if (url.includes("@pubnub/chat")) a = "@pubnub/chat JS";
    else if (url.includes("/pubnub/")) a = "pubnub JS";
    else if (url.includes("/bench/")) a = "bench harness";
    else if (url.startsWith("node:") || url === "" ) a = "node internals / natives";
    else a = "other JS (" + (url.split("/node_modules/")[1]?.split("/")[0] ?? basename(url)) + ")";
    area.set(a, (area.get(a) ?? 0) + us);
    const key = `${name} ${url ? basename(url) + ":" + (cf.lineNumber + 1) : ""}`.trim();
    fn.set(key, (fn.get(key) ?? 0) + us);
    total += us;
  }
  // Inclusive time per function (a function's own samples plus its callees'), counted
  // once per sample even when the function recurses.
  const parent = new Map();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const incl = new Map();
  for (const [id, us] of self) {
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const cf = byId.get(cur).callFrame;
      const key = `${cf.functionName || "(anonymous)"} ${cf.url ? basename(cf.url) + ":" + (cf.lineNumber + 1) : ""}`.trim();
      if (seen.has(key)) continue;
      seen.add(key);
      incl.set(key, (incl.get(key) ?? 0) + us);
    }
  }
  const busy = total - (area.get("idle") ?? 0);
  const pct = (us, of) => ((100 * us) / of).toFixed(1) + "%";
  return {
    file,
    totalMs: total / 1000,
    busyMs: busy / 1000,
    areas: [...area].sort((a, b) => b[1] - a[1]).map(([k, us]) => ({ area: k, ms: +(us / 1000).toFixed(1), ofBusy: k === "idle" ? "" : pct(us, busy) })),
    inclusive: [...incl].filter(([k]) => /wasm|ferrochat|chat|pubnub|User|wrap|drain|dispatch/i.test(k) && !/^\(root\)/.test(k)).sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, us]) => ({ fn: k.length > 140 ? k.slice(0, 140) + "…" : k, ms: +(us / 1000).toFixed(1), ofBusy: pct(us, busy) })),
    top: [...fn].filter(([k]) => !k.startsWith("(idle)")).sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, us]) => ({ fn: k.length > 140 ? k.slice(0, 140) + "…" : k, ms: +(us / 1000).toFixed(1), ofBusy: pct(us, busy) })),
  };
}

function newest(before) {
  const files = readdirSync(profDir).filter((f) => f.endsWith(".cpuprofile") && !before.has(f));
  files.sort((a, b) => statSync(resolve(profDir, b)).mtimeMs - statSync(resolve(profDir, a)).mtimeMs);
  return files[0] ? resolve(profDir, files[0]) : null;
}

const cpuProf = ["--cpu-prof", `--cpu-prof-dir=${profDir}`, "--cpu-prof-interval=250"];
const server = await startServer([], { subscribeTimeout: 10 });
try {
  const before = new Set(readdirSync(profDir));
  let res;
  if (what === "streamOn") {
    const n = Number(nArg ?? 1000);
    const burst = Number(burstArg ?? 500);
    const prefix = `prof${n}-`;
    const ids = Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(5, "0")}`);
    await seedUsers(server.url, ids);
    await new Promise((r) => setTimeout(r, 300));
    const mark = await server.mark();
    // streamOnRun forks child-stream-on.mjs; pass the profiler flags through its execArgv.
    res = await streamOnRun({ server, sdk, n, ids, prefix, userId: `prof-${sdk}`, liveTimeoutMs: 15_000, burst: Math.min(burst, n - 1), timeoutMs: 180_000, execArgv: ["--expose-gc", ...cpuProf] });
    const reqs = await server.since(mark, 500);
    console.log(JSON.stringify({ phase: res.phase ?? res.error, syncSetupMs: res.syncSetupMs, liveMs: res.liveMs, delivered: res.delivered, deliverMs: res.deliverMs, eventsPerSec: res.eventsPerSec, burstWriteMs: res.burstWriteMs, memory: res.memory }, null, 1));
    console.log("requests the server logged:", requestShape(reqs));
    const subs = reqs.filter((r) => r.path.startsWith("/v2/subscribe"));
    console.log(`subscribe long-polls answered: ${subs.length} (events per answer ≤ 100)`);
  } else if (what === "cold") {
    await seedUsers(server.url, ["cold-user"]);
    const mark = await server.mark();
    res = await runChild("child-cold.mjs", [sdk, server.origin, "cold-user"], { timeoutMs: 30_000, execArgv: cpuProf });
    console.log(res);
    console.log("requests the server logged:", requestShape(await server.since(mark, 300)));
  } else if (what === "rt") {
    const op = nArg ?? "getUsers";
    const iterations = Number(burstArg ?? 1000);
    await seedUsers(server.url, Array.from({ length: 100 }, (_, i) => `rt-${String(i).padStart(5, "0")}`));
    const mark = await server.mark();
    res = await runChild("child-rt.mjs", [sdk, server.origin, op, String(iterations)], { timeoutMs: 120_000, execArgv: cpuProf });
    console.log(JSON.stringify(res));
    console.log("requests the server logged:", requestShape(await server.since(mark, 300)));
  } else {
    throw new Error(`unknown scenario ${what}`);
  }
  await new Promise((r) => setTimeout(r, 300));
  const file = newest(before);
  if (!file) throw new Error("no .cpuprofile written");
  const a = analyse(file);
  console.log(`\nprofile ${a.file}\n total ${a.totalMs.toFixed(0)} ms, busy (not idle) ${a.busyMs.toFixed(0)} ms\n`);
  console.table(a.areas);
  console.table(a.top);
  console.log("inclusive time (SDK and glue functions):");
  console.table(a.inclusive);
} finally {
  await server.stop();
  closeAgent();
}
