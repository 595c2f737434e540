//! 申报 in the API (issue 16): calls for applications (申报通知), applications with their
//! computed amount and explanation, their review decisions, and the ledger of reserved and
//! paid money. Amounts are decimal strings of yuan; times RFC 3339 (UTC) with a Beijing-time
//! text beside them.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zijin_app::applications::{
    self, ApplicationInput, ApplicationView, CallInput, CallView, DecisionInput, action_label,
    calls, filing, review, yuan,
};
use zijin_app::auth::display_time;
use zijin_domain::Coded;

use super::{ApiJson, Caller, path_id};
use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::Path;
use crate::extract::Query;
use crate::routes::{Routes, get, post};

pub fn router() -> Routes {
    Routes::new()
        .route("/calls", get(list_calls).post(create_call))
        .route("/calls/{id}", get(one_call))
        .route(
            "/applications",
            get(list_applications).post(create_application),
        )
        .route(
            "/applications/{id}",
            get(one_application).put(update_application),
        )
        .route("/applications/{id}/submit", post(submit_application))
        .route("/applications/{id}/decision", post(decide_application))
        .route("/ledger", get(ledger))
}

#[derive(Serialize, ToSchema)]
pub struct CallMeasureOut {
    /// The policy measure's id.
    pub id: String,
    pub name: String,
    /// The article of the seed it implements.
    pub article: u32,
    /// Yuan, decimal string.
    pub budget: String,
}

#[derive(Serialize, ToSchema)]
pub struct CallOut {
    pub id: i64,
    pub title: String,
    pub guidance: String,
    /// UTC RFC 3339.
    pub opens: String,
    pub closes: String,
    /// Beijing time, as shown.
    pub opens_text: String,
    pub closes_text: String,
    /// upcoming (未开始), open (申报中) or closed (已截止).
    pub phase: String,
    pub phase_label: String,
    pub measures: Vec<CallMeasureOut>,
    /// Institution type codes that may apply (empty: any).
    pub applicant_types: Vec<String>,
    /// District codes that may apply (empty: any).
    pub districts: Vec<String>,
    /// Documents each application attaches.
    pub attachments: Vec<String>,
    /// The 公示 period in working days.
    pub notice_days: u32,
    /// Applications go through 专家评审.
    pub expert_review: bool,
    pub rubric: Vec<RubricItemIo>,
}

impl CallOut {
    fn new(view: &CallView) -> Self {
        let call = &view.call;
        Self {
            id: call.id,
            title: call.title.clone(),
            guidance: call.guidance.clone(),
            opens: call.opens_at.clone(),
            closes: call.closes_at.clone(),
            opens_text: display_time(&call.opens_at),
            closes_text: display_time(&call.closes_at),
            phase: view.phase.code().into(),
            phase_label: view.phase.label().into(),
            measures: view
                .measures
                .iter()
                .map(|(id, name, article, budget)| CallMeasureOut {
                    id: id.clone(),
                    name: name.clone(),
                    article: *article,
                    budget: format!("{budget:.2}"),
                })
                .collect(),
            applicant_types: call.applicant_types.clone(),
            districts: call.districts.clone(),
            attachments: call.attachments.clone(),
            notice_days: call.notice_days,
            expert_review: call.expert_review,
            rubric: call
                .rubric
                .iter()
                .map(|r| RubricItemIo {
                    item: r.item.clone(),
                    points: r.points,
                })
                .collect(),
        }
    }
}

/// Every call for applications, the latest closing first (public: 通知公告).
#[utoipa::path(get, path = "/api/v1/calls", tag = "applications", params(super::paging::Cursor),
    responses((status = 200, body = Vec<CallOut>)))]
pub async fn list_calls(
    State(state): State<AppState>,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    Query(cursor): Query<super::paging::Cursor>,
) -> Result<axum::response::Response, ApiError> {
    let calls = calls::list(&state.app).await?;
    super::paging::page(
        &uri,
        &cursor,
        calls.iter().map(CallOut::new).collect(),
        |c| c.id.to_string(),
    )
}

/// One call (public).
#[utoipa::path(get, path = "/api/v1/calls/{id}", tag = "applications",
    params(("id" = i64, Path, description = "the call")),
    responses((status = 200, body = CallOut), (status = 404, body = Problem)))]
