use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zijin_app::users::{self as use_cases, NewUserInput};

use super::{ApiJson, Caller};
use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::Query;
use crate::views::{UserView, page_number};

pub fn router() -> Router<AppState> {
    Router::new().route("/users", get(list).post(create))
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(default)]
pub struct PageParams {
    pub page: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct UserPage {
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
    Query(params): Query<PageParams>,
) -> Result<Json<UserPage>, ApiError> {
    let paged = use_cases::list(
        &state.app,
        &caller.actor,
        page_number(params.page.as_deref()),
        50,
    )
    .await?;
    let mut items = Vec::new();
    for user in &paged.items {
        items.push(UserView::new(&state.app, user).await);
    }
    Ok(Json(UserPage {
        items,
        total: paged.total,
        page: paged.page,
        per_page: paged.per_page,
    }))
}

/// A new account. `role` is `admin`, `reviewer` (with `responsible_unit`), `district` (with
/// `district`) or `institution` (with `institution_id`).
#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct NewUserRequest {
    pub username: String,
    pub display_name: String,
    pub password: String,
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
