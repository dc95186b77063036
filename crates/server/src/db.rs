//! SQLite persistence: the write-through copy of the in-memory store.
//!
//! Three tables: `users` (one JSON record per id, as `json::user_to_json` writes it),
//! `events` (the events the hub keeps, for catch-up across restarts) and `meta` (the last
//! timetoken handed out, so timetokens stay monotonic across restarts, and the newest
//! timetoken ever dropped, so a restart can tell a subscriber it missed events). WAL
//! journal. The writer commits a whole batch of writes in one transaction
//! ([`Db::commit`]) before any of them is acknowledged.

use crate::hub::{EventType, StoredEvent};
use crate::wire::user_from_stored;
use ferrochat_core::json::user_to_json;
use ferrochat_core::User;
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;

/// The database connection.
#[derive(Debug)]
pub struct Db {
    conn: Connection,
}

/// What the database held at start.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Every user.
    pub users: Vec<User>,
    /// Events not older than the cutoff, oldest first.
    pub events: Vec<StoredEvent>,
    /// The largest timetoken ever handed out by a write.
    pub last_timetoken: u64,
    /// The newest timetoken ever dropped; `None` for a database that has never run.
    pub dropped_through: Option<u64>,
    /// Rows that could not be read back (skipped, logged).
    pub skipped: usize,
}

/// A change to the users table.
#[derive(Debug, Clone, Copy)]
pub enum UserWrite<'a> {
    /// Store (or replace) this record.
    Put(&'a User),
    /// Delete the user with this id.
    Delete(&'a str),
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY NOT NULL, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    tt INTEGER PRIMARY KEY NOT NULL,
    channel TEXT NOT NULL,
    kind INTEGER NOT NULL,
    payload TEXT NOT NULL,
    publisher TEXT,
    meta TEXT,
    message_type TEXT
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
";

const LAST_TT: &str = "last_timetoken";
const DROPPED: &str = "dropped_through";
const PUT_META: &str = "INSERT INTO meta (key, value) VALUES (?1, ?2)
     ON CONFLICT(key) DO UPDATE SET value = excluded.value";

impl Db {
    /// Opens (creating if needed) the database at `path`, or an in-memory one.
    pub fn open(path: Option<&Path>) -> rusqlite::Result<Db> {
        let conn = match path {
            Some(p) => Connection::open(p)?,
            None => Connection::open_in_memory()?,
        };
        // WAL + NORMAL: a committed transaction survives a process crash (kill -9).
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        Ok(Db { conn })
    }

    /// Reads everything back; events older than `cutoff` (a timetoken) are left out.
    pub fn load(&self, cutoff: u64) -> rusqlite::Result<Loaded> {
        let mut loaded = Loaded::default();
        let mut stmt = self.conn.prepare("SELECT id, record FROM users")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        for row in rows {
            let (id, record) = row?;
            match user_from_stored(&record) {
                Some(user) if user.id == id => loaded.users.push(user),
                _ => {
                    tracing::warn!(%id, "skipping an unreadable user record");
                    loaded.skipped += 1;
                }
            }
        }
        let mut stmt = self.conn.prepare(
            "SELECT tt, channel, kind, payload, publisher, meta, message_type
             FROM events WHERE tt >= ?1 ORDER BY tt",
        )?;
        let rows = stmt.query_map([to_sql(cutoff)], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                StoredEvent {
                    timetoken: 0,
                    channel: String::new(),
                    kind: EventType::Message,
                    payload: r.get(3)?,
                    publisher: r.get(4)?,
                    meta: r.get(5)?,
                    message_type: r.get(6)?,
                },
            ))
        })?;
        for row in rows {
            let (tt, channel, kind, mut event) = row?;
            match EventType::from_code(kind) {
                Some(kind) if tt > 0 => {
                    event.timetoken = tt as u64;
                    event.channel = channel;
                    event.kind = kind;
                    loaded.events.push(event);
                }
                _ => loaded.skipped += 1,
            }
        }
        let meta = |key: &str| -> rusqlite::Result<Option<u64>> {
            let v: Option<String> = self
                .conn
                .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                .optional()?;
            Ok(v.and_then(|v| v.parse().ok()))
        };
        let max_event: Option<i64> =
            self.conn
                .query_row("SELECT MAX(tt) FROM events", [], |r| r.get(0))?;
        loaded.last_timetoken = meta(LAST_TT)?
            .unwrap_or(0)
            .max(max_event.unwrap_or(0).max(0) as u64);
        loaded.dropped_through = meta(DROPPED)?;
        Ok(loaded)
    }

    /// Deletes the events older than `cutoff` (at start: they were not loaded).
    pub fn delete_events_before(&mut self, cutoff: u64) -> rusqlite::Result<usize> {
        self.conn
            .execute("DELETE FROM events WHERE tt < ?1", [to_sql(cutoff)])
    }

    /// Commits one batch in one transaction: user changes, new events, events the hub
    /// dropped, the last timetoken handed out and the newest one dropped. Nothing is
    /// written if any of it fails.
    pub fn commit(
        &mut self,
        users: &[UserWrite<'_>],
        events: &[StoredEvent],
        dropped: &[u64],
        last_timetoken: u64,
        dropped_through: Option<u64>,
    ) -> rusqlite::Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut put =
                tx.prepare_cached("INSERT OR REPLACE INTO users (id, record) VALUES (?1, ?2)")?;
            let mut delete = tx.prepare_cached("DELETE FROM users WHERE id = ?1")?;
            for write in users {
                match write {
                    UserWrite::Put(user) => {
                        put.execute(params![user.id, user_to_json(user, true)])?;
                    }
                    UserWrite::Delete(id) => {
                        delete.execute([id])?;
                    }
                }
            }
            let mut insert = tx.prepare_cached(
                "INSERT INTO events (tt, channel, kind, payload, publisher, meta, message_type)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for event in events {
                insert.execute(params![
                    to_sql(event.timetoken),
                    event.channel,
                    event.kind.code(),
                    event.payload,
                    event.publisher,
                    event.meta,
                    event.message_type,
                ])?;
            }
            let mut forget = tx.prepare_cached("DELETE FROM events WHERE tt = ?1")?;
            for tt in dropped {
                forget.execute([to_sql(*tt)])?;
            }
            let mut meta = tx.prepare_cached(PUT_META)?;
            if !events.is_empty() {
                meta.execute(params![LAST_TT, last_timetoken.to_string()])?;
            }
            if let Some(mark) = dropped_through {
                meta.execute(params![DROPPED, mark.to_string()])?;
            }
        }
        tx.commit()
    }
}

