// One cold start in a fresh process: import the SDK, Chat.init until it resolves.
// argv: sdk ("ferrochat" | "anchor" | "ferrochat-embedded" | "node-fetch": no SDK, two
// plain fetch() calls) origin userId
// Reports: processMs (process start → ready, from performance.now(), which counts from the
// process's time origin), importMs, initMs, importInitMs = importMs + initMs, and init2Ms
// (Chat.init again in the same process, warm).
const t0 = performance.now();
const [sdk, origin, userId] = process.argv.slice(2);
if (sdk === "node-fetch") {
  // No SDK: Node's own first fetch() in a fresh process (undici loads on first use), then
  // a second one, against the same server.
  const time = async () => {
    const t = performance.now();
    await (await fetch(`http://${origin}/time/0`)).text();
    return performance.now() - t;
  };
  const firstFetchMs = await time();
  const secondFetchMs = await time();
  process.send({ type: "result", result: { sdk, firstFetchMs, secondFetchMs } }, () => process.exit(0));
  await new Promise(() => {});
}
const { load, netConfig, destroyChat } = await import("./sdk.mjs");
const t1 = performance.now();
const mod = await load(sdk === "ferrochat-embedded" ? "ferrochat" : sdk);
const t2 = performance.now();
const chat = await mod.Chat.init(sdk === "ferrochat-embedded" ? { userId } : netConfig(origin, userId));
const t3 = performance.now();
if (chat.currentUser?.id !== userId) throw new Error("init did not sign in");
const rss = process.memoryUsage().rss;
// More Chat.inits in the same process: the SDK's own cost once the runtime's HTTP stack
// is loaded (Node loads its fetch lazily, on first use: in the first init) and the code
// has run once. init2Ms is the median of the last 5 of 7.
const config = sdk === "ferrochat-embedded" ? { userId } : netConfig(origin, userId);
const more = [];
const chats = [chat];
for (let i = 0; i < 7; i++) {
  const t = performance.now();
  chats.push(await mod.Chat.init(config));
  more.push(performance.now() - t);
}
const init2Ms = more.slice(2).sort((a, b) => a - b)[2];
const result = { sdk, processMs: t3, bootMs: t0, importMs: t2 - t1, initMs: t3 - t2, importInitMs: t3 - t1, init2Ms, rss };
for (const c of chats) destroyChat(sdk === "ferrochat-embedded" ? "ferrochat" : sdk, c);
process.send({ type: "result", result }, () => process.exit(0));
