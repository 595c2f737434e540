//! The deal flow on a match (issue 15): who may read a match, move it, talk in its thread
//! (洽谈), see the other side's contacts, assign a technology manager (技术经理人), and read the
//! other side's record before it is listed. Part of [`crate::access`], the one place that
//! decides permissions.
//!
//! | on one match | side (either institution) | its technology manager | admin | anyone else |
//! |---|---|---|---|---|
//! | read the match and its thread | ✓ | ✓ | ✓ (read only) | not found |
//! | mark interest (有意向) | own side, once | – | – | not found |
//! | negotiate, sign, end (终止, with a reason) | ✓ | ✓ | – | not found |
//! | post in the thread (while open) | ✓ | ✓ | – | not found |
//! | the other side's full contacts | after both marked interest | both sides' | – | – |
//! | assign a technology manager (while open) | – | – | ✓ | – |
//! | read the other side's record (reviewed, not yet listed) | ✓ | both | (already) | – |
//!
//! A technology manager acts only on the matches assigned to them and only while their account
//! is flagged; their steps are their own (audited under their name), never a side's interest.

use serde::Serialize;
use zijin_domain::{MatchStage, MatchStep, RecordKind, RecordStatus};

use super::{MatchSide, RecordCapabilities, Standing, allow, refusal, standing};
use crate::{Actor, AppError, AppResult};

/// What the rules need to know of one match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatchFacts {
    pub demand_owner: i64,
    pub achievement_owner: i64,
    pub tech_manager_id: Option<i64>,
    pub stage: MatchStage,
    pub demand_interested: bool,
    pub achievement_interested: bool,
}

/// Who speaks in a match's thread or takes its steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchVoice {
    /// One of the two institutions.
    Side(MatchSide),
    /// The technology manager assigned to the match.
    TechManager,
}

/// How an actor stands to one match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Standings {
    side: Option<MatchSide>,
    tech_manager: bool,
    admin: bool,
}

impl Standings {
    fn of(actor: &Actor, facts: &MatchFacts) -> Self {
        let who = standing(actor);
        let side = match who {
            Standing::InstitutionUser(id) if id == facts.demand_owner => Some(MatchSide::Demand),
            Standing::InstitutionUser(id) if id == facts.achievement_owner => {
                Some(MatchSide::Achievement)
            }
            _ => None,
        };
        Self {
            side,
            tech_manager: is_assigned_tech_manager(actor, facts.tech_manager_id),
            admin: who == Standing::Admin,
        }
    }

    fn reads(self) -> bool {
        self.side.is_some() || self.tech_manager || self.admin
    }

    fn moves(self) -> bool {
        self.side.is_some() || self.tech_manager
    }
}

/// Is the actor the flagged technology manager `assigned` names?
fn is_assigned_tech_manager(actor: &Actor, assigned: Option<i64>) -> bool {
    actor
        .user()
        .is_some_and(|user| user.is_tech_manager && Some(user.id) == assigned)
}

/// Is the actor an account flagged as technology manager?
pub fn is_tech_manager(actor: &Actor) -> bool {
    actor.user().is_some_and(|user| user.is_tech_manager)
}

/// What an actor may do with one match. Returned with the match; pages show the buttons and
/// forms from it and the API returns it as `capabilities`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct MatchCapabilities {
    /// See the match and its thread.
    pub read: bool,
    /// Mark interest (有意向) for one's own side.
    pub interest: bool,
    /// Move it to negotiation (进入洽谈).
    pub negotiate: bool,
    /// Record the contract (签约).
    pub sign: bool,
    /// End it (终止), with a reason and a confirmation.
    pub terminate: bool,
    /// Post a message in the thread.
    pub post_message: bool,
    /// See the other side's contacts in full (a technology manager: both sides').
    pub see_contacts: bool,
    /// Assign or remove its technology manager.
    pub assign_tech_manager: bool,
}

impl MatchCapabilities {
    pub fn may_take(&self, step: MatchStep) -> bool {
        match step {
            MatchStep::Interest => self.interest,
            MatchStep::Negotiate => self.negotiate,
            MatchStep::Sign => self.sign,
            MatchStep::Terminate => self.terminate,
        }
    }
}

