// Holds N idle subscribe long-polls open on channels idle-0..idle-(N-1) until killed
// (SIGTERM). Prints "ready" once every request is sent, or "error: …".
//   node child-idle-polls.mjs PORT N TT
import net from "node:net";

const [port, n, tt] = process.argv.slice(2);
const sockets = [];
let connected = 0;
for (let i = 0; i < Number(n); i++) {
  const s = net.connect({ host: "127.0.0.1", port: Number(port) }, () => {
    s.write(`GET /v2/subscribe/demo/idle-${i}/0?tt=${tt}&uuid=idle-${i} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    if (++connected === Number(n)) setTimeout(() => process.stdout.write("ready\n"), 500);
  });
  s.on("error", (e) => {
    process.stdout.write(`error: ${e.message}\n`);
    process.exit(1);
  });
  sockets.push(s);
}
process.on("SIGTERM", () => {
  for (const s of sockets) s.destroy();
  process.exit(0);
});
// Never outlive the bench.
setTimeout(() => process.exit(0), 300_000).unref();
