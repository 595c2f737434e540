//! A 核定 evaluated again: with the policy files kept with the decision, and with today's
//! files, on the decision's date, against the ledger as it stood then (the entries made before
//! this one). Says whether either differs from the amount computed at the time.

use rust_decimal::Decimal;
use zijin_domain::LedgerState;
use zijin_policy::{PolicySources, Step};
use zijin_store::applications as store;

use super::{beijing_date, evaluate, grants, policy_version, yuan};
use crate::{Actor, App, AppError, AppResult, access};

/// One evaluation of the replay.
#[derive(Debug, Clone)]
pub struct Replayed {
    /// The version of the policy files used (SHA-256).
    pub policy_version: String,
    pub eligible: bool,
    pub amount: Decimal,
    pub trace: Vec<Step>,
    /// Differs from what was computed at the decision.
    pub differs: bool,
}

#[derive(Debug, Clone)]
pub struct Replay {
    pub application: i64,
    pub decided_at: String,
    /// What the engine computed at the decision, and what the bureau fixed.
    pub computed: Decimal,
    pub approved: Decimal,
    pub with_decision_files: Replayed,
    pub with_current_files: Replayed,
}

/// Replays the 核定 of an application (admins; the command line acts as one).
pub async fn replay(app: &App, actor: &Actor, id: i64) -> AppResult<Replay> {
    access::require(actor, access::Area::Ledger)?;
    let pool = app.store.pool();
    let row = store::get_application(pool, id)
        .await?
        .ok_or(AppError::NotFound("申报"))?;
    let event = store::approval_event(pool, id)
        .await?
        .ok_or_else(|| AppError::WrongState("该申报尚未核定，没有可复核的决定".into()))?;
    let (Some(facts), Some(_), Some(hash)) = (&event.facts, &event.trace, &event.policy_hash)
    else {
        return Err(AppError::Internal(format!("申报 {id} 的核定记录不完整")));
    };
    let facts: serde_json::Map<String, serde_json::Value> = serde_json::from_str(facts)
        .map_err(|_| AppError::Internal(format!("申报 {id} 的事实无法读取")))?;
    // At 核定 the application keeps the amount the engine computed then.
    let computed_then = yuan(row.amount_fen);
    let decided = zijin_store::parse_timestamp(&event.at)?;
    let on = beijing_date(decided);
    // The ledger as it stood: entries of the measure made before this one, and still live
    // at the decision.
    let all = store::entries_of_measure_all(pool, &row.measure_id).await?;
    let own = all
        .iter()
        .find(|e| e.application_id == id)
        .map_or(i64::MAX, |e| e.id);
    let before: Vec<_> = all
        .into_iter()
        .filter(|e| e.id < own && (e.state != LedgerState::Released || e.updated_at > event.at))
        .map(|mut e| {
            e.state = LedgerState::Reserved;
            e
        })
        .collect();
    let ledger = grants(&before)?;
    let kept = store::policy_version(pool, hash)
        .await?
        .ok_or_else(|| AppError::Internal(format!("政策文件版本 {hash} 未保存")))?;
    let sources: PolicySources = serde_json::from_str(&kept)
        .map_err(|_| AppError::Internal(format!("政策文件版本 {hash} 无法读取")))?;
    let then = sources.compile().map_err(|problems| {
        AppError::Internal(format!("保存的政策文件无法编译：{} 处问题", problems.len()))
    })?;
    let run = |set: &zijin_policy::PolicySet, version: String| -> AppResult<Replayed> {
        let measure = set
            .measure(&row.measure_id)
            .ok_or(AppError::NotFound("政策措施"))?;
        let outcome = evaluate(measure, &facts, &row.beneficiary, on, &ledger)?;
        Ok(Replayed {
            policy_version: version,
            eligible: outcome.eligible,
            differs: outcome.amount != computed_then || !outcome.eligible,
            amount: outcome.amount,
            trace: outcome.trace,
        })
    };
    let (current_version, _) = policy_version(&app.policies)?;
    Ok(Replay {
        application: id,
        decided_at: event.at.clone(),
        computed: computed_then,
        approved: yuan(event.amount_fen.unwrap_or(0)),
        with_decision_files: run(&then, hash.clone())?,
        with_current_files: run(&app.policies, current_version)?,
    })
}
