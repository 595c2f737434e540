//! Carriers (载体): the recognised carriers by type.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zijin_app::carriers;
use zijin_domain::{Coded, District};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::Query;
use crate::routes::{Routes, get};

pub fn router() -> Routes {
    Routes::new().route("/carriers", get(directory))
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(default)]
pub struct CarrierParams {
    /// A district code (e.g. `jiangning`); all districts when absent.
    pub district: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CarrierOut {
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
#[utoipa::path(get, path = "/api/v1/carriers", tag = "carriers", params(CarrierParams),
    responses((status = 200, body = Vec<CarrierTypeOut>)))]
pub async fn directory(
    State(state): State<AppState>,
    Query(params): Query<CarrierParams>,
) -> Result<Json<Vec<CarrierTypeOut>>, ApiError> {
    let district = params
        .district
        .as_deref()
        .and_then(District::from_code)
        .map(|d| d.code());
    let types = carriers::directory(&state.app, district).await?;
    Ok(Json(
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
                        name: c.name.clone(),
                        institution: c.institution_name.clone(),
                        district: c.district.clone(),
                        district_label: crate::pages::district_label(&c.district),
                        recognised_on: c.recognised_on.format("%Y-%m-%d").to_string(),
                    })
                    .collect(),
            })
            .collect(),
    ))
}
