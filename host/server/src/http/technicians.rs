//! Technician profiles: skills, contract and rates, preferences, relations, attributes.

use std::collections::HashSet;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody, ErrorResponses};
use super::extract::{Allowed, Caller, ValidJson, ValidPath, ValidQuery};
use crate::domain::time::{local, to_second};
use crate::domain::{
    Email, Page, PageRequest, Patch, Phone, Skill, TechnicianId, TenantId, UserId, VenueId, text,
};
use crate::rbac::{
    self, Action, CreateTechnicians, DeleteTechnicians, ReadTechnicians, Resource,
    UpdateTechnicians,
};
use crate::state::AppState;
use crate::storage::{
    Attributes, Contract, ContractKind, NewTechnician, Preferences, Relation, RelationKind,
    RelationSeverity, Technician, TechnicianFilter, TechnicianPatch,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_technicians, create_technician))
        .routes(routes!(
            get_technician,
            update_technician,
            delete_technician
        ))
}

const NAME_MAX_CHARS: usize = 200;

/// A technician as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TechnicianView {
    pub id: TechnicianId,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Sorted skill codes.
    pub skills: Vec<Skill>,
    /// Pay is personal: shown to admins and managers, and to a technician on their own
    /// profile; left out otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contract: Option<Contract>,
    pub preferences: Preferences,
    /// Sorted by the other technician's id.
    pub relations: Vec<Relation>,
    /// Free attributes for the tenant's plugins.
    #[schema(value_type = Object, example = json!({"union.grade": 3, "languages": ["fr", "en"]}))]
    pub attributes: Attributes,
    /// The linked user account, who manages this technician's availabilities.
    pub user_id: Option<UserId>,
    /// An inactive technician is kept (with their history) but not planned.
    pub active: bool,
    /// In the tenant's time zone.
    pub created_at: DateTime<FixedOffset>,
    /// In the tenant's time zone.
    pub updated_at: DateTime<FixedOffset>,
}

impl TechnicianView {
    fn new(t: Technician, caller: &Caller) -> Self {
        let sees_pay = rbac::allows(caller.role, Resource::Technicians, Action::Update)
            || caller.technician == Some(t.id);
        Self {
            id: t.id,
            name: t.name,
            email: t.email,
            phone: t.phone,
            skills: t.skills,
            contract: sees_pay.then_some(t.contract),
            preferences: t.preferences,
            relations: t.relations,
            attributes: t.attributes,
            user_id: t.user_id,
            active: t.active,
            created_at: local(t.created_at, caller.time_zone),
            updated_at: local(t.updated_at, caller.time_zone),
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
    /// Only technicians with this skill code.
    skill: Option<String>,
    /// Only active (`true`) or inactive (`false`) technicians.
    active: Option<bool>,
    /// Only technicians whose name contains this text (case-insensitive).
    q: Option<String>,
}

/// Lists the tenant's technicians, ordered by name then id.
#[utoipa::path(
    get,
    path = "/technicians",
    tag = "technicians",
    params(ListQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Page<TechnicianView>), ErrorResponses)
)]
async fn list_technicians(
    State(state): State<AppState>,
    allowed: Allowed<ReadTechnicians>,
    ValidQuery(query): ValidQuery<ListQuery>,
) -> Result<Json<Page<TechnicianView>>, ApiError> {
    let page = PageRequest::new(query.page, query.size)?;
    let filter = TechnicianFilter {
        skill: query
            .skill
            .as_deref()
            .map(Skill::parse)
            .transpose()
            .map_err(|e| ApiError::validation("skill", e.reason))?,
        active: query.active,
        name_contains: search_text(query.q, "q")?,
    };
    let (items, total) = state
        .storage
        .list_technicians(allowed.caller.tenant, &filter, page)
        .await?;
    let caller = allowed.caller;
    Ok(Json(
        Page::new(items, total, page).map(|t| TechnicianView::new(t, &caller)),
    ))
}

