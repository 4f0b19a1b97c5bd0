//! The OpenAPI document and the docs page for people.
//!
//! `/api/v1/openapi.json` is generated from the routes at start-up. `/docs` is Swagger UI,
//! whose assets are compiled into the binary from the `utoipa-swagger-ui-vendored` crate:
//! nothing is fetched at build time or by the browser at run time.

use axum::Router;
use axum::http::{HeaderValue, header};
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa_swagger_ui::SwaggerUi;

use crate::state::AppState;

pub const OPENAPI_PATH: &str = "/api/v1/openapi.json";

/// Swagger UI styles its widgets inline and inlines small images, so the docs page needs
/// those two allowances; scripts still load only from this server.
const DOCS_CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

pub fn router(openapi: utoipa::openapi::OpenApi) -> Router<AppState> {
    Router::from(SwaggerUi::new("/docs").url(OPENAPI_PATH, openapi)).layer(
        SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DOCS_CSP),
        ),
    )
}

/// The OpenAPI document of the API, as served and as committed in `docs/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    super::api_routes().into_openapi()
}
