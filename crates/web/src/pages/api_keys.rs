//! `/admin/api-keys`: the admin issues API keys to accounts for other systems (the token is
//! shown once, on the answer to the form), lists them with their last use, and revokes them.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::Deserialize;
use zijin_app::AppError;
use zijin_app::access::{self, Area};
use zijin_app::api_keys::{self, IssueInput};

use super::{back_with_error, html};
use crate::AppState;
use crate::error::PageError;
use crate::extract::{Form, Path};
use crate::routes::{Routes, get, post};
use crate::session::Visitor;
use crate::views::page_context;

pub fn router() -> Routes {
    Routes::new()
        .route("/admin/api-keys", get(page).post(issue))
        .route("/admin/api-keys/{id}/revoke", post(revoke))
}

fn shown_time(stored: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(stored)
        .map(|at| {
            (at.with_timezone(&chrono::Utc) + chrono::Duration::hours(8))
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_else(|_| stored.to_string())
}

async fn render(
    state: &AppState,
    visitor: &Visitor,
    status: StatusCode,
    issued: Option<String>,
) -> Result<Response, PageError> {
    let keys = api_keys::list(&state.app, &visitor.actor).await?;
    let base = page_context(&state.app, visitor, "API 密钥").await;
    let (notice, flash) = crate::flash::notice_or_error(visitor.flash.as_deref());
    Ok(html(
        status,
        "api_keys.html",
        context! {
            notice, flash, issued,
            scopes => api_keys::SCOPES.iter().map(|(code, label)| context! { code => *code, label => *label }).collect::<Vec<_>>(),
            per_minute => api_keys::PER_MINUTE,
            max_per_minute => api_keys::MAX_PER_MINUTE,
            keys => keys.iter().map(|k| context! {
                id => k.key.id,
                account => k.key.username.clone(),
                note => k.key.note.clone(),
                scopes => k.scopes.iter().map(|s| api_keys::scope_label(s).to_string()).collect::<Vec<_>>().join("、"),
                prefix => k.key.prefix.clone(),
                expires_on => k.key.expires_on.clone(),
                state => if k.key.revoked_at.is_some() { "已吊销" } else if k.active { "有效" } else { "已过期" },
                active => k.active,
                last_used => k.key.last_used_at.as_deref().map(shown_time).unwrap_or_else(|| "从未使用".into()),
                uses => k.key.uses,
                limit => k.key.per_minute,
            }).collect::<Vec<_>>(),
            ..base
        },
    ))
}

async fn page(State(state): State<AppState>, visitor: Visitor) -> Result<Response, PageError> {
    access::require(&visitor.actor, Area::ApiKeys)?;
    render(&state, &visitor, StatusCode::OK, None).await
}

async fn issue(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let single = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    visitor.check_csrf(&single("_csrf"))?;
    access::require(&visitor.actor, Area::ApiKeys)?;
    let input = IssueInput {
        username: single("username"),
        note: single("note"),
        scopes: pairs
            .iter()
            .filter(|(k, _)| k == "scopes")
            .map(|(_, v)| v.clone())
            .collect(),
        expires_on: single("expires_on"),
        // Not a whole number: out of range, so the form names the field.
        per_minute: match single("per_minute").trim() {
            "" => None,
            text => Some(text.parse().unwrap_or(-1)),
        },
    };
    match api_keys::issue(&state.app, &visitor.actor, &input).await {
        // The token is on this answer only (never in a redirect, a cookie or the log).
        Ok((_, token)) => render(&state, &visitor, StatusCode::CREATED, Some(token)).await,
        Err(error) => back_with_error("/admin/api-keys", error),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RevokeForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    confirm: String,
}

async fn revoke(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(form): Form<RevokeForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    access::require(&visitor.actor, Area::ApiKeys)?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound("API 密钥"))?;
    match api_keys::revoke(&state.app, &visitor.actor, id, form.confirm == "yes").await {
        Ok(()) => Ok(crate::flash::redirect_with_notice(
            "/admin/api-keys",
            "密钥已吊销",
        )),
        Err(AppError::WrongState(reason)) => Ok(crate::flash::redirect_with_error(
            "/admin/api-keys",
            &reason,
        )),
        Err(error) => back_with_error("/admin/api-keys", error),
    }
}
