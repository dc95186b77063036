//! App Context events (`e: 2`): what a change to a user publishes on the user's channel.

use crate::patch::Changeset;
use std::fmt::{self, Write};

/// What happened to a user.
#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    /// Created or changed: the changeset of what changed.
    Set(Box<Changeset>),
    /// Hard-deleted.
    Delete {
        /// The user id.
        id: String,
    },
}

/// An event with its timetoken, published on channel `channel` (the user id).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Channel the event is published on (the user id).
    pub channel: String,
    /// 17-digit timetoken of the event.
    pub timetoken: u64,
    /// What happened.
    pub kind: EventKind,
}

impl Event {
    /// The user id the event is about.
    pub fn user_id(&self) -> &str {
        match &self.kind {
            EventKind::Set(cs) => &cs.id,
            EventKind::Delete { id } => id,
        }
    }

    /// Writes the `d` payload: `{"source":"objects","version":"2.0","event":…,"type":"uuid","data":…}`.
    pub fn write_payload(&self, out: &mut impl Write) -> fmt::Result {
        let name = match self.kind {
            EventKind::Set(_) => "set",
            EventKind::Delete { .. } => "delete",
        };
        write!(
            out,
            r#"{{"source":"objects","version":"2.0","event":"{name}","type":"uuid","data":"#
        )?;
        match &self.kind {
            EventKind::Set(cs) => cs.write_json(out)?,
            EventKind::Delete { id } => {
                out.write_str("{\"id\":")?;
                crate::json::write_str(out, id)?;
                out.write_char('}')?;
            }
        }
        out.write_char('}')
    }

    /// The payload as a string.
    pub fn payload_json(&self) -> String {
        let mut s = String::with_capacity(160);
        let _ = self.write_payload(&mut s);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delete_payload() {
        let e = Event {
            channel: "u1".into(),
            timetoken: 17_000_000_000_000_001,
            kind: EventKind::Delete { id: "u1".into() },
        };
        assert_eq!(
            e.payload_json(),
            r#"{"source":"objects","version":"2.0","event":"delete","type":"uuid","data":{"id":"u1"}}"#
        );
        assert_eq!(e.user_id(), "u1");
    }
}
