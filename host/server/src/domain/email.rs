use std::fmt;

use super::InvalidValue;

/// An email address, trimmed and lower-cased so that uniqueness per tenant is
/// case-insensitive (`Ana@X.test` and `ana@x.test` are one account).
///
/// The check is deliberately shallow (one `@`, a dotted domain, no spaces): the only real
/// proof that an address works is a delivered message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let value = raw.trim().to_lowercase();
        if value.is_empty() {
            return Err(InvalidValue::new("must not be empty"));
        }
        if value.len() > Self::MAX_LEN {
            return Err(InvalidValue::new(format!(
                "must be at most {} characters",
                Self::MAX_LEN
            )));
        }
        let Some((local, domain)) = value.split_once('@') else {
            return Err(InvalidValue::new("must contain an @"));
        };
        let well_formed = !local.is_empty()
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !value.chars().any(|c| c.is_whitespace() || c.is_control());
        if !well_formed {
            return Err(InvalidValue::new("is not an email address"));
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse("  Ana@Example.TEST ").unwrap().as_str(),
            "ana@example.test"
        );
        for bad in [
            "",
            "ana",
            "ana@",
            "@x.test",
            "ana@test",
            "a b@x.test",
            "a@b@x.test",
            "a@.test",
            "a@x.",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(Email::parse(&format!("{}@x.test", "a".repeat(260))).is_err());
    }
}
