// Turns results into table rows and a markdown report.
import { ratio } from "./stats.mjs";

const MiB = 2 ** 20;

/** A row: figure, unit, which way is better, both SDKs' { median, p99, n } (or a number). */
function row(group, figure, unit, better, f, a, note = "") {
  const norm = (x) => (x == null ? null : typeof x === "number" ? { median: x, p99: null, n: 1 } : x);
  return { group, figure, unit, better, ferrochat: norm(f), anchor: norm(a), note };
}

const scale = (s, k) => (s == null || s.median == null ? s : { ...s, median: s.median / k, p99: s.p99 == null ? null : s.p99 / k, min: s.min == null ? null : s.min / k, max: s.max == null ? null : s.max / k });

/** All table rows of a results object; rows carry ratios and "times worse". */
export function rows(results) {
  const s = results.scenarios;
  const out = [];
  if (s.sizes && !s.sizes.error) {
    for (const k of ["raw", "gzip", "brotli"]) out.push(row("Package size", `browser bundle, ${k}`, "KiB", "lower", s.sizes.ferrochat[k] / 1024, s.sizes.anchor[k] / 1024));
  }
  if (s.cold && !s.cold.error) {
    const c = s.cold;
    out.push(row("Cold start (fresh node process, network)", "import + Chat.init until ready", "ms", "lower", c.ferrochat.importInitMs, c.anchor.importInitMs));
    out.push(row("Cold start (fresh node process, network)", "of which import", "ms", "lower", c.ferrochat.importMs, c.anchor.importMs));
    const nodeFetch = c["node-fetch"]?.firstFetchMs;
    out.push(row("Cold start (fresh node process, network)", "of which Chat.init", "ms", "lower", c.ferrochat.initMs, c.anchor.initMs, "both include loading their HTTP stack: ferrochat loads node:http on its first request, the anchor loads its stack in its import"));
    if (c.ferrochat.init2Ms) out.push(row("Cold start (fresh node process, network)", "Chat.init again in the same process (warm)", "ms", "lower", c.ferrochat.init2Ms, c.anchor.init2Ms, "median of inits 4–8 in each process"));
    if (nodeFetch) {
      out.push(row("Cold start (fresh node process, network)", "Node alone: first fetch() in a fresh process", "ms", "lower", nodeFetch, null, `no SDK: undici loads on first use; a second fetch() takes ${c["node-fetch"].secondFetchMs.median.toFixed(1)} ms (ferrochat paid this in Chat.init while it used fetch in Node)`));
    }
    out.push(row("Cold start (fresh node process, network)", "process start → ready", "ms", "lower", c.ferrochat.processMs, c.anchor.processMs));
    out.push(row("Cold start (fresh node process, network)", "RSS when ready", "MiB", "lower", scale(c.ferrochat.rssBytes, MiB), scale(c.anchor.rssBytes, MiB)));
    out.push(row("Cold start (fresh node process, network)", "ferrochat embedded: import + Chat.init", "ms", "lower", c["ferrochat-embedded"].importInitMs, null, "no anchor equivalent"));
  }
  if (s.rt && !s.rt.error) {
    for (const [name, v] of Object.entries(s.rt)) out.push(row("Round trips (closed loop, 100 users present)", name, "ms", "lower", v.ferrochat, v.anchor));
  }
  if (s.latency && !s.latency.error) {
    const l = s.latency;
    out.push(row("Update → streamUpdates on another client", "updateUser called → callback", "ms", "lower", l.ferrochat.updateToCallbackMs, l.anchor.updateToCallbackMs, `timeouts: ${l.ferrochat.timeouts} / ${l.anchor.timeouts}`));
  }
  if (s.streamOn && !s.streamOn.error) {
    for (const [n, v] of Object.entries(s.streamOn)) {
      const g = `User.streamUpdatesOn over ${Number(n).toLocaleString("en")} users`;
      const f = v.ferrochat;
      const a = v.anchor;
      const liveNote = `live in ${f.live}/${f.runs} vs ${a.live}/${a.runs} runs`;
      out.push(row(g, "streamUpdatesOn call (synchronous)", "ms", "lower", f.syncSetupMs, a.syncSetupMs));
      out.push(row(g, "call → first event delivered (set-up)", "ms", "lower", f.liveMs.n ? f.liveMs : null, a.liveMs.n ? a.liveMs : null, liveNote));
      out.push(row(g, "retained memory: heapUsed + wasm delta (set-up, after GC)", "MiB", "lower", scale(f.retainedDelta, MiB), scale(a.retainedDelta, MiB), "anchor has no wasm"));
      out.push({ ...row(g, "RSS delta (set-up, after GC)", "MiB", "lower", scale(f.rssDelta, MiB), scale(a.rssDelta, MiB), "noisy: GC hands pages back; not ranked"), rank: false });
      out.push(row(g, "heapUsed delta (set-up, after GC)", "MiB", "lower", scale(f.heapUsedDelta, MiB), scale(a.heapUsedDelta, MiB)));
      out.push(row(g, "wasm memory delta (ferrochat)", "MiB", "lower", scale(f.wasmDelta, MiB), null, "wasm linear memory, not in heapUsed"));
      out.push(row(g, "events delivered per second (burst of distinct-user updates)", "events/s", "higher", f.eventsPerSec.n ? f.eventsPerSec : null, a.eventsPerSec.n ? a.eventsPerSec : null));
      out.push(row(g, "unsubscribe (the returned function)", "ms", "lower", f.stopMs, a.stopMs));
    }
  }
  if (s.embedded && !s.embedded.error) {
    const e = s.embedded;
    const g = `Embedded backend alone (${e.n.toLocaleString("en")} users)`;
    out.push(row(g, "createUser throughput (while filling)", "users/s", "higher", e.createPerSec, null));
    for (const q of e.queries) out.push(row(g, `getUsers: ${q.name}`, "ms", "lower", q.latencyMs, null, `${q.params.filter ? "filter " + JSON.stringify(q.params.filter) : "no filter"}${q.params.sort ? ", sort " + JSON.stringify(q.params.sort) : ""}; total ${q.total}`));
    out.push(row(g, "wasm memory after filling", "MiB", "lower", e.memory.wasmAfter / MiB, null));
    if (e.wrapper) {
      const w = "Typed errors with the caller's stack (js/user.js wrapAsync), per call, over a plain rejection";
      out.push(row(w, "added to a call that resolves", "µs", "lower", e.wrapper.resolvedUs, null, "issue 19: under 2 µs"));
      out.push(row(w, "added to a call that rejects (a ChatError with the caller's stack)", "µs", "lower", e.wrapper.rejectedUs, null, "issue 19: under 2 µs"));
    }
  }
  if (s.server && !s.server.error) {
    const v = s.server;
    const g = `ferrochat-server alone (${v.clients} subscribed clients, raw HTTP long-polls, ${v.inFlight} writes in flight)`;
    const cpu = (x) => (x == null ? "" : `; server ${x.serverCores?.toFixed(2)} cores, ${x.serverCpuUsPerUpdate?.toFixed(0)} µs CPU/update; client ${x.clientCores?.toFixed(2)} cores, ${x.clientCpuUsPerUpdate?.toFixed(0)} µs/update`);
    out.push(row(g, "updates acknowledged per second (1 s windows)", "updates/s", "higher", v.windows.updatesPerSec, null, `overall ${v.updatesPerSec.toFixed(0)}/s${cpu(v)}`));
    out.push(row(g, "events delivered per second, all clients (1 s windows)", "events/s", "higher", v.windows.eventsPerSec, null, `expected ${v.expectedEventsPerSec.toFixed(0)}/s; ${v.pollsPerUpdate?.toFixed(2)} subscribe replies per update`));
    out.push(row(g, "PATCH latency", "ms", "lower", v.ackLatencyMs, null));
    out.push(row(g, "fan-out latency (PATCH sent → event at a client)", "ms", "lower", v.fanoutLatencyMs, null));
    if (v.nodeHttp && !v.nodeHttp.error) {
      const n = v.nodeHttp;
      out.push(row(g, "updates/s with the node:http client (earlier baselines' client)", "updates/s", "higher", n.windows.updatesPerSec, null, `overall ${n.updatesPerSec.toFixed(0)}/s${cpu(n)}`));
    }
  }
  if (s.serverLoad && !s.serverLoad.error) {
    const v = s.serverLoad;
    const g = "ferrochat-server under attack-shaped load (own servers)";
    out.push(row(g, "GET /time/0 alone", "ms", "lower", v.timeAloneMs, null));
    out.push(row(g, "GET /time/0 while 4 clients loop pathological filters", "ms", "lower", v.timeUnderFiltersMs, null, "300 users × 16,000-char names, 16 LIKEs scanning each name"));
    out.push(row(g, "PATCH while 4 clients loop pathological filters", "ms", "lower", v.patchUnderFiltersMs, null));
    out.push(row(g, "one pathological filter request", "ms", "lower", v.filterRequestMs, null, "they queue for the list workers"));
    out.push(row(g, "writes/s, no long-poll open", "updates/s", "higher", v.writesPerSecNone, null, `runs ${v.writesPerSecNoneRuns.map((x) => x.toFixed(0)).join(", ")}`));
    out.push(row(g, `writes/s with ${v.idlePolls.toLocaleString("en")} idle long-polls on other channels`, "updates/s", "higher", v.writesPerSecIdle, null, `${(v.ratio * 100).toFixed(0)} % of none`));
  }
  for (const r of out) {
    // A ratio of a negative (e.g. an RSS delta after GC returned memory) means nothing.
    const pos = (x) => (x != null && x > 0 ? x : null);
    r.ratioMedian = ratio(pos(r.ferrochat?.median), pos(r.anchor?.median));
    r.ratioP99 = ratio(pos(r.ferrochat?.p99), pos(r.anchor?.p99));
    r.timesWorse = r.ratioMedian == null || r.rank === false ? null : r.better === "lower" ? r.ratioMedian : 1 / r.ratioMedian;
  }
  return out;
}

