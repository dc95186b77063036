//! Sorting of user lists: `field`, `field:asc`, `field:desc`, several keys.

use crate::error::{ChatError, Result};
use crate::model::{StrField, User};
use std::cmp::Ordering;

/// What a sort key orders by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortField {
    /// `id`
    Id,
    /// `updated`
    Updated,
    /// A standard string field (`name`, `status`, `type`, `email`, `externalId`, `profileUrl`).
    Str(StrField),
}

/// One sort key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKey {
    /// The field.
    pub field: SortField,
    /// Descending when true.
    pub desc: bool,
}

impl SortKey {
    /// Parses one `field[:asc|:desc]` item.
    pub fn parse(item: &str) -> Result<SortKey> {
        let (name, dir) = match item.split_once(':') {
            Some((n, d)) => (n.trim(), d.trim()),
            None => (item.trim(), "asc"),
        };
        let desc = match dir {
            "asc" | "" => false,
            "desc" => true,
            other => {
                return Err(ChatError::invalid(format!(
                    "sort direction for '{name}' must be \"asc\" or \"desc\" (got \"{other}\")"
                )))
            }
        };
        Ok(SortKey {
            field: SortKey::field(name)?,
            desc,
        })
    }

    /// The sort field with this name.
    pub fn field(name: &str) -> Result<SortField> {
        match name {
            "id" => Ok(SortField::Id),
            "updated" => Ok(SortField::Updated),
            other => StrField::from_name(other).map(SortField::Str).ok_or_else(|| {
                ChatError::invalid(format!(
                    "cannot sort by '{other}' (use id, name, updated, status, type, email, externalId or profileUrl)"
                ))
            }),
        }
    }

    /// Parses a list of items, each possibly comma-joined (`id:asc,updated:desc`).
    pub fn parse_all<'a>(items: impl IntoIterator<Item = &'a str>) -> Result<Vec<SortKey>> {
        items
            .into_iter()
            .flat_map(|s| s.split(','))
            .filter(|s| !s.trim().is_empty())
            .map(SortKey::parse)
            .collect()
    }

    /// The wire form, `field:asc|desc`.
    pub fn to_wire(&self) -> String {
        let name = match self.field {
            SortField::Id => "id",
            SortField::Updated => "updated",
            SortField::Str(f) => f.name(),
        };
        format!("{name}:{}", if self.desc { "desc" } else { "asc" })
    }

    fn compare(&self, a: &User, b: &User) -> Ordering {
        let o = match self.field {
            SortField::Id => a.id.cmp(&b.id),
            SortField::Updated => a.updated.cmp(&b.updated),
            SortField::Str(f) => a.get(f).cmp(&b.get(f)),
        };
        if self.desc {
            o.reverse()
        } else {
            o
        }
    }
}

/// The default order when no key is given: by `updated`, oldest first.
pub const DEFAULT_SORT: [SortKey; 1] = [SortKey {
    field: SortField::Updated,
    desc: false,
}];

/// Compares two users by `keys`, then by id so that the order is total (unset fields
/// sort before set ones).
pub fn compare(keys: &[SortKey], a: &User, b: &User) -> Ordering {
    keys.iter()
        .map(|k| k.compare(a, b))
        .find(|o| o.is_ne())
        .unwrap_or_else(|| a.id.cmp(&b.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(id: &str, name: Option<&str>, updated: &str) -> User {
        let mut u = User::new(id);
        u.set(StrField::Name, name.map(str::to_string));
        u.updated = updated.into();
        u
    }

    #[test]
    fn parse_forms() {
        let keys = SortKey::parse_all(["name:desc,updated", "id:asc"]).unwrap();
        assert_eq!(keys.len(), 3);
        assert!(keys[0].desc && !keys[1].desc);
        assert_eq!(keys[1].to_wire(), "updated:asc");
        assert!(SortKey::parse("bogus").is_err());
        assert!(SortKey::parse("name:sideways").is_err());
    }

    #[test]
    fn multi_key_with_nulls_first_and_id_tiebreak() {
        let mut v = [
            u("c", Some("Bo"), "2"),
            u("a", None, "3"),
            u("b", Some("Bo"), "1"),
            u("d", Some("Al"), "1"),
        ];
        let keys = SortKey::parse_all(["name", "updated:desc"]).unwrap();
        v.sort_by(|a, b| compare(&keys, a, b));
        let ids: Vec<_> = v.iter().map(|u| u.id.as_str()).collect();
        assert_eq!(ids, ["a", "d", "c", "b"]);
        v.sort_by(|a, b| compare(&DEFAULT_SORT, a, b));
        let ids: Vec<_> = v.iter().map(|u| u.id.as_str()).collect();
        assert_eq!(ids, ["b", "d", "c", "a"]);
    }
}