/// A search text from a query string: trimmed, `None` when empty, at most 200 characters.
pub(super) fn search_text(
    raw: Option<String>,
    field: &'static str,
) -> Result<Option<String>, ApiError> {
    let Some(q) = raw.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty()) else {
        return Ok(None);
    };
    if q.chars().count() > 200 {
        return Err(ApiError::validation(
            field,
            "must be at most 200 characters",
        ));
    }
    Ok(Some(q))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ContractInput {
    kind: ContractKind,
    /// Cents per hour, >= 0; > 0 for an hourly contract. Defaults to 0.
    #[serde(default)]
    #[schema(example = 2500)]
    hourly_rate_cents: i64,
    /// Cents per cachet, >= 0; > 0 for a cachet contract. Defaults to 0.
    #[serde(default)]
    cachet_rate_cents: i64,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PreferencesInput {
    /// Venues of the tenant (422 otherwise).
    #[serde(default)]
    preferred_venues: Vec<VenueId>,
    /// Venues of the tenant, none of them also preferred.
    #[serde(default)]
    avoided_venues: Vec<VenueId>,
    /// 1 to 72.
    max_weekly_hours: Option<i64>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RelationInput {
    /// Another technician of the tenant, listed once.
    technician_id: TechnicianId,
    kind: RelationKind,
    /// Defaults to `soft` for an affinity (which is always soft) and `hard` for an
    /// incompatibility.
    severity: Option<RelationSeverity>,
    /// Weight of a soft relation in the score, >= 0; defaults to 1.
    weight: Option<i64>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateTechnician {
    /// 1 to 200 characters, trimmed.
    #[schema(example = "Ana Martin")]
    name: String,
    #[schema(example = "ana@example.test")]
    email: Option<String>,
    #[schema(example = "+33 6 12 34 56 78")]
    phone: Option<String>,
    /// Skill codes (`[a-z0-9][a-z0-9.-]*`, at most 40 characters, at most 64 of them);
    /// stored sorted without duplicates.
    #[serde(default)]
    #[schema(example = json!(["light", "rigging"]))]
    skills: Vec<String>,
    contract: ContractInput,
    preferences: Option<PreferencesInput>,
    #[serde(default)]
    relations: Vec<RelationInput>,
    /// A JSON object of at most 100 attributes; names are dotted lower-case words
    /// (`[a-z0-9._-]`, at most 64 characters); values are integers, numbers, booleans,
    /// strings, or flat lists of those.
    #[schema(value_type = Option<Object>)]
    attributes: Option<Value>,
    /// A user account of the tenant, not yet linked to another technician (409
    /// `CONFLICT_DUPLICATE` otherwise).
    user_id: Option<UserId>,
    /// Defaults to `true`.
    active: Option<bool>,
}

/// Creates a technician.
#[utoipa::path(
    post,
    path = "/technicians",
    tag = "technicians",
    request_body = CreateTechnician,
    security(("bearer" = [])),
    responses(
        (status = 201, body = TechnicianView, headers(("Location" = String, description = "The new technician's URL"))),
        (status = 409, description = "The user account is already linked to a technician (`CONFLICT_DUPLICATE`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn create_technician(
    State(state): State<AppState>,
    allowed: Allowed<CreateTechnicians>,
    ValidJson(body): ValidJson<CreateTechnician>,
) -> Result<impl IntoResponse, ApiError> {
    let caller = allowed.caller;
    let name = parse_name(&body.name)?;
    let email = body.email.as_deref().map(parse_email).transpose()?;
    let phone = body.phone.as_deref().map(parse_phone).transpose()?;
    let skills = parse_skills(&body.skills)?;
    let contract = parse_contract(&body.contract)?;
    let preferences = parse_preferences(body.preferences.unwrap_or_default())?;
    let relations = parse_relations(&body.relations, None)?;
    let attributes = body
        .attributes
        .as_ref()
        .map(parse_attributes)
        .transpose()?
        .unwrap_or_default();
    check_references(
        &state,
        caller.tenant,
        Some(&preferences),
        Some(&relations),
        body.user_id,
    )
    .await?;
    let technician = state
        .storage
        .create_technician(
            caller.tenant,
            NewTechnician {
                id: TechnicianId::new(),
                user_id: body.user_id,
                name,
                email,
                phone,
                skills,
                contract,
                preferences,
                relations: sorted(relations),
                attributes,
                active: body.active.unwrap_or(true),
                created_at: to_second(Utc::now()),
            },
        )
        .await?;
    state.plan_cache.invalidate(caller.tenant).await;
    tracing::info!(technician = %technician.id, by = %caller.user, "technician created");
    let location = format!("/api/v1/technicians/{}", technician.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(TechnicianView::new(technician, &caller)),
    ))
}

/// One technician of the caller's tenant.
#[utoipa::path(
    get,
    path = "/technicians/{id}",
    tag = "technicians",
    params(("id" = TechnicianId, Path, description = "The technician's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = TechnicianView),
        (status = 404, description = "No such technician in this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn get_technician(
    State(state): State<AppState>,
    allowed: Allowed<ReadTechnicians>,
    ValidPath(id): ValidPath<TechnicianId>,
) -> Result<Json<TechnicianView>, ApiError> {
    let technician = state
        .storage
        .technician(allowed.caller.tenant, id)
        .await?
        .ok_or(ApiError::NotFound {
            entity: "technician",
        })?;
    Ok(Json(TechnicianView::new(technician, &allowed.caller)))
}

/// Every field may be left out (kept as it is). `email`, `phone` and `user_id` may be
/// `null` (cleared); the other fields may not. `skills`, `contract`, `preferences`,
/// `relations` and `attributes` are replaced as a whole.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateTechnician {
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    name: Patch<String>,
    /// `null` clears it.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    email: Patch<String>,
    /// `null` clears it.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    phone: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>)]
    skills: Patch<Vec<String>>,
    #[serde(default)]
    #[schema(value_type = Option<ContractInput>)]
    contract: Patch<ContractInput>,
    #[serde(default)]
    #[schema(value_type = Option<PreferencesInput>)]
    preferences: Patch<PreferencesInput>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<RelationInput>>)]
    relations: Patch<Vec<RelationInput>>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    attributes: Patch<Value>,
    /// `null` unlinks the account.
    #[serde(default)]
    #[schema(value_type = Option<UserId>)]
    user_id: Patch<UserId>,
    /// `false` deactivates: the technician is kept but no longer planned.
    #[serde(default)]
    #[schema(value_type = Option<bool>)]
    active: Patch<bool>,
}

/// Changes some fields of a technician.
#[utoipa::path(
    patch,
    path = "/technicians/{id}",
    tag = "technicians",
    params(("id" = TechnicianId, Path, description = "The technician's id")),
    request_body = UpdateTechnician,
    security(("bearer" = [])),
    responses(
        (status = 200, body = TechnicianView),
        (status = 404, description = "No such technician in this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        (status = 409, description = "The user account is already linked to another technician (`CONFLICT_DUPLICATE`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn update_technician(
    State(state): State<AppState>,
    allowed: Allowed<UpdateTechnicians>,
    ValidPath(id): ValidPath<TechnicianId>,
    ValidJson(body): ValidJson<UpdateTechnician>,
) -> Result<Json<TechnicianView>, ApiError> {
    let caller = allowed.caller;
    let not_found = ApiError::NotFound {
        entity: "technician",
    };
    // 404 before any other check, so another tenant's id learns nothing.
    if state.storage.technician(caller.tenant, id).await?.is_none() {
        return Err(not_found);
    }
    let name = body
        .name
        .required("name")?
        .as_deref()
        .map(parse_name)
        .transpose()?;
    let email = body.email.try_map(|e| parse_email(&e))?.nullable();
    let phone = body.phone.try_map(|p| parse_phone(&p))?.nullable();
    let skills = body
        .skills
        .required("skills")?
        .map(|s| parse_skills(&s))
        .transpose()?;
    let contract = body
        .contract
        .required("contract")?
        .map(|c| parse_contract(&c))
        .transpose()?;
    let preferences = body
        .preferences
        .required("preferences")?
        .map(parse_preferences)
        .transpose()?;
    let relations = body
        .relations
        .required("relations")?
        .map(|r| parse_relations(&r, Some(id)))
        .transpose()?;
    let attributes = body
        .attributes
        .required("attributes")?
        .map(|a| parse_attributes(&a))
        .transpose()?;
    let user_id = body.user_id.nullable();
    check_references(
        &state,
        caller.tenant,
        preferences.as_ref(),
        relations.as_deref(),
        user_id.flatten(),
    )
    .await?;
    let patch = TechnicianPatch {
        name,
        email,
        phone,
        user_id,
        skills,
        contract,
        preferences,
        relations: relations.map(sorted),
        attributes,
        active: body.active.required("active")?,
    };
    let technician = state
        .storage
        .update_technician(caller.tenant, id, patch, to_second(Utc::now()))
        .await?
        .ok_or(not_found)?;
    state.plan_cache.invalidate(caller.tenant).await;
    tracing::info!(technician = %id, by = %caller.user, "technician updated");
    Ok(Json(TechnicianView::new(technician, &caller)))
}

/// Deletes a technician who has no assignments, with their availabilities.
///
/// A technician with assignments is kept for the history (409 `CONFLICT_IN_USE`):
/// deactivate them instead (`PATCH` with `"active": false`). Other technicians' relations
/// with the deleted one are removed.
#[utoipa::path(
    delete,
    path = "/technicians/{id}",
    tag = "technicians",
    params(("id" = TechnicianId, Path, description = "The technician's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such technician in this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        (status = 409, description = "The technician has assignments (`CONFLICT_IN_USE`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn delete_technician(
    State(state): State<AppState>,
    allowed: Allowed<DeleteTechnicians>,
    ValidPath(id): ValidPath<TechnicianId>,
) -> Result<StatusCode, ApiError> {
    let caller = allowed.caller;
    let deleted = state
        .storage
        .delete_technician(caller.tenant, id, to_second(Utc::now()))
        .await?;
    if !deleted {
        return Err(ApiError::NotFound {
            entity: "technician",
        });
    }
    state.plan_cache.invalidate(caller.tenant).await;
    tracing::info!(technician = %id, by = %caller.user, "technician deleted");
    Ok(StatusCode::NO_CONTENT)
}

// --- input checks ----------------------------------------------------------------------

fn parse_name(raw: &str) -> Result<String, ApiError> {
    text::label(raw, NAME_MAX_CHARS).map_err(|e| ApiError::validation("name", e.reason))
}

fn parse_email(raw: &str) -> Result<Email, ApiError> {
    Email::parse(raw).map_err(|e| ApiError::validation("email", e.reason))
}

fn parse_phone(raw: &str) -> Result<Phone, ApiError> {
    Phone::parse(raw).map_err(|e| ApiError::validation("phone", e.reason))
}

fn parse_skills(raw: &[String]) -> Result<Vec<Skill>, ApiError> {
    Skill::parse_list(raw).map_err(|(index, e)| match index {
        Some(i) => ApiError::validation(format!("skills[{i}]"), e.reason),
        None => ApiError::validation("skills", e.reason),
    })
}

fn parse_contract(input: &ContractInput) -> Result<Contract, ApiError> {
    Ok(Contract::new(
        input.kind,
        input.hourly_rate_cents,
        input.cachet_rate_cents,
    )?)
}

fn parse_preferences(input: PreferencesInput) -> Result<Preferences, ApiError> {
    Ok(Preferences::new(
        input.preferred_venues,
        input.avoided_venues,
        input.max_weekly_hours,
    )?)
}

/// Checks each relation on its own and against the others (one per technician, never
/// `this` one); the list keeps the input's order so errors can name the index.
fn parse_relations(
    input: &[RelationInput],
    this: Option<TechnicianId>,
) -> Result<Vec<Relation>, ApiError> {
    let mut seen = HashSet::new();
    input
        .iter()
        .enumerate()
        .map(|(i, r)| {
            if Some(r.technician_id) == this {
                return Err(ApiError::validation(
                    format!("relations[{i}].technician_id"),
                    "a technician cannot have a relation with themselves",
                ));
            }
            if !seen.insert(r.technician_id) {
                return Err(ApiError::validation(
                    format!("relations[{i}].technician_id"),
                    format!(
                        "technician {} is listed twice; one relation per technician",
                        r.technician_id
                    ),
                ));
            }
            let severity = r.severity.unwrap_or(match r.kind {
                RelationKind::Affinity => RelationSeverity::Soft,
                RelationKind::Incompatibility => RelationSeverity::Hard,
            });
            Relation::new(r.technician_id, r.kind, severity, r.weight.unwrap_or(1)).map_err(
                |(field, e)| ApiError::validation(format!("relations[{i}].{field}"), e.reason),
            )
        })
        .collect()
}

fn sorted(mut relations: Vec<Relation>) -> Vec<Relation> {
    relations.sort_by_key(|r| r.technician_id);
    relations
}

fn parse_attributes(value: &Value) -> Result<Attributes, ApiError> {
    Attributes::parse(value).map_err(|(name, e)| {
        let field = if name.is_empty() {
            "attributes".to_owned()
        } else {
            format!("attributes.{name}")
        };
        ApiError::validation(field, e.reason)
    })
}

/// Checks that the venues, the related technicians and the user account belong to the
/// tenant: one query each, only for what is given.
async fn check_references(
    state: &AppState,
    tenant: TenantId,
    preferences: Option<&Preferences>,
    relations: Option<&[Relation]>,
    user: Option<UserId>,
) -> Result<(), ApiError> {
    if let Some(preferences) = preferences {
        let named: Vec<VenueId> = preferences.venues().collect();
        if !named.is_empty() {
            let found: HashSet<VenueId> = state
                .storage
                .existing_venue_ids(tenant, &named)
                .await?
                .into_iter()
                .collect();
            for (field, list) in [
                (
                    "preferences.preferred_venues",
                    &preferences.preferred_venues,
                ),
                ("preferences.avoided_venues", &preferences.avoided_venues),
            ] {
                if let Some(missing) = list.iter().find(|v| !found.contains(v)) {
                    return Err(ApiError::validation(
                        field,
                        format!("there is no venue {missing} in this tenant"),
                    ));
                }
            }
        }
    }
    if let Some(relations) = relations.filter(|r| !r.is_empty()) {
        let ids: Vec<TechnicianId> = relations.iter().map(|r| r.technician_id).collect();
        let found: HashSet<TechnicianId> = state
            .storage
            .technicians_by_ids(tenant, &ids)
            .await?
            .into_iter()
            .map(|t| t.id)
            .collect();
        if let Some((i, missing)) = ids.iter().enumerate().find(|(_, id)| !found.contains(id)) {
            return Err(ApiError::validation(
                format!("relations[{i}].technician_id"),
                format!("there is no technician {missing} in this tenant"),
            ));
        }
    }
    if let Some(user) = user
        && state.storage.user(tenant, user).await?.is_none()
    {
        return Err(ApiError::validation(
            "user_id",
            format!("there is no user {user} in this tenant"),
        ));
    }
    Ok(())
}
