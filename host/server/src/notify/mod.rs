//! Notifications and webhooks, through the outbox (ADR 0010).
//!
//! A change and its event commit together (`storage::outbox`); this service turns events
//! into messages ([`fanout`], [`people`]), sends them ([`worker`]: webhooks signed by
//! [`signature`] to targets checked by [`guard`]; [`mail`] and [`telegram`] messages
//! worded by [`texts`]), retries failures ([`retry`]), and manages the tenants' endpoints
//! ([`endpoints`]).

pub mod endpoints;
pub mod fanout;
pub mod guard;
pub mod mail;
pub mod messages;
pub mod people;
pub mod retry;
pub mod signature;
pub mod telegram;
pub mod texts;
pub mod webhook;
pub mod worker;

use crate::storage::StorageError;

/// Why a notification operation failed, in the service's terms (`http::error` maps it).
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("webhook endpoint not found")]
    EndpointNotFound,
    #[error("notification not found")]
    DeliveryNotFound,
    #[error("user not found")]
    UserNotFound,
    /// Only a delivered or dead message is sent again; a pending one is on its way.
    #[error("the message is still pending: it will be tried again on its own")]
    StillPending,
    #[error("a tenant has at most {max} webhook endpoints")]
    TooManyEndpoints { max: usize },
    #[error("url: {0}")]
    Target(#[from] guard::TargetError),
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error(transparent)]
    Storage(#[from] StorageError),
}
