//! The rest of the applications path in the API (issue 16): the documents an application
//! carries, 专家评审 (assigning experts, scores, conflicts), 免申即享 (the bureau's pass and the
//! beneficiary's confirmation), and each account's messages and 我的待办.

use axum::Json;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zijin_app::applications::{ApplicationInput, exempt, experts, files, todo};
use zijin_app::auth::display_time;
use zijin_app::notifications;

use super::applications::ApplicationOut;
use super::{ApiJson, Caller, path_id};
use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{Path, Query};
use crate::routes::{Routes, get, post};

pub fn router() -> Routes {
    Routes::new()
        .route(
            "/applications/{id}/files",
            post(upload_file).body_limit(zijin_app::files::MAX_FILE_BYTES + 64 * 1024),
        )
        .route(
            "/application-files/{id}",
            get(download_file).delete(delete_file),
        )
        .route(
            "/applications/{id}/expert-candidates",
            get(expert_candidates),
        )
        .route("/applications/{id}/experts", post(assign_experts))
        .route("/applications/{id}/scores", post(score))
        .route("/applications/{id}/conflict", post(declare_conflict))
        .route("/applications/{id}/confirm", post(confirm))
        .route("/calls/{id}/exempt", post(exempt_pass))
        .route("/notifications", get(inbox))
        .route("/notifications/read", post(mark_read))
        .route("/todo", get(my_todo))
}

/// A file an application carries.
#[derive(Serialize, ToSchema)]
pub struct FileOut {
    pub id: i64,
    /// The call's document it is (e.g. 营业执照).
    pub requirement: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    /// Where to download it.
    pub href: String,
}

impl FileOut {
    pub fn new(file: &files::ApplicationFile) -> Self {
        Self {
            id: file.id,
            requirement: file.requirement.clone(),
            filename: file.filename.clone(),
            content_type: file.content_type.clone(),
            size: file.size,
            sha256: file.sha256.clone(),
            href: format!("/api/v1/application-files/{}", file.id),
        }
    }
}

/// One expert's assignment as the caller may see it.
#[derive(Serialize, ToSchema)]
pub struct AssignmentOut {
    pub expert: i64,
    pub expert_name: String,
    /// The reason given for 回避, when the expert declared a conflict.
    pub conflict: Option<String>,
    /// Points per rubric item, once scored.
    pub scores: Option<Vec<u32>>,
    pub total: Option<i64>,
    pub comment: String,
}

/// 专家评审 of an application.
#[derive(Serialize, ToSchema)]
pub struct ExpertReviewOut {
    pub rubric: Vec<super::applications::RubricItemIo>,
    pub assignments: Vec<AssignmentOut>,
    /// Experts who scored, and those (without a conflict) still to.
    pub scored: usize,
    pub pending: usize,
    /// The mean of the totals, one decimal (the bureau only).
    pub mean: Option<String>,
    /// At least three scored and none pending: the step may close.
    pub complete: bool,
}

impl ExpertReviewOut {
    pub fn new(review: &experts::ExpertReview) -> Self {
        Self {
            rubric: review
                .rubric
                .iter()
                .map(|(item, points)| super::applications::RubricItemIo {
                    item: item.clone(),
                    points: *points,
                })
                .collect(),
            assignments: review
                .assignments
                .iter()
                .map(|a| AssignmentOut {
                    expert: a.expert_id,
                    expert_name: a.expert_name.clone(),
                    conflict: a.conflict.clone(),
                    scores: a.scores.clone(),
                    total: a.total_points,
                    comment: a.comment.clone(),
                })
                .collect(),
            scored: review.scored,
            pending: review.pending,
            mean: review.mean.clone(),
            complete: review.complete(),
        }
    }
}

/// The multipart form of an upload (no other parts).
#[derive(ToSchema, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The document's name, as the call lists it (e.g. 营业执照).
    requirement: String,
    /// The file: a PDF or an image, at most 10 MB.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Attach a file (PDF or image, at most 10 MB, recognised by content) as one of the call's
