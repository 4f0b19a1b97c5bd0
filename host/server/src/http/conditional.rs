//! Conditional GETs: every successful JSON answer to a `GET` carries an `ETag`, and a
//! request whose `If-None-Match` names it is answered 304 without the body.
//!
//! The tag is a digest of the body the route produced, so it is right whatever the route
//! read (a plan from the cache, a list from the database) and whoever asks (a role that
//! sees less gets another body, so another tag). It saves the transfer and the client's
//! parsing, not the server's work: a front end polling the week plan or a page of missions
//! gets 304 and no body while nothing changed. The tag is weak (`W/`): compression, outside
//! this layer, changes the bytes sent but not what they mean (RFC 9110, 8.8.1).

use axum::body::{Body, HttpBody as _, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// Bodies larger than this, or of unknown length, go out untagged rather than buffered (no
/// JSON answer of the API comes near it: pages are at most 200 items).
const MAX_TAGGED_BYTES: usize = 16 * 1024 * 1024;

pub async fn etag(request: Request, next: Next) -> Response {
    if request.method() != Method::GET {
        return next.run(request).await;
    }
    let if_none_match = request.headers().get(header::IF_NONE_MATCH).cloned();
    let response = next.run(request).await;
    if response.status() != StatusCode::OK
        || !super::middleware::is_json(response.headers())
        || response.headers().contains_key(header::ETAG)
    {
        return response;
    }
    let too_large = response
        .body()
        .size_hint()
        .upper()
        .is_none_or(|n| n > MAX_TAGGED_BYTES as u64);
    if too_large {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_TAGGED_BYTES).await else {
        // A body that failed while streaming: nothing sensible to send.
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let tag = tag_of(&bytes);
    if !parts.headers.contains_key(header::CACHE_CONTROL) {
        // The answers depend on the caller's token: caches may keep them for that caller
        // only, and must ask again (with the tag) before reusing them.
        parts.headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-cache"),
        );
    }
    if if_none_match.is_some_and(|v| matches(&v, &tag)) {
        let mut not_modified = StatusCode::NOT_MODIFIED.into_response();
        // RFC 9110, 15.4.5: the tag and the caching headers a 200 would have carried.
        for name in [header::CACHE_CONTROL, header::VARY] {
            if let Some(v) = parts.headers.get(&name) {
                not_modified.headers_mut().insert(name, v.clone());
            }
        }
        not_modified.headers_mut().insert(header::ETAG, tag);
        return not_modified;
    }
    parts.headers.insert(header::ETAG, tag);
    Response::from_parts(parts, Body::from(bytes))
}

/// `W/"<first 128 bits of the body's SHA-256, hex>"`.
fn tag_of(body: &[u8]) -> HeaderValue {
    let digest = Sha256::digest(body);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    HeaderValue::from_str(&format!("W/\"{hex}\"")).expect("hex is a valid header value")
}

/// Whether an `If-None-Match` value names `tag`: `*`, or a list of tags compared weakly
/// (the `W/` prefix ignored on both sides).
fn matches(if_none_match: &HeaderValue, tag: &HeaderValue) -> bool {
    let Ok(list) = if_none_match.to_str() else {
        return false;
    };
    let opaque = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    let ours = opaque(tag.to_str().unwrap_or_default());
    list.split(',')
        .map(str::trim)
        .any(|t| t == "*" || opaque(t) == ours)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_compare_weakly_in_a_list_and_star_matches_anything() {
        let tag = tag_of(b"{}");
        let ours = tag.to_str().unwrap().to_owned();
        let strong = ours.trim_start_matches("W/").to_owned();
        for list in [
            ours.clone(),
            strong.clone(),
            format!("\"other\", {ours}"),
            "*".to_owned(),
        ] {
            assert!(
                matches(&HeaderValue::from_str(&list).unwrap(), &tag),
                "{list}"
            );
        }
        for list in ["\"other\"", "W/\"other\"", ""] {
            assert!(
                !matches(&HeaderValue::from_str(list).unwrap(), &tag),
                "{list}"
            );
        }
        assert_ne!(tag_of(b"{}"), tag_of(b"[]"), "another body, another tag");
    }
}
