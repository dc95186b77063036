// A minimal HTTP/1.1 client over one keep-alive TCP socket, for the server-alone scenarios:
// one request at a time, replies with Content-Length (ferrochat-server never chunks).
// It costs the load generator a fraction of what node:http does per request, so on a 2-core
// machine shared with the server the figure measures the server more than the client.
import net from "node:net";

const HEAD_END = Buffer.from("\r\n\r\n");

export class RawConnection {
  /** @param {string} host @param {number} port */
  constructor(host, port) {
    this.host = host;
    this.port = port;
    this.socket = null;
    this.buf = Buffer.alloc(0);
    this.pending = null;
  }

  connect() {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: this.host, port: this.port, noDelay: true }, () => resolve());
      s.once("error", reject);
      s.on("data", (chunk) => this.#onData(chunk));
      s.on("error", (e) => this.#fail(e));
      s.on("close", () => this.#fail(new Error("connection closed")));
      this.socket = s;
    });
  }

  #fail(e) {
    const p = this.pending;
    this.pending = null;
    this.socket = null;
    this.buf = Buffer.alloc(0);
    if (p) {
      clearTimeout(p.timer);
      p.reject(e);
    }
  }

  #onData(chunk) {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const p = this.pending;
    if (!p) return;
    if (p.bodyStart < 0) {
      const end = this.buf.indexOf(HEAD_END);
      if (end < 0) return;
      const head = this.buf.toString("latin1", 0, end);
      p.status = Number(head.slice(9, 12));
      const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      p.length = m ? Number(m[1]) : 0;
      p.bodyStart = end + 4;
      p.close = /\r\nconnection:\s*close/i.test(head);
    }
    if (this.buf.length < p.bodyStart + p.length) return;
    const body = this.buf.subarray(p.bodyStart, p.bodyStart + p.length);
    this.buf = this.buf.subarray(p.bodyStart + p.length);
    this.pending = null;
    clearTimeout(p.timer);
    if (p.close) {
      this.socket?.destroy();
      this.socket = null;
    }
    p.resolve({ status: p.status, body });
  }

  /**
   * Sends one request (a Buffer or string with the whole head and body) and resolves
   * { status, body: Buffer }. Reconnects first if the socket was closed.
   */
  async request(bytes, timeoutMs = 15_000) {
    if (!this.socket) await this.connect();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.socket?.destroy();
        this.#fail(new Error("timeout"));
      }, timeoutMs);
      this.pending = { resolve, reject, timer, bodyStart: -1, length: 0, status: 0, close: false };
      this.socket.write(bytes);
    });
  }

  close() {
    this.socket?.destroy();
    this.socket = null;
  }
}

/** `GET path` with the Host header a loopback server expects. */
export function getRequest(host, path) {
  return `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nAccept: text/javascript\r\n\r\n`;
}

/** `PATCH path` with a JSON body. */
export function patchRequest(host, path, json) {
  const body = Buffer.from(json);
  return Buffer.concat([
    Buffer.from(`PATCH ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`),
    body,
  ]);
}
