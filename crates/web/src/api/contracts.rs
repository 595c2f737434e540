//! 技术合同登记, statistics and the ranking in the API (issue 18): the twins of the pages.
//! Amounts are decimal strings of yuan; dates are Beijing dates (YYYY-MM-DD).

use axum::Json;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zijin_app::AppError;
use zijin_app::contracts::{
    self, Amendment, ContractView, Decision, ListQuery, StoredContract, Submission, import,
};
use zijin_domain::{Coded, ContractField, ContractInput, ContractKind, ContractStatus};

use super::{ApiJson, Caller, path_id};
use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{Path, Query};
use crate::routes::{Routes, get, post};

pub fn router() -> Routes {
    Routes::new()
        .route(
            "/contracts",
            get(list)
                .post(create)
                .body_limit(zijin_app::files::MAX_FILE_BYTES + 256 * 1024),
        )
        .route(
            "/contracts/import",
            post(import_file).body_limit(import::MAX_FILE_BYTES + 256 * 1024),
        )
        .route("/contracts/{id}", get(one))
        .route("/contracts/{id}/decision", post(decide))
        .route("/contracts/{id}/change", post(change))
        .route("/contracts/{id}/cancel", post(cancel))
        .route("/contracts/{id}/receipts", post(receipt))
        .route("/stats/contracts", get(super::contract_stats::statistics))
        .route("/rankings/{year}", get(super::contract_stats::ranking_of))
        .route(
            "/rankings/{year}/freeze",
            post(super::contract_stats::freeze),
        )
}

#[derive(Serialize, ToSchema)]
pub struct PartyOut {
    pub name: String,
    pub credit_code: String,
    /// Three-digit 买卖方性质 code and its label.
    pub nature: String,
    pub nature_label: String,
    /// Six-digit division code and the place it names.
    pub region: String,
    pub place: String,
}

#[derive(Serialize, ToSchema)]
pub struct DeductionOut {
    pub item: String,
    pub amount: String,
}

#[derive(Serialize, ToSchema)]
pub struct ContractOut {
    pub id: i64,
    /// 16-digit 合同登记编号, once registered.
    pub registration_number: Option<String>,
    pub title: String,
    pub contract_type: String,
    pub contract_type_label: String,
    pub contract_kind: String,
    pub equity_investment: bool,
    pub signed_on: String,
    pub valid_until: Option<String>,
    pub seller: PartyOut,
    pub buyer: PartyOut,
    pub in_city: bool,
    pub field: String,
    pub field_label: String,
    pub ip_type: String,
    /// 成交额 and 技术交易额, yuan.
    pub total: String,
    pub technology_amount: String,
    pub deductions: Vec<DeductionOut>,
    pub related_party: bool,
    /// submitted, returned, registered, refused or cancelled.
    pub status: String,
    pub status_label: String,
    pub registry: Option<String>,
    pub accepted_on: Option<String>,
    pub due_on: Option<String>,
    pub registered_on: Option<String>,
    pub refusal_reason: String,
    /// The 技术经理人 who brokered it, by name (empty when none).
    pub broker_name: String,
    /// Payments received so far, yuan (details only).
    pub received: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub capabilities: Option<zijin_app::access::ContractCapabilities>,
}

fn party(p: &zijin_domain::Party) -> PartyOut {
    PartyOut {
        name: p.name.clone(),
        credit_code: p.credit_code.as_str().to_string(),
        nature: p.nature.code(),
        nature_label: p.nature.label().to_string(),
        region: p.region.code(),
        place: p.region.label(),
    }
}

