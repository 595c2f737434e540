//! 免申即享 (issue 16): for a measure whose facts the platform already holds, the bureau runs a
//! pass that drafts an application for every institution that qualifies; the beneficiary only
//! confirms (意愿确认: the 科研诚信承诺书 and the account to be paid into) and the application
//! goes straight to 市级核定.
//!
//! The facts come from the platform's data, never from the beneficiary:
//! - `a18-empowerment` (art. 18): institutions tagged 赋权改革试点单位, and the number of their
//!   reviewed achievements marked 赋权改革成果 and first saved this year (Beijing time).
//!
//! - `a03-transfer-org` (art. 3): institutions with registered contracts in the year before
//!   the pass, as 合同登记机构, 技术转移机构, 输出方 or 吸纳方 (see `registry_facts`); its
//!   tiers stay pending until a supplement sets them, so until then every candidate is passed
//!   over with the reason.
//! - `a03-x2021-buyer-subsidy` (the example of `policy/examples/ningke-2021-34`, when loaded):
//!   enterprises that bought technology, by the 技术交易额 received in the year before under
//!   contracts that are not between related parties.
//! - `a03-x2021-broker-award` (the same example): per 技术经理人, by the 技术交易额 of the
//!   registered contracts of the year before they brokered (related parties excluded); the
//!   draft is the person's, confirmed by their institution, and the cap holds per person.
//!   `a20-tech-manager` (art. 20) is drafted the same way.
//! - the carriers' performance awards (`a01-performance`, `a03-service-org`,
//!   `a04-innovation-harbor`, `a06-incubator`, `a15-finance-station`; see `carrier_facts`):
//!   institutions whose carrier of the measure's types has a confirmed grade of the year before.

use serde_json::{Map, Value, json};
use zijin_domain::{
    ApplicationOrigin, ApplicationStatus, Coded, InstitutionTag, ReviewStep, SourceFlag,
};
use zijin_store::applications::{self as store, Computed, Filing, NewApplication};
use zijin_store::audit::Change;
use zijin_store::notifications;

use super::{ApplicationInput, beijing_date, evaluate, fen, get, measure, policy_version, yuan};
use crate::access::{self, Area};
use crate::unit::UnitOfWork;
use crate::{Actor, App, AppError, AppResult};

/// The measures a 免申即享 pass can draft applications for.
pub const EXEMPT_MEASURES: &[&str] = &[
    "a18-empowerment",
    "a03-transfer-org",
    super::registry_facts::BUYER_SUBSIDY,
    super::registry_facts::BROKER_AWARD,
    super::registry_facts::TECH_MANAGER_AWARD,
    "a01-performance",
    "a03-service-org",
    "a04-innovation-harbor",
    "a06-incubator",
    "a15-finance-station",
];

/// What one pass did, institution by institution.
#[derive(Debug, Clone, Default)]
pub struct ExemptReport {
    /// (application id, institution, amount in yuan) of each draft made.
    pub drafted: Vec<(i64, String, rust_decimal::Decimal)>,
    /// (institution, why no draft was made) of each pilot unit passed over.
    pub skipped: Vec<(String, String)>,
}

/// The facts of `a18-empowerment` for an institution, from the platform's data; `None` when
/// the institution is not a candidate at all.
async fn empowerment_facts(
    work: &mut UnitOfWork,
    institution: &zijin_domain::Institution,
    year: i32,
) -> AppResult<Option<Map<String, Value>>> {
    if !institution
        .details
        .tags
        .contains(&InstitutionTag::EmpowermentPilot)
    {
        return Ok(None);
    }
    let count = zijin_store::records::count_flagged_achievements(
        &mut **work.tx(),
        institution.id,
        SourceFlag::Empowered,
        year,
    )
    .await?;
    let mut facts = Map::new();
    facts.insert("pilot_unit".into(), Value::Bool(true));
    facts.insert("empowered_count".into(), json!(count));
    Ok(Some(facts))
}

