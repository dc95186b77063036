// A bundler-style TypeScript consumer (moduleResolution "bundler": no "node" condition).
import { Chat, User } from "ferrochat";

export async function bundlerConsumer(): Promise<void> {
  const chat: Chat = await Chat.init({ userId: "bundler-consumer" });
  const maybe: User | null = await chat.getUser("support_agent_15");
  const r: true | User = await chat.deleteUser("support_agent_15");
  const stop: () => void = chat.currentUser.streamUpdates((u: User) => u.name);
  stop();
  void [maybe, r];
}
