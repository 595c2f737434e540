//! 公示 of a call's 拟支持名单: the admin publishes the approved applications for the call's
//! period in working days (counted with the working-day calendar); anyone reads the notice
//! and may object with their real name, phone and reason (the objector is seen by admins
//! only; a phone and an address may object only a few times); the admin rules each objection
//! 成立 — the application leaves the list and its reservation is released — or 不成立, with
//! reasons. The notice closes by itself after its last working day.

use chrono::NaiveDate;
use serde_json::json;
use zijin_domain::{ApplicationStatus, Coded, FieldErrors, ReviewStep, phone_problem};
use zijin_store::applications as store;
use zijin_store::audit::Change;
use zijin_store::notices::{self, NewObjection, NoticeEntry, NoticeRow, ObjectionRow};

use super::beijing_date;
use crate::access::{self, Area};
use crate::auth::ClientAddress;
use crate::unit::UnitOfWork;
use crate::{Actor, App, AppError, AppResult};

/// Objections one phone may raise against one notice.
pub const OBJECTIONS_PER_PHONE: i64 = 3;
/// Objections one address may raise against one notice in a day.
pub const OBJECTIONS_PER_ADDRESS_A_DAY: i64 = 10;

/// A notice as its reader sees it.
#[derive(Debug, Clone)]
pub struct NoticeView {
    pub notice: NoticeRow,
    /// Still open for objections today (Beijing date ≤ its last working day).
    pub open: bool,
    /// The entries; withdrawn ones only for admins.
    pub entries: Vec<NoticeEntry>,
    /// Every objection (admins only; empty for everyone else).
    pub objections: Vec<ObjectionRow>,
    pub may_rule: bool,
}

fn is_open(notice: &NoticeRow, today: NaiveDate) -> bool {
    NaiveDate::parse_from_str(&notice.ends_on, "%Y-%m-%d").is_ok_and(|end| today <= end)
}

/// Publishes the 拟支持名单 of a call (admins): its approved applications not yet noticed.
pub async fn publish(app: &App, actor: &Actor, call_id: i64) -> AppResult<NoticeView> {
    access::require(actor, Area::Calls)?;
    let mut work = UnitOfWork::begin(app).await?;
    let at = zijin_store::timestamp(work.now());
    let call = store::get_call_for_update(work.tx(), call_id)
        .await?
        .ok_or(AppError::NotFound("申报通知"))?;
    if notices::notice_of_call(&mut **work.tx(), call_id)
        .await?
        .is_some()
    {
        return Err(AppError::WrongState("本通知的拟支持名单已经公示".into()));
    }
    let entries = notices::approved_for_notice(&mut **work.tx(), call_id).await?;
    if entries.is_empty() {
        return Err(AppError::WrongState(
            "本通知还没有已核定的申报，无可公示".into(),
        ));
    }
    let today = beijing_date(work.now());
    let ends_on = app
        .calendar
        .add_working_days(today, call.notice_days)
        .map_err(|error| AppError::WrongState(error.to_string()))?;
    let named = entries;
    let id = notices::insert_notice(
        work.tx(),
        call_id,
        notices::NoticePeriod {
            starts_on: &today.to_string(),
            ends_on: &ends_on.to_string(),
            working_days: call.notice_days,
        },
        &named,
        actor.user().map(|u| u.id),
        &at,
    )
    .await?;
    for (application, ..) in &named {
        if let Some(row) = store::get_application(&mut **work.tx(), *application).await? {
            zijin_store::notifications::notify(
                work.tx(),
                row.institution_id,
                &format!("您的申报已列入拟支持名单公示，公示期至 {ends_on}"),
                &format!("/notices/{id}"),
                &at,
            )
            .await?;
        }
    }
    work.audit(Change {
        actor: actor.audit_name(),
        action: "notice.publish",
        entity: "notice",
        entity_id: id.to_string(),
        before: None,
        after: Some(json!({
            "call": call_id,
            "starts_on": today.to_string(),
            "ends_on": ends_on.to_string(),
            "applications": named.iter().map(|e| e.0).collect::<Vec<_>>(),
        })),
    });
    work.commit().await?;
    get(app, actor, id).await
}

