//! Moving a match: 有意向 (a side, once), 进入洽谈, 签约 with a confirmation, and 终止 with a
//! required reason and confirmation. A side or the assigned technology manager acts; everyone else around the match
//! is notified; every step is audited.

use serde_json::json;
use zijin_domain::{Coded, MatchStage, MatchStep, TerminationReason};
use zijin_store::audit::Change;
use zijin_store::matches::{self, MatchRow};

use super::{facts_of, match_title, notify_others, stage_of};
use crate::access::{self, MatchSide, MatchVoice};
use crate::unit::UnitOfWork;
use crate::{Actor, App, AppError, AppResult};

/// A side (or the technology manager) takes a step. The steps that close a match cannot be
/// undone and ask for a confirmation: use [`sign`] and [`terminate`] (here they are refused as
/// unconfirmed).
pub async fn take_step(app: &App, actor: &Actor, id: i64, step: MatchStep) -> AppResult<MatchRow> {
    move_match(app, actor, id, step, None).await
}

/// Records the contract (签约): the caller confirms (the form's checkbox), because a signed match
/// is closed for good.
pub async fn sign(app: &App, actor: &Actor, id: i64, confirmed: bool) -> AppResult<MatchRow> {
    move_match(app, actor, id, MatchStep::Sign, Some(("", confirmed))).await
}

/// Ends a match (终止): the reason is required and stored, and the caller must confirm (the
/// form's checkbox 确认终止), because an ended match cannot be reopened.
pub async fn terminate(
    app: &App,
    actor: &Actor,
    id: i64,
    reason: &str,
    confirmed: bool,
) -> AppResult<MatchRow> {
    move_match(
        app,
        actor,
        id,
        MatchStep::Terminate,
        Some((reason, confirmed)),
    )
    .await
}

async fn move_match(
    app: &App,
    actor: &Actor,
    id: i64,
    step: MatchStep,
    // The reason (终止 only) and the confirmation of a step that closes the match.
    confirmation: Option<(&str, bool)>,
) -> AppResult<MatchRow> {
    let mut work = UnitOfWork::begin(app).await?;
    let at = zijin_store::timestamp(work.now());
    let mut row = matches::get_for_update(work.tx(), id)
        .await?
        .ok_or_else(|| access::match_refusal(actor))?;
    let facts = facts_of(&row)?;
    // Who may act is decided before the input is looked at.
    access::require_match_step(actor, &facts, step)?;
    let voice = access::require_match_voice(actor, &facts)?;
    let stage = stage_of(&row)?;
    let next = stage
        .apply(step)
        // The input is fine; the match is not at a stage that allows the step (409).
        .map_err(AppError::WrongState)?;
    let (text, confirmed) = confirmation.unwrap_or(("", false));
    let reason = match step {
        MatchStep::Terminate => Some(TerminationReason::parse(text, confirmed)?),
        MatchStep::Sign if !confirmed => {
            return Err(AppError::field(
                "confirm",
                "签约后对接即告完成、无法撤销，请勾选“确认已签约”",
            ));
        }
        _ => None,
    };
    let before = snapshot(&row);
    let title = match_title(&row);
    let message = match (step, voice) {
        (MatchStep::Interest, MatchVoice::Side(side)) => {
            let already = match side {
                MatchSide::Demand => std::mem::replace(&mut row.demand_interested, true),
                MatchSide::Achievement => std::mem::replace(&mut row.achievement_interested, true),
            };
            if already {
                return Err(AppError::WrongState("已经表示过意向".into()));
            }
            row.interested_at.get_or_insert_with(|| at.clone());
            match side {
                MatchSide::Demand => format!(
                    "需求“{}”的企业对您的成果“{}”表示有意向",
                    row.demand_title, row.achievement_title
                ),
                MatchSide::Achievement => format!(
                    "成果“{}”的单位对您的需求“{}”表示有意向",
                    row.achievement_title, row.demand_title
                ),
            }
        }
        // Interest is a side's own (checked above); the manager never reaches here.
        (MatchStep::Interest, MatchVoice::TechManager) => return Err(AppError::Forbidden),
        (MatchStep::Negotiate, _) => format!("对接{title}已进入洽谈"),
        (MatchStep::Sign, _) => format!("对接{title}已签约"),
        (MatchStep::Terminate, _) => format!(
            "对接{title}已终止，原因：{}",
            reason
                .as_ref()
                .map(TerminationReason::as_str)
                .unwrap_or_default()
        ),
    };
    match next {
        MatchStage::Negotiating if stage != MatchStage::Negotiating => {
            row.negotiating_at = Some(at.clone())
        }
        MatchStage::Signed | MatchStage::Terminated => row.closed_at = Some(at.clone()),
        _ => {}
    }
    if let Some(reason) = &reason {
        row.termination_reason = Some(reason.as_str().to_string());
    }
    row.stage = next.code().to_string();
    row.updated_at = at.clone();
    matches::save(work.tx(), &row, &at).await?;
    notify_others(work.tx(), actor, &row, &message, &at).await?;
    let mut after = snapshot(&row);
    after["by"] = json!(match voice {
        MatchVoice::Side(side) => side.code(),
        MatchVoice::TechManager => "tech-manager",
    });
    work.audit(Change {
        actor: actor.audit_name(),
        action: match step {
            MatchStep::Interest => "match.interest",
            MatchStep::Negotiate => "match.negotiate",
            MatchStep::Sign => "match.sign",
            MatchStep::Terminate => "match.terminate",
        },
        entity: "match",
        entity_id: id.to_string(),
        before: Some(before),
        after: Some(after),
    });
    work.commit().await?;
    Ok(row)
}

fn snapshot(row: &MatchRow) -> serde_json::Value {
    json!({
        "stage": row.stage,
        "demand_interested": row.demand_interested,
        "achievement_interested": row.achievement_interested,
        "termination_reason": row.termination_reason,
    })
}
