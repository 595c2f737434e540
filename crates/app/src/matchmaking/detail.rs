//! One match as its reader sees it: both records, the thread, the stage's dates, and — for a
//! side once both sides marked interest, for the technology manager always — the other side's
//! contacts in full. Before that a side sees them as the public does (the phone masked, the
//! institution's contacts hidden). Every view of revealed contacts is audited
//! (`match.contact_view`).

use serde_json::json;
use zijin_domain::mask_phone;
use zijin_store::audit::Change;
use zijin_store::match_messages::{self, MatchMessage};
use zijin_store::{institutions, matches, records};

use super::{SeenMatch, facts_of, seen_by, tech_manager::TechManagerChoice};
use crate::access::{self, MatchSide};
use crate::unit::UnitOfWork;
use crate::{Actor, App, AppError, AppResult};

/// A side's contacts as the reader may see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartyContact {
    pub side: MatchSide,
    pub institution_name: String,
    /// The contact person named on the side's record.
    pub contact_name: String,
    /// In full when revealed, else masked as the public sees it.
    pub contact_phone: String,
    /// The institution's own contact person and phone: only when revealed.
    pub institution_contact_name: Option<String>,
    pub institution_contact_phone: Option<String>,
    pub revealed: bool,
}

/// One match with everything its page shows.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchDetail {
    pub seen: SeenMatch,
    /// For a side: the other side's contacts; for the technology manager: both sides'; for an
    /// admin: none (they read the match, not its contacts).
    pub contacts: Vec<PartyContact>,
    /// The thread, oldest first.
    pub messages: Vec<MatchMessage>,
    /// The technology managers one may assign (only for those who may assign).
    pub tech_manager_choices: Vec<TechManagerChoice>,
}

/// One match without its contacts and thread (nothing is audited), as its reader sees it.
pub async fn summary(app: &App, actor: &Actor, id: i64) -> AppResult<SeenMatch> {
    let row = matches::get(app.store.pool(), id)
        .await?
        .ok_or_else(|| access::match_refusal(actor))?;
    seen_by(actor, row)?.ok_or_else(|| access::match_refusal(actor))
}

/// One match for its reader; anyone who may not read it is told it does not exist.
pub async fn detail(app: &App, actor: &Actor, id: i64) -> AppResult<MatchDetail> {
    let pool = app.store.pool();
    let row = matches::get(pool, id)
        .await?
        .ok_or_else(|| access::match_refusal(actor))?;
    let facts = facts_of(&row)?;
    access::require_match_read(actor, &facts)?;
    let revealed = access::revealed_contacts(actor, &facts);
    let seen = seen_by(actor, row)?.ok_or_else(|| access::match_refusal(actor))?;
    let mut contacts = Vec::new();
    let shown_sides: Vec<MatchSide> = match seen.side {
        Some(side) => vec![side.other()],
        None => revealed.clone(),
    };
    for side in shown_sides {
        contacts.push(party_contact(app, &seen, side, revealed.contains(&side)).await?);
    }
    let messages = match_messages::for_match(pool, id).await?;
    let tech_manager_choices = if seen.capabilities.assign_tech_manager {
        super::tech_managers(app, actor).await?
    } else {
        Vec::new()
    };
    if !revealed.is_empty() {
        // Seeing someone's contacts in full is recorded each time.
        let mut work = UnitOfWork::begin(app).await?;
        let institutions: Vec<i64> = revealed
            .iter()
            .map(|side| match side {
                MatchSide::Demand => seen.row.demand_owner,
                MatchSide::Achievement => seen.row.achievement_owner,
            })
            .collect();
        work.audit(Change {
            actor: actor.audit_name(),
            action: "match.contact_view",
            entity: "match",
            entity_id: id.to_string(),
            before: None,
            after: Some(json!({
                "sides": revealed.iter().map(|side| side.code()).collect::<Vec<_>>(),
                "institution_ids": institutions,
            })),
        });
        work.commit().await?;
    }
    Ok(MatchDetail {
        seen,
        contacts,
        messages,
        tech_manager_choices,
    })
}

async fn party_contact(
    app: &App,
    seen: &SeenMatch,
    side: MatchSide,
    revealed: bool,
) -> AppResult<PartyContact> {
    let pool = app.store.pool();
    let row = &seen.row;
    let (owner, institution_name, contact_name, contact_phone) = match side {
        MatchSide::Demand => {
            let demand = records::get_demand(pool, row.demand_id)
                .await?
                .ok_or(AppError::NotFound("技术需求"))?;
            (
                row.demand_owner,
                row.demand_institution.clone(),
                demand.details.contact_name,
                demand.details.contact_phone,
            )
        }
        MatchSide::Achievement => {
            let achievement = records::get_achievement(pool, row.achievement_id)
                .await?
                .ok_or(AppError::NotFound("科技成果"))?;
            (
                row.achievement_owner,
                row.achievement_institution.clone(),
                achievement.details.contact_name,
                achievement.details.contact_phone,
            )
        }
    };
    let (institution_contact_name, institution_contact_phone) = if revealed {
        let institution = institutions::get(pool, owner)
            .await?
            .ok_or(AppError::NotFound("机构"))?;
        let profile = institution.details.profile;
        (Some(profile.contact_name), Some(profile.contact_phone))
    } else {
        (None, None)
    };
    Ok(PartyContact {
        side,
        institution_name,
        contact_name,
        contact_phone: if revealed {
            contact_phone
        } else {
            mask_phone(&contact_phone)
        },
        institution_contact_name,
        institution_contact_phone,
        revealed,
    })
}
