use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zijin_app::audit;
use zijin_domain::{District, InstitutionTag, InstitutionType, ResponsibleUnit, Role};

use super::Caller;
use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::Query;
use crate::routes::{Routes, get};
use crate::views::{CodeLabel, options, page_number};

pub fn router() -> Routes {
    Routes::new()
        .route("/reference", get(reference))
        .route("/audit", get(audit_log))
}

#[derive(Serialize, ToSchema)]
pub struct Reference {
    pub districts: Vec<CodeLabel>,
    pub institution_types: Vec<CodeLabel>,
    pub institution_tags: Vec<CodeLabel>,
    pub roles: Vec<CodeLabel>,
    pub responsible_units: Vec<CodeLabel>,
}

/// The closed lists the API accepts, with their Chinese labels.
#[utoipa::path(get, path = "/api/v1/reference", tag = "reference", responses((status = 200, body = Reference)))]
pub async fn reference() -> Json<Reference> {
    Json(Reference {
        districts: options::<District>(),
        institution_types: options::<InstitutionType>(),
        institution_tags: options::<InstitutionTag>(),
        roles: options::<Role>(),
        responsible_units: options::<ResponsibleUnit>(),
    })
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct AuditParams {
    pub actor: Option<String>,
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub action: Option<String>,
    /// Inclusive lower bound, e.g. `2026-11-01`.
    pub from: Option<String>,
    /// Exclusive upper bound.
    pub until: Option<String>,
    pub page: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditEntryView {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    /// The record before the change, as JSON text.
    pub before: Option<String>,
    /// The record after the change, as JSON text.
    pub after: Option<String>,
    pub previous_hash: String,
    pub hash: String,
    /// The entry as a sentence in Chinese: who did what to which record (by its title).
    pub sentence: String,
    /// The person or system part that acted, by name.
    pub actor_name: String,
    /// The changed fields by their labels, values by their labels.
    pub changes: Vec<AuditChangeView>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditChangeView {
    pub field: String,
    /// Empty when the record was created.
    pub before: String,
    pub after: String,
}

#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    /// The next page's address (also in the `Link: rel="next"` header); null on the last page.
    pub next: Option<String>,
    pub items: Vec<AuditEntryView>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// The audit log, newest first (admins).
#[utoipa::path(get, path = "/api/v1/audit", tag = "reference", params(AuditParams),
    responses((status = 200, body = AuditPage), (status = 403, body = Problem)))]
pub async fn audit_log(
    State(state): State<AppState>,
    caller: Caller,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    Query(params): Query<AuditParams>,
) -> Result<axum::response::Response, ApiError> {
    let filter = audit::ListFilter {
        actor: params.actor,
        entity: params.entity,
        entity_id: params.entity_id,
        action: params.action,
        from: params.from,
        until: params.until,
    };
    let paged = audit::list(
        &state.app,
        &caller.actor,
        &filter,
        page_number(params.page.as_deref()),
        100,
    )
    .await?;
    let described = audit::describe(&state.app, &paged.items).await?;
    let next = super::paging::numbered_next(&uri, paged.page, paged.per_page, paged.total);
    let body = AuditPage {
        next: next.clone(),
        items: paged
            .items
            .into_iter()
            .zip(described)
            .map(|(entry, text)| AuditEntryView {
                seq: entry.record.seq,
                at: entry.record.at,
                actor: entry.record.actor,
                action: entry.record.action,
                entity: entry.record.entity,
                entity_id: entry.record.entity_id,
                before: entry.record.before,
                after: entry.record.after,
                previous_hash: entry.previous_hash,
                hash: entry.hash,
                sentence: text.sentence,
                actor_name: text.actor,
                changes: text
                    .changes
                    .into_iter()
                    .map(|c| AuditChangeView {
                        field: c.field,
                        before: c.before,
                        after: c.after,
                    })
                    .collect(),
            })
            .collect(),
        total: paged.total,
        page: paged.page,
        per_page: paged.per_page,
    };
    Ok(super::paging::with_next(body, next.as_deref()))
}
