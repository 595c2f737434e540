//! An institution files an application: a draft whose amount the policy engine computes with
//! the stored ledger while it is written, corrections, and submission within the call's time.

use serde_json::json;
use zijin_domain::{ApplicationOrigin, ApplicationStatus, Coded, PayeeAccount, after_submit};
use zijin_policy::Measure;
use zijin_store::applications::{self as store, ApplicationRow, Computed};
use zijin_store::audit::Change;

use super::calls::{CallPhase, phase};
use super::{beijing_date, evaluate, fen, get, measure, policy_version};
use crate::access::{self, Area};
use crate::unit::UnitOfWork;
use crate::{Actor, App, AppError, AppResult};

/// What an applicant writes (the API's body; the page's form).
#[derive(Debug, Clone, Default)]
pub struct ApplicationInput {
    pub call: i64,
    pub measure: String,
    /// One value per fact of the measure (amounts as decimal strings).
    pub facts: serde_json::Map<String, serde_json::Value>,
    /// 科研诚信承诺书 accepted.
    pub integrity_accepted: bool,
    /// The account the grant is paid into (开户银行, 银行账号, 账户名称); required at submission.
    pub bank_name: String,
    pub bank_account: String,
    pub account_name: String,
}

impl ApplicationInput {
    /// The account as typed, checked for form (blanks allowed until submission).
    fn account(&self) -> AppResult<PayeeAccount> {
        let mut errors = zijin_domain::FieldErrors::new();
        let account = PayeeAccount::parse(
            &self.bank_name,
            &self.bank_account,
            &self.account_name,
            &mut errors,
        );
        if errors.is_empty() {
            Ok(account)
        } else {
            Err(AppError::Validation(errors))
        }
    }
}

/// The refusal when a call is not open now, in words.
fn require_open(
    call: &zijin_store::applications::CallRow,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    match phase(call, now) {
        CallPhase::Open => Ok(()),
        CallPhase::Upcoming => Err(AppError::CallClosed(format!(
            "申报尚未开始（{}开始）",
            crate::auth::display_time(&call.opens_at)
        ))),
        CallPhase::Closed => Err(AppError::CallClosed(format!(
            "申报已于{}截止，不再接受提交",
            crate::auth::display_time(&call.closes_at)
        ))),
    }
}

/// Opens the unit of work for a change by the applicant: the application locked, its owner
/// acting, in a state the applicant may change, its call open now.
async fn own_editable<'a>(
    app: &'a App,
    actor: &Actor,
    id: i64,
    refused: &str,
) -> AppResult<(UnitOfWork, ApplicationRow, &'a Measure)> {
    let mut work = UnitOfWork::begin(app).await?;
    let row = store::get_application_for_update(work.tx(), id)
        .await?
        .ok_or_else(|| access::application_refusal(actor))?;
    let measure = measure(&app.policies, &row.measure_id)?;
    let units = super::responsible_units(&app.policies, measure);
    let capabilities =
        access::require_application_read(actor, &super::access_facts(&row, &units, &[]))?;
    if access::own_institution_id(actor) != Some(row.institution_id) {
        return Err(access::refusal(actor));
    }
    if !capabilities.edit {
        return Err(AppError::WrongState(format!(
            "该申报{}，{refused}",
            row.status.label()
        )));
    }
    let call = store::get_call(work.tx(), row.call_id)
        .await?
        .ok_or(AppError::NotFound("申报通知"))?;
    require_open(&call, work.now())?;
    Ok((work, row, measure))
}

