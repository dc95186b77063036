//! SQLite persistence: the write-through copy of the in-memory store.
//!
//! Three tables: `users` (one JSON record per id, as `json::user_to_json` writes it),
//! `events` (recent events for catch-up across restarts) and `meta` (the last timetoken
//! handed out, so timetokens stay monotonic across restarts). WAL journal; every write is
//! one transaction committed before the request is answered.

use crate::hub::{EventType, StoredEvent, KEEP_LAST, MAX_AGE_TICKS, RETENTION_TICKS};
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
    /// Events still inside the retention window, oldest first.
    pub events: Vec<StoredEvent>,
    /// The largest timetoken ever handed out by a write.
    pub last_timetoken: u64,
    /// Rows that could not be read back (skipped, logged).
    pub skipped: usize,
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

    /// Reads everything back; events older than [`MAX_AGE_TICKS`] before `now_ticks` are
    /// left out (the hub applies the rest of the retention rule).
    pub fn load(&self, now_ticks: u64) -> rusqlite::Result<Loaded> {
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
        let cutoff = now_ticks.saturating_sub(MAX_AGE_TICKS);
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
        let last: Option<String> = self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [LAST_TT], |r| {
                r.get(0)
            })
            .optional()?;
        let max_event: Option<i64> =
            self.conn
                .query_row("SELECT MAX(tt) FROM events", [], |r| r.get(0))?;
        loaded.last_timetoken = last
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
            .max(max_event.unwrap_or(0).max(0) as u64);
        Ok(loaded)
    }

    /// Stores (or replaces) `user` and its event in one transaction.
    pub fn put_user(&mut self, user: &User, event: &StoredEvent) -> rusqlite::Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT OR REPLACE INTO users (id, record) VALUES (?1, ?2)",
            params![user.id, user_to_json(user, true)],
        )?;
        insert_event(&tx, event)?;
        tx.commit()
    }

    /// Deletes user `id` and stores its delete event in one transaction.
    pub fn delete_user(&mut self, id: &str, event: &StoredEvent) -> rusqlite::Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM users WHERE id = ?1", [id])?;
        insert_event(&tx, event)?;
        tx.commit()
    }

    /// Stores a published message.
    pub fn put_event(&mut self, event: &StoredEvent) -> rusqlite::Result<()> {
        let tx = self.conn.transaction()?;
        insert_event(&tx, event)?;
        tx.commit()
    }

    /// Deletes expired events, with the hub's rule: older than 24 hours, or older than 20
    /// minutes and not among the last 100 of their channel.
    pub fn prune(&mut self, now_ticks: u64) -> rusqlite::Result<usize> {
        let recent = to_sql(now_ticks.saturating_sub(RETENTION_TICKS));
        let oldest = to_sql(now_ticks.saturating_sub(MAX_AGE_TICKS));
        self.conn.execute(
            "DELETE FROM events WHERE tt < ?1 OR (tt < ?2 AND tt IN (
                SELECT tt FROM (
                    SELECT tt, ROW_NUMBER() OVER (PARTITION BY channel ORDER BY tt DESC) AS n
                    FROM events
                ) WHERE n > ?3
            ))",
            params![oldest, recent, KEEP_LAST as i64],
        )
    }
}

fn insert_event(tx: &rusqlite::Transaction<'_>, event: &StoredEvent) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO events (tt, channel, kind, payload, publisher, meta, message_type)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            to_sql(event.timetoken),
            event.channel,
            event.kind.code(),
            event.payload,
            event.publisher,
            event.meta,
            event.message_type,
        ],
    )?;
    tx.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![LAST_TT, event.timetoken.to_string()],
    )?;
    Ok(())
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
            let mut u = User::new("u1");
            u.set(StrField::Name, Some("Ann".into()));
            u.updated = "x".into();
            u.etag = "e".into();
            db.put_user(&u, &ev(NOW - MAX_AGE_TICKS - 1, "u1")).unwrap();
            for i in 0..(KEEP_LAST as u64 + 3) {
                db.put_event(&ev(NOW - RETENTION_TICKS - 1000 + i, "busy"))
                    .unwrap();
            }
            db.put_user(&u, &ev(NOW, "u1")).unwrap();
            let mut gone = User::new("u2");
            gone.updated = "x".into();
            gone.etag = "e".into();
            db.put_user(&gone, &ev(NOW + 10, "u2")).unwrap();
            db.delete_user("u2", &ev(NOW + 20, "u2")).unwrap();
            assert!(
                db.put_event(&ev(NOW, "dup")).is_err(),
                "timetokens are unique"
            );
        }
        let mut db = Db::open(Some(&path)).unwrap();
        let loaded = db.load(NOW + 30).unwrap();
        assert_eq!(loaded.users.len(), 1);
        assert_eq!(loaded.users[0].get(StrField::Name), Some("Ann"));
        assert_eq!(
            loaded.events.len(),
            3 + KEEP_LAST + 3,
            "the day-old event is not loaded"
        );
        assert_eq!(loaded.last_timetoken, NOW + 20);
        // The day-old event and the 3 oldest of "busy" go; the last 100 of "busy" stay.
        assert_eq!(db.prune(NOW + 30).unwrap(), 1 + 3);
        assert_eq!(db.load(NOW + 30).unwrap().events.len(), 3 + KEEP_LAST);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
