//! 公示 and 拨付 in the API (issue 16): a call's notice of the applications to be supported,
//! objections to it and their rulings, payment batches once the notice has ended, and each
//! payment marked 已拨付. Amounts are decimal strings of yuan.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zijin_app::applications::{notice, payments, yuan};

use super::{ApiJson, Caller, path_id};
use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::Path;
use crate::routes::{Routes, get, post};
use crate::session::ClientIp;

pub fn router() -> Routes {
    Routes::new()
        .route("/calls/{id}/notice", post(publish_notice))
        .route("/notices/{id}", get(one_notice))
        .route("/notices/{id}/objections", post(object))
        .route("/objections/{id}/ruling", post(rule_objection))
        .route("/calls/{id}/payments", post(make_batch))
        .route("/payment-batches/{id}", get(one_batch))
        .route("/payments/{id}/paid", post(mark_paid))
}

#[derive(Serialize, ToSchema)]
pub struct NoticeEntryOut {
    pub application: i64,
    pub institution: String,
    pub measure: String,
    pub measure_name: String,
    /// Yuan, decimal string.
    pub amount: String,
    /// Taken off the list by an upheld objection (admins only see these).
    pub withdrawn: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ObjectionOut {
    pub id: i64,
    pub application: Option<i64>,
    /// The objector (admins only).
    pub name: String,
    pub phone: String,
    pub reason: String,
    pub created_at: String,
    /// upheld (成立) or dismissed (不成立); null while not ruled.
    pub ruling: Option<String>,
    pub ruling_reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct NoticeOut {
    pub id: i64,
    pub call: i64,
    pub call_title: String,
    /// Beijing dates: the notice runs through `ends_on` (a working day).
    pub starts_on: String,
    pub ends_on: String,
    pub working_days: u32,
    /// Objections are received today.
    pub open: bool,
    pub entries: Vec<NoticeEntryOut>,
    /// Admins only (empty for everyone else).
    pub objections: Vec<ObjectionOut>,
}

impl NoticeOut {
    fn new(state: &AppState, view: &notice::NoticeView) -> Self {
        Self {
            id: view.notice.id,
            call: view.notice.call_id,
            call_title: view.notice.call_title.clone(),
            starts_on: view.notice.starts_on.clone(),
            ends_on: view.notice.ends_on.clone(),
            working_days: view.notice.working_days,
            open: view.open,
            entries: view
                .entries
                .iter()
                .map(|e| NoticeEntryOut {
                    application: e.application_id,
                    institution: e.institution_name.clone(),
                    measure: e.measure_id.clone(),
                    measure_name: zijin_app::policy::measure(&state.app, &e.measure_id)
                        .map_or_else(|_| e.measure_id.clone(), |m| m.name.clone()),
                    amount: format!("{:.2}", yuan(e.amount_fen)),
                    withdrawn: e.withdrawn,
                })
                .collect(),
            objections: view
                .objections
                .iter()
                .map(|o| ObjectionOut {
                    id: o.id,
                    application: o.application_id,
                    name: o.name.clone(),
                    phone: o.phone.clone(),
                    reason: o.reason.clone(),
                    created_at: o.created_at.clone(),
                    ruling: o.ruling.clone(),
                    ruling_reason: o.ruling_reason.clone(),
                })
                .collect(),
        }
    }
}

/// Publish the 拟支持名单 of a call for its period in working days (admins): every approved
/// application not yet noticed.
#[utoipa::path(post, path = "/api/v1/calls/{id}/notice", tag = "applications",
    params(("id" = i64, Path, description = "the call")),
    responses((status = 201, body = NoticeOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem, description = "wrong_state: already noticed, or nothing approved yet")))]
pub async fn publish_notice(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id(&id, "申报通知")?;
    let view = notice::publish(&state.app, &caller.actor, id).await?;
    Ok((StatusCode::CREATED, Json(NoticeOut::new(&state, &view))).into_response())
}

/// A notice (public); admins also see withdrawn entries and the objections with their
/// objectors.
#[utoipa::path(get, path = "/api/v1/notices/{id}", tag = "applications",
    params(("id" = i64, Path, description = "the notice")),
    responses((status = 200, body = NoticeOut), (status = 404, body = Problem)))]
pub async fn one_notice(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<NoticeOut>, ApiError> {
    let id = path_id(&id, "公示")?;
    let view = notice::get(&state.app, &caller.actor, id).await?;
    Ok(Json(NoticeOut::new(&state, &view)))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct ObjectionRequest {
    /// The application objected to (optional).
    pub application: Option<i64>,
    /// The objector's real name, 2–20 characters (anonymous objections are refused).
    #[schema(schema_with = super::codes::objector_name, required = true)]
    pub name: String,
    /// A mobile number or a landline with its area code.
    #[schema(schema_with = super::codes::phone, required = true)]
    pub phone: String,
    /// The facts and reasons, 10–2,000 characters.
    #[schema(schema_with = super::codes::objection_reason, required = true)]
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct ObjectionCreated {
    pub id: i64,
}

/// Object to a notice while it is open (anyone, with real name and phone; a phone may object
/// three times to one notice, an address ten times a day).
#[utoipa::path(post, path = "/api/v1/notices/{id}/objections", tag = "applications", request_body = ObjectionRequest,
    params(("id" = i64, Path, description = "the notice")),
    responses((status = 201, body = ObjectionCreated), (status = 404, body = Problem), (status = 409, body = Problem, description = "wrong_state: the notice has ended"), (status = 422, body = Problem), (status = 429, body = Problem, description = "too many objections from this phone or address")))]
pub async fn object(
    State(state): State<AppState>,
    ClientIp(address): ClientIp,
    _caller: Caller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<ObjectionRequest>,
) -> Result<Response, ApiError> {
    let id = path_id(&id, "公示")?;
    let input = notice::ObjectionInput {
        application: request.application,
        name: request.name,
        phone: request.phone,
        reason: request.reason,
    };
    let created = notice::object(&state.app, &address, id, &input).await?;
    Ok((StatusCode::CREATED, Json(ObjectionCreated { id: created })).into_response())
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct RulingRequest {
    /// upheld (成立: the application leaves the list, its reservation is released) or
    /// dismissed (不成立).
    #[schema(schema_with = super::codes::objection_ruling, required = true)]
    pub ruling: String,
    /// Required.
    #[schema(schema_with = super::codes::ruling_reason, required = true)]
    pub reason: String,
}

/// Rule an objection (admins).
#[utoipa::path(post, path = "/api/v1/objections/{id}/ruling", tag = "applications", request_body = RulingRequest,
    params(("id" = i64, Path, description = "the objection")),
    responses((status = 204, description = "ruled"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem, description = "already ruled"), (status = 422, body = Problem)))]
