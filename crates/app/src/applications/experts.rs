//! 专家评审 (issue 16): the admin assigns at least three experts to an application waiting at
//! the step — never one who works for the applicant or who declared a conflict on it; each
//! expert scores the call's rubric (or declares a conflict, 回避, and is then replaced); the
//! admin closes the step with the experts' mean before them.

use serde_json::json;
use zijin_domain::{MIN_EXPERTS, User, mean_points};
use zijin_store::applications as store;
use zijin_store::audit::Change;
use zijin_store::experts::{self, Assignment};
use zijin_store::notifications::{self, Audience};

use super::{ApplicationView, get, measure, responsible_units};
use crate::access;
use crate::unit::UnitOfWork;
use crate::{Actor, App, AppError, AppResult};

/// The expert review of one application as its reader may see it.
#[derive(Debug, Clone, Default)]
pub struct ExpertReview {
    /// The rubric of the call: (item, full points).
    pub rubric: Vec<(String, u32)>,
    /// The assignments the reader may see: all of them for the bureau, an expert's own for the
    /// expert (experts do not see each other).
    pub assignments: Vec<Assignment>,
    /// Experts who scored, and those still to score (no conflict declared).
    pub scored: usize,
    pub pending: usize,
    /// The mean of the total points, to one decimal (the bureau only).
    pub mean: Option<String>,
}

impl ExpertReview {
    /// The step may close: at least three experts scored and none is still to.
    pub fn complete(&self) -> bool {
        self.scored >= MIN_EXPERTS && self.pending == 0
    }
}

/// The ids of the experts assigned to an application who did not declare a conflict.
pub(crate) fn active_experts(assignments: &[Assignment]) -> Vec<i64> {
    assignments
        .iter()
        .filter(|a| a.conflict.is_none())
        .map(|a| a.expert_id)
        .collect()
}

/// The expert review as the actor may see it (`None` for the applicant and other steps' reviewers).
pub(crate) fn review_for(
    actor: &Actor,
    call: &store::CallRow,
    assignments: Vec<Assignment>,
) -> Option<ExpertReview> {
    if !call.expert_review {
        return None;
    }
    let active: Vec<&Assignment> = assignments
        .iter()
        .filter(|a| a.conflict.is_none())
        .collect();
    let totals: Vec<i64> = active.iter().filter_map(|a| a.total_points).collect();
    let scored = totals.len();
    let pending = active.len() - scored;
    let rubric = call
        .rubric
        .iter()
        .map(|r| (r.item.clone(), r.points))
        .collect();
    let admin = access::standing(actor) == access::Standing::Admin;
    let me = actor.user().map(|u| u.id);
    let visible: Vec<Assignment> = if admin {
        assignments
    } else {
        assignments
            .into_iter()
            .filter(|a| Some(a.expert_id) == me)
            .collect()
    };
    if !admin && visible.is_empty() {
        return None;
    }
    Some(ExpertReview {
        rubric,
        mean: if admin { mean_points(&totals) } else { None },
        assignments: visible,
        scored,
        pending,
    })
}

/// The experts the admin may choose from for an application, each with the reason they may
/// not be assigned (already assigned, declared a conflict, works for the applicant).
pub async fn candidates(
    app: &App,
    actor: &Actor,
    id: i64,
) -> AppResult<Vec<(User, Option<String>)>> {
    let view = get(app, actor, id).await?;
    if !view.capabilities.assign_experts {
        return Ok(Vec::new());
    }
    let assigned = experts::of_application(app.store.pool(), id).await?;
    let pool =
        zijin_store::users::designated(app.store.pool(), zijin_domain::Designation::Expert).await?;
    Ok(pool
        .into_iter()
        .map(|user| {
            let why = match assigned.iter().find(|a| a.expert_id == user.id) {
                Some(a) if a.conflict.is_some() => Some("已声明回避".to_string()),
                Some(_) => Some("已指派".to_string()),
                None => {
                    access::application::expert_conflict(&user, view.application.institution_id)
                        .err()
                        .map(str::to_string)
                }
            };
            (user, why)
        })
        .collect())
}

