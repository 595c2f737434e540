//! Applications (申报, issue 16): calls for the policy measures, applications whose amount the
//! policy engine computes against the stored ledger, the review route (区级初审推荐 → 责任单位审核
//! → 市级核定), and the ledger that caps, one-time rules, quotas and budgets are held to.
//!
//! - `calls`: the admin opens a call; anyone reads the open ones.
//! - `filing`: an institution drafts, corrects and submits.
//! - `review`: each step decides; 市级核定 recomputes the amount and reserves it in the ledger
//!   under the measure's lock, so two approvals at once never exceed a cap, quota or budget.
//! - `replay`: a decision evaluated again with the policy files it used and with today's.

pub mod calls;
pub mod carrier_facts;
pub mod exempt;
pub mod experts;
pub mod files;
pub mod filing;
pub mod notice;
pub mod payments;
pub mod registry_facts;
pub mod replay;
pub mod review;
pub mod todo;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use zijin_domain::{Coded, LedgerState};
use zijin_policy::{Grant, Measure, Outcome, PolicySet, Step};
use zijin_store::applications::{self as store, ApplicationRow, EventRow, LedgerRow};

use crate::access::{self, ApplicationCapabilities, ApplicationFacts};
use crate::{Actor, App, AppError, AppResult};

pub use calls::{CallInput, CallView, RubricItem};
pub use filing::ApplicationInput;
pub use review::DecisionInput;

/// The Beijing calendar date of a moment (grants, annual caps and notices count in it).
pub fn beijing_date(at: DateTime<Utc>) -> NaiveDate {
    (at + chrono::Duration::hours(8)).date_naive()
}

/// Fen as yuan, exactly.
pub fn yuan(fen: i64) -> Decimal {
    Decimal::new(fen, 2)
}

/// Yuan as fen (the engine rounds down to the fen, so nothing is lost).
fn fen(amount: Decimal) -> AppResult<i64> {
    zijin_domain::Money::from_decimal(
        amount.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::ToZero),
    )
    .map(|m| m.fen())
    .map_err(|error| AppError::Internal(format!("金额无法记账：{error}")))
}

/// The version of the policy files the platform runs with: the SHA-256 of their texts (by file
/// name), and those texts as JSON to keep beside a decision.
pub(crate) fn policy_version(policies: &PolicySet) -> AppResult<(String, String)> {
    let mut sources = policies.sources.clone();
    for file in sources
        .articles
        .iter_mut()
        .chain(sources.supplements.iter_mut())
    {
        // Where the files were read from is no part of what they say.
        if let Some(name) = std::path::Path::new(&file.name).file_name() {
            file.name = name.to_string_lossy().into_owned();
        }
    }
    sources.articles.sort_by(|a, b| a.name.cmp(&b.name));
    sources.supplements.sort_by(|a, b| a.name.cmp(&b.name));
    let json = serde_json::to_string(&sources)
        .map_err(|error| AppError::Internal(format!("政策文件版本：{error}")))?;
    let hash = hex::encode(Sha256::digest(json.as_bytes()));
    Ok((hash, json))
}

/// A measure of the platform's policy files, or "not found".
pub(crate) fn measure<'a>(policies: &'a PolicySet, id: &str) -> AppResult<&'a Measure> {
    policies.measure(id).ok_or(AppError::NotFound("政策措施"))
}

/// The responsible units a measure's applications are reviewed by: the measure's own, else
/// its article's.
pub(crate) fn responsible_units(policies: &PolicySet, measure: &Measure) -> Vec<String> {
    if !measure.responsible_units.is_empty() {
        return measure.responsible_units.clone();
    }
    policies
        .articles
        .iter()
        .find(|a| a.number == measure.article)
        .map(|a| a.responsible_units.clone())
        .unwrap_or_default()
}

/// The ledger's live entries of a measure as the engine's earlier grants.
pub(crate) fn grants(entries: &[LedgerRow]) -> AppResult<Vec<Grant>> {
    entries
        .iter()
        .filter(|e| e.state != LedgerState::Released)
        .map(|e| {
            Ok(Grant {
                beneficiary: e.beneficiary.clone(),
                measure: e.measure_id.clone(),
                date: NaiveDate::parse_from_str(&e.granted_on, "%Y-%m-%d")
                    .map_err(|_| AppError::Internal(format!("台账日期无效：{}", e.granted_on)))?,
                amount: yuan(e.amount_fen),
            })
        })
        .collect()
}