pub async fn rule_objection(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<RulingRequest>,
) -> Result<Response, ApiError> {
    let id = path_id(&id, "异议")?;
    let upheld = match request.ruling.as_str() {
        "upheld" | "成立" => true,
        "dismissed" | "不成立" => false,
        _ => {
            zijin_app::access::require(&caller.actor, zijin_app::access::Area::Calls)?;
            return Err(ApiError::from(zijin_app::AppError::field(
                "ruling",
                "请选择认定结果：upheld（成立）或 dismissed（不成立）",
            )));
        }
    };
    notice::rule(&state.app, &caller.actor, id, upheld, &request.reason).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Serialize, ToSchema)]
pub struct PaymentOut {
    pub id: i64,
    pub application: i64,
    pub payee: String,
    pub credit_code: String,
    pub measure: String,
    /// Yuan, decimal string.
    pub amount: String,
    /// YYYY-MM-DD once marked 已拨付.
    pub paid_on: Option<String>,
    pub voucher: String,
    /// The account the beneficiary entered: 账户名称, 开户银行, 银行账号 (digits).
    pub account_name: String,
    pub bank_name: String,
    pub bank_account: String,
}

#[derive(Serialize, ToSchema)]
#[schema(as = PaymentBatchOut)]
pub struct BatchOut {
    pub batch: i64,
    pub payments: Vec<PaymentOut>,
    /// Yuan, decimal string.
    pub total: String,
}

fn batch_out(batch: i64, payments: &[zijin_app::applications::payments::PaymentRow]) -> BatchOut {
    BatchOut {
        batch,
        total: format!(
            "{:.2}",
            payments
                .iter()
                .map(|p| yuan(p.amount_fen))
                .sum::<rust_decimal::Decimal>()
        ),
        payments: payments
            .iter()
            .map(|p| PaymentOut {
                id: p.id,
                application: p.application_id,
                payee: p.institution_name.clone(),
                credit_code: p.credit_code.clone(),
                measure: p.measure_id.clone(),
                amount: format!("{:.2}", yuan(p.amount_fen)),
                paid_on: p.paid_on.clone(),
                voucher: p.voucher.clone(),
                account_name: p.account.name.clone(),
                bank_name: p.account.bank.clone(),
                bank_account: p.account.number.clone(),
            })
            .collect(),
    }
}

/// Make the payment batch of a call whose notice has ended (admins): the remaining entries'
/// ledger entries turn from reserved to paid.
#[utoipa::path(post, path = "/api/v1/calls/{id}/payments", tag = "applications",
    params(("id" = i64, Path, description = "the call")),
    responses((status = 201, body = BatchOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem, description = "wrong_state: no notice, the notice not yet ended, or nothing left to pay")))]
pub async fn make_batch(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id(&id, "申报通知")?;
    let (batch, payments) = payments::make_batch(&state.app, &caller.actor, id).await?;
    Ok((StatusCode::CREATED, Json(batch_out(batch, &payments))).into_response())
}

/// A payment batch (admins).
#[utoipa::path(get, path = "/api/v1/payment-batches/{id}", tag = "applications",
    params(("id" = i64, Path, description = "the batch")),
    responses((status = 200, body = BatchOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn one_batch(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<BatchOut>, ApiError> {
    let id = path_id(&id, "拨付批次")?;
    let payments = payments::batch_payments(&state.app, &caller.actor, id).await?;
    Ok(Json(batch_out(id, &payments)))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct PaidRequest {
    /// YYYY-MM-DD.
    #[schema(format = Date, required = true)]
    pub paid_on: String,
    /// The voucher number, 1–50 characters.
    #[schema(schema_with = super::codes::voucher, required = true)]
    pub voucher: String,
}

/// Mark a payment 已拨付 (admins).
#[utoipa::path(post, path = "/api/v1/payments/{id}/paid", tag = "applications", request_body = PaidRequest,
    params(("id" = i64, Path, description = "the payment")),
    responses((status = 204, description = "marked"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem, description = "already marked"), (status = 422, body = Problem)))]
pub async fn mark_paid(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<PaidRequest>,
) -> Result<Response, ApiError> {
    let id = path_id(&id, "拨付记录")?;
    payments::mark_paid(
        &state.app,
        &caller.actor,
        id,
        &request.paid_on,
        &request.voucher,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