/// The capabilities of an actor on one match.
pub fn match_capabilities(actor: &Actor, facts: &MatchFacts) -> MatchCapabilities {
    let who = Standings::of(actor, facts);
    if !who.reads() {
        return MatchCapabilities::default();
    }
    let follows = |step| facts.stage.apply(step).is_ok();
    let own_interest = match who.side {
        Some(MatchSide::Demand) => facts.demand_interested,
        Some(MatchSide::Achievement) => facts.achievement_interested,
        None => true,
    };
    let mutual = facts.demand_interested && facts.achievement_interested;
    MatchCapabilities {
        read: true,
        interest: who.side.is_some() && !own_interest && follows(MatchStep::Interest),
        negotiate: who.moves() && follows(MatchStep::Negotiate),
        sign: who.moves() && follows(MatchStep::Sign),
        terminate: who.moves() && follows(MatchStep::Terminate),
        post_message: who.moves() && facts.stage.is_open(),
        see_contacts: who.tech_manager || (who.side.is_some() && mutual),
        assign_tech_manager: who.admin && facts.stage.is_open(),
    }
}

/// The refusal for a match one may not read: sign in first, or "not found" (its existence is
/// not revealed).
pub fn match_refusal(actor: &Actor) -> AppError {
    match actor {
        Actor::Anonymous => AppError::Unauthenticated,
        _ => AppError::NotFound("对接记录"),
    }
}

/// May the actor read this match? The capabilities, or the refusal.
pub fn require_match_read(actor: &Actor, facts: &MatchFacts) -> AppResult<MatchCapabilities> {
    let capabilities = match_capabilities(actor, facts);
    if capabilities.read {
        Ok(capabilities)
    } else {
        Err(match_refusal(actor))
    }
}

/// May the actor take `step` as far as who they are goes? Whether the step follows from the
/// stage is the domain's [`MatchStage::apply`] (refused as invalid input, not as forbidden).
pub fn require_match_step(actor: &Actor, facts: &MatchFacts, step: MatchStep) -> AppResult<()> {
    let who = Standings::of(actor, facts);
    if !who.reads() {
        return Err(match_refusal(actor));
    }
    // Interest is a side's own decision; the other steps the technology manager may take for
    // the process.
    let allowed = match step {
        MatchStep::Interest => who.side.is_some(),
        _ => who.moves(),
    };
    allow(actor, allowed)
}

/// In whose name the actor posts in the thread or takes a step: their side, else as the
/// assigned technology manager; the refusal for readers who may not speak (admins).
pub fn require_match_voice(actor: &Actor, facts: &MatchFacts) -> AppResult<MatchVoice> {
    let who = Standings::of(actor, facts);
    if !who.reads() {
        return Err(match_refusal(actor));
    }
    match (who.side, who.tech_manager) {
        (Some(side), _) => Ok(MatchVoice::Side(side)),
        (None, true) => Ok(MatchVoice::TechManager),
        (None, false) => Err(refusal(actor)),
    }
}

/// May the actor assign a technology manager to this match (admins)?
pub fn require_assign_tech_manager(actor: &Actor, facts: &MatchFacts) -> AppResult<()> {
    let who = Standings::of(actor, facts);
    if !who.reads() {
        return Err(match_refusal(actor));
    }
    allow(actor, who.admin)
}

/// Whose contacts the actor sees in full on this match: a side, the other side's once both
/// marked interest; the technology manager, both sides'.
pub fn revealed_contacts(actor: &Actor, facts: &MatchFacts) -> Vec<MatchSide> {
    let who = Standings::of(actor, facts);
    if who.tech_manager {
        return vec![MatchSide::Demand, MatchSide::Achievement];
    }
    match who.side {
        Some(side) if facts.demand_interested && facts.achievement_interested => {
            vec![side.other()]
        }
        _ => Vec::new(),
    }
}

/// Who stands around one match of a record: the two owning institutions and the assigned
/// technology manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatchParties {
    pub demand_owner: i64,
    pub achievement_owner: i64,
    pub tech_manager_id: Option<i64>,
}

/// The capabilities on a record that the actor may not otherwise read, given the matches the
/// record is in: the other side of a match (and its technology manager) reads a reviewed
/// record before it is listed — nothing more (no edits, no full contacts). Everyone else gets
/// nothing.
pub fn record_through_match(
    actor: &Actor,
    kind: RecordKind,
    status: RecordStatus,
    parties: &[MatchParties],
) -> RecordCapabilities {
    let reviewed = matches!(
        status,
        RecordStatus::Approved | RecordStatus::Published | RecordStatus::Closed(_)
    );
    let own = super::own_institution_id(actor);
    let party = parties.iter().any(|p| {
        let other_side = match kind {
            RecordKind::Demand => p.achievement_owner,
            RecordKind::Achievement => p.demand_owner,
        };
        own == Some(other_side) || is_assigned_tech_manager(actor, p.tech_manager_id)
    });
    RecordCapabilities {
        read: reviewed && party,
        ..RecordCapabilities::default()
    }
}