/// The ledger a measure's amounts are held to, read in the caller's transaction: its reserved
/// and paid grants. For one beneficiary of a measure without a quota only that beneficiary's
/// grants matter (annual caps and one-time rules are per beneficiary), and only those are read;
/// a quota counts every beneficiary, so then the whole measure is.
pub(crate) async fn measure_ledger(
    tx: &mut zijin_store::WriteTx,
    measure: &Measure,
    beneficiary: Option<&str>,
) -> AppResult<Vec<Grant>> {
    let rows = match beneficiary {
        Some(beneficiary) if measure.quota.is_none() => {
            store::live_entries_of_beneficiary(&mut **tx, &measure.id, beneficiary).await?
        }
        _ => store::live_entries_of_measure(&mut **tx, &measure.id).await?,
    };
    grants(&rows)
}

/// The facts as the engine reads them: the applicant's, with the beneficiary set by the
/// platform (the institution's credit code), never by the applicant.
pub(crate) fn engine_facts(
    facts: &serde_json::Map<String, serde_json::Value>,
    beneficiary: &str,
) -> serde_json::Map<String, serde_json::Value> {
    let mut facts = facts.clone();
    facts.insert(
        "beneficiary".into(),
        serde_json::Value::String(beneficiary.to_string()),
    );
    facts
}

/// Evaluates a measure for an application's facts on a date, against earlier grants.
pub(crate) fn evaluate(
    measure: &Measure,
    facts: &serde_json::Map<String, serde_json::Value>,
    beneficiary: &str,
    on: NaiveDate,
    ledger: &[Grant],
) -> AppResult<Outcome> {
    let parsed = zijin_policy::parse_facts(measure, &engine_facts(facts, beneficiary))
        .map_err(|error| AppError::field("facts", fact_message(measure, &error.to_string())))?;
    zijin_policy::evaluate(measure, &parsed, on, ledger, true)
        .map_err(|error| AppError::field("facts", fact_message(measure, &error.to_string())))
}

/// An engine message with each fact's name replaced by its label (users read labels).
fn fact_message(measure: &Measure, message: &str) -> String {
    let mut text = message.to_string();
    for fact in &measure.facts {
        text = text.replace(&format!("“{}”", fact.name), &format!("“{}”", fact.label));
    }
    text
}

/// One application with its history, as its reader may see it.
#[derive(Debug, Clone)]
pub struct ApplicationView {
    pub application: ApplicationRow,
    pub measure_name: String,
    pub article: u32,
    pub trace: Vec<Step>,
    pub history: Vec<EventRow>,
    pub capabilities: ApplicationCapabilities,
    /// The call's documents this application carries.
    pub files: Vec<zijin_store::application_files::ApplicationFile>,
    /// The documents the call asks for.
    pub required_files: Vec<String>,
    /// 专家评审, as the reader may see it (calls with expert review).
    pub experts: Option<experts::ExpertReview>,
}

pub(crate) fn access_facts<'a>(
    row: &'a ApplicationRow,
    units: &'a [String],
    experts: &'a [i64],
) -> ApplicationFacts<'a> {
    ApplicationFacts {
        institution_id: row.institution_id,
        district: &row.institution_district,
        status: row.status,
        step: row.step,
        responsible_units: units,
        experts,
    }
}

/// An application, if the actor may read it (otherwise "not found").
pub async fn get(app: &App, actor: &Actor, id: i64) -> AppResult<ApplicationView> {
    let pool = app.store.pool();
    let row = store::get_application(pool, id)
        .await?
        .ok_or_else(|| access::application_refusal(actor))?;
    let measure = measure(&app.policies, &row.measure_id)?;
    let units = responsible_units(&app.policies, measure);
    let assignments = zijin_store::experts::of_application(pool, id).await?;
    let active = experts::active_experts(&assignments);
    let capabilities =
        access::require_application_read(actor, &access_facts(&row, &units, &active))?;
    let history = store::events(pool, id).await?;
    let call = store::call_in(pool, row.call_id)
        .await?
        .ok_or(AppError::NotFound("申报通知"))?;
    let files = zijin_store::application_files::list(pool, id).await?;
    let trace = serde_json::from_str(&row.trace)
        .map_err(|_| AppError::Internal(format!("申报 {id} 的计算过程无法读取")))?;
    Ok(ApplicationView {
        measure_name: measure.name.clone(),
        article: measure.article,
        trace,
        history,
        capabilities,
        files,
        required_files: call.attachments.clone(),
        experts: experts::review_for(actor, &call, assignments),
        application: row,
    })
}

