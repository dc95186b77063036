// The hand-written part of ferrochat's declarations: scripts/build.mjs puts it before the
// `Chat` class wasm-bindgen declares (whose method signatures name these types). Checked by
// tests/types (tsc --strict, then run against the package).

declare global {
  // `using chat = await Chat.init(…)` needs `Symbol.dispose`; declared here too, so the
  // types compile with libs older than esnext.disposable (TypeScript merges the two).
  interface SymbolConstructor {
    readonly dispose: unique symbol;
  }
}

/** Custom data: scalar values only. */
export type ObjectCustom = { [key: string]: string | number | boolean };

/** The user fields (`UserFields`) as documented. */
export type UserFields = {
  id: string;
  name?: string;
  externalId?: string;
  profileUrl?: string;
  email?: string;
  custom?: ObjectCustom;
  status?: string;
  type?: string;
};

/** What createUser / updateUser / update take: `UserFields` without `id`; `null` clears a field. */
export type UserData = { [K in keyof Omit<UserFields, "id">]?: Omit<UserFields, "id">[K] | null };

/** Stable error codes (`error.code`). `HTTP_<status>` carries a server's status. */
export type ErrorCode =
  | "ID_REQUIRED"
  | "USER_NOT_FOUND"
  | "USER_EXISTS"
  | "EMPTY_USER_LIST"
  | "INVALID_ARGUMENT"
  | "CONFLICT"
  | "CURRENT_USER_DELETED"
  | "USER_DELETED"
  | "REFUSED_ALL_USERS"
  | "DESTROYED"
  | "NETWORK"
  | "TIMEOUT"
  | "MALFORMED_RESPONSE"
  | `HTTP_${number}`;

/**
 * Every error ferrochat rejects or throws with. `instanceof ChatError` holds for all of
 * them; `cause` is what the caller's own value threw, when that is why.
 */
export class ChatError extends Error {
  constructor(message: string, code: ErrorCode, status?: number, cause?: unknown);
  /** Always `"ChatError"`. */
  readonly name: "ChatError";
  /** The stable code. */
  readonly code: ErrorCode;
  /** The HTTP status, for `HTTP_<status>` errors. */
  readonly status?: number;
}

/** How much ferrochat logs (`"none"` by default). PubNub's numeric `LogLevel` works too. */
export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "none" | number;

/** Where log lines go (each method optional; `console` is one). */
export type Logger = {
  trace?(message: string): void;
  debug?(message: string): void;
  info?(message: string): void;
  warn?(message: string): void;
  error?(message: string): void;
};

/** The Chat SDK's error logger: called with every failure of a method. */
export type ErrorLogger = { setItem(key: string, params: { error: unknown; thrownFunctionArguments: unknown }): unknown };

/**
 * `Chat.init` configuration: the PubNub Chat SDK's and the PubNub client's options. No
 * `subscribeKey` selects the embedded store. Options ferrochat has no use for are
 * accepted and ignored (logged at debug level); see the README's table.
 */
export type ChatConfig = ({ userId: string; uuid?: string } | { uuid: string; userId?: string }) & {
  /** Publish key (also signs requests with `secretKey`). */
  publishKey?: string;
  /** Subscribe key: selects the network backend. */
  subscribeKey?: string;
  /** Secret key: requests are signed (v2). Server-side only. */
  secretKey?: string;
  /** Access token / auth key, sent as `auth`. */
  authKey?: string;
  /** `host[:port]` or `http(s)://host[:port]` (default: the PubNub network). */
  origin?: string;
  /** HTTPS (default `true`). */
  ssl?: boolean;
  /** Write `custom.lastActiveTimestamp` every `storeUserActivityInterval`. */
  storeUserActivityTimestamps?: boolean;
  /** Activity interval in ms (≥ 60000, default 600000). */
  storeUserActivityInterval?: number;
  /** Timeout of one request attempt, in seconds (default 15). */
  transactionalRequestTimeout?: number;
  /** Timeout of a subscribe long-poll, in seconds (default 310). */
  subscribeRequestTimeout?: number;
  /** What to log (default `"none"`). */
  logLevel?: LogLevel;
  /** `true` logs at debug level (the PubNub SDKs' switch). */
  logVerbosity?: boolean;
  /** Where to log (default `console`). */
  logger?: Logger;
  /** PubNub's loggers: each gets every line. */
  loggers?: Logger[];
  /** The Chat SDK's error logger. */
  errorLogger?: ErrorLogger;
  /** Accepted; a stream always resumes from where it was (catch-up). */
  restore?: boolean;
  /** Accepted; Node keeps connections alive anyway. */
  keepAlive?: boolean;
  /** Accepted and ignored (ferrochat sends no presence heartbeats). */
  heartbeatInterval?: number;
  /** Accepted and ignored. */
  presenceTimeout?: number;
  // Options of the PubNub client and the Chat SDK that ferrochat accepts and ignores.
  saveDebugLog?: unknown;
  typingTimeout?: unknown;
  pushNotifications?: unknown;
  rateLimitFactor?: unknown;
  rateLimitPerChannel?: unknown;
  customPayloads?: unknown;
  syncMutedUsers?: unknown;
  fileRequestTimeout?: unknown;
  useInstanceId?: unknown;
  suppressLeaveEvents?: unknown;
  requestMessageCountThreshold?: unknown;
  autoNetworkDetection?: unknown;
  listenToBrowserNetworkEvents?: unknown;
  enableEventEngine?: unknown;
  retryConfiguration?: unknown;
  maintainPresenceState?: unknown;
  useSmartHeartbeat?: unknown;
  sdkName?: unknown;
  partnerId?: unknown;
  keepAliveSettings?: unknown;
  cryptoModule?: unknown;
  cipherKey?: unknown;
  useRandomIVs?: unknown;
  customEncrypt?: unknown;
  customDecrypt?: unknown;
  fileUploadPublishRetryLimit?: unknown;
  dedupeOnSubscribe?: unknown;
  maximumCacheSize?: unknown;
  announceSuccessfulHeartbeats?: unknown;
  announceFailedHeartbeats?: unknown;
  useRequestId?: unknown;
  subscriptionWorkerUrl?: unknown;
};

