//! User accounts of the caller's tenant.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody, ErrorResponses};
use super::extract::{Allowed, ValidJson, ValidPath, ValidQuery};
use crate::auth::password;
use crate::domain::{Email, Page, PageRequest, Password, Role, UserId};
use crate::rbac::{CreateUsers, ReadUsers, UpdateUsers};
use crate::state::AppState;
use crate::storage::{self, User, UserFilter, UserPatch};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user))
}

/// A user as the API shows it: never the password hash.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: UserId,
    pub email: String,
    pub role: Role,
    /// A deactivated user can neither log in nor refresh; their sessions were revoked.
    pub active: bool,
    /// UTC.
    pub created_at: DateTime<Utc>,
    /// UTC.
    pub updated_at: DateTime<Utc>,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        Self {
            id: u.id,
            email: u.email,
            role: u.role,
            active: u.active,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Page number, from 1 (default 1).
    #[param(minimum = 1)]
    page: Option<u32>,
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    size: Option<u32>,
    /// Only users with this role.
    role: Option<Role>,
    /// Only active (`true`) or deactivated (`false`) users.
    active: Option<bool>,
    /// Only users whose email contains this text (case-insensitive).
    email: Option<String>,
}

/// Lists the tenant's users, ordered by email.
#[utoipa::path(
    get,
    path = "/users",
    tag = "users",
    params(ListQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Page<UserView>), ErrorResponses)
)]
async fn list_users(
    State(state): State<AppState>,
    allowed: Allowed<ReadUsers>,
    ValidQuery(query): ValidQuery<ListQuery>,
) -> Result<Json<Page<UserView>>, ApiError> {
    let page = PageRequest::new(query.page, query.size)?;
    let filter = UserFilter {
        role: query.role,
        active: query.active,
        email_contains: query.email,
    };
    let (items, total) = state
        .storage
        .list_users(allowed.caller.tenant, &filter, page)
        .await?;
    Ok(Json(Page::new(items, total, page).map(UserView::from)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateUser {
    #[schema(example = "ana@demo.test")]
    email: String,
    /// 8 to 128 characters.
    #[schema(min_length = 8, max_length = 128)]
    password: String,
    role: Role,
    /// Defaults to `true`.
    active: Option<bool>,
}

/// Creates a user in the caller's tenant.
#[utoipa::path(
    post,
    path = "/users",
    tag = "users",
    request_body = CreateUser,
    security(("bearer" = [])),
    responses(
        (status = 201, body = UserView, headers(("Location" = String, description = "The new user's URL"))),
        (status = 409, description = "The email is taken in this tenant (`CONFLICT_DUPLICATE`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn create_user(
    State(state): State<AppState>,
    allowed: Allowed<CreateUsers>,
    ValidJson(body): ValidJson<CreateUser>,
) -> Result<impl IntoResponse, ApiError> {
    let email = Email::parse(&body.email).map_err(|e| ApiError::validation("email", e.reason))?;
    let password =
        Password::parse(&body.password).map_err(|e| ApiError::validation("password", e.reason))?;
    let hash = password::hash(password).await.map_err(ApiError::internal)?;
    let user = state
        .storage
        .create_user(
            allowed.caller.tenant,
            storage::new_user(email, hash, body.role, body.active.unwrap_or(true)),
        )
        .await?;
    tracing::info!(user = %user.id, role = %user.role, by = %allowed.caller.user, "user created");
    let location = format!("/api/v1/users/{}", user.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(UserView::from(user)),
    ))
}

/// One user of the caller's tenant.
#[utoipa::path(
    get,
    path = "/users/{id}",
    tag = "users",
    params(("id" = UserId, Path, description = "The user's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = UserView),
        (status = 404, description = "No such user in this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn get_user(
    State(state): State<AppState>,
    allowed: Allowed<ReadUsers>,
    ValidPath(id): ValidPath<UserId>,
) -> Result<Json<UserView>, ApiError> {
    let user = state
        .storage
        .user(allowed.caller.tenant, id)
        .await?
        .ok_or(ApiError::NotFound { entity: "user" })?;
    Ok(Json(user.into()))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateUser {
    email: Option<String>,
    /// 8 to 128 characters; ends the user's open sessions.
    #[schema(min_length = 8, max_length = 128)]
    password: Option<String>,
    role: Option<Role>,
    /// `false` deactivates: the user can no longer log in or refresh, and their sessions end.
    active: Option<bool>,
}

/// Changes a user's email, password, role or active flag.
///
/// Admins cannot deactivate or demote themselves (409 `SELF_LOCKOUT`), so a tenant always
/// keeps the admin who is making the change.
#[utoipa::path(
    patch,
    path = "/users/{id}",
    tag = "users",
    params(("id" = UserId, Path, description = "The user's id")),
    request_body = UpdateUser,
    security(("bearer" = [])),
    responses(
        (status = 200, body = UserView),
        (status = 404, description = "No such user in this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        (status = 409, description = "The email is taken (`CONFLICT_DUPLICATE`) or the change would lock the caller out (`SELF_LOCKOUT`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn update_user(
    State(state): State<AppState>,
    allowed: Allowed<UpdateUsers>,
    ValidPath(id): ValidPath<UserId>,
    ValidJson(body): ValidJson<UpdateUser>,
) -> Result<Json<UserView>, ApiError> {
    let email = body
        .email
        .as_deref()
        .map(Email::parse)
        .transpose()
        .map_err(|e| ApiError::validation("email", e.reason))?;
    let password = body
        .password
        .as_deref()
        .map(Password::parse)
        .transpose()
        .map_err(|e| ApiError::validation("password", e.reason))?;
    if id == allowed.caller.user
        && (body.active == Some(false) || body.role.is_some_and(|r| r != Role::Admin))
    {
        return Err(ApiError::Conflict {
            code: "SELF_LOCKOUT",
            detail: "you cannot deactivate or demote yourself; ask another admin".to_owned(),
        });
    }
    let password_hash = match password {
        Some(p) => Some(password::hash(p).await.map_err(ApiError::internal)?),
        None => None,
    };
    let patch = UserPatch {
        email,
        password_hash,
        role: body.role,
        active: body.active,
    };
    let user = state
        .storage
        .update_user(allowed.caller.tenant, id, patch, Utc::now())
        .await?
        .ok_or(ApiError::NotFound { entity: "user" })?;
    tracing::info!(user = %user.id, by = %allowed.caller.user, "user updated");
    Ok(Json(user.into()))
}