/// Whom a pass may draft for: an institution, or a person with the institution that confirms
/// for them, and the facts the platform holds.
struct Candidate {
    institution: zijin_domain::Institution,
    person: Option<zijin_domain::User>,
    facts: Map<String, Value>,
}

/// The candidates of a pass for `measure` in the year of the pass (`year`); the registry-fed
/// measures read the year before. Those passed over before evaluation go to `report`.
async fn candidates(
    work: &mut UnitOfWork,
    measure: &zijin_policy::Measure,
    year: i32,
    report: &mut ExemptReport,
) -> AppResult<Vec<Candidate>> {
    let mut found = Vec::new();
    if super::registry_facts::pays_people(&measure.id) {
        for candidate in super::registry_facts::broker_candidates(work.tx(), year - 1).await? {
            match candidate.institution {
                Ok(institution) => found.push(Candidate {
                    institution,
                    person: Some(candidate.user),
                    facts: candidate.facts,
                }),
                Err(reason) => report
                    .skipped
                    .push((candidate.user.display_name.clone(), reason)),
            }
        }
        return Ok(found);
    }
    let registry_fed = super::registry_facts::fed_by_registry(&measure.id);
    let grade_fed = super::carrier_facts::fed_by_grade(&measure.id);
    for institution in zijin_store::institutions::all(&mut **work.tx()).await? {
        let facts = if grade_fed {
            super::carrier_facts::grade_facts(work.tx(), &measure.id, &institution, year - 1)
                .await?
        } else if registry_fed {
            super::registry_facts::exempt_facts(work.tx(), &measure.id, &institution, year - 1)
                .await?
        } else {
            empowerment_facts(work, &institution, year).await?
        };
        let Some(facts) = facts else {
            continue;
        };
        // The registry's roles (输出方, 吸纳方 …) are the applicants of a registry-fed measure,
        // not institution types.
        if !registry_fed
            && !grade_fed
            && !measure.applicants.is_empty()
            && !measure
                .applicants
                .iter()
                .any(|a| a == institution.details.kind.label())
        {
            report.skipped.push((
                institution.details.name.clone(),
                format!(
                    "{}不在本措施的申报主体之列",
                    institution.details.kind.label()
                ),
            ));
            continue;
        }
        found.push(Candidate {
            institution,
            person: None,
            facts,
        });
    }
    Ok(found)
}

