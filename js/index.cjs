// ferrochat for Node (CommonJS). The ESM entry re-exports this module, so a process that
// loads ferrochat both ways still has one wasm instance and one embedded store.
"use strict";
const m = require("./ferrochat_node.cjs");

// console.log(chat) / util.inspect(chat) show the current user, not the wasm pointer
// (a User shows its fields by itself: js/user.js).
const inspect = Symbol.for("nodejs.util.inspect.custom");
m.Chat.prototype[inspect] = function (depth, options, inspectFn) {
  return "Chat " + inspectFn({ currentUser: this.currentUser.toJSON() }, options);
};

exports.Chat = m.Chat;
exports.User = m.User;
