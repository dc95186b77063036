// A tiny static file server for www/dist (no framework). Loopback only by default.
//   node serve.mjs [--port 8080] [--host 127.0.0.1] [--root dist]
// Port 0 picks a free port; if the asked-for port is taken, a free one is used instead.
// Prints one line: `www: serving <root> at http://HOST:PORT/`.
import http from "node:http";
import { createReadStream, promises as fs } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

export const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
};

/** Starts the server; resolves { url, port, server, close() }. */
export function startServer({ root = path.join(here, "dist"), host = "127.0.0.1", port = 0, log = false } = {}) {
  const base = path.resolve(root);
  const server = http.createServer(async (req, res) => {
    const send = (status, body, type = "text/plain; charset=utf-8") => {
      res.writeHead(status, { "Content-Type": type, "Cache-Control": "no-store" });
      res.end(req.method === "HEAD" ? undefined : body);
      if (log) console.log(`${status} ${req.method} ${req.url}`);
    };
    if (req.method !== "GET" && req.method !== "HEAD") return send(405, "method not allowed\n");
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url, "http://x").pathname);
    } catch {
      return send(400, "bad request\n");
    }
    if (pathname.endsWith("/")) pathname += "index.html";
    const file = path.resolve(base, "." + pathname);
    if (file !== base && !file.startsWith(base + path.sep)) return send(403, "forbidden\n");
    let stat;
    try {
      stat = await fs.stat(file);
    } catch {
      return send(404, "not found\n");
    }
    if (!stat.isFile()) return send(404, "not found\n");
    res.writeHead(200, {
      "Content-Type": MIME[path.extname(file).toLowerCase()] ?? "application/octet-stream",
      "Content-Length": stat.size,
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
    });
    if (log) console.log(`200 ${req.method} ${req.url}`);
    if (req.method === "HEAD") return res.end();
    createReadStream(file).pipe(res);
  });
  const listen = (p) =>
    new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(p, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  return (async () => {
    try {
      await listen(port);
    } catch (e) {
      if (e.code !== "EADDRINUSE" || port === 0) throw e;
      await listen(0);
    }
    const actual = server.address().port;
    return {
      server,
      port: actual,
      url: `http://${host}:${actual}`,
      close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
    };
  })();
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name, dflt) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
  };
  const root = path.resolve(opt("root", path.join(here, "dist")));
  const { url, close } = await startServer({
    root,
    host: opt("host", "127.0.0.1"),
    port: Number(opt("port", process.env.WWW_PORT ?? 8080)),
    log: args.includes("--log"),
  });
  console.log(`www: serving ${root} at ${url}/`);
  const stop = () => close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
