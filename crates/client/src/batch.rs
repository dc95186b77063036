//! Users in the form JS builds its `User` objects from: one string and one array of
//! numbers per batch (a `getUsers` page is one crossing and one UTF-8 decode, not one per
//! field). `js/user.js` (`makeUsers`) is the reader; keep the two in step.

use ferrochat_core::model::{ScalarRef, User, UserRef};

/// The custom key that holds the last-active timestamp (as the PubNub Chat SDK uses).
pub const LAST_ACTIVE_KEY: &str = "lastActiveTimestamp";

/// Users as one string and one array of numbers. Per user, `nums` holds the UTF-16 length
/// (or -1: absent) of id, name, externalId, profileUrl, email, type, status, updated and
/// eTag, whose text follows in `text`; then `lastActiveTimestamp` (NaN: absent); then the
/// number of custom entries (-1: no custom) and, per entry, the key's length and a tag: 0
/// and the string's length, 1 and the number, 2 and 0/1, or 3 (null).
#[derive(Default, Debug, Clone, PartialEq)]
pub struct UserBatch {
    /// Every string, concatenated.
    pub text: String,
    /// Lengths, tags and numbers (see above).
    pub nums: Vec<f64>,
}

impl UserBatch {
    /// The batch for `users`, in order.
    pub fn of<'a>(users: impl IntoIterator<Item = &'a User>) -> UserBatch {
        let users = users.into_iter();
        let mut b = UserBatch::with_capacity(users.size_hint().0);
        for u in users {
            b.push(u);
        }
        b
    }

    /// An empty batch with room for about `n` users.
    pub fn with_capacity(n: usize) -> UserBatch {
        UserBatch {
            text: String::with_capacity(n * 160),
            nums: Vec::with_capacity(n * 16),
        }
    }

    /// Appends a stored user (not generic, so the callers of [`of`](UserBatch::of) share it).
    #[inline(never)]
    pub fn push(&mut self, u: &User) {
        self.str(Some(&u.id));
        for f in &u.fields {
            self.str(f.as_deref());
        }
        let custom = u.custom.as_ref().map(|c| &c.0);
        self.tail(&u.updated, &u.etag, last_active(u), custom.map(Vec::len));
        if let Some(custom) = custom {
            for (k, v) in custom {
                self.entry(k, &v.view());
            }
        }
    }

    /// Appends a user as read from a reply (its strings still borrowed from the text).
    pub fn push_ref(&mut self, u: &UserRef) {
        self.str(Some(&u.id));
        for f in &u.fields {
            self.str(f.as_deref());
        }
        let last = u.custom_get(LAST_ACTIVE_KEY).and_then(last_active_value);
        self.tail(&u.updated, &u.etag, last, u.custom.as_ref().map(Vec::len));
        if let Some(custom) = &u.custom {
            for (k, v) in custom {
                self.entry(k, v);
            }
        }
    }

    /// What follows a user's id and fields (shared by both kinds of user, so nothing here
    /// is generic): the stamps, `lastActiveTimestamp` and the number of custom entries
    /// (`None`: no custom), which [`entry`](UserBatch::entry) appends next.
    fn tail(
        &mut self,
        updated: &str,
        etag: &str,
        last_active: Option<f64>,
        custom_len: Option<usize>,
    ) {
        self.str(Some(updated).filter(|s| !s.is_empty()));
        self.str(Some(etag));
        self.nums.push(last_active.unwrap_or(f64::NAN));
        self.nums.push(custom_len.map_or(-1.0, |n| n as f64));
    }

    /// One custom entry.
    fn entry(&mut self, k: &str, v: &ScalarRef) {
        self.str(Some(k));
        match v {
            ScalarRef::Str(s) => {
                self.nums.push(0.0);
                self.str(Some(s));
            }
            ScalarRef::Num(n) => self.nums.extend([1.0, *n]),
            ScalarRef::Bool(x) => self.nums.extend([2.0, f64::from(u8::from(*x))]),
            ScalarRef::Null => self.nums.push(3.0),
        }
    }

    fn str(&mut self, s: Option<&str>) {
        match s {
            None => self.nums.push(-1.0),
            Some(s) => {
                self.text.push_str(s);
                self.nums.push(utf16_len(s) as f64);
            }
        }
    }
}

/// The length of `s` in UTF-16 code units (what JS's `length` counts).
pub fn utf16_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().map(char::len_utf16).sum()
    }
}

/// Cuts `text` into pieces of the given UTF-16 lengths (the reverse of what JS sends as
/// one string plus lengths). `None` when the lengths do not fit the text or end inside a
/// character.
pub fn split_utf16(text: &str, lengths: impl IntoIterator<Item = usize>) -> Option<Vec<&str>> {
    let mut out = Vec::new();
    let mut rest = text;
    let ascii = text.is_ascii();
    for len in lengths {
        if ascii {
            // One byte per code unit.
            out.push(rest.get(..len)?);
            rest = rest.get(len..)?;
            continue;
        }
        let mut units = 0;
        let mut end = 0;
        for c in rest.chars() {
            if units >= len {
                break;
            }
            units += c.len_utf16();
            end += c.len_utf8();
        }
        if units != len {
            return None;
        }
        out.push(rest.get(..end)?);
        rest = rest.get(end..)?;
    }
    rest.is_empty().then_some(out)
}

/// `custom.lastActiveTimestamp`, where the Chat SDK keeps it.
pub fn last_active(u: &User) -> Option<f64> {
    last_active_value(&u.custom.as_ref()?.get(LAST_ACTIVE_KEY)?.view())
}

/// A `lastActiveTimestamp` value as a number (a number, or a string of one).
fn last_active_value(v: &ScalarRef) -> Option<f64> {
    match v {
        ScalarRef::Num(n) => Some(*n),
        ScalarRef::Str(s) => ferrochat_core::filter::parse_decimal(s),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrochat_core::model::{Custom, Scalar, StrField};

    #[test]
    fn a_user_encodes_its_fields_in_order_with_utf16_lengths() {
        let mut u = User::new("é1");
        u.set(StrField::Name, Some("😀".into()));
        u.custom = Some(Custom(vec![
            (LAST_ACTIVE_KEY.into(), Scalar::Num(5.0)),
            ("b".into(), Scalar::Bool(true)),
        ]));
        u.updated = "t".into();
        u.etag = "e".into();
        let b = UserBatch::of([&u]);
        assert_eq!(b.text, "é1😀telastActiveTimestampb");
        assert_eq!(
            b.nums,
            vec![
                2.0, 2.0, -1.0, -1.0, -1.0, -1.0, -1.0, 1.0, 1.0, 5.0, 2.0, 19.0, 1.0, 5.0, 1.0,
                2.0, 1.0
            ]
        );
    }

    #[test]
    fn utf16_pieces_split_back() {
        assert_eq!(
            split_utf16("é1😀ab", [2, 2, 1, 1]),
            Some(vec!["é1", "😀", "a", "b"])
        );
        assert_eq!(split_utf16("😀", [1]), None, "inside a surrogate pair");
        assert_eq!(split_utf16("ab", [1]), None, "text left over");
        assert_eq!(split_utf16("ab", [3]), None);
        assert_eq!(split_utf16("", []), Some(vec![]));
    }
}
