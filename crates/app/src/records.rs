//! Achievements and demands: their owners draft and submit them, reviewers approve or return
//! them, and every step is audited. Publication happens through list issues (`lists`).

use serde_json::{Value as Json, json};
use zijin_domain::{
    Achievement, AchievementDetails, AchievementInput, Coded, Demand, DemandDetails, DemandInput,
    IpItem, RecordKind, RecordStatus, TechnicalField, Transition,
};
use zijin_store::records::{self, RecordFilter};
use zijin_store::{StoreError, audit, institutions};

use crate::access::{self, Area, RecordCapabilities, RecordListing};
use crate::{Actor, App, AppError, AppResult, Paged};

mod attachments;
pub use attachments::{
    Attachment, MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS, add_attachment, attachment, attachments,
};

pub async fn technical_fields(app: &App) -> AppResult<Vec<TechnicalField>> {
    Ok(records::technical_fields(app.store.pool()).await?)
}

pub fn achievement_snapshot(achievement: &Achievement) -> Json {
    let details = &achievement.details;
    json!({
        "status": achievement.status.code(),
        "title": details.title,
        "summary": details.summary,
        "field": details.field,
        "keywords": details.keywords,
        "trl": details.trl.level(),
        "ip_items": details.ip_items.iter().map(IpItem::written).collect::<Vec<_>>(),
        "transfer_modes": details.transfer_modes.iter().map(|m| m.code()).collect::<Vec<_>>(),
        "price": match details.price { zijin_domain::Price::Negotiable => "面议".to_string(), zijin_domain::Price::Amount(m) => m.to_string() },
        "contact_name": details.contact_name,
        "contact_phone": details.contact_phone,
        "source_flags": details.source_flags.iter().map(|f| f.code()).collect::<Vec<_>>(),
        "review_comment": achievement.review_comment,
        "priority": achievement.priority,
    })
}

pub fn demand_snapshot(demand: &Demand) -> Json {
    let details = &demand.details;
    json!({
        "status": demand.status.code(),
        "title": details.title,
        "description": details.description,
        "field": details.field,
        "keywords": details.keywords,
        "cooperation_modes": details.cooperation_modes.iter().map(|m| m.code()).collect::<Vec<_>>(),
        "budget_min": details.budget_min.map(|m| m.to_string()),
        "budget_max": details.budget_max.map(|m| m.to_string()),
        "deadline": details.deadline.map(|d| d.to_string()),
        "contact_name": details.contact_name,
        "contact_phone": details.contact_phone,
        "review_comment": demand.review_comment,
        "priority": demand.priority,
    })
}

pub(crate) fn change(
    actor: &Actor,
    action: &'static str,
    kind: RecordKind,
    id: i64,
    before: Option<Json>,
    after: Option<Json>,
) -> audit::Change {
    audit::Change {
        actor: actor.audit_name(),
        action,
        entity: kind.code(),
        entity_id: id.to_string(),
        before,
        after,
    }
}

/// An institution's user drafts an achievement for their institution.
pub async fn create_achievement(
    app: &App,
    actor: &Actor,
    input: &AchievementInput<'_>,
) -> AppResult<Achievement> {
    let institution_id = access::require_own_institution(actor)?;
    let fields = technical_fields(app).await?;
    let details = AchievementDetails::parse(input, &fields)?;
    let now = app.now();
    let mut tx = app.store.begin_write().await?;
    let id =
        records::insert_achievement(&mut tx, institution_id, RecordStatus::Draft, &details, now)
            .await?;
    let created = records::get_achievement(&mut *tx, id)
        .await?
        .ok_or(AppError::NotFound("科技成果"))?;
    audit::append(
        &mut tx,
        now,
        change(
            actor,
            "achievement.create",
            RecordKind::Achievement,
            id,
            None,
            Some(achievement_snapshot(&created)),
        ),
    )
    .await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(created)
}

