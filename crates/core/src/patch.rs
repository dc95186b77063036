//! Patch semantics and changesets.
//!
//! A patch says, per field, keep / clear / set. `custom` is replaced as a whole. Applying a
//! patch yields the new record and a [`Changeset`] of exactly the fields that changed,
//! which is what App Context `set` events carry and what clients merge.

use crate::error::Result;
use crate::json::{write_custom, write_key, write_str};
use crate::model::{Custom, StrField, User};
use crate::validate::validate_record;
use std::fmt::{self, Write};

/// One field of a patch.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Patch<T> {
    /// Leave the field as it is (field absent or `undefined`).
    #[default]
    Keep,
    /// Clear the field (`null`).
    Clear,
    /// Set the field.
    Set(T),
}

impl<T: Clone> Patch<T> {
    fn apply(&self, current: &Option<T>) -> Option<T> {
        match self {
            Patch::Keep => current.clone(),
            Patch::Clear => None,
            Patch::Set(v) => Some(v.clone()),
        }
    }
}

/// A patch of user fields (`UserFields` without `id`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserPatch {
    /// String fields, indexed by [`StrField::idx`].
    pub fields: [Patch<String>; 6],
    /// `custom`, replaced as a whole.
    pub custom: Patch<Custom>,
}

impl UserPatch {
    /// Sets a string field of the patch.
    pub fn with(mut self, field: StrField, value: Patch<String>) -> Self {
        self.fields[field.idx()] = value;
        self
    }

    /// Whether the patch changes nothing at all.
    pub fn is_empty(&self) -> bool {
        self.fields.iter().all(|p| *p == Patch::Keep) && self.custom == Patch::Keep
    }

    /// Applies the patch to `base` (or to an empty record with `id` when `base` is `None`)
    /// and validates the result. Returns `None` when nothing changed on an existing record.
    /// The returned user still lacks its new `updated`/`eTag` (see [`stamp`]).
    pub fn apply(&self, id: &str, base: Option<&User>) -> Result<Option<(User, Changeset)>> {
        let empty = User::new(id);
        let old = base.unwrap_or(&empty);
        let mut new = old.clone();
        let mut cs = Changeset::new(id);
        for f in StrField::ALL {
            let value = self.fields[f.idx()].apply(&old.fields[f.idx()]);
            if value != old.fields[f.idx()] {
                cs.fields[f.idx()] = Some(value.clone());
            }
            new.fields[f.idx()] = value;
        }
        new.custom = self.custom.apply(&old.custom);
        if new.custom != old.custom {
            cs.custom = Some(new.custom.clone());
        }
        if base.is_some() && cs.is_empty() {
            return Ok(None);
        }
        validate_record(&new)?;
        Ok(Some((new, cs)))
    }
}

/// Gives a changed record and its changeset their new version stamps.
pub fn stamp(user: &mut User, cs: &mut Changeset, ticks: u64) {
    user.updated = crate::time::rfc3339_micros(ticks);
    let mut content = String::with_capacity(128);
    let _ = crate::json::write_user_as::<crate::json::Measure>(&mut content, user, true);
    user.etag = crate::time::etag(&content, ticks);
    cs.updated = user.updated.clone();
    cs.etag = user.etag.clone();
}

/// The data of an App Context `set` event: `id`, `eTag`, `updated` and only the fields
/// that changed (`Some(None)` = cleared to `null`).
#[derive(Debug, Clone, PartialEq)]
pub struct Changeset {
    /// The user id.
    pub id: String,
    /// New eTag.
    pub etag: String,
    /// New `updated` stamp.
    pub updated: String,
    /// Changed string fields, indexed by [`StrField::idx`].
    pub fields: [Option<Option<String>>; 6],
    /// The new `custom`, when it changed.
    pub custom: Option<Option<Custom>>,
}

impl Changeset {
    /// An empty changeset for `id`.
    pub fn new(id: &str) -> Self {
        Changeset {
            id: id.to_string(),
            etag: String::new(),
            updated: String::new(),
            fields: Default::default(),
            custom: None,
        }
    }

    /// Whether no field changed.
    pub fn is_empty(&self) -> bool {
        self.fields.iter().all(Option::is_none) && self.custom.is_none()
    }

    /// A changeset holding every field of `user` (for a record seen whole).
    pub fn full(user: &User) -> Self {
        Changeset {
            id: user.id.clone(),
            etag: user.etag.clone(),
            updated: user.updated.clone(),
            fields: user.fields.clone().map(Some),
            custom: Some(user.custom.clone()),
        }
    }

    /// Merges this changeset into `user` (the client side of an event). Stale changesets
    /// (same eTag, or older than what `user` already has) leave it unchanged and return
    /// `false`.
    pub fn merge_into(&self, user: &mut User) -> bool {
        if self.id != user.id
            || (!self.etag.is_empty() && self.etag == user.etag)
            || (!user.updated.is_empty() && self.updated < user.updated)
        {
            return false;
        }
        for (slot, change) in user.fields.iter_mut().zip(&self.fields) {
            if let Some(v) = change {
                slot.clone_from(v);
            }
        }
        if let Some(c) = &self.custom {
            user.custom.clone_from(c);
        }
        user.updated.clone_from(&self.updated);
        user.etag.clone_from(&self.etag);
        true
    }

