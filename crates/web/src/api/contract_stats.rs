//! 技术合同统计 and the 高校院所排行榜 in the API (issue 18): public figures, a year's ranking
//! (frozen or current) and its freezing by the bureau.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zijin_app::AppError;
use zijin_app::contracts::{ranking, stats};
use zijin_domain::{Coded, District};

use super::{ApiJson, Caller};
use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{Path, Query};

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct StatsQuery {
    pub year: Option<i32>,
    /// A district's code; district officers always get their own.
    #[param(schema_with = super::codes::district_filter)]
    pub district: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct StatsLine {
    pub label: String,
    pub contracts: i64,
    pub total: String,
    pub technology_amount: String,
}

#[derive(Serialize, ToSchema)]
pub struct StatsTable {
    pub title: String,
    pub lines: Vec<StatsLine>,
}

#[derive(Serialize, ToSchema)]
pub struct StatsOut {
    pub scope: String,
    pub year: Option<i32>,
    pub years: Vec<i32>,
    pub total: StatsLine,
    /// Percent of the year's 技术交易额 whose buyer is in Nanjing.
    pub in_city_share: Option<String>,
    pub by_year: Vec<StatsLine>,
    pub tables: Vec<StatsTable>,
}

fn stats_line(l: &stats::Line) -> StatsLine {
    StatsLine {
        label: l.label.clone(),
        contracts: l.contracts,
        total: l.total.to_string(),
        technology_amount: l.technology.to_string(),
    }
}

/// Registered contracts' figures (public): by year, month, type, field, places and natures.
#[utoipa::path(get, path = "/api/v1/stats/contracts", tag = "contracts", params(StatsQuery),
    responses((status = 200, body = StatsOut), (status = 422, body = Problem, description = "unknown district")))]
pub async fn statistics(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<StatsQuery>,
) -> Result<Json<StatsOut>, ApiError> {
    let district = match query
        .district
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        None => None,
        Some(code) => Some(
            District::from_code(code).ok_or_else(|| AppError::field("district", "没有这个区"))?,
        ),
    };
    let s = stats::statistics(&state.app, &caller.actor, query.year, district).await?;
    Ok(Json(StatsOut {
        scope: s.scope_label().to_string(),
        year: s.year,
        years: s.years.clone(),
        total: stats_line(&s.total),
        in_city_share: s.in_city_share.map(|p| p.to_string()),
        by_year: s.by_year.iter().map(stats_line).collect(),
        tables: s
            .breakdowns
            .iter()
            .map(|b| StatsTable {
                title: b.title.to_string(),
                lines: b.lines.iter().map(stats_line).collect(),
            })
            .collect(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct RankingOut {
    /// Frozen (published) at, UTC; null while it is the current computation.
    pub frozen_at: Option<String>,
    /// The ranking as the snapshot holds it (the same JSON `zijin ranking compute --json` prints).
    #[schema(value_type = Object)]
    pub ranking: serde_json::Value,
}

/// A year's university transfer ranking: the frozen snapshot, or the current computation.
#[utoipa::path(get, path = "/api/v1/rankings/{year}", tag = "contracts",
    params(("year" = i32, Path, description = "the year")),
    responses((status = 200, body = RankingOut, description = "the ranking, with its ETag"), (status = 304, description = "未改变（If-None-Match 与 ETag 相同）"), (status = 404, body = Problem)))]
pub async fn ranking_of(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    Path(year): Path<String>,
) -> Result<axum::response::Response, ApiError> {
    let year: i32 = year
        .trim()
        .parse()
        .map_err(|_| AppError::NotFound("年度"))?;
    let shown = ranking::shown(&state.app, year).await?;
    super::etag::json_with_etag(
        &headers,
        &RankingOut {
            frozen_at: shown.frozen_at.map(zijin_store_free_timestamp),
            ranking: serde_json::to_value(&shown.ranking)
                .map_err(|e| AppError::Internal(e.to_string()))?,
        },
    )
}

fn zijin_store_free_timestamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
pub struct FreezeRequest {
    /// Must be true: a frozen ranking cannot be changed.
    #[schema(schema_with = super::codes::confirmed, required = true)]
    pub confirm: bool,
}

/// Freeze (publish) a year's ranking (admins); once only.
#[utoipa::path(post, path = "/api/v1/rankings/{year}/freeze", tag = "contracts", request_body = FreezeRequest,
    params(("year" = i32, Path, description = "the year")),
    responses((status = 201, body = RankingOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem, description = "wrong_state: frozen already, or nobody to rank"), (status = 422, body = Problem, description = "not confirmed, or a future year")))]
pub async fn freeze(
    State(state): State<AppState>,
    caller: Caller,
    Path(year): Path<String>,
    ApiJson(request): ApiJson<FreezeRequest>,
) -> Result<Response, ApiError> {
    zijin_app::access::require(&caller.actor, zijin_app::access::Area::RankingFreeze)?;
    let year: i32 = year
        .trim()
        .parse()
        .map_err(|_| AppError::NotFound("年度"))?;
    if !request.confirm {
        return Err(
            AppError::field("confirm", "发布后排行榜不能再更改，请确认（confirm: true）").into(),
        );
    }
    let r = ranking::freeze(&state.app, &caller.actor, year).await?;
    let frozen = ranking::shown(&state.app, year).await?;
    Ok((
        StatusCode::CREATED,
        Json(RankingOut {
            frozen_at: frozen.frozen_at.map(zijin_store_free_timestamp),
            ranking: serde_json::to_value(&r).map_err(|e| AppError::Internal(e.to_string()))?,
        }),
    )
        .into_response())
}
