use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zijin_app::lists::{self, IssueFilter};
use zijin_app::records;
use zijin_domain::{AchievementInput, CloseReason, DemandInput, RecordKind, Transition};

use super::{ApiJson, Caller, path_id};
use crate::AppState;
use crate::error::{ApiError, ErrorKind, Failure, Problem};
use crate::extract::{Path, Query};
use crate::routes::{Routes, get, post};
use crate::views::{RecordView, page_at};

pub fn router() -> Routes {
    Routes::new()
        .route("/lists", get(issues))
        .route("/lists/{id}/{kind}", get(entries))
        .route("/achievements", post(create_achievement))
        .route("/demands", post(create_demand))
        .route("/records/{kind}/{id}", get(record))
        .route("/records/{kind}/{id}/transitions", post(transition))
}

#[derive(Serialize, ToSchema)]
pub struct IssueView {
    pub id: i64,
    pub title: String,
    pub published: bool,
    pub published_at: Option<String>,
}

/// Published list issues (两项清单), newest first; admins also see unpublished ones.
#[utoipa::path(get, path = "/api/v1/lists", tag = "lists", params(super::paging::Cursor), responses((status = 200, body = [IssueView])))]
pub async fn issues(
    State(state): State<AppState>,
    caller: Caller,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    Query(cursor): Query<super::paging::Cursor>,
) -> Result<axum::response::Response, ApiError> {
    let issues = lists::issues(&state.app, &caller.actor).await?;
    super::paging::page(
        &uri,
        &cursor,
        issues
            .into_iter()
            .map(|i| IssueView {
                id: i.id,
                title: i.title,
                published: i.published,
                published_at: i.published_at,
            })
            .collect(),
        |i| i.id.to_string(),
    )
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct EntryParams {
    /// Technical field code.
    pub field: Option<String>,
    /// District code.
    pub district: Option<String>,
    /// Lowest TRL.
    pub trl_min: Option<i64>,
    /// Highest TRL.
    pub trl_max: Option<i64>,
    /// Transfer or cooperation mode code.
    pub mode: Option<String>,
    pub institution_kind: Option<String>,
    pub q: Option<String>,
    pub priority_only: Option<bool>,
    /// Page number (1 = first). Deep pages are faster with `after`/`before`.
    pub page: Option<String>,
    /// Entries after this record id: pass the previous answer's `next_after`.
    pub after: Option<String>,
    /// Entries before this record id: pass `previous_before`.
    pub before: Option<String>,
    pub per_page: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct EntryView {
    pub record_id: i64,
    pub title: String,
    pub field: String,
    pub district: String,
    pub institution_kind: String,
    pub trl: Option<i64>,
    pub modes: Vec<String>,
    pub priority: bool,
    /// The record as published (contacts masked).
    #[schema(value_type = Object)]
    pub snapshot: serde_json::Value,
}

#[derive(Serialize, ToSchema)]
pub struct EntryPage {
    pub items: Vec<EntryView>,
    /// Entries matching the filters; at least this many when `total_is_lower_bound`.
    pub total: i64,
    /// True when several filters combine and counting stopped at 10,000.
    pub total_is_lower_bound: bool,
    /// The page number when asked by `page`; null when asked by `after`/`before`.
    pub page: Option<i64>,
    pub per_page: i64,
    /// `after` for the next page, when there is one.
    pub next_after: Option<i64>,
    /// The next page's address (`after` the last entry; also in the `Link: rel="next"`
    /// header); null on the last page.
    pub next: Option<String>,
    /// `before` for the previous page, when there is one.
    pub previous_before: Option<i64>,
}

fn kind_of(raw: &str) -> Result<RecordKind, ApiError> {
    match raw {
        "achievements" | "achievement" => Ok(RecordKind::Achievement),
        "demands" | "demand" => Ok(RecordKind::Demand),
        _ => Err(ApiError(Failure::new(
            ErrorKind::NotFound,
            "类型应为 achievements 或 demands",
        ))),
    }
}

/// One list of a published issue, with the public filters.
#[utoipa::path(get, path = "/api/v1/lists/{id}/{kind}", tag = "lists", params(("id" = i64, Path), ("kind" = String, Path, description = "achievements or demands"), EntryParams),
    responses((status = 200, body = EntryPage, description = "the page of entries, with its ETag"), (status = 304, description = "未改变（If-None-Match 与 ETag 相同）"), (status = 404, body = Problem)))]