/// The applications an institution user filed, or a reviewer's queue (those waiting for the
/// actor's step), newest or longest-waiting first.
pub async fn list(app: &App, actor: &Actor) -> AppResult<Vec<ApplicationRow>> {
    let filter = list_filter(app, actor)?;
    Ok(store::list_applications(app.store.pool(), &filter).await?)
}

/// One page (50 a page) of [`list`], with the total.
pub async fn list_page(
    app: &App,
    actor: &Actor,
    page: i64,
) -> AppResult<zijin_store::Paged<ApplicationRow>> {
    let filter = list_filter(app, actor)?;
    Ok(store::page_applications(app.store.pool(), &filter, page).await?)
}

fn list_filter(app: &App, actor: &Actor) -> AppResult<store::ApplicationFilter> {
    let mut filter = store::ApplicationFilter::default();
    if let Some(id) = access::own_institution_id(actor) {
        filter.institution_id = Some(id);
    } else {
        match access::review_queue(actor)? {
            // The bureau sees everything in review, so an application waiting at a step
            // nobody holds (a district without an officer) is never out of sight.
            access::ReviewQueue::All => filter.in_review = true,
            access::ReviewQueue::District(district) => {
                filter.waiting_at = Some(zijin_domain::ReviewStep::District);
                filter.district = Some(district);
            }
            access::ReviewQueue::Unit(unit) => {
                filter.waiting_at = Some(zijin_domain::ReviewStep::Unit);
                filter.measures = Some(
                    app.policies
                        .measures
                        .iter()
                        .filter(|m| responsible_units(&app.policies, m).contains(&unit))
                        .map(|m| m.id.clone())
                        .collect(),
                );
            }
        }
    }
    Ok(filter)
}

/// A beneficiary's ledger entries of a year and their live total (admins).
pub async fn ledger(
    app: &App,
    actor: &Actor,
    beneficiary: &str,
    year: i32,
) -> AppResult<(Vec<LedgerRow>, Decimal)> {
    access::require(actor, access::Area::Ledger)?;
    let code = zijin_domain::CreditCode::parse(beneficiary)
        .map_err(|error| AppError::field("beneficiary", error.to_string()))?;
    if !(2000..=2100).contains(&year) {
        return Err(AppError::field("year", "年份应为四位数字，如 2026"));
    }
    let entries = store::entries_of_beneficiary(app.store.pool(), code.as_str(), year).await?;
    let total = entries
        .iter()
        .filter(|e| e.state != LedgerState::Released)
        .map(|e| yuan(e.amount_fen))
        .sum();
    Ok((entries, total))
}

/// The label of a status code stored in an event (submit, approve …), for the history.
pub fn action_label(action: &str) -> &'static str {
    match action {
        "submit" => "提交申报",
        "confirm" => "确认免申即享申报",
        "withdraw" => "撤回",
        "objection_upheld" => "公示异议成立",
        "paid" => "已拨付",
        other => zijin_domain::Decision::from_code(other).map_or("处理", |d| d.label()),
    }
}

/// Tells whoever acts at `step` that an application now waits for them: the district's
/// officers, the measure's units' reviewers, or the bureau (to assign experts, to 核定).
pub(crate) async fn notify_step(
    tx: &mut zijin_store::WriteTx,
    row: &ApplicationRow,
    measure: &Measure,
    units: &[String],
    step: zijin_domain::ReviewStep,
    at: &str,
) -> AppResult<()> {
    use zijin_domain::ReviewStep;
    use zijin_store::notifications::{Audience, notify_audience};
    let codes: Vec<&str> = units
        .iter()
        .filter_map(|u| zijin_domain::ResponsibleUnit::from_code(u))
        .map(|u| u.code())
        .collect();
    let audience = match step {
        ReviewStep::District => Audience::DistrictOfficers(&row.institution_district),
        ReviewStep::Unit => Audience::Reviewers(&codes),
        ReviewStep::Experts | ReviewStep::Final => Audience::Admins,
    };
    let what = match step {
        ReviewStep::Experts => "请指派专家评审",
        _ => "等待您审核",
    };
    let message = format!(
        "“{}”申报的“{}”已到{}环节，{what}",
        row.institution_name,
        measure.name,
        step.label()
    );
    notify_audience(
        tx,
        audience,
        &message,
        &format!("/applications/{}", row.id),
        at,
    )
    .await?;
    Ok(())
}