/// A notice (public); admins also see withdrawn entries and the objections.
pub async fn get(app: &App, actor: &Actor, id: i64) -> AppResult<NoticeView> {
    let pool = app.store.pool();
    let notice = notices::get_notice(pool, id)
        .await?
        .ok_or(AppError::NotFound("公示"))?;
    let admin = access::may(actor, Area::Calls);
    let mut entries = notices::entries(pool, id).await?;
    if !admin {
        entries.retain(|e| !e.withdrawn);
    }
    let objections = if admin {
        notices::objections(pool, id).await?
    } else {
        Vec::new()
    };
    Ok(NoticeView {
        open: is_open(&notice, beijing_date(app.now())),
        notice,
        entries,
        objections,
        may_rule: admin,
    })
}

/// The notice of a call, if it has one (public).
pub async fn of_call(app: &App, actor: &Actor, call_id: i64) -> AppResult<Option<NoticeView>> {
    match notices::notice_of_call(app.store.pool(), call_id).await? {
        Some(notice) => Ok(Some(get(app, actor, notice.id).await?)),
        None => Ok(None),
    }
}

/// What an objector writes.
#[derive(Debug, Clone, Default)]
pub struct ObjectionInput {
    /// The application objected to (optional: an objection may concern the whole list).
    pub application: Option<i64>,
    pub name: String,
    pub phone: String,
    pub reason: String,
}

/// Raises an objection (anyone, while the notice is open). Anonymous objections are refused:
/// a real name and a phone are required.
pub async fn object(
    app: &App,
    address: &ClientAddress,
    notice_id: i64,
    input: &ObjectionInput,
) -> AppResult<i64> {
    let mut errors = FieldErrors::new();
    let name = input.name.trim();
    if name.chars().count() < 2 || name.chars().count() > 20 {
        errors.add("name", "请填写真实姓名（2 至 20 个字）；匿名异议不予受理");
    }
    if let Some(problem) = phone_problem(&input.phone) {
        errors.add("phone", problem);
    }
    let reason = input.reason.trim();
    if reason.chars().count() < 10 {
        errors.add("reason", "请写明异议的事实和理由（至少 10 个字）");
    } else if reason.chars().count() > 2_000 {
        errors.add("reason", "异议理由最多 2,000 个字");
    }
    let mut work = UnitOfWork::begin(app).await?;
    let now = work.now();
    let at = zijin_store::timestamp(now);
    let notice = notices::get_notice_for_update(work.tx(), notice_id)
        .await?
        .ok_or(AppError::NotFound("公示"))?;
    if !is_open(&notice, beijing_date(now)) {
        return Err(AppError::WrongState(format!(
            "公示已于 {} 结束，不再受理异议",
            notice.ends_on
        )));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    // An objection to an application the notice does not list names nothing that exists here.
    if let Some(application) = input.application {
        let listed = notices::entries(&mut **work.tx(), notice_id)
            .await?
            .iter()
            .any(|e| e.application_id == application && !e.withdrawn);
        if !listed {
            return Err(AppError::NotFound("本次公示名单中的所选项目"));
        }
    }
    let phone = input.phone.trim();
    let day_ago = zijin_store::timestamp(now - chrono::Duration::days(1));
    let (by_phone, by_address) = notices::objection_counts(
        &mut **work.tx(),
        notice_id,
        phone,
        address.as_str(),
        &day_ago,
    )
    .await?;
    if by_phone >= OBJECTIONS_PER_PHONE || by_address >= OBJECTIONS_PER_ADDRESS_A_DAY {
        return Err(AppError::TooManyRequests);
    }
    let id = notices::insert_objection(
        work.tx(),
        &NewObjection {
            notice_id,
            application_id: input.application,
            name,
            phone,
            reason,
            address: address.as_str(),
        },
        &at,
    )
    .await?;
    // The objector's identity stays out of the audit entry's readable part: the entry records
    // that an objection was made, and to what.
    work.audit(Change {
        actor: "anonymous".into(),
        action: "notice.objection",
        entity: "notice",
        entity_id: notice_id.to_string(),
        before: None,
        after: Some(json!({ "objection": id, "application": input.application })),
    });
    work.commit().await?;
    Ok(id)
}

/// Rules an objection (admins): upheld takes the application off the list (not supported;
/// its reservation released), dismissed leaves it; the reason is required either way.
pub async fn rule(
    app: &App,
    actor: &Actor,
    objection_id: i64,
    upheld: bool,
    reason: &str,
) -> AppResult<()> {
    access::require(actor, Area::Calls)?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::field("reason", "请写明认定理由"));
    }
    let mut work = UnitOfWork::begin(app).await?;
    let at = zijin_store::timestamp(work.now());
    let objection = notices::objection_for_update(work.tx(), objection_id)
        .await?
        .ok_or(AppError::NotFound("异议"))?;
    if objection.ruling.is_some() {
        return Err(AppError::WrongState("该异议已经认定".into()));
    }
    let ruling = if upheld { "upheld" } else { "dismissed" };
    notices::rule(
        work.tx(),
        objection_id,
        ruling,
        reason,
        actor.user().map(|u| u.id),
        &at,
    )
    .await?;
    if upheld && let Some(application) = objection.application_id {
        let row = store::get_application_for_update(work.tx(), application)
            .await?
            .ok_or(AppError::NotFound("申报"))?;
        notices::withdraw_entry(work.tx(), objection.notice_id, application, reason).await?;
        notices::release_ledger(work.tx(), application, &at).await?;
        store::set_status(
            work.tx(),
            application,
            ApplicationStatus::Rejected,
            Some(ReviewStep::Final),
            &at,
        )
        .await?;
        store::add_event(
            work.tx(),
            application,
            &store::NewEvent {
                action: "objection_upheld",
                step: Some(ReviewStep::Final),
                comment: reason,
                user_id: actor.user().map(|u| u.id),
                ..Default::default()
            },
            &at,
        )
        .await?;
        zijin_store::notifications::notify(
            work.tx(),
            row.institution_id,
            &format!("公示期间的异议经核实成立，您的申报不予支持：{reason}"),
            &format!("/applications/{application}"),
            &at,
        )
        .await?;
    }
    work.audit(Change {
        actor: actor.audit_name(),
        action: "notice.ruling",
        entity: "objection",
        entity_id: objection_id.to_string(),
        before: Some(json!({ "ruling": null })),
        after: Some(json!({
            "ruling": ruling,
            "reason": reason,
            "application": objection.application_id,
            "status": if upheld { Some(ApplicationStatus::Rejected.code()) } else { None },
        })),
    });
    work.commit().await?;
    Ok(())
}