impl ContractOut {
    fn new(c: &StoredContract) -> Self {
        let d = &c.details;
        ContractOut {
            id: c.id,
            registration_number: c.number.as_ref().map(|n| n.as_str().to_string()),
            title: d.title.clone(),
            contract_type: d.contract_type.code().into(),
            contract_type_label: d.contract_type.label().into(),
            contract_kind: d.contract_type.kind().code().into(),
            equity_investment: d.equity_investment,
            signed_on: d.signed_on.to_string(),
            valid_until: d.valid_until.map(|v| v.to_string()),
            seller: party(&d.seller),
            buyer: party(&d.buyer),
            in_city: d.in_city(),
            field: d.field.code().into(),
            field_label: d.field.label().into(),
            ip_type: d.ip_type.code().into(),
            total: d.total.to_string(),
            technology_amount: d.technology.to_string(),
            deductions: d
                .deductions
                .iter()
                .map(|x| DeductionOut {
                    item: x.item.clone(),
                    amount: x.amount.to_string(),
                })
                .collect(),
            related_party: d.related_party,
            status: c.status.code().into(),
            status_label: c.status.label().into(),
            registry: c.registry_name.clone(),
            accepted_on: c.accepted_on.map(|v| v.to_string()),
            due_on: c.due_on.map(|v| v.to_string()),
            registered_on: c.registered_on.map(|v| v.to_string()),
            refusal_reason: c.refusal_reason.clone(),
            broker_name: c.broker_name.clone(),
            received: None,
            capabilities: None,
        }
    }