/// Saves a new draft for the actor's institution and returns it with the amount computed.
pub async fn draft(
    app: &App,
    actor: &Actor,
    input: &ApplicationInput,
) -> AppResult<super::ApplicationView> {
    access::require(actor, Area::OwnApplications)?;
    let institution_id = access::require_own_institution(actor)?;
    let mut work = UnitOfWork::begin(app).await?;
    let now = work.now();
    let at = zijin_store::timestamp(now);
    let call = store::get_call_for_update(work.tx(), input.call)
        .await?
        .ok_or(AppError::NotFound("申报通知"))?;
    require_open(&call, now)?;
    let measure_id = input.measure.trim();
    if !call.measures.iter().any(|(m, _)| m == measure_id) {
        return Err(AppError::field("measure", "本申报通知不含这项政策措施"));
    }
    if super::registry_facts::pays_people(measure_id) {
        return Err(AppError::field(
            "measure",
            "这项奖励按技术经理人个人核定，由市科技局依据技术合同登记数据免申即享生成，无需申报",
        ));
    }
    let institution = zijin_store::institutions::get(&mut **work.tx(), institution_id)
        .await?
        .ok_or(AppError::NotFound("机构"))?;
    if let Some(refusal) = super::calls::applicant_refusal(&call, &institution.details) {
        return Err(AppError::field("call", refusal));
    }
    // One application per institution, measure and call: a second is a 重复申报.
    if let Some((existing, status)) =
        store::live_application(&mut **work.tx(), call.id, measure_id, institution_id, None).await?
    {
        return Err(AppError::WrongState(format!(
            "本单位已有该措施的申报（{}，编号 {existing}），请在原申报中修改，不能重复申报",
            status.label()
        )));
    }
    let measure = measure(&app.policies, measure_id)?;
    let account = input.account()?;
    let beneficiary = institution.details.credit_code.as_str().to_string();
    let mut input_facts = input.facts.clone();
    let last_year = chrono::Datelike::year(&beijing_date(now)) - 1;
    super::registry_facts::overlay(
        work.tx(),
        measure_id,
        &institution,
        last_year,
        &mut input_facts,
    )
    .await?;
    super::carrier_facts::overlay(
        work.tx(),
        measure_id,
        &institution,
        last_year,
        &mut input_facts,
    )
    .await?;
    let input = &ApplicationInput {
        facts: input_facts,
        ..input.clone()
    };
    let ledger = super::measure_ledger(work.tx(), measure, Some(&beneficiary)).await?;
    let outcome = evaluate(
        measure,
        &input.facts,
        &beneficiary,
        beijing_date(now),
        &ledger,
    )?;
    let (hash, sources) = policy_version(&app.policies)?;
    store::keep_policy_version(work.tx(), &hash, &sources, &at).await?;
    let facts = serde_json::Value::Object(input.facts.clone()).to_string();
    let trace =
        serde_json::to_string(&outcome.trace).map_err(|e| AppError::Internal(e.to_string()))?;
    let computed = Computed {
        facts: &facts,
        eligible: outcome.eligible,
        amount_fen: fen(outcome.amount)?,
        trace: &trace,
        reasons: &outcome.reasons,
        policy_hash: &hash,
    };
    let id = store::insert_application(
        work.tx(),
        &store::NewApplication {
            call_id: call.id,
            measure_id,
            institution_id,
            beneficiary_user_id: None,
            computed,
            filing: store::Filing {
                integrity_accepted: input.integrity_accepted,
                account: &account,
            },
            origin: ApplicationOrigin::Applicant,
            created_by: actor.user().map(|u| u.id),
        },
        &at,
    )
    .await?;
    work.audit(Change {
        actor: actor.audit_name(),
        action: "application.draft",
        entity: "application",
        entity_id: id.to_string(),
        before: None,
        after: Some(json!({
            "call": call.id,
            "measure": measure_id,
            "facts": input.facts,
            "amount": outcome.amount.to_string(),
            "eligible": outcome.eligible,
        })),
    });
    work.commit().await?;
    get(app, actor, id).await
}

/// Replaces the facts, the 承诺书 and the account of a draft or returned application (its
/// owner, while the call is open). The input's call and measure are those of the application
/// and cannot change.
pub async fn update(
    app: &App,
    actor: &Actor,
    id: i64,
    input: &ApplicationInput,
) -> AppResult<super::ApplicationView> {
    // Who may change it is decided before the input is judged.
    let (mut work, row, measure) = own_editable(app, actor, id, "不能修改").await?;
    let account = input.account()?;
    let mut typed = input.facts.clone();
    if super::carrier_facts::fed_by_grade(&row.measure_id) {
        let institution = zijin_store::institutions::get(&mut **work.tx(), row.institution_id)
            .await?
            .ok_or(AppError::NotFound("机构"))?;
        let last_year = chrono::Datelike::year(&beijing_date(work.now())) - 1;
        super::carrier_facts::overlay(
            work.tx(),
            &row.measure_id,
            &institution,
            last_year,
            &mut typed,
        )
        .await?;
    }
    if super::registry_facts::fed_by_registry(&row.measure_id) {
        let institution = zijin_store::institutions::get(&mut **work.tx(), row.institution_id)
            .await?
            .ok_or(AppError::NotFound("机构"))?;
        let last_year = chrono::Datelike::year(&beijing_date(work.now())) - 1;
        super::registry_facts::overlay(
            work.tx(),
            &row.measure_id,
            &institution,
            last_year,
            &mut typed,
        )
        .await?;
    }
    let facts = &typed;
    if row.origin == ApplicationOrigin::Exempt {
        return Err(AppError::WrongState(
            "免申即享申报的数据由平台提供，不能修改；请确认申报或联系市科技局".into(),
        ));
    }
    let now = work.now();
    let at = zijin_store::timestamp(now);
    let ledger = super::measure_ledger(work.tx(), measure, Some(&row.beneficiary)).await?;
    let outcome = evaluate(measure, facts, &row.beneficiary, beijing_date(now), &ledger)?;
    let (hash, sources) = policy_version(&app.policies)?;
    store::keep_policy_version(work.tx(), &hash, &sources, &at).await?;
    let facts_text = serde_json::Value::Object(facts.clone()).to_string();
    let trace =
        serde_json::to_string(&outcome.trace).map_err(|e| AppError::Internal(e.to_string()))?;
    store::update_facts(
        work.tx(),
        id,
        &Computed {
            facts: &facts_text,
            eligible: outcome.eligible,
            amount_fen: fen(outcome.amount)?,
            trace: &trace,
            reasons: &outcome.reasons,
            policy_hash: &hash,
        },
        store::Filing {
            integrity_accepted: input.integrity_accepted,
            account: &account,
        },
        &at,
    )
    .await?;
    work.audit(Change {
        actor: actor.audit_name(),
        action: "application.update",
        entity: "application",
        entity_id: id.to_string(),
        before: Some(json!({ "facts": serde_json::from_str::<serde_json::Value>(&row.facts).ok() })),
        after: Some(json!({ "facts": facts, "amount": outcome.amount.to_string(), "eligible": outcome.eligible })),
    });
    work.commit().await?;
    get(app, actor, id).await
}

