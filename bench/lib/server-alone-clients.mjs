// The two HTTP clients of the server-alone scenario: node:http (keep-alive agent, one
// socket) or raw sockets (raw-http.mjs). Each `open()` is one connection, one request at
// a time. Shared by the main thread (writers) and the subscribers' worker.
import http from "node:http";
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

export /** node:http or raw-socket GET / PATCH, one request at a time per connection. */
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

