// A closed loop of one operation in a fresh process (for profile.mjs).
// argv: sdk origin op iterations   (op: getUser | updateUser | getUsers)
import { load, netConfig, destroyChat } from "./sdk.mjs";
import { summary } from "./stats.mjs";

const [sdk, origin, op, itStr] = process.argv.slice(2);
const iterations = Number(itStr);
const { Chat } = await load(sdk);
const chat = await Chat.init(netConfig(origin, `prof-rt-${sdk}`));
let k = 0;
const ops = {
  getUser: () => chat.getUser(`rt-${String(k++ % 100).padStart(5, "0")}`),
  updateUser: () => chat.updateUser(`rt-${String(k % 100).padStart(5, "0")}`, { name: `User ${k++}` }),
  getUsers: () => chat.getUsers({ limit: 100 }),
};
for (let i = 0; i < 30; i++) await ops[op]();
const lat = [];
for (let i = 0; i < iterations; i++) {
  const t = performance.now();
  await ops[op]();
  lat.push(performance.now() - t);
}
destroyChat(sdk, chat);
process.send({ type: "result", result: { sdk, op, latencyMs: summary(lat) } }, () => process.exit(0));