pub async fn entries(
    State(state): State<AppState>,
    caller: Caller,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    headers: axum::http::HeaderMap,
    Path((id, kind)): Path<(String, String)>,
    Query(params): Query<EntryParams>,
) -> Result<axum::response::Response, ApiError> {
    let id = path_id(&id, "清单期次")?;
    let kind = kind_of(&kind)?;
    let filter = IssueFilter {
        field: params.field,
        district: params.district,
        trl_range: match (params.trl_min, params.trl_max) {
            (None, None) => None,
            (low, high) => Some((low.unwrap_or(1), high.unwrap_or(9))),
        },
        mode: params.mode,
        institution_kind: params.institution_kind,
        title: params.q,
        priority_only: params.priority_only.unwrap_or(false),
    };
    let paged = lists::entries(
        &state.app,
        &caller.actor,
        id,
        kind,
        &filter,
        page_at(
            params.page.as_deref(),
            params.after.as_deref(),
            params.before.as_deref(),
        ),
        params.per_page.unwrap_or(20),
    )
    .await?;
    let next_after = paged
        .has_next
        .then(|| paged.items.last().map(|e| e.record_id))
        .flatten();
    let previous_before = paged
        .has_previous
        .then(|| paged.items.first().map(|e| e.record_id))
        .flatten();
    let next = next_after.map(|after| super::paging::address(&uri, "after", &after.to_string()));
    let mut response = super::etag::json_with_etag(
        &headers,
        &EntryPage {
            items: paged
                .items
                .into_iter()
                .map(|e| EntryView {
                    record_id: e.record_id,
                    title: e.title,
                    field: e.field,
                    district: e.district,
                    institution_kind: e.institution_kind,
                    trl: e.trl,
                    modes: e.modes,
                    priority: e.priority,
                    snapshot: serde_json::from_str(&e.snapshot).unwrap_or_default(),
                })
                .collect(),
            total: paged.total,
            total_is_lower_bound: paged.total_is_lower_bound,
            page: paged.page,
            per_page: paged.per_page,
            next_after,
            next: next.clone(),
            previous_before,
        },
    )?;
    if let Some(link) = next.as_deref().and_then(super::paging::link) {
        response
            .headers_mut()
            .insert(axum::http::header::LINK, link);
    }
    Ok(response)
}

/// An achievement as its institution drafts it. Lists accept codes or Chinese labels.
#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
#[schema(example = json!({"title": "宽温域锂离子电池电解液", "summary": "一种在零下40摄氏度仍保持八成容量的电解液配方，已完成中试。", "field": "新能源", "keywords": ["电解液", "锂电池"], "trl": "6", "ip_items": ["ZL202110012345.9"], "transfer_modes": ["licence", "joint-development"], "price": "面议", "contact_name": "李老师", "contact_phone": "025-83590000", "source_flags": []}))]
pub struct AchievementRequest {
    pub title: String,
    pub summary: String,
    pub field: String,
    pub keywords: Vec<String>,
    /// 1–9 or a stage name (实验室, 小试, 中试, 产业化).
    pub trl: String,
    /// Patent numbers, `软著:…` or `其他:…`.
    pub ip_items: Vec<String>,
    pub transfer_modes: Vec<String>,
    /// Yuan as a decimal string; empty means 面议.
    pub price: String,
    pub contact_name: String,
    #[schema(schema_with = super::codes::phone, required = true)]
    pub contact_phone: String,
    pub source_flags: Vec<String>,
}

/// A demand as its enterprise drafts it.
#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
#[schema(example = json!({"title": "寻求低温锂电池电解液技术", "description": "我公司生产储能电池，冬季容量衰减严重，希望合作开发耐低温电解液。", "field": "新能源", "keywords": ["电解液", "低温"], "cooperation_modes": ["joint-development"], "budget_min": "50万", "budget_max": "200万", "wanted_trl": "中试", "deadline": "2027-06-30", "contact_name": "王经理", "contact_phone": "13812345678"}))]
pub struct DemandRequest {
    pub title: String,
    pub description: String,
    pub field: String,
    pub keywords: Vec<String>,
    pub cooperation_modes: Vec<String>,
    pub budget_min: String,
    pub budget_max: String,
    /// The least maturity wanted (期望成熟度): 1–9 or a stage name; empty for any.
    pub wanted_trl: String,
    /// YYYY-MM-DD, or empty.
    pub deadline: String,
    pub contact_name: String,
    #[schema(schema_with = super::codes::phone, required = true)]
    pub contact_phone: String,
}

/// The record as `app` shows it to the caller: the same masking and capabilities as the page.
async fn view(
    state: &AppState,
    caller: &Caller,
    kind: RecordKind,
    id: i64,
) -> Result<RecordView, ApiError> {
    let fields = records::technical_fields(&state.app).await?;
    let seen = records::seen(&state.app, &caller.actor, kind, id).await?;
    // An institution that no longer exists leaves the name empty; other failures are errors.
    let name = match zijin_app::institutions::get(&state.app, seen.record.institution_id()).await {
        Ok(institution) => institution.details.name,
        Err(zijin_app::AppError::NotFound(_)) => String::new(),
        Err(other) => return Err(other.into()),
    };
    Ok(RecordView::seen(&seen, &fields, &name))
}

