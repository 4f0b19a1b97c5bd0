//! Free text fields: names, labels, notes, phone numbers.

use std::fmt;

use super::InvalidValue;

/// `raw` trimmed, refused when empty, longer than `max_chars` characters, or holding
/// control characters (a name is one line).
pub fn label(raw: &str, max_chars: usize) -> Result<String, InvalidValue> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(InvalidValue::new("must not be empty"));
    }
    if value.chars().count() > max_chars {
        return Err(InvalidValue::new(format!(
            "must be at most {max_chars} characters"
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(InvalidValue::new("must not contain control characters"));
    }
    Ok(value.to_owned())
}

/// Like [`label`], but line breaks and tabs are allowed (a note, an address).
pub fn multiline(raw: &str, max_chars: usize) -> Result<String, InvalidValue> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(InvalidValue::new("must not be empty"));
    }
    if value.chars().count() > max_chars {
        return Err(InvalidValue::new(format!(
            "must be at most {max_chars} characters"
        )));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(InvalidValue::new("must not contain control characters"));
    }
    Ok(value.to_owned())
}

/// A telephone number as people write it (`+33 6 12 34 56 78`, `(555) 010-0199`): digits,
/// spaces and `+ - . ( )`, at least 3 digits, at most 32 characters, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub const MAX_LEN: usize = 32;

    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let value = raw.trim();
        let chars_ok = value
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '.' | '(' | ')'));
        let digits = value.chars().filter(char::is_ascii_digit).count();
        if !chars_ok || digits < 3 || value.len() > Self::MAX_LEN {
            return Err(InvalidValue::new(format!(
                "is not a telephone number: digits, spaces and + - . ( ), at least 3 digits, at most {} characters",
                Self::MAX_LEN
            )));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_trimmed_and_bounded() {
        assert_eq!(label("  Ana Martin ", 200).unwrap(), "Ana Martin");
        assert_eq!(label(&"é".repeat(200), 200).unwrap().chars().count(), 200);
        assert!(label(&"é".repeat(201), 200).is_err());
        assert!(label("   ", 200).is_err());
        assert!(label("a\nb", 200).is_err());
        assert_eq!(multiline(" 1 rue X\nParis ", 50).unwrap(), "1 rue X\nParis");
        assert!(multiline("a\u{7}b", 50).is_err());
    }

    #[test]
    fn phones_are_digits_and_punctuation() {
        assert_eq!(
            Phone::parse(" +33 6 12 34 56 78 ").unwrap().as_str(),
            "+33 6 12 34 56 78"
        );
        assert!(Phone::parse("(555) 010-0199").is_ok());
        for bad in [
            "",
            "12",
            "call me",
            "+33 6 12 34 56 78 90 12 34 56 78 90 12",
            "06/12",
        ] {
            assert!(Phone::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
