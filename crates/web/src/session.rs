//! Who is asking: the session cookie, and the CSRF token every form and every mutating API
//! request must carry.
//!
//! Signed-in users get a per-session CSRF token stored with the session. Anonymous visitors
//! (the login form) get a random token in a `SameSite=Strict` cookie that the form echoes.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use subtle::ConstantTimeEq;
use zijin_app::{Actor, auth};

use crate::AppState;
use crate::error::{Failure, PageError};

pub const SESSION_COOKIE: &str = "zijin_session";
pub const ANON_CSRF_COOKIE: &str = "zijin_csrf";
/// The header that carries the CSRF token on mutating API requests.
pub const CSRF_HEADER: &str = "x-csrf-token";

#[derive(Debug, Clone)]
pub struct Visitor {
    pub actor: Actor,
    /// The token forms must echo.
    pub csrf: String,
    pub session_token: Option<String>,
    /// The path asked for, to highlight the navigation.
    pub path: String,
    /// The message for the alert box that the platform sealed before a redirect.
    pub flash: Option<String>,
    /// The web layer's settings (the footer every page shows).
    pub config: std::sync::Arc<crate::WebConfig>,
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let jar = CookieJar::from_headers(&parts.headers);
        let path = parts.uri.path().to_string();
        let flash = parts
            .extensions
            .get::<crate::flash::Incoming>()
            .and_then(|incoming| incoming.0.clone());
        if let Some(token) = jar.get(SESSION_COOKIE).map(|c| c.value().to_string())
            && let Some(session) = auth::session(&state.app, &token).await?
        {
            return Ok(Visitor {
                actor: Actor::User(session.user),
                csrf: session.csrf_token,
                session_token: Some(token),
                path,
                flash,
                config: state.config.clone(),
            });
        }
        let csrf = jar
            .get(ANON_CSRF_COOKIE)
            .map(|c| c.value().to_string())
            .filter(|value| value.len() == 64)
            .unwrap_or_else(auth::random_token);
        Ok(Visitor {
            actor: Actor::Anonymous,
            csrf,
            session_token: None,
            path,
            flash,
            config: state.config.clone(),
        })
    }
}

impl Visitor {
    /// Refuses a form whose `_csrf` field does not match.
    pub fn check_csrf(&self, submitted: &str) -> Result<(), Failure> {
        if tokens_match(&self.csrf, submitted) {
            Ok(())
        } else {
            Err(Failure::csrf())
        }
    }

    /// The cookie that keeps an anonymous visitor's CSRF token.
    pub fn anonymous_csrf_cookie(&self, secure: bool) -> Cookie<'static> {
        Cookie::build((ANON_CSRF_COOKIE, self.csrf.clone()))
            .path("/")
            .http_only(true)
            .secure(secure)
            .same_site(SameSite::Strict)
            .build()
    }
}

pub fn tokens_match(expected: &str, submitted: &str) -> bool {
    !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(submitted.as_bytes()))
}

pub fn session_cookie(token: String, secure: bool) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, token))
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(time_duration(auth::SESSION_DURATION.num_seconds()))
        .build()
}

/// The cookie that ends a session; it keeps the `Secure` flag its session cookie had.
pub fn expired_session_cookie(secure: bool) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, ""))
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(time_duration(0))
        .build()
}

fn time_duration(seconds: i64) -> cookie::time::Duration {
    cookie::time::Duration::seconds(seconds)
}

/// The address a request comes from: the TCP peer, or — when the peer is one of the trusted
/// proxies — the last address in its `X-Forwarded-For` (the one that proxy saw; earlier entries
/// are whatever the client wrote). Without a known peer (tests calling the router directly) the
/// address is unknown.
pub fn client_ip(
    peer: Option<std::net::IpAddr>,
    forwarded_for: Option<&str>,
    trusted_proxies: &[std::net::IpAddr],
) -> Option<std::net::IpAddr> {
    let peer = peer?;
    if !trusted_proxies.contains(&peer) {
        return Some(peer);
    }
    let forwarded = forwarded_for
        .and_then(|header| header.rsplit(',').next())
        .map(str::trim)
        .and_then(|last| last.parse().ok());
    Some(forwarded.unwrap_or(peer))
}

/// The client address of a request, as the login throttle counts it.
pub struct ClientIp(pub auth::ClientAddress);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, std::convert::Infallible> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|info| info.0.ip());
        let forwarded = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|value| value.to_str().ok());
        Ok(ClientIp(auth::ClientAddress::from_ip(client_ip(
            peer,
            forwarded,
            &state.config.trusted_proxies,
        ))))
    }
}

#[cfg(test)]
mod tests {
    use super::client_ip;

    #[test]
    fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
        let proxy = "10.0.0.2".parse().unwrap();
        let client = "198.51.100.7".parse().unwrap();
        let header = Some("203.0.113.1, 198.51.100.7");
        assert_eq!(client_ip(Some(proxy), header, &[proxy]), Some(client));
        // From anyone else the header is the client's own word and is ignored.
        let stranger = "192.0.2.50".parse().unwrap();
        assert_eq!(client_ip(Some(stranger), header, &[proxy]), Some(stranger));
        // A trusted proxy that sends nothing usable is itself the address.
        assert_eq!(
            client_ip(Some(proxy), Some("garbage"), &[proxy]),
            Some(proxy)
        );
        assert_eq!(client_ip(Some(proxy), None, &[proxy]), Some(proxy));
        assert_eq!(client_ip(None, header, &[proxy]), None);
    }
}
