//! The App Context filter language (protocol.md section 4): parser and evaluator.
//!
//! ```text
//! expression     := and_expr ( "||" and_expr )*
//! and_expr       := condition ( "&&" condition )*
//! condition      := "!" condition | "(" expression ")" | path op value
//! path           := name ( "." name | "[" string "]" )*      name := identifier | "[" string "]"
//! op             := "==" | "!=" | "<" | ">" | "<=" | ">=" | "LIKE"
//! value          := string | number | true | false | null
//! ```
//! Strings take single or double quotes and backslash escapes; in a `LIKE` pattern `*`
//! matches any run of characters and `\*` is a literal star. `LIKE` runs in time linear in
//! the text plus the pattern (see [`Pattern`]), and a filter is bounded: at most
//! [`MAX_LEN`] bytes, [`MAX_PATTERN_CHARS`] characters per `LIKE` pattern and
//! [`MAX_LIKES`] `LIKE` conditions, so evaluating it costs at most
//! O(`MAX_LIKES` x record size + filter size) per user. Comparisons are
//! case-sensitive; strings order lexicographically, numbers numerically; a comparison
//! between different types is false (`!=` is its negation). `field == null` matches an
//! unset field.

use crate::error::{ChatError, Result};
use crate::model::{Scalar, StrField, User};

/// Deepest nesting of `(` and `!` accepted (keeps recursion bounded on any input).
pub const MAX_DEPTH: usize = 64;
/// Longest filter accepted, in bytes.
pub const MAX_LEN: usize = 8 * 1024;
/// Longest `LIKE` pattern accepted, in characters.
pub const MAX_PATTERN_CHARS: usize = 1024;
/// Most `LIKE` conditions in one filter (each one may read a whole field).
pub const MAX_LIKES: usize = 16;

/// A parsed filter expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// Any of these holds.
    Or(Vec<Filter>),
    /// All of these hold.
    And(Vec<Filter>),
    /// The negation.
    Not(Box<Filter>),
    /// `field op value`.
    Cmp(Field, Op, Value),
}

/// The field a comparison reads.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    /// `id`
    Id,
    /// `updated`
    Updated,
    /// One of the standard string fields.
    Str(StrField),
    /// `custom.<key>` / `custom["key"]`.
    Custom(String),
}

/// A relational operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `>`
    Gt,
    /// `<=`
    Le,
    /// `>=`
    Ge,
    /// `LIKE`
    Like,
}

/// One piece of a `LIKE` pattern.
#[derive(Debug, Clone, PartialEq)]
pub enum PatternPart {
    /// A literal character.
    Char(char),
    /// `*`: any run of characters.
    Any,
}

/// A compiled `LIKE` pattern: the literal runs between its wildcards, matched in time
/// linear in the text plus the pattern (a prefix check, a suffix check, and a
/// Knuth-Morris-Pratt search for each run in between, leftmost first, which is exact for
/// patterns whose only wildcard is `*`). Matching works on UTF-8 bytes: a run found in
/// valid UTF-8 text always starts and ends on character boundaries.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    /// The runs between wildcards: `a*b**c` gives `a`, `b`, ``, `c`; no wildcard gives one.
    runs: Vec<String>,
    /// The KMP failure table of each run (empty for the first and last, never searched).
    tables: Vec<Vec<usize>>,
}

impl Pattern {
    /// Compiles a pattern from its parts.
    pub fn new(parts: &[PatternPart]) -> Pattern {
        let mut runs = vec![String::new()];
        for part in parts {
            match part {
                PatternPart::Any => runs.push(String::new()),
                PatternPart::Char(c) => {
                    if let Some(run) = runs.last_mut() {
                        run.push(*c);
                    }
                }
            }
        }
        let last = runs.len() - 1;
        let tables = runs
            .iter()
            .enumerate()
            .map(|(i, run)| {
                if i == 0 || i == last {
                    Vec::new()
                } else {
                    kmp_table(run.as_bytes())
                }
            })
            .collect();
        Pattern { runs, tables }
    }

