//! Every role against every protected route: allowed, or 403 `AUTH_FORBIDDEN`.
//!
//! The expected roles are written out here rather than read from `rbac::MATRIX`, so this
//! test checks both that each route asks for the right permission and that the matrix
//! says what the documentation promises.

use callsheet::domain::Role;
use callsheet_e2e::{PASSWORD, TestApp, body};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use Role::{Admin, Manager, Tech, Viewer};

struct Route {
    method: Method,
    path: &'static str,
    body: Option<Value>,
    allowed: &'static [Role],
}

fn routes() -> Vec<Route> {
    vec![
        Route {
            method: Method::GET,
            path: "/api/v1/auth/me",
            body: None,
            allowed: &[Admin, Manager, Tech, Viewer],
        },
        Route {
            method: Method::GET,
            path: "/api/v1/tenant",
            body: None,
            allowed: &[Admin, Manager, Tech, Viewer],
        },
        Route {
            method: Method::PATCH,
            path: "/api/v1/tenant",
            body: Some(json!({"name": "Renamed"})),
            allowed: &[Admin],
        },
        Route {
            method: Method::GET,
            path: "/api/v1/users",
            body: None,
            allowed: &[Admin, Manager],
        },
        Route {
            method: Method::POST,
            path: "/api/v1/users",
            body: Some(json!({"email": "{unique}", "password": PASSWORD, "role": "viewer"})),
            allowed: &[Admin],
        },
        Route {
            method: Method::GET,
            path: "/api/v1/users/{target}",
            body: None,
            allowed: &[Admin, Manager],
        },
        Route {
            method: Method::PATCH,
            path: "/api/v1/users/{target}",
            body: Some(json!({"role": "tech"})),
            allowed: &[Admin],
        },
    ]
}

#[tokio::test]
async fn every_role_against_every_protected_route() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let target = app
        .create_user(&tenant, "target@acme.test", Role::Tech)
        .await;
    let mut failures = Vec::new();
    for role in Role::ALL {
        let tokens = app.login_as(&tenant, role).await;
        for (i, route) in routes().into_iter().enumerate() {
            let path = route.path.replace("{target}", &target);
            let mut request = app.request(route.method.clone(), &path, Some(&tokens.access));
            if let Some(mut payload) = route.body.clone() {
                if payload["email"] == "{unique}" {
                    payload["email"] = json!(format!("new{i}-{role}@acme.test"));
                }
                request = request.json(&payload);
            }
            let response = request.send().await.unwrap();
            let status = response.status();
            let b = body(response).await;
            let expected_allowed = route.allowed.contains(&role);
            let ok = if expected_allowed {
                status.is_success()
            } else {
                status == StatusCode::FORBIDDEN && b["code"] == "AUTH_FORBIDDEN"
            };
            if !ok {
                failures.push(format!(
                    "{role} {} {path}: got {status} {b}, expected {}",
                    route.method,
                    if expected_allowed { "success" } else { "403" }
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "RBAC mismatches:\n{}",
        failures.join("\n")
    );
}

#[tokio::test]
async fn every_protected_route_refuses_anonymous_callers() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let target = app
        .create_user(&tenant, "target@acme.test", Role::Tech)
        .await;
    for route in routes() {
        let path = route.path.replace("{target}", &target);
        let mut request = app.request(route.method.clone(), &path, None);
        if let Some(payload) = route.body {
            request = request.json(&payload);
        }
        let response = request.send().await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{} {path}",
            route.method
        );
        assert_eq!(
            body(response).await["code"],
            "AUTH_INVALID",
            "{} {path}",
            route.method
        );
    }
}
