// The JS class `User`: an immutable snapshot of a user, held as plain frozen properties.
//
// The Rust side (crates/client/src/batch.rs, `UserBatch`) builds Users through `makeUsers` below from
// one string and one array of numbers per batch (a getUsers page is one call, one UTF-8
// decode, then substrings), so reading a field is a plain property read, `custom` keeps
// its identity, and a dropped User is ordinary garbage: no wasm memory, no finalizer.
// Methods go through the Chat the user came from (the wasm `Chat` object, held here so the
// Chat lives as long as its Users, as before).
//
// This file is a wasm-bindgen snippet (ES module syntax); scripts/build.mjs bundles it
// into both glue files and exports `User` from the package entry points.

/** Only `makeUsers` holds it: `new User()` from outside fails with the documented error. */
const KEY = Symbol("ferrochat.User");

/**
 * Every error ferrochat rejects or throws with: an `Error` with a stable `code` (an
 * `ErrorCode`), `status` for HTTP failures, and `cause` when the caller's own value threw.
 */
export class ChatError extends Error {
  constructor(message, code, status, cause) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "ChatError";
    this.code = code;
    if (status !== undefined) this.status = status;
  }
}

/** A ChatError for the checks this file makes itself. */
function fail(code, message, cause) {
  return new ChatError(message, code, undefined, cause);
}

/** An error ferrochat throws (src/error.rs): with the stack where it is made. */
export function makeError(message, code, status, cause) {
  return new ChatError(message, code, status, cause);
}

/**
 * An error a Promise rejects with (src/error.rs): made on ferrochat's clean stack, so its
 * stack would name nothing of the caller's; made without one (V8 only; elsewhere as
 * usual), the method's wrapper (wrapAsync) captures it where the caller awaits.
 */
