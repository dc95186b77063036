// ferrochat for Node (CommonJS). The ESM entry re-exports this module, so a process that
// loads ferrochat both ways still has one wasm instance and one embedded store.
// (Chat's Node inspect and its free()/dispose are set up in the glue: js/user.js finishClasses.)
"use strict";
const m = require("./ferrochat_node.cjs");

exports.Chat = m.Chat;
exports.User = m.User;
exports.ChatError = m.ChatError;
