// Parent-side drivers of the child processes (cold start, streamUpdatesOn).
import { fork } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { request } from "./seed.mjs";

const here = dirname(fileURLToPath(import.meta.url));

/** Forks `script` with IPC; resolves with its "result" message, or kills it (by PID) after `timeoutMs`. */
export function runChild(script, args, { timeoutMs, execArgv = [], onMessage = () => {}, cwd } = {}) {
  return new Promise((resolveRun) => {
    const child = fork(resolve(here, script), args, { execArgv, stdio: ["ignore", "pipe", "pipe", "ipc"], cwd });
    let out = "";
    child.stdout.on("data", (d) => (out = (out + d).slice(-4000)));
    child.stderr.on("data", (d) => (out = (out + d).slice(-4000)));
    let result = null;
    let done = false;
    const end = (extra) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolveRun(result ?? { error: extra ?? "no result", output: out });
    };
    const timer = setTimeout(() => {
      try {
        process.kill(child.pid, "SIGKILL");
      } catch {}
      result ??= { error: `killed after ${timeoutMs} ms`, output: out };
      end();
    }, timeoutMs);
    child.on("message", (m) => {
      if (m?.type === "result") result = m.result;
      else onMessage(m, child);
    });
    // "close" comes after the stdio streams and the IPC channel have closed, so a result
    // sent just before exiting has been seen; a short grace covers the rest.
    child.on("close", (code, signal) => {
      setTimeout(() => {
        if (!result) result = { error: `exited with ${code ?? signal} without a result`, output: out };
        end();
      }, 100);
    });
  });
}

/**
 * One streamUpdatesOn run: the child subscribes to n users `${prefix}00000…`; this side
 * probes (a write to the last user every 50 ms) until the child reports a callback or
 * gives up, then writes `burst` updates to distinct users with 8 requests in flight.
 */
export async function streamOnRun({ server, sdk, n, ids, prefix, userId, liveTimeoutMs, burst, timeoutMs, execArgv = ["--expose-gc"] }) {
  let probe = null;
  let probes = 0;
  const stopProbe = () => {
    if (probe) clearInterval(probe);
    probe = null;
  };
  const res = await runChild("child-stream-on.mjs", [sdk, server.origin, String(n), prefix, userId, String(liveTimeoutMs), String(burst)], {
    timeoutMs,
    execArgv,
    onMessage: async (m, child) => {
      if (m.type === "subscribed" || m.type === "recover-start") {
        stopProbe();
        probe = setInterval(() => {
          probes++;
          request(server.url, "PATCH", `/v2/objects/demo/uuids/${ids[n - 1]}`, { custom: { probe: probes } }).catch(() => {});
        }, 50);
      } else if (m.type === "live-or-timeout" || m.type === "recover-end") {
        stopProbe();
      } else if (m.type === "ready") {
        child.send({ type: "burst-start" });
        const t = performance.now();
        let next = 0;
        const worker = async () => {
          while (next < burst) {
            const i = next++;
            await request(server.url, "PATCH", `/v2/objects/demo/uuids/${ids[i]}`, { custom: { burst: i, at: Date.now() } }).catch(() => {});
          }
        };
        await Promise.all(Array.from({ length: 8 }, worker));
        try {
          child.send({ type: "burst-sent", ms: performance.now() - t });
        } catch {}
      }
    },
  });
  stopProbe();
  res.probes = probes;
  return res;
}
