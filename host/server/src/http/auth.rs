//! Login, refresh, logout and the caller's own account.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody, ErrorResponses};
use super::extract::{Caller, ClientIp, ValidJson};
use super::users::UserView;
use crate::auth::password;
use crate::auth::refresh::{self, RefreshToken};
use crate::auth::throttle::AttemptKeys;
use crate::domain::{Email, Role, SessionId, TenantId, TenantSlug, UserId};
use crate::state::AppState;
use crate::storage::{NewSession, RefreshOutcome};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(refresh_tokens))
        .routes(routes!(logout))
        .routes(routes!(me))
}

/// The one message for every failed login, so that a response never tells whether the
/// tenant or the email exists.
const BAD_CREDENTIALS: &str = "invalid tenant, email or password";
/// Longer passwords are refused before hashing: argon2 would take them, but hashing
/// megabytes on request is a cheap denial of service.
const MAX_PASSWORD_BYTES: usize = 1024;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct LoginRequest {
    /// The tenant's slug, e.g. `demo`.
    #[schema(example = "demo")]
    tenant: String,
    #[schema(example = "admin@demo.test")]
    email: String,
    #[schema(example = "demo-admin")]
    password: String,
}

/// Tokens are credentials: no browser, proxy or CDN may keep a copy of the response.
#[derive(Debug)]
struct NoStore<T>(T);

impl<T: IntoResponse> IntoResponse for NoStore<T> {
    fn into_response(self) -> Response {
        (
            [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
            self.0,
        )
            .into_response()
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct TokenResponse {
    /// An HS256 JWT for the `Authorization: Bearer` header.
    access_token: String,
    /// Opaque; exchange it at `/auth/refresh` for a new pair. Single use.
    refresh_token: String,
    /// Always `bearer`.
    token_type: &'static str,
    /// Lifetime of the access token in seconds.
    expires_in: u64,
}

/// Exchanges a password for an access token and a refresh token.
///
/// Failed attempts are counted per account and per client address; past the limit the
/// answer is 429 `RATE_LIMITED` with `Retry-After` until the window ends.
#[utoipa::path(
    post,
    path = "/auth/login",
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 429, description = "Too many failed attempts (`RATE_LIMITED`); see `Retry-After`", body = ErrorBody),
        ErrorResponses,
    )
)]
#[tracing::instrument(skip_all, fields(tenant = %body.tenant))]
async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ValidJson(body): ValidJson<LoginRequest>,
) -> Result<NoStore<Json<TokenResponse>>, ApiError> {
    let slug =
        TenantSlug::parse(&body.tenant).map_err(|e| ApiError::validation("tenant", e.reason))?;
    let email = Email::parse(&body.email).map_err(|e| ApiError::validation("email", e.reason))?;
    let keys = AttemptKeys::new(&slug, &email, ip);
    // Counted before the password is checked, so parallel attempts cannot all pass.
    if let Err(retry_after) = state.throttle.reserve(&keys).await {
        return Err(ApiError::RateLimited { retry_after });
    }

    let credentials = match state.storage.tenant_by_slug(&slug).await? {
        Some(tenant) => state.storage.credentials(tenant.id, &email).await?,
        None => None,
    };
    let password_ok = body.password.len() <= MAX_PASSWORD_BYTES
        && password::verify(
            body.password,
            credentials.as_ref().map(|c| c.password_hash.clone()),
        )
        .await;
    let user = match credentials {
        Some(c) if password_ok && c.user.active => c.user,
        _ => {
            tracing::info!(%ip, "login failed");
            return Err(ApiError::Unauthenticated(BAD_CREDENTIALS));
        }
    };
    state.throttle.record_success(&keys).await;

    let session = SessionId::new();
    let refresh = RefreshToken::generate();
    let now = Utc::now();
    state
        .storage
        .create_session(NewSession {
            id: session,
            tenant_id: user.tenant_id,
            user_id: user.id,
            refresh_token_hash: refresh.hash.clone(),
            refresh_expires_at: now + state.config.refresh_expire,
            created_at: now,
        })
        .await?;
    tracing::info!(user = %user.id, %session, "login");
    Ok(NoStore(Json(tokens(
        &state,
        user.id,
        user.tenant_id,
        user.role,
        session,
        refresh,
    ))))
}

fn tokens(
    state: &AppState,
    user: UserId,
    tenant: TenantId,
    role: Role,
    session: SessionId,
    refresh: RefreshToken,
) -> TokenResponse {
    TokenResponse {
        access_token: state.jwt.issue(user, tenant, role, session),
        refresh_token: refresh.token,
        token_type: "bearer",
        expires_in: state.jwt.ttl().as_secs(),
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RefreshRequest {
    refresh_token: String,
}

/// Exchanges a refresh token for a new pair; the presented token is spent.
///
/// Presenting a spent token again means it was copied: the whole login (every token
/// issued from it) is revoked and the answer is 401.
#[utoipa::path(
    post,
    path = "/auth/refresh",
    tag = "auth",
    request_body = RefreshRequest,
    responses((status = 200, body = TokenResponse), ErrorResponses)
)]
#[tracing::instrument(skip_all)]
async fn refresh_tokens(
    State(state): State<AppState>,
    ValidJson(body): ValidJson<RefreshRequest>,
) -> Result<NoStore<Json<TokenResponse>>, ApiError> {
    let successor = RefreshToken::generate();
    let now = Utc::now();
    let outcome = state
        .storage
        .rotate_refresh_token(
            &refresh::digest(&body.refresh_token),
            &successor.hash,
            now + state.config.refresh_expire,
            now,
        )
        .await?;
    match outcome {
        RefreshOutcome::Rotated { session, user } => Ok(NoStore(Json(tokens(
            &state,
            user.id,
            user.tenant_id,
            user.role,
            session,
            successor,
        )))),
        RefreshOutcome::Reused { session } => {
            tracing::warn!(%session, "refresh token reuse: session revoked");
            Err(ApiError::Unauthenticated(
                "refresh token already used; the session is revoked, log in again",
            ))
        }
        RefreshOutcome::Rejected => Err(ApiError::Unauthenticated(
            "invalid or expired refresh token",
        )),
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct LogoutRequest {
    refresh_token: String,
}

/// Ends the login the refresh token belongs to: its refresh and access tokens stop working.
///
/// Answers 204 whether or not the token was known, so the call is safe to repeat.
#[utoipa::path(
    post,
    path = "/auth/logout",
    tag = "auth",
    request_body = LogoutRequest,
    responses((status = 204, description = "Logged out"), ErrorResponses)
)]
async fn logout(
    State(state): State<AppState>,
    ValidJson(body): ValidJson<LogoutRequest>,
) -> Result<StatusCode, ApiError> {
    let revoked = state
        .storage
        .revoke_session_by_refresh_token(&refresh::digest(&body.refresh_token), Utc::now())
        .await?;
    tracing::info!(revoked, "logout");
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's own account.
#[utoipa::path(
    get,
    path = "/auth/me",
    tag = "auth",
    security(("bearer" = [])),
    responses((status = 200, body = UserView), ErrorResponses)
)]
async fn me(State(state): State<AppState>, caller: Caller) -> Result<Json<UserView>, ApiError> {
    let user = state
        .storage
        .user(caller.tenant, caller.user)
        .await?
        .ok_or(ApiError::NotFound { entity: "user" })?;
    Ok(Json(user.into()))
}
