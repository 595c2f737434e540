//! 对接 listings: 我的对接 (an institution's matches, filtered by stage and own record and sorted
//! by 匹配度 or the latest move), 我负责的对接 (a technology manager's), and the bureau's funnel
//! with, for admins, every match. One match's own page is `match_detail`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::{Value, context};
use serde::Deserialize;
use zijin_app::auth::display_time;
use zijin_app::matchmaking::{self, MatchList, MatchListing, MatchQuery};
use zijin_domain::{Coded, MatchSort, MatchStage};

use crate::AppState;
use crate::error::PageError;
use crate::extract::Query;
use crate::match_views::MatchView;
use crate::routes::{Routes, get};
use crate::session::Visitor;
use crate::views::{options, page_context, ser};

pub fn router() -> Routes {
    Routes::new()
        .route("/my/matches", get(mine))
        .route("/tech-manager/matches", get(assigned))
}

/// The filter of a listing as the query string sends it; every field is optional.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct FilterParams {
    pub sort: String,
    pub stage: String,
    pub record: String,
}

impl FilterParams {
    pub(crate) fn query(&self) -> MatchQuery<'_> {
        MatchQuery {
            sort: &self.sort,
            stage: &self.stage,
            record: &self.record,
        }
    }
}

/// The filter form's choices and what is chosen.
pub(crate) fn filter_context(list: &MatchList) -> Value {
    let records: Vec<Value> = list
        .own_records
        .iter()
        .map(|(kind, id, title)| {
            context! { code => format!("{}-{id}", kind.code()), label => format!("{}：{title}", kind.label()) }
        })
        .collect();
    context! {
        sorts => ser(options::<MatchSort>()),
        stages => ser(options::<MatchStage>()),
        records,
        sort => list.filter.sort.code(),
        stage => list.filter.stage.map(|s| s.code()).unwrap_or_default(),
        record => list.filter.record_code(),
    }
}

fn notifications(list: &MatchList) -> Vec<Value> {
    list.notifications
        .iter()
        .map(|n| context! { message => n.message.clone(), link => n.link.clone(), at => display_time(&n.created_at) })
        .collect()
}

async fn listing_page(
    state: &AppState,
    visitor: &Visitor,
    listing: MatchListing,
    params: &FilterParams,
) -> Result<Response, PageError> {
    let list = matchmaking::list(&state.app, &visitor.actor, listing, &params.query()).await?;
    let matches: Vec<MatchView> = list.matches.iter().map(MatchView::new).collect();
    let (title, path) = match listing {
        MatchListing::Own => ("我的对接", "/my/matches"),
        _ => ("我负责的对接", "/tech-manager/matches"),
    };
    let base = page_context(&state.app, visitor, title).await;
    Ok(super::html(
        StatusCode::OK,
        "matches.html",
        context! {
            heading => title, path, assigned => listing == MatchListing::Assigned,
            matches => ser(&matches), truncated => list.truncated,
            notifications => notifications(&list), filter => filter_context(&list),
            filtered => !(params.sort.is_empty() && params.stage.is_empty() && params.record.is_empty()),
            ..base
        },
    ))
}

async fn mine(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(params): Query<FilterParams>,
) -> Result<Response, PageError> {
    listing_page(&state, &visitor, MatchListing::Own, &params).await
}

async fn assigned(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(params): Query<FilterParams>,
) -> Result<Response, PageError> {
    listing_page(&state, &visitor, MatchListing::Assigned, &params).await
}
