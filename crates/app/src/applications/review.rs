//! A review step decides: approve, return for correction (with a comment) or reject (with the
//! reason). At 市级核定 the amount is computed again by the policy engine from the reviewed
//! facts against the ledger, the admin may lower it (with a reason) but never raise it, and it
//! is reserved in the ledger — all under the measure's lock in one transaction, so two
//! approvals at the same moment (any process, either backend) never exceed an annual cap, a
//! one-time rule, a quota or the call's budget.

use rust_decimal::Decimal;
use serde_json::json;
use zijin_domain::{Coded, Decision, Money, ReviewStep, after_decision};
use zijin_store::applications::{self as store, NewLedgerEntry};
use zijin_store::audit::Change;

use super::{beijing_date, evaluate, fen, get, measure, policy_version, yuan};
use crate::access;
use crate::unit::UnitOfWork;
use crate::{Actor, App, AppError, AppResult};

/// A decision as the reviewer writes it.
#[derive(Debug, Clone, Default)]
pub struct DecisionInput {
    /// approve, return or reject (codes or Chinese labels).
    pub decision: String,
    pub comment: String,
    /// At 市级核定: the amount to fix, yuan as a decimal string (default: the computed amount).
    pub amount: Option<String>,
}

/// Decides the step that waits for the actor.
pub async fn decide(
    app: &App,
    actor: &Actor,
    id: i64,
    input: &DecisionInput,
) -> AppResult<super::ApplicationView> {
    let mut work = UnitOfWork::begin(app).await?;
    let now = work.now();
    let at = zijin_store::timestamp(now);
    let row = store::get_application_for_update(work.tx(), id)
        .await?
        .ok_or_else(|| access::application_refusal(actor))?;
    let measure = measure(&app.policies, &row.measure_id)?;
    let units = super::responsible_units(&app.policies, measure);
    // Who may decide is settled before the input is looked at.
    let assignments = zijin_store::experts::of_application(&mut **work.tx(), id).await?;
    let active = super::experts::active_experts(&assignments);
    let step =
        access::require_application_decision(actor, &super::access_facts(&row, &units, &active))?;
    let decision = Decision::from_code(&input.decision)
        .ok_or_else(|| AppError::field("decision", "请选择审核意见：通过、退回修改或不予通过"))?;
    let comment = input.comment.trim();
    if comment.chars().count() > 2_000 {
        return Err(AppError::field("comment", "意见最多 2,000 个字"));
    }
    match decision {
        Decision::Return if comment.is_empty() => {
            return Err(AppError::field("comment", "退回修改时请写明需要修改的内容"));
        }
        Decision::Reject if comment.is_empty() => {
            return Err(AppError::field("comment", "不予通过时请写明理由"));
        }
        _ => {}
    }
    if input
        .amount
        .as_deref()
        .is_some_and(|a| !a.trim().is_empty())
        && (step != ReviewStep::Final || decision != Decision::Approve)
    {
        return Err(AppError::field(
            "amount",
            "只有市级核定通过时才填写核定金额",
        ));
    }
    let call = store::get_call(work.tx(), row.call_id)
        .await?
        .ok_or(AppError::NotFound("申报通知"))?;
    let Some((status, waiting)) =
        after_decision(row.status, row.step, step, decision, call.expert_review)
    else {
        return Err(AppError::WrongState("该申报当前不能审核".into()));
    };
    // 专家评审 passes only on the scores of at least three experts, none still to score.
    let mut comment_text = comment.to_string();
    if step == ReviewStep::Experts && decision == Decision::Approve {
        let review = super::experts::review_for(actor, &call, assignments.clone())
            .ok_or_else(|| AppError::WrongState("本通知未设专家评审".into()))?;
        if !review.complete() {
            return Err(AppError::WrongState(format!(
                "专家评审尚未完成：已有 {} 位专家评分，{} 位未评分；至少需要 {} 位专家评分且全部评完",
                review.scored,
                review.pending,
                zijin_domain::MIN_EXPERTS
            )));
        }
        if let Some(mean) = &review.mean {
            let prefix = format!("专家评审平均分 {mean} 分");
            comment_text = if comment.is_empty() {
                prefix
            } else {
                format!("{prefix}；{comment}")
            };
        }
    }
    let comment = comment_text.as_str();
    let mut event = store::NewEvent {
        action: decision.code(),
        step: Some(step),
        comment,
        user_id: actor.user().map(|u| u.id),
        ..Default::default()
    };
    let (facts_text, trace_text, hash);
    let mut approved = None;
    if step == ReviewStep::Final && decision == Decision::Approve {
        // One 核定 of this measure at a time: the ledger read below is the ledger written.
        store::lock_measure(work.tx(), &row.measure_id).await?;
        let facts: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&row.facts)
            .map_err(|_| AppError::Internal(format!("申报 {id} 的事实无法读取")))?;
        let ledger = super::measure_ledger(work.tx(), measure, Some(&row.beneficiary)).await?;
        let on = beijing_date(now);
        let outcome = evaluate(measure, &facts, &row.beneficiary, on, &ledger)?;
        if !outcome.eligible {
            let mut reasons = outcome.reasons.clone();
            reasons.extend(
                outcome
                    .missing_parameters
                    .iter()
                    .map(|p| format!("“{p}”的标准尚未确定")),
            );
            return Err(AppError::WrongState(format!(
                "不能核定：{}",
                reasons.join("；")
            )));
        }
        let computed = outcome.amount;
        let amount = match input
            .amount
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
        {
            None => computed,
            Some(text) => {
                let money = Money::parse_yuan_or_wan(text)
                    .map_err(|error| AppError::field("amount", format!("核定金额：{error}")))?;
                money.decimal()
            }
        };
        if amount > computed {
            return Err(AppError::field(
                "amount",
                format!(
                    "核定金额不能高于按政策计算的 {} 元",
                    zijin_policy::money_text(computed)
                ),
            ));
        }
        if amount < computed && comment.is_empty() {
            return Err(AppError::field(
                "comment",
                "核定金额低于计算金额时请写明理由",
            ));
        }
        if amount <= Decimal::ZERO {
            return Err(AppError::field("amount", "核定金额应大于零"));
        }
        let amount_fen = fen(amount)?;
        let budget = call
            .measures
            .iter()
            .find(|(m, _)| *m == row.measure_id)
            .map(|(_, b)| *b)
            .unwrap_or(0);
        let committed = store::committed_budget(&mut **work.tx(), call.id, &row.measure_id).await?;
        if committed + amount_fen > budget {
            return Err(AppError::BudgetExceeded(format!(
                "本通知“{}”的预算 {} 元已核定 {} 元，余额 {} 元，不足以核定 {} 元",
                measure.name,
                zijin_policy::money_text(yuan(budget)),
                zijin_policy::money_text(yuan(committed)),
                zijin_policy::money_text(yuan(budget - committed)),
                zijin_policy::money_text(amount),
            )));
        }
        store::reserve(
            work.tx(),
            &NewLedgerEntry {
                application_id: id,
                call_id: call.id,
                measure_id: &row.measure_id,
                institution_id: row.institution_id,
                beneficiary: &row.beneficiary,
                granted_on: &on.to_string(),
                amount_fen,
            },
            &at,
        )
        .await?;
        facts_text = row.facts.clone();
        trace_text =
            serde_json::to_string(&outcome.trace).map_err(|e| AppError::Internal(e.to_string()))?;
        store::set_approved_amount(work.tx(), id, fen(computed)?, &trace_text, amount_fen).await?;
        let (version, sources) = policy_version(&app.policies)?;
        store::keep_policy_version(work.tx(), &version, &sources, &at).await?;
        hash = version;
        event.amount_fen = Some(amount_fen);
        event.facts = Some(&facts_text);
        event.trace = Some(&trace_text);
        event.policy_hash = Some(&hash);
        approved = Some((computed, amount));
    }
    store::set_status(work.tx(), id, status, waiting, &at).await?;
    store::add_event(work.tx(), id, &event, &at).await?;
    let message = match (decision, approved) {
        (Decision::Approve, Some((_, amount))) => format!(
            "您的申报“{}”已通过市级核定，核定金额 {} 元",
            measure.name,
            zijin_policy::money_text(amount)
        ),
        (Decision::Approve, None) => format!("您的申报“{}”已通过{}", measure.name, step.label()),
        (Decision::Return, _) => format!(
            "您的申报“{}”在{}被退回修改：{comment}",
            measure.name,
            step.label()
        ),
        (Decision::Reject, _) => format!(
            "您的申报“{}”在{}未通过：{comment}",
            measure.name,
            step.label()
        ),
    };
    zijin_store::notifications::notify(
        work.tx(),
        row.institution_id,
        &message,
        &format!("/applications/{id}"),
        &at,
    )
    .await?;
    if let (zijin_domain::ApplicationStatus::InReview, Some(next)) = (status, waiting) {
        super::notify_step(work.tx(), &row, measure, &units, next, &at).await?;
    }
    work.audit(Change {
        actor: actor.audit_name(),
        action: match decision {
            Decision::Approve => "application.approve",
            Decision::Return => "application.return",
            Decision::Reject => "application.reject",
        },
        entity: "application",
        entity_id: id.to_string(),
        before: Some(json!({ "status": row.status.code(), "step": row.step.map(|s| s.code()) })),
        after: Some(json!({
            "status": status.code(),
            "step": waiting.map(|s| s.code()),
            "comment": comment,
            "computed": approved.map(|(c, _)| c.to_string()),
            "approved": approved.map(|(_, a)| a.to_string()),
        })),
    });
    work.commit().await?;
    get(app, actor, id).await
}