/// An enterprise's user drafts a demand.
pub async fn create_demand(app: &App, actor: &Actor, input: &DemandInput<'_>) -> AppResult<Demand> {
    let institution_id = access::require_own_institution(actor)?;
    let institution = institutions::get(app.store.pool(), institution_id)
        .await?
        .ok_or(AppError::NotFound("机构"))?;
    access::require_demand_publisher(institution.details.kind)?;
    let fields = technical_fields(app).await?;
    let details = DemandDetails::parse(input, &fields, app.today())?;
    let now = app.now();
    let mut tx = app.store.begin_write().await?;
    let id =
        records::insert_demand(&mut tx, institution_id, RecordStatus::Draft, &details, now).await?;
    let created = records::get_demand(&mut *tx, id)
        .await?
        .ok_or(AppError::NotFound("技术需求"))?;
    audit::append(
        &mut tx,
        now,
        change(
            actor,
            "demand.create",
            RecordKind::Demand,
            id,
            None,
            Some(demand_snapshot(&created)),
        ),
    )
    .await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(created)
}

/// May the actor read this record? (See [`access::record`].)
pub fn can_read(actor: &Actor, institution_id: i64, status: RecordStatus) -> bool {
    access::record(actor, institution_id, status).read
}

/// The achievement with its contact phone as the actor may see it.
fn shown_achievement(actor: &Actor, mut achievement: Achievement) -> Achievement {
    let capabilities = access::record(actor, achievement.institution_id, achievement.status);
    achievement.details.contact_phone =
        access::shown_phone(&capabilities, &achievement.details.contact_phone);
    achievement
}

/// The demand with its contact phone as the actor may see it.
fn shown_demand(actor: &Actor, mut demand: Demand) -> Demand {
    let capabilities = access::record(actor, demand.institution_id, demand.status);
    demand.details.contact_phone =
        access::shown_phone(&capabilities, &demand.details.contact_phone);
    demand
}

/// An achievement as the actor may read it (contacts masked unless they may see them).
pub async fn get_achievement(app: &App, actor: &Actor, id: i64) -> AppResult<Achievement> {
    let achievement = records::get_achievement(app.store.pool(), id)
        .await?
        .ok_or(AppError::NotFound("科技成果"))?;
    let capabilities = capabilities_on(
        app,
        actor,
        RecordKind::Achievement,
        id,
        achievement.institution_id,
        achievement.status,
    )
    .await?;
    // Records one may not read are reported as missing, so their existence is not revealed.
    if !capabilities.read {
        return Err(AppError::NotFound("科技成果"));
    }
    Ok(shown_achievement(actor, achievement))
}

/// A demand as the actor may read it (contacts masked unless they may see them).
pub async fn get_demand(app: &App, actor: &Actor, id: i64) -> AppResult<Demand> {
    let demand = records::get_demand(app.store.pool(), id)
        .await?
        .ok_or(AppError::NotFound("技术需求"))?;
    let capabilities = capabilities_on(
        app,
        actor,
        RecordKind::Demand,
        id,
        demand.institution_id,
        demand.status,
    )
    .await?;
    if !capabilities.read {
        return Err(AppError::NotFound("技术需求"));
    }
    Ok(shown_demand(actor, demand))
}

/// The actor's capabilities on one record: the access table ([`access::record`]), or — for the
/// other side of one of the record's matches and the match's technology manager — reading it
/// before it is listed ([`access::record_through_match`]).
pub async fn capabilities_on(
    app: &App,
    actor: &Actor,
    kind: RecordKind,
    id: i64,
    institution_id: i64,
    status: RecordStatus,
) -> AppResult<RecordCapabilities> {
    let capabilities = access::record(actor, institution_id, status);
    if capabilities.read {
        return Ok(capabilities);
    }
    let parties: Vec<access::MatchParties> =
        zijin_store::matches::parties_of_record(app.store.pool(), kind, id)
            .await?
            .into_iter()
            .map(
                |(demand_owner, achievement_owner, tech_manager_id)| access::MatchParties {
                    demand_owner,
                    achievement_owner,
                    tech_manager_id,
                },
            )
            .collect();
    Ok(access::record_through_match(actor, kind, status, &parties))
}

