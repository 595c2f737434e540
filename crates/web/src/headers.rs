//! Headers that depend on who asks and how the server is deployed: nothing meant for a
//! signed-in visitor (or not explicitly public) is kept by a browser or proxy cache, and behind
//! HTTPS (`--secure-cookies`) browsers are told to stay on HTTPS.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use axum_extra::extract::CookieJar;

use crate::AppState;
use crate::session::SESSION_COOKIE;

pub const HSTS: &str = "max-age=31536000";

pub async fn cache_and_transport(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let signed_in = CookieJar::from_headers(request.headers())
        .get(SESSION_COOKIE)
        .is_some_and(|cookie| !cookie.value().is_empty());
    // The stylesheet is the same for everyone and versioned by its URL.
    let shared_asset = request.uri().path().starts_with("/static/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    // A handler may mark a public answer cacheable (a frozen export); for a signed-in
    // visitor every answer may carry personal data, so it is never stored.
    if !shared_asset && (signed_in || !headers.contains_key(header::CACHE_CONTROL)) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if state.config.secure_cookies {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    response
}
