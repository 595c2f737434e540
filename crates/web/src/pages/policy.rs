//! 政策计算器: every measure of the seed with its article text, parameters and their history,
//! and a calculator — facts in, the amount and its explained steps out. Open to everyone; a
//! calculation writes nothing, so the form is a GET (shareable, no CSRF token needed).

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use zijin_app::AppError;
use zijin_app::policy::{self, Measure};
use zijin_policy::words::in_words;

use crate::AppState;
use crate::error::PageError;
use crate::extract::{Path, Query};
use crate::routes::{Routes, get};
use crate::session::Visitor;
use crate::views::{page_context, ser};

pub fn router() -> Routes {
    Routes::new()
        .route("/policy", get(index))
        .route("/policy/{id}", get(measure_page))
}

async fn index(State(state): State<AppState>, visitor: Visitor) -> Result<Response, PageError> {
    let articles: Vec<minijinja::Value> = policy::articles(&state.app)
        .iter()
        .map(|article| {
            let measures: Vec<minijinja::Value> = policy::measures(&state.app)
                .iter()
                .filter(|m| m.article == article.number)
                .map(|m| {
                    context! {
                        id => m.id.clone(), name => m.name.clone(), clause => m.clause.clone(),
                        pending => m.params.iter().any(|p| p.values.is_empty()),
                        quota => m.quota,
                    }
                })
                .collect();
            context! {
                number => article.number, heading => article.heading.clone(), text => article.text.clone(),
                units => article.responsible_units.join("、"), measures => measures,
                quotas => article.quotas.iter().map(|q| context! { carrier => q.carrier.clone(), count => q.count, clause => q.clause.clone() }).collect::<Vec<_>>(),
            }
        })
        .collect();
    let base = page_context(&state.app, &visitor, "政策计算器").await;
    Ok(super::html(
        StatusCode::OK,
        "policy.html",
        context! { articles => articles, ..base },
    ))
}

/// The calculator's inputs as the JSON facts the engine reads, with the beneficiary when given.
fn facts_from_query(
    measure: &Measure,
    query: &HashMap<String, String>,
) -> serde_json::Map<String, serde_json::Value> {
    let mut facts = super::facts::facts(measure, query);
    if let Some(beneficiary) = query.get("beneficiary").filter(|b| !b.trim().is_empty()) {
        facts.insert("beneficiary".into(), beneficiary.trim().into());
    }
    facts
}

async fn measure_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let measure = policy::measure(&state.app, &id)?;
    let article = policy::articles(&state.app)
        .iter()
        .find(|a| a.number == measure.article)
        .ok_or(AppError::NotFound("政策条款"))?;
    let params: Vec<minijinja::Value> = measure
        .params
        .iter()
        .map(|p| {
            context! {
                name => p.name.clone(), label => p.label.clone(), pending => p.pending.clone(),
                history => p.values.iter().map(|v| context! {
                    from => v.from.to_string(), until => v.until.map(|d| d.to_string()),
                    value => v.value.to_string(), document => v.document.clone(),
                }).collect::<Vec<_>>(),
            }
        })
        .collect();
    let today = state.app.today();
    let on_text = query
        .get("on")
        .filter(|v| !v.is_empty())
        .cloned()
        .unwrap_or_else(|| today.to_string());
    let calculate = query.contains_key("calculate");
    let (result, error) = if calculate {
        match chrono::NaiveDate::parse_from_str(&on_text, "%Y-%m-%d") {
            Err(_) => (
                None,
                Some(format!("计算日期“{on_text}”无效，应为 YYYY-MM-DD")),
            ),
            Ok(on) => {
                let facts = facts_from_query(measure, &query);
                match policy::calculate(&state.app, &measure.id, &facts, on).await {
                    Ok(outcome) => (Some(outcome), None),
                    Err(AppError::Validation(errors)) => (
                        None,
                        Some(
                            errors
                                .iter()
                                .map(|e| e.message.clone())
                                .collect::<Vec<_>>()
                                .join("；"),
                        ),
                    ),
                    Err(other) => return Err(other.into()),
                }
            }
        }
    } else {
        (None, None)
    };
    let base = page_context(&state.app, &visitor, &measure.name).await;
    Ok(super::html(
        if error.is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        },
        "policy_measure.html",
        context! {
            m => context! {
                id => measure.id.clone(), name => measure.name.clone(), article => measure.article,
                clause => measure.clause.clone(), units => measure.responsible_units.join("、"),
                applicants => measure.applicants.join("、"), amount => in_words(measure, &measure.amount.expr),
                cap_application => measure.cap_application.as_ref().map(|c| in_words(measure, &c.expr)),
                cap_year => measure.cap_year.as_ref().map(|c| in_words(measure, &c.expr)),
                once => measure.once, quota => measure.quota, quota_label => measure.quota_label.clone(),
                note => measure.note.clone(), uses_ledger => measure.uses_ledger(),
                conditions => measure.conditions.iter().map(|c| context! { when => in_words(measure, &c.when), reason => c.reason.clone() }).collect::<Vec<_>>(),
            },
            article => context! { number => article.number, heading => article.heading.clone(), text => article.text.clone() },
            params, facts => super::facts::inputs(measure, &query),
            beneficiary => query.get("beneficiary").cloned().unwrap_or_default(),
            on => on_text, calculated => calculate, error,
            result => result.as_ref().map(|o| context! {
                eligible => o.eligible, amount => zijin_domain::group_thousands(&format!("{:.2}", o.amount)), amount_plain => format!("{:.2}", o.amount),
                reasons => o.reasons.clone(), missing => o.missing_parameters.clone(),
                trace => ser(&o.trace),
            }),
            ..base
        },
    ))
}