    fn of_view(view: &ContractView) -> Self {
        ContractOut {
            received: Some(view.received.to_string()),
            capabilities: Some(view.capabilities),
            ..ContractOut::new(&view.contract)
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ContractPage {
    /// The next page's address (also in the `Link: rel="next"` header); null on the last page.
    pub next: Option<String>,
    pub items: Vec<ContractOut>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct ContractQuery {
    /// submitted, returned, registered, refused, cancelled.
    #[param(schema_with = super::codes::contract_status_filter)]
    pub status: Option<String>,
    pub year: Option<i32>,
    /// development, transfer, license, consulting, service.
    #[param(schema_with = super::codes::contract_kind_filter)]
    pub kind: Option<String>,
    #[param(schema_with = super::codes::contract_field_filter)]
    pub field: Option<String>,
    /// Words in the title, the parties' names or the number.
    pub q: Option<String>,
    pub page: Option<i64>,
}

/// Contracts the caller may see: a seller's own, a registry's, a district's, or all (bureau).
#[utoipa::path(get, path = "/api/v1/contracts", tag = "contracts", params(ContractQuery),
    responses((status = 200, body = ContractPage), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    Query(query): Query<ContractQuery>,
) -> Result<axum::response::Response, ApiError> {
    let given = |value: &Option<String>| {
        value
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let (status, kind, field) = (
        given(&query.status),
        given(&query.kind),
        given(&query.field),
    );
    let list_query =
        ListQuery {
            status: match status {
                None => None,
                Some(s) => Some(ContractStatus::from_code(&s).ok_or_else(|| {
                    AppError::field(
                        "status",
                        "合同状态应为 submitted、returned、registered、refused 或 cancelled",
                    )
                })?),
            },
            year: query.year,
            kind: match kind {
                None => None,
                Some(s) => Some(ContractKind::from_code(&s).ok_or_else(|| {
                    AppError::field(
                        "kind",
                        "合同类型应为 development、transfer、license、consulting 或 service",
                    )
                })?),
            },
            field: match field {
                None => None,
                Some(s) => Some(ContractField::from_code(&s).ok_or_else(|| {
                    AppError::field("field", "技术领域应为统计口径的11个领域之一")
                })?),
            },
            words: query.q.clone().unwrap_or_default(),
        };
    let paged = contracts::list(
        &state.app,
        &caller.actor,
        &list_query,
        query.page.unwrap_or(1),
    )
    .await?;
    let next = super::paging::numbered_next(&uri, paged.page, paged.per_page, paged.total);
    let body = ContractPage {
        next: next.clone(),
        items: paged.items.iter().map(ContractOut::new).collect(),
        total: paged.total,
        page: paged.page,
        per_page: paged.per_page,
    };
    Ok(super::paging::with_next(body, next.as_deref()))
}

/// The form of a contract, as the registration form has it. Amounts are yuan (or 万元 with
/// the suffix 万); `deductions` are the non-technical costs deducted from 成交额.
#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
pub struct ContractRequest {
    pub title: String,
    /// A type's code (development-commissioned …) or its label (技术开发（委托）).
    pub contract_type: String,
    pub equity_investment: bool,
    pub signed_on: String,
    pub valid_until: String,
    pub seller_name: String,
    pub seller_credit_code: String,
    pub seller_nature: String,
    pub seller_region: String,
    pub buyer_name: String,
    pub buyer_credit_code: String,
    pub buyer_nature: String,
    pub buyer_region: String,
    pub field: String,
    pub ip_type: String,
    pub total: String,
    pub deductions: Vec<DeductionRequest>,
    pub related_party: bool,
    /// Required for 变更: why.
    pub reason: String,
}

#[derive(Deserialize, Serialize, ToSchema, Default, Clone)]
#[serde(default)]
pub struct DeductionRequest {
    pub item: String,
    pub amount: String,
}

impl ContractRequest {
    fn input(&self) -> ContractInput {
        ContractInput {
            title: self.title.clone(),
            contract_type: self.contract_type.clone(),
            equity_investment: self.equity_investment,
            signed_on: self.signed_on.clone(),
            valid_until: self.valid_until.clone(),
            seller_name: self.seller_name.clone(),
            seller_credit_code: self.seller_credit_code.clone(),
            seller_nature: self.seller_nature.clone(),
            seller_region: self.seller_region.clone(),
            buyer_name: self.buyer_name.clone(),
            buyer_credit_code: self.buyer_credit_code.clone(),
            buyer_nature: self.buyer_nature.clone(),
            buyer_region: self.buyer_region.clone(),
            field: self.field.clone(),
            ip_type: self.ip_type.clone(),
            total: self.total.clone(),
            technology: String::new(),
            deductions: self
                .deductions
                .iter()
                .map(|d| (d.item.clone(), d.amount.clone()))
                .collect(),
            related_party: self.related_party,
            oral: false,
        }
    }
}

/// The multipart form of a contract's submission (no other parts).
#[derive(ToSchema, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ContractUpload {
    /// The form, as JSON (see ContractRequest).
    contract: String,
    /// The 合同登记机构's id.
    registry: i64,
    /// The match that led to the contract, if any.
    #[schema(rename = "match")]
    match_id: Option<i64>,
    /// The broker institution's id, if any.
    broker_institution: Option<i64>,
    /// The 技术经理人's account id, if any.
    broker_user: Option<i64>,
    /// 合同文本: a PDF or an image, at most 10 MB.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// The multipart form of an import (no other parts).
#[derive(ToSchema, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ImportUpload {
    /// The national system's export: .xlsx, or UTF-8 .csv with its 17 Chinese headers.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Submit a contract for registration as its seller (institution users): multipart with a
/// `contract` part (the JSON form), `registry` (the 合同登记机构's id), optional `match`,
/// `broker_institution`, `broker_user` (the account id of a 技术经理人), and the `file` (合同文本, PDF or image).
#[utoipa::path(post, path = "/api/v1/contracts", tag = "contracts",
    request_body(content_type = "multipart/form-data", content = ContractUpload, description = "parts `contract` (JSON of ContractRequest), `registry`, `file`, optional `match`, `broker_institution`, `broker_user`"),
    responses((status = 201, body = ContractOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem, description = "the match is not the caller's"), (status = 413, body = Problem), (status = 422, body = Problem, description = "the form, the registry or the file refused, by field")))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, ApiError> {
    zijin_app::access::require(&caller.actor, zijin_app::access::Area::OwnContracts)?;
    let mut multipart =
        multipart.map_err(|_| super::not_multipart("contract、registry 和 file"))?;
    let mut request = ContractRequest::default();
    let mut submission = Submission::default();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| super::multipart_problem(e.status()))?
    {
        let name = field.name().unwrap_or_default().to_string();
        let filename = field.file_name().unwrap_or("合同文本").to_string();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| super::multipart_problem(e.status()))?;
        let text = || String::from_utf8_lossy(&bytes).trim().to_string();
        match name.as_str() {
            "contract" => {
                request = serde_json::from_slice(&bytes).map_err(|_| {
                    AppError::field("contract", "合同信息应为 JSON（字段见接口文档）")
                })?;
            }
            "registry" => submission.registry_id = text().parse().ok(),
            "match" => submission.match_id = text().parse().ok(),
            "broker_institution" => submission.broker_institution_id = text().parse().ok(),
            "broker_user" => submission.broker_user_id = crate::views::chosen_id(&text()),
            "file" if !bytes.is_empty() => submission.file = Some((filename, bytes.to_vec())),
            "file" => {}
            // As a JSON body with a field it does not know: refused, naming the part.
            _ => {
                return Err(AppError::field(
                    "contract",
                    "表单只有 contract、registry、match、broker_institution、broker_user 和 file 这些字段",
                )
                .into());
            }
        }
    }
    submission.form = request.input();
    let id = contracts::submit(&state.app, &caller.actor, submission).await?;
    let view = contracts::get(&state.app, &caller.actor, id).await?;
    Ok((StatusCode::CREATED, Json(ContractOut::of_view(&view))).into_response())
}

/// One contract, with what the caller may do with it.
#[utoipa::path(get, path = "/api/v1/contracts/{id}", tag = "contracts",
    params(("id" = i64, Path, description = "the contract")),
    responses((status = 200, body = ContractOut), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn one(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ContractOut>, ApiError> {
    let id = path_id(&id, "技术合同")?;
    let view = contracts::get(&state.app, &caller.actor, id).await?;
    Ok(Json(ContractOut::of_view(&view)))
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
#[schema(as = ContractDecisionRequest)]
pub struct DecisionRequest {
    /// register (登记), return (退回补正) or refuse (未予登记).
    #[schema(schema_with = super::codes::registration_decision, required = true)]
    pub decision: String,
    /// Why, for return and refuse.
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
#[schema(as = ContractDecisionOut)]
pub struct DecisionOut {
    pub status: String,
    pub registration_number: Option<String>,
}

/// The registrar's decision on a waiting contract (合同登记员 of its registry).
#[utoipa::path(post, path = "/api/v1/contracts/{id}/decision", tag = "contracts", request_body = DecisionRequest,
    params(("id" = i64, Path, description = "the contract")),
    responses((status = 200, body = DecisionOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem, description = "wrong_state: not waiting for a decision"), (status = 422, body = Problem, description = "unknown decision or reason missing")))]
pub async fn decide(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<DecisionRequest>,
) -> Result<Json<DecisionOut>, ApiError> {
    zijin_app::access::require(&caller.actor, zijin_app::access::Area::ContractRegistry)?;
    let id = path_id(&id, "技术合同")?;
    let decision = match request.decision.as_str() {
        "register" => Decision::Register,
        "return" => Decision::Return(request.reason.clone()),
        "refuse" => Decision::Refuse(request.reason.clone()),
        _ => {
            return Err(
                AppError::field("decision", "登记决定应为 register、return 或 refuse").into(),
            );
        }
    };
    let number = contracts::decide(&state.app, &caller.actor, id, decision).await?;
    let view = contracts::get(&state.app, &caller.actor, id).await?;
    Ok(Json(DecisionOut {
        status: view.contract.status.code().into(),
        registration_number: number.map(|n| n.as_str().to_string()),
    }))
}

/// 变更 of a registered contract (its registry's registrar; admins for imported contracts).
#[utoipa::path(post, path = "/api/v1/contracts/{id}/change", tag = "contracts", request_body = ContractRequest,
    params(("id" = i64, Path, description = "the contract")),
    responses((status = 200, body = ContractOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem, description = "wrong_state: not registered"), (status = 422, body = Problem)))]
pub async fn change(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<ContractRequest>,
) -> Result<Json<ContractOut>, ApiError> {
    zijin_app::access::contract::require_amend_area(&caller.actor)?;
    let id = path_id(&id, "技术合同")?;
    contracts::amend(
        &state.app,
        &caller.actor,
        id,
        Amendment::Change(Box::new(request.input())),
        &request.reason,
    )
    .await?;
    let view = contracts::get(&state.app, &caller.actor, id).await?;
    Ok(Json(ContractOut::of_view(&view)))
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
pub struct CancelRequest {
    #[schema(schema_with = super::codes::contract_reason, required = true)]
    pub reason: String,
    /// Must be true: 注销 cannot be undone.
    #[schema(schema_with = super::codes::confirmed, required = true)]
    pub confirm: bool,
}

/// 注销 of a registered contract: it no longer counts in statistics, ranking or awards.
#[utoipa::path(post, path = "/api/v1/contracts/{id}/cancel", tag = "contracts", request_body = CancelRequest,
    params(("id" = i64, Path, description = "the contract")),
    responses((status = 204, description = "cancelled"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem, description = "wrong_state: not registered"), (status = 422, body = Problem, description = "reason missing or not confirmed")))]
pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<CancelRequest>,
) -> Result<Response, ApiError> {
    zijin_app::access::contract::require_amend_area(&caller.actor)?;
    let id = path_id(&id, "技术合同")?;
    if !request.confirm {
        return Err(AppError::field("confirm", "注销不能撤销，请确认（confirm: true）").into());
    }
    contracts::amend(
        &state.app,
        &caller.actor,
        id,
        Amendment::Cancel,
        &request.reason,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
pub struct ReceiptRequest {
    /// YYYY-MM-DD.
    #[schema(format = Date, required = true)]
    pub received_on: String,
    /// Yuan (or 万元 with the suffix 万).
    pub amount: String,
    pub note: String,
}

/// Record a payment received (到账) under a registered contract (its seller or registrar).
#[utoipa::path(post, path = "/api/v1/contracts/{id}/receipts", tag = "contracts", request_body = ReceiptRequest,
    params(("id" = i64, Path, description = "the contract")),
    responses((status = 204, description = "recorded"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem, description = "wrong_state: not registered"), (status = 422, body = Problem, description = "date or amount refused (beyond 成交额, before signing, in the future)")))]
