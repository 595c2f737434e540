use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use minijinja::context;
use serde::Deserialize;
use zijin_app::{AppError, auth};

use super::html;
use crate::AppState;
use crate::error::PageError;
use crate::extract::{Form, Query};
use crate::session::{Visitor, expired_session_cookie, session_cookie};
use crate::views::page_context;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
}

#[derive(Deserialize, Default)]
struct NextQuery {
    next: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LoginForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    username: String,
    password: String,
    next: String,
}

/// Only same-site paths are followed after login.
fn safe_next(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") {
        next.to_string()
    } else {
        "/".to_string()
    }
}

async fn render_login(
    state: &AppState,
    visitor: &Visitor,
    jar: CookieJar,
    status: StatusCode,
    username: &str,
    next: &str,
    error: Option<String>,
) -> Response {
    let base = page_context(&state.app, visitor, "登录").await;
    let jar = jar.add(visitor.anonymous_csrf_cookie(state.config.secure_cookies));
    (
        jar,
        html(
            status,
            "login.html",
            context! { username, next, error, ..base },
        ),
    )
        .into_response()
}

async fn login_page(
    State(state): State<AppState>,
    visitor: Visitor,
    jar: CookieJar,
    Query(query): Query<NextQuery>,
) -> Response {
    if visitor.actor.user().is_some() {
        return Redirect::to("/").into_response();
    }
    let next = safe_next(query.next.as_deref().unwrap_or("/"));
    render_login(&state, &visitor, jar, StatusCode::OK, "", &next, None).await
}

async fn login(
    State(state): State<AppState>,
    visitor: Visitor,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    let next = safe_next(&form.next);
    match auth::login(&state.app, &form.username, &form.password).await {
        Ok(session) => {
            let jar = jar.add(session_cookie(session.token, state.config.secure_cookies));
            Ok((jar, Redirect::to(&next)).into_response())
        }
        Err(error @ (AppError::LoginFailed | AppError::AccountLocked { .. })) => {
            let status = match error {
                AppError::AccountLocked { .. } => StatusCode::LOCKED,
                _ => StatusCode::UNAUTHORIZED,
            };
            Ok(render_login(
                &state,
                &visitor,
                jar,
                status,
                &form.username,
                &next,
                Some(error.to_string()),
            )
            .await)
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CsrfForm {
    #[serde(rename = "_csrf")]
    csrf: String,
}

async fn logout(
    State(state): State<AppState>,
    visitor: Visitor,
    jar: CookieJar,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    if let Some(token) = &visitor.session_token {
        auth::logout(&state.app, token, &visitor.actor).await?;
    }
    Ok((
        jar.add(expired_session_cookie(state.config.secure_cookies)),
        Redirect::to("/"),
    )
        .into_response())
}