/// The admin assigns experts (user ids) to an application waiting at 专家评审. Afterwards at
/// least three experts without a conflict must be on it.
pub async fn assign(
    app: &App,
    actor: &Actor,
    id: i64,
    expert_ids: &[i64],
) -> AppResult<ApplicationView> {
    let mut work = UnitOfWork::begin(app).await?;
    let at = zijin_store::timestamp(work.now());
    let row = store::get_application_for_update(work.tx(), id)
        .await?
        .ok_or_else(|| access::application_refusal(actor))?;
    let measure = measure(&app.policies, &row.measure_id)?;
    let units = responsible_units(&app.policies, measure);
    let assigned = experts::of_application(&mut **work.tx(), id).await?;
    let active = active_experts(&assigned);
    let capabilities =
        access::require_application_read(actor, &super::access_facts(&row, &units, &active))?;
    if !capabilities.assign_experts {
        return Err(match access::standing(actor) {
            access::Standing::Admin => {
                AppError::WrongState("该申报不在专家评审环节，不能指派专家".into())
            }
            _ => access::refusal(actor),
        });
    }
    let mut errors = zijin_domain::FieldErrors::new();
    let mut chosen: Vec<User> = Vec::new();
    for &expert_id in expert_ids {
        if chosen.iter().any(|u| u.id == expert_id) {
            continue;
        }
        let Some(user) = zijin_store::users::get(&mut **work.tx(), expert_id).await? else {
            errors.add("experts", "所选专家不存在");
            continue;
        };
        if let Some(a) = assigned.iter().find(|a| a.expert_id == expert_id) {
            errors.add(
                "experts",
                if a.conflict.is_some() {
                    format!("专家“{}”已对该申报声明回避，不能再指派", user.display_name)
                } else {
                    format!("专家“{}”已指派过", user.display_name)
                },
            );
            continue;
        }
        if let Err(why) = access::application::expert_conflict(&user, row.institution_id) {
            errors.add("experts", format!("不能指派“{}”：{why}", user.display_name));
            continue;
        }
        chosen.push(user);
    }
    if expert_ids.is_empty() {
        errors.add("experts", "请选择要指派的专家");
    } else if errors.is_empty() && active.len() + chosen.len() < MIN_EXPERTS {
        errors.add(
            "experts",
            format!(
                "专家评审至少需要 {MIN_EXPERTS} 位专家，已指派 {} 位，本次选择了 {} 位",
                active.len(),
                chosen.len()
            ),
        );
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    for user in &chosen {
        experts::assign(work.tx(), id, user.id, actor.user().map(|u| u.id), &at).await?;
        notifications::notify_user(
            work.tx(),
            user.id,
            &format!("请评审“{}”申报的“{}”", row.institution_name, measure.name),
            &format!("/applications/{id}"),
            &at,
        )
        .await?;
    }
    work.audit(Change {
        actor: actor.audit_name(),
        action: "application.experts-assign",
        entity: "application",
        entity_id: id.to_string(),
        before: Some(json!({ "experts": active })),
        after: Some(json!({ "assigned": chosen.iter().map(|u| u.id).collect::<Vec<_>>() })),
    });
    work.commit().await?;
    get(app, actor, id).await
}

/// What an expert hands in: points per rubric item (in the rubric's order) and a comment.
#[derive(Debug, Clone, Default)]
pub struct ScoreInput {
    pub scores: Vec<String>,
    pub comment: String,
}

/// An assigned expert scores the application (again, while the step waits).
pub async fn score(
    app: &App,
    actor: &Actor,
    id: i64,
    input: &ScoreInput,
) -> AppResult<ApplicationView> {
    let (mut work, row, call, assigned) = expert_unit(app, actor, id).await?;
    let at = zijin_store::timestamp(work.now());
    let mut errors = zijin_domain::FieldErrors::new();
    if input.scores.len() != call.rubric.len() {
        errors.add(
            "scores",
            format!("请为全部 {} 个评分项打分", call.rubric.len()),
        );
    }
    let mut points = Vec::new();
    for (item, text) in call.rubric.iter().zip(&input.scores) {
        match text.trim().parse::<u32>() {
            Ok(p) if p <= item.points => points.push(p),
            Ok(_) => errors.add("scores", format!("“{}”最多 {} 分", item.item, item.points)),
            Err(_) if text.trim().is_empty() => {
                errors.add("scores", format!("请为“{}”打分", item.item))
            }
            Err(_) => errors.add(
                "scores",
                format!("“{}”的得分应为 0 至 {} 的整数", item.item, item.points),
            ),
        }
    }
    let comment = input.comment.trim();
    if comment.chars().count() > 2_000 {
        errors.add("comment", "评审意见最多 2,000 个字");
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let expert = actor
        .user()
        .map(|u| u.id)
        .ok_or_else(|| access::refusal(actor))?;
    experts::score(work.tx(), id, expert, &points, comment, &at).await?;
    // The last score completes the step: the bureau is told it may close it.
    let others_pending = assigned
        .iter()
        .filter(|a| a.conflict.is_none() && a.expert_id != expert && a.total_points.is_none())
        .count();
    let scored = 1 + assigned
        .iter()
        .filter(|a| a.conflict.is_none() && a.expert_id != expert && a.total_points.is_some())
        .count();
    if others_pending == 0 && scored >= MIN_EXPERTS {
        notifications::notify_audience(
            work.tx(),
            Audience::Admins,
            &format!(
                "“{}”申报的专家评审已完成，请进行下一步",
                row.institution_name
            ),
            &format!("/applications/{id}"),
            &at,
        )
        .await?;
    }
    work.audit(Change {
        actor: actor.audit_name(),
        action: "application.expert-score",
        entity: "application",
        entity_id: id.to_string(),
        before: None,
        after: Some(json!({ "scores": points, "comment": comment })),
    });
    work.commit().await?;
    get(app, actor, id).await
}

/// An assigned expert declares a conflict of interest (回避) with the reason; the bureau is told
/// to assign another.
pub async fn declare_conflict(app: &App, actor: &Actor, id: i64, reason: &str) -> AppResult<()> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::field("reason", "请说明回避的原因"));
    }
    if reason.chars().count() > 500 {
        return Err(AppError::field("reason", "回避原因最多 500 个字"));
    }
    let (mut work, row, _call, _) = expert_unit(app, actor, id).await?;
    let at = zijin_store::timestamp(work.now());
    let expert = actor
        .user()
        .map(|u| u.id)
        .ok_or_else(|| access::refusal(actor))?;
    experts::declare_conflict(work.tx(), id, expert, reason, &at).await?;
    notifications::notify_audience(
        work.tx(),
        Audience::Admins,
        &format!(
            "一位专家对“{}”的申报声明回避，请补充指派专家",
            row.institution_name
        ),
        &format!("/applications/{id}"),
        &at,
    )
    .await?;
    work.audit(Change {
        actor: actor.audit_name(),
        action: "application.expert-conflict",
        entity: "application",
        entity_id: id.to_string(),
        before: None,
        after: Some(json!({ "reason": reason })),
    });
    work.commit().await?;
    // The expert no longer reads the application once they stood down.
    Ok(())
}

