//! ferrochat: a chat-user SDK whose core is Rust compiled to WebAssembly.
//!
//! This crate is the skin over `ferrochat-client` (which holds every decision): the JS
//! class [`Chat`] ([`chat`]), the Rust side of the JS class `User` (`js/user.js`; the
//! `user` module), the conversions between JS values and Rust ([`convert`], the only code
//! that touches a caller's value), error mapping ([`error`]) and the I/O driver
//! ([`driver`]: requests, timers, callbacks from a clean stack).
#![warn(missing_docs)]

mod chat;
pub mod convert;
pub mod driver;
pub mod error;
mod user;

pub use chat::Chat;

/// Talc instead of std's dlmalloc: smaller wasm, and as fast (bench/README.md).
#[cfg(all(not(target_feature = "atomics"), target_family = "wasm"))]
#[global_allocator]
static TALC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
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
/** `Chat.init` configuration. No `subscribeKey` selects the embedded store. */
export type ChatConfig = {
  userId: string;
  publishKey?: string;
  subscribeKey?: string;
  secretKey?: string;
  authKey?: string;
  origin?: string;
  ssl?: boolean;
  storeUserActivityTimestamps?: boolean;
  storeUserActivityInterval?: number;
};
/** Options of `delete` / `deleteUser`. */
export type DeleteOptions = { soft?: boolean };
/** Parameters of `getUsers`. */
export type GetUsersParams = {
  filter?: string;
  sort?: { [field: string]: "asc" | "desc" | null };
  limit?: number;
  page?: { next?: string; prev?: string };
};
/** Result of `getUsers`. */
export type GetUsersResult = { users: User[]; page: { next?: string; prev?: string }; total?: number };
/** What `user.toJSON()` returns: the fields that are set. */
export type UserJSON = Omit<UserFields, "id"> & { id: string; updated?: string };
/** Options of `chat.deleteUsers`. */
export type BulkDeleteOptions = {
  soft?: boolean;
  allowAll?: boolean;
  rate?: number;
  concurrency?: number;
  onProgress?: (progress: { done: number; total: number; failed: number }) => unknown;
};
/** Result of `chat.deleteUsers`. */
export type BulkDeleteResult = {
  operationId: string;
  deleted: string[];
  failed: { id: string; error: Error & { code: string } }[];
};
/** A chat user. Objects are immutable snapshots: `update` and events give new ones. */
export class User {
  /** Not callable: users come from `Chat` methods (`getUser`, `createUser`, ...). */
  private constructor();
  /** Unique user identifier. */
  readonly id: string;
  /** Display name. */
  readonly name: string | undefined;
  /** Identifier in an external system. */
  readonly externalId: string | undefined;
  /** URL of the profile picture. */
  readonly profileUrl: string | undefined;
  /** Email address. */
  readonly email: string | undefined;
  /** Role tag, e.g. `"moderator"`. */
  readonly type: string | undefined;
  /** State tag, e.g. `"active"`, or `"deleted"` after a soft delete. */
  readonly status: string | undefined;
  /** Custom data (frozen). */
  readonly custom: ObjectCustom | undefined;
  /** When the user was last changed (RFC 3339). */
  readonly updated: string | undefined;
  /**
   * Last activity time (ms since the epoch), stored in `custom.lastActiveTimestamp`
   * when the Chat runs with `storeUserActivityTimestamps`.
   */
  readonly lastActiveTimestamp: number | undefined;
  /** Whether the user was active within the Chat's `storeUserActivityInterval`. */
  readonly active: boolean;
  /** Updates this user (see `Chat.updateUser`); resolves a new `User`. */
  update(data: UserData): Promise<User>;
  /** Hard delete (resolves `true`) or soft delete with `{ soft: true }` (resolves the updated `User`). */
  delete(options?: DeleteOptions): Promise<true | User>;
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
/** Passed to `addConnectionStatusListener` callbacks. */
export type ConnectionStatus = { category: string; reason: string; userId: string; soft?: boolean };
"#;