impl MatchSide {
    pub fn other(self) -> MatchSide {
        match self {
            MatchSide::Demand => MatchSide::Achievement,
            MatchSide::Achievement => MatchSide::Demand,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            MatchSide::Demand => "demand",
            MatchSide::Achievement => "achievement",
        }
    }

    /// The side as users read it: 需求方 or 成果方.
    pub fn label(self) -> &'static str {
        match self {
            MatchSide::Demand => "需求方",
            MatchSide::Achievement => "成果方",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zijin_domain::{CloseReason, ResponsibleUnit, User, UserRole};

    const DEMAND_OWNER: i64 = 7;
    const ACHIEVEMENT_OWNER: i64 = 8;
    const MANAGER: i64 = 42;

    fn user(id: i64, role: UserRole, is_tech_manager: bool) -> Actor {
        Actor::User(User {
            id,
            username: format!("u{id}"),
            display_name: format!("u{id}"),
            role,
            disabled: false,
            is_tech_manager,
            is_expert: false,
            is_demo: false,
            created_at: String::new(),
        })
    }

    /// Anonymous, demand side, achievement side, a third institution, the assigned technology
    /// manager, an unassigned technology manager, a reviewer, an admin.
    fn everyone() -> [Actor; 8] {
        [
            Actor::Anonymous,
            user(1, UserRole::InstitutionUser(DEMAND_OWNER), false),
            user(2, UserRole::InstitutionUser(ACHIEVEMENT_OWNER), false),
            user(3, UserRole::InstitutionUser(9), false),
            user(MANAGER, UserRole::InstitutionUser(10), true),
            user(43, UserRole::InstitutionUser(10), true),
            user(
                5,
                UserRole::Reviewer(ResponsibleUnit::ScienceTechnologyBureau),
                false,
            ),
            user(6, UserRole::Admin, false),
        ]
    }

    fn facts(stage: MatchStage, demand: bool, achievement: bool) -> MatchFacts {
        MatchFacts {
            demand_owner: DEMAND_OWNER,
            achievement_owner: ACHIEVEMENT_OWNER,
            tech_manager_id: Some(MANAGER),
            stage,
            demand_interested: demand,
            achievement_interested: achievement,
        }
    }

    fn column(check: impl Fn(&Actor) -> bool) -> [bool; 8] {
        everyone().map(|actor| check(&actor))
    }

    #[test]
    fn sides_managers_and_admins_read_a_match_and_only_sides_and_managers_move_it() {
        let recommended = facts(MatchStage::Recommended, false, false);
        let caps = |actor: &Actor| match_capabilities(actor, &recommended);
        assert_eq!(
            column(|a| caps(a).read),
            [false, true, true, false, true, false, false, true]
        );
        assert_eq!(
            column(|a| caps(a).interest),
            [false, true, true, false, false, false, false, false]
        );
        assert_eq!(
            column(|a| caps(a).terminate && caps(a).post_message),
            [false, true, true, false, true, false, false, false]
        );
        assert_eq!(
            column(|a| caps(a).assign_tech_manager),
            [false, false, false, false, false, false, false, true]
        );
        // Negotiation follows interest; signing follows negotiation.
        assert_eq!(column(|a| caps(a).negotiate), [false; 8]);
        let negotiating = facts(MatchStage::Negotiating, true, false);
        assert_eq!(
            column(|a| match_capabilities(a, &negotiating).sign),
            [false, true, true, false, true, false, false, false]
        );
        // A side that marked interest may not mark it again.
        assert_eq!(
            column(|a| match_capabilities(a, &negotiating).interest),
            [false, false, true, false, false, false, false, false]
        );
        // A closed match is read, not moved, not talked in, not assigned.
        let ended = facts(MatchStage::Terminated, true, true);
        let closed = column(|a| {
            let c = match_capabilities(a, &ended);
            c.interest
                || c.negotiate
                || c.sign
                || c.terminate
                || c.post_message
                || c.assign_tech_manager
        });
        assert_eq!(closed, [false; 8]);
        // Refusals: sign in, not found for outsiders, forbidden for readers who may not act.
        let [anonymous, demand, _, third, manager, _, reviewer, admin] = everyone();
        assert!(matches!(
            require_match_step(&anonymous, &recommended, MatchStep::Sign),
            Err(AppError::Unauthenticated)
        ));
        for outsider in [&third, &reviewer] {
            assert!(matches!(
                require_match_step(outsider, &recommended, MatchStep::Sign),
                Err(AppError::NotFound(_))
            ));
        }
        assert!(matches!(
            require_match_step(&admin, &recommended, MatchStep::Sign),
            Err(AppError::Forbidden)
        ));
        assert!(matches!(
            require_match_step(&manager, &recommended, MatchStep::Interest),
            Err(AppError::Forbidden)
        ));
        assert!(require_match_step(&manager, &recommended, MatchStep::Terminate).is_ok());
        assert_eq!(
            require_match_voice(&demand, &recommended).unwrap(),
            MatchVoice::Side(MatchSide::Demand)
        );
        assert_eq!(
            require_match_voice(&manager, &recommended).unwrap(),
            MatchVoice::TechManager
        );
        assert!(matches!(
            require_match_voice(&admin, &recommended),
            Err(AppError::Forbidden)
        ));
        assert!(require_assign_tech_manager(&admin, &recommended).is_ok());
        assert!(matches!(
            require_assign_tech_manager(&demand, &recommended),
            Err(AppError::Forbidden)
        ));
    }

    #[test]
    fn contacts_are_revealed_on_mutual_interest_only() {
        let [_, demand, achievement, third, manager, _, _, admin] = everyone();
        for (demand_interested, achievement_interested) in
            [(false, false), (true, false), (false, true)]
        {
            let one_sided = facts(
                MatchStage::Interested,
                demand_interested,
                achievement_interested,
            );
            for actor in [&demand, &achievement, &third, &admin] {
                assert!(revealed_contacts(actor, &one_sided).is_empty());
                assert!(!match_capabilities(actor, &one_sided).see_contacts);
            }
            // The technology manager needs both sides' contacts to do their work.
            assert_eq!(revealed_contacts(&manager, &one_sided).len(), 2);
        }
        let mutual = facts(MatchStage::Interested, true, true);
        assert_eq!(
            revealed_contacts(&demand, &mutual),
            vec![MatchSide::Achievement]
        );
        assert_eq!(
            revealed_contacts(&achievement, &mutual),
            vec![MatchSide::Demand]
        );
        assert!(revealed_contacts(&third, &mutual).is_empty());
        assert!(revealed_contacts(&admin, &mutual).is_empty());
    }

    #[test]
    fn the_other_side_and_the_manager_read_a_reviewed_record_and_nobody_else() {
        let parties = [MatchParties {
            demand_owner: DEMAND_OWNER,
            achievement_owner: ACHIEVEMENT_OWNER,
            tech_manager_id: Some(MANAGER),
        }];
        let read = |status| {
            column(|a| record_through_match(a, RecordKind::Achievement, status, &parties).read)
        };
        assert_eq!(
            read(RecordStatus::Approved),
            [false, true, false, false, true, false, false, false],
            "the demand side reads the achievement (its owner reads it anyway)"
        );
        assert!(read(RecordStatus::Closed(CloseReason::Deal))[1]);
        for unreviewed in [
            RecordStatus::Draft,
            RecordStatus::Submitted,
            RecordStatus::Returned,
        ] {
            assert_eq!(read(unreviewed), [false; 8], "{unreviewed:?}");
        }
        let demand_read = column(|a| {
            record_through_match(a, RecordKind::Demand, RecordStatus::Approved, &parties).read
        });
        assert_eq!(
            demand_read,
            [false, false, true, false, true, false, false, false]
        );
        // Nothing beyond reading.
        let seen = record_through_match(
            &everyone()[1],
            RecordKind::Achievement,
            RecordStatus::Approved,
            &parties,
        );
        assert!(!(seen.edit || seen.see_contacts || seen.mark_deal || seen.attach));
        // A manager whose flag was taken away loses the matches assigned to them.
        let former = user(MANAGER, UserRole::InstitutionUser(10), false);
        assert!(
            !record_through_match(
                &former,
                RecordKind::Demand,
                RecordStatus::Approved,
                &parties
            )
            .read
        );
        assert!(!match_capabilities(&former, &facts(MatchStage::Recommended, false, false)).read);
    }
}
