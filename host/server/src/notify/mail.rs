//! Mail notifications: one message per notification, plain text and HTML, the technician's
//! calendar for the mission attached, sent over SMTP.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use super::texts::Rendered;
use super::webhook::Sent;
use crate::config::{SmtpConfig, SmtpTls};

/// How long an SMTP conversation may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

/// Why the mailer could not be set up from the configuration.
#[derive(Debug, thiserror::Error)]
pub enum MailSetupError {
    #[error("SMTP_FROM: {0}")]
    From(String),
    #[error("SMTP_HOST: {0}")]
    Relay(String),
}

/// The SMTP client and the sender, built once from the configuration.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

/// A file attached to a mail.
#[derive(Debug, Clone)]
pub struct IcsFile {
    pub filename: String,
    pub body: Vec<u8>,
}

impl Mailer {
    /// `None` when mail is off (no `SMTP_HOST` or no `SMTP_FROM`).
    pub fn from_config(config: &SmtpConfig) -> Result<Option<Self>, MailSetupError> {
        let (Some(host), Some(from)) = (&config.host, &config.from) else {
            return Ok(None);
        };
        let from: Mailbox = from
            .parse()
            .map_err(|e: lettre::address::AddressError| MailSetupError::From(e.to_string()))?;
        let builder = match config.tls {
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
            SmtpTls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
                .map_err(|e| MailSetupError::Relay(e.to_string()))?,
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)
                .map_err(|e| MailSetupError::Relay(e.to_string()))?,
        };
        let mut builder = builder.port(config.port).timeout(Some(SMTP_TIMEOUT));
        if let (Some(user), Some(password)) = (&config.user, &config.password) {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                password.expose_secret().to_owned(),
            ));
        }
        Ok(Some(Self {
            transport: builder.build(),
            from,
        }))
    }

    /// Sends `rendered` to `to`. The `Message-ID` is the message's own, the same on every
    /// attempt, so a mail system that got it before can tell.
    pub async fn send(
        &self,
        to: &str,
        message_id: &str,
        rendered: &Rendered,
        ics: Option<IcsFile>,
    ) -> Sent {
        let to: Mailbox = match to.parse() {
            Ok(to) => to,
            Err(e) => return Sent::refused(format!("the address {to:?} is invalid: {e}")),
        };
        let body = MultiPart::alternative_plain_html(rendered.text.clone(), rendered.html.clone());
        let body = match ics {
            Some(file) => MultiPart::mixed().multipart(body).singlepart(
                Attachment::new(file.filename).body(
                    file.body,
                    ContentType::parse("text/calendar; charset=utf-8; method=PUBLISH")
                        .expect("a valid content type"),
                ),
            ),
            None => MultiPart::mixed().multipart(body),
        };
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&rendered.subject)
            .message_id(Some(format!("<{message_id}@callsheet>")))
            .multipart(body);
        let message = match message {
            Ok(m) => m,
            Err(e) => return Sent::refused(format!("the message cannot be built: {e}")),
        };
        match self.transport.send(message).await {
            Ok(response) => Sent::accepted(response.code().into()),
            Err(e) => Sent {
                status: e.status().map(u16::from),
                error: Some(e.to_string()),
                // 5xx: the server refuses this message for good (no such mailbox...).
                permanent: e.is_permanent(),
            },
        }
    }
}