/// An achievement or a demand.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Achievement(Achievement),
    Demand(Demand),
}

impl Record {
    pub fn institution_id(&self) -> i64 {
        match self {
            Record::Achievement(a) => a.institution_id,
            Record::Demand(d) => d.institution_id,
        }
    }

    pub fn status(&self) -> RecordStatus {
        match self {
            Record::Achievement(a) => a.status,
            Record::Demand(d) => d.status,
        }
    }
}

/// A record as one actor sees it: contacts already masked for them, and what they may do with
/// it. Pages and the API render this one answer, so they cannot disagree.
#[derive(Debug, Clone, PartialEq)]
pub struct SeenRecord {
    pub record: Record,
    pub capabilities: RecordCapabilities,
}

/// One achievement or demand with the actor's capabilities on it.
pub async fn seen(app: &App, actor: &Actor, kind: RecordKind, id: i64) -> AppResult<SeenRecord> {
    let record = match kind {
        RecordKind::Achievement => Record::Achievement(get_achievement(app, actor, id).await?),
        RecordKind::Demand => Record::Demand(get_demand(app, actor, id).await?),
    };
    let capabilities = capabilities_on(
        app,
        actor,
        kind,
        id,
        record.institution_id(),
        record.status(),
    )
    .await?;
    Ok(SeenRecord {
        record,
        capabilities,
    })
}

fn check_owner_can_edit(actor: &Actor, institution_id: i64, status: RecordStatus) -> AppResult<()> {
    if access::require_own_institution(actor)? != institution_id {
        return Err(AppError::Forbidden);
    }
    if !status.is_editable() {
        return Err(AppError::field(
            "status",
            format!(
                "记录状态为“{}”，只有草稿或被退回的记录可以修改",
                status.label()
            ),
        ));
    }
    Ok(())
}

pub async fn update_achievement(
    app: &App,
    actor: &Actor,
    id: i64,
    input: &AchievementInput<'_>,
) -> AppResult<Achievement> {
    let fields = technical_fields(app).await?;
    let now = app.now();
    let mut tx = app.store.begin_write().await?;
    let before = records::get_achievement(&mut *tx, id)
        .await?
        .ok_or(AppError::NotFound("科技成果"))?;
    // Permission first, then the input: a refusal must not depend on what was typed.
    if !can_read(actor, before.institution_id, before.status) {
        return Err(AppError::NotFound("科技成果"));
    }
    check_owner_can_edit(actor, before.institution_id, before.status)?;
    let details = AchievementDetails::parse(input, &fields)?;
    records::update_achievement(&mut tx, id, &details, now).await?;
    let after = records::get_achievement(&mut *tx, id)
        .await?
        .ok_or(AppError::NotFound("科技成果"))?;
    audit::append(
        &mut tx,
        now,
        change(
            actor,
            "achievement.update",
            RecordKind::Achievement,
            id,
            Some(achievement_snapshot(&before)),
            Some(achievement_snapshot(&after)),
        ),
    )
    .await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(after)
}

pub async fn update_demand(
    app: &App,
    actor: &Actor,
    id: i64,
    input: &DemandInput<'_>,
) -> AppResult<Demand> {
    let fields = technical_fields(app).await?;
    let now = app.now();
    let mut tx = app.store.begin_write().await?;
    let before = records::get_demand(&mut *tx, id)
        .await?
        .ok_or(AppError::NotFound("技术需求"))?;
    // Permission first, then the input: a refusal must not depend on what was typed.
    if !can_read(actor, before.institution_id, before.status) {
        return Err(AppError::NotFound("技术需求"));
    }
    check_owner_can_edit(actor, before.institution_id, before.status)?;
    let details = DemandDetails::parse(input, &fields, app.today())?;
    records::update_demand(&mut tx, id, &details, now).await?;
    let after = records::get_demand(&mut *tx, id)
        .await?
        .ok_or(AppError::NotFound("技术需求"))?;
    audit::append(
        &mut tx,
        now,
        change(
            actor,
            "demand.update",
            RecordKind::Demand,
            id,
            Some(demand_snapshot(&before)),
            Some(demand_snapshot(&after)),
        ),
    )
    .await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(after)
}

