//! Carriers' recognition applications, yearly reports with reviewers' scores, and the year's
//! evaluation (issue 19): the API twins of `/my/carriers`, `/carriers/{id}/reports/{year}` and
//! `/carriers/evaluation`.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zijin_app::carriers::{self, evaluation, recognition, reports};
use zijin_domain::carrier_evaluation::IndicatorSource;

use super::{ApiJson, Caller, path_id};
use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::Path;
use crate::extract::Query;
use crate::routes::{Routes, get, post, put};

pub fn router() -> Routes {
    Routes::new()
        .route("/carriers/applications", get(list_applications).post(apply))
        .route("/carriers/applications/{id}/decision", post(decide))
        .route(
            "/carriers/{id}/reports/{year}",
            get(report).put(save_report),
        )
        .route("/carriers/{id}/reports/{year}/scores", put(score))
        .route(
            "/carriers/evaluation/{year}",
            get(year_results).post(evaluate),
        )
        .route("/carriers/evaluation/{year}/confirm", post(confirm))
}

#[derive(Serialize, ToSchema)]
pub struct CarrierApplicationOut {
    pub id: i64,
    pub institution: String,
    /// The carrier type's code and name.
    pub carrier_type: String,
    pub carrier_type_name: String,
    pub name: String,
    pub description: String,
    /// `submitted`, `recognised` or `refused`, and its label.
    pub status: String,
    pub status_label: String,
    pub decision_reason: String,
    /// The carrier made by the recognition.
    pub carrier_id: Option<i64>,
}

/// Applications for the recognition of carriers: the bureau sees all, an institution its own.
#[utoipa::path(get, path = "/api/v1/carriers/applications", tag = "carriers", params(super::paging::Cursor),
    responses((status = 200, body = Vec<CarrierApplicationOut>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_applications(
    State(state): State<AppState>,
    caller: Caller,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    Query(cursor): Query<super::paging::Cursor>,
) -> Result<axum::response::Response, ApiError> {
    let found = recognition::list(&state.app, &caller.actor).await?;
    super::paging::page(
        &uri,
        &cursor,
        found
            .into_iter()
            .map(|a| CarrierApplicationOut {
                id: a.id,
                institution: a.institution_name,
                carrier_type_name: carriers::carrier_type(&a.carrier_type)
                    .map(|t| t.name.clone())
                    .unwrap_or_default(),
                carrier_type: a.carrier_type,
                name: a.name,
                description: a.description,
                status_label: recognition::status_label(&a.status).to_string(),
                status: a.status,
                decision_reason: a.decision_reason,
                carrier_id: a.carrier_id,
            })
            .collect(),
        |a| a.id.to_string(),
    )
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct ApplyRequest {
    /// The carrier type's code (e.g. `poc-center`) or name.
    pub carrier_type: String,
    /// The carrier's name; default: the institution's name and the type's.
    pub name: String,
    /// 建设运营情况 (required, at most 2,000 characters).
    pub description: String,
}

#[derive(Serialize, ToSchema)]
#[schema(as = CarrierApplicationCreated)]
pub struct Created {
    pub id: i64,
}

/// Apply for the recognition of a carrier (institution users).
#[utoipa::path(post, path = "/api/v1/carriers/applications", tag = "carriers", request_body = ApplyRequest,
    responses((status = 201, body = Created), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem, description = "one is pending, or the institution has one of the type"), (status = 422, body = Problem)))]
pub async fn apply(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<ApplyRequest>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let id = recognition::apply(
        &state.app,
        &caller.actor,
        &request.carrier_type,
        &request.name,
        &request.description,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
#[schema(as = CarrierDecisionRequest)]
pub struct DecisionRequest {
    /// `recognise` or `refuse`.
    #[schema(schema_with = super::codes::recognition_decision, required = true)]
    pub decision: String,
    /// Required when refusing.
    pub reason: String,
    /// Must be true: a decision cannot be undone.
    #[schema(schema_with = super::codes::confirmed, required = true)]
    pub confirm: bool,
}

#[derive(Serialize, ToSchema)]
#[schema(as = CarrierDecisionOut)]
pub struct DecisionOut {
    /// The carrier recognised; none when refused.
    pub carrier_id: Option<i64>,
}

/// Decide an application (admins): recognise within the type's quota (409 with the reason when
/// full) or refuse with a reason.
#[utoipa::path(post, path = "/api/v1/carriers/applications/{id}/decision", tag = "carriers", params(("id" = i64, Path)), request_body = DecisionRequest,
    responses((status = 200, body = DecisionOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "already decided, or the quota is full"), (status = 422, body = Problem)))]