/** Options of `delete` / `deleteUser` (the Chat SDK's name). */
export type DeleteParameters = { soft?: boolean };
/** The same as `DeleteParameters`. */
export type DeleteOptions = DeleteParameters;

/** The fields `getUsers` sorts by. */
export type SortField = "id" | "name" | "externalId" | "profileUrl" | "email" | "type" | "status" | "updated";

/** Parameters of `getUsers`. */
export type GetUsersParams = {
  filter?: string;
  /** Keys applied in order (default `updated` ascending; ties by id); one bare key sorts ascending. */
  sort?: SortField | { [K in SortField]?: "asc" | "desc" | null };
  limit?: number;
  page?: { next?: string; prev?: string };
};

/** Result of `getUsers` (`page.prev` pages backward). */
export type GetUsersResult = {
  users: User[];
  page: { next: string | undefined; prev: string | undefined };
  total: number;
};

/** What `user.toJSON()` returns: the fields that are set. */
export type UserJSON = Omit<UserFields, "id"> & { id: string; updated?: string };

/** Progress of `chat.deleteUsers`, after every user. */
export type BulkProgress = { done: number; total: number; failed: number };

/** Options of `chat.deleteUsers`. */
export type BulkDeleteOptions = {
  /** Archive (soft delete) instead of delete. */
  soft?: boolean;
  /** Allow a filter that selects every user. */
  allowAll?: boolean;
  /** Users per second (default 100). */
  rate?: number;
  /** Deletes in flight at most (1–64, default 8). */
  concurrency?: number;
  /** Called after every user. */
  onProgress?: (progress: BulkProgress) => unknown;
  /** Stops the operation: what is in flight finishes, nothing new starts. */
  signal?: AbortSignal;
};

/** Result of `chat.deleteUsers`. */
export type BulkDeleteResult = {
  operationId: string;
  deleted: string[];
  failed: { id: string; error: ChatError }[];
  /** Whether `signal` stopped it before the end. */
  aborted: boolean;
};

/** Passed to `addConnectionStatusListener` callbacks. */
export type ConnectionStatus = { category: string; reason: string; userId: string; soft?: boolean };

/** A chat user. Objects are immutable snapshots: `update` and events give new ones. */
export class User {
  /** Not callable: users come from `Chat` methods (`getUser`, `createUser`, ...). */
  private constructor();
  /** Unique user identifier. */
  readonly id: string;
  /** Display name. */
  readonly name?: string;
  /** Identifier in an external system. */
  readonly externalId?: string;
  /** URL of the profile picture. */
  readonly profileUrl?: string;
  /** Email address. */
  readonly email?: string;
  /** Custom data (frozen). */
  readonly custom?: ObjectCustom;
  /** State tag, e.g. `"active"`, or `"deleted"` after a soft delete. */
  readonly status?: string;
  /** Role tag, e.g. `"moderator"`. */
  readonly type?: string;
  /** When the user was last changed (RFC 3339). */
  readonly updated?: string;
  /**
   * Last activity time (ms since the epoch), stored in `custom.lastActiveTimestamp`
   * when the Chat runs with `storeUserActivityTimestamps`.
   */
  readonly lastActiveTimestamp?: number;
  /** Whether the user was active within the Chat's `storeUserActivityInterval`. */
  get active(): boolean;
  /** Updates this user (see `Chat.updateUser`); resolves a new `User`. */
  update(data: UserData): Promise<User>;
  /** Hard delete (resolves `true`) or soft delete with `{ soft: true }` (resolves the updated `User`). */
  delete(params?: DeleteParameters): Promise<true | User>;
  /** Clears the `"deleted"` status (ferrochat addition); resolves the restored `User`. */
  restore(): Promise<User>;
  /**
   * Calls `callback` with the user's latest state on every change, from any client.
   * Returns a function that stops the stream (calling it twice is harmless).
   */
  streamUpdates(callback: (user: User) => unknown): () => void;
  /**
   * Calls `callback` with the updated user on every change until the user is
   * hard-deleted (ferrochat addition). Returns an unsubscribe function.
   */
  onUpdated(callback: (user: User) => unknown): () => void;
  /**
   * Calls `callback` with `{ id, soft }` when the user is soft- or hard-deleted
   * (ferrochat addition). Returns an unsubscribe function.
   */
  onDeleted(callback: (info: { id: string; soft: boolean }) => unknown): () => void;
  /**
   * Streams updates of several users: `callback` gets the whole list, in input order,
   * with the changed entry replaced; a hard-deleted user leaves the list. Throws
   * `Cannot stream user updates on an empty list` for `[]`.
   */
  static streamUpdatesOn(users: User[], callback: (users: User[]) => unknown): () => void;
  /** A plain object with the fields that are set (used by `JSON.stringify`). */
  toJSON(): UserJSON;
}