/// A step in a record's life, by whoever may take it: owners submit and withdraw, reviewers
/// approve and return (a return needs a comment), owners and admins mark a deal or expiry.
pub async fn transition(
    app: &App,
    actor: &Actor,
    kind: RecordKind,
    id: i64,
    step: Transition,
    comment: &str,
) -> AppResult<RecordStatus> {
    let now = app.now();
    let mut tx = app.store.begin_write().await?;
    let next = transition_in(&mut tx, now, actor, kind, id, step, comment).await?;
    tx.commit().await.map_err(StoreError::from)?;
    if step == Transition::Approve {
        // Recommendations follow the approval; failing to make them must not undo it.
        if let Err(error) = crate::matchmaking::recommend_for_record(app, kind, id).await {
            tracing::warn!(%error, "审核通过后生成对接推荐失败");
        }
    }
    Ok(next)
}

/// The most records one batch approval takes.
pub const BATCH_APPROVE_LIMIT: usize = 200;

/// A reviewer approves several records at once (批量通过): all of them in one transaction, or
/// none when any of them may not be approved (the error names it by its title).
pub async fn approve_many(
    app: &App,
    actor: &Actor,
    items: &[(RecordKind, i64)],
) -> AppResult<usize> {
    access::require(actor, Area::ReviewQueue)?;
    if items.is_empty() {
        return Err(AppError::field("ids", "请先勾选要通过的记录"));
    }
    if items.len() > BATCH_APPROVE_LIMIT {
        return Err(AppError::field(
            "ids",
            format!("一次最多批量通过 {BATCH_APPROVE_LIMIT} 条"),
        ));
    }
    let now = app.now();
    let mut tx = app.store.begin_write().await?;
    for (kind, id) in items {
        if let Err(error) =
            transition_in(&mut tx, now, actor, *kind, *id, Transition::Approve, "").await
        {
            let title = match kind {
                RecordKind::Achievement => records::get_achievement(&mut *tx, *id)
                    .await?
                    .map(|r| r.details.title),
                RecordKind::Demand => records::get_demand(&mut *tx, *id)
                    .await?
                    .map(|r| r.details.title),
            };
            let reason = match &error {
                AppError::Validation(errors) => errors
                    .iter()
                    .map(|e| e.message.clone())
                    .collect::<Vec<_>>()
                    .join("；"),
                other => other.to_string(),
            };
            return Err(AppError::field(
                "ids",
                format!(
                    "{}「{}」不能通过：{reason}。本次勾选的记录均未通过，请取消勾选它后重试",
                    kind.label(),
                    title.unwrap_or_else(|| "（已不存在）".into())
                ),
            ));
        }
    }
    tx.commit().await.map_err(StoreError::from)?;
    for (kind, id) in items {
        if let Err(error) = crate::matchmaking::recommend_for_record(app, *kind, *id).await {
            tracing::warn!(%error, "审核通过后生成对接推荐失败");
        }
    }
    Ok(items.len())
}