    /// Whether `text` matches the whole pattern.
    pub fn matches(&self, text: &str) -> bool {
        let text = text.as_bytes();
        let (first, last) = match self.runs.as_slice() {
            [only] => return text == only.as_bytes(),
            [first, .., last] => (first.as_bytes(), last.as_bytes()),
            [] => return text.is_empty(),
        };
        if text.len() < first.len() + last.len()
            || !text.starts_with(first)
            || !text.ends_with(last)
        {
            return false;
        }
        let mut rest = &text[first.len()..text.len() - last.len()];
        let middle = 1..self.runs.len() - 1;
        for (run, table) in self.runs[middle.clone()].iter().zip(&self.tables[middle]) {
            match kmp_find_end(rest, run.as_bytes(), table) {
                Some(end) => rest = &rest[end..],
                None => return false,
            }
        }
        true
    }
}

/// The KMP failure table: `t[i]` = length of the longest proper border of `needle[..=i]`.
fn kmp_table(needle: &[u8]) -> Vec<usize> {
    let mut table = vec![0; needle.len()];
    let mut k = 0;
    for i in 1..needle.len() {
        while k > 0 && needle[i] != needle[k] {
            k = table[k - 1];
        }
        if needle[i] == needle[k] {
            k += 1;
        }
        table[i] = k;
    }
    table
}

/// Where the first occurrence of `needle` in `hay` ends, in O(hay + needle).
fn kmp_find_end(hay: &[u8], needle: &[u8], table: &[usize]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    let mut k = 0;
    for (i, b) in hay.iter().enumerate() {
        while k > 0 && *b != needle[k] {
            k = table[k - 1];
        }
        if *b == needle[k] {
            k += 1;
            if k == needle.len() {
                return Some(i + 1);
            }
        }
    }
    None
}

/// A literal value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A string, with its `LIKE` reading (where an unescaped `*` is a wildcard).
    Str(String, Pattern),
    /// A number.
    Num(f64),
    /// `true` / `false`.
    Bool(bool),
    /// `null`.
    Null,
}

impl Filter {
    /// Parses a filter expression. Errors are `INVALID_ARGUMENT` and say where parsing failed.
    pub fn parse(input: &str) -> Result<Filter> {
        if input.len() > MAX_LEN {
            return Err(ChatError::invalid(format!(
                "Invalid filter: longer than {MAX_LEN} bytes"
            )));
        }
        let mut p = Parser {
            chars: input.chars().collect(),
            pos: 0,
            depth: 0,
            likes: 0,
        };
        p.skip_ws();
        if p.at_end() {
            return Err(p.error("the filter is empty"));
        }
        let f = p.expression()?;
        p.skip_ws();
        if !p.at_end() {
            return Err(p.error(&format!("unexpected {}", p.describe_here())));
        }
        Ok(f)
    }

    /// Whether `user` matches.
    pub fn matches(&self, user: &User) -> bool {
        match self {
            Filter::Or(fs) => fs.iter().any(|f| f.matches(user)),
            Filter::And(fs) => fs.iter().all(|f| f.matches(user)),
            Filter::Not(f) => !f.matches(user),
            Filter::Cmp(field, op, value) => compare(lookup(user, field), *op, value),
        }
    }
}

/// A field's value as the evaluator sees it.
enum Found<'a> {
    Str(&'a str),
    Num(f64),
    Bool(bool),
    Missing,
}

fn lookup<'a>(user: &'a User, field: &Field) -> Found<'a> {
    let s = match field {
        Field::Id => Some(user.id.as_str()),
        Field::Updated => Some(user.updated.as_str()),
        Field::Str(f) => user.get(*f),
        Field::Custom(key) => {
            return match user.custom.as_ref().and_then(|c| c.get(key)) {
                Some(Scalar::Str(s)) => Found::Str(s),
                Some(Scalar::Num(n)) => Found::Num(*n),
                Some(Scalar::Bool(b)) => Found::Bool(*b),
                Some(Scalar::Null) | None => Found::Missing,
            }
        }
    };
    s.map_or(Found::Missing, Found::Str)
}