export function makeRejection(message, code, status, cause) {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new ChatError(message, code, status, cause);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** Per Chat: the `errorLogger` of its config (the Chat SDK's `setItem(key, params)`). */
const errorLoggers = new WeakMap();

/**
 * The Promise-returning methods, wrapped: a rejection is made later on a clean stack, so
 * its stack would show only ferrochat's frames. The wrapper awaits the method and captures
 * the error's stack again in its own async frame, which V8 gives the awaiting callers'
 * frames ("at async yourFunction (file:line)"); V8 formats it only if read. Measured
 * (bench, "Typed errors"): ~0.1 µs added to a call that resolves, ~1–2 µs to one that
 * rejects (its error is made without a stack: makeRejection). Engines without
 * `Error.captureStackTrace` keep the original stack. The Chat's
 * `errorLogger`, if any, hears every failure.
 */
function wrapAsync(target, name, key) {
  const inner = target[name];
  const wrapped = {
    async [name](...args) {
      try {
        return await inner.apply(this, args);
      } catch (e) {
        if (!(e instanceof ChatError)) throw e;
        // The stack from here, without this wrapper's frame: the callers' frames.
        Error.captureStackTrace?.(e, wrapped);
        const logger = errorLoggers.get(this);
        if (logger) {
          try {
            logger.setItem(key, { error: e, thrownFunctionArguments: args });
          } catch {
            // A logger that throws must not change what the caller sees.
          }
        }
        throw e;
      }
    },
  }[name];
  Object.defineProperty(target, name, { value: wrapped, writable: true, configurable: true });
}

/** Log levels, in order (PubNub's numeric `LogLevel` counts the same way: 0 trace … 5 none). */
const LEVELS = ["trace", "debug", "info", "warn", "error", "none"];

/** `Chat.init` options ferrochat reads. */
const READ_OPTIONS = new Set(
  "userId uuid publishKey subscribeKey secretKey authKey origin ssl storeUserActivityTimestamps storeUserActivityInterval transactionalRequestTimeout subscribeRequestTimeout logLevel logVerbosity logger loggers errorLogger".split(" "),
);

/**
 * Options of the PubNub Chat SDK and the PubNub client that ferrochat accepts and has no
 * use for, so configs written for them run unchanged (logged once at debug level).
 * `restore` and `keepAlive` are what ferrochat always does; it sends no presence heartbeats.
 */
const IGNORED_OPTIONS = new Set(
  "restore keepAlive heartbeatInterval presenceTimeout saveDebugLog typingTimeout pushNotifications rateLimitFactor rateLimitPerChannel customPayloads syncMutedUsers fileRequestTimeout useInstanceId suppressLeaveEvents requestMessageCountThreshold autoNetworkDetection listenToBrowserNetworkEvents enableEventEngine retryConfiguration maintainPresenceState useSmartHeartbeat sdkName partnerId keepAliveSettings cryptoModule cipherKey useRandomIVs customEncrypt customDecrypt fileUploadPublishRetryLimit dedupeOnSubscribe maximumCacheSize announceSuccessfulHeartbeats announceFailedHeartbeats useRequestId subscriptionWorkerUrl".split(" "),
);

/** Option names already warned about (once per process). */
const warned = new Set();

/**
 * The log of a Chat from its config: `level` (logLevel, a name or PubNub's number, else
 * `logVerbosity: true` as debug, else none), `line(level, message)` and `request(...)`.
 * Lines go to `config.logger`, else each of `config.loggers` (PubNub's), else the console,
 * to the method named after the level (or `log`); request lines show the path without its
 * query (no keys, auth or signature) and with the keys in it masked. Also warns once per
 * process about options nobody knows (misspelled?), and logs the ignored ones at debug.
 * Never throws: this runs after the config was converted (src/convert.rs), which refused
 * anything hostile.
 */
export function makeLog(config, subscribeKey, publishKey) {
  let level = 5;
  let sinks = [console];
  const keys = [];
  try {
    const given = config.logLevel;
    const named = typeof given === "string" ? LEVELS.indexOf(given) : Number.isInteger(given) ? given : -1;
    level = named >= 0 && named <= 5 ? named : config.logVerbosity === true ? 1 : 5;
    if (config.logger) sinks = [config.logger];
    else if (Array.isArray(config.loggers) && config.loggers.length) sinks = [...config.loggers];
    keys.push(...Object.keys(config));
  } catch {
    // Read once already by the conversion: nothing here can throw that did not throw there.
  }
  const line = (lvl, message) => {
    if (lvl < level) return;
    const text = `[ferrochat] ${message}`;
    for (const sink of sinks) {
      try {
        (sink[LEVELS[lvl]] ?? sink.log)?.call(sink, text);
      } catch {
        // A logger that throws must not break the Chat.
      }
    }
  };
  for (const k of keys) {
    if (IGNORED_OPTIONS.has(k)) line(1, `option '${k}' is accepted and ignored`);
    else if (!READ_OPTIONS.has(k) && !warned.has(k)) {
      warned.add(k);
      console.warn(`ferrochat: Chat.init does not know the option '${k}' (misspelled?); it is ignored`);
    }
  }
  const mask = (url) => {
    let path = url.replace(/^[a-z]+:\/\/[^/]+/, "").replace(/\?.*$/, "");
    for (const [key, name] of [[subscribeKey, "subscribeKey"], [publishKey, "publishKey"]]) {
      if (key) path = path.split(`/${encodeURIComponent(key)}/`).join(`/<${name}>/`);
    }
    return path;
  };
  return {
    level,
    line,
    request(method, url, status, ms) {
      line(1, `${method} ${mask(url)} ${status} in ${ms.toFixed(1)} ms`);
    },
  };
}

/** What `toJSON` keeps (the fields that are set), in the wire's order. */
const FIELDS = ["id", "name", "externalId", "profileUrl", "email", "type", "status", "custom", "updated"];

/** A chat user. Objects are immutable snapshots: `update` and events give new ones. */
export class User {
  /** The wasm `Chat` this user came from. */
  #chat;
  /** The record's eTag (streams use it to tell a stale event from a new one). */
  #etag;
  /** `custom.lastActiveTimestamp` as a number, or `undefined`. */
  #lastActive;
  /** The Chat's `storeUserActivityInterval` (ms). */
  #interval;

  constructor(key, chat, interval, id, name, externalId, profileUrl, email, type, status, custom, updated, etag, lastActive) {
    if (key !== KEY) {
      throw fail("INVALID_ARGUMENT", "User cannot be constructed with new: get users from Chat methods such as chat.getUser(id)");
    }
    this.#chat = chat;
    this.#interval = interval;
    this.#etag = etag;
    this.#lastActive = lastActive;
    this.id = id;
    this.name = name;
    this.externalId = externalId;
    this.profileUrl = profileUrl;
    this.email = email;
    this.type = type;
    this.status = status;
    this.custom = custom;
    this.updated = updated;
    Object.freeze(this);
  }

  /** Last activity time (ms since the epoch), from `custom.lastActiveTimestamp`. */
  get lastActiveTimestamp() {
    return this.#lastActive;
  }

  /** Whether the user was active within the Chat's `storeUserActivityInterval`. */
  get active() {
    const t = this.#lastActive;
    return t !== undefined && Date.now() - t <= this.#interval;
  }

  /**
   * Updates this user (see `Chat.updateUser`); resolves a new `User`. One PATCH on this
   * copy's eTag when it is current; read, then patch, when it is not.
   */
  update(data) {
    return this.#chat.__update(this.id, this.#etag, data);
  }

  /** Hard delete (resolves `true`) or soft delete with `{ soft: true }`. */
  delete(options) {
    return this.#chat.deleteUser(this.id, options);
  }

  /** Clears the `"deleted"` status (ferrochat addition); resolves the restored `User`. */
  restore() {
    return this.#chat.restoreUser(this.id);
  }

  /** Calls `callback` with the user's latest state on every change; returns an unsubscribe function. */
  streamUpdates(callback) {
    return User.#listen("stream", [this], null, callback);
  }

  /** Like `streamUpdates` until the user is hard-deleted (ferrochat addition). */
  onUpdated(callback) {
    return User.#listen("updated", [this], null, callback);
  }

  /** Calls `callback` with `{ id, soft }` when the user is deleted (ferrochat addition). */
  onDeleted(callback) {
    return User.#listen("deleted", [this], null, callback);
  }

  /**
   * Streams updates of several users: `callback` gets the whole list, in input order, with
   * the changed entry replaced. Throws `Cannot stream user updates on an empty list` for `[]`.
   */
  static streamUpdatesOn(users, callback) {
    let list;
    try {
      // The caller's array is read once, here (a Proxy's traps run inside this try).
      if (!Array.isArray(users)) throw undefined;
      list = Array.from(users);
    } catch (cause) {
      throw fail("INVALID_ARGUMENT", "users must be an array of User objects", cause);
    }
    if (list.length === 0) throw fail("EMPTY_USER_LIST", "Cannot stream user updates on an empty list");
    if (typeof callback !== "function") throw fail("INVALID_ARGUMENT", "callback must be a function");
    for (let i = 0; i < list.length; i++) {
      const u = list[i];
      if (typeof u !== "object" || u === null || !(#chat in u)) throw fail("INVALID_ARGUMENT", `users[${i}] is not a User`);
    }
    return User.#listen("list", list, list, callback);
  }

  /**
   * A listener on the Chat of `users[0]`: the users go over as their ids, eTags and
   * `updated` stamps (one string and its UTF-16 cut lengths), not as records.
   */
  static #listen(kind, users, list, callback) {
    let text = "";
    const lengths = [];
    for (const u of users) {
      const updated = u.updated ?? "";
      text += u.id + u.#etag + updated;
      lengths.push(u.id.length, u.#etag.length, updated.length);
    }
    return users[0].#chat.__listen(kind, text, lengths, list, callback);
  }

  /** A plain object with the fields that are set (used by `JSON.stringify`). */
  toJSON() {
    const out = {};
    for (const k of FIELDS) if (this[k] !== undefined) out[k] = this[k];
    return out;
  }

  /** `console.log(user)` in Node shows the fields that are set. */
  [Symbol.for("nodejs.util.inspect.custom")](depth, options, inspect) {
    return "User " + inspect(this.toJSON(), options);
  }
}

/**
 * Builds Users from one batch (crates/client/src/batch.rs `UserBatch`): `text` is every string
 * concatenated, `nums` says how to cut it. Per user: the UTF-16 length (or -1, absent) of
 * id, name, externalId, profileUrl, email, type, status, updated, eTag; lastActive (NaN:
 * absent); the custom entry count (-1: no custom), then per entry the key's length, a tag
 * (0 string + its length, 1 number + its value, 2 boolean + 0/1, 3 null).
 */
export function makeUsers(chat, interval, text, nums) {
  const out = [];
  let t = 0;
  let i = 0;
  let n = 0;
  // (Each field cut inline: a closure over t and i costs a tenth of the time here.)
  while (i < nums.length) {
    const id = (n = nums[i++]) < 0 ? undefined : text.slice(t, (t += n));
    const name = (n = nums[i++]) < 0 ? undefined : text.slice(t, (t += n));
    const externalId = (n = nums[i++]) < 0 ? undefined : text.slice(t, (t += n));
    const profileUrl = (n = nums[i++]) < 0 ? undefined : text.slice(t, (t += n));
    const email = (n = nums[i++]) < 0 ? undefined : text.slice(t, (t += n));
    const type = (n = nums[i++]) < 0 ? undefined : text.slice(t, (t += n));
    const status = (n = nums[i++]) < 0 ? undefined : text.slice(t, (t += n));
    const updated = (n = nums[i++]) < 0 ? undefined : text.slice(t, (t += n));
    const etag = (n = nums[i++]) < 0 ? undefined : text.slice(t, (t += n));
    const lastActive = nums[i++];
    let custom;
    let count = nums[i++];
    if (count >= 0) {
      custom = {};
      for (; count > 0; count--) {
        const k = text.slice(t, (t += nums[i++]));
        const tag = nums[i++];
        const v = tag === 0 ? text.slice(t, (t += nums[i++])) : tag === 1 ? nums[i++] : tag === 2 ? nums[i++] === 1 : null;
        // An own property even for "__proto__" (a plain assignment would set the prototype).
        if (k === "__proto__") Object.defineProperty(custom, k, { value: v, enumerable: true, writable: true, configurable: true });
        else custom[k] = v;
      }
      Object.freeze(custom);
    }
    const active = lastActive === lastActive ? lastActive : undefined; // NaN: absent
    out.push(new User(KEY, chat, interval, id, name, externalId, profileUrl, email, type, status, custom, updated, etag, active));
  }
  return out;
}

/**
 * Finishes the classes once per glue file (scripts/build.mjs calls it).
 *
 * The glue is minified without esbuild's keepNames (its wrapper around every function
 * cost 0.7 KB gzip), so the public classes get their names back here.
 *
 * wasm-bindgen gives every exported class `free()` and `[Symbol.dispose]`, which release
 * the Rust object at once: the Users of that Chat then failed with wasm-bindgen's
 * "null pointer passed to rust" (an Error without a code). Here both mean `destroy()`:
 * streams, loops and timers stop, later calls reject with the documented `DESTROYED`, and
 * the memory goes when the Chat and its Users are garbage (the glue's finaliser), as for
 * any Chat. So `using chat = await Chat.init(…)` ends the Chat cleanly at the end of scope.
 */
export function finishClasses(Chat) {
  for (const [c, name] of [[Chat, "Chat"], [User, "User"], [ChatError, "ChatError"]]) Object.defineProperty(c, "name", { value: name, configurable: true });
  for (const name of ["getUser", "createUser", "updateUser", "deleteUser", "restoreUser", "getUserByEmail", "getUserByExternalId", "deleteUsers", "getUsers", "__update"]) {
    wrapAsync(Chat.prototype, name, name === "__update" ? "User.update" : `Chat.${name}`);
  }
  const start = Chat.init;
  Chat.init = async function (config) {
    const chat = await start.call(this, config);
    try {
      const logger = config?.errorLogger;
      if (typeof logger?.setItem === "function") errorLoggers.set(chat, logger);
    } catch {
      // Reading the caller's config again is best effort: init itself already succeeded.
    }
    return chat;
  };
  wrapAsync(Chat, "init", "Chat.init");
  Chat.prototype.free = function free() {
    this.destroy();
  };
  if (typeof Symbol.dispose === "symbol") Chat.prototype[Symbol.dispose] = Chat.prototype.free;
  // console.log(chat) / util.inspect(chat) in Node: the current user, not the wasm pointer.
  Chat.prototype[Symbol.for("nodejs.util.inspect.custom")] = function (depth, options, inspect) {
    return "Chat " + inspect({ currentUser: this.currentUser.toJSON() }, options);
  };
}