/// One step of a record inside the caller's transaction: checks, the new status, the audit
/// entry.
async fn transition_in(
    tx: &mut zijin_store::WriteTx,
    now: chrono::DateTime<chrono::Utc>,
    actor: &Actor,
    kind: RecordKind,
    id: i64,
    step: Transition,
    comment: &str,
) -> AppResult<RecordStatus> {
    let (institution_id, status, before) = match kind {
        RecordKind::Achievement => {
            let record = records::get_achievement(&mut **tx, id)
                .await?
                .ok_or(AppError::NotFound("科技成果"))?;
            (
                record.institution_id,
                record.status,
                achievement_snapshot(&record),
            )
        }
        RecordKind::Demand => {
            let record = records::get_demand(&mut **tx, id)
                .await?
                .ok_or(AppError::NotFound("技术需求"))?;
            (
                record.institution_id,
                record.status,
                demand_snapshot(&record),
            )
        }
    };
    if !can_read(actor, institution_id, status) {
        return Err(AppError::NotFound(match kind {
            RecordKind::Achievement => "科技成果",
            RecordKind::Demand => "技术需求",
        }));
    }
    if !access::may_take_step(actor, institution_id, step) {
        return Err(access::refusal(actor));
    }
    let comment = comment.trim();
    if step == Transition::Return && comment.is_empty() {
        return Err(AppError::field(
            "comment",
            "退回时请填写审核意见，告诉申报单位需要修改什么",
        ));
    }
    if comment.chars().count() > 1000 {
        return Err(AppError::field("comment", "审核意见不能超过1000个字符"));
    }
    let next = status
        .apply(step)
        // A step the record's status does not allow: the input is fine, the state is not (409).
        .map_err(|error| AppError::WrongState(error.to_string()))?;
    let kept_comment = match step {
        Transition::Return => Some(comment),
        Transition::Approve if !comment.is_empty() => Some(comment),
        _ => None,
    };
    records::set_status(tx, kind, id, next, kept_comment, now).await?;
    let action = match (kind, step) {
        (RecordKind::Achievement, Transition::Submit) => "achievement.submit",
        (RecordKind::Achievement, Transition::Approve) => "achievement.approve",
        (RecordKind::Achievement, Transition::Return) => "achievement.return",
        (RecordKind::Achievement, Transition::Publish) => "achievement.publish",
        (RecordKind::Achievement, Transition::Close(_)) => "achievement.close",
        (RecordKind::Demand, Transition::Submit) => "demand.submit",
        (RecordKind::Demand, Transition::Approve) => "demand.approve",
        (RecordKind::Demand, Transition::Return) => "demand.return",
        (RecordKind::Demand, Transition::Publish) => "demand.publish",
        (RecordKind::Demand, Transition::Close(_)) => "demand.close",
    };
    let mut after = before.clone();
    after["status"] = json!(next.code());
    after["review_comment"] = json!(kept_comment);
    audit::append(
        tx,
        now,
        change(actor, action, kind, id, Some(before), Some(after)),
    )
    .await?;
    Ok(next)
}