/// Draft an achievement for the caller's institution.
#[utoipa::path(post, path = "/api/v1/achievements", tag = "lists", request_body = AchievementRequest,
    responses((status = 201, body = RecordView), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn create_achievement(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<AchievementRequest>,
) -> Result<Response, ApiError> {
    let keywords = request.keywords.join("、");
    let input = AchievementInput {
        title: &request.title,
        summary: &request.summary,
        field: &request.field,
        keywords: &keywords,
        trl: &request.trl,
        ip_items: &request.ip_items,
        transfer_modes: &request.transfer_modes,
        price: &request.price,
        contact_name: &request.contact_name,
        contact_phone: &request.contact_phone,
        source_flags: &request.source_flags,
    };
    let created = records::create_achievement(&state.app, &caller.actor, &input).await?;
    Ok((
        StatusCode::CREATED,
        Json(view(&state, &caller, RecordKind::Achievement, created.id).await?),
    )
        .into_response())
}

/// Draft a demand for the caller's enterprise.
#[utoipa::path(post, path = "/api/v1/demands", tag = "lists", request_body = DemandRequest,
    responses((status = 201, body = RecordView), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn create_demand(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<DemandRequest>,
) -> Result<Response, ApiError> {
    let keywords = request.keywords.join("、");
    let input = DemandInput {
        title: &request.title,
        description: &request.description,
        field: &request.field,
        keywords: &keywords,
        cooperation_modes: &request.cooperation_modes,
        budget_min: &request.budget_min,
        budget_max: &request.budget_max,
        wanted_trl: &request.wanted_trl,
        deadline: &request.deadline,
        contact_name: &request.contact_name,
        contact_phone: &request.contact_phone,
    };
    let created = records::create_demand(&state.app, &caller.actor, &input).await?;
    Ok((
        StatusCode::CREATED,
        Json(view(&state, &caller, RecordKind::Demand, created.id).await?),
    )
        .into_response())
}

/// One achievement or demand, if the caller may read it (drafts only for their institution).
#[utoipa::path(get, path = "/api/v1/records/{kind}/{id}", tag = "lists", params(("kind" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = RecordView), (status = 404, body = Problem)))]
pub async fn record(
    State(state): State<AppState>,
    caller: Caller,
    Path((kind, id)): Path<(String, String)>,
) -> Result<Json<RecordView>, ApiError> {
    let kind = kind_of(&kind)?;
    Ok(Json(
        view(&state, &caller, kind, path_id(&id, "记录")?).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    /// submit, approve, return, withdraw or deal.
    #[schema(schema_with = super::codes::record_action)]
    pub action: String,
    /// The reviewer's comment (required to return).
    #[serde(default)]
    #[schema(schema_with = super::codes::record_comment)]
    pub comment: String,
}

#[derive(Serialize, ToSchema)]
pub struct TransitionResponse {
    pub status: String,
    pub status_label: String,
}

/// A step in a record's life: owners submit, withdraw or mark a deal; reviewers approve or return.
#[utoipa::path(post, path = "/api/v1/records/{kind}/{id}/transitions", tag = "lists", params(("kind" = String, Path), ("id" = i64, Path)), request_body = TransitionRequest,
    responses((status = 200, body = TransitionResponse), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn transition(
    State(state): State<AppState>,
    caller: Caller,
    Path((kind, id)): Path<(String, String)>,
    ApiJson(request): ApiJson<TransitionRequest>,
) -> Result<Json<TransitionResponse>, ApiError> {
    let kind = kind_of(&kind)?;
    let step = match request.action.as_str() {
        "submit" => Transition::Submit,
        "approve" => Transition::Approve,
        "return" => Transition::Return,
        "withdraw" => Transition::Close(CloseReason::Withdrawn),
        "deal" => Transition::Close(CloseReason::Deal),
        other => {
            return Err(ApiError(Failure::new(
                ErrorKind::Validation,
                format!("未知的操作“{other}”（可用：submit、approve、return、withdraw、deal）"),
            )));
        }
    };
    let status = records::transition(
        &state.app,
        &caller.actor,
        kind,
        path_id(&id, "记录")?,
        step,
        &request.comment,
    )
    .await?;
    Ok(Json(TransitionResponse {
        status: status.code().into(),
        status_label: status.label().into(),
    }))
}