fn compare(found: Found<'_>, op: Op, value: &Value) -> bool {
    use std::cmp::Ordering;
    if op == Op::Ne {
        return !compare(found, Op::Eq, value);
    }
    let ord: Option<Ordering> = match (&found, value) {
        (Found::Str(a), Value::Str(b, pattern)) => {
            if op == Op::Like {
                return pattern.matches(a);
            }
            Some((*a).cmp(b.as_str()))
        }
        (Found::Num(a), Value::Num(b)) => a.partial_cmp(b),
        (Found::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
        (Found::Missing, Value::Null) => Some(Ordering::Equal),
        _ => None,
    };
    match (op, ord) {
        (_, None) | (Op::Like, _) => false,
        (Op::Eq, Some(o)) => o == Ordering::Equal,
        (Op::Lt, Some(o)) => o == Ordering::Less,
        (Op::Gt, Some(o)) => o == Ordering::Greater,
        (Op::Le, Some(o)) => o != Ordering::Greater,
        (Op::Ge, Some(o)) => o != Ordering::Less,
        (Op::Ne, Some(o)) => o != Ordering::Equal,
    }
}

/// A letter of an identifier: ASCII letters, and every non-ASCII character.
fn is_letter(c: char) -> bool {
    c.is_ascii_alphabetic() || !c.is_ascii()
}

/// Quotes `value` as a filter string literal: single quotes, with `\`, `'` and `*`
/// backslash-escaped, so any value (O'Brien, `50% off*`, `C:\dir`) compares literally,
/// in `==` and in `LIKE` alike.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if matches!(c, '\\' | '\'' | '*') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// Parses `-?digits(.digits)?([eE][+-]?digits)?` without `str::parse::<f64>` (whose tables
/// would add ~25 KB to the wasm). Exact (correctly rounded) whenever the digits fit in 2^53
/// and the decimal exponent is within ±22 (Clinger's fast path): every literal people
/// write in a filter; beyond that, within an ulp or two.
pub fn parse_decimal(text: &str) -> Option<f64> {
    let (neg, rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text),
    };
    let (mantissa_part, exp_part) = match rest.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e)),
        None => (rest, None),
    };
    let (int, frac) = match mantissa_part.split_once('.') {
        Some((_, "")) => return None,
        Some(parts) => parts,
        None => (mantissa_part, ""),
    };
    if int.is_empty() || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut exp: i64 = match exp_part {
        None => 0,
        Some(e) => {
            let (sign, digits) = match (e.strip_prefix('-'), e.strip_prefix('+')) {
                (Some(d), _) => (-1, d),
                (_, Some(d)) => (1, d),
                _ => (1, e),
            };
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            // Saturates far beyond f64's range, whatever the number of (leading) digits.
            sign * digits
                .bytes()
                .fold(0i64, |e, d| (e * 10 + i64::from(d - b'0')).min(100_000))
        }
    };
    let mut mantissa: u64 = 0;
    for b in int.bytes().chain(frac.bytes()) {
        match mantissa
            .checked_mul(10)
            .and_then(|m| m.checked_add(u64::from(b - b'0')))
        {
            Some(m) if m < (1 << 53) => mantissa = m,
            // Too many significant digits: drop the rest, keep the magnitude.
            _ => exp += 1,
        }
    }
    exp -= frac.len() as i64;
    let m = mantissa as f64;
    let value = if mantissa == 0 {
        0.0 // whatever the exponent (0 x 10^400 is not inf x 0)
    } else if (0..=22).contains(&exp) {
        m * 10f64.powi(exp as i32)
    } else if (-22..0).contains(&exp) {
        m / 10f64.powi(-exp as i32)
    } else if exp > 0 {
        m * 10f64.powi(exp.min(400) as i32)
    } else {
        // Two steps, so that 10^-exp itself does not overflow before the result would.
        m / 1e22 / 10f64.powi((-exp - 22).min(400) as i32)
    };
    Some(if neg { -value } else { value })
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    depth: usize,
    likes: usize,
}

