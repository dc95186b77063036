//! Small JSON for the wire shapes of protocol.md: a writer (user objects, changesets) and
//! a reader ([`parse`] into a [`Value`]).
//!
//! The server writes its responses with it and the core measures record sizes with it; the
//! wasm SDK reads server replies with it: one string crosses into wasm and is decoded there,
//! instead of a property lookup across the JS boundary per field. Numbers are parsed by a
//! function the caller passes, so the wasm side can use JS's `parseFloat` and never link
//! Rust's float parser (~25 KB of wasm).

use crate::model::{Custom, Scalar, StrField, User};
use crate::patch::{Patch, UserPatch};
use std::borrow::Cow;
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

/// Writes a number into a string: [`write_number`]'s text on the server and in tests, JS's
/// own `String(n)` in the wasm SDK (which then links no float formatting).
pub type NumberWriter = fn(&mut String, f64);

/// [`write_number`] as a [`NumberWriter`].
pub fn std_number_writer(out: &mut String, n: f64) {
    let _ = write_number(out, n);
}

/// A user patch as the JSON body of a PATCH: set fields as strings, cleared ones as `null`,
/// kept ones absent, `custom` whole (numbers written by `number`). What
/// [`crate::decode::patch`] reads back.
pub fn write_patch(patch: &UserPatch, number: NumberWriter) -> String {
    let mut out = String::with_capacity(64);
    out.push('{');
    let mut first = true;
    let mut key = |out: &mut String, name: &str| {
        let _ = write_key(out, name, std::mem::replace(&mut first, false));
    };
    for f in StrField::ALL {
        match &patch.fields[f.idx()] {
            Patch::Keep => {}
            Patch::Clear => {
                key(&mut out, f.name());
                out.push_str("null");
            }
            Patch::Set(v) => {
                key(&mut out, f.name());
                let _ = write_str(&mut out, v);
            }
        }
    }
    match &patch.custom {
        Patch::Keep => {}
        Patch::Clear => {
            key(&mut out, "custom");
            out.push_str("null");
        }
        Patch::Set(c) => {
            key(&mut out, "custom");
            out.push('{');
            for (i, (k, v)) in c.0.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let _ = write_str(&mut out, k);
                out.push(':');
                match v {
                    Scalar::Str(s) => {
                        let _ = write_str(&mut out, s);
                    }
                    Scalar::Num(n) if n.is_finite() => number(&mut out, *n),
                    Scalar::Num(_) | Scalar::Null => out.push_str("null"),
                    Scalar::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
                }
            }
            out.push('}');
        }
    }
    out.push('}');
    out
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

/// A parsed JSON value. Objects keep their keys in document order.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number.
    Num(f64),
    /// A string.
    Str(String),
    /// An array.
    Arr(Vec<Value>),
    /// An object, as key/value pairs in document order.
    Obj(Vec<(String, Value)>),
}

impl Value {
    /// The member `key` of an object (the last one, as `JSON.parse` keeps); `None` for
    /// anything else.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Obj(members) => members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Moves the member `key` out of an object (leaving `null`); `null` when there is none.
    pub fn take(&mut self, key: &str) -> Value {
        match self {
            Value::Obj(members) => members
                .iter_mut()
                .rev()
                .find(|(k, _)| k == key)
                .map_or(Value::Null, |(_, v)| std::mem::replace(v, Value::Null)),
            _ => Value::Null,
        }
    }

    /// The member at `path` (object keys, outermost first).
    pub fn at(&self, path: &[&str]) -> Option<&Value> {
        path.iter().try_fold(self, |v, k| v.get(k))
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The number, if this is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Num(n) => Some(*n),
            _ => None,
        }
    }

    /// `null`, or no value at all (`None`): what the wire uses for "not set".
    pub fn is_absent(v: Option<&Value>) -> bool {
        matches!(v, None | Some(Value::Null))
    }
}

/// How deeply arrays and objects may nest (the wire shapes need 5).
const MAX_DEPTH: usize = 64;

/// Turns a number literal (already checked against the JSON grammar) into an `f64`.
pub type NumberParser = fn(&str) -> Option<f64>;

/// Rust's own float parser (the server, tests).
pub fn std_number(text: &str) -> Option<f64> {
    text.parse().ok()
}

