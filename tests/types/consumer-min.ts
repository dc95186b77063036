// The smallest consumer: only imports the package (for the lib/skipLibCheck project).
import { Chat, User } from "ferrochat";

export async function minimal(): Promise<User> {
  const chat = await Chat.init({ userId: "minimal" });
  return chat.currentUser;
}
