use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use minijinja::context;
use serde::Deserialize;
use zijin_app::{AppError, auth};

use super::html;
use crate::AppState;
use crate::error::PageError;
use crate::extract::{Form, Query};
use crate::routes::{Routes, get, post};
use crate::session::{ClientIp, Visitor, expired_session_cookie, session_cookie};
use crate::views::page_context;

pub fn router() -> Routes {
    Routes::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route(
            "/account/password",
            get(password_page).post(change_password),
        )
        .route("/account/email", post(change_email))
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
    ClientIp(from): ClientIp,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    let next = safe_next(&form.next);
    match auth::login(&state.app, &form.username, &form.password, &from).await {
        Ok(session) => {
            let jar = jar.add(session_cookie(session.token, state.config.secure_cookies));
            Ok((jar, Redirect::to(&next)).into_response())
        }
        Err(
            error @ (AppError::LoginFailed
            | AppError::LoginThrottled { .. }
            | AppError::AccountDisabled
            | AppError::TooManyRequests),
        ) => {
            let failure = crate::error::Failure::from(error);
            let (status, _, _) = failure.kind.spec();
            let mut response = render_login(
                &state,
                &visitor,
                jar,
                status,
                &form.username,
                &next,
                Some(failure.detail),
            )
            .await;
            if let Some(seconds) = failure.retry_after {
                response.headers_mut().insert(
                    axum::http::header::RETRY_AFTER,
                    axum::http::HeaderValue::from(seconds),
                );
            }
            Ok(response)
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

#[derive(Deserialize, Default)]
#[serde(default)]
struct SavedQuery {
    saved: Option<String>,
    email_saved: Option<String>,
}

/// What the 账号设置 page confirms after a redirect.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Saved {
    Nothing,
    Password,
    Email,
}

/// 账号设置: the password form and the e-mail form. `email` is what the e-mail form shows
/// (what was typed, after a refusal); `None` reads the stored address.
async fn render_password(
    state: &AppState,
    visitor: &Visitor,
    status: StatusCode,
    saved: Saved,
    errors: &zijin_domain::FieldErrors,
    email: Option<String>,
) -> Response {
    let (errors, error_list) = super::error_context(errors);
    let email = match email {
        Some(typed) => typed,
        None => match zijin_app::users::own_email(&state.app, &visitor.actor).await {
            Ok(stored) => stored.unwrap_or_default(),
            Err(error) => return PageError::from(error).into_response(),
        },
    };
    let base = page_context(&state.app, visitor, "账号设置").await;
    html(
        status,
        "password.html",
        context! {
            saved => saved == Saved::Password,
            email_saved => saved == Saved::Email,
            email,
            errors => crate::views::ser(&errors),
            error_list,
            ..base
        },
    )
}

/// 修改密码: any signed-in user, for their own account.
async fn password_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<SavedQuery>,
) -> Result<Response, PageError> {
    if visitor.actor.user().is_none() {
        return Err(AppError::Unauthenticated.into());
    }
    let errors = zijin_domain::FieldErrors::new();
    let saved = if query.saved.is_some() {
        Saved::Password
    } else if query.email_saved.is_some() {
        Saved::Email
    } else {
        Saved::Nothing
    };
    Ok(render_password(&state, &visitor, StatusCode::OK, saved, &errors, None).await)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PasswordForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    current_password: String,
    password: String,
    password_again: String,
}

async fn change_password(
    State(state): State<AppState>,
    visitor: Visitor,
    ClientIp(from): ClientIp,
    Form(form): Form<PasswordForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    if form.password != form.password_again {
        let mut errors = zijin_domain::FieldErrors::new();
        errors.add("password_again", "两次输入的新密码不一致");
        return Ok(render_password(
            &state,
            &visitor,
            StatusCode::UNPROCESSABLE_ENTITY,
            Saved::Nothing,
            &errors,
            None,
        )
        .await);
    }
    let result = zijin_app::users::change_own_password(
        &state.app,
        &visitor.actor,
        &form.current_password,
        &form.password,
        visitor.session_token.as_deref(),
        &from,
    )
    .await;
    match result {
        Ok(()) => Ok(Redirect::to("/account/password?saved=1").into_response()),
        Err(AppError::Validation(errors)) => Ok(render_password(
            &state,
            &visitor,
            StatusCode::UNPROCESSABLE_ENTITY,
            Saved::Nothing,
            &errors,
            None,
        )
        .await),
        Err(error @ (AppError::LoginThrottled { .. } | AppError::TooManyRequests)) => {
            let mut errors = zijin_domain::FieldErrors::new();
            errors.add("current_password", error.to_string());
            Ok(render_password(
                &state,
                &visitor,
                StatusCode::TOO_MANY_REQUESTS,
                Saved::Nothing,
                &errors,
                None,
            )
            .await)
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EmailForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    email: String,
}

/// 邮件提醒: the signed-in user sets or removes the address messages are mailed to.
async fn change_email(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<EmailForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    match zijin_app::users::set_own_email(&state.app, &visitor.actor, &form.email).await {
        Ok(_) => Ok(Redirect::to("/account/password?email_saved=1").into_response()),
        Err(AppError::Validation(errors)) => Ok(render_password(
            &state,
            &visitor,
            StatusCode::UNPROCESSABLE_ENTITY,
            Saved::Nothing,
            &errors,
            Some(form.email.trim().to_string()),
        )
        .await),
        Err(other) => Err(other.into()),
    }
}
