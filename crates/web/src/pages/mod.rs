//! Server-rendered pages, one module per feature.

mod api_keys;
mod application_review;
mod applications;
mod audit;
mod auth;
mod calls;
mod carrier_work;
mod carriers;
mod catalogue;
mod contract_form;
mod contract_stats;
mod contracts;
mod district;
mod exchange;
mod facts;
mod funnel;
mod home;
mod institutions;
mod lists;
mod match_detail;
mod matches;
mod notices;
mod policy;
mod records;
mod review;
mod search;
mod tech_managers;
mod users;
mod white_list;

use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use minijinja::Value;
use zijin_domain::FieldErrors;

use crate::error::{ErrorKind, error_page};
use crate::routes::{Routes, get};
use crate::templates::{STYLESHEET, render};

pub(crate) use carriers::district_label;

pub fn router() -> Routes {
    Routes::new()
        .merge(home::router())
        .merge(auth::router())
        .merge(institutions::router())
        .merge(records::router())
        .merge(funnel::router())
        .merge(district::router())
        .merge(review::router())
        .merge(lists::router())
        .merge(lists::fields_router())
        .merge(exchange::router())
        .merge(policy::router())
        .merge(search::router())
        .merge(matches::router())
        .merge(match_detail::router())
        .merge(users::router())
        .merge(audit::router())
        .merge(applications::router())
        .merge(application_review::router())
        .merge(calls::router())
        .merge(notices::router())
        .merge(contracts::router())
        .merge(contract_form::router())
        .merge(contract_stats::router())
        .merge(tech_managers::router())
        .merge(carriers::router())
        .merge(carrier_work::router())
        .merge(catalogue::router())
        .merge(white_list::router())
        .merge(api_keys::router())
        .route("/static/app.css", get(stylesheet))
        .route("/healthz", get(|| async { "ok" }))
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        STYLESHEET,
    )
        .into_response()
}

pub async fn not_found() -> Response {
    error_page(
        ErrorKind::NotFound,
        "您访问的页面不存在，可能已被移除或地址有误。",
    )
}

fn html(status: StatusCode, template: &str, context: Value) -> Response {
    (status, Html(render(template, context))).into_response()
}

/// Field errors as a map (for messages beside fields) and a list (for the summary on top).
fn error_context(
    errors: &FieldErrors,
) -> (
    std::collections::BTreeMap<&'static str, String>,
    Vec<String>,
) {
    (
        errors
            .iter()
            .map(|e| (e.field, e.message.clone()))
            .collect(),
        errors.iter().map(|e| e.message.clone()).collect(),
    )
}

/// Sends the visitor back to `path` with the input errors shown in its alert box (a sealed
/// flash cookie, never the query string); other errors become error pages.
fn back_with_error(
    path: &str,
    error: zijin_app::AppError,
) -> Result<Response, crate::error::PageError> {
    match error {
        zijin_app::AppError::Validation(fields) | zijin_app::AppError::Duplicate(fields) => {
            let message: Vec<String> = fields.iter().map(|e| e.message.clone()).collect();
            Ok(crate::flash::redirect_with_error(path, &message.join("；")))
        }
        other => Err(other.into()),
    }
}