pub async fn one_call(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<CallOut>, ApiError> {
    let id = path_id(&id, "申报通知")?;
    Ok(Json(CallOut::new(&calls::get(&state.app, id).await?)))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct CallRequest {
    /// 1–100 characters.
    pub title: String,
    /// 申报指南 (up to 20,000 characters).
    pub guidance: String,
    /// Policy measure ids (see `/policy`), at least one.
    pub measures: Vec<String>,
    /// RFC 3339 with the offset, e.g. `2026-12-01T09:00:00+08:00`.
    pub opens: String,
    /// RFC 3339 with the offset; later than `opens` and not past.
    pub closes: String,
    /// Budget per measure id, yuan as a decimal string ("5000000.00"), more than zero.
    pub budgets: BTreeMap<String, String>,
    /// Institution type codes that may apply (empty: any).
    pub applicant_types: Vec<String>,
    /// District codes that may apply (empty: any).
    pub districts: Vec<String>,
    /// Documents each application attaches (names, up to 50 characters each).
    pub attachments: Vec<String>,
    /// The 公示 period in working days, 1–30 (default 5).
    pub notice_days: Option<u32>,
    /// Applications go through 专家评审 (at least three experts score them); needs `rubric`.
    pub expert_review: bool,
    /// The items experts score, each with its full points (1–100), at most 20 items.
    pub rubric: Vec<RubricItemIo>,
}

/// A rubric item of 专家评审.
#[derive(Serialize, Deserialize, ToSchema, Default, Clone)]
#[serde(default, deny_unknown_fields)]
pub struct RubricItemIo {
    /// What is scored, up to 30 characters (e.g. 技术先进性).
    pub item: String,
    /// Its full points, 1–100.
    pub points: u32,
}

/// Open a call for applications (admins). The closing date and the notice after it must fall in
/// years the working-day calendar holds.
#[utoipa::path(post, path = "/api/v1/calls", tag = "applications", request_body = CallRequest,
    responses((status = 201, body = CallOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem, description = "every problem of the input, per field")))]
pub async fn create_call(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<CallRequest>,
) -> Result<Response, ApiError> {
    let input = CallInput {
        title: request.title,
        guidance: request.guidance,
        measures: request.measures,
        opens: request.opens,
        closes: request.closes,
        budgets: request.budgets,
        applicant_types: request.applicant_types,
        districts: request.districts,
        attachments: request.attachments,
        notice_days: request.notice_days,
        expert_review: request.expert_review,
        rubric: request
            .rubric
            .into_iter()
            .map(|r| calls::RubricItem {
                item: r.item,
                points: r.points,
            })
            .collect(),
    };
    let call = calls::create(&state.app, &caller.actor, &input).await?;
    Ok((StatusCode::CREATED, Json(CallOut::new(&call))).into_response())
}

#[derive(Serialize, ToSchema)]
pub struct TraceStepOut {
    pub step: String,
    pub formula: String,
    pub value: String,
    /// The article it cites.
    pub source: String,
}

#[derive(Serialize, ToSchema)]
pub struct HistoryOut {
    /// submit, approve, return, reject.
    pub action: String,
    pub action_label: String,
    /// The review step (district, unit, experts, final).
    pub step: Option<String>,
    pub step_label: Option<String>,
    pub comment: String,
    /// Yuan, decimal string (submission: computed; 核定: fixed).
    pub amount: Option<String>,
    pub by: Option<String>,
    /// UTC RFC 3339, and Beijing time.
    pub at: String,
    pub at_text: String,
}

