use std::collections::BTreeSet;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use zijin_app::audit;
use zijin_app::audit::{Entry, ListFilter};
use zijin_app::auth::display_time;

use super::html;
use crate::AppState;
use crate::error::PageError;
use crate::extract::Query;
use crate::routes::{Routes, get};
use crate::session::Visitor;
use crate::views::{page_context, page_number, query_prefix, ser};

pub fn router() -> Routes {
    Routes::new().route("/admin/audit", get(list))
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct AuditQuery {
    pub actor: String,
    pub entity: String,
    pub entity_id: String,
    pub action: String,
    pub from: String,
    pub until: String,
    pub page: Option<String>,
}

impl AuditQuery {
    pub fn filter(&self) -> ListFilter {
        let some = |value: &String| Some(value.trim().to_string()).filter(|v| !v.is_empty());
        ListFilter {
            actor: some(&self.actor),
            entity: some(&self.entity),
            entity_id: some(&self.entity_id),
            action: some(&self.action),
            from: some(&self.from),
            // A date picked as "until" includes that whole day.
            until: some(&self.until).map(|day| format!("{day}T99")),
        }
    }
}

#[derive(Serialize)]
struct ChangeView {
    field: String,
    before: String,
    after: String,
}

/// The fields that differ between the before and after snapshots.
fn changes(entry: &Entry) -> Vec<ChangeView> {
    let parse = |text: &Option<String>| -> serde_json::Map<String, Json> {
        text.as_deref()
            .and_then(|t| serde_json::from_str::<Json>(t).ok())
            .and_then(|json| json.as_object().cloned())
            .unwrap_or_default()
    };
    let (before, after) = (parse(&entry.record.before), parse(&entry.record.after));
    let keys: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    let show = |value: Option<&Json>| match value {
        None | Some(Json::Null) => "—".to_string(),
        Some(Json::String(text)) if text.is_empty() => "（空）".to_string(),
        Some(Json::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    };
    keys.into_iter()
        .filter(|key| before.get(*key) != after.get(*key))
        .map(|key| ChangeView {
            field: key.clone(),
            before: show(before.get(key)),
            after: show(after.get(key)),
        })
        .collect()
}

async fn list(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<AuditQuery>,
) -> Result<Response, PageError> {
    let paged = audit::list(
        &state.app,
        &visitor.actor,
        &query.filter(),
        page_number(query.page.as_deref()),
        50,
    )
    .await?;
    let items: Vec<_> = paged
        .items
        .iter()
        .map(|entry| {
            context! {
                seq => entry.record.seq,
                at => display_time(&entry.record.at),
                actor => entry.record.actor.clone(),
                action => entry.record.action.clone(),
                entity => entry.record.entity.clone(),
                entity_id => entry.record.entity_id.clone(),
                hash => entry.hash.clone(),
                changes => ser(changes(entry)),
            }
        })
        .collect();
    let pager_base = query_prefix(
        "/admin/audit",
        &[
            ("actor", &query.actor),
            ("entity", &query.entity),
            ("entity_id", &query.entity_id),
            ("action", &query.action),
            ("from", &query.from),
            ("until", &query.until),
        ],
    );
    let base = page_context(&state.app, &visitor, "审计日志").await;
    Ok(html(
        StatusCode::OK,
        "audit.html",
        context! {
            paged => context! { items, page => paged.page, page_count => paged.page_count(), total => paged.total },
            filter => ser(&query),
            entities => vec![context!{ code => "institution", label => "机构" }, context!{ code => "user", label => "用户" }],
            pager_base,
            ..base
        },
    ))
}
