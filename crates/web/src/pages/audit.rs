//! 审计日志: the log as sentences (who did what to which record), filtered by object type,
//! user, act and Beijing dates, and exported as .xlsx.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::{Deserialize, Serialize};
use zijin_app::audit::{self, ACT_KINDS, ListFilter, OBJECT_KINDS};
use zijin_app::auth::{beijing_day_end, beijing_day_start};

use super::html;
use crate::AppState;
use crate::error::PageError;
use crate::extract::Query;
use crate::routes::{Routes, get};
use crate::session::Visitor;
use crate::views::{page_context, page_number, query_prefix, ser};

pub fn router() -> Routes {
    Routes::new()
        .route("/admin/audit", get(list))
        .route("/admin/audit/export.xlsx", get(export))
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct AuditQuery {
    /// Part of the actor's name as logged (kept for links and scripts).
    pub actor: String,
    /// A user's id: the entries that user made.
    pub user: String,
    pub entity: String,
    pub entity_id: String,
    /// Part of the action code (kept for links and scripts).
    pub action: String,
    /// One of [`ACT_KINDS`].
    pub act: String,
    /// Beijing dates, inclusive.
    pub from: String,
    pub until: String,
    pub page: Option<String>,
}

impl AuditQuery {
    pub fn filter(&self) -> ListFilter {
        let some = |value: &String| Some(value.trim().to_string()).filter(|v| !v.is_empty());
        let user = self
            .user
            .trim()
            .parse::<i64>()
            .ok()
            .map(|id| format!("user:{id}:"));
        let act = ACT_KINDS
            .iter()
            .find(|(code, _)| *code == self.act.trim())
            .map(|(code, _)| format!(".{code}"));
        ListFilter {
            actor: user.or_else(|| some(&self.actor)),
            entity: some(&self.entity),
            entity_id: some(&self.entity_id),
            action: act.or_else(|| some(&self.action)),
            from: beijing_day_start(&self.from),
            until: beijing_day_end(&self.until),
        }
    }

    fn pairs(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("actor", self.actor.as_str()),
            ("user", self.user.as_str()),
            ("entity", self.entity.as_str()),
            ("entity_id", self.entity_id.as_str()),
            ("action", self.action.as_str()),
            ("act", self.act.as_str()),
            ("from", self.from.as_str()),
            ("until", self.until.as_str()),
        ]
    }
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
    let items = audit::describe(&state.app, &paged.items).await?;
    let users = zijin_app::users::list(&state.app, &visitor.actor, 1, 500).await?;
    let users: Vec<_> = users
        .items
        .iter()
        .map(|user| context! { id => user.id.to_string(), name => user.display_name.clone() })
        .collect();
    let pairs = query.pairs();
    let pager_base = query_prefix("/admin/audit", &pairs);
    let export_href = query_prefix("/admin/audit/export.xlsx", &pairs);
    let base = page_context(&state.app, &visitor, "审计日志").await;
    Ok(html(
        StatusCode::OK,
        "audit.html",
        context! {
            paged => context! { items => ser(&items), page => paged.page, page_count => paged.page_count(), total => paged.total },
            filter => ser(&query),
            entities => OBJECT_KINDS.iter().map(|(code, label)| context! { code => *code, label => *label }).collect::<Vec<_>>(),
            acts => ACT_KINDS.iter().map(|(code, label)| context! { code => *code, label => *label }).collect::<Vec<_>>(),
            users,
            pager_base,
            export_href,
            export_limit => zijin_domain::group_thousands(&audit::EXPORT_LIMIT.to_string()),
            ..base
        },
    ))
}

async fn export(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<AuditQuery>,
) -> Result<Response, PageError> {
    let bytes = audit::export_xlsx(&state.app, &visitor.actor, &query.filter()).await?;
    Ok(crate::download::xlsx("审计日志.xlsx", bytes))
}
