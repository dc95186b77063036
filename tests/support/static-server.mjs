// A tiny static file server for the browser tests: 127.0.0.1, port 0 (the OS picks one).
// `mounts` maps URL prefixes to directories; `pages` maps exact paths to generated HTML.

import http from "node:http";
import fs from "node:fs/promises";
import path from "node:path";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".cjs": "text/javascript; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".ts": "text/plain; charset=utf-8",
};

/**
 * Starts the server. Returns { url, requests, close() }; `requests` logs every request as
 * "STATUS /path" (useful when a page fails).
 */
export async function startStaticServer({ mounts = {}, pages = {} } = {}) {
  const requests = [];
  const prefixes = Object.keys(mounts).sort((a, b) => b.length - a.length);
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    let pathname = decodeURIComponent(url.pathname);
    const send = (status, body, type = "text/plain; charset=utf-8") => {
      requests.push(`${status} ${pathname}`);
      res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
      res.end(body);
    };
    if (req.method !== "GET" && req.method !== "HEAD") return send(405, "method not allowed");
    if (pathname in pages) return send(200, pages[pathname], TYPES[".html"]);
    const prefix = prefixes.find((p) => pathname.startsWith(p));
    if (prefix === undefined) return send(404, "not found");
    const root = path.resolve(mounts[prefix]);
    let rel = pathname.slice(prefix.length);
    if (rel === "" || rel.endsWith("/")) rel += "index.html";
    const file = path.resolve(root, rel);
    if (file !== root && !file.startsWith(root + path.sep)) return send(403, "forbidden");
    try {
      const body = await fs.readFile(file);
      send(200, body, TYPES[path.extname(file)] ?? "application/octet-stream");
    } catch {
      send(404, "not found");
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
