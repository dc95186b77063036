// Seeds users on ferrochat-server with raw HTTP (App Context PATCH), a few requests in flight.
import http from "node:http";

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

/** One HTTP request on the keep-alive agent; resolves { status, body }. */
export function request(base, method, path, body, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    const url = new URL(path, base);
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(
      url,
      { method, agent, headers: data ? { "content-type": "application/json", "content-length": data.length } : {} },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`HTTP timeout ${method} ${path.slice(0, 100)}`)));
    req.on("error", reject);
    req.end(data);
  });
}

/** Upserts `ids` (name, email, custom) with `concurrency` requests in flight. */
export async function seedUsers(base, ids, { concurrency = 12, custom = (i) => ({ team: i % 2 ? "red" : "blue", n: i }) } = {}) {
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const i = next++;
      const id = ids[i];
      const r = await request(base, "PATCH", `/v2/objects/demo/uuids/${encodeURIComponent(id)}?include=custom`, {
        name: `User ${i}`,
        email: `${id}@example.com`,
        custom: custom(i),
      });
      if (r.status !== 200) throw new Error(`seed ${id}: HTTP ${r.status} ${r.body.slice(0, 200)}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

export function closeAgent() {
  agent.destroy();
}