pub async fn decide(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<DecisionRequest>,
) -> Result<Json<DecisionOut>, ApiError> {
    zijin_app::access::require(&caller.actor, zijin_app::access::Area::Carriers)?;
    let id = path_id(&id, "认定申请")?;
    let recognise = match request.decision.as_str() {
        "recognise" => true,
        "refuse" => false,
        _ => {
            return Err(
                zijin_app::AppError::field("decision", "决定应为 recognise 或 refuse").into(),
            );
        }
    };
    let carrier_id = recognition::decide(
        &state.app,
        &caller.actor,
        id,
        recognise,
        &request.reason,
        request.confirm,
    )
    .await?;
    Ok(Json(DecisionOut { carrier_id }))
}

#[derive(Serialize, ToSchema)]
pub struct ReportIndicatorOut {
    pub code: String,
    pub name: String,
    pub block: String,
    pub unit: String,
    pub points: String,
    pub full_at: Option<String>,
    /// `platform`, `report` or `review`.
    pub source: String,
    pub source_label: String,
    /// The evidence a reported value needs.
    pub evidence_required: String,
    /// The platform's figure (platform indicators), with its unit.
    pub platform_value: Option<String>,
    pub reported: Option<String>,
    pub evidence: Option<String>,
    pub score: Option<String>,
    /// The points earned in the recorded evaluation of the year, when evaluated.
    pub earned: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ReportOut {
    pub carrier: String,
    pub institution: String,
    pub carrier_type: String,
    pub year: i32,
    pub scheme: String,
    /// `none`, `draft` or `submitted`.
    pub status: String,
    pub summary: String,
    pub score_comment: String,
    pub year_confirmed: bool,
    /// The recorded result (provisional until the year is confirmed): total and grade.
    pub total: Option<String>,
    pub grade: Option<String>,
    pub indicators: Vec<ReportIndicatorOut>,
}

fn years(id: &str, year: &str) -> Result<(i64, i32), ApiError> {
    let id = path_id(id, "载体")?;
    let year = year
        .parse()
        .map_err(|_| ApiError::from(zijin_app::AppError::NotFound("绩效报告")))?;
    Ok((id, year))
}

/// A carrier's 绩效报告 of a year with the platform's figures (its institution, reviewers and
/// admins).
#[utoipa::path(get, path = "/api/v1/carriers/{id}/reports/{year}", tag = "carriers", params(("id" = i64, Path), ("year" = i32, Path)),
    responses((status = 200, body = ReportOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "no scheme applies to the year"), (status = 422, body = Problem)))]
