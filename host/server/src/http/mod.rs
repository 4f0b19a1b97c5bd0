//! The REST API under `/api/v1`.
//!
//! One router per resource (`users::router()`, ...), merged in [`router`] together with
//! the cross-cutting layers, from the outside in:
//!
//! 1. `request_context`: request id, log span, access log;
//! 2. `metrics::track` (when metrics are on): count, latency and in-flight requests per
//!    route template;
//! 3. security headers, CORS;
//! 4. `standardise_errors`: the framework's bare errors into `{detail, code, meta}`;
//! 5. request timeout and body size limit;
//! 6. the routes; each handler's extractors check authentication, permission and input.
//!
//! `/metrics` (when `METRICS_TOKEN` is set) and `/docs` are outside `/api/v1` and the
//! OpenAPI document.
//!
//! Every route carries a `#[utoipa::path]`, collected by `utoipa_axum` as the router is
//! built, so the OpenAPI document cannot miss a route.

pub mod error;
pub mod extract;
pub mod middleware;

mod analytics;
mod assignments;
mod audit;
mod auth;
mod auto_assign;
mod availabilities;
mod calendar;
mod call_sheets;
mod conditional;
mod conflicts;
mod docs;
mod exports;
mod health;
mod idempotency;
mod jobs;
mod metrics;
mod missions;
mod notification_settings;
mod notifications;
mod payroll;
mod planning;
mod plugins;
mod projects;
mod technicians;
mod tenant;
mod timesheets;
mod users;
mod venues;
mod webhooks;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use tower_http::CompressionLevel;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;

use crate::config::Config;
use crate::state::AppState;

