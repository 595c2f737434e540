//! The policy measures as users meet them: the list with article text and parameter history,
//! and the calculator (facts in, amount and explanation out, against the stored ledger).
//! Anyone may use both; nothing is written.

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

/// Evaluates a measure for facts given as a JSON object (the calculator), on a date, against
/// the stored ledger: the measure's reserved and paid grants, so annual caps, one-time rules and
/// quotas count what the platform has already granted (the beneficiary is named by its unified
/// social credit code, as the ledger records it). Bad facts are a validation error naming the
/// fact.
pub async fn calculate(
    app: &App,
    id: &str,
    facts: &serde_json::Map<String, serde_json::Value>,
    on: NaiveDate,
) -> AppResult<Outcome> {
    let measure = measure(app, id)?;
    let facts = zijin_policy::parse_facts(measure, facts)
        .map_err(|error| AppError::field("facts", error.to_string()))?;
    let ledger = if measure.uses_ledger() {
        crate::applications::grants(
            &zijin_store::applications::live_entries_of_measure(app.store().pool(), id).await?,
        )?
    } else {
        Vec::new()
    };
    zijin_policy::evaluate(measure, &facts, on, &ledger, true)
        .map_err(|error| AppError::field("facts", error.to_string()))
}
