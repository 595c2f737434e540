//! Assigning a technology manager (技术经理人, art. 20) to a match: an admin chooses among the
//! flagged accounts (or takes the assignment away); the manager is notified; audited.

use serde_json::json;
use zijin_store::audit::Change;
use zijin_store::{matches, users};

use super::facts_of;
use crate::access::{self, Area};
use crate::unit::UnitOfWork;
use crate::{Actor, App, AppError, AppResult};

/// A technology manager one may assign, as the choice shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TechManagerChoice {
    pub user_id: i64,
    /// Their name and what they act for, e.g. "张三（南京技术转移中心）".
    pub label: String,
}

/// The accounts that may be assigned (flagged, not disabled), for admins.
pub async fn tech_managers(app: &App, actor: &Actor) -> AppResult<Vec<TechManagerChoice>> {
    access::require(actor, Area::AllMatches)?;
    choices(app).await
}

/// The flagged, enabled 技术经理人 with their labels, for whoever may choose one (an admin
/// assigning a match, a seller naming a contract's broker).
pub(crate) async fn choices(app: &App) -> AppResult<Vec<TechManagerChoice>> {
    let mut choices = Vec::new();
    for user in users::designated(app.store.pool(), zijin_domain::Designation::TechManager).await? {
        let scope = crate::users::role_binding(app, &user).await.scope;
        choices.push(TechManagerChoice {
            user_id: user.id,
            label: format!("{}（{scope}）", user.display_name),
        });
    }
    Ok(choices)
}

/// Assigns a technology manager to a match, or takes the assignment away. `choice` is what the
/// form or the API sent: an account's id (an account flagged as technology manager), `none` to
/// take the assignment away, or nothing. Only while the match is open.
pub async fn assign_tech_manager(app: &App, actor: &Actor, id: i64, choice: &str) -> AppResult<()> {
    let mut work = UnitOfWork::begin(app).await?;
    let at = zijin_store::timestamp(work.now());
    let mut row = matches::get_for_update(work.tx(), id)
        .await?
        .ok_or_else(|| access::match_refusal(actor))?;
    let facts = facts_of(&row)?;
    access::require_assign_tech_manager(actor, &facts)?;
    if !facts.stage.is_open() {
        return Err(AppError::WrongState(
            "对接已签约或终止，不能再指派技术经理人".into(),
        ));
    }
    let manager = match choice.trim() {
        "" => return Err(AppError::field("tech_manager", "请选择技术经理人")),
        "none" if row.tech_manager_id.is_none() => {
            return Err(AppError::WrongState("该对接尚未指派技术经理人".into()));
        }
        "none" => None,
        raw => {
            let user_id = raw.parse::<i64>().ok();
            let user = match user_id {
                Some(user_id) => users::get(&mut **work.tx(), user_id).await?,
                None => None,
            };
            let user = user
                .filter(|user| user.is_tech_manager && !user.disabled)
                .ok_or(AppError::NotFound(
                    "该技术经理人（须为已登记、未停用的技术经理人）",
                ))?;
            Some(user)
        }
    };
    let before = row.tech_manager_id;
    row.tech_manager_id = manager.as_ref().map(|user| user.id);
    row.updated_at = at.clone();
    matches::save(work.tx(), &row, &at).await?;
    if let Some(user) = &manager {
        matches::notify_user(
            work.tx(),
            user.id,
            &format!("平台指派您为对接{}的技术经理人", super::match_title(&row)),
            &format!("/matches/{id}"),
            &at,
        )
        .await?;
    }
    work.audit(Change {
        actor: actor.audit_name(),
        action: "match.assign-tech-manager",
        entity: "match",
        entity_id: id.to_string(),
        before: Some(json!({"tech_manager_id": before})),
        after: Some(json!({"tech_manager_id": row.tech_manager_id})),
    });
    work.commit().await?;
    Ok(())
}
