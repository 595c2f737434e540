use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use zijin_domain::Coded;

use super::html;
use crate::AppState;
use crate::error::PageError;
use crate::routes::{Routes, get};
use crate::session::Visitor;
use crate::views::page_context;

pub fn router() -> Routes {
    Routes::new().route("/", get(home))
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
    let base = page_context(&state.app, &visitor, "首页").await;
    Ok(html(
        StatusCode::OK,
        "home.html",
        context! { stats, demo_accounts, ..base },
    ))
}
