//! What a notification says, in the user's language: a subject, a plain-text body and
//! the same body in HTML (names and titles escaped).

use chrono::{DateTime, Utc};

use crate::domain::{EventType, Language, TimeZone};

/// One shift a notification is about, as the technician will read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShiftLine {
    pub title: String,
    pub venue: Option<String>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Where it was, for a move.
    pub previous: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

/// Everything a notification says, resolved from its event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub event: EventType,
    /// The tenant's zone: every time is shown in it, with its name.
    pub time_zone: TimeZone,
    pub shifts: Vec<ShiftLine>,
}

/// A notification ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The notification `notice` in `language`.
pub fn render(notice: &Notice, language: Language) -> Rendered {
    let words = Words::of(language);
    let first = notice.shifts.first();
    let title = first.map_or("", |s| s.title.as_str());
    let subject = match notice.event {
        EventType::RunCommitted => words.run_subject(notice.shifts.len()),
        event => format!("{}{title}", words.subject_prefix(event)),
    };
    let intro = words.intro(notice.event, notice.shifts.len());
    let lines: Vec<String> = notice
        .shifts
        .iter()
        .map(|s| line(s, notice.time_zone, &words))
        .collect();
    let text = format!(
        "{}\n\n{intro}\n\n{}\n\n{}\n",
        words.greeting,
        lines
            .iter()
            .map(|l| format!("- {l}"))
            .collect::<Vec<_>>()
            .join("\n"),
        words.footer
    );
    let html = format!(
        "<!DOCTYPE html><html lang=\"{}\"><body><p>{}</p><p>{}</p><ul>{}</ul><p style=\"color:#666\">{}</p></body></html>",
        language.as_str(),
        escape(words.greeting),
        escape(&intro),
        lines
            .iter()
            .map(|l| format!("<li>{}</li>", escape(l)))
            .collect::<String>(),
        escape(words.footer)
    );
    Rendered {
        subject,
        text,
        html,
    }
}

fn escape(text: &str) -> String {
    html_escape::encode_text(text).into_owned()
}

/// `Title, Venue: 2026-07-06 10:00 - 20:00 (Europe/Paris)`, and where it was for a move.
fn line(shift: &ShiftLine, tz: TimeZone, words: &Words) -> String {
    let mut text = shift.title.clone();
    if let Some(venue) = &shift.venue {
        text.push_str(", ");
        text.push_str(venue);
    }
    text.push_str(": ");
    text.push_str(&span(shift.start, shift.end, tz));
    if let Some((start, end)) = shift.previous {
        text.push_str(&format!(" ({} {})", words.instead_of, span(start, end, tz)));
    }
    text
}

fn span(start: DateTime<Utc>, end: DateTime<Utc>, tz: TimeZone) -> String {
    let (start, end) = (start.with_timezone(&tz.0), end.with_timezone(&tz.0));
    let until = if start.date_naive() == end.date_naive() {
        end.format("%H:%M").to_string()
    } else {
        end.format("%Y-%m-%d %H:%M").to_string()
    };
    format!(
        "{} - {until} ({})",
        start.format("%Y-%m-%d %H:%M"),
        tz.name()
    )
}

/// The sentences of one language.
struct Words {
    language: Language,
    greeting: &'static str,
    footer: &'static str,
    instead_of: &'static str,
}

impl Words {
    fn of(language: Language) -> Self {
        match language {
            Language::Fr => Self {
                language,
                greeting: "Bonjour,",
                footer: "Message envoyé par callsheet. Vos préférences de notification se règlent dans votre profil.",
                instead_of: "au lieu de",
            },
            Language::En => Self {
                language,
                greeting: "Hello,",
                footer: "Sent by callsheet. Choose what you are told of in your profile.",
                instead_of: "instead of",
            },
        }
    }