pub async fn report(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, year)): Path<(String, String)>,
) -> Result<Json<ReportOut>, ApiError> {
    let (id, year) = years(&id, &year)?;
    let view = reports::view(&state.app, &caller.actor, id, year).await?;
    let stored = view.report.clone().unwrap_or_default();
    Ok(Json(ReportOut {
        carrier: view.carrier.name.clone(),
        institution: view.carrier.institution_name.clone(),
        carrier_type: view.type_name.clone(),
        year,
        scheme: view.scheme.name.clone(),
        status: match &view.report {
            Some(r) if r.submitted => "submitted",
            Some(_) => "draft",
            None => "none",
        }
        .into(),
        summary: stored.summary.clone(),
        score_comment: stored.score_comment.clone(),
        year_confirmed: view.year_confirmed,
        total: view
            .result
            .as_ref()
            .map(|r| r.total.normalize().to_string()),
        grade: view.result.as_ref().map(|r| {
            use zijin_domain::Coded;
            r.grade.label().to_string()
        }),
        indicators: view
            .scheme
            .indicators
            .iter()
            .map(|i| ReportIndicatorOut {
                code: i.code.clone(),
                name: i.name.clone(),
                block: i.block.clone(),
                unit: i.unit.clone(),
                points: i.points.normalize().to_string(),
                full_at: i.full_at.map(|f| f.normalize().to_string()),
                source: match i.source {
                    IndicatorSource::Platform(_) => "platform",
                    IndicatorSource::Report => "report",
                    IndicatorSource::Review => "review",
                }
                .into(),
                source_label: i.source.label().into(),
                evidence_required: i.evidence.clone(),
                platform_value: view.platform.get(&i.code).cloned(),
                reported: stored.reported.get(&i.code).cloned(),
                evidence: stored.evidence.get(&i.code).cloned(),
                score: stored.scores.get(&i.code).cloned(),
                earned: view.result.as_ref().and_then(|r| {
                    r.indicators
                        .iter()
                        .find(|x| x.code == i.code)
                        .map(|x| x.points.clone())
                }),
            })
            .collect(),
    }))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct ReportRequest {
    /// Values of the report's indicators, by indicator code (decimal text).
    pub values: BTreeMap<String, String>,
    /// Evidence notes, by indicator code.
    pub evidence: BTreeMap<String, String>,
    pub summary: String,
    /// Submit (final) rather than keep as a draft.
    pub submit: bool,
}

/// Save or submit a carrier's report of a year (its institution).
#[utoipa::path(put, path = "/api/v1/carriers/{id}/reports/{year}", tag = "carriers", params(("id" = i64, Path), ("year" = i32, Path)), request_body = ReportRequest,
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "submitted already, or the year is confirmed"), (status = 422, body = Problem)))]
pub async fn save_report(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, year)): Path<(String, String)>,
    ApiJson(request): ApiJson<ReportRequest>,
) -> Result<StatusCode, ApiError> {
    let (id, year) = years(&id, &year)?;
    let input = reports::ReportInput {
        values: request.values,
        evidence: request.evidence,
        summary: request.summary,
        submit: request.submit,
    };
    reports::save(&state.app, &caller.actor, id, year, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct ScoresRequest {
    /// Points of every judgement indicator, by indicator code (decimal text).
    pub scores: BTreeMap<String, String>,
    pub comment: String,
}

/// Score the judgement indicators of a submitted report (reviewers and admins).
#[utoipa::path(put, path = "/api/v1/carriers/{id}/reports/{year}/scores", tag = "carriers", params(("id" = i64, Path), ("year" = i32, Path)), request_body = ScoresRequest,
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "not submitted, or the year is confirmed"), (status = 422, body = Problem)))]
pub async fn score(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, year)): Path<(String, String)>,
    ApiJson(request): ApiJson<ScoresRequest>,
) -> Result<StatusCode, ApiError> {
    let (id, year) = years(&id, &year)?;
    reports::score(
        &state.app,
        &caller.actor,
        id,
        year,
        &request.scores,
        &request.comment,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct IndicatorOut {
    pub name: String,
    pub block: String,
    /// The value (numeric indicators), decimal text.
    pub value: Option<String>,
    pub unit: String,
    pub points: String,
    pub max_points: String,
    /// Where the value came from, in words.
    pub source: String,
    pub explanation: String,
}

#[derive(Serialize, ToSchema)]
pub struct CarrierResultOut {
    pub carrier_id: i64,
    pub carrier: String,
    pub institution: String,
    /// The type's name, and its code.
    #[serde(rename = "type")]
    pub kind: String,
    pub type_code: String,
    pub total: String,
    /// 优秀, 良好, 合格 or 不合格.
    pub grade: String,
    pub indicators: Vec<IndicatorOut>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = CarrierYearOut)]
pub struct YearOut {
    pub year: i32,
    pub confirmed: bool,
    pub results: Vec<CarrierResultOut>,
}

fn year_out(done: evaluation::YearEvaluation) -> YearOut {
    use zijin_domain::Coded;
    YearOut {
        year: done.year,
        confirmed: done.confirmed_at.is_some(),
        results: done
            .results
            .into_iter()
            .map(|r| CarrierResultOut {
                carrier_id: r.carrier.id,
                carrier: r.carrier.name,
                institution: r.carrier.institution_name,
                kind: r.type_name,
                type_code: r.carrier.carrier_type,
                total: r.total.normalize().to_string(),
                grade: r.grade.label().into(),
                indicators: r
                    .indicators
                    .into_iter()
                    .map(|i| IndicatorOut {
                        name: i.name,
                        block: i.block,
                        value: i.value,
                        unit: i.unit,
                        points: i.points,
                        max_points: i.max_points,
                        source: i.source,
                        explanation: i.explanation,
                    })
                    .collect(),
            })
            .collect(),
    }
}

fn year_of(raw: &str) -> Result<i32, ApiError> {
    raw.parse().map_err(|_| {
        ApiError::from(zijin_app::AppError::field(
            "year",
            format!("评价年度应为四位年份：{raw}"),
        ))
    })
}

/// A year's recorded evaluation results (reviewers and admins).
#[utoipa::path(get, path = "/api/v1/carriers/evaluation/{year}", tag = "carriers", params(("year" = i32, Path)),
    responses((status = 200, body = YearOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn year_results(
    State(state): State<AppState>,
    caller: Caller,
    Path(year): Path<String>,
) -> Result<Json<YearOut>, ApiError> {
    let year = year_of(&year)?;
    Ok(Json(year_out(
        evaluation::year_view(&state.app, &caller.actor, year).await?,
    )))
}

/// Evaluate every recognised carrier's year and record the results, provisional (admins); a
/// confirmed year answers with what was confirmed.
#[utoipa::path(post, path = "/api/v1/carriers/evaluation/{year}", tag = "carriers", params(("year" = i32, Path)),
    responses((status = 200, body = YearOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn evaluate(
    State(state): State<AppState>,
    caller: Caller,
    Path(year): Path<String>,
) -> Result<Json<YearOut>, ApiError> {
    let year = year_of(&year)?;
    Ok(Json(year_out(
        evaluation::evaluate(&state.app, &caller.actor, year).await?,
    )))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
#[schema(as = EvaluationConfirmRequest)]
pub struct ConfirmRequest {
    /// Must be true: confirmation is final and applies the exit rule.
    #[schema(schema_with = super::codes::confirmed, required = true)]
    pub confirm: bool,
}

#[derive(Serialize, ToSchema)]
pub struct WithdrawnOut {
    pub carrier: String,
    pub institution: String,
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct ConfirmOut {
    pub carriers: usize,
    /// The recognitions the exit rule withdrew.
    pub withdrawn: Vec<WithdrawnOut>,
}

/// Confirm a year's results (admins; final): the grades feed the performance awards and the exit
/// rule withdraws carriers with the configured number of 不合格 in a row.
#[utoipa::path(post, path = "/api/v1/carriers/evaluation/{year}/confirm", tag = "carriers", params(("year" = i32, Path)), request_body = ConfirmRequest,
    responses((status = 200, body = ConfirmOut), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem, description = "confirmed already, not evaluated, or the year not over"), (status = 422, body = Problem)))]
pub async fn confirm(
    State(state): State<AppState>,
    caller: Caller,
    Path(year): Path<String>,
    ApiJson(request): ApiJson<ConfirmRequest>,
) -> Result<Json<ConfirmOut>, ApiError> {
    let year = year_of(&year)?;
    let done = evaluation::confirm(&state.app, &caller.actor, year, request.confirm).await?;
    Ok(Json(ConfirmOut {
        carriers: done.carriers,
        withdrawn: done
            .withdrawn
            .into_iter()
            .map(|(carrier, institution, reason)| WithdrawnOut {
                carrier,
                institution,
                reason,
            })
            .collect(),
    }))
}