#[derive(Serialize, ToSchema)]
pub struct CapabilitiesOut {
    pub read: bool,
    /// Change the facts and submit.
    pub edit: bool,
    /// The step the caller may decide now.
    pub decide: Option<String>,
    /// Score it, or declare a conflict (an assigned expert at 专家评审).
    pub score: bool,
    /// Assign experts (the admin at 专家评审).
    pub assign_experts: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ApplicationOut {
    pub id: i64,
    pub call: i64,
    pub call_title: String,
    pub measure: String,
    pub measure_name: String,
    pub article: u32,
    pub institution: String,
    /// The person the grant is for (a 技术经理人), when the measure pays people.
    pub beneficiary_person: Option<String>,
    /// draft, in_review, returned, rejected, approved, paid, withdrawn.
    pub status: String,
    pub status_label: String,
    /// The review step waiting (or that returned or rejected it).
    pub step: Option<String>,
    pub step_label: Option<String>,
    /// The measure's conditions hold for the facts, against the ledger.
    pub eligible: bool,
    /// Yuan computed by the policy engine, decimal string.
    pub amount: String,
    /// Yuan fixed at 市级核定.
    pub approved_amount: Option<String>,
    /// Why not eligible.
    pub reasons: Vec<String>,
    /// Every step of the computation, citing the article.
    pub trace: Vec<TraceStepOut>,
    #[schema(value_type = Object)]
    pub facts: serde_json::Value,
    pub integrity_accepted: bool,
    /// 开户银行, 银行账号 (digits) and 账户名称 the grant is paid into.
    pub bank_name: String,
    pub bank_account: String,
    pub account_name: String,
    /// applicant (单位申报) or exempt (免申即享: drafted from the platform's data).
    pub origin: String,
    pub origin_label: String,
    /// The documents the call asks for, and the files attached.
    pub required_files: Vec<String>,
    pub files: Vec<super::application_review::FileOut>,
    /// 专家评审 as the caller may see it (calls with expert review; the bureau and the
    /// assigned experts).
    pub experts: Option<super::application_review::ExpertReviewOut>,
    pub history: Vec<HistoryOut>,
    pub capabilities: CapabilitiesOut,
}

impl ApplicationOut {
    pub fn new(view: &ApplicationView) -> Self {
        let row = &view.application;
        Self {
            id: row.id,
            call: row.call_id,
            call_title: row.call_title.clone(),
            measure: row.measure_id.clone(),
            measure_name: view.measure_name.clone(),
            article: view.article,
            institution: row.institution_name.clone(),
            beneficiary_person: row.beneficiary_name.clone(),
            status: row.status.code().into(),
            status_label: row.status.label().into(),
            step: row.step.map(|s| s.code().to_string()),
            step_label: row.step.map(|s| s.label().to_string()),
            eligible: row.eligible,
            amount: format!("{:.2}", yuan(row.amount_fen)),
            approved_amount: row.approved_fen.map(|f| format!("{:.2}", yuan(f))),
            reasons: row.reasons.clone(),
            trace: view
                .trace
                .iter()
                .map(|s| TraceStepOut {
                    step: s.step.clone(),
                    formula: s.formula.clone(),
                    value: s.value.clone(),
                    source: s.source.clone(),
                })
                .collect(),
            facts: serde_json::from_str(&row.facts).unwrap_or(serde_json::Value::Null),
            integrity_accepted: row.integrity_accepted,
            bank_name: row.account.bank.clone(),
            bank_account: row.account.number.clone(),
            account_name: row.account.name.clone(),
            origin: row.origin.code().into(),
            origin_label: row.origin.label().into(),
            required_files: view.required_files.clone(),
            files: view
                .files
                .iter()
                .map(super::application_review::FileOut::new)
                .collect(),
            experts: view
                .experts
                .as_ref()
                .map(super::application_review::ExpertReviewOut::new),
            history: view
                .history
                .iter()
                .map(|e| HistoryOut {
                    action: e.action.clone(),
                    action_label: action_label(&e.action).into(),
                    step: e.step.map(|s| s.code().to_string()),
                    step_label: e.step.map(|s| s.label().to_string()),
                    comment: e.comment.clone(),
                    amount: e.amount_fen.map(|f| format!("{:.2}", yuan(f))),
                    by: e.user_name.clone(),
                    at: e.at.clone(),
                    at_text: display_time(&e.at),
                })
                .collect(),
            capabilities: CapabilitiesOut {
                read: view.capabilities.read,
                edit: view.capabilities.edit,
                decide: view.capabilities.decide.map(|s| s.code().to_string()),
                score: view.capabilities.score,
                assign_experts: view.capabilities.assign_experts,
            },
        }
    }
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct ApplicationRequest {
    /// The call's id.
    pub call: i64,
    /// A measure the call opens.
    pub measure: String,
    /// One value per fact of the measure: amounts as decimal strings of yuan, yes/no as
    /// booleans, options by their codes. The beneficiary is the caller's institution.
    #[schema(value_type = Object)]
    pub facts: serde_json::Map<String, serde_json::Value>,
    /// The 科研诚信承诺书 is accepted (required to submit).
    pub integrity_accepted: bool,
    /// 开户银行 (up to 60 characters), required to submit.
    pub bank_name: String,
    /// 银行账号: 8–32 digits (spaces and dashes dropped), required to submit.
    pub bank_account: String,
    /// 账户名称 (up to 100 characters), required to submit.
    pub account_name: String,
}

/// Save a draft application of the caller's institution (institution users); the amount is
/// computed at once against the stored ledger.
#[utoipa::path(post, path = "/api/v1/applications", tag = "applications", request_body = ApplicationRequest,
    responses((status = 201, body = ApplicationOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem, description = "no such call"), (status = 409, body = Problem, description = "call_closed: the call is not open"), (status = 422, body = Problem, description = "a measure the call does not hold, or a fact missing or of the wrong kind")))]
