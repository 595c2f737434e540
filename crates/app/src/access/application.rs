//! Who may read, change and decide an application (申报, issue 16).
//!
//! - The applicant's institution reads and edits its own (drafts only it can see).
//! - 区级初审推荐: the district officer of the applicant's district reads the district's
//!   submitted applications and decides at the district step.
//! - 责任单位审核: a reviewer whose responsible unit the measure names reads the measure's
//!   submitted applications and decides at the unit step; a reviewer of another unit does not
//!   learn the application exists.
//! - 专家评审: an expert (an account flagged 评审专家) the admin assigned, who has not declared a
//!   conflict, reads the application and scores it while it waits at that step; the admin
//!   assigns the experts and closes the step.
//! - 市级核定: the bureau's admin reads everything submitted and decides the final step.

use serde::Serialize;
use zijin_domain::{ApplicationStatus, Coded, ReviewStep};

use super::{Standing, refusal, standing};
use crate::{Actor, AppError, AppResult};

/// What the access rules need to know of an application.
#[derive(Debug, Clone)]
pub struct ApplicationFacts<'a> {
    pub institution_id: i64,
    /// The applicant institution's district code.
    pub district: &'a str,
    pub status: ApplicationStatus,
    pub step: Option<ReviewStep>,
    /// The responsible units the measure (or its article) names, as the policy file writes them.
    pub responsible_units: &'a [String],
    /// The experts assigned to it who have not declared a conflict (user ids).
    pub experts: &'a [i64],
}

/// What an actor may do with one application; pages show buttons and the API the
/// `capabilities` object from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ApplicationCapabilities {
    pub read: bool,
    /// Change facts and submit (the applicant; draft or returned).
    pub edit: bool,
    /// The step the actor may decide now, if any.
    #[serde(serialize_with = "step_code")]
    pub decide: Option<ReviewStep>,
    /// Score it now, or declare a conflict (an assigned expert at 专家评审).
    pub score: bool,
    /// Assign experts now (the admin at 专家评审).
    pub assign_experts: bool,
}

fn step_code<S: serde::Serializer>(
    step: &Option<ReviewStep>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match step {
        Some(step) => serializer.serialize_some(step.code()),
        None => serializer.serialize_none(),
    }
}

/// Is the actor a reviewer of a unit the measure names?
fn unit_reviewer(actor: &Actor, units: &[String]) -> bool {
    match actor.user().map(|u| u.role) {
        Some(zijin_domain::UserRole::Reviewer(unit)) => units.iter().any(|u| u == unit.label()),
        _ => false,
    }
}

/// The review step this actor's role acts at for this application (whether or not it waits
/// there now).
pub fn step_of_actor(actor: &Actor, facts: &ApplicationFacts<'_>) -> Option<ReviewStep> {
    match standing(actor) {
        // The bureau closes 专家评审 (with the experts' mean before it) and decides 市级核定.
        Standing::Admin if facts.step == Some(ReviewStep::Experts) => Some(ReviewStep::Experts),
        Standing::Admin => Some(ReviewStep::Final),
        Standing::DistrictOfficer(district) if district.code() == facts.district => {
            Some(ReviewStep::District)
        }
        Standing::Reviewer if unit_reviewer(actor, facts.responsible_units) => {
            Some(ReviewStep::Unit)
        }
        _ => None,
    }
}

pub fn application_capabilities(
    actor: &Actor,
    facts: &ApplicationFacts<'_>,
) -> ApplicationCapabilities {
    let owner = standing(actor) == Standing::InstitutionUser(facts.institution_id);
    let submitted =
        facts.status != ApplicationStatus::Draft && facts.status != ApplicationStatus::Withdrawn;
    let reviewer_step = step_of_actor(actor, facts);
    let expert = assigned_expert(actor, facts);
    let read = owner || (submitted && (reviewer_step.is_some() || expert));
    let at_experts =
        facts.status == ApplicationStatus::InReview && facts.step == Some(ReviewStep::Experts);
    let decide = reviewer_step
        .filter(|step| facts.status == ApplicationStatus::InReview && facts.step == Some(*step));
    ApplicationCapabilities {
        read,
        edit: owner && facts.status.editable(),
        decide,
        score: expert && at_experts,
        assign_experts: standing(actor) == Standing::Admin && at_experts,
    }
}

/// Is the actor an expert assigned to this application (still flagged, no conflict declared)?
/// Never one of the applicant's own users.
pub fn assigned_expert(actor: &Actor, facts: &ApplicationFacts<'_>) -> bool {
    actor.user().is_some_and(|user| {
        user.is_expert
            && facts.experts.contains(&user.id)
            && user.role != zijin_domain::UserRole::InstitutionUser(facts.institution_id)
    })
}

/// Whether an account may be assigned as expert to an application of `institution_id`: it is
/// flagged 评审专家, may log in, and does not work for the applicant. `Err` says why not.
pub fn expert_conflict(
    expert: &zijin_domain::User,
    institution_id: i64,
) -> Result<(), &'static str> {
    if !expert.is_expert || expert.disabled {
        return Err("不是在册的评审专家");
    }
    if expert.role == zijin_domain::UserRole::InstitutionUser(institution_id) {
        return Err("与申报单位存在利益关系（本单位人员），应当回避");
    }
    Ok(())
}

/// Refuses an actor who may not read the application: anonymous visitors are asked to sign
/// in; anyone else is told it does not exist.
pub fn require_application_read(
    actor: &Actor,
    facts: &ApplicationFacts<'_>,
) -> AppResult<ApplicationCapabilities> {
    let capabilities = application_capabilities(actor, facts);
    if capabilities.read {
        Ok(capabilities)
    } else {
        Err(application_refusal(actor))
    }
}

/// The refusal for an application one may not see.
pub fn application_refusal(actor: &Actor) -> AppError {
    match actor {
        Actor::Anonymous => AppError::Unauthenticated,
        _ => AppError::NotFound("申报"),
    }
}

/// The step the actor decides now, or the refusal: not theirs to see (not found), or not
/// waiting for them (a state conflict naming the step that waits).
pub fn require_application_decision(
    actor: &Actor,
    facts: &ApplicationFacts<'_>,
) -> AppResult<ReviewStep> {
    let capabilities = require_application_read(actor, facts)?;
    if let Some(step) = capabilities.decide {
        return Ok(step);
    }
    if step_of_actor(actor, facts).is_none() {
        return Err(refusal(actor));
    }
    Err(AppError::WrongState(match (facts.status, facts.step) {
        (ApplicationStatus::InReview, Some(step)) => {
            format!("该申报正在“{}”环节，不由您审核", step.label())
        }
        (status, _) => format!("该申报{}，无需审核", status.label()),
    }))
}

/// Which applications a review queue lists for this actor: by district, by measures of the
/// actor's unit, or all (admin). `None`: the actor has no queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewQueue {
    District(String),
    /// A reviewer: the label of their unit (matched against the measures' responsible units).
    Unit(String),
    All,
}

pub fn review_queue(actor: &Actor) -> AppResult<ReviewQueue> {
    match (standing(actor), actor.user().map(|u| u.role)) {
        (Standing::Admin, _) => Ok(ReviewQueue::All),
        (Standing::DistrictOfficer(district), _) => {
            Ok(ReviewQueue::District(district.code().to_string()))
        }
        (Standing::Reviewer, Some(zijin_domain::UserRole::Reviewer(unit))) => {
            Ok(ReviewQueue::Unit(unit.label().to_string()))
        }
        _ => Err(refusal(actor)),
    }
}
