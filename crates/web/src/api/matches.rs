//! 对接 in the API: the twins of 我的对接, 我负责的对接, the admins' list of every match, one
//! match (with its thread and, once revealed, the other side's contacts — each such view
//! audited), posting in the thread, moving a match (终止 with a reason and a confirmation) and
//! assigning a technology manager.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zijin_app::auth::display_time;
use zijin_app::matchmaking::{self, MatchList, MatchListing, MatchQuery};
use zijin_domain::MatchStep;

use super::{ApiJson, Caller, path_id};
use crate::AppState;
use crate::error::{ApiError, ErrorKind, Failure, Problem};
use crate::extract::{Path, Query};
use crate::match_views::{MatchDetailView, MatchView};
use crate::routes::{Routes, get, post};

pub fn router() -> Routes {
    Routes::new()
        .route("/my/matches", get(mine))
        .route("/tech-manager/matches", get(assigned))
        .route("/matches", get(all))
        .route("/matches/{id}", get(one))
        .route("/matches/{id}/messages", post(post_message))
        .route("/matches/{id}/transitions", post(transition))
        .route("/matches/{id}/tech-manager", post(assign))
}

/// Filter and order of a listing; every parameter is optional. Bad values are refused with
/// `validation_failed` and a Chinese message per parameter.
#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct MatchParams {
    /// `score` (匹配度, best first) or `recent` (latest move first; the default).
    #[param(schema_with = super::codes::match_sort)]
    pub sort: String,
    /// A stage: recommended, interested, negotiating, signed, terminated.
    #[param(schema_with = super::codes::match_stage_filter)]
    pub stage: String,
    /// A record, `achievement-12` or `demand-7`: only its matches (among those listed).
    #[param(pattern = r"^((achievement|demand)-[1-9][0-9]{0,17})?$")]
    pub record: String,
}

#[derive(Serialize, ToSchema)]
pub struct NotificationView {
    pub message: String,
    /// The page it is about.
    pub link: String,
    /// UTC RFC 3339.
    pub created_at: String,
    /// Beijing time.
    pub created_at_text: String,
}

#[derive(Serialize, ToSchema)]
pub struct MatchListView {
    pub items: Vec<MatchView>,
    /// The listing stopped at its limit (500); narrow the filter.
    pub truncated: bool,
    /// The next page's address (also in the `Link: rel="next"` header); null on the last page.
    pub next: Option<String>,
    /// The newest notifications of the institution (我的对接) or the technology manager.
    pub notifications: Vec<NotificationView>,
}

async fn listing(
    state: &AppState,
    caller: &Caller,
    listing: MatchListing,
    params: &MatchParams,
    uri: &axum::http::Uri,
    cursor: &super::paging::Cursor,
) -> Result<axum::response::Response, ApiError> {
    let query = MatchQuery {
        sort: &params.sort,
        stage: &params.stage,
        record: &params.record,
    };
    let list: MatchList = matchmaking::list(&state.app, &caller.actor, listing, &query).await?;
    let (items, next) = super::paging::slice(
        uri,
        cursor,
        list.matches.iter().map(MatchView::new).collect(),
        |m| m.id.to_string(),
    )?;
    let body = MatchListView {
        items,
        next: next.clone(),
        truncated: list.truncated,
        notifications: list
            .notifications
            .iter()
            .map(|n| NotificationView {
                message: n.message.clone(),
                link: n.link.clone(),
                created_at: n.created_at.clone(),
                created_at_text: display_time(&n.created_at),
            })
            .collect(),
    };
    Ok(super::paging::with_next(body, next.as_deref()))
}

/// 我的对接: the matches of the caller's institution's records (institution users).
#[utoipa::path(get, path = "/api/v1/my/matches", tag = "matches", params(MatchParams, super::paging::Cursor),
    responses((status = 200, body = MatchListView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem, description = "a bad filter")))]
pub async fn mine(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<MatchParams>,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    Query(cursor): Query<super::paging::Cursor>,
) -> Result<axum::response::Response, ApiError> {
    listing(&state, &caller, MatchListing::Own, &params, &uri, &cursor).await
}

