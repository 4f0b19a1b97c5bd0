//! Generated documents that are committed: `docs/openapi.json` and `docs/permissions.md`.
//!
//! A test regenerates each one and fails when the committed file differs, so the documents
//! cannot drift from the code. With `CALLSHEET_UPDATE_DOCS=1` (what `cargo xtask openapi`
//! and `cargo xtask permissions` set) the test writes the file instead.

use std::path::PathBuf;

pub const PERMISSIONS_HEAD: &str = "# Permissions\n\n\
Who may do what, by role. Generated from `host/server/src/rbac.rs` (`cargo xtask permissions`);\n\
a test fails when this table and the code disagree.\n\n\
Every route checks its permission with the `Allowed<P>` extractor before reading its input;\n\
a refused caller gets 403 `AUTH_FORBIDDEN`, an unauthenticated one 401 `AUTH_INVALID`.\n\
`GET /api/v1/auth/me` and the auth routes need no permission beyond a valid login.\n\n";
pub const PERMISSIONS_TAIL: &str = "\nA technician (`tech`) acts on their own records only (their plan, availabilities and\n\
timesheets); those routes arrive with the planning API and add the ownership check to the\n\
permission.\n";

pub fn check_generated(relative: &str, expected: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative);
    if std::env::var_os("CALLSHEET_UPDATE_DOCS").is_some() {
        std::fs::write(&path, expected).unwrap_or_else(|e| panic!("cannot write {relative}: {e}"));
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == expected,
        "{relative} is stale: run `cargo xtask {}` and commit the result",
        if relative.ends_with(".json") {
            "openapi"
        } else {
            "permissions"
        }
    );
}

#[test]
fn the_committed_openapi_document_matches_the_routes() {
    let doc = crate::http::openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serialises");
    check_generated("docs/openapi.json", &format!("{doc}\n"));
}
