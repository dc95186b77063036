// ferrochat for Node (CommonJS). The ESM entry re-exports this module, so a process that
// loads ferrochat both ways still has one wasm instance and one embedded store.
"use strict";
const m = require("./ferrochat_node.cjs");

// console.log(user) / util.inspect(user) show the fields, not the wasm pointer.
const inspect = Symbol.for("nodejs.util.inspect.custom");
m.User.prototype[inspect] = function (depth, options, inspectFn) {
  return "User " + inspectFn(this.toJSON(), options);
};
m.Chat.prototype[inspect] = function (depth, options, inspectFn) {
  return "Chat " + inspectFn({ currentUser: this.currentUser.toJSON() }, options);
};

exports.Chat = m.Chat;
exports.User = m.User;
