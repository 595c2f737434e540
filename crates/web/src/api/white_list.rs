//! 企业融资白名单 (art. 15): the latest confirmed list (the bureau and 金融机构 users), what the
//! criteria select now and its confirmation (the bureau); carriers' incubatees.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zijin_app::white_list::{self, Candidate};
use zijin_domain::Coded;

use super::{ApiJson, Caller, path_id};
use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::Path;
use crate::extract::Query;
use crate::routes::{Routes, get, post};

pub fn router() -> Routes {
    Routes::new()
        .route("/white-list", get(latest).post(confirm))
        .route("/white-list/candidates", get(candidates))
        .route("/carriers/{id}/incubatees", post(add_incubatee))
}

#[derive(Serialize, ToSchema)]
pub struct EnterpriseOut {
    pub institution_id: i64,
    pub name: String,
    pub credit_code: String,
    pub district: String,
    /// Qualification labels (高新技术企业 …).
    pub tags: Vec<String>,
    pub contact_name: String,
    pub contact_phone: String,
    pub address: String,
    pub description: String,
    /// The criteria the enterprise meets.
    pub criteria: Vec<String>,
}

fn out(c: Candidate) -> EnterpriseOut {
    let d = c.institution.details;
    EnterpriseOut {
        institution_id: c.institution.id,
        credit_code: d.credit_code.as_str().to_string(),
        district: d.district.label().to_string(),
        tags: d.tags.iter().map(|t| t.label().to_string()).collect(),
        contact_name: d.profile.contact_name,
        contact_phone: d.profile.contact_phone,
        address: d.profile.address,
        description: d.profile.description,
        name: d.name,
        criteria: c.met,
    }
}

#[derive(Serialize, ToSchema)]
pub struct WhiteListOut {
    pub title: String,
    pub confirmed_on: String,
    /// The year of the contract data the list used.
    pub data_year: i32,
    pub enterprises: Vec<EnterpriseOut>,
}

/// The latest confirmed white list (admins and users of a 金融机构); 404 before any.
#[utoipa::path(get, path = "/api/v1/white-list", tag = "white-list",
    responses((status = 200, body = WhiteListOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn latest(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<WhiteListOut>, ApiError> {
    let list = white_list::latest(&state.app, &caller.actor)
        .await?
        .ok_or(zijin_app::AppError::NotFound("已确认的白名单"))?;
    Ok(Json(WhiteListOut {
        title: list.title,
        confirmed_on: list.confirmed_on,
        data_year: list.data_year,
        enterprises: list.entries.into_iter().map(out).collect(),
    }))
}

/// The enterprises the criteria select now (admins).
#[utoipa::path(get, path = "/api/v1/white-list/candidates", tag = "white-list", params(super::paging::Cursor),
    responses((status = 200, body = Vec<EnterpriseOut>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn candidates(
    State(state): State<AppState>,
    caller: Caller,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    Query(cursor): Query<super::paging::Cursor>,
) -> Result<axum::response::Response, ApiError> {
    super::paging::page(
        &uri,
        &cursor,
        white_list::candidates(&state.app, &caller.actor)
            .await?
            .into_iter()
            .map(out)
            .collect(),
        |e| e.institution_id.to_string(),
    )
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
#[schema(as = WhiteListConfirmRequest)]
pub struct ConfirmRequest {
    /// Must be true: the list is then open to 金融机构 users.
    #[schema(schema_with = super::codes::confirmed, required = true)]
    pub confirm: bool,
}

#[derive(Serialize, ToSchema)]
#[schema(as = IncubateeCreated)]
pub struct Created {
    pub id: i64,
}

/// Confirm the list as computed now (admins).
#[utoipa::path(post, path = "/api/v1/white-list", tag = "white-list", request_body = ConfirmRequest,
    responses((status = 201, body = Created), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn confirm(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<ConfirmRequest>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let id = white_list::confirm(&state.app, &caller.actor, request.confirm).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct IncubateeRequest {
    /// The enterprise's 统一社会信用代码.
    #[schema(schema_with = super::codes::credit_code, required = true)]
    pub credit_code: String,
}

/// Register an enterprise as an incubatee of a recognised carrier (the carrier's institution).
#[utoipa::path(post, path = "/api/v1/carriers/{id}/incubatees", tag = "carriers", params(("id" = i64, Path)), request_body = IncubateeRequest,
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "already registered, or the carrier withdrawn"), (status = 422, body = Problem)))]
pub async fn add_incubatee(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<IncubateeRequest>,
) -> Result<StatusCode, ApiError> {
    let id = path_id(&id, "载体")?;
    white_list::add_incubatee(&state.app, &caller.actor, id, &request.credit_code).await?;
    Ok(StatusCode::NO_CONTENT)
}