/// The notice as a PDF for publication (public): the list that is in force (withdrawn entries
/// left out), its period, and how to object.
pub async fn pdf(app: &App, id: i64) -> AppResult<Vec<u8>> {
    let view = get(app, &Actor::Anonymous, id).await?;
    let rows: Vec<Vec<String>> = view
        .entries
        .iter()
        .enumerate()
        .map(|(n, e)| {
            vec![
                (n + 1).to_string(),
                e.institution_name.clone(),
                app.policies
                    .measure(&e.measure_id)
                    .map_or_else(|| e.measure_id.clone(), |m| m.name.clone()),
                zijin_domain::Money::from_fen(e.amount_fen)
                    .map(|m| zijin_policy::money_text(m.decimal()))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    let notice = &view.notice;
    let publication = zijin_pdf::Publication {
        title: format!("{}拟支持名单公示", notice.call_title),
        preamble: vec![
            format!(
                "公示期：{} 至 {}（{} 个工作日，含当日）",
                notice.starts_on, notice.ends_on, notice.working_days
            ),
            "对名单有异议的，请在公示期内以真实姓名在平台提出，写明事实和理由并留下联系电话；匿名异议不予受理，异议人信息予以保密。"
                .to_string(),
        ],
        tables: vec![zijin_pdf::Table {
            heading: "拟支持名单".into(),
            columns: vec![
                zijin_pdf::Column::new("序号", 0.6).aligned(zijin_pdf::Align::Center),
                zijin_pdf::Column::new("单位名称", 3.0),
                zijin_pdf::Column::new("项目（政策措施）", 3.0),
                zijin_pdf::Column::new("拟支持金额（元）", 1.6).aligned(zijin_pdf::Align::Right),
            ],
            rows,
            empty_note: "名单中暂无项目".into(),
        }],
        footer: format!("紫金科技成果转化服务平台 · {}", notice.call_title),
        date: NaiveDate::parse_from_str(&notice.starts_on, "%Y-%m-%d")
            .ok()
            .map(|d| {
                use chrono::Datelike;
                (d.year() as u16, d.month() as u8, d.day() as u8)
            }),
    };
    crate::exports::render_pdf(publication, "公示名单").await
}
