use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zijin_app::{AppError, auth as app_auth};

use super::{ApiJson, Caller};
use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::routes::{Routes, get, post};
use crate::session::{ClientIp, expired_session_cookie, session_cookie};
use crate::views::UserView;

pub fn router() -> Routes {
    Routes::new()
        .route("/auth/login", post(login))
        .route("/auth/logout", post(logout))
        .route("/me", get(me))
        .route("/me/password", post(change_password))
        .route("/me/email", get(email).put(set_email))
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"username": "university", "password": "Zijin-demo-2026"}))]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send this in the `X-CSRF-Token` header of every request that changes something.
    pub csrf_token: String,
    pub user: UserView,
}

/// Log in; sets the session cookie.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = Problem, description = "login_failed"),
        (status = 403, body = Problem, description = "account_disabled (only after the right password)"),
        (status = 429, body = Problem, description = "login_throttled (too many wrong passwords from this address; Retry-After) or too_many_requests (too many logins at once; Retry-After)")))]
pub async fn login(
    State(state): State<AppState>,
    jar: CookieJar,
    ClientIp(from): ClientIp,
    ApiJson(request): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let session = app_auth::login(&state.app, &request.username, &request.password, &from).await?;
    let body = LoginResponse {
        csrf_token: session.csrf_token,
        user: UserView::new(&state.app, &session.user).await,
    };
    Ok((
        jar.add(session_cookie(session.token, state.config.secure_cookies)),
        Json(body),
    )
        .into_response())
}

/// Log out; ends the session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204)))]
pub async fn logout(
    State(state): State<AppState>,
    caller: Caller,
    jar: CookieJar,
) -> Result<Response, ApiError> {
    if let Some(token) = &caller.session_token {
        app_auth::logout(&state.app, token, &caller.actor).await?;
    }
    Ok((
        jar.add(expired_session_cookie(state.config.secure_cookies)),
        axum::http::StatusCode::NO_CONTENT,
    )
        .into_response())
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", responses((status = 200, body = UserView), (status = 401, body = Problem)))]
pub async fn me(State(state): State<AppState>, caller: Caller) -> Result<Json<UserView>, ApiError> {
    let user = caller.actor.user().ok_or(AppError::Unauthenticated)?;
    Ok(Json(UserView::new(&state.app, user).await))
}

#[derive(Deserialize, ToSchema)]
pub struct PasswordChangeRequest {
    pub current_password: String,
    /// At least 10 characters, no leading or trailing spaces, not the user name, not common.
    #[schema(schema_with = super::codes::new_password, required = true)]
    pub new_password: String,
}

/// Change one's own password; every other session of the account ends.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", request_body = PasswordChangeRequest,
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem, description = "csrf_failed"),
        (status = 422, body = Problem, description = "validation_failed: current_password wrong or new password refused by the policy"),
        (status = 429, body = Problem, description = "login_throttled / too_many_requests")))]
pub async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(from): ClientIp,
    ApiJson(request): ApiJson<PasswordChangeRequest>,
) -> Result<Response, ApiError> {
    zijin_app::users::change_own_password(
        &state.app,
        &caller.actor,
        &request.current_password,
        &request.new_password,
        caller.session_token.as_deref(),
        &from,
    )
    .await?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize, Serialize, ToSchema)]
pub struct EmailSetting {
    /// The address messages are mailed to when the platform sends mail; empty removes it.
    /// At most 254 characters, one `@`, a domain with a dot.
    #[schema(schema_with = super::codes::optional_email, required = true)]
    pub email: String,
}

/// The signed-in user's e-mail address for reminders (empty: none).
#[utoipa::path(get, path = "/api/v1/me/email", tag = "auth",
    responses((status = 200, body = EmailSetting), (status = 401, body = Problem)))]
pub async fn email(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<EmailSetting>, ApiError> {
    let email = zijin_app::users::own_email(&state.app, &caller.actor).await?;
    Ok(Json(EmailSetting {
        email: email.unwrap_or_default(),
    }))
}

/// Set or remove (empty string) the signed-in user's e-mail address for reminders.
#[utoipa::path(put, path = "/api/v1/me/email", tag = "auth", request_body = EmailSetting,
    responses((status = 200, body = EmailSetting), (status = 401, body = Problem),
        (status = 403, body = Problem, description = "csrf_failed"),
        (status = 422, body = Problem, description = "validation_failed: not an e-mail address")))]
pub async fn set_email(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<EmailSetting>,
) -> Result<Json<EmailSetting>, ApiError> {
    let email = zijin_app::users::set_own_email(&state.app, &caller.actor, &request.email).await?;
    Ok(Json(EmailSetting {
        email: email.unwrap_or_default(),
    }))
}
