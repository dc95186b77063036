// ferrochat for browsers and bundlers: loads the wasm next to this file, then exports.
import init, { Chat, ChatError, User } from "./ferrochat_web.js";

await init();

export { Chat, ChatError, User };
