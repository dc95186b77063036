//! ferrochat: a chat-user SDK whose core is Rust compiled to WebAssembly.
//!
//! This crate is the thin binding layer: the JS classes [`Chat`] and [`User`], the
//! conversions between JS values and ferrochat-core types ([`convert`]), error mapping
//! ([`error`]), subscriptions ([`subscriptions`]) and the backends ([`backend`]). Every
//! rule about users lives in `ferrochat-core`.
#![warn(missing_docs)]

pub mod backend;
mod bulk;
mod chat;
pub mod convert;
pub mod error;
pub mod subscriptions;
mod timer;
mod user;

pub use chat::Chat;
pub use user::User;

use wasm_bindgen::prelude::*;

/// Installs the panic hook (a panic is a bug: it would poison the module, so report it).
#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

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
/** Passed to `addConnectionStatusListener` callbacks. */
export type ConnectionStatus = { category: string; reason: string; userId: string; soft?: boolean };
"#;
