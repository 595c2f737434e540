//! The rest of the applications path on pages (issue 16), twins of `api::application_review`:
//! the documents an application carries, 专家评审 (the bureau assigns, experts score or stand
//! down), the beneficiary's confirmation of a 免申即享 application, and the notification centre
//! with 我的待办.

use std::collections::HashMap;

use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use zijin_app::access::ApplicationCapabilities;
use zijin_app::applications::{self, ApplicationInput, exempt, experts, files, todo};
use zijin_app::auth::display_time;
use zijin_app::{AppError, notifications};

use super::applications::{application_id, application_outcome, filing_input, render_application};
use super::html;
use crate::AppState;
use crate::error::PageError;
use crate::extract::{Form, Path, Query};
use crate::routes::{Routes, get, post};
use crate::session::Visitor;
use crate::views::page_context;

pub fn router() -> Routes {
    Routes::new()
        .route(
            "/applications/{id}/files",
            post(upload).body_limit(zijin_app::files::MAX_FILE_BYTES + 64 * 1024),
        )
        .route("/application-files/{id}", get(download))
        .route("/application-files/{id}/delete", post(remove))
        .route("/applications/{id}/experts", post(assign))
        .route("/applications/{id}/scores", post(score))
        .route("/applications/{id}/conflict", post(conflict))
        .route("/applications/{id}/confirm", post(confirm))
        .route("/notifications", get(inbox))
        .route("/notifications/read", post(mark_read))
}

/// 专家评审 on the application's page: the rubric, the assignments the reader may see, the
/// mean (the bureau), and the reader's own scores as form values.
pub(super) fn expert_context(
    review: &experts::ExpertReview,
    capabilities: &ApplicationCapabilities,
) -> minijinja::Value {
    let mine = review.assignments.first().filter(|_| capabilities.score);
    context! {
        rubric => review.rubric.iter().enumerate().map(|(n, (item, points))| context! {
            n, item => item.clone(), points => *points,
            mine => mine.and_then(|a| a.scores.as_ref()).and_then(|s| s.get(n)).copied(),
        }).collect::<Vec<_>>(),
        full => review.rubric.iter().map(|(_, p)| *p).sum::<u32>(),
        assignments => review.assignments.iter().map(|a| context! {
            name => a.expert_name.clone(),
            state => match (&a.conflict, a.total_points) {
                (Some(_), _) => "已回避".to_string(),
                (None, Some(total)) => format!("{total} 分"),
                (None, None) => "未评分".to_string(),
            },
            conflict => a.conflict.clone(),
            comment => a.comment.clone(),
            scored_at => a.scored_at.as_deref().map(display_time),
        }).collect::<Vec<_>>(),
        scored => review.scored, pending => review.pending,
        mean => review.mean.clone(), complete => review.complete(),
        my_comment => mine.map(|a| a.comment.clone()),
        score => capabilities.score, assign => capabilities.assign_experts,
        min => zijin_domain::MIN_EXPERTS,
    }
}

/// The experts the bureau may choose from, when it may assign now.
pub(super) async fn candidate_context(
    state: &AppState,
    visitor: &Visitor,
    view: &applications::ApplicationView,
) -> Result<Vec<minijinja::Value>, PageError> {
    if !view.capabilities.assign_experts {
        return Ok(Vec::new());
    }
    let list = experts::candidates(&state.app, &visitor.actor, view.application.id).await?;
    Ok(list
        .into_iter()
        .map(|(user, why)| context! { id => user.id, name => user.display_name, why })
        .collect())
}

async fn upload(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, PageError> {
    let id = application_id(&id)?;
    let back = format!("/applications/{id}");
    let too_large = || crate::flash::redirect_with_error(&back, "附件不能超过 10 MB");
    let Ok(mut multipart) = multipart else {
        return Ok(too_large());
    };
    let (mut csrf, mut requirement, mut file) = (String::new(), String::new(), None);
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_string();
                let filename = field.file_name().unwrap_or("附件").to_string();
                let Ok(bytes) = field.bytes().await else {
                    return Ok(too_large());
                };
                match name.as_str() {
                    "_csrf" => csrf = String::from_utf8_lossy(&bytes).into_owned(),
                    "requirement" => requirement = String::from_utf8_lossy(&bytes).into_owned(),
                    "file" => file = Some((filename, bytes)),
                    _ => {}
                }
            }
            Ok(None) => break,
            Err(_) => return Ok(too_large()),
        }
    }
    visitor.check_csrf(&csrf)?;
    let (filename, bytes) = file.unwrap_or_default();
    match files::add(
        &state.app,
        &visitor.actor,
        id,
        &requirement,
        &filename,
        &bytes,
    )
    .await
    {
        Ok(file) => Ok(crate::flash::redirect_with_notice(
            &back,
            &format!("已上传“{}”：{}", file.requirement, file.filename),
        )),
        Err(error @ (AppError::Validation(_) | AppError::WrongState(_))) => {
            let text = match &error {
                AppError::Validation(errors) => errors
                    .iter()
                    .map(|e| e.message.clone())
                    .collect::<Vec<_>>()
                    .join("；"),
                other => other.to_string(),
            };
            Ok(crate::flash::redirect_with_error(&back, &text))
        }
        Err(other) => Err(other.into()),
    }
}