impl Parser {
    fn at_end(&self) -> bool {
        self.pos >= self.chars.len()
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn error(&self, msg: &str) -> ChatError {
        ChatError::invalid(format!(
            "Invalid filter at position {}: {msg}",
            self.pos + 1
        ))
    }

    fn describe_here(&self) -> String {
        match self.peek() {
            None => "end of filter".to_string(),
            Some(_) => {
                let rest: String = self.chars[self.pos..].iter().take(12).collect();
                format!("'{rest}'")
            }
        }
    }

    fn eat(&mut self, s: &str) -> bool {
        self.skip_ws();
        let n = s.chars().count();
        if self.pos + n <= self.chars.len()
            && s.chars()
                .eq(self.chars[self.pos..self.pos + n].iter().copied())
        {
            self.pos += n;
            true
        } else {
            false
        }
    }

    fn nest<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error(&format!("nested deeper than {MAX_DEPTH} levels")));
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    fn expression(&mut self) -> Result<Filter> {
        let mut items = vec![self.and_expression()?];
        while self.eat("||") {
            items.push(self.and_expression()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Filter::Or(items)
        })
    }

    fn and_expression(&mut self) -> Result<Filter> {
        let mut items = vec![self.condition()?];
        while self.eat("&&") {
            items.push(self.condition()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Filter::And(items)
        })
    }

    fn condition(&mut self) -> Result<Filter> {
        self.skip_ws();
        if self.peek() == Some('!') && self.peek_at(1) != Some('=') {
            self.pos += 1;
            return self.nest(|p| Ok(Filter::Not(Box::new(p.condition()?))));
        }
        if self.eat("(") {
            let inner = self.nest(|p| p.expression())?;
            if !self.eat(")") {
                return Err(self.error(&format!("expected ')', found {}", self.describe_here())));
            }
            return Ok(inner);
        }
        if self.at_end() {
            return Err(self.error("expected a condition, found end of filter"));
        }
        let field = self.path()?;
        let op = self.operator()?;
        let value = self.value()?;
        if op == Op::Like {
            let Value::Str(text, _) = &value else {
                return Err(self.error("LIKE needs a string pattern"));
            };
            if text.chars().count() > MAX_PATTERN_CHARS {
                return Err(self.error(&format!(
                    "a LIKE pattern is longer than {MAX_PATTERN_CHARS} characters"
                )));
            }
            self.likes += 1;
            if self.likes > MAX_LIKES {
                return Err(self.error(&format!("more than {MAX_LIKES} LIKE conditions")));
            }
        }
        Ok(Filter::Cmp(field, op, value))
    }

    fn identifier(&mut self) -> Option<String> {
        let start = self.pos;
        while let Some(c) = self.peek() {
            // Letters (any non-ASCII character counts as one: the Unicode tables behind
            // `char::is_alphabetic` cost over a kilobyte of wasm), `$`, `_`, digits after
            // the first character.
            let ok =
                is_letter(c) || c == '$' || c == '_' || (self.pos > start && c.is_ascii_digit());
            if !ok {
                break;
            }
            self.pos += 1;
        }
        (self.pos > start).then(|| self.chars[start..self.pos].iter().collect())
    }

    fn property_name(&mut self) -> Result<String> {
        self.skip_ws();
        if self.peek() == Some('[') {
            self.pos += 1;
            self.skip_ws();
            let (s, _) = self.string()?;
            if !self.eat("]") {
                return Err(self.error("expected ']'"));
            }
            return Ok(s);
        }
        self.identifier().ok_or_else(|| {
            self.error(&format!(
                "expected a field name, found {}",
                self.describe_here()
            ))
        })
    }

    fn path(&mut self) -> Result<Field> {
        let start = self.pos;
        let mut names = vec![self.property_name()?];
        loop {
            if self.peek() == Some('.') {
                self.pos += 1;
            } else if self.peek() != Some('[') {
                break;
            }
            names.push(self.property_name()?);
        }
        let field = match names.as_slice() {
            [one] => match one.as_str() {
                "id" => Some(Field::Id),
                "updated" => Some(Field::Updated),
                other => StrField::from_name(other).map(Field::Str),
            },
            [custom, key] if custom == "custom" => Some(Field::Custom(key.clone())),
            _ => None,
        };
        field.ok_or_else(|| {
            self.pos = start;
            self.error(&format!(
                "unknown field '{}' (use id, name, externalId, profileUrl, email, status, type, updated or custom.<key>)",
                names.join(".")
            ))
        })
    }

