use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zijin_app::users::{self as use_cases, NewUserInput};

use super::{ApiJson, Caller};
use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{Path, Query};
use crate::routes::{Routes, get, post};
use crate::views::{UserView, page_number};

pub fn router() -> Routes {
    Routes::new()
        .route("/users", get(list).post(create))
        .route("/users/{id}/password", post(reset_password))
        .route("/users/{id}/disable", post(disable))
        .route("/users/{id}/enable", post(enable))
        .route("/users/{id}/unlock", post(unlock))
        .route("/users/{id}/tech-manager", post(tech_manager))
        .route("/users/{id}/expert", post(expert))
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct PageParams {
    pub page: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct UserPage {
    /// The next page's address (also in the `Link: rel="next"` header); null on the last page.
    pub next: Option<String>,
    pub items: Vec<UserView>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// All accounts (admins).
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(PageParams),
    responses((status = 200, body = UserPage), (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    Query(params): Query<PageParams>,
) -> Result<axum::response::Response, ApiError> {
    let paged = use_cases::list(
        &state.app,
        &caller.actor,
        page_number(params.page.as_deref()),
        50,
    )
    .await?;
    let throttled = zijin_app::auth::throttled_accounts(&state.app).await?;
    let mut items = Vec::new();
    for user in &paged.items {
        items.push(
            UserView::new(&state.app, user)
                .await
                .with_throttle(&throttled),
        );
    }
    let next = super::paging::numbered_next(&uri, paged.page, paged.per_page, paged.total);
    let body = UserPage {
        next: next.clone(),
        items,
        total: paged.total,
        page: paged.page,
        per_page: paged.per_page,
    };
    Ok(super::paging::with_next(body, next.as_deref()))
}

/// A new account. `role` is `admin`, `reviewer` (with `responsible_unit`), `district` (with
/// `district`) or `institution` (with `institution_id`).
#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct NewUserRequest {
    #[schema(required = true, pattern = r"^[A-Za-z0-9_.-]{3,32}$")]
    pub username: String,
    pub display_name: String,
    #[schema(schema_with = super::codes::new_password, required = true)]
    pub password: String,
    #[schema(schema_with = super::codes::role, required = true)]
    pub role: String,
    pub responsible_unit: String,
    pub district: String,
    pub institution_id: Option<i64>,
}

/// Create an account (admins).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUserRequest,
    responses((status = 201, body = UserView), (status = 409, body = Problem), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<NewUserRequest>,
) -> Result<Response, ApiError> {
    let input = NewUserInput {
        username: &request.username,
        display_name: &request.display_name,
        password: &request.password,
        role: &request.role,
        responsible_unit: &request.responsible_unit,
        district: &request.district,
        institution_id: request.institution_id,
    };
    let user = use_cases::create(&state.app, &caller.actor, &input).await?;
    Ok((
        StatusCode::CREATED,
        Json(UserView::new(&state.app, &user).await),
    )
        .into_response())
}

#[derive(Deserialize, ToSchema)]
pub struct PasswordResetRequest {
    /// At least 10 characters, no leading or trailing spaces, not the user name, not common.
    #[schema(schema_with = super::codes::new_password, required = true)]
    pub new_password: String,
}

/// Set a new password for an account (admins); every session of the account ends.
#[utoipa::path(post, path = "/api/v1/users/{id}/password", tag = "users", request_body = PasswordResetRequest,
    params(("id" = i64, Path, description = "the account")),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn reset_password(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<PasswordResetRequest>,
) -> Result<Response, ApiError> {
    let id = super::path_id(&id, "用户")?;
    use_cases::reset_password(&state.app, &caller.actor, id, &request.new_password).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Switch an account off (admins): it cannot log in and its sessions end.
#[utoipa::path(post, path = "/api/v1/users/{id}/disable", tag = "users",
    params(("id" = i64, Path, description = "the account")),
    responses((status = 200, body = UserView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem, description = "an admin cannot disable their own account")))]
pub async fn disable(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<UserView>, ApiError> {
    let id = super::path_id(&id, "用户")?;
    let user = use_cases::set_disabled(&state.app, &caller.actor, id, true).await?;
    Ok(Json(UserView::new(&state.app, &user).await))
}

/// Switch an account on again (admins).
#[utoipa::path(post, path = "/api/v1/users/{id}/enable", tag = "users",
    params(("id" = i64, Path, description = "the account")),
    responses((status = 200, body = UserView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn enable(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<UserView>, ApiError> {
    let id = super::path_id(&id, "用户")?;
    let user = use_cases::set_disabled(&state.app, &caller.actor, id, false).await?;
    Ok(Json(UserView::new(&state.app, &user).await))
}

/// Lift every login delay of an account (admins).
#[utoipa::path(post, path = "/api/v1/users/{id}/unlock", tag = "users",
    params(("id" = i64, Path, description = "the account")),
    responses((status = 200, body = UserView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn unlock(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<UserView>, ApiError> {
    let id = super::path_id(&id, "用户")?;
    let user = use_cases::unlock(&state.app, &caller.actor, id).await?;
    Ok(Json(UserView::new(&state.app, &user).await))
}

#[derive(Deserialize, ToSchema)]
pub struct TechManagerRequest {
    /// True to flag the account as technology manager (技术经理人), false to take the flag away.
    pub is_tech_manager: bool,
}

/// Flag an account as technology manager, who may then be assigned to matches (admins).
#[utoipa::path(post, path = "/api/v1/users/{id}/tech-manager", tag = "users", request_body = TechManagerRequest,
    params(("id" = i64, Path, description = "the account")),
    responses((status = 200, body = UserView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn tech_manager(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<TechManagerRequest>,
) -> Result<Json<UserView>, ApiError> {
    let id = super::path_id(&id, "用户")?;
    let user =
        use_cases::set_tech_manager(&state.app, &caller.actor, id, request.is_tech_manager).await?;
    Ok(Json(UserView::new(&state.app, &user).await))
}

#[derive(Deserialize, ToSchema)]
pub struct ExpertRequest {
    /// True to register the account as 评审专家, false to take the registration away.
    pub is_expert: bool,
}

/// Register an account as 评审专家, who may then be assigned to applications at 专家评审
/// (admins). An institution's user registered as expert is never assigned to that
/// institution's applications.
#[utoipa::path(post, path = "/api/v1/users/{id}/expert", tag = "users", request_body = ExpertRequest,
    params(("id" = i64, Path, description = "the account")),
    responses((status = 200, body = UserView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn expert(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<ExpertRequest>,
) -> Result<Json<UserView>, ApiError> {
    let id = super::path_id(&id, "用户")?;
    let user = use_cases::set_designation(
        &state.app,
        &caller.actor,
        id,
        zijin_domain::Designation::Expert,
        request.is_expert,
    )
    .await?;
    Ok(Json(UserView::new(&state.app, &user).await))
}
