//! One match (对接详情): both records and institutions, 匹配度 and reasons, the other side's
//! contacts (in full once both sides marked interest; each view audited), the thread (洽谈记录)
//! with its form, the steps a reader may take — 终止 with a reason and the 确认终止 checkbox —
//! and, for admins, the technology manager's assignment.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;
use zijin_app::AppError;
use zijin_app::access::{self, Area};
use zijin_app::matchmaking;
use zijin_domain::{FieldErrors, MatchStep};

use super::{error_context, html};
use crate::AppState;
use crate::error::PageError;
use crate::extract::{Form, Path};
use crate::match_views::MatchDetailView;
use crate::routes::{Routes, get, post};
use crate::session::Visitor;
use crate::views::{page_context, ser};

pub fn router() -> Routes {
    Routes::new()
        .route("/matches/{id}", get(show))
        .route("/matches/{id}/messages", post(post_message))
        .route("/matches/{id}/tech-manager", post(assign))
        .route("/matches/{id}/{step}", post(step))
}

fn match_id(raw: &str) -> Result<i64, PageError> {
    raw.parse()
        .map_err(|_| PageError::from(AppError::NotFound("对接记录")))
}

/// What a refused form brings back to the page: its errors and the text typed.
#[derive(Default)]
struct Retry<'a> {
    errors: FieldErrors,
    body: &'a str,
    reason: &'a str,
    /// The step whose form was refused (its errors are shown beside that form).
    step: &'a str,
}

async fn render(
    state: &AppState,
    visitor: &Visitor,
    id: i64,
    status: StatusCode,
    retry: Retry<'_>,
) -> Result<Response, PageError> {
    let detail = matchmaking::detail(&state.app, &visitor.actor, id).await?;
    let view = MatchDetailView::new(&detail);
    let (errors, error_list) = error_context(&retry.errors);
    let title = format!("对接：{}", view.summary.demand.title);
    // Back to the listing the reader came from.
    let back = if view.summary.side.is_some() {
        "/my/matches"
    } else if access::may(&visitor.actor, Area::AllMatches) {
        "/admin/matches"
    } else {
        "/tech-manager/matches"
    };
    // At 签约 the seller (the achievement's side) registers the technology contract.
    let signed =
        detail.seen.row.stage == zijin_domain::Coded::code(zijin_domain::MatchStage::Signed);
    let contract_id = if signed {
        zijin_app::contracts::of_match(&state.app, id).await?
    } else {
        None
    };
    let seller_side = detail.seen.side == Some(access::MatchSide::Achievement);
    let contract = context! {
        signed, existing => contract_id,
        may_start => signed && contract_id.is_none() && seller_side
            && access::may(&visitor.actor, Area::OwnContracts),
        buyer_side => detail.seen.side == Some(access::MatchSide::Demand),
    };
    let base = page_context(&state.app, visitor, &title).await;
    Ok(html(
        status,
        "match_detail.html",
        context! {
            contract,
            m => ser(&view), errors => ser(&errors), error_list,
            body => retry.body, reason => retry.reason, failed_step => retry.step, back,
            flash => visitor.flash.clone(),
            ..base
        },
    ))
}

/// A form's outcome: on success to `to`; refused, the page again (422) with the reasons and
/// what was typed (`retry`, given the errors); anything else an error page.
async fn outcome<'f, T>(
    state: &AppState,
    visitor: &Visitor,
    id: i64,
    result: Result<T, AppError>,
    to: &str,
    retry: impl FnOnce(FieldErrors) -> Retry<'f>,
) -> Result<Response, PageError> {
    match result {
        Ok(_) => Ok(Redirect::to(to).into_response()),
        Err(AppError::Validation(errors)) => {
            let retry = retry(errors);
            render(state, visitor, id, StatusCode::UNPROCESSABLE_ENTITY, retry).await
        }
        Err(AppError::WrongState(message)) => {
            let mut errors = FieldErrors::new();
            errors.add("stage", message);
            render(state, visitor, id, StatusCode::CONFLICT, retry(errors)).await
        }
        Err(other) => Err(other.into()),
    }
}

async fn show(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = match_id(&id)?;
    render(&state, &visitor, id, StatusCode::OK, Retry::default()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct StepForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    /// Why the match ends (终止 only).
    reason: String,
    /// The checkbox 确认终止 or 确认已签约 (终止 and 签约).
    confirm: String,
    /// `list` to return to 我的对接 (the buttons of its cards), else the match's page.
    back: String,
}

async fn step(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((id, step)): Path<(String, String)>,
    Form(form): Form<StepForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    let id = match_id(&id)?;
    let step = MatchStep::from_code(&step).ok_or(AppError::NotFound("操作"))?;
    let result = match step {
        MatchStep::Terminate => {
            matchmaking::terminate(
                &state.app,
                &visitor.actor,
                id,
                &form.reason,
                form.confirm == "yes",
            )
            .await
        }
        MatchStep::Sign => {
            matchmaking::sign(&state.app, &visitor.actor, id, form.confirm == "yes").await
        }
        _ => matchmaking::take_step(&state.app, &visitor.actor, id, step).await,
    };
    let to = if form.back == "list" {
        "/my/matches".to_string()
    } else {
        format!("/matches/{id}")
    };
    outcome(&state, &visitor, id, result, &to, |errors| Retry {
        errors,
        reason: &form.reason,
        step: step.code(),
        ..Retry::default()
    })
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MessageForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    body: String,
}

async fn post_message(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(form): Form<MessageForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    let id = match_id(&id)?;
    let result = matchmaking::post_message(&state.app, &visitor.actor, id, &form.body).await;
    let to = format!("/matches/{id}#thread");
    outcome(&state, &visitor, id, result, &to, |errors| Retry {
        errors,
        body: &form.body,
        ..Retry::default()
    })
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AssignForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    /// An account's id, `none` to take the assignment away, or empty (nothing chosen).
    tech_manager: String,
}

async fn assign(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(form): Form<AssignForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    let id = match_id(&id)?;
    let result =
        matchmaking::assign_tech_manager(&state.app, &visitor.actor, id, &form.tech_manager).await;
    let to = format!("/matches/{id}");
    outcome(&state, &visitor, id, result, &to, |errors| Retry {
        errors,
        ..Retry::default()
    })
    .await
}
