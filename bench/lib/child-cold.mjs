// One cold start in a fresh process: import the SDK, Chat.init until it resolves.
// argv: sdk ("ferrochat" | "anchor" | "ferrochat-embedded") origin userId
// Reports: processMs (process start → ready, from performance.now(), which counts from the
// process's time origin), importMs, initMs, and importInitMs = importMs + initMs.
const t0 = performance.now();
const [sdk, origin, userId] = process.argv.slice(2);
const { load, netConfig, destroyChat } = await import("./sdk.mjs");
const t1 = performance.now();
const mod = await load(sdk === "ferrochat-embedded" ? "ferrochat" : sdk);
const t2 = performance.now();
const chat = await mod.Chat.init(sdk === "ferrochat-embedded" ? { userId } : netConfig(origin, userId));
const t3 = performance.now();
if (chat.currentUser?.id !== userId) throw new Error("init did not sign in");
const result = { sdk, processMs: t3, bootMs: t0, importMs: t2 - t1, initMs: t3 - t2, importInitMs: t3 - t1, rss: process.memoryUsage().rss };
destroyChat(sdk === "ferrochat-embedded" ? "ferrochat" : sdk, chat);
process.send({ type: "result", result }, () => process.exit(0));
