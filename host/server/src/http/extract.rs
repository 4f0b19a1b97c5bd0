//! Extractors that turn requests into checked values or an [`ApiError`].
//!
//! axum's own `Json`, `Query` and `Path` answer 400/415/422 with plain-text bodies; these
//! replacements answer in the standard shape and name the offending field in `meta.field`
//! (the path into the document, such as `needs[2].skill`).

use std::marker::PhantomData;
use std::net::{IpAddr, SocketAddr};

use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, FromRef, FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use bytes::Bytes;
use serde::de::DeserializeOwned;

use super::error::ApiError;
use crate::domain::{Role, SessionId, TechnicianId, TenantId, TimeZone, UserId};
use crate::rate_limit::Scope;
use crate::rbac::{self, Permission};
use crate::state::AppState;

/// A JSON body deserialized into `T` (which should `deny_unknown_fields`).
#[derive(Debug)]
pub struct ValidJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ValidJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let declared_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|mime| {
                let mime = mime.trim();
                mime.eq_ignore_ascii_case("application/json") || mime.ends_with("+json")
            });
        if !declared_json {
            return Err(ApiError::UnsupportedMediaType {
                expected: "JSON (Content-Type: application/json)",
            });
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|rejection| match rejection {
                BytesRejection::FailedToBufferBody(e)
                    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE =>
                {
                    ApiError::PayloadTooLarge { limit_bytes: None }
                }
                other => ApiError::validation("body", other.body_text()),
            })?;
        // Every body of the API is an object; serde would also read a struct from an array
        // of its fields in order, which no client means.
        if bytes
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|b| *b != b'{')
        {
            return Err(ApiError::validation("body", "must be a JSON object"));
        }
        if holds_nul(&bytes) {
            return Err(ApiError::validation(
                "body",
                "text must not contain NUL characters (\\u0000)",
            ));
        }
        let deserializer = &mut serde_json::Deserializer::from_slice(&bytes);
        let value = serde_path_to_error::deserialize(&mut *deserializer).map_err(|e| {
            // A syntax error is about the document, not about the field it stopped in.
            if matches!(
                e.inner().classify(),
                serde_json::error::Category::Syntax | serde_json::error::Category::Eof
            ) {
                return field_error(".", e.inner().to_string());
            }
            let path = e.path().to_string();
            field_error(&path, e.inner().to_string())
        })?;
        // Bytes after the document are a client bug (two bodies glued, a bad proxy): refuse
        // rather than act on the first half.
        deserializer
            .end()
            .map_err(|e| field_error(".", e.to_string()))?;
        Ok(ValidJson(value))
    }
}

/// Whether a JSON text holds a `\u0000` escape in a string. No text field accepts NUL
/// (PostgreSQL cannot store it in `text`), so it is refused once, here, for every body.
/// Raw NUL bytes are not valid JSON and fail to parse anyway.
fn holds_nul(json: &[u8]) -> bool {
    let mut bytes = json.iter();
    while let Some(&b) = bytes.next() {
        // After a backslash the next byte is the escape's: consumed here, so the second
        // backslash of an escaped one (`\\u0000`, a literal text) never starts an escape.
        if b == b'\\' && bytes.next() == Some(&b'u') {
            let hex: Vec<u8> = bytes.by_ref().take(4).copied().collect();
            if hex == b"0000" {
                return true;
            }
        }
    }
    false
}

/// Query parameters deserialized into `T` (which should `deny_unknown_fields`).
#[derive(Debug)]
pub struct ValidQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ValidQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        if let Some((name, _)) =
            form_urlencoded::parse(query.as_bytes()).find(|(_, value)| value.contains('\0'))
        {
            return Err(ApiError::validation(
                name.into_owned(),
                "must not contain NUL characters",
            ));
        }
        let deserializer =
            serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer)
            .map(ValidQuery)
            .map_err(|e| {
                let path = e.path().to_string();
                field_error(&path, e.inner().to_string())
            })
    }
}

/// A path parameter; a malformed id is a 404 (no entity can have it), named in `meta`.
#[derive(Debug)]
pub struct ValidPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ValidPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ValidPath(p.0))
            .map_err(|rejection| ApiError::validation("path", rejection.body_text()))
    }
}

/// For PATCH fields that can be changed but not cleared, kept as `Option<T>` (absent:
/// leave as is) with `#[serde(default, deserialize_with = "not_null")]`: an explicit `null`
/// is refused with the same words as [`crate::domain::Patch::required`], instead of being
/// read as "absent" and silently ignored.
pub fn not_null<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    match <Option<T> as serde::Deserialize>::deserialize(deserializer)? {
        Some(value) => Ok(Some(value)),
        None => Err(serde::de::Error::custom(
            "cannot be null; leave the field out to keep its value",
        )),
    }
}

/// Turns a serde message and its path into a validation error naming the field. A missing
/// field is reported against its parent object, so its name is taken from the message and
/// appended to the path (an unknown field's path already ends with its name).
fn field_error(path: &str, message: String) -> ApiError {
    let parent = if path == "." { "" } else { path };
    let named = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    let field = match (named, parent) {
        (Some(name), "") => name.to_owned(),
        (Some(name), parent) => format!("{parent}.{name}"),
        (None, "") => "body".to_owned(),
        (None, parent) => parent.to_owned(),
    };
    // serde_json appends "at line 1 column 7" to its messages; the path already says where.
    let reason = message
        .split(" at line ")
        .next()
        .unwrap_or(&message)
        .to_owned();
    ApiError::validation(field, reason)
}

