//! Recognition through an application (认定申请, issue 19): an institution applies for a
//! carrier type with a description of what it runs; the bureau recognises it (the same check of
//! the type's quota under the type's lock as a direct recognition) or refuses with a reason.

use serde_json::json;
use zijin_store::audit::Change;
pub use zijin_store::carriers::StoredApplication;

use super::{NAME_MAX_CHARS, carrier_type, known_type, recognise_in};
use crate::access::{self, Area};
use crate::unit::UnitOfWork;
use crate::{Actor, App, AppError, AppResult};

/// The most characters of an application's description.
pub const DESCRIPTION_MAX_CHARS: usize = 2000;

/// An application's status as users read it.
pub fn status_label(status: &str) -> &'static str {
    match status {
        "submitted" => "待认定",
        "recognised" => "已认定",
        "refused" => "不予认定",
        _ => "未知状态",
    }
}

/// Applies for the recognition of a carrier of `type_code` (the actor's institution).
pub async fn apply(
    app: &App,
    actor: &Actor,
    type_code: &str,
    name: &str,
    description: &str,
) -> AppResult<i64> {
    access::require(actor, Area::OwnCarriers)?;
    let institution_id = access::require_own_institution(actor)?;
    let mut errors = zijin_domain::FieldErrors::new();
    let kind = match known_type(type_code) {
        Ok(kind) => Some(kind),
        Err(AppError::Validation(found)) => {
            for e in found.iter() {
                errors.add(e.field, e.message.clone());
            }
            None
        }
        Err(other) => return Err(other),
    };
    if name.trim().chars().count() > NAME_MAX_CHARS {
        errors.add("name", format!("载体名称不能超过 {NAME_MAX_CHARS} 字"));
    }
    let description = description.trim();
    if description.is_empty() {
        errors.add(
            "description",
            "请说明载体的建设运营情况（场地、人员、服务内容和成效）",
        );
    } else if description.chars().count() > DESCRIPTION_MAX_CHARS {
        errors.add(
            "description",
            format!("申请说明不能超过 {DESCRIPTION_MAX_CHARS} 字"),
        );
    }
    let Some(kind) = kind.filter(|_| errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    let mut work = UnitOfWork::begin(app).await?;
    let now = work.now();
    zijin_store::carriers::lock_type(work.tx(), &kind.code).await?;
    let pending = zijin_store::carriers::applications(&mut **work.tx(), Some(institution_id))
        .await?
        .into_iter()
        .any(|a| a.carrier_type == kind.code && a.status == "submitted");
    if pending {
        return Err(AppError::WrongState(format!(
            "本单位已有一份待认定的{}申请，请等待认定结果",
            kind.name
        )));
    }
    if zijin_store::carriers::recognised_of(&mut **work.tx(), institution_id, &kind.code)
        .await?
        .is_some()
    {
        return Err(AppError::WrongState(format!(
            "本单位已有一个已认定的{}，同一机构的同一类载体只认定一个",
            kind.name
        )));
    }
    let id = zijin_store::carriers::insert_application(
        work.tx(),
        institution_id,
        &kind.code,
        name.trim(),
        description,
        actor.user().map(|u| u.id),
        now,
    )
    .await?;
    work.audit(Change {
        actor: actor.audit_name(),
        action: "carrier.apply",
        entity: "carrier_application",
        entity_id: id.to_string(),
        before: None,
        after: Some(json!({ "type": kind.code, "name": name.trim(), "description": description })),
    });
    work.commit().await?;
    Ok(id)
}

/// The applications the actor may see: the bureau all of them, an institution its own.
pub async fn list(app: &App, actor: &Actor) -> AppResult<Vec<StoredApplication>> {
    let institution = if access::may(actor, Area::Carriers) {
        None
    } else {
        access::require(actor, Area::OwnCarriers)?;
        Some(access::require_own_institution(actor)?)
    };
    Ok(zijin_store::carriers::applications(app.store().pool(), institution).await?)
}

/// The bureau's decision on an application: recognise (within the quota; refused with the
/// reason when full) or refuse with a reason. `confirmed` must be set (neither can be undone).
pub async fn decide(
    app: &App,
    actor: &Actor,
    id: i64,
    recognise: bool,
    reason: &str,
    confirmed: bool,
) -> AppResult<Option<i64>> {
    access::require(actor, Area::Carriers)?;
    let reason = reason.trim();
    if !recognise && reason.is_empty() {
        return Err(AppError::field("reason", "请写明不予认定的原因"));
    }
    if !confirmed {
        return Err(AppError::field(
            "confirm",
            "认定结果确定后不能撤回，请勾选确认后再提交",
        ));
    }
    let mut work = UnitOfWork::begin(app).await?;
    let now = work.now();
    let application = zijin_store::carriers::application_for_update(work.tx(), id)
        .await?
        .ok_or(AppError::NotFound("认定申请"))?;
    if application.status != "submitted" {
        return Err(AppError::WrongState(format!(
            "该申请已{}",
            status_label(&application.status)
        )));
    }
    let kind = carrier_type(&application.carrier_type)
        .ok_or_else(|| AppError::Internal(format!("载体类型无效：{}", application.carrier_type)))?;
    let institution = zijin_store::institutions::get(&mut **work.tx(), application.institution_id)
        .await?
        .ok_or(AppError::NotFound("机构"))?;
    let carrier = if recognise {
        Some(
            recognise_in(
                &mut work,
                actor,
                &institution,
                kind,
                &application.name,
                None,
            )
            .await?,
        )
    } else {
        None
    };
    zijin_store::carriers::decide_application(work.tx(), id, carrier, reason, now).await?;
    let message = match carrier {
        Some(_) => format!("贵单位的{}认定申请已通过认定", kind.name),
        None => format!("贵单位的{}认定申请未予认定：{reason}", kind.name),
    };
    zijin_store::notifications::notify(
        work.tx(),
        application.institution_id,
        &message,
        "/my/carriers",
        &zijin_store::timestamp(now),
    )
    .await?;
    work.audit(Change {
        actor: actor.audit_name(),
        action: if recognise {
            "carrier.application_recognise"
        } else {
            "carrier.application_refuse"
        },
        entity: "carrier_application",
        entity_id: id.to_string(),
        before: Some(json!({ "status": "submitted" })),
        after: Some(json!({
            "status": if recognise { "recognised" } else { "refused" },
            "carrier": carrier,
            "reason": reason,
        })),
    });
    work.commit().await?;
    Ok(carrier)
}
