//! The HTTP face of Zijin: server-rendered zh-CN pages, the JSON API under `/api/v1` with its
//! OpenAPI document, sessions and CSRF. The only crate that knows axum; the one place where
//! errors become HTTP responses (`error.rs`).

pub mod api;
mod charts;
mod download;
mod error;
pub mod extract;
mod flash;
mod guide;
mod headers;
mod match_views;
mod pages;
mod routes;
mod session;
pub mod site;
mod templates;
mod views;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use zijin_app::App;
use zijin_app::demo::DemoAccount;

pub use error::{ErrorKind, PageError};
pub use flash::FLASH_COOKIE;
pub use routes::RouteEntry;
pub use session::{ANON_CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE, client_ip};

/// Settings of the web layer.
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// Shown on the home page when the server runs with `--demo`.
    pub demo_accounts: Vec<DemoAccount>,
    /// Mark cookies `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    /// Reverse proxies whose `X-Forwarded-For` names the client (`--trusted-proxy`); from any
    /// other peer the header is ignored.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// How many list exports this process builds at once, and how long a download waits.
    pub exports: zijin_app::exports::ExportLimits,
    /// The operator's footer (`config/site.toml`, `--site-config`).
    pub site: site::SiteConfig,
}

#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub config: Arc<WebConfig>,
    /// This process's export builders (at most `config.exports.builds` at a time).
    pub export_builders: zijin_app::exports::ExportBuilders,
}

/// The whole site: pages, API, static assets, and the Chinese 404 for everything else.
pub fn router(app: App, config: WebConfig) -> Router {
    let state = AppState {
        app,
        export_builders: zijin_app::exports::ExportBuilders::new(config.exports),
        config: Arc::new(config),
    };
    let (site, _) = site().into_parts();
    site.fallback(pages::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            signed_in_error_pages,
        ))
        .layer(axum::middleware::from_fn(extract::chinese_rejections))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            flash::carry,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            headers::cache_and_transport,
        ))
        .layer(axum::middleware::map_response(security_headers))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            error::panic_response,
        ))
        .with_state(state)
}

/// Every feature's routes: the pages, and the API under `/api/v1`.
fn site() -> routes::Routes {
    pages::router().nest("/api/v1", api::router())
}

/// Every (method, path) the site routes, sorted; the authorisation matrix test holds a row for
/// each.
pub fn routes() -> Vec<RouteEntry> {
    let (_, mut table) = site().into_parts();
    table.sort();
    table
}

/// Error pages are rendered where the error happens, often before anyone asked who is
/// visiting; for a visitor with a session this renders the page again with their header (their
/// name, menu and 待办), so a signed-in user is never offered 登录 on a 404 or 403.
async fn signed_in_error_pages(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    use axum::extract::FromRequestParts;
    let has_session = axum_extra::extract::CookieJar::from_headers(request.headers())
        .get(session::SESSION_COOKIE)
        .is_some();
    let kept = has_session.then(|| (request.uri().clone(), request.headers().clone()));
    let response = next.run(request).await;
    let (Some((uri, headers)), Some(content)) = (
        kept,
        response
            .extensions()
            .get::<error::ErrorPageContent>()
            .cloned(),
    ) else {
        return response;
    };
    let mut again = axum::extract::Request::new(());
    *again.uri_mut() = uri;
    *again.headers_mut() = headers;
    let (mut parts, ()) = again.into_parts();
    let Ok(visitor) = session::Visitor::from_request_parts(&mut parts, &state).await else {
        return response;
    };
    if visitor.actor.user().is_none() {
        return response;
    }
    let status = response.status();
    let base = views::page_context(&state.app, &visitor, content.title).await;
    let html = templates::render(
        "error.html",
        minijinja::context! { status => status.as_u16(), message => content.message, ..base },
    );
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(html))
}

async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; img-src 'self' data:; style-src 'self'; form-action 'self'; frame-ancestors 'none'"),
    );
    response
}