/// Opens the unit of work for an assigned expert's act at 专家评审.
async fn expert_unit(
    app: &App,
    actor: &Actor,
    id: i64,
) -> AppResult<(
    UnitOfWork,
    store::ApplicationRow,
    store::CallRow,
    Vec<Assignment>,
)> {
    let mut work = UnitOfWork::begin(app).await?;
    let row = store::get_application_for_update(work.tx(), id)
        .await?
        .ok_or_else(|| access::application_refusal(actor))?;
    let measure = measure(&app.policies, &row.measure_id)?;
    let units = responsible_units(&app.policies, measure);
    let assigned = experts::of_application(&mut **work.tx(), id).await?;
    let active = active_experts(&assigned);
    let capabilities =
        access::require_application_read(actor, &super::access_facts(&row, &units, &active))?;
    if !capabilities.score {
        return Err(
            if access::application::assigned_expert(
                actor,
                &super::access_facts(&row, &units, &active),
            ) {
                AppError::WrongState("该申报已不在专家评审环节，不能再评分".into())
            } else {
                access::refusal(actor)
            },
        );
    }
    let call = store::get_call(work.tx(), row.call_id)
        .await?
        .ok_or(AppError::NotFound("申报通知"))?;
    Ok((work, row, call, assigned))
}

/// The applications waiting for the actor's scores (an expert's 待评审).
pub async fn queue(app: &App, actor: &Actor) -> AppResult<Vec<store::ApplicationRow>> {
    let Some(user) = actor.user().filter(|u| u.is_expert) else {
        return Ok(Vec::new());
    };
    let filter = store::ApplicationFilter {
        expert_id: Some(user.id),
        ..Default::default()
    };
    Ok(store::list_applications(app.store.pool(), &filter).await?)
}
