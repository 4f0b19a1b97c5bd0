use std::fmt;

use super::InvalidValue;

/// The short name a tenant logs in with (`demo`, `la-cigale`): lower-case ASCII letters,
/// digits and inner hyphens, 2 to 63 characters, so it is also safe in URLs and file names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TenantSlug(String);

impl TenantSlug {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let value = raw.trim();
        let ok_chars = value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !(2..=63).contains(&value.len())
            || !ok_chars
            || value.starts_with('-')
            || value.ends_with('-')
        {
            return Err(InvalidValue::new(
                "must be 2 to 63 lower-case letters, digits or inner hyphens",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An IANA time zone (`Europe/Paris`): times are stored in UTC and shown in this zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(pub chrono_tz::Tz);

impl TimeZone {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        raw.trim().parse::<chrono_tz::Tz>().map(Self).map_err(|_| {
            InvalidValue::new(format!(
                "`{raw}` is not an IANA time zone such as Europe/Paris"
            ))
        })
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }
}

impl Default for TimeZone {
    fn default() -> Self {
        Self(chrono_tz::Europe::Paris)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_url_safe() {
        assert!(TenantSlug::parse("la-cigale").is_ok());
        assert!(TenantSlug::parse("demo2").is_ok());
        for bad in [
            "",
            "a",
            "-demo",
            "demo-",
            "Demo",
            "dé",
            "a b",
            &"a".repeat(64),
        ] {
            assert!(TenantSlug::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn time_zones_are_iana_names() {
        assert_eq!(
            TimeZone::parse("Europe/Paris").unwrap().name(),
            "Europe/Paris"
        );
        assert_eq!(TimeZone::default().name(), "Europe/Paris");
        assert!(TimeZone::parse("Mars/Olympus").is_err());
    }
}
