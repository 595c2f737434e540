use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use zijin_app::Actor;
use zijin_app::auth::display_time;
use zijin_domain::Coded;

use super::html;
use crate::AppState;
use crate::error::PageError;
use crate::routes::{Routes, get};
use crate::session::Visitor;
use crate::views::page_context;

pub fn router() -> Routes {
    Routes::new()
        .route("/", get(home))
        .route("/guide", get(guide))
}

/// 办事指南: every task's guide on one page.
async fn guide(State(state): State<AppState>, visitor: Visitor) -> Result<Response, PageError> {
    let guides: Vec<_> = crate::guide::all()
        .into_iter()
        .map(|(href, guide)| context! { href, title => guide.title, basis => guide.basis, steps => guide.steps.to_vec() })
        .collect();
    let base = page_context(&state.app, &visitor, "办事指南").await;
    Ok(html(
        StatusCode::OK,
        "guide.html",
        context! { guides, ..base },
    ))
}

async fn home(State(state): State<AppState>, visitor: Visitor) -> Result<Response, PageError> {
    let counts = zijin_app::institutions::count_by_kind(&state.app).await?;
    let stats: Vec<_> = counts
        .iter()
        .map(|(kind, count)| context! { code => kind.code(), label => kind.label(), count })
        .collect();
    let demo_accounts: Vec<_> = state
        .config
        .demo_accounts
        .iter()
        .map(|a| context! { username => a.username.clone(), password => a.password.clone(), description => a.description.clone() })
        .collect();
    // The newest published issue, and the calls under 通知公告 (newest first, three).
    let latest_issue = zijin_app::lists::issues(&state.app, &Actor::Anonymous)
        .await?
        .into_iter()
        .filter(|i| i.published)
        .max_by_key(|i| i.id)
        .map(|i| context! { id => i.id, title => i.title, published_at => i.published_at.as_deref().map(display_time) });
    let calls: Vec<_> = zijin_app::applications::calls::list(&state.app)
        .await?
        .into_iter()
        .take(3)
        .map(|c| context! { id => c.call.id, title => c.call.title.clone(), phase => c.phase.label(), open => c.phase == zijin_app::applications::calls::CallPhase::Open, closes => display_time(&c.call.closes_at) })
        .collect();
    // 我的待办 for a signed-in user: what waits on them, with counts.
    let todo: Vec<_> = if visitor.actor.user().is_some() {
        zijin_app::applications::todo::todo(&state.app, &visitor.actor)
            .await?
            .into_iter()
            .map(|t| context! { label => t.label, count => t.count, href => t.href })
            .collect()
    } else {
        Vec::new()
    };
    let base = page_context(&state.app, &visitor, "首页").await;
    Ok(html(
        StatusCode::OK,
        "home.html",
        context! { stats, demo_accounts, latest_issue, calls, todo, ..base },
    ))
}
