//! The thread of a match (洽谈): the two institutions and the assigned technology manager write
//! to each other while the match is open; everyone else around it is notified; each message is
//! audited.

use serde_json::json;
use zijin_domain::{Coded, MessageText};
use zijin_store::audit::Change;
use zijin_store::match_messages::{self, NewMessage};
use zijin_store::matches;

use super::{facts_of, match_title, notify_others, stage_of};
use crate::access::{self, MatchSide, MatchVoice};
use crate::unit::UnitOfWork;
use crate::{Actor, App, AppError, AppResult};

/// Posts a message in a match's thread; returns its id.
pub async fn post_message(app: &App, actor: &Actor, id: i64, body: &str) -> AppResult<i64> {
    let mut work = UnitOfWork::begin(app).await?;
    let at = zijin_store::timestamp(work.now());
    let row = matches::get_for_update(work.tx(), id)
        .await?
        .ok_or_else(|| access::match_refusal(actor))?;
    let facts = facts_of(&row)?;
    // Who may speak is decided before the text is looked at.
    let voice = access::require_match_voice(actor, &facts)?;
    let user = actor.user().ok_or_else(|| access::refusal(actor))?;
    let text = MessageText::parse(body)?;
    let stage = stage_of(&row)?;
    if !stage.is_open() {
        // The message is fine; the match is closed (409).
        return Err(AppError::WrongState(format!(
            "对接已{}，不能再留言",
            stage.label()
        )));
    }
    let (role, institution, author) = match voice {
        MatchVoice::Side(MatchSide::Demand) => (
            "demand",
            Some(row.demand_owner),
            row.demand_institution.clone(),
        ),
        MatchVoice::Side(MatchSide::Achievement) => (
            "achievement",
            Some(row.achievement_owner),
            row.achievement_institution.clone(),
        ),
        MatchVoice::TechManager => (
            "tech-manager",
            None,
            format!("技术经理人{}", user.display_name),
        ),
    };
    let message_id = match_messages::insert(
        work.tx(),
        &NewMessage {
            match_id: id,
            author_user_id: user.id,
            author_role: role,
            author_institution_id: institution,
            body: text.as_str(),
            created_at: &at,
        },
    )
    .await?;
    let note = format!("{author}在对接{}中留言", match_title(&row));
    notify_others(work.tx(), actor, &row, &note, &at).await?;
    work.audit(Change {
        actor: actor.audit_name(),
        action: "match.message",
        entity: "match",
        entity_id: id.to_string(),
        before: None,
        after: Some(json!({
            "message_id": message_id,
            "author_role": role,
            "author_institution_id": institution,
            "body": text.as_str(),
        })),
    });
    work.commit().await?;
    Ok(message_id)
}