/// Parses JSON text (RFC 8259; surrounding whitespace allowed) into a [`Value`]. `number`
/// parses number literals: [`std_number`] on the server, JS's `parseFloat` in the wasm SDK.
/// Lone surrogate escapes become U+FFFD (see [`Reader::strict`]). Errors say what was
/// expected and at which byte.
pub fn parse(text: &str, number: NumberParser) -> Result<Value, String> {
    let mut r = Reader::new(text, number);
    let v = r.value()?;
    r.end()?;
    Ok(v)
}

/// [`parse`] with [`std_number`].
pub fn parse_std(text: &str) -> Result<Value, String> {
    parse(text, std_number)
}

/// A pull reader over JSON text: read values of the shape you expect straight into your
/// own types (no intermediate [`Value`], object keys borrowed from the text), and
/// [`Reader::value`] or [`Reader::skip`] for the rest. Every method consumes exactly one
/// value or fails with the byte offset.
pub struct Reader<'a> {
    s: &'a [u8],
    text: &'a str,
    pos: usize,
    depth: usize,
    number: NumberParser,
    /// Whether a lone surrogate escape fails (else it reads as U+FFFD).
    strict: bool,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `text`.
    pub fn new(text: &'a str, number: NumberParser) -> Self {
        Reader {
            s: text.as_bytes(),
            text,
            pos: 0,
            depth: 0,
            number,
            strict: false,
        }
    }

    /// The same reader, refusing lone surrogate escapes (`"\ud800"`) instead of reading
    /// them as U+FFFD: for input that is stored (a write must not change what it says).
    pub fn strict(mut self) -> Self {
        self.strict = true;
        self
    }

    fn fail(&self, expected: &str) -> String {
        format!("expected {expected} at byte {}", self.pos)
    }

    fn ws(&mut self) {
        self.peek();
    }

    /// Skips whitespace and returns the next byte, not consumed; 0 at the end (a 0 byte
    /// in the text is no JSON token either, so callers need not tell them apart).
    #[inline]
    pub fn peek(&mut self) -> u8 {
        loop {
            match self.s.get(self.pos) {
                Some(b' ' | b'\t' | b'\n' | b'\r') => self.pos += 1,
                Some(&b) => return b,
                None => return 0,
            }
        }
    }

    #[inline]
    fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == b;
        self.pos += usize::from(hit);
        hit
    }

    /// Checks that only whitespace is left.
    pub fn end(&mut self) -> Result<(), String> {
        self.ws();
        if self.pos >= self.s.len() {
            Ok(())
        } else {
            Err(self.fail("end of input"))
        }
    }

    /// Consumes a `null` if one is next.
    pub fn null(&mut self) -> bool {
        let hit = self.peek() == b'n' && self.s[self.pos..].starts_with(b"null");
        self.pos += if hit { 4 } else { 0 };
        hit
    }

    /// An object or array, `body` reading each member. `dyn`: one copy of this loop for
    /// every caller (a generic one per closure cost a kilobyte of wasm each).
    fn nested(
        &mut self,
        open: u8,
        close: u8,
        what: &str,
        body: &mut dyn FnMut(&mut Self) -> Result<(), String>,
    ) -> Result<(), String> {
        if !self.eat(open) {
            return Err(self.fail(what));
        }
        if self.depth >= MAX_DEPTH {
            return Err(self.fail("less nesting"));
        }
        self.depth += 1;
        if !self.eat(close) {
            loop {
                body(self)?;
                if self.eat(close) {
                    break;
                }
                if !self.eat(b',') {
                    return Err(self.fail(if close == b'}' {
                        "',' or '}'"
                    } else {
                        "',' or ']'"
                    }));
                }
            }
        }
        self.depth -= 1;
        Ok(())
    }

    /// Reads an object, calling `member` with each key (borrowed from the text unless it
    /// has escapes); `member` must read its value.
    pub fn object(
        &mut self,
        mut member: impl FnMut(&mut Self, Cow<'a, str>) -> Result<(), String>,
    ) -> Result<(), String> {
        self.nested(b'{', b'}', "an object", &mut |r| {
            let key = r.str_ref()?;
            if !r.eat(b':') {
                return Err(r.fail("':'"));
            }
            member(r, key)
        })
    }

    /// Reads an array, calling `item` for each element; `item` must read it.
    pub fn array(
        &mut self,
        mut item: impl FnMut(&mut Self) -> Result<(), String>,
    ) -> Result<(), String> {
        self.nested(b'[', b']', "an array", &mut item)
    }

    /// Reads any value.
    pub fn value(&mut self) -> Result<Value, String> {
        Ok(match self.peek() {
            b'{' => {
                let mut members = Vec::new();
                self.object(|r, k| {
                    members.push((k.into_owned(), r.value()?));
                    Ok(())
                })?;
                Value::Obj(members)
            }
            b'[' => {
                let mut items = Vec::new();
                self.array(|r| {
                    items.push(r.value()?);
                    Ok(())
                })?;
                Value::Arr(items)
            }
            b'"' => Value::Str(self.string()?),
            b't' => self.literal("true", Value::Bool(true))?,
            b'f' => self.literal("false", Value::Bool(false))?,
            b'n' => self.literal("null", Value::Null)?,
            _ => Value::Num(self.number()?),
        })
    }

    /// Reads and discards any value.
    pub fn skip(&mut self) -> Result<(), String> {
        self.value().map(drop)
    }

    fn literal(&mut self, word: &str, v: Value) -> Result<Value, String> {
        if self.s[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(v)
        } else {
            Err(self.fail("a value"))
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.s.get(self.pos).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// Reads a (finite) number.
    pub fn number(&mut self) -> Result<f64, String> {
        self.ws();
        let start = self.pos;
        self.pos += usize::from(matches!(self.s.get(self.pos), Some(b'-')));
        let int_start = self.pos;
        let int = self.digits();
        let mut ok = int > 0 && !(int > 1 && self.s[int_start] == b'0');
        if ok && matches!(self.s.get(self.pos), Some(b'.')) {
            self.pos += 1;
            ok = self.digits() > 0;
        }
        if ok && matches!(self.s.get(self.pos), Some(b'e' | b'E')) {
            self.pos += 1;
            self.pos += usize::from(matches!(self.s.get(self.pos), Some(b'+' | b'-')));
            ok = self.digits() > 0;
        }
        let literal = self.text.get(start..self.pos).unwrap_or_default();
        let n = if !ok {
            None
        } else if int_start + int == self.pos && int <= 15 {
            // A plain integer (the usual number on the wire) is exact in an f64 and read
            // here; fractions and exponents go to `number`.
            let v = self.s[int_start..self.pos]
                .iter()
                .fold(0.0, |acc, d| acc * 10.0 + f64::from(d - b'0'));
            Some(if int_start > start { -v } else { v })
        } else {
            (self.number)(literal).filter(|n| n.is_finite())
        };
        n.ok_or_else(|| {
            self.pos = start;
            self.fail("a value")
        })
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let digits = self
            .s
            .get(self.pos..self.pos + 4)
            .filter(|d| d.iter().all(u8::is_ascii_hexdigit))
            .ok_or_else(|| self.fail("4 hex digits"))?;
        self.pos += 4;
        Ok(digits.iter().fold(0, |acc, d| {
            acc * 16 + char::from(*d).to_digit(16).unwrap_or(0)
        }))
    }

    /// Reads a string.
    pub fn string(&mut self) -> Result<String, String> {
        self.str_ref().map(String::from)
    }

    /// Reads a string, or `null` as `None`.
    pub fn opt_string(&mut self) -> Result<Option<String>, String> {
        Ok(self.opt_str_ref()?.map(String::from))
    }

    /// Reads a string, borrowed from the text when it has no escapes.
    pub fn str_ref(&mut self) -> Result<Cow<'a, str>, String> {
        self.ws();
        self.key()
    }

    /// [`str_ref`](Reader::str_ref), or `null` as `None`.
    pub fn opt_str_ref(&mut self) -> Result<Option<Cow<'a, str>>, String> {
        if self.null() {
            Ok(None)
        } else {
            self.str_ref().map(Some)
        }
    }

    /// A string at the current byte, borrowed from the text when it has no escapes.
    fn key(&mut self) -> Result<Cow<'a, str>, String> {
        if !matches!(self.s.get(self.pos), Some(b'"')) {
            return Err(self.fail("a string"));
        }
        self.pos += 1;
        let mut out = String::new();
        loop {
            // The run up to the next quote, backslash or control character, at once. It
            // ends at an ASCII byte or at the end, so it is whole UTF-8.
            let run = self.pos;
            let rest = self.s.get(run..).unwrap_or_default();
            let len = rest
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                .unwrap_or(rest.len());
            self.pos = run + len;
            let chunk = self.text.get(run..self.pos).unwrap_or_default();
            match self.s.get(self.pos) {
                Some(b'"') => {
                    self.pos += 1;
                    if out.is_empty() {
                        return Ok(Cow::Borrowed(chunk));
                    }
                    out.push_str(chunk);
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {
                    out.push_str(chunk);
                    self.pos += 1;
                    let c = match self.s.get(self.pos) {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.pos += 1;
                            let hi = self.hex4()?;
                            let mut code = hi;
                            if (0xD800..0xDC00).contains(&hi)
                                && self.s[self.pos..].starts_with(b"\\u")
                            {
                                let back = self.pos;
                                self.pos += 2;
                                let lo = self.hex4()?;
                                if (0xDC00..0xE000).contains(&lo) {
                                    code = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                                } else {
                                    self.pos = back;
                                }
                            }
                            match char::from_u32(code) {
                                Some(c) => out.push(c),
                                None if !self.strict => out.push('\u{FFFD}'),
                                None => {
                                    return Err(
                                        self.fail("a \\u escape that is not a lone surrogate")
                                    )
                                }
                            }
                            continue;
                        }
                        _ => return Err(self.fail("an escape")),
                    };
                    self.pos += 1;
                    out.push(c);
                }
                _ => return Err(self.fail("'\"'")),
            }
        }
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
    fn parses_what_json_parse_accepts() {
        let v = parse_std(" {\"a\" : [1, -2.5e3, true, false, null, \"x\\u00e9\\ud83d\\ude00\\n\"], \"b\":{}, \"a\":0} ").unwrap();
        assert_eq!(v.get("a"), Some(&Value::Num(0.0)));
        assert_eq!(v.get("b"), Some(&Value::Obj(vec![])));
        match v {
            Value::Obj(m) => assert_eq!(
                m[0].1,
                Value::Arr(vec![
                    Value::Num(1.0),
                    Value::Num(-2500.0),
                    Value::Bool(true),
                    Value::Bool(false),
                    Value::Null,
                    Value::Str("x\u{e9}\u{1F600}\n".into()),
                ])
            ),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            parse_std("\"\\ud800x\"").unwrap(),
            Value::Str("\u{FFFD}x".into())
        );
        for lone in ["\"\\ud800x\"", "\"\\udc00\"", "\"\\ud800\\u0041\""] {
            let mut strict = Reader::new(lone, std_number).strict();
            let e = strict.value().unwrap_err();
            assert!(e.contains("lone surrogate"), "{lone}: {e}");
        }
        let mut strict = Reader::new("\"\\ud83d\\ude00\"", std_number).strict();
        assert_eq!(strict.value().unwrap(), Value::Str("\u{1F600}".into()));
        assert_eq!(
            parse_std("\"caf\u{e9} \u{1F600}\"").unwrap(),
            Value::Str("caf\u{e9} \u{1F600}".into())
        );
    }

    #[test]
    fn rejects_malformed_json_with_a_position() {
        for bad in [
            "",
            "{",
            "[1,]",
            "{\"a\"}",
            "{\"a\":1,}",
            "01",
            "1.",
            "-",
            "1e",
            "+1",
            "tru",
            "nul",
            "\"a",
            "\"\\x\"",
            "\"\\u12\"",
            "\"a\nb\"",
            "[1] 2",
            "NaN",
            "1e999",
            "{a:1}",
        ] {
            let err = parse_std(bad).unwrap_err();
            assert!(err.starts_with("expected "), "{bad:?}: {err}");
        }
        let deep = "[".repeat(100_000);
        assert!(parse_std(&deep).unwrap_err().contains("less nesting"));
    }

    #[test]
    fn control_characters_are_escaped() {
        let mut s = String::new();
        write_str(&mut s, "a\u{1}b").unwrap();
        assert_eq!(s, "\"a\\u0001b\"");
    }
}
