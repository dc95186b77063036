// The server-alone scenario's subscribers, in a worker thread: `clients` long-poll loops on
// the same channels. Counts into the shared Int32Array ([0] measuring, [1] stopping,
// [2] events delivered, [3] subscribe replies, [4] truncated replies) and posts
// { fanout, errors } when stopped.
import { workerData, parentPort } from "node:worker_threads";
import { transport } from "./server-alone-clients.mjs";

const { url, client, clients, channels, shared } = workerData;
const open = transport(client, { url });
const fanout = [];
const errors = [];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const nowMs = () => performance.timeOrigin + performance.now();

async function subscriber(c) {
  const conn = open();
  let tt = "0";
  let tr = "";
  while (!Atomics.load(shared, 1)) {
    try {
      const q = `uuid=sub-${c}&tt=${tt}${tr ? `&tr=${tr}` : ""}&ee`;
      const r = await conn.get(`/v2/subscribe/demo/${channels}/0?${q}`, 15_000);
      if (r.status !== 200) {
        errors.push(`subscribe HTTP ${r.status}`);
        await sleep(100);
        continue;
      }
      const body = JSON.parse(r.body);
      tt = body.t.t;
      tr = body.t.r ?? "";
      if (!Atomics.load(shared, 0)) continue;
      Atomics.add(shared, 3, 1);
      if (body.truncated) Atomics.add(shared, 4, 1);
      const at = nowMs();
      let n = 0;
      for (const m of body.m ?? []) {
        const d = m.d?.data?.custom;
        if (d?.seq === undefined) continue;
        n++;
        if (d.at !== undefined) fanout.push(at - d.at);
      }
      Atomics.add(shared, 2, n);
    } catch (e) {
      if (!Atomics.load(shared, 1)) errors.push(String(e.message ?? e));
    }
  }
  conn.close();
}

await Promise.all(Array.from({ length: clients }, (_, c) => subscriber(c)));
parentPort.postMessage({ fanout, errors: errors.slice(0, 10) });