/// Submits a draft (or a corrected returned application) within the call's time: the 科研诚信
/// 承诺书 accepted and the measure's conditions met. It goes to the step that waits first.
pub async fn submit(app: &App, actor: &Actor, id: i64) -> AppResult<super::ApplicationView> {
    let (mut work, row, measure) = own_editable(app, actor, id, "不能再次提交").await?;
    let now = work.now();
    let at = zijin_store::timestamp(now);
    let Some(step) = after_submit(row.status, row.step) else {
        return Err(AppError::WrongState("该申报不能提交".into()));
    };
    if row.origin == ApplicationOrigin::Exempt && row.status == ApplicationStatus::Draft {
        return Err(AppError::WrongState(
            "免申即享申报无需提交，请确认意愿并填写收款账户".into(),
        ));
    }
    let mut missing = zijin_domain::FieldErrors::new();
    if !row.integrity_accepted {
        missing.add("integrity_accepted", "请阅读并签署科研诚信承诺书后再提交");
    }
    if !row.account.is_complete() {
        for (field, label, value) in [
            ("bank_name", "开户银行", &row.account.bank),
            ("bank_account", "银行账号", &row.account.number),
            ("account_name", "账户名称", &row.account.name),
        ] {
            if value.is_empty() {
                missing.add(field, format!("请填写{label}，拨付资金时使用"));
            }
        }
    }
    let call = store::get_call(work.tx(), row.call_id)
        .await?
        .ok_or(AppError::NotFound("申报通知"))?;
    let files = zijin_store::application_files::list(&mut **work.tx(), id).await?;
    let documents: &[String] = if row.origin == ApplicationOrigin::Exempt {
        &[]
    } else {
        &call.attachments
    };
    for required in documents {
        if !files.iter().any(|f| &f.requirement == required) {
            missing.add(
                "attachments",
                format!("缺少附件“{required}”，请上传后再提交"),
            );
        }
    }
    if !missing.is_empty() {
        return Err(AppError::Validation(missing));
    }
    // The amount is computed again against today's ledger: a quota filled since the draft
    // was saved is found now, not at 核定.
    let facts: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&row.facts)
        .map_err(|_| AppError::Internal(format!("申报 {id} 的事实无法读取")))?;
    let ledger = super::measure_ledger(work.tx(), measure, Some(&row.beneficiary)).await?;
    let outcome = evaluate(
        measure,
        &facts,
        &row.beneficiary,
        beijing_date(now),
        &ledger,
    )?;
    if !outcome.eligible {
        let mut reasons = outcome.reasons.clone();
        reasons.extend(
            outcome
                .missing_parameters
                .iter()
                .map(|p| format!("“{p}”的标准尚未确定")),
        );
        return Err(AppError::field(
            "facts",
            format!("不符合申报条件：{}", reasons.join("；")),
        ));
    }
    store::set_status(work.tx(), id, ApplicationStatus::InReview, Some(step), &at).await?;
    let units = super::responsible_units(&app.policies, measure);
    super::notify_step(work.tx(), &row, measure, &units, step, &at).await?;
    store::add_event(
        work.tx(),
        id,
        &store::NewEvent {
            action: "submit",
            step: Some(step),
            amount_fen: Some(fen(outcome.amount)?),
            user_id: actor.user().map(|u| u.id),
            ..Default::default()
        },
        &at,
    )
    .await?;
    work.audit(Change {
        actor: actor.audit_name(),
        action: "application.submit",
        entity: "application",
        entity_id: id.to_string(),
        before: Some(json!({ "status": row.status.code(), "step": row.step.map(|s| s.code()) })),
        after: Some(json!({ "status": "in_review", "step": step.code() })),
    });
    work.commit().await?;
    get(app, actor, id).await
}