/// Runs a pass for one measure of an open call: drafts an application for every institution
/// the data shows qualifies and that has none for the measure under this call yet.
pub async fn run(
    app: &App,
    actor: &Actor,
    call_id: i64,
    measure_id: &str,
) -> AppResult<ExemptReport> {
    access::require(actor, Area::Calls)?;
    if !EXEMPT_MEASURES.contains(&measure_id) {
        return Err(AppError::field(
            "measure",
            "这项政策措施暂不支持免申即享（平台尚无据以核定的数据）",
        ));
    }
    let measure = measure(&app.policies, measure_id)?;
    let mut work = UnitOfWork::begin(app).await?;
    let now = work.now();
    let at = zijin_store::timestamp(now);
    let call = store::get_call_for_update(work.tx(), call_id)
        .await?
        .ok_or(AppError::NotFound("申报通知"))?;
    if !call.measures.iter().any(|(m, _)| m == measure_id) {
        return Err(AppError::field("measure", "本申报通知不含这项政策措施"));
    }
    if super::calls::phase(&call, now) != super::calls::CallPhase::Open {
        return Err(AppError::CallClosed(
            "免申即享只能在申报期内进行，本通知当前不在申报期".into(),
        ));
    }
    let on = beijing_date(now);
    let year = chrono::Datelike::year(&on);
    let ledger = super::measure_ledger(work.tx(), measure, None).await?;
    let (hash, sources) = policy_version(&app.policies)?;
    store::keep_policy_version(work.tx(), &hash, &sources, &at).await?;
    let mut report = ExemptReport::default();
    let candidates = candidates(&mut work, measure, year, &mut report).await?;
    // The year whose data the pass pays: the year before for registry-fed measures, this
    // year's achievements for `a18-empowerment`.
    let data_year = if super::registry_facts::fed_by_registry(measure_id)
        || super::registry_facts::pays_people(measure_id)
        || super::carrier_facts::fed_by_grade(measure_id)
    {
        year - 1
    } else {
        year
    };
    let year_began = crate::auth::beijing_day_start(&format!("{year:04}-01-01"))
        .ok_or_else(|| AppError::Internal(format!("年份无效：{year}")))?;
    for Candidate {
        institution,
        person,
        facts,
    } in candidates
    {
        let name = match &person {
            Some(user) => format!("{}（{}）", user.display_name, institution.details.name),
            None => institution.details.name.clone(),
        };
        if let Some(refusal) = super::calls::applicant_refusal(&call, &institution.details) {
            report.skipped.push((name, refusal));
            continue;
        }
        let person_id = person.as_ref().map(|u| u.id);
        if store::live_application(
            &mut **work.tx(),
            call.id,
            measure_id,
            institution.id,
            person_id,
        )
        .await?
        .is_some()
        {
            report.skipped.push((name, "已有本措施的申报".into()));
            continue;
        }
        // A year's data is paid once, whichever call of the year it came in.
        if store::live_application_since(
            &mut **work.tx(),
            measure_id,
            institution.id,
            person_id,
            &year_began,
        )
        .await?
        .is_some()
        {
            report.skipped.push((
                name,
                format!("{data_year}年度的数据已在本年度另一批申报中使用"),
            ));
            continue;
        }
        let beneficiary = match &person {
            Some(user) => zijin_domain::person_beneficiary(&user.username),
            None => institution.details.credit_code.as_str().to_string(),
        };
        let outcome = evaluate(measure, &facts, &beneficiary, on, &ledger)?;
        if !outcome.eligible {
            report.skipped.push((name, outcome.reasons.join("；")));
            continue;
        }
        let facts_text = Value::Object(facts.clone()).to_string();
        let trace =
            serde_json::to_string(&outcome.trace).map_err(|e| AppError::Internal(e.to_string()))?;
        let account = zijin_domain::PayeeAccount::default();
        let id = store::insert_application(
            work.tx(),
            &NewApplication {
                call_id: call.id,
                measure_id,
                institution_id: institution.id,
                beneficiary_user_id: person_id,
                computed: Computed {
                    facts: &facts_text,
                    eligible: true,
                    amount_fen: fen(outcome.amount)?,
                    trace: &trace,
                    reasons: &outcome.reasons,
                    policy_hash: &hash,
                },
                filing: Filing {
                    integrity_accepted: false,
                    account: &account,
                },
                origin: ApplicationOrigin::Exempt,
                created_by: actor.user().map(|u| u.id),
            },
            &at,
        )
        .await?;
        let whom = match &person {
            Some(user) => format!("本单位技术经理人{}", user.display_name),
            None => "本单位".to_string(),
        };
        notifications::notify(
            work.tx(),
            institution.id,
            &format!(
                "平台已根据已有数据为{whom}生成“{}”免申即享申报（{} 元），请确认意愿并填写收款账户",
                measure.name,
                zijin_policy::money_text(outcome.amount)
            ),
            &format!("/applications/{id}"),
            &at,
        )
        .await?;
        report.drafted.push((id, name, outcome.amount));
    }
    work.audit(Change {
        actor: actor.audit_name(),
        action: "call.exempt-pass",
        entity: "call",
        entity_id: call.id.to_string(),
        before: None,
        after: Some(json!({
            "measure": measure_id,
            "drafted": report.drafted.iter().map(|(id, name, amount)| json!({"application": id, "institution": name, "amount": amount.to_string()})).collect::<Vec<_>>(),
            "skipped": report.skipped.len(),
        })),
    });
    work.commit().await?;
    Ok(report)
}