pub async fn create_application(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<ApplicationRequest>,
) -> Result<Response, ApiError> {
    let input = ApplicationInput {
        call: request.call,
        measure: request.measure,
        facts: request.facts,
        integrity_accepted: request.integrity_accepted,
        bank_name: request.bank_name,
        bank_account: request.bank_account,
        account_name: request.account_name,
    };
    let view = filing::draft(&state.app, &caller.actor, &input).await?;
    Ok((StatusCode::CREATED, Json(ApplicationOut::new(&view))).into_response())
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct FactsRequest {
    #[schema(value_type = Object)]
    pub facts: serde_json::Map<String, serde_json::Value>,
    pub integrity_accepted: bool,
    pub bank_name: String,
    pub bank_account: String,
    pub account_name: String,
}

/// Replace the facts of a draft or returned application (its institution, while the call is
/// open).
#[utoipa::path(put, path = "/api/v1/applications/{id}", tag = "applications", request_body = FactsRequest,
    params(("id" = i64, Path, description = "the application")),
    responses((status = 200, body = ApplicationOut), (status = 401, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem, description = "wrong_state or call_closed"), (status = 422, body = Problem)))]
pub async fn update_application(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<FactsRequest>,
) -> Result<Json<ApplicationOut>, ApiError> {
    let id = path_id(&id, "申报")?;
    let input = ApplicationInput {
        facts: request.facts,
        integrity_accepted: request.integrity_accepted,
        bank_name: request.bank_name,
        bank_account: request.bank_account,
        account_name: request.account_name,
        ..Default::default()
    };
    let view = filing::update(&state.app, &caller.actor, id, &input).await?;
    Ok(Json(ApplicationOut::new(&view)))
}

