//! A small JSON writer for the wire shapes of protocol.md (user objects, changesets).
//!
//! The server uses it for its responses and the core uses it to measure record sizes; the
//! wasm side never needs a JSON library (JS has one).

use crate::model::{Custom, Scalar, StrField, User};
use std::fmt::{self, Write};

/// Writes `s` as a JSON string literal.
pub fn write_str(out: &mut impl Write, s: &str) -> fmt::Result {
    out.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => out.write_str("\\\"")?,
            '\\' => out.write_str("\\\\")?,
            '\n' => out.write_str("\\n")?,
            '\r' => out.write_str("\\r")?,
            '\t' => out.write_str("\\t")?,
            c if (c as u32) < 0x20 => write!(out, "\\u{:04x}", c as u32)?,
            c => out.write_char(c)?,
        }
    }
    out.write_char('"')
}

/// Writes a finite number the way JS `JSON.stringify` would for ordinary values
/// (integers without a fraction). Non-finite numbers become `null`.
pub fn write_number(out: &mut (impl Write + ?Sized), n: f64) -> fmt::Result {
    Exact::write(out, n)
}

/// How numbers are written. A type parameter, so code that never needs exact float
/// text (the wasm side) never links float formatting (~20 KB of wasm).
pub trait NumberFormat {
    /// Writes `n`.
    fn write<W: Write + ?Sized>(out: &mut W, n: f64) -> fmt::Result;
}

/// Numbers as JSON text (the wire).
pub struct Exact;

/// Integers exactly; other numbers as 24 characters of their bits: at least as long as
/// any JS number's JSON text (for size limits), and unique per value (for eTags).
pub struct Measure;

fn write_integral<W: Write + ?Sized>(out: &mut W, n: f64) -> Option<fmt::Result> {
    if !n.is_finite() {
        Some(out.write_str("null"))
    } else if n.fract() == 0.0 && n.abs() < 9.007_199_254_740_992e15 {
        Some(write!(out, "{}", n as i64))
    } else {
        None
    }
}

impl NumberFormat for Exact {
    fn write<W: Write + ?Sized>(out: &mut W, n: f64) -> fmt::Result {
        write_integral(out, n).unwrap_or_else(|| write!(out, "{n}"))
    }
}

impl NumberFormat for Measure {
    fn write<W: Write + ?Sized>(out: &mut W, n: f64) -> fmt::Result {
        write_integral(out, n).unwrap_or_else(|| write!(out, "{:024x}", n.to_bits()))
    }
}

fn write_opt_str(out: &mut impl Write, v: Option<&str>) -> fmt::Result {
    match v {
        Some(s) => write_str(out, s),
        None => out.write_str("null"),
    }
}

/// Writes a custom object.
pub fn write_custom(out: &mut impl Write, custom: &Custom) -> fmt::Result {
    write_custom_as::<Exact>(out, custom)
}

fn write_custom_as<N: NumberFormat>(out: &mut impl Write, custom: &Custom) -> fmt::Result {
    out.write_char('{')?;
    for (i, (k, v)) in custom.0.iter().enumerate() {
        if i > 0 {
            out.write_char(',')?;
        }
        write_str(out, k)?;
        out.write_char(':')?;
        match v {
            Scalar::Str(s) => write_str(out, s)?,
            Scalar::Num(n) => N::write(out, *n)?,
            Scalar::Bool(b) => write!(out, "{b}")?,
            Scalar::Null => out.write_str("null")?,
        }
    }
    out.write_char('}')
}

/// Writes `,"key":` (or `"key":` when `first`).
pub fn write_key(out: &mut impl Write, key: &str, first: bool) -> fmt::Result {
    if !first {
        out.write_char(',')?;
    }
    write_str(out, key)?;
    out.write_char(':')
}

/// Writes a user object in the service's key order: `id, name, externalId, profileUrl,
/// email, type, status, [custom,] updated, eTag`, unset fields as explicit `null`.
/// `custom` is written only when `include_custom` (as the service does).
pub fn write_user(out: &mut impl Write, user: &User, include_custom: bool) -> fmt::Result {
    write_user_as::<Exact>(out, user, include_custom)
}

/// [`write_user`] with a chosen number format.
pub fn write_user_as<N: NumberFormat>(
    out: &mut impl Write,
    user: &User,
    include_custom: bool,
) -> fmt::Result {
    out.write_char('{')?;
    write_key(out, "id", true)?;
    write_str(out, &user.id)?;
    for f in StrField::ALL {
        write_key(out, f.name(), false)?;
        write_opt_str(out, user.get(f))?;
    }
    if include_custom {
        write_key(out, "custom", false)?;
        match &user.custom {
            Some(c) => write_custom_as::<N>(out, c)?,
            None => out.write_str("null")?,
        }
    }
    write_key(out, "updated", false)?;
    write_str(out, &user.updated)?;
    write_key(out, "eTag", false)?;
    write_str(out, &user.etag)?;
    out.write_char('}')
}

/// A user object as a JSON string (see [`write_user`]).
pub fn user_to_json(user: &User, include_custom: bool) -> String {
    let mut s = String::with_capacity(128);
    // Writing to a String cannot fail.
    let _ = write_user(&mut s, user, include_custom);
    s
}

/// Counts bytes written, for measuring records without allocating.
#[derive(Default)]
pub struct ByteCounter(pub usize);

impl Write for ByteCounter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0 += s.len();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_json_has_service_key_order_and_nulls() {
        let mut u = User::new("u\"1");
        u.set(StrField::Name, Some("Ann\n".into()));
        u.custom = Some(Custom(vec![
            ("a".into(), Scalar::Num(1.0)),
            ("b".into(), Scalar::Num(1.5)),
            ("c".into(), Scalar::Bool(true)),
        ]));
        u.updated = "2024-01-01T00:00:00.000000Z".into();
        u.etag = "e".into();
        assert_eq!(
            user_to_json(&u, true),
            r#"{"id":"u\"1","name":"Ann\n","externalId":null,"profileUrl":null,"email":null,"type":null,"status":null,"custom":{"a":1,"b":1.5,"c":true},"updated":"2024-01-01T00:00:00.000000Z","eTag":"e"}"#
        );
        assert!(!user_to_json(&u, false).contains("custom"));
    }

    #[test]
    fn control_characters_are_escaped() {
        let mut s = String::new();
        write_str(&mut s, "a\u{1}b").unwrap();
        assert_eq!(s, "\"a\\u0001b\"");
    }
}