/// The authenticated caller, checked against the live session on every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub user: UserId,
    pub tenant: TenantId,
    /// The role as stored now, not as it was when the token was issued.
    pub role: Role,
    pub session: SessionId,
    /// The tenant's time zone: instants are shown in it, dates are read in it.
    pub time_zone: TimeZone,
    /// The caller's own technician profile, when their account is linked to one.
    pub technician: Option<TechnicianId>,
}

impl<S> FromRequestParts<S> for Caller
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(*caller);
        }
        let state = AppState::from_ref(state);
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .ok_or(ApiError::Unauthenticated("missing bearer token"))?;
        let claims = state.jwt.verify(token.trim()).map_err(|e| {
            tracing::debug!(error = %e, "access token refused");
            ApiError::Unauthenticated("invalid or expired access token")
        })?;
        // Counted once the token is verified (a forged tenant id cannot spend another
        // tenant's budget) and before the session is read (a flood costs no query).
        state
            .limiter
            .check(Scope::Tenant, &claims.tid.to_string())
            .await
            .map_err(|retry_after| ApiError::RateLimited { retry_after })?;
        let principal = state
            .storage
            .principal(claims.sid)
            .await?
            .filter(|p| p.is_live() && p.user_id == claims.sub && p.tenant_id == claims.tid)
            .ok_or(ApiError::Unauthenticated(
                "the session has ended; log in again",
            ))?;
        let caller = Caller {
            user: principal.user_id,
            tenant: principal.tenant_id,
            role: principal.role,
            session: claims.sid,
            time_zone: principal.time_zone,
            technician: principal.technician_id,
        };
        parts.extensions.insert(caller);
        // The request's span (`middleware::request_context`) names who asked.
        let span = tracing::Span::current();
        span.record("tenant.id", tracing::field::display(caller.tenant));
        span.record("user.id", tracing::field::display(caller.user));
        Ok(caller)
    }
}

/// An authenticated caller whose role allows `P` by [`rbac::MATRIX`].
#[derive(Debug)]
pub struct Allowed<P: Permission> {
    pub caller: Caller,
    permission: PhantomData<P>,
}

impl<S, P> FromRequestParts<S> for Allowed<P>
where
    AppState: FromRef<S>,
    S: Send + Sync,
    P: Permission,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, state).await?;
        if !rbac::allows(caller.role, P::RESOURCE, P::ACTION) {
            tracing::info!(
                role = %caller.role,
                resource = P::RESOURCE.as_str(),
                action = P::ACTION.as_str(),
                "permission denied"
            );
            return Err(ApiError::Forbidden);
        }
        Ok(Self {
            caller,
            permission: PhantomData,
        })
    }
}

/// The client's address: the socket peer, or, behind `TRUST_PROXY_HEADERS` trusted proxies,
/// the `X-Forwarded-For` entry they added. Each proxy appends the address it received the
/// request from, so the entries a client wrote itself come first: the client is the entry
/// `proxy_hops` from the right, never the leftmost (which anyone can forge).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl ClientIp {
    /// From a request's headers and extensions, as [`ClientIp`] extracts it.
    pub fn of(parts: &Parts, proxy_hops: u8) -> Option<Self> {
        if proxy_hops > 0 {
            let hops: Vec<&str> = parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .collect();
            if let Some(ip) = hops
                .len()
                .checked_sub(usize::from(proxy_hops))
                .and_then(|at| hops[at].parse().ok())
            {
                return Some(Self(ip));
            }
        }
        parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| Self(info.0.ip()))
    }
}

impl<S> FromRequestParts<S> for ClientIp
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        Self::of(parts, state.config.proxy_hops)
            .ok_or_else(|| ApiError::internal("the server was started without peer addresses"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_is_found_in_escapes_only() {
        assert!(holds_nul(br#"{"a": "x\u0000y"}"#));
        assert!(holds_nul(br#"{"a": "\u0000"}"#));
        assert!(
            !holds_nul(br#"{"a": "x\\u0000y"}"#),
            "an escaped backslash, then text"
        );
        assert!(!holds_nul(br#"{"a": "\u00e9", "b": "\\"}"#));
        assert!(!holds_nul(b"{}"));
    }

    fn field_of(path: &str, message: &str) -> (String, String) {
        match field_error(path, message.to_owned()) {
            ApiError::Validation { field, reason } => (field, reason),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn validation_errors_name_the_field() {
        assert_eq!(
            field_of(
                "email",
                "invalid type: integer `3`, expected a string at line 1 column 12"
            )
            .0,
            "email"
        );
        assert_eq!(
            field_of(
                "emial",
                "unknown field `emial`, expected one of `email`, `password`"
            ),
            (
                "emial".to_owned(),
                "unknown field `emial`, expected one of `email`, `password`".to_owned()
            )
        );
        assert_eq!(
            field_of("needs[0]", "missing field `skill`").0,
            "needs[0].skill"
        );
        assert_eq!(
            field_of(".", "EOF while parsing a value at line 1 column 0"),
            ("body".to_owned(), "EOF while parsing a value".to_owned())
        );
    }
}
