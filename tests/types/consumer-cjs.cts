// A CommonJS TypeScript consumer (nodenext resolves exports "." → node → require → types).
import ferrochat = require("ferrochat");

export async function cjsConsumer(): Promise<string | undefined> {
  const chat: ferrochat.Chat = await ferrochat.Chat.init({ userId: "cjs-consumer" });
  const user: ferrochat.User | null = await chat.getUser("support_agent_15");
  const stop: () => void = ferrochat.User.streamUpdatesOn([chat.currentUser], (users: ferrochat.User[]) => users.length);
  stop();
  return user?.name;
}