    fn operator(&mut self) -> Result<Op> {
        self.skip_ws();
        for (text, op) in [
            ("==", Op::Eq),
            ("!=", Op::Ne),
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("<", Op::Lt),
            (">", Op::Gt),
        ] {
            if self.eat(text) {
                return Ok(op);
            }
        }
        let save = self.pos;
        if let Some(word) = self.identifier() {
            if word.eq_ignore_ascii_case("like") {
                return Ok(Op::Like);
            }
        }
        self.pos = save;
        Err(self.error(&format!(
            "expected an operator (==, !=, <, >, <=, >=, LIKE), found {}",
            self.describe_here()
        )))
    }

    fn value(&mut self) -> Result<Value> {
        self.skip_ws();
        match self.peek() {
            Some('"' | '\'') => {
                let (s, pattern) = self.string()?;
                Ok(Value::Str(s, pattern))
            }
            Some(c) if c == '-' || c.is_ascii_digit() => self.number(),
            Some(c) if is_letter(c) => {
                let save = self.pos;
                match self.identifier().as_deref() {
                    Some("true") => Ok(Value::Bool(true)),
                    Some("false") => Ok(Value::Bool(false)),
                    Some("null") => Ok(Value::Null),
                    _ => {
                        self.pos = save;
                        Err(self.error(&format!(
                            "expected a value (a quoted string, number, true, false or null), found {}",
                            self.describe_here()
                        )))
                    }
                }
            }
            _ => Err(self.error(&format!(
                "expected a value (a quoted string, number, true, false or null), found {}",
                self.describe_here()
            ))),
        }
    }