    /// Writes the changeset as the `data` object of a `set` event.
    pub fn write_json(&self, out: &mut impl Write) -> fmt::Result {
        out.write_char('{')?;
        write_key(out, "id", true)?;
        write_str(out, &self.id)?;
        for f in StrField::ALL {
            if let Some(v) = &self.fields[f.idx()] {
                write_key(out, f.name(), false)?;
                match v {
                    Some(s) => write_str(out, s)?,
                    None => out.write_str("null")?,
                }
            }
        }
        if let Some(c) = &self.custom {
            write_key(out, "custom", false)?;
            match c {
                Some(c) => write_custom(out, c)?,
                None => out.write_str("null")?,
            }
        }
        write_key(out, "updated", false)?;
        write_str(out, &self.updated)?;
        write_key(out, "eTag", false)?;
        write_str(out, &self.etag)?;
        out.write_char('}')
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Scalar;

    fn base() -> User {
        let mut u = User::new("u1");
        u.set(StrField::Name, Some("Ann".into()));
        u.set(StrField::Email, Some("a@x.io".into()));
        u.custom = Some(Custom(vec![("a".into(), Scalar::Num(1.0))]));
        u.updated = "2024-01-01T00:00:00.000000Z".into();
        u.etag = "e0".into();
        u
    }

    #[test]
    fn keep_clear_set_and_custom_replaced_whole() {
        let p = UserPatch {
            custom: Patch::Set(Custom(vec![("b".into(), Scalar::Bool(true))])),
            ..UserPatch::default()
        }
        .with(StrField::Email, Patch::Clear)
        .with(StrField::Status, Patch::Set("active".into()));
        let (u, cs) = p.apply("u1", Some(&base())).unwrap().unwrap();
        assert_eq!(u.get(StrField::Name), Some("Ann"));
        assert_eq!(u.get(StrField::Email), None);
        assert_eq!(u.get(StrField::Status), Some("active"));
        assert_eq!(u.custom.as_ref().unwrap().get("a"), None);
        assert_eq!(cs.fields[StrField::Name.idx()], None);
        assert_eq!(cs.fields[StrField::Email.idx()], Some(None));
        let mut json = String::new();
        cs.write_json(&mut json).unwrap();
        assert_eq!(
            json,
            r#"{"id":"u1","email":null,"status":"active","custom":{"b":true},"updated":"","eTag":""}"#
        );
    }

    #[test]
    fn no_change_is_none_and_reordered_custom_is_no_change() {
        let p = UserPatch::default().with(StrField::Name, Patch::Set("Ann".into()));
        assert!(p.apply("u1", Some(&base())).unwrap().is_none());
        assert!(UserPatch::default()
            .apply("u1", Some(&base()))
            .unwrap()
            .is_none());
        let mut b = base();
        b.custom = Some(Custom(vec![
            ("a".into(), Scalar::Num(1.0)),
            ("b".into(), Scalar::Num(2.0)),
        ]));
        let p = UserPatch {
            custom: Patch::Set(Custom(vec![
                ("b".into(), Scalar::Num(2.0)),
                ("a".into(), Scalar::Num(1.0)),
            ])),
            ..UserPatch::default()
        };
        assert!(p.apply("u1", Some(&b)).unwrap().is_none());
    }

    #[test]
    fn create_from_empty_patch_makes_a_record() {
        let (u, cs) = UserPatch::default().apply("new", None).unwrap().unwrap();
        assert_eq!(u.id, "new");
        assert!(cs.is_empty());
    }

    #[test]
    fn invalid_result_is_rejected() {
        let p = UserPatch::default().with(StrField::Name, Patch::Set(" ".into()));
        assert_eq!(
            p.apply("u1", Some(&base())).unwrap_err().code(),
            "INVALID_ARGUMENT"
        );
    }

    #[test]
    fn merge_applies_only_present_keys_and_skips_stale() {
        let mut u = base();
        let mut cs = Changeset::new("u1");
        cs.fields[StrField::Name.idx()] = Some(Some("Bo".into()));
        cs.updated = "2024-01-02T00:00:00.000000Z".into();
        cs.etag = "e1".into();
        assert!(cs.merge_into(&mut u));
        assert_eq!(u.get(StrField::Name), Some("Bo"));
        assert_eq!(u.get(StrField::Email), Some("a@x.io"));
        assert!(!cs.merge_into(&mut u), "same eTag again is stale");
        let mut old = cs.clone();
        old.etag = "e-old".into();
        old.updated = "2023-01-01T00:00:00.000000Z".into();
        assert!(!old.merge_into(&mut u));
    }
}
