//! Input rules for ids and fields (design.md "Behaviour", protocol.md section 3).

use crate::error::{ChatError, Result};
use crate::json::{write_user_as, ByteCounter, Measure};
use crate::model::{Custom, Scalar, StrField, User};

/// Longest id, in characters.
pub const MAX_ID_CHARS: usize = 92;
/// Longest `status` / `type`, in characters.
pub const MAX_TAG_CHARS: usize = 50;
/// Largest record (JSON, custom included), in bytes.
pub const MAX_RECORD_BYTES: usize = 32 * 1024;

/// Checks a user id: non-empty, at most 92 characters, none of `, / \ * :` and no control
/// characters. An empty id is [`ChatError::IdRequired`].
pub fn validate_id(id: &str) -> Result<()> {
    if id.is_empty() {
        return Err(ChatError::IdRequired);
    }
    let chars = id.chars().count();
    if chars > MAX_ID_CHARS {
        return Err(ChatError::invalid(format!(
            "id must be at most {MAX_ID_CHARS} characters (got {chars})"
        )));
    }
    if let Some(c) = id
        .chars()
        .find(|c| matches!(c, ',' | '/' | '\\' | '*' | ':') || c.is_control() || *c == '\0')
    {
        return Err(ChatError::invalid(format!(
            "id must not contain {}",
            describe_char(c)
        )));
    }
    Ok(())
}

fn describe_char(c: char) -> String {
    if c.is_control() {
        format!("control character U+{:04X}", c as u32)
    } else {
        format!("'{c}'")
    }
}

/// Checks a custom object for ferrochat input: scalars only, finite numbers, no `null`.
pub fn validate_custom_input(custom: &Custom) -> Result<()> {
    for (k, v) in &custom.0 {
        match v {
            Scalar::Num(n) if !n.is_finite() => {
                return Err(ChatError::invalid(format!(
                    "custom.{k} must be a finite number"
                )))
            }
            Scalar::Null => {
                return Err(ChatError::invalid(format!(
                    "custom.{k} must be a string, number or boolean"
                )))
            }
            _ => {}
        }
    }
    Ok(())
}

/// Checks a full record after a patch: `name` not empty or whitespace, `status`/`type` at
/// most 50 characters, the whole record at most 32 KiB.
pub fn validate_record(user: &User) -> Result<()> {
    if let Some(name) = user.get(StrField::Name) {
        if name.trim().is_empty() {
            return Err(ChatError::invalid(
                "name must not be empty or only whitespace",
            ));
        }
    }
    for f in [StrField::Status, StrField::Type] {
        if let Some(v) = user.get(f) {
            let n = v.chars().count();
            if n > MAX_TAG_CHARS {
                return Err(ChatError::invalid(format!(
                    "{} must be at most {MAX_TAG_CHARS} characters (got {n})",
                    f.name()
                )));
            }
        }
    }
    let mut counter = ByteCounter::default();
    let _ = write_user_as::<Measure>(&mut counter, user, true);
    if counter.0 > MAX_RECORD_BYTES {
        return Err(ChatError::invalid(format!(
            "user record must be at most 32 KiB (got {} bytes)",
            counter.0
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert_eq!(validate_id(""), Err(ChatError::IdRequired));
        assert!(validate_id("support_agent_15").is_ok());
        assert!(validate_id(&"é".repeat(92)).is_ok());
        assert!(validate_id(&"é".repeat(93)).is_err());
        for bad in ["a,b", "a/b", "a\\b", "a*b", "a:b", "a\nb", "a\0b"] {
            let e = validate_id(bad).unwrap_err();
            assert_eq!(e.code(), "INVALID_ARGUMENT", "{bad}");
        }
    }

    #[test]
    fn records() {
        let mut u = User::new("x");
        u.set(StrField::Name, Some("  ".into()));
        assert!(validate_record(&u)
            .unwrap_err()
            .to_string()
            .contains("name"));
        u.set(StrField::Name, Some("ok".into()));
        u.set(StrField::Status, Some("s".repeat(51)));
        assert!(validate_record(&u)
            .unwrap_err()
            .to_string()
            .contains("status"));
        u.set(StrField::Status, Some("s".repeat(50)));
        assert!(validate_record(&u).is_ok());
        u.custom = Some(Custom(vec![(
            "big".into(),
            Scalar::Str("x".repeat(33_000)),
        )]));
        assert!(validate_record(&u)
            .unwrap_err()
            .to_string()
            .contains("32 KiB"));
    }

    #[test]
    fn custom_input() {
        let c = Custom(vec![("n".into(), Scalar::Null)]);
        assert!(validate_custom_input(&c).is_err());
        let c = Custom(vec![("n".into(), Scalar::Num(f64::NAN))]);
        assert!(validate_custom_input(&c).is_err());
        let c = Custom(vec![("n".into(), Scalar::Num(1.0))]);
        assert!(validate_custom_input(&c).is_ok());
    }
}