async fn download(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound("附件"))?;
    let (file, bytes) = files::read(&state.app, &visitor.actor, id).await?;
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

async fn remove(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(values): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    visitor.check_csrf(values.get("_csrf").map_or("", String::as_str))?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound("附件"))?;
    match files::remove(&state.app, &visitor.actor, id).await {
        Ok(application) => Ok(crate::flash::redirect_with_notice(
            &format!("/applications/{application}"),
            "已删除附件",
        )),
        Err(error @ AppError::WrongState(_)) => Ok(crate::flash::redirect_with_error(
            "/applications",
            &error.to_string(),
        )),
        Err(other) => Err(other.into()),
    }
}

async fn assign(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let csrf = pairs
        .iter()
        .find(|(k, _)| k == "_csrf")
        .map_or("", |(_, v)| v.as_str());
    visitor.check_csrf(csrf)?;
    let id = application_id(&id)?;
    let chosen: Vec<i64> = pairs
        .iter()
        .filter(|(k, _)| k == "experts")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let values: HashMap<String, String> = pairs.into_iter().collect();
    let result = experts::assign(&state.app, &visitor.actor, id, &chosen).await;
    application_outcome(
        &state,
        &visitor,
        id,
        result,
        |_| format!("已指派 {} 位专家，已通知其评审", chosen.len()),
        &values,
    )
    .await
}

async fn score(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(values): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    visitor.check_csrf(values.get("_csrf").map_or("", String::as_str))?;
    let id = application_id(&id)?;
    let mut scores = Vec::new();
    while let Some(value) = values.get(&format!("score_{}", scores.len())) {
        scores.push(value.clone());
    }
    let input = experts::ScoreInput {
        scores,
        comment: values.get("comment").cloned().unwrap_or_default(),
    };
    let result = experts::score(&state.app, &visitor.actor, id, &input).await;
    application_outcome(
        &state,
        &visitor,
        id,
        result,
        |_| "评分已提交，评审结束前可修改".to_string(),
        &values,
    )
    .await
}

async fn conflict(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(values): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    visitor.check_csrf(values.get("_csrf").map_or("", String::as_str))?;
    let id = application_id(&id)?;
    let reason = values.get("reason").map_or("", String::as_str);
    match experts::declare_conflict(&state.app, &visitor.actor, id, reason).await {
        Ok(()) => Ok(crate::flash::redirect_with_notice(
            "/applications",
            "已声明回避，该申报将由其他专家评审",
        )),
        Err(AppError::Validation(errors)) => {
            let view = applications::get(&state.app, &visitor.actor, id).await?;
            render_application(
                &state,
                &visitor,
                StatusCode::UNPROCESSABLE_ENTITY,
                &view,
                Some(&values),
                &errors,
            )
            .await
        }
        Err(error @ AppError::WrongState(_)) => Ok(crate::flash::redirect_with_error(
            &format!("/applications/{id}"),
            &error.to_string(),
        )),
        Err(other) => Err(other.into()),
    }
}

async fn confirm(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(values): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    visitor.check_csrf(values.get("_csrf").map_or("", String::as_str))?;
    let id = application_id(&id)?;
    let input: ApplicationInput = filing_input(&values);
    let result = exempt::confirm(&state.app, &visitor.actor, id, &input).await;
    application_outcome(
        &state,
        &visitor,
        id,
        result,
        |_| "已确认，申报已转市级核定".to_string(),
        &values,
    )
    .await
}

async fn inbox(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let page = crate::views::page_number(query.get("page").map(String::as_str));
    let messages = notifications::inbox(&state.app, &visitor.actor, page).await?;
    let items = todo::todo(&state.app, &visitor.actor).await?;
    let base = page_context(&state.app, &visitor, "待办与消息").await;
    Ok(html(
        StatusCode::OK,
        "notifications.html",
        context! {
            todo => items.iter().map(|t| context! { label => t.label.clone(), count => t.count, href => t.href.clone() }).collect::<Vec<_>>(),
            messages => messages.iter().map(|n| context! {
                message => n.message.clone(), link => n.link.clone(), read => n.read,
                at => display_time(&n.created_at),
            }).collect::<Vec<_>>(),
            page, more => messages.len() == 30,
            notice => crate::flash::notice_or_error(visitor.flash.as_deref()).0,
            ..base
        },
    ))
}

async fn mark_read(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(values): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    visitor.check_csrf(values.get("_csrf").map_or("", String::as_str))?;
    let n = notifications::mark_all_read(&state.app, &visitor.actor).await?;
    Ok(if n == 0 {
        Redirect::to("/notifications").into_response()
    } else {
        crate::flash::redirect_with_notice("/notifications", &format!("已将 {n} 条消息标为已读"))
    })
}