/// 我负责的对接: the matches assigned to the caller as technology manager (技术经理人).
#[utoipa::path(get, path = "/api/v1/tech-manager/matches", tag = "matches", params(MatchParams, super::paging::Cursor),
    responses((status = 200, body = MatchListView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn assigned(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<MatchParams>,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    Query(cursor): Query<super::paging::Cursor>,
) -> Result<axum::response::Response, ApiError> {
    listing(
        &state,
        &caller,
        MatchListing::Assigned,
        &params,
        &uri,
        &cursor,
    )
    .await
}

/// Every match of the platform (admins).
#[utoipa::path(get, path = "/api/v1/matches", tag = "matches", params(MatchParams, super::paging::Cursor),
    responses((status = 200, body = MatchListView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn all(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<MatchParams>,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    Query(cursor): Query<super::paging::Cursor>,
) -> Result<axum::response::Response, ApiError> {
    listing(&state, &caller, MatchListing::All, &params, &uri, &cursor).await
}

/// One match with its thread; for a side once both sides marked interest (and for its
/// technology manager) the other side's contacts in full — each such answer is recorded in the
/// audit log (`match.contact_view`). Anyone but the two sides, the technology manager and
/// admins gets 404.
#[utoipa::path(get, path = "/api/v1/matches/{id}", tag = "matches",
    params(("id" = i64, Path, description = "the match")),
    responses((status = 200, body = MatchDetailView), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn one(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<MatchDetailView>, ApiError> {
    let id = path_id(&id, "对接记录")?;
    let detail = matchmaking::detail(&state.app, &caller.actor, id).await?;
    Ok(Json(MatchDetailView::new(&detail)))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
#[schema(example = json!({"body": "贵方的电解液在零下30摄氏度的循环寿命如何？能否提供中试数据？"}))]
pub struct MessageRequest {
    /// 1 to 2000 characters; lines allowed.
    #[schema(schema_with = super::codes::message_text, required = true)]
    pub body: String,
}

#[derive(Serialize, ToSchema)]
pub struct MessageCreated {
    pub id: i64,
}

/// Post in a match's thread (the two sides and the technology manager, while the match is
/// open); everyone else around the match is notified.
#[utoipa::path(post, path = "/api/v1/matches/{id}/messages", tag = "matches", request_body = MessageRequest,
    params(("id" = i64, Path, description = "the match")),
    responses((status = 201, body = MessageCreated), (status = 401, body = Problem), (status = 403, body = Problem, description = "admins read the thread only"), (status = 404, body = Problem), (status = 422, body = Problem, description = "empty or too long, or the match is closed")))]
pub async fn post_message(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<MessageRequest>,
) -> Result<Response, ApiError> {
    let id = path_id(&id, "对接记录")?;
    let message = matchmaking::post_message(&state.app, &caller.actor, id, &request.body).await?;
    Ok((StatusCode::CREATED, Json(MessageCreated { id: message })).into_response())
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
#[schema(example = json!({"action": "terminate", "reason": "预算不足，暂不推进", "confirm": true}))]
pub struct MatchTransitionRequest {
    /// interest (有意向, a side only), negotiate, sign or terminate.
    #[schema(schema_with = super::codes::match_action, required = true)]
    pub action: String,
    /// Why the match ends (required to terminate).
    pub reason: String,
    /// Must be true to sign or terminate (both close the match for good).
    pub confirm: bool,
}

/// Move a match: a side or its technology manager (interest: a side only).
#[utoipa::path(post, path = "/api/v1/matches/{id}/transitions", tag = "matches", request_body = MatchTransitionRequest,
    params(("id" = i64, Path, description = "the match")),
    responses((status = 200, body = MatchView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem, description = "the step does not follow, or the reason (terminate) or the confirmation (sign, terminate) is missing")))]
pub async fn transition(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<MatchTransitionRequest>,
) -> Result<Json<MatchView>, ApiError> {
    let id = path_id(&id, "对接记录")?;
    let Some(step) = MatchStep::from_code(&request.action) else {
        // Who may see the match is answered before the input is judged.
        matchmaking::summary(&state.app, &caller.actor, id).await?;
        return Err(ApiError(Failure::new(
            ErrorKind::Validation,
            format!(
                "未知的操作“{}”（可用：interest、negotiate、sign、terminate）",
                request.action
            ),
        )));
    };
    match step {
        MatchStep::Terminate => {
            matchmaking::terminate(
                &state.app,
                &caller.actor,
                id,
                &request.reason,
                request.confirm,
            )
            .await?
        }
        MatchStep::Sign => {
            matchmaking::sign(&state.app, &caller.actor, id, request.confirm).await?
        }
        _ => matchmaking::take_step(&state.app, &caller.actor, id, step).await?,
    };
    let seen = matchmaking::summary(&state.app, &caller.actor, id).await?;
    Ok(Json(MatchView::new(&seen)))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
#[schema(as = MatchAssignRequest)]
pub struct AssignRequest {
    /// The account to assign (flagged as technology manager).
    pub user_id: Option<i64>,
    /// True to take the current assignment away.
    pub remove: bool,
}

/// Assign a technology manager (技术经理人) to an open match, or take the assignment away
/// (admins); the manager is notified.
#[utoipa::path(post, path = "/api/v1/matches/{id}/tech-manager", tag = "matches", request_body = AssignRequest,
    params(("id" = i64, Path, description = "the match")),
    responses((status = 200, body = MatchView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn assign(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<AssignRequest>,
) -> Result<Json<MatchView>, ApiError> {
    let id = path_id(&id, "对接记录")?;
    let choice = if request.remove {
        "none".to_string()
    } else {
        request.user_id.map(|id| id.to_string()).unwrap_or_default()
    };
    matchmaking::assign_tech_manager(&state.app, &caller.actor, id, &choice).await?;
    let seen = matchmaking::summary(&state.app, &caller.actor, id).await?;
    Ok(Json(MatchView::new(&seen)))
}