/// documents (multipart: `requirement`, the document's name; `file`). The applicant, while the
/// application may be changed.
#[utoipa::path(post, path = "/api/v1/applications/{id}/files", tag = "applications",
    params(("id" = i64, Path, description = "the application")),
    request_body(content_type = "multipart/form-data", content = UploadForm, description = "fields `requirement` and `file`"),
    responses((status = 201, body = FileOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem, description = "wrong_state: submitted already"), (status = 413, body = Problem), (status = 422, body = Problem, description = "not a PDF or image, empty, or not a document the call asks for")))]
pub async fn upload_file(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, ApiError> {
    // Who may upload is known before the body is read.
    if caller.actor.user().is_none() {
        return Err(zijin_app::AppError::Unauthenticated.into());
    }
    let id = path_id(&id, "申报")?;
    let mut multipart = multipart.map_err(|_| super::not_multipart("requirement 和 file"))?;
    let (mut requirement, mut file) = (String::new(), None);
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| super::multipart_problem(e.status()))?
    {
        let name = field.name().unwrap_or_default().to_string();
        let filename = field.file_name().unwrap_or("附件").to_string();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| super::multipart_problem(e.status()))?;
        match name.as_str() {
            "requirement" => requirement = String::from_utf8_lossy(&bytes).into_owned(),
            "file" => file = Some((filename, bytes)),
            // As a JSON body with a field it does not know: refused, naming the part.
            _ => {
                return Err(zijin_app::AppError::field(
                    "file",
                    "上传表单只有 requirement 和 file 两个字段",
                )
                .into());
            }
        }
    }
    let (filename, bytes) = file.unwrap_or_default();
    let file = files::add(
        &state.app,
        &caller.actor,
        id,
        &requirement,
        &filename,
        &bytes,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(FileOut::new(&file))).into_response())
}