    fn number(&mut self) -> Result<Value> {
        let start = self.pos;
        let digits = |p: &mut Parser| {
            let s = p.pos;
            while p.peek().is_some_and(|c| c.is_ascii_digit()) {
                p.pos += 1;
            }
            p.pos > s
        };
        if self.peek() == Some('-') {
            self.pos += 1;
        }
        let mut ok = digits(self);
        if ok && self.peek() == Some('.') {
            self.pos += 1;
            ok = digits(self);
        }
        if ok && matches!(self.peek(), Some('e' | 'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some('+' | '-')) {
                self.pos += 1;
            }
            ok = digits(self);
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        match parse_decimal(&text) {
            Some(n) if ok && n.is_finite() => Ok(Value::Num(n)),
            _ => {
                self.pos = start;
                Err(self.error(&format!("malformed number '{text}'")))
            }
        }
    }

    /// A quoted string: its value and its `LIKE` pattern reading.
    fn string(&mut self) -> Result<(String, Pattern)> {
        let start = self.pos;
        let quote = match self.peek() {
            Some(q @ ('"' | '\'')) => q,
            _ => {
                return Err(self.error(&format!(
                    "expected a quoted string, found {}",
                    self.describe_here()
                )))
            }
        };
        self.pos += 1;
        let mut value = String::new();
        let mut pattern = Vec::new();
        loop {
            let Some(c) = self.peek() else {
                self.pos = start;
                return Err(self.error("unterminated string"));
            };
            self.pos += 1;
            if c == quote {
                return Ok((value, Pattern::new(&pattern)));
            }
            if c == '*' {
                value.push('*');
                pattern.push(PatternPart::Any);
                continue;
            }
            let literal = if c == '\\' {
                let Some(e) = self.peek() else {
                    self.pos = start;
                    return Err(self.error("unterminated string"));
                };
                self.pos += 1;
                match e {
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    'u' => self.unicode_escape()?,
                    other => other,
                }
            } else {
                c
            };
            value.push(literal);
            pattern.push(PatternPart::Char(literal));
        }
    }

    fn unicode_escape(&mut self) -> Result<char> {
        let hex: String = self.chars.iter().skip(self.pos).take(4).collect();
        let code = (hex.len() == 4)
            .then(|| u32::from_str_radix(&hex, 16).ok())
            .flatten()
            .and_then(char::from_u32)
            .ok_or_else(|| self.error("malformed \\u escape (expected 4 hex digits)"))?;
        self.pos += 4;
        Ok(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Custom;

    fn user() -> User {
        let mut u = User::new("support_agent_15");
        u.set(StrField::Name, Some("O'Brien *star* \\ back".into()));
        u.set(StrField::Email, Some("mike@example.com".into()));
        u.set(StrField::Status, Some("active".into()));
        u.custom = Some(Custom(vec![
            ("age".into(), Scalar::Num(42.0)),
            ("vip".into(), Scalar::Bool(true)),
            ("employment-status".into(), Scalar::Str("full".into())),
        ]));
        u.updated = "2024-03-07T08:49:07.011608Z".into();
        u
    }

    fn m(f: &str) -> bool {
        Filter::parse(f)
            .unwrap_or_else(|e| panic!("{f}: {e}"))
            .matches(&user())
    }

    #[test]
    fn comparisons() {
        assert!(m("id == 'support_agent_15'"));
        assert!(m("id == \"support_agent_15\""));
        assert!(!m("id != 'support_agent_15'"));
        assert!(m("id > 'a' && id < 't'"));
        assert!(m("id >= 'support_agent_15' && id <= 'support_agent_15'"));
        assert!(m(
            "custom.age == 42 && custom.age > 41.5 && custom.age <= 4.2e1"
        ));
        assert!(m("custom.vip == true && custom.vip != false"));
        assert!(m("custom[\"employment-status\"] == 'full'"));
        assert!(m("custom.[\"employment-status\"] == 'full'"));
        assert!(m("[\"email\"] == 'mike@example.com'"));
        assert!(m("updated >= \"2023-01-01T00:00:00Z\""));
        assert!(m("type == null && externalId == null && name != null"));
        assert!(!m("custom.missing != null"));
        assert!(!m("custom.age == '42'"), "types do not coerce");
        assert!(m("custom.age != '42'"));
        assert!(m("custom.age == -0.5e0 || custom.age == 42"));
    }

    fn like(text: &str, parts: &[PatternPart]) -> bool {
        Pattern::new(parts).matches(text)
    }

    #[test]
    fn like_patterns() {
        assert!(m("email LIKE '*@example.com'"));
        assert!(m("email like 'mike*'"));
        assert!(m("email LIKE '*example*'"));
        assert!(!m("email LIKE 'Mike*'"), "case-sensitive");
        assert!(m("name LIKE 'O\\'Brien*'"));
        assert!(m(r#"name LIKE "*\**""#));
        assert!(m(r#"name LIKE "*\\ back""#));
        assert!(!m(r#"id LIKE "*\**""#));
        assert!(m("id LIKE '*'") && m("id LIKE '**15'"));
        assert!(!m("custom.age LIKE '4*'"));
        assert!(like(
            "aaab",
            &[
                PatternPart::Any,
                PatternPart::Char('a'),
                PatternPart::Char('b')
            ]
        ));
        assert!(!like("", &[PatternPart::Char('a')]));
        assert!(like("", &[PatternPart::Any]));
    }

    /// `like` against a plain recursive matcher, on random texts and patterns mixing
    /// one-, two- and three-byte chars (the walk is by byte offset).
    #[test]
    fn like_agrees_with_a_reference() {
        fn reference(t: &[char], p: &[PatternPart]) -> bool {
            match p.split_first() {
                None => t.is_empty(),
                Some((PatternPart::Any, rest)) => (0..=t.len()).any(|i| reference(&t[i..], rest)),
                Some((PatternPart::Char(c), rest)) => {
                    t.first() == Some(c) && reference(&t[1..], rest)
                }
            }
        }
        let alphabet = ['a', 'b', 'é', '日'];
        let mut rng = crate::test_rng(0x9e37_79b9_7f4a_7c15);
        let mut next = move |m: usize| rng(m as u64) as usize;
        for _ in 0..20_000 {
            let text: Vec<char> = (0..next(7)).map(|_| alphabet[next(4)]).collect();
            let pattern: Vec<PatternPart> = (0..next(6))
                .map(|_| match next(6) {
                    0 | 1 => PatternPart::Any,
                    i => PatternPart::Char(alphabet[i - 2]),
                })
                .collect();
            let s: String = text.iter().collect();
            assert_eq!(
                like(&s, &pattern),
                reference(&text, &pattern),
                "{s:?} {pattern:?}"
            );
        }
    }

    /// The pathological shapes of the old backtracking matcher (text x pattern steps) on
    /// inputs where that would be billions of steps: they finish, and right.
    #[test]
    fn like_is_linear_on_pathological_inputs() {
        let text = "a".repeat(1_000_000);
        let stars = format!("*{}b", "a*".repeat(500));
        assert!(!Filter::parse(&format!("name LIKE '{stars}'"))
            .unwrap()
            .matches(&{
                let mut u = User::new("u");
                u.set(StrField::Name, Some(text.clone()));
                u
            }));
        let run = format!("*{}b*", "a".repeat(1000));
        assert!(!Pattern::new(&parse_parts(&run)).matches(&text));
        let hit = format!("{text}b{text}");
        assert!(Pattern::new(&parse_parts(&run)).matches(&hit));
        assert!(Pattern::new(&parse_parts(&stars)).matches(&format!("{text}b")));
    }

    fn parse_parts(p: &str) -> Vec<PatternPart> {
        p.chars()
            .map(|c| match c {
                '*' => PatternPart::Any,
                c => PatternPart::Char(c),
            })
            .collect()
    }

    #[test]
    fn pattern_and_like_caps() {
        let long = format!("name LIKE '{}'", "x".repeat(MAX_PATTERN_CHARS + 1));
        let e = Filter::parse(&long).unwrap_err().to_string();
        assert!(e.contains("LIKE pattern is longer than 1024"), "{e}");
        assert!(Filter::parse(&format!("name LIKE '{}'", "x".repeat(MAX_PATTERN_CHARS))).is_ok());
        // A long == literal is not a pattern: only the filter length bounds it.
        assert!(Filter::parse(&format!("name == '{}'", "x".repeat(4000))).is_ok());
        let likes = |n: usize| vec!["id LIKE 'a*'"; n].join(" || ");
        assert!(Filter::parse(&likes(MAX_LIKES)).is_ok());
        let e = Filter::parse(&likes(MAX_LIKES + 1))
            .unwrap_err()
            .to_string();
        assert!(e.contains("more than 16 LIKE conditions"), "{e}");
        let e = Filter::parse(&"x".repeat(MAX_LEN + 1))
            .unwrap_err()
            .to_string();
        assert!(e.contains("longer than 8192 bytes"), "{e}");
    }

    #[test]
    fn precedence_and_negation() {
        // && binds tighter than ||.
        assert!(m("id == 'x' && id == 'y' || status == 'active'"));
        assert!(!m("id == 'x' && (id == 'y' || status == 'active')"));
        assert!(m("!(id LIKE \"*8*\")"));
        assert!(m("!!(status == 'active')"));
        assert!(!m("!status == 'active'"));
        assert!(m("((((status == 'active'))))"));
    }

    #[test]
    fn malformed_filters_say_where() {
        for (f, needle) in [
            ("", "empty"),
            ("   ", "empty"),
            ("name", "operator"),
            ("name ==", "expected a value"),
            ("name = 'a'", "operator"),
            ("name == 'a", "unterminated"),
            ("name == 'a' AND id == 'b'", "unexpected"),
            ("(name == 'a'", "expected ')'"),
            ("foo == 1", "unknown field 'foo'"),
            ("custom.a.b == 1", "unknown field"),
            ("name == bar", "expected a value"),
            ("name LIKE 5", "LIKE needs a string"),
            ("name == 1.", "malformed number"),
            ("name == -", "malformed number"),
            ("name == '\\u12'", "\\u escape"),
            ("&& name == 'a'", "field name"),
            ("name == 'a' ||", "end of filter"),
        ] {
            let e = Filter::parse(f).unwrap_err();
            assert_eq!(e.code(), "INVALID_ARGUMENT");
            let msg = e.to_string();
            assert!(msg.contains(needle), "{f:?} gave {msg:?}");
            assert!(msg.starts_with("Invalid filter"), "{msg}");
        }
        let e = Filter::parse("name = 'a'").unwrap_err().to_string();
        assert!(e.contains("position 6"), "{e}");
    }

    #[test]
    fn depth_and_length_are_bounded() {
        let deep = format!("{}id == 'a'{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(Filter::parse(&deep).is_err());
        let bangs = format!("{}(id == 'a')", "!".repeat(5_000));
        assert!(Filter::parse(&bangs).is_err());
        let ok = format!(
            "{}id == 'support_agent_15'{}",
            "(".repeat(60),
            ")".repeat(60)
        );
        assert!(m(&ok));
    }

    #[test]
    fn decimal_literals_match_std_parsing() {
        for t in [
            "0",
            "-0",
            "1",
            "42",
            "-42",
            "3.14159",
            "0.1",
            "0.3",
            "-2.5",
            "6.022e23",
            "1e-7",
            "4.2e1",
            "-0.5e0",
            "9007199254740991",
            "123456789.123456789",
            "1E5",
            "1e+2",
            "2.5e-3",
        ] {
            let want: f64 = t.parse().unwrap();
            let got = parse_decimal(t).unwrap();
            let close = (got - want).abs() <= want.abs() * 4.0 * f64::EPSILON;
            assert!(close, "{t}: {got} vs {want}");
            if !t.contains(['e', 'E']) && t.len() < 16 {
                assert_eq!(got.to_bits(), want.to_bits(), "{t} must be exact");
            }
        }
        for bad in ["", "-", ".5", "1.", "1e", "e5", "1x", "--1"] {
            assert!(parse_decimal(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn decimal_exponents_with_leading_zeros_zeros_and_range_edges() {
        for (t, want) in [
            ("5e0000001", 50.0),
            ("1e-0000001", 0.1),
            ("1e000000000000000000000000002", 100.0),
            ("0e400", 0.0),
            ("0.0e999", 0.0),
            ("0e-99999999999999999999", 0.0),
            ("1.5e-308", 1.5e-308),
            ("1e-400", 0.0),
            ("1e400", f64::INFINITY),
            ("-1e99999999999999999999", f64::NEG_INFINITY),
        ] {
            let got = parse_decimal(t).unwrap();
            let close = got == want || (got - want).abs() <= want.abs() * 4.0 * f64::EPSILON;
            assert!(close, "{t}: {got} vs {want}");
        }
        assert!(parse_decimal("-0e400").is_some_and(|z| z == 0.0 && z.is_sign_negative()));
        assert!(Filter::parse("custom.age == 0e400").is_ok());
    }

    #[test]
    fn quoted_values_match_literally() {
        let u = user();
        for v in ["O'Brien *star* \\ back", "support_agent_15"] {
            let field = if v.starts_with('O') { "name" } else { "id" };
            assert!(
                Filter::parse(&format!("{field} == {}", quote(v)))
                    .unwrap()
                    .matches(&u),
                "{v}"
            );
        }
        assert_eq!(quote("a'b*c\\d"), r"'a\'b\*c\\d'");
        assert!(!Filter::parse(&format!("name LIKE {}", quote("O*")))
            .unwrap()
            .matches(&u));
    }

    #[test]
    fn never_panics_on_junk() {
        let mut next = crate::test_rng(0x1234_5678);
        let alphabet: Vec<char> = "()[]!&|=<>'\"\\*.-+e0123456789 abcLIKEnulltrueé\u{0}"
            .chars()
            .collect();
        for _ in 0..20_000 {
            let len = next(24);
            let mut s = String::new();
            for _ in 0..len {
                s.push(alphabet[next(alphabet.len() as u64) as usize]);
            }
            if let Ok(f) = Filter::parse(&s) {
                f.matches(&user());
            }
        }
    }
}