pub async fn receipt(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<ReceiptRequest>,
) -> Result<Response, ApiError> {
    if matches!(caller.actor, zijin_app::Actor::Anonymous) {
        return Err(AppError::Unauthenticated.into());
    }
    let id = path_id(&id, "技术合同")?;
    contracts::record_receipt(
        &state.app,
        &caller.actor,
        id,
        &request.received_on,
        &request.amount,
        &request.note,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Serialize, ToSchema)]
pub struct ImportOut {
    pub imported: usize,
}

/// Import registered contracts from the national system's export (admins): the raw .xlsx or
/// .csv as the body, or a multipart `file` part. All rows or none; refused rows come back as
/// `errors` of the problem, each naming the row and column.
#[utoipa::path(post, path = "/api/v1/contracts/import", tag = "contracts",
    request_body(content_type = "multipart/form-data", content = ImportUpload, description = "part `file`: .xlsx or UTF-8 .csv with the export's 17 Chinese headers"),
    responses((status = 201, body = ImportOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem, description = "rows refused: nothing was written")))]
pub async fn import_file(
    State(state): State<AppState>,
    caller: Caller,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, ApiError> {
    zijin_app::access::require(&caller.actor, zijin_app::access::Area::ContractImport)?;
    let mut multipart = multipart.map_err(|_| super::not_multipart("file"))?;
    let mut file = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| super::multipart_problem(e.status()))?
    {
        let name = field.name().unwrap_or_default().to_string();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| super::multipart_problem(e.status()))?;
        if name != "file" {
            return Err(AppError::field("file", "导入表单只有 file 一个字段").into());
        }
        file = Some(bytes);
    }
    let bytes = file
        .filter(|b| !b.is_empty())
        .ok_or_else(|| AppError::field("file", "请上传 .xlsx 或 .csv 文件"))?;
    match import::import(&state.app, &caller.actor, &bytes, &|_, _| {}).await? {
        import::Outcome::Imported { count } => {
            Ok((StatusCode::CREATED, Json(ImportOut { imported: count })).into_response())
        }
        import::Outcome::Refused(report) => {
            let mut errors = zijin_domain::FieldErrors::new();
            for line in report.lines() {
                errors.add("file", line);
            }
            Err(AppError::Validation(errors).into())
        }
    }
}
