//! Carriers (载体): the recognised carriers by type.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zijin_app::carriers;
use zijin_domain::{Coded, District};

use super::{ApiJson, Caller, path_id};
use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{Path, Query};
use crate::routes::{Routes, get, post};

pub fn router() -> Routes {
    Routes::new()
        .route("/carriers", get(directory).post(recognise))
        .route("/carriers/{id}/withdraw", post(withdraw))
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct CarrierParams {
    /// A district code (e.g. `jiangning`); all districts when absent.
    pub district: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CarrierOut {
    pub id: i64,
    pub name: String,
    pub institution: String,
    /// District code and label.
    pub district: String,
    pub district_label: String,
    pub recognised_on: String,
}

#[derive(Serialize, ToSchema)]
pub struct CarrierTypeOut {
    /// The type's code, e.g. `poc-center`.
    pub code: String,
    pub name: String,
    /// The article of the implementation opinion that names it.
    pub article: u32,
    /// The most carriers of the type that may be recognised at once; none when unlimited.
    pub quota: Option<u32>,
    pub carriers: Vec<CarrierOut>,
}

/// The recognised carriers (载体), by type, with each type's article and quota.
#[utoipa::path(get, path = "/api/v1/carriers", tag = "carriers", params(super::paging::Cursor, CarrierParams),
    responses((status = 200, body = Vec<CarrierTypeOut>)))]
pub async fn directory(
    State(state): State<AppState>,
    Query(params): Query<CarrierParams>,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    Query(cursor): Query<super::paging::Cursor>,
) -> Result<axum::response::Response, ApiError> {
    let district = params
        .district
        .as_deref()
        .and_then(District::from_code)
        .map(|d| d.code());
    let types = carriers::directory(&state.app, district).await?;
    super::paging::page(
        &uri,
        &cursor,
        types
            .iter()
            .map(|t| CarrierTypeOut {
                code: t.kind.code.clone(),
                name: t.kind.name.clone(),
                article: t.kind.article,
                quota: t.kind.quota,
                carriers: t
                    .carriers
                    .iter()
                    .map(|c| CarrierOut {
                        id: c.id,
                        name: c.name.clone(),
                        institution: c.institution_name.clone(),
                        district: c.district.clone(),
                        district_label: crate::pages::district_label(&c.district),
                        recognised_on: c.recognised_on.format("%Y-%m-%d").to_string(),
                    })
                    .collect(),
            })
            .collect(),
        |t| t.code.clone(),
    )
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct RecogniseRequest {
    /// The institution's 统一社会信用代码 (18 characters).
    #[schema(schema_with = super::codes::credit_code, required = true)]
    pub credit_code: String,
    /// The carrier type's code (e.g. `poc-center`) or name (e.g. 概念验证中心).
    pub carrier_type: String,
    /// The carrier's name; default: the institution's name and the type's.
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct Recognised {
    pub id: i64,
}

/// Recognise (认定) a carrier (admins). 409 with the reason beyond the type's quota, or when the
/// institution already has a recognised carrier of the type.
#[utoipa::path(post, path = "/api/v1/carriers", tag = "carriers", request_body = RecogniseRequest,
    responses((status = 201, body = Recognised), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem, description = "no institution holds the credit code"),
        (status = 409, body = Problem, description = "the quota is taken, or the institution has one"), (status = 422, body = Problem)))]
pub async fn recognise(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<RecogniseRequest>,
) -> Result<(StatusCode, Json<Recognised>), ApiError> {
    let id = carriers::recognise(
        &state.app,
        &caller.actor,
        &request.credit_code,
        &request.carrier_type,
        &request.name,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(Recognised { id })))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct WithdrawRequest {
    #[schema(schema_with = super::codes::withdrawal_reason, required = true)]
    pub reason: String,
    /// Must be true: a withdrawal cannot be undone.
    #[schema(schema_with = super::codes::confirmed, required = true)]
    pub confirm: bool,
}

/// Withdraw a carrier's recognition (admins): it frees the type's place; the institution is
/// notified.
#[utoipa::path(post, path = "/api/v1/carriers/{id}/withdraw", tag = "carriers", params(("id" = i64, Path)), request_body = WithdrawRequest,
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "already withdrawn"), (status = 422, body = Problem)))]
pub async fn withdraw(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<WithdrawRequest>,
) -> Result<StatusCode, ApiError> {
    let id = path_id(&id, "载体")?;
    carriers::withdraw(
        &state.app,
        &caller.actor,
        id,
        &request.reason,
        request.confirm,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
