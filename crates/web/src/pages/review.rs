//! 待审核: the reviewer's queue of achievements and demands — waiting time, sort, filters by
//! kind and field, pagination, and batch approval (批量通过) with a confirmation.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::{Deserialize, Serialize};
use zijin_app::access::{self, Area};
use zijin_app::auth::waited;
use zijin_app::records;
use zijin_domain::{RecordKind, RecordStatus};

use super::records::institution_name;
use super::{back_with_error, html};
use crate::AppState;
use crate::error::PageError;
use crate::extract::{Form, Query};
use crate::routes::{Routes, get, post};
use crate::session::Visitor;
use crate::views::{RecordView, page_context, page_number, query_prefix, ser};

/// Rows on one page of the queue.
const PER_PAGE: usize = 20;
/// How many waiting records of each kind the queue reads (the store's page limit).
const READ: i64 = 200;

pub fn router() -> Routes {
    Routes::new()
        .route("/review", get(queue))
        .route("/review/approve", post(approve_many))
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct QueueQuery {
    /// `achievement`, `demand` or empty for both.
    kind: String,
    /// A technical field's code, or empty.
    field: String,
    /// `newest` first, else the longest waiting first.
    sort: String,
    page: Option<String>,
    /// How many a batch approval just approved.
    approved: Option<String>,
}

#[derive(Serialize)]
struct QueueRow {
    #[serde(flatten)]
    record: RecordView,
    waited: String,
    /// Stored submission time, for sorting.
    #[serde(skip)]
    at: String,
}

async fn queue(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<QueueQuery>,
) -> Result<Response, PageError> {
    access::require(&visitor.actor, Area::ReviewQueue)?;
    let fields = records::technical_fields(&state.app).await?;
    let now = state.app.now();
    let mut rows = Vec::new();
    let mut totals = (0, 0);
    if query.kind != "demand" {
        let paged = records::list_achievements(
            &state.app,
            &visitor.actor,
            vec![RecordStatus::Submitted],
            1,
            READ,
        )
        .await?;
        totals.0 = paged.total;
        for a in paged.items {
            rows.push(QueueRow {
                waited: waited(&a.updated_at, now),
                at: a.updated_at.clone(),
                record: RecordView::achievement(
                    &a,
                    &fields,
                    &institution_name(&state, a.institution_id).await?,
                    access::record(&visitor.actor, a.institution_id, a.status),
                ),
            });
        }
    }
    if query.kind != "achievement" {
        let paged = records::list_demands(
            &state.app,
            &visitor.actor,
            vec![RecordStatus::Submitted],
            1,
            READ,
        )
        .await?;
        totals.1 = paged.total;
        for d in paged.items {
            rows.push(QueueRow {
                waited: waited(&d.updated_at, now),
                at: d.updated_at.clone(),
                record: RecordView::demand(
                    &d,
                    &fields,
                    &institution_name(&state, d.institution_id).await?,
                    access::record(&visitor.actor, d.institution_id, d.status),
                ),
            });
        }
    }
    if !query.field.is_empty() {
        rows.retain(|row| row.record.field == query.field);
    }
    if query.sort == "newest" {
        rows.sort_by(|a, b| b.at.cmp(&a.at));
    } else {
        rows.sort_by(|a, b| a.at.cmp(&b.at));
    }
    let total = rows.len();
    let page_count = total.div_ceil(PER_PAGE).max(1) as i64;
    let page = page_number(query.page.as_deref()).min(page_count);
    let shown: Vec<QueueRow> = rows
        .into_iter()
        .skip((page as usize - 1) * PER_PAGE)
        .take(PER_PAGE)
        .collect();
    let pager_base = query_prefix(
        "/review",
        &[
            ("kind", query.kind.as_str()),
            ("field", query.field.as_str()),
            ("sort", query.sort.as_str()),
        ],
    );
    let flash = query
        .approved
        .as_deref()
        .and_then(|n| n.parse::<usize>().ok())
        .map(|n| format!("已批量通过 {n} 条，它们将纳入下一期清单"));
    let base = page_context(&state.app, &visitor, "待审核").await;
    Ok(html(
        StatusCode::OK,
        "review.html",
        context! {
            rows => ser(&shown),
            paged => context! { page, page_count, total },
            achievements_waiting => totals.0,
            demands_waiting => totals.1,
            fields => fields.iter().map(|f| context! { code => f.code.clone(), label => f.label.clone() }).collect::<Vec<_>>(),
            filter => ser(&query),
            pager_base,
            done => flash,
            error => visitor.flash.clone(),
            batch_limit => records::BATCH_APPROVE_LIMIT,
            ..base
        },
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct BatchForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    /// `achievement:12`, `demand:7`, …
    item: Vec<String>,
    /// `yes` once the reviewer confirmed.
    confirm: String,
}

async fn approve_many(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<BatchForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    access::require(&visitor.actor, Area::ReviewQueue)?;
    let mut items = Vec::new();
    for item in &form.item {
        let parsed = item.split_once(':').and_then(|(kind, id)| {
            let kind = match kind {
                "achievement" => RecordKind::Achievement,
                "demand" => RecordKind::Demand,
                _ => return None,
            };
            Some((kind, id.parse::<i64>().ok()?))
        });
        match parsed {
            Some(pair) => items.push(pair),
            None => {
                return back_with_error(
                    "/review",
                    zijin_app::AppError::field("ids", "勾选的记录无法识别，请刷新页面后重试"),
                );
            }
        }
    }
    if form.confirm != "yes" {
        return back_with_error(
            "/review",
            zijin_app::AppError::field("confirm", "请在确认框中确认后再批量通过"),
        );
    }
    match records::approve_many(&state.app, &visitor.actor, &items).await {
        Ok(count) => Ok(Redirect::to(&format!("/review?approved={count}")).into_response()),
        Err(error) => back_with_error("/review", error),
    }
}
