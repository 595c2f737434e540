//! `/carriers`: the recognised carriers (载体) by type and district, with each type's article
//! and how much of its quota is used.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::Deserialize;
use zijin_app::carriers;
use zijin_domain::{Coded, District};

use super::html;
use crate::AppState;
use crate::error::PageError;
use crate::extract::Query;
use crate::routes::{Routes, get};
use crate::session::Visitor;
use crate::views::{options, page_context, ser};

pub fn router() -> Routes {
    Routes::new().route("/carriers", get(directory))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Filter {
    district: String,
}

/// A district's label from its code (the code itself when unknown).
pub(crate) fn district_label(code: &str) -> String {
    District::from_code(code)
        .map(|d| d.label().to_string())
        .unwrap_or_else(|| code.to_string())
}

async fn directory(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(filter): Query<Filter>,
) -> Result<Response, PageError> {
    let district = District::from_code(&filter.district).map(|d| d.code());
    let types = carriers::directory(&state.app, district).await?;
    let base = page_context(&state.app, &visitor, "载体名录").await;
    Ok(html(
        StatusCode::OK,
        "carriers.html",
        context! {
            district => district.unwrap_or_default(),
            districts => ser(options::<District>()),
            types => types.iter().map(|t| context! {
                name => t.kind.name.clone(),
                article => t.kind.article,
                quota => t.kind.quota,
                carriers => t.carriers.iter().map(|c| context! {
                    name => c.name.clone(),
                    institution => c.institution_name.clone(),
                    district => district_label(&c.district),
                    on => c.recognised_on.format("%Y-%m-%d").to_string(),
                }).collect::<Vec<_>>(),
            }).collect::<Vec<_>>(),
            ..base
        },
    ))
}
