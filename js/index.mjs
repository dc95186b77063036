// ferrochat for Node (ESM): the same module instance as the CommonJS entry.
import m from "./index.cjs";

export const Chat = m.Chat;
export const User = m.User;
export const ChatError = m.ChatError;