/// The beneficiary confirms a 免申即享 draft: the 承诺书 accepted and the account filled in; it
/// goes straight to 市级核定. The facts stay those the platform found.
pub async fn confirm(
    app: &App,
    actor: &Actor,
    id: i64,
    input: &ApplicationInput,
) -> AppResult<super::ApplicationView> {
    let view = get(app, actor, id).await?;
    let row = &view.application;
    if access::own_institution_id(actor) != Some(row.institution_id) {
        return Err(access::refusal(actor));
    }
    if row.origin != ApplicationOrigin::Exempt || row.status != ApplicationStatus::Draft {
        return Err(AppError::WrongState(
            "只有待确认的免申即享申报需要确认".into(),
        ));
    }
    let mut errors = zijin_domain::FieldErrors::new();
    let account = zijin_domain::PayeeAccount::parse(
        &input.bank_name,
        &input.bank_account,
        &input.account_name,
        &mut errors,
    );
    if !input.integrity_accepted {
        errors.add("integrity_accepted", "请阅读并签署科研诚信承诺书后再确认");
    }
    for (field, label, value) in [
        ("bank_name", "开户银行", &account.bank),
        ("bank_account", "银行账号", &account.number),
        ("account_name", "账户名称", &account.name),
    ] {
        if value.is_empty() && !errors.iter().any(|e| e.field == field) {
            errors.add(field, format!("请填写{label}，拨付资金时使用"));
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let mut work = UnitOfWork::begin(app).await?;
    let at = zijin_store::timestamp(work.now());
    let locked = store::get_application_for_update(work.tx(), id)
        .await?
        .ok_or(AppError::NotFound("申报"))?;
    if locked.status != ApplicationStatus::Draft {
        return Err(AppError::WrongState("该申报已确认".into()));
    }
    let call = store::get_call(work.tx(), row.call_id)
        .await?
        .ok_or(AppError::NotFound("申报通知"))?;
    if super::calls::phase(&call, work.now()) != super::calls::CallPhase::Open {
        return Err(AppError::CallClosed("申报已截止，不能再确认".into()));
    }
    let computed = Computed {
        facts: &locked.facts,
        eligible: locked.eligible,
        amount_fen: locked.amount_fen,
        trace: &locked.trace,
        reasons: &locked.reasons,
        policy_hash: &locked.policy_hash,
    };
    store::update_facts(
        work.tx(),
        id,
        &computed,
        Filing {
            integrity_accepted: true,
            account: &account,
        },
        &at,
    )
    .await?;
    store::set_confirmed(work.tx(), id, &at).await?;
    store::set_status(
        work.tx(),
        id,
        ApplicationStatus::InReview,
        Some(ReviewStep::Final),
        &at,
    )
    .await?;
    store::add_event(
        work.tx(),
        id,
        &store::NewEvent {
            action: "confirm",
            step: Some(ReviewStep::Final),
            amount_fen: Some(locked.amount_fen),
            user_id: actor.user().map(|u| u.id),
            ..Default::default()
        },
        &at,
    )
    .await?;
    let measure = measure(&app.policies, &locked.measure_id)?;
    let units = super::responsible_units(&app.policies, measure);
    super::notify_step(work.tx(), &locked, measure, &units, ReviewStep::Final, &at).await?;
    work.audit(Change {
        actor: actor.audit_name(),
        action: "application.confirm",
        entity: "application",
        entity_id: id.to_string(),
        before: Some(json!({ "status": "draft" })),
        after: Some(json!({
            "status": "in_review",
            "step": ReviewStep::Final.code(),
            "amount": yuan(locked.amount_fen).to_string(),
        })),
    });
    work.commit().await?;
    get(app, actor, id).await
}