pub use docs::openapi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "callsheet",
        description = "Plans event and show crews: missions, technicians, availabilities, assignments, conflicts, timesheets, payroll. Errors are `{detail, code, meta}`; lists are `{items, total, page, size}`; every response carries `X-Request-ID`.",
        license(name = "AGPL-3.0-or-later"),
    ),
    modifiers(&BearerAuth),
    // The schemas that only query parameters name: utoipa-axum collects those of bodies
    // and responses, not of `IntoParams`, and a `$ref` must resolve.
    components(schemas(
        error::ErrorBody,
        crate::audit::EntryKind,
        conflicts::ConflictKindFilter,
        conflicts::SeverityFilter
    )),
    tags(
        (name = "auth", description = "Login, token refresh and logout"),
        (name = "users", description = "User accounts of the caller's tenant"),
        (name = "tenant", description = "The caller's tenant"),
        (name = "technicians", description = "Technician profiles: skills, contract, rates in cents, preferences"),
        (name = "projects", description = "Projects: tours, festivals, clients"),
        (name = "venues", description = "Venues and their rooms"),
        (name = "availabilities", description = "Declared availabilities"),
        (name = "missions", description = "Missions and their needs"),
        (name = "assignments", description = "Manual and automatic assignments"),
        (name = "planning", description = "Day and week plans in the tenant's time zone"),
        (name = "conflicts", description = "Conflicts of the current plan, with provenance"),
        (name = "plugins", description = "The tenant's rule plugins (admins only)"),
        (name = "audit", description = "The audit chain: runs, verification, replay"),
        (name = "jobs", description = "Background jobs"),
        (name = "timesheets", description = "Worked time, its approval, and pay periods closed for payroll"),
        (name = "payroll", description = "Payroll runs over closed pay periods: payslips from the tenant's payroll plugin"),
        (name = "exports", description = "CSV, ICS and PDF files, each with its sha256 and recorded in the audit chain"),
        (name = "analytics", description = "Coverage of the needs, workload and its spread, over a range"),
        (name = "webhooks", description = "The tenant's endpoints: its events posted and signed (Standard Webhooks)"),
        (name = "notifications", description = "The outbox's messages: state, attempts, sending again"),
        (name = "health", description = "Probes for load balancers"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The API routes with their OpenAPI description, before layers.
pub(crate) fn api_routes() -> OpenApiRouter<AppState> {
    let mut routes = OpenApiRouter::with_openapi(ApiDoc::openapi()).nest(
        "/api/v1",
        OpenApiRouter::new()
            .merge(health::router())
            .merge(auth::router())
            .merge(users::router())
            .merge(tenant::router())
            .merge(technicians::router())
            .merge(projects::router())
            .merge(venues::router())
            .merge(availabilities::router())
            .merge(missions::router())
            .merge(assignments::router())
            .merge(auto_assign::router())
            .merge(planning::router())
            .merge(conflicts::router())
            .merge(plugins::router())
            .merge(audit::router())
            .merge(jobs::router())
            .merge(timesheets::router())
            .merge(payroll::router())
            .merge(exports::router())
            .merge(analytics::router())
            .merge(calendar::router())
            .merge(call_sheets::router())
            .merge(webhooks::router())
            .merge(notifications::router())
            .merge(notification_settings::router()),
    );
    declare_media_type_refusals(routes.get_openapi_mut());
    routes
}

/// Every operation with a body may answer 415 (`ValidJson` refuses any other content
/// type); declared here once rather than on each route. A route that declares its own
/// (the plugin upload, which takes bytes) keeps it.
fn declare_media_type_refusals(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::response::ResponseBuilder;
    use utoipa::openapi::{ContentBuilder, Ref};
    for item in openapi.paths.paths.values_mut() {
        let operations = [&mut item.post, &mut item.put, &mut item.patch];
        for operation in operations.into_iter().flatten() {
            if operation.request_body.is_none() {
                continue;
            }
            operation
                .responses
                .responses
                .entry("415".to_owned())
                .or_insert_with(|| {
                    ResponseBuilder::new()
                        .description("The body is not JSON (`UNSUPPORTED_MEDIA_TYPE`)")
                        .content(
                            "application/json",
                            ContentBuilder::new()
                                .schema(Some(Ref::from_schema_name("ErrorBody")))
                                .build(),
                        )
                        .build()
                        .into()
                });
        }
    }
}

/// The whole application: routes, OpenAPI and docs, and every layer.
pub fn router(state: AppState) -> Router {
    let (api, openapi) = api_routes().split_for_parts();
    let config = state.config.clone();
    // Plugin uploads carry a binary up to the runtime's limit; their route raises its own
    // extractor limit (`DefaultBodyLimit`) to that, the others keep BODY_LIMIT_BYTES.
    let largest_body = config
        .body_limit_bytes
        .max(state.runtime.config().max_binary_bytes);
    let mut app = api.merge(docs::router(openapi));
    if let Some(metrics) = metrics::router(&state) {
        app = app.merge(metrics);
    }
    with_layers(app.with_state(state.clone()), state, &config, largest_body)
}

fn with_layers(app: Router, state: AppState, config: &Config, largest_body: usize) -> Router {
    let security_headers = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::CONTENT_SECURITY_POLICY, middleware::API_CSP),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            HeaderName::from_static("cross-origin-resource-policy"),
            "same-origin",
        ),
    ];
    let mut app = app
        // Innermost: the tag is the digest of the body as the route made it.
        .layer(axum::middleware::from_fn(conditional::etag))
        .layer(DefaultBodyLimit::max(config.body_limit_bytes))
        .layer(RequestBodyLimitLayer::new(largest_body))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            config.request_timeout,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::limit_by_address,
        ))
        // Inside the security headers, so rewritten errors get them too.
        .layer(axum::middleware::from_fn(middleware::standardise_errors))
        // gzip or brotli when the client asks (`Accept-Encoding`), at the fastest level: a
        // page of missions shrinks tenfold for a fraction of a millisecond.
        .layer(CompressionLayer::new().quality(CompressionLevel::Fastest))
        .layer(cors(config));
    for (name, value) in security_headers {
        // `if_not_present`: the docs page sets a CSP of its own that lets it load its scripts.
        app = app.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ));
    }
    if config.hsts {
        app = app.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        ));
    }
    // Off, not even a layer: metrics cost nothing when nobody reads them.
    if state.metrics.is_enabled() {
        app = app.layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            metrics::track,
        ));
    }
    app.layer(axum::middleware::from_fn(middleware::request_context))
}

fn cors(config: &Config) -> CorsLayer {
    let origins: Vec<HeaderValue> = config
        .cors_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods(middleware::CORS_METHODS)
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            middleware::REQUEST_ID_HEADER.clone(),
            HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers([
            middleware::REQUEST_ID_HEADER.clone(),
            header::RETRY_AFTER,
            header::LOCATION,
            HeaderName::from_static("x-cache"),
            HeaderName::from_static("idempotent-replayed"),
        ])
        .max_age(std::time::Duration::from_secs(600))
}
