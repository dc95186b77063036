//! The user record as stored and as sent on the wire.

use std::borrow::Cow;
use std::fmt;

/// A scalar value of `custom` data. `Null` only ever arrives from the wire (other clients
/// may store it); ferrochat's own input validation refuses it.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    /// A string.
    Str(String),
    /// A finite number.
    Num(f64),
    /// A boolean.
    Bool(bool),
    /// JSON `null` (accepted from the wire only).
    Null,
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Str(s) => f.write_str(s),
            Scalar::Num(n) => crate::json::write_number(f, *n),
            Scalar::Bool(b) => write!(f, "{b}"),
            Scalar::Null => f.write_str("null"),
        }
    }
}

impl Scalar {
    /// This value, borrowed.
    pub fn view(&self) -> ScalarRef<'_> {
        match self {
            Scalar::Str(s) => ScalarRef::Str(Cow::Borrowed(s)),
            Scalar::Num(n) => ScalarRef::Num(*n),
            Scalar::Bool(b) => ScalarRef::Bool(*b),
            Scalar::Null => ScalarRef::Null,
        }
    }
}

/// A [`Scalar`] whose string is borrowed where it can be (from a reply's text when it has
/// no escapes, or from a stored [`Scalar`]).
#[derive(Debug, Clone, PartialEq)]
pub enum ScalarRef<'a> {
    /// A string.
    Str(Cow<'a, str>),
    /// A finite number.
    Num(f64),
    /// A boolean.
    Bool(bool),
    /// JSON `null`.
    Null,
}

impl From<&ScalarRef<'_>> for Scalar {
    fn from(v: &ScalarRef<'_>) -> Self {
        match v {
            ScalarRef::Str(s) => Scalar::Str(s.to_string()),
            ScalarRef::Num(n) => Scalar::Num(*n),
            ScalarRef::Bool(b) => Scalar::Bool(*b),
            ScalarRef::Null => Scalar::Null,
        }
    }
}

/// `custom` data: a flat object of scalars, in insertion order (as JS objects keep it).
#[derive(Debug, Clone, Default)]
pub struct Custom(pub Vec<(String, Scalar)>);

impl Custom {
    /// The value under `key`, if any.
    pub fn get(&self, key: &str) -> Option<&Scalar> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Sets `key` (replacing an existing entry in place).
    pub fn insert(&mut self, key: impl Into<String>, value: Scalar) {
        let key = key.into();
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => self.0.push((key, value)),
        }
    }
}

/// Two custom objects are equal when they hold the same keys and values, in any order.
impl PartialEq for Custom {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len() && self.0.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

/// The standard optional string fields of a user, in wire order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrField {
    /// `name`
    Name,
    /// `externalId`
    ExternalId,
    /// `profileUrl`
    ProfileUrl,
    /// `email`
    Email,
    /// `type`
    Type,
    /// `status`
    Status,
}

impl StrField {
    /// Every string field, in the order the service sends them.
    pub const ALL: [StrField; 6] = [
        StrField::Name,
        StrField::ExternalId,
        StrField::ProfileUrl,
        StrField::Email,
        StrField::Type,
        StrField::Status,
    ];

    /// The wire (and JS) name.
    pub fn name(self) -> &'static str {
        match self {
            StrField::Name => "name",
            StrField::ExternalId => "externalId",
            StrField::ProfileUrl => "profileUrl",
            StrField::Email => "email",
            StrField::Type => "type",
            StrField::Status => "status",
        }
    }

    /// The field with this wire name.
    pub fn from_name(name: &str) -> Option<StrField> {
        // A `match` compiles to a length switch and one comparison (decoding a page of
        // users looks up every key of every user here).
        Some(match name {
            "name" => StrField::Name,
            "externalId" => StrField::ExternalId,
            "profileUrl" => StrField::ProfileUrl,
            "email" => StrField::Email,
            "type" => StrField::Type,
            "status" => StrField::Status,
            _ => return None,
        })
    }

    /// Index into [`User::fields`].
    pub fn idx(self) -> usize {
        self as usize
    }
}

/// A stored user. `fields` is indexed by [`StrField::idx`].
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// The user id (also the name of the user's channel).
    pub id: String,
    /// `name, externalId, profileUrl, email, type, status`, `None` when unset.
    pub fields: [Option<String>; 6],
    /// Custom data, `None` when unset.
    pub custom: Option<Custom>,
    /// RFC 3339 UTC time of the last change, microseconds, `Z`.
    pub updated: String,
    /// Opaque version tag, new on every change.
    pub etag: String,
}

impl User {
    /// A user with only an id (no fields, no stamps yet).
    pub fn new(id: impl Into<String>) -> Self {
        User {
            id: id.into(),
            fields: Default::default(),
            custom: None,
            updated: String::new(),
            etag: String::new(),
        }
    }

    /// The value of a string field.
    pub fn get(&self, field: StrField) -> Option<&str> {
        self.fields[field.idx()].as_deref()
    }

    /// Sets a string field.
    pub fn set(&mut self, field: StrField, value: Option<String>) {
        self.fields[field.idx()] = value;
    }

    /// Whether the user is soft-deleted (`status == "deleted"`).
    pub fn is_soft_deleted(&self) -> bool {
        self.get(StrField::Status) == Some(crate::DELETED_STATUS)
    }
}

/// A user as read from a reply, its strings borrowed from the reply's text unless they
/// had escapes: what the SDK turns straight into JS `User`s without copying each string
/// into a [`User`] first. `User::from(&user_ref)` copies it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UserRef<'a> {
    /// The user id.
    pub id: Cow<'a, str>,
    /// `name, externalId, profileUrl, email, type, status` ([`StrField`] order).
    pub fields: [Option<Cow<'a, str>>; 6],
    /// Custom data (keys unique, first place and last value, as in JS).
    pub custom: Option<Vec<(Cow<'a, str>, ScalarRef<'a>)>>,
    /// RFC 3339 time of the last change (empty when the reply had none).
    pub updated: Cow<'a, str>,
    /// eTag (empty when the reply had none).
    pub etag: Cow<'a, str>,
}

impl UserRef<'_> {
    /// The value of a string field.
    pub fn get(&self, field: StrField) -> Option<&str> {
        self.fields[field.idx()].as_deref()
    }

    /// The custom value under `key`, if any.
    pub fn custom_get(&self, key: &str) -> Option<&ScalarRef<'_>> {
        self.custom
            .as_ref()?
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }
}

impl From<&UserRef<'_>> for User {
    fn from(u: &UserRef<'_>) -> Self {
        // Plain loops: `array::map` and `collect` here cost a kilobyte of wasm.
        let mut out = User::new(&*u.id);
        for (i, slot) in out.fields.iter_mut().enumerate() {
            *slot = u.get(StrField::ALL[i]).map(String::from);
        }
        if let Some(entries) = &u.custom {
            let mut custom = Vec::with_capacity(entries.len());
            for (k, v) in entries {
                custom.push((k.to_string(), Scalar::from(v)));
            }
            out.custom = Some(Custom(custom));
        }
        out.updated = u.updated.to_string();
        out.etag = u.etag.to_string();
        out
    }
}

/// The status a soft delete sets.
pub const DELETED_STATUS: &str = "deleted";

#[cfg(test)]
mod tests {
    use super::StrField;

    #[test]
    fn field_names_round_trip() {
        for f in StrField::ALL {
            assert_eq!(StrField::from_name(f.name()), Some(f));
        }
        assert_eq!(StrField::from_name("id"), None);
        assert_eq!(StrField::from_name("Name"), None);
    }
}
