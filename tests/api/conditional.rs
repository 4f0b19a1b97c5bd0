//! Conditional GETs and compression: a list or a plan comes with an `ETag`, and a client
//! that presents it gets 304 and no body until the answer changes; gzip when asked.

use std::io::Read as _;

use callsheet_e2e::{TestApp, body};
use reqwest::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, ETAG, IF_NONE_MATCH, VARY,
};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::planning::{crew, post};

#[tokio::test]
async fn an_answer_presented_with_its_etag_is_not_sent_again_until_it_changes() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let c = crew(&app, &tenant, 1).await;
    let show = post(
        &app,
        &c.admin,
        "/api/v1/missions",
        json!({"title": "Show", "venue_id": c.venue, "start": "2026-09-07T08:00:00Z",
               "end": "2026-09-07T18:00:00Z", "needs": [{"skill": "sound", "min_crew": 1}]}),
    )
    .await;
    let list = "/api/v1/missions?from=2026-09-07&to=2026-09-13";
    let week = "/api/v1/planning/week?week=2026-W37";
    let get = |path: &str, tag: Option<&str>| {
        let mut request = app.request(Method::GET, path, Some(&c.admin));
        if let Some(tag) = tag {
            request = request.header(IF_NONE_MATCH, tag);
        }
        async move { request.send().await.expect("request") }
    };
    let mut tags = Vec::new();
    for path in [list, week] {
        let first = get(path, None).await;
        assert_eq!(first.status(), StatusCode::OK);
        let tag = first.headers()[ETAG].to_str().unwrap().to_owned();
        assert!(tag.starts_with("W/\""), "{tag}");
        assert_eq!(first.headers()[CACHE_CONTROL], "private, no-cache");

        let again = get(path, Some(&tag)).await;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
        assert_eq!(again.headers()[ETAG].to_str().unwrap(), tag);
        assert!(again.bytes().await.unwrap().is_empty());

        // Another tag, or one of a list, strong or weak.
        let stale = get(path, Some("W/\"0123\"")).await;
        assert_eq!(stale.status(), StatusCode::OK);
        assert!(!body(stale).await.is_null());
        let strong = tag.trim_start_matches("W/");
        let listed = get(path, Some(&format!("\"0123\", {strong}"))).await;
        assert_eq!(listed.status(), StatusCode::NOT_MODIFIED);
        tags.push(tag);
    }

    // The mission changes: both answers change, and so do their tags.
    let renamed = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/missions/{}", show["id"].as_str().unwrap()),
            Some(&c.admin),
            &json!({"title": "Show (moved to the big hall)"}),
        )
        .await;
    assert_eq!(renamed.status(), StatusCode::OK);
    for (path, tag) in [list, week].into_iter().zip(&tags) {
        let changed = get(path, Some(tag)).await;
        assert_eq!(changed.status(), StatusCode::OK, "{path}");
        assert_ne!(changed.headers()[ETAG].to_str().unwrap(), tag);
        assert!(body(changed).await.to_string().contains("big hall"));
    }

    // Errors and writes carry no tag.
    let missing = get(
        "/api/v1/missions/00000000-0000-0000-0000-000000000000",
        None,
    )
    .await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(missing.headers().get(ETAG).is_none());
}

#[tokio::test]
async fn answers_are_gzipped_when_the_client_accepts_it() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let c = crew(&app, &tenant, 3).await;
    let path = "/api/v1/technicians?size=50";
    let plain = app.get(path, &c.admin).await;
    assert!(plain.headers().get(CONTENT_ENCODING).is_none());
    let plain = plain.bytes().await.unwrap();

    let gzipped = app
        .request(Method::GET, path, Some(&c.admin))
        .header(ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gzipped.status(), StatusCode::OK);
    assert_eq!(gzipped.headers()[CONTENT_ENCODING], "gzip");
    assert!(
        gzipped.headers()[VARY]
            .to_str()
            .unwrap()
            .to_ascii_lowercase()
            .contains("accept-encoding")
    );
    let compressed = gzipped.bytes().await.unwrap();
    assert!(compressed.len() < plain.len());
    let mut inflated = Vec::new();
    flate2::read::GzDecoder::new(&compressed[..])
        .read_to_end(&mut inflated)
        .unwrap();
    assert_eq!(inflated, plain);
}
