use std::fmt;

use serde::{Deserialize, Serialize};

use super::InvalidValue;

/// A skill code (`sound`, `light`, `rigging`, `video.led`, `driver-c`): lower-case ASCII
/// letters and digits, then also dots and hyphens, 1 to 40 characters. Technicians list
/// the skills they have, needs the skill they require; the codes are the tenant's own.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, pattern = "^[a-z0-9][a-z0-9.-]{0,39}$", example = "rigging")]
pub struct Skill(String);

impl Skill {
    pub const MAX_LEN: usize = 40;
    /// The most skills one technician may list.
    pub const MAX_PER_TECHNICIAN: usize = 64;

    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let mut chars = raw.chars();
        let first_ok = chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        let rest_ok =
            chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-');
        if !first_ok || !rest_ok || raw.len() > Self::MAX_LEN {
            return Err(InvalidValue::new(format!(
                "`{raw}` is not a skill code: 1 to {} lower-case letters, digits, dots or hyphens, starting with a letter or digit",
                Self::MAX_LEN
            )));
        }
        Ok(Self(raw.to_owned()))
    }

    /// Parses a list of codes into a sorted list without duplicates. The error carries
    /// the index of the first bad code (`None` when the list as a whole is too long).
    pub fn parse_list(raw: &[String]) -> Result<Vec<Skill>, (Option<usize>, InvalidValue)> {
        let mut skills = raw
            .iter()
            .enumerate()
            .map(|(i, s)| Skill::parse(s).map_err(|e| (Some(i), e)))
            .collect::<Result<Vec<_>, _>>()?;
        skills.sort();
        skills.dedup();
        if skills.len() > Self::MAX_PER_TECHNICIAN {
            return Err((
                None,
                InvalidValue::new(format!(
                    "must list at most {} skills",
                    Self::MAX_PER_TECHNICIAN
                )),
            ));
        }
        Ok(skills)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Skill {
    type Error = InvalidValue;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Skill::parse(&value)
    }
}

impl From<Skill> for String {
    fn from(skill: Skill) -> Self {
        skill.0
    }
}

impl fmt::Display for Skill {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skill_codes_are_lower_case_and_short() {
        for good in ["sound", "video.led", "driver-c", "a", "3d", &"x".repeat(40)] {
            assert!(Skill::parse(good).is_ok(), "{good:?} should be accepted");
        }
        for bad in [
            "",
            "Sound",
            "-sound",
            ".x",
            "sound ",
            "son_or",
            "éclairage",
            &"x".repeat(41),
        ] {
            assert!(Skill::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn lists_are_sorted_and_deduplicated_and_name_the_bad_entry() {
        let list = ["rigging", "light", "rigging"].map(String::from);
        let skills = Skill::parse_list(&list).unwrap();
        assert_eq!(
            skills.iter().map(Skill::as_str).collect::<Vec<_>>(),
            ["light", "rigging"]
        );
        let list = ["light", "Bad"].map(String::from);
        assert_eq!(Skill::parse_list(&list).unwrap_err().0, Some(1));
        let many: Vec<String> = (0..65).map(|i| format!("s{i}")).collect();
        assert_eq!(Skill::parse_list(&many).unwrap_err().0, None);
        // Duplicates do not count against the limit.
        let repeated: Vec<String> = (0..100).map(|_| "sound".to_owned()).collect();
        assert_eq!(Skill::parse_list(&repeated).unwrap().len(), 1);
    }

    #[test]
    fn skills_deserialise_only_when_valid() {
        assert!(serde_json::from_str::<Skill>("\"light\"").is_ok());
        assert!(serde_json::from_str::<Skill>("\"Light\"").is_err());
    }
}