/// Download an application's file (whoever may read the application).
#[utoipa::path(get, path = "/api/v1/application-files/{id}", tag = "applications",
    params(("id" = i64, Path, description = "the file")),
    responses((status = 200, description = "the file's bytes (a PDF or an image, as recognised when it was uploaded)",
        content((String = "application/pdf"), (String = "image/png"), (String = "image/jpeg"), (String = "image/gif"), (String = "image/webp"))),
        (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn download_file(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id(&id, "附件")?;
    let (file, bytes) = files::read(&state.app, &caller.actor, id).await?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, file.content_type.clone()),
            (
                axum::http::header::CONTENT_DISPOSITION,
                crate::download::content_disposition(&file.filename),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// Remove a file (the applicant, while the application may be changed).
#[utoipa::path(delete, path = "/api/v1/application-files/{id}", tag = "applications",
    params(("id" = i64, Path, description = "the file")),
    responses((status = 204, description = "removed"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn delete_file(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = path_id(&id, "附件")?;
    files::remove(&state.app, &caller.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct CandidateOut {
    pub id: i64,
    pub name: String,
    /// May be assigned now.
    pub available: bool,
    /// Why not (already assigned, declared a conflict, works for the applicant).
    pub reason: Option<String>,
}

/// The experts the admin may assign to an application at 专家评审 (empty at other steps).
#[utoipa::path(get, path = "/api/v1/applications/{id}/expert-candidates", tag = "applications",
    params(super::paging::Cursor, ("id" = i64, Path, description = "the application")),
    responses((status = 200, body = Vec<CandidateOut>), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn expert_candidates(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    Query(cursor): Query<super::paging::Cursor>,
) -> Result<axum::response::Response, ApiError> {
    let id = path_id(&id, "申报")?;
    let list = experts::candidates(&state.app, &caller.actor, id).await?;
    super::paging::page(
        &uri,
        &cursor,
        list.into_iter()
            .map(|(user, reason)| CandidateOut {
                id: user.id,
                name: user.display_name,
                available: reason.is_none(),
                reason,
            })
            .collect(),
        |c| c.id.to_string(),
    )
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
#[schema(as = ExpertAssignRequest)]
pub struct AssignRequest {
    /// The experts' user ids; afterwards at least three without a conflict are assigned.
    pub experts: Vec<i64>,
}

/// Assign experts to an application waiting at 专家评审 (admins). An expert of the applicant's
/// institution, or one who declared a conflict on it, is refused.
#[utoipa::path(post, path = "/api/v1/applications/{id}/experts", tag = "applications", request_body = AssignRequest,
    params(("id" = i64, Path, description = "the application")),
    responses((status = 200, body = ApplicationOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem, description = "wrong_state: not at 专家评审"), (status = 422, body = Problem, description = "an expert with a conflict, not an expert, or fewer than three")))]
pub async fn assign_experts(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<AssignRequest>,
) -> Result<Json<ApplicationOut>, ApiError> {
    let id = path_id(&id, "申报")?;
    let view = experts::assign(&state.app, &caller.actor, id, &request.experts).await?;
    Ok(Json(ApplicationOut::new(&view)))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct ScoreRequest {
    /// Points per rubric item in the rubric's order, each from 0 to the item's full points.
    pub scores: Vec<u32>,
    /// 评审意见, up to 2,000 characters.
    pub comment: String,
}

/// Score an application (an assigned expert, while it waits at 专家评审; again to correct).
#[utoipa::path(post, path = "/api/v1/applications/{id}/scores", tag = "applications", request_body = ScoreRequest,
    params(("id" = i64, Path, description = "the application")),
    responses((status = 200, body = ApplicationOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem, description = "wrong_state: no longer at 专家评审"), (status = 422, body = Problem, description = "a score missing or above the item's points")))]
pub async fn score(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<ScoreRequest>,
) -> Result<Json<ApplicationOut>, ApiError> {
    let id = path_id(&id, "申报")?;
    let input = experts::ScoreInput {
        scores: request.scores.iter().map(u32::to_string).collect(),
        comment: request.comment,
    };
    let view = experts::score(&state.app, &caller.actor, id, &input).await?;
    Ok(Json(ApplicationOut::new(&view)))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct ConflictRequest {
    /// Why the expert stands down (回避), up to 500 characters.
    #[schema(schema_with = super::codes::conflict_reason, required = true)]
    pub reason: String,
}

/// Declare a conflict of interest (回避) on an assigned application; the expert no longer sees
/// it and the bureau is told to assign another.
#[utoipa::path(post, path = "/api/v1/applications/{id}/conflict", tag = "applications", request_body = ConflictRequest,
    params(("id" = i64, Path, description = "the application")),
    responses((status = 204, description = "declared"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem, description = "no reason given")))]
pub async fn declare_conflict(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<ConflictRequest>,
) -> Result<StatusCode, ApiError> {
    let id = path_id(&id, "申报")?;
    experts::declare_conflict(&state.app, &caller.actor, id, &request.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
#[schema(as = ApprovalConfirmRequest)]
pub struct ConfirmRequest {
    /// The 科研诚信承诺书 is accepted (required).
    pub integrity_accepted: bool,
    /// 开户银行, 银行账号 (8–32 digits) and 账户名称 (all required).
    pub bank_name: String,
    pub bank_account: String,
    pub account_name: String,
}

/// Confirm a 免申即享 application drafted from the platform's data (意愿确认; the beneficiary's
/// institution): it goes straight to 市级核定.
#[utoipa::path(post, path = "/api/v1/applications/{id}/confirm", tag = "applications", request_body = ConfirmRequest,
    params(("id" = i64, Path, description = "the application")),
    responses((status = 200, body = ApplicationOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem, description = "wrong_state (not a 免申即享 draft) or call_closed"), (status = 422, body = Problem, description = "the pledge not accepted or the account incomplete")))]
pub async fn confirm(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<ConfirmRequest>,
) -> Result<Json<ApplicationOut>, ApiError> {
    let id = path_id(&id, "申报")?;
    let input = ApplicationInput {
        integrity_accepted: request.integrity_accepted,
        bank_name: request.bank_name,
        bank_account: request.bank_account,
        account_name: request.account_name,
        ..Default::default()
    };
    let view = exempt::confirm(&state.app, &caller.actor, id, &input).await?;
    Ok(Json(ApplicationOut::new(&view)))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct ExemptRequest {
    /// The measure to draft applications for (today: `a18-empowerment`).
    pub measure: String,
}

#[derive(Serialize, ToSchema)]
pub struct ExemptDraftOut {
    pub application: i64,
    pub institution: String,
    /// Yuan, decimal string.
    pub amount: String,
}

#[derive(Serialize, ToSchema)]
pub struct ExemptSkipOut {
    pub institution: String,
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct ExemptOut {
    pub drafted: Vec<ExemptDraftOut>,
    pub skipped: Vec<ExemptSkipOut>,
}

/// Run a 免申即享 pass for a measure of an open call (admins): an application is drafted for
/// every institution the platform's data shows qualifies; each is told to confirm.
#[utoipa::path(post, path = "/api/v1/calls/{id}/exempt", tag = "applications", request_body = ExemptRequest,
    params(("id" = i64, Path, description = "the call")),
    responses((status = 200, body = ExemptOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem, description = "call_closed"), (status = 422, body = Problem, description = "a measure the call does not open or the pass does not support")))]
pub async fn exempt_pass(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<ExemptRequest>,
) -> Result<Json<ExemptOut>, ApiError> {
    let id = path_id(&id, "申报通知")?;
    let report = exempt::run(&state.app, &caller.actor, id, request.measure.trim()).await?;
    Ok(Json(ExemptOut {
        drafted: report
            .drafted
            .into_iter()
            .map(|(application, institution, amount)| ExemptDraftOut {
                application,
                institution,
                amount: format!("{amount:.2}"),
            })
            .collect(),
        skipped: report
            .skipped
            .into_iter()
            .map(|(institution, reason)| ExemptSkipOut {
                institution,
                reason,
            })
            .collect(),
    }))
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct InboxParams {
    /// Page, 30 messages a page (default 1).
    pub page: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct MessageOut {
    pub id: i64,
    pub message: String,
    pub link: String,
    pub read: bool,
    /// UTC RFC 3339, and Beijing time.
    pub at: String,
    pub at_text: String,
}

#[derive(Serialize, ToSchema)]
pub struct InboxOut {
    pub unread: i64,
    pub messages: Vec<MessageOut>,
}

/// The caller's messages (and their institution's), newest first.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "applications", params(InboxParams),
    responses((status = 200, body = InboxOut), (status = 401, body = Problem)))]
pub async fn inbox(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<InboxParams>,
) -> Result<Json<InboxOut>, ApiError> {
    let page = params.page.unwrap_or(1).clamp(1, 10_000);
    let messages = notifications::inbox(&state.app, &caller.actor, page).await?;
    let unread = notifications::unread(&state.app, &caller.actor).await?;
    Ok(Json(InboxOut {
        unread,
        messages: messages
            .into_iter()
            .map(|n| MessageOut {
                id: n.id,
                at_text: display_time(&n.created_at),
                at: n.created_at,
                message: n.message,
                link: n.link,
                read: n.read,
            })
            .collect(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct MarkedOut {
    /// How many were unread.
    pub marked: u64,
}

/// Mark every message of the caller read.
#[utoipa::path(post, path = "/api/v1/notifications/read", tag = "applications",
    responses((status = 200, body = MarkedOut), (status = 401, body = Problem)))]
pub async fn mark_read(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<MarkedOut>, ApiError> {
    let marked = notifications::mark_all_read(&state.app, &caller.actor).await?;
    Ok(Json(MarkedOut { marked }))
}

#[derive(Serialize, ToSchema)]
pub struct TodoOut {
    pub label: String,
    pub count: usize,
    pub href: String,
}

/// 我的待办: what waits on the caller in the applications path, with counts.
#[utoipa::path(get, path = "/api/v1/todo", tag = "applications", params(super::paging::Cursor),
    responses((status = 200, body = Vec<TodoOut>), (status = 401, body = Problem)))]
pub async fn my_todo(
    State(state): State<AppState>,
    caller: Caller,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    Query(cursor): Query<super::paging::Cursor>,
) -> Result<axum::response::Response, ApiError> {
    if caller.actor.user().is_none() {
        return Err(zijin_app::AppError::Unauthenticated.into());
    }
    let items = todo::todo(&state.app, &caller.actor).await?;
    super::paging::page(
        &uri,
        &cursor,
        items
            .into_iter()
            .map(|t| TodoOut {
                label: t.label,
                count: t.count,
                href: t.href,
            })
            .collect(),
        |t| t.href.clone(),
    )
}