    fn subject_prefix(&self, event: EventType) -> &'static str {
        match (self.language, event) {
            (Language::Fr, EventType::AssignmentProposed) => "Proposition : ",
            (Language::Fr, EventType::AssignmentConfirmed) => "Confirmé : ",
            (Language::Fr, EventType::AssignmentDeclined) => "Refusé : ",
            (Language::Fr, EventType::AssignmentCancelled) => "Retiré : ",
            (Language::Fr, EventType::MissionMoved) => "Nouvel horaire : ",
            (Language::Fr, EventType::MissionCancelled) => "Mission annulée : ",
            (Language::Fr, _) => "callsheet : ",
            (Language::En, EventType::AssignmentProposed) => "Proposed: ",
            (Language::En, EventType::AssignmentConfirmed) => "Confirmed: ",
            (Language::En, EventType::AssignmentDeclined) => "Declined: ",
            (Language::En, EventType::AssignmentCancelled) => "Removed: ",
            (Language::En, EventType::MissionMoved) => "Rescheduled: ",
            (Language::En, EventType::MissionCancelled) => "Cancelled: ",
            (Language::En, _) => "callsheet: ",
        }
    }

    fn run_subject(&self, count: usize) -> String {
        match (self.language, count) {
            (Language::Fr, 1) => "1 nouvelle proposition".to_owned(),
            (Language::Fr, n) => format!("{n} nouvelles propositions"),
            (Language::En, 1) => "1 new proposed shift".to_owned(),
            (Language::En, n) => format!("{n} new proposed shifts"),
        }
    }

    fn intro(&self, event: EventType, count: usize) -> String {
        let fr = match event {
            EventType::AssignmentProposed => {
                "Une mission vous est proposée ; confirmez-la ou refusez-la dans callsheet."
            }
            EventType::AssignmentConfirmed => "Votre participation est confirmée.",
            EventType::AssignmentDeclined => {
                "Votre participation est refusée ; le créneau est libéré."
            }
            EventType::AssignmentCancelled => {
                "Vous avez été retiré(e) de cette mission ; le créneau est libéré."
            }
            EventType::MissionMoved => "Les horaires de votre mission ont changé.",
            EventType::MissionCancelled => "Cette mission est annulée ; le créneau est libéré.",
            EventType::RunCommitted if count == 1 => {
                "Le planning vous propose une mission ; confirmez-la ou refusez-la dans callsheet."
            }
            EventType::RunCommitted => {
                "Le planning vous propose des missions ; confirmez-les ou refusez-les dans callsheet."
            }
            _ => "Du nouveau dans votre planning.",
        };
        let en = match event {
            EventType::AssignmentProposed => {
                "You are proposed for a mission; confirm or decline it in callsheet."
            }
            EventType::AssignmentConfirmed => "Your place is confirmed.",
            EventType::AssignmentDeclined => "Your place is declined; the time is free again.",
            EventType::AssignmentCancelled => {
                "You were taken off this mission; the time is free again."
            }
            EventType::MissionMoved => "Your mission's times changed.",
            EventType::MissionCancelled => "This mission is cancelled; the time is free again.",
            EventType::RunCommitted if count == 1 => {
                "The plan proposes you a shift; confirm or decline it in callsheet."
            }
            EventType::RunCommitted => {
                "The plan proposes you shifts; confirm or decline them in callsheet."
            }
            _ => "Something changed in your plan.",
        };
        match self.language {
            Language::Fr => fr.to_owned(),
            Language::En => en.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn notice(event: EventType, title: &str) -> Notice {
        Notice {
            event,
            time_zone: TimeZone::parse("Europe/Paris").unwrap(),
            shifts: vec![ShiftLine {
                title: title.into(),
                venue: Some("Zénith".into()),
                start: at("2026-07-06T08:00:00Z"),
                end: at("2026-07-06T18:00:00Z"),
                previous: Some((at("2026-07-05T08:00:00Z"), at("2026-07-06T02:00:00Z"))),
            }],
        }
    }

    #[test]
    fn times_are_local_with_the_zone_and_the_move_says_where_it_was() {
        let fr = render(&notice(EventType::MissionMoved, "Gala"), Language::Fr);
        assert_eq!(fr.subject, "Nouvel horaire : Gala");
        assert!(
            fr.text.contains(
                "- Gala, Zénith: 2026-07-06 10:00 - 20:00 (Europe/Paris) (au lieu de 2026-07-05 10:00 - 2026-07-06 04:00 (Europe/Paris))"
            ),
            "{}",
            fr.text
        );
        assert!(fr.text.starts_with("Bonjour,"));
        let en = render(&notice(EventType::MissionMoved, "Gala"), Language::En);
        assert_eq!(en.subject, "Rescheduled: Gala");
        assert!(en.text.contains("instead of"));
    }

    #[test]
    fn names_are_escaped_in_html_and_kept_in_text() {
        let rendered = render(
            &notice(EventType::AssignmentProposed, "<Rock & Roll>"),
            Language::En,
        );
        assert!(
            rendered.html.contains("&lt;Rock &amp; Roll&gt;"),
            "{}",
            rendered.html
        );
        assert!(!rendered.html.contains("<Rock"));
        assert!(rendered.text.contains("<Rock & Roll>"));
        assert_eq!(rendered.subject, "Proposed: <Rock & Roll>");
    }

    #[test]
    fn a_run_counts_its_shifts() {
        let mut n = notice(EventType::RunCommitted, "A");
        n.shifts.push(n.shifts[0].clone());
        assert_eq!(render(&n, Language::Fr).subject, "2 nouvelles propositions");
        assert_eq!(render(&n, Language::En).subject, "2 new proposed shifts");
        n.shifts.pop();
        assert_eq!(render(&n, Language::En).subject, "1 new proposed shift");
    }
}
