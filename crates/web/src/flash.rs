//! Messages for the alert box after a redirect. They travel in a cookie sealed by
//! `zijin_app::flash` (an HMAC under a key every server process shares), are shown once and
//! then cleared. Nothing a link's query string says reaches the alert box.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

use crate::AppState;

pub const FLASH_COOKIE: &str = "zijin_flash";
/// The message only has to survive the redirect it rides on.
const FLASH_SECONDS: i64 = 120;

/// The message the visitor's flash cookie carried in, if the platform sealed it.
#[derive(Debug, Clone, Default)]
pub struct Incoming(pub Option<String>);

/// A message to show on the page the response redirects to; sealed on the way out.
#[derive(Debug, Clone)]
struct Outgoing(String);

/// Redirects to `path`, where `message` appears in the alert box.
pub fn redirect_with_error(path: &str, message: &str) -> Response {
    let mut response = Redirect::to(path).into_response();
    response
        .extensions_mut()
        .insert(Outgoing(message.to_string()));
    response
}

/// The prefix that marks a message as a notice of success rather than an error.
pub const NOTICE_PREFIX: &str = "ok:";

/// Redirects to `path`, where `message` appears as a notice of success (the page splits it
/// off with [`notice_or_error`]).
pub fn redirect_with_notice(path: &str, message: &str) -> Response {
    redirect_with_error(path, &format!("{NOTICE_PREFIX}{message}"))
}

/// A flash message as (notice, error).
pub fn notice_or_error(flash: Option<&str>) -> (Option<String>, Option<String>) {
    match flash {
        Some(text) => match text.strip_prefix(NOTICE_PREFIX) {
            Some(notice) => (Some(notice.to_string()), None),
            None => (None, Some(text.to_string())),
        },
        None => (None, None),
    }
}

/// Opens the incoming flash cookie for the handlers, seals an outgoing message, and clears a
/// shown one.
pub async fn carry(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let jar = CookieJar::from_headers(request.headers());
    let sealed = jar
        .get(FLASH_COOKIE)
        .map(|cookie| cookie.value().to_string());
    let message = match &sealed {
        Some(sealed) => match zijin_app::flash::open(&state.app, sealed).await {
            Ok(message) => message,
            Err(error) => {
                // The page still works without its message; the failure is logged.
                tracing::error!(%error, "flash message could not be opened");
                None
            }
        },
        None => None,
    };
    request.extensions_mut().insert(Incoming(message));
    let mut response = next.run(request).await;
    let secure = state.config.secure_cookies;
    if let Some(Outgoing(message)) = response.extensions_mut().remove::<Outgoing>() {
        match zijin_app::flash::seal(&state.app, &message).await {
            Ok(sealed) => set_cookie(&mut response, flash_cookie(sealed, FLASH_SECONDS, secure)),
            Err(error) => tracing::error!(%error, "flash message could not be sealed"),
        }
    } else if sealed.is_some() {
        // Read once: whatever answer follows the redirect consumes the message, so an old
        // message never reappears after a later, successful step.
        set_cookie(&mut response, flash_cookie(String::new(), 0, secure));
    }
    response
}

fn flash_cookie(value: String, seconds: i64, secure: bool) -> Cookie<'static> {
    Cookie::build((FLASH_COOKIE, value))
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(cookie::time::Duration::seconds(seconds))
        .build()
}

fn set_cookie(response: &mut Response, cookie: Cookie<'static>) {
    if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}
