//! `ETag` / `If-None-Match` on frozen resources (issue 20): a published list issue's entries, a
//! published catalogue batch, a frozen ranking. The tag is a digest of the exact JSON sent, so
//! it changes exactly when the answer does; a client that sends it back gets 304 and no body.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::ApiError;

/// The JSON answer with its `ETag`, or 304 when `If-None-Match` names it (or `*`).
pub fn json_with_etag<T: Serialize>(headers: &HeaderMap, body: &T) -> Result<Response, ApiError> {
    let bytes = serde_json::to_vec(body)
        .map_err(|e| ApiError::from(zijin_app::AppError::Internal(e.to_string())))?;
    let digest = zijin_domain::hmac_sha256(b"zijin-etag", &bytes);
    let tag = format!(
        "\"{}\"",
        digest[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == tag || t == "*")
        });
    if matches {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, tag)]).into_response());
    }
    Ok((
        StatusCode::OK,
        [
            (header::ETAG, tag),
            (header::CONTENT_TYPE, "application/json".to_string()),
        ],
        bytes,
    )
        .into_response())
}