function fmt(x) {
  if (x == null || !Number.isFinite(x)) return "—";
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString("en");
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toFixed(3);
}

const fmtRatio = (x) => (x == null ? "—" : `${x.toFixed(2)}×`);

export function renderMarkdown(results) {
  const m = results.meta;
  const rs = rows(results);
  const lines = [];
  lines.push(`# ferrochat vs @pubnub/chat 0.14.2 (pubnub 10.2.6)`);
  lines.push("");
  lines.push(`${m.date} · ${m.cores} cores (${m.cpu ?? "?"}) · ${m.memGiB} GiB · node ${m.node} · ${m.platform} · commit ${m.commit ?? "?"}${m.srcDirty ? " (src modified)" : ""} · ${m.quick ? "quick" : "full"} run${m.totalSeconds ? ` in ${m.totalSeconds} s` : ""} · load avg ${m.loadavg?.join(" ")}`);
  lines.push("");
  lines.push("Both SDKs ran against the same ferrochat-server, interleaved (ABAB…), after a warm-up. Ratio = ferrochat / anchor: below 1× is better for ferrochat where lower is better (times, sizes, memory), above 1× is better where higher is better (rates). `n` = samples per SDK.");
  lines.push("");
  let group = null;
  for (const r of rs) {
    if (r.group !== group) {
      group = r.group;
      lines.push("");
      lines.push(`### ${group}`);
      lines.push("");
      lines.push("| figure | unit | better | ferrochat median | ferrochat p99 | anchor median | anchor p99 | ratio median | ratio p99 | n | note |");
      lines.push("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|");
    }
    const f = r.ferrochat;
    const a = r.anchor;
    const n = [f?.n, a?.n].filter((x) => x != null).join(" / ");
    lines.push(`| ${r.figure} | ${r.unit} | ${r.better} | ${fmt(f?.median)} | ${fmt(f?.p99)} | ${fmt(a?.median)} | ${fmt(a?.p99)} | ${fmtRatio(r.ratioMedian)} | ${fmtRatio(r.ratioP99)} | ${n} | ${r.note} |`);
  }
  lines.push("");
  const ranked = rs.filter((r) => r.timesWorse != null).sort((x, y) => y.timesWorse - x.timesWorse);
  if (ranked.length) {
    lines.push("### Worst ratios for ferrochat");
    lines.push("");
    const verdict = (w) => (w > 1 ? `${w.toFixed(2)}× worse than the anchor` : w < 1 ? `${(1 / w).toFixed(2)}× better than the anchor` : "level with the anchor");
    for (const r of ranked.slice(0, 5)) lines.push(`- ${r.group} — ${r.figure}: ${fmtRatio(r.ratioMedian)} (${verdict(r.timesWorse)})`);
    lines.push("");
  }
  // What happened where a subscription could not start.
  const so = results.scenarios.streamOn;
  if (so && !so.error) {
    lines.push("### streamUpdatesOn outcomes");
    lines.push("");
    for (const [n, v] of Object.entries(so)) {
      for (const sdk of ["ferrochat", "anchor"]) {
        for (const d of v[sdk].detail) {
          const subs = d.subscribeStatuses ? d.subscribeStatuses.join(",") : "";
          const urls = d.subscribeUrlLengths ? Math.max(...d.subscribeUrlLengths, 0) : null;
          const st = (d.statusEvents ?? []).map((e) => `${e.category}${e.statusCode ? " " + e.statusCode : ""}`);
          const rec = d.phase === "never live" ? `; after unsubscribing, a new one-user stream on the same Chat ${d.recoveredMs == null ? "got nothing in 12 s" : "delivered after " + fmt(d.recoveredMs) + " ms"}` : "";
          lines.push(`- ${Number(n).toLocaleString("en")} users, ${sdk}: ${d.phase ?? d.error}${rec}; sync ${fmt(d.syncSetupMs)} ms; live ${d.liveMs == null ? "never" : fmt(d.liveMs) + " ms"}; longest subscribe URL ${urls ?? "?"} chars; subscribe replies [${subs.length > 120 ? subs.slice(0, 120) + "…" : subs}]; status events [${[...new Set(st)].join(", ")}]; unsubscribe ${fmt(d.stopMs)} ms${d.notes?.length ? "; " + d.notes.join("; ") : ""}`);
        }
      }
    }
    lines.push("");
  }
  const errs = Object.entries(results.scenarios).filter(([, v]) => v?.error);
  if (errs.length) {
    lines.push("### Errors");
    lines.push("");
    for (const [k, v] of errs) lines.push(`- ${k}: \`${String(v.error).split("\n")[0]}\``);
    lines.push("");
  }
  if (results.scenarios.sizes && !results.scenarios.sizes.error) {
    const z = results.scenarios.sizes;
    lines.push("### Files measured for package size");
    lines.push("");
    for (const sdk of ["ferrochat", "anchor"]) for (const f of z[sdk].files) lines.push(`- ${sdk}: \`${f.file}\` raw ${f.raw} B, gzip ${f.gzip} B, brotli ${f.brotli} B`);
    lines.push("");
  }
  return lines.join("\n") + "\n";
}