/// One application: its facts, computed amount with the explanation, and history (the
/// applicant, the reviewers of its route and admins; anyone else gets 404).
#[utoipa::path(get, path = "/api/v1/applications/{id}", tag = "applications",
    params(("id" = i64, Path, description = "the application")),
    responses((status = 200, body = ApplicationOut), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn one_application(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ApplicationOut>, ApiError> {
    let id = path_id(&id, "申报")?;
    let view = applications::get(&state.app, &caller.actor, id).await?;
    Ok(Json(ApplicationOut::new(&view)))
}

#[derive(Serialize, ToSchema)]
pub struct ApplicationItem {
    pub id: i64,
    pub call_title: String,
    pub measure: String,
    pub institution: String,
    pub status: String,
    pub status_label: String,
    pub step: Option<String>,
    pub step_label: Option<String>,
    pub amount: String,
    pub updated_at: String,
    pub updated_at_text: String,
}

/// The caller's applications (institution users), or the applications waiting for the
/// caller's review step (district officers, unit reviewers, admins at 市级核定), longest
/// waiting first.
#[utoipa::path(get, path = "/api/v1/applications", tag = "applications", params(super::paging::Cursor),
    responses((status = 200, body = Vec<ApplicationItem>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_applications(
    State(state): State<AppState>,
    caller: Caller,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    Query(cursor): Query<super::paging::Cursor>,
) -> Result<axum::response::Response, ApiError> {
    let rows = applications::list(&state.app, &caller.actor).await?;
    super::paging::page(
        &uri,
        &cursor,
        rows.iter()
            .map(|row| ApplicationItem {
                id: row.id,
                call_title: row.call_title.clone(),
                measure: row.measure_id.clone(),
                institution: row.institution_name.clone(),
                status: row.status.code().into(),
                status_label: row.status.label().into(),
                step: row.step.map(|s| s.code().to_string()),
                step_label: row.step.map(|s| s.label().to_string()),
                amount: format!("{:.2}", yuan(row.amount_fen)),
                updated_at: row.updated_at.clone(),
                updated_at_text: display_time(&row.updated_at),
            })
            .collect(),
        |a| a.id.to_string(),
    )
}

/// Submit a draft, or a corrected returned application, within the call's time.
#[utoipa::path(post, path = "/api/v1/applications/{id}/submit", tag = "applications",
    params(("id" = i64, Path, description = "the application")),
    responses((status = 200, body = ApplicationOut), (status = 401, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem, description = "wrong_state or call_closed"), (status = 422, body = Problem, description = "the integrity pledge not accepted, or the conditions not met")))]
pub async fn submit_application(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ApplicationOut>, ApiError> {
    let id = path_id(&id, "申报")?;
    let view = filing::submit(&state.app, &caller.actor, id).await?;
    Ok(Json(ApplicationOut::new(&view)))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
#[schema(as = ApplicationDecisionRequest)]
pub struct DecisionRequest {
    /// approve (通过/核定), return (退回修改) or reject (不予通过).
    #[schema(schema_with = super::codes::application_decision, required = true)]
    pub decision: String,
    /// Required to return or reject, and to fix an amount below the computed one.
    #[schema(schema_with = super::codes::application_comment)]
    pub comment: String,
    /// At 市级核定 only: yuan as a decimal string, not above the computed amount (default: it).
    pub amount: Option<String>,
}

/// Decide the review step that waits for the caller: the district officer of the applicant's
/// district (区级初审推荐), a reviewer of a responsible unit of the measure (责任单位审核), an
/// admin (市级核定: the amount is recomputed and reserved in the ledger).
#[utoipa::path(post, path = "/api/v1/applications/{id}/decision", tag = "applications", request_body = DecisionRequest,
    params(("id" = i64, Path, description = "the application")),
    responses((status = 200, body = ApplicationOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem, description = "wrong_state: waiting at another step, or a cap, one-time rule or quota reached; budget_exceeded: the call's budget would be exceeded"), (status = 422, body = Problem, description = "no decision, a missing comment, or an amount above the computed one")))]
pub async fn decide_application(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<DecisionRequest>,
) -> Result<Json<ApplicationOut>, ApiError> {
    let id = path_id(&id, "申报")?;
    let input = DecisionInput {
        decision: request.decision,
        comment: request.comment,
        amount: request.amount,
    };
    let view = review::decide(&state.app, &caller.actor, id, &input).await?;
    Ok(Json(ApplicationOut::new(&view)))
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct LedgerParams {
    /// The beneficiary's unified social credit code (18 characters).
    #[param(required = true, schema_with = super::codes::credit_code)]
    pub beneficiary: String,
    /// The year, by the Beijing date of the grant.
    #[param(required = true, minimum = 2000, maximum = 2100)]
    pub year: i32,
}

#[derive(Serialize, ToSchema)]
pub struct LedgerEntryOut {
    pub measure: String,
    /// Yuan, decimal string.
    pub amount: String,
    /// reserved (已核定待拨付), paid (已拨付) or released (已释放).
    pub state: String,
    pub state_label: String,
    /// The application it was granted on.
    pub application: i64,
    /// The Beijing date of the grant.
    pub date: String,
}

#[derive(Serialize, ToSchema)]
pub struct LedgerOut {
    pub entries: Vec<LedgerEntryOut>,
    /// Reserved and paid, yuan.
    pub total: String,
}

/// A beneficiary's ledger of a year (admins).
#[utoipa::path(get, path = "/api/v1/ledger", tag = "applications", params(LedgerParams),
    responses((status = 200, body = LedgerOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem, description = "a credit code or year that is not valid")))]
pub async fn ledger(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<LedgerParams>,
) -> Result<Json<LedgerOut>, ApiError> {
    let (entries, total) =
        applications::ledger(&state.app, &caller.actor, &params.beneficiary, params.year).await?;
    Ok(Json(LedgerOut {
        entries: entries
            .iter()
            .map(|e| LedgerEntryOut {
                measure: e.measure_id.clone(),
                amount: format!("{:.2}", yuan(e.amount_fen)),
                state: e.state.code().into(),
                state_label: e.state.label().into(),
                application: e.application_id,
                date: e.granted_on.clone(),
            })
            .collect(),
        total: format!("{total:.2}"),
    }))
}
