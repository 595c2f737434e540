//! The policy measures as users meet them: the list with article text and parameter history,
//! and the calculator (facts in, amount and explanation out). Anyone may use both; nothing is
//! written.

use chrono::NaiveDate;
pub use zijin_policy::model::{Article, DatedValue, FactType, Measure, Parameter};
pub use zijin_policy::{Outcome, Step};

use crate::{App, AppError, AppResult};

pub fn articles(app: &App) -> &[Article] {
    &app.policies.articles
}

pub fn measures(app: &App) -> &[Measure] {
    &app.policies.measures
}

pub fn measure<'a>(app: &'a App, id: &str) -> AppResult<&'a Measure> {
    app.policies
        .measure(id)
        .ok_or(AppError::NotFound("政策措施"))
}

/// Evaluates a measure for facts given as a JSON object (the calculator and the API), on a
/// date, without earlier grants. Bad facts are a validation error naming the fact.
pub fn calculate(
    app: &App,
    id: &str,
    facts: &serde_json::Map<String, serde_json::Value>,
    on: NaiveDate,
) -> AppResult<Outcome> {
    let measure = measure(app, id)?;
    let facts = zijin_policy::parse_facts(measure, facts)
        .map_err(|error| AppError::field("facts", error.to_string()))?;
    zijin_policy::evaluate(measure, &facts, on, &[], true)
        .map_err(|error| AppError::field("facts", error.to_string()))
}