/// Timetokens (17 digits) fit an `i64` until the year 2262.
fn to_sql(tt: u64) -> i64 {
    i64::try_from(tt).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrochat_core::model::StrField;

    const NOW: u64 = 17_500_000_000_000_000;

    fn ev(tt: u64, channel: &str) -> StoredEvent {
        StoredEvent {
            timetoken: tt,
            channel: channel.into(),
            kind: EventType::Object,
            payload: "{}".into(),
            publisher: None,
            meta: None,
            message_type: None,
        }
    }

    #[test]
    fn round_trip_on_disk() {
        let dir = std::env::temp_dir().join(format!("ferrochat-db-test-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("t.db");
        let _ = std::fs::remove_file(&path);
        {
            let mut db = Db::open(Some(&path)).unwrap();
            assert_eq!(db.load(0).unwrap().dropped_through, None, "never run");
            let mut u = User::new("u1");
            u.set(StrField::Name, Some("Ann".into()));
            u.updated = "x".into();
            u.etag = "e".into();
            let mut gone = User::new("u2");
            gone.updated = "x".into();
            gone.etag = "e".into();
            db.commit(
                &[UserWrite::Put(&u), UserWrite::Put(&gone)],
                &[ev(NOW - 100, "u1"), ev(NOW, "u1"), ev(NOW + 10, "u2")],
                &[],
                NOW + 10,
                Some(1),
            )
            .unwrap();
            db.commit(
                &[UserWrite::Delete("u2")],
                &[ev(NOW + 20, "u2")],
                &[NOW],
                NOW + 20,
                Some(NOW),
            )
            .unwrap();
            // A failing batch writes nothing (timetokens are unique).
            assert!(db
                .commit(
                    &[UserWrite::Delete("u1")],
                    &[ev(NOW + 20, "dup")],
                    &[],
                    NOW + 30,
                    None
                )
                .is_err());
        }
        let mut db = Db::open(Some(&path)).unwrap();
        let loaded = db.load(NOW - 50).unwrap();
        assert_eq!(loaded.users.len(), 1);
        assert_eq!(loaded.users[0].get(StrField::Name), Some("Ann"));
        let tts: Vec<u64> = loaded.events.iter().map(|e| e.timetoken).collect();
        assert_eq!(
            tts,
            [NOW + 10, NOW + 20],
            "dropped and too-old events are not loaded"
        );
        assert_eq!(loaded.last_timetoken, NOW + 20);
        assert_eq!(loaded.dropped_through, Some(NOW));
        assert_eq!(db.delete_events_before(NOW - 50).unwrap(), 1);
        assert_eq!(db.load(0).unwrap().events.len(), 2);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