/// An admin marks (or unmarks) a record for priority recommendation to provincial programmes.
pub async fn set_priority(
    app: &App,
    actor: &Actor,
    kind: RecordKind,
    id: i64,
    priority: bool,
) -> AppResult<()> {
    access::require(actor, Area::Priority)?;
    let now = app.now();
    let mut tx = app.store.begin_write().await?;
    let exists = match kind {
        RecordKind::Achievement => records::get_achievement(&mut *tx, id).await?.is_some(),
        RecordKind::Demand => records::get_demand(&mut *tx, id).await?.is_some(),
    };
    if !exists {
        return Err(AppError::NotFound("记录"));
    }
    records::set_priority(&mut tx, kind, id, priority, now).await?;
    let action = if priority {
        "record.priority-mark"
    } else {
        "record.priority-unmark"
    };
    audit::append(
        &mut tx,
        now,
        change(
            actor,
            action,
            kind,
            id,
            Some(json!({"priority": !priority})),
            Some(json!({"priority": priority})),
        ),
    )
    .await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// The actor's own records (institution users), or the review queue (reviewers and admins).
pub fn visible_filter(actor: &Actor, statuses: Vec<RecordStatus>) -> AppResult<RecordFilter> {
    Ok(match access::record_listing(actor)? {
        RecordListing::Institution(id) => RecordFilter {
            institution_id: Some(id),
            statuses,
            ..Default::default()
        },
        RecordListing::All => RecordFilter {
            statuses,
            ..Default::default()
        },
        RecordListing::AllButDrafts => {
            let statuses = if statuses.is_empty() {
                RecordStatus::CODES
                    .iter()
                    .filter_map(|c| RecordStatus::from_code(c))
                    .filter(|s| *s != RecordStatus::Draft)
                    .collect()
            } else {
                statuses
                    .into_iter()
                    .filter(|s| *s != RecordStatus::Draft)
                    .collect()
            };
            RecordFilter {
                statuses,
                ..Default::default()
            }
        }
    })
}

pub async fn list_achievements(
    app: &App,
    actor: &Actor,
    statuses: Vec<RecordStatus>,
    page: i64,
    per_page: i64,
) -> AppResult<Paged<Achievement>> {
    let filter = visible_filter(actor, statuses)?;
    let mut paged = records::list_achievements(
        app.store.pool(),
        &filter,
        page.max(1),
        per_page.clamp(1, 200),
    )
    .await?;
    paged.items = paged
        .items
        .into_iter()
        .map(|a| shown_achievement(actor, a))
        .collect();
    Ok(paged)
}

pub async fn list_demands(
    app: &App,
    actor: &Actor,
    statuses: Vec<RecordStatus>,
    page: i64,
    per_page: i64,
) -> AppResult<Paged<Demand>> {
    let filter = visible_filter(actor, statuses)?;
    let mut paged = records::list_demands(
        app.store.pool(),
        &filter,
        page.max(1),
        per_page.clamp(1, 200),
    )
    .await?;
    paged.items = paged
        .items
        .into_iter()
        .map(|d| shown_demand(actor, d))
        .collect();
    Ok(paged)
}

/// An admin adds a technical field to the list, or renames one (records keep the field's code).
/// A code for a new technical field: `field-` and eight hex digits of the name's SHA-256,
/// with a number after it in the unlikely case that is taken.
fn field_code(label: &str, existing: &[TechnicalField]) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(label.as_bytes());
    let base = format!("field-{}", hex::encode(&digest[..4]));
    let mut code = base.clone();
    let mut n = 2;
    while existing.iter().any(|f| f.code == code) {
        code = format!("{base}-{n}");
        n += 1;
    }
    code
}

pub async fn save_technical_field(
    app: &App,
    actor: &Actor,
    code: &str,
    label: &str,
) -> AppResult<TechnicalField> {
    access::require(actor, Area::TechnicalFields)?;
    let (code, label) = (code.trim(), label.trim());
    let existing = records::technical_fields(app.store.pool()).await?;
    // A new field needs no code from the clerk: one is made from the name (records keep the
    // code, people only ever see the name).
    let generated;
    let code = if code.is_empty() {
        generated = field_code(label, &existing);
        generated.as_str()
    } else {
        code
    };
    let mut errors = zijin_domain::FieldErrors::new();
    if !(2..=40).contains(&code.len())
        || !code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        errors.add(
            "code",
            "代码应为2至40位小写英文字母、数字或连字符，如 marine-engineering",
        );
    }
    if label.is_empty() || label.chars().count() > 20 {
        errors.add("label", "名称不能为空，且不超过20个字符");
    } else if let Some(problem) = zijin_domain::validation::line_problem(label) {
        errors.add("label", format!("名称{problem}"));
    }
    if existing.iter().any(|f| f.label == label && f.code != code) {
        errors.add("label", format!("已有名为“{label}”的技术领域"));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let field = TechnicalField {
        code: code.to_string(),
        label: label.to_string(),
    };
    let before = existing
        .iter()
        .find(|f| f.code == code)
        .map(|f| json!({"code": f.code, "label": f.label}));
    let now = app.now();
    let mut tx = app.store.begin_write().await?;
    records::save_technical_field(&mut tx, &field).await?;
    audit::append(
        &mut tx,
        now,
        audit::Change {
            actor: actor.audit_name(),
            action: if before.is_some() {
                "technical-field.rename"
            } else {
                "technical-field.add"
            },
            entity: "technical-field",
            entity_id: field.code.clone(),
            before,
            after: Some(json!({"code": field.code, "label": field.label})),
        },
    )
    .await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(field)
}
