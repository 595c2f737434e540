//! Calls for applications (申报通知): the admin opens one for one or more measures, with its
//! opening and closing times (Beijing time), who may apply, the documents to attach, guidance,
//! a budget per measure and the 公示 period in working days. Anyone reads them.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, Utc};
use serde_json::json;
use zijin_domain::{Coded, District, FieldErrors, InstitutionType, Money};
pub use zijin_store::applications::RubricItem;
use zijin_store::applications::{self as store, CallRow, NewCall};
use zijin_store::audit::Change;

use super::{beijing_date, yuan};
use crate::access::{self, Area};
use crate::unit::UnitOfWork;
use crate::{Actor, App, AppError, AppResult};

/// A call as the admin writes it (the API's body; the page's form).
#[derive(Debug, Clone, Default)]
pub struct CallInput {
    pub title: String,
    pub guidance: String,
    /// Policy measure ids.
    pub measures: Vec<String>,
    /// RFC 3339 with the offset, e.g. `2026-12-01T09:00:00+08:00`.
    pub opens: String,
    pub closes: String,
    /// Budget per measure, yuan as decimal strings.
    pub budgets: BTreeMap<String, String>,
    /// Institution type codes or labels (empty: any).
    pub applicant_types: Vec<String>,
    /// District codes or names (empty: any).
    pub districts: Vec<String>,
    /// Documents each application must attach.
    pub attachments: Vec<String>,
    /// The 公示 period in working days (default 5).
    pub notice_days: Option<u32>,
    /// Whether applications go through 专家评审 (then `rubric` is needed).
    pub expert_review: bool,
    /// The items experts score, each with its full points.
    pub rubric: Vec<RubricItem>,
}

/// Where a call stands, by the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallPhase {
    /// 未开始.
    Upcoming,
    /// 申报中.
    Open,
    /// 已截止.
    Closed,
}

impl CallPhase {
    pub fn label(self) -> &'static str {
        match self {
            Self::Upcoming => "未开始",
            Self::Open => "申报中",
            Self::Closed => "已截止",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Upcoming => "upcoming",
            Self::Open => "open",
            Self::Closed => "closed",
        }
    }
}

/// A call with its phase now and its measures' names.
#[derive(Debug, Clone)]
pub struct CallView {
    pub call: CallRow,
    pub phase: CallPhase,
    /// (measure id, measure name, article, budget in yuan).
    pub measures: Vec<(String, String, u32, rust_decimal::Decimal)>,
}

pub(crate) fn phase(call: &CallRow, now: DateTime<Utc>) -> CallPhase {
    let at = zijin_store::timestamp(now);
    if at < call.opens_at {
        CallPhase::Upcoming
    } else if at < call.closes_at {
        CallPhase::Open
    } else {
        CallPhase::Closed
    }
}

fn view(app: &App, call: CallRow) -> CallView {
    let measures = call
        .measures
        .iter()
        .map(|(id, budget)| {
            let (name, article) = app
                .policies
                .measure(id)
                .map_or((id.clone(), 0), |m| (m.name.clone(), m.article));
            (id.clone(), name, article, yuan(*budget))
        })
        .collect();
    CallView {
        phase: phase(&call, app.now()),
        call,
        measures,
    }
}

fn moment(
    errors: &mut FieldErrors,
    field: &'static str,
    label: &str,
    text: &str,
) -> Option<DateTime<Utc>> {
    if text.trim().is_empty() {
        errors.add(field, format!("请填写{label}"));
        return None;
    }
    match DateTime::<FixedOffset>::parse_from_rfc3339(text.trim()) {
        Ok(at) => Some(at.with_timezone(&Utc)),
        Err(_) => {
            errors.add(
                field,
                format!("{label}应写成带时区的时间，如 2026-12-01T09:00:00+08:00（北京时间）"),
            );
            None
        }
    }
}

/// Opens a call (admins). Every problem of the input is reported at once.
pub async fn create(app: &App, actor: &Actor, input: &CallInput) -> AppResult<CallView> {
    access::require(actor, Area::Calls)?;
    let mut errors = FieldErrors::new();
    let title = input.title.trim();
    if title.is_empty() {
        errors.add("title", "请填写通知标题");
    } else if title.chars().count() > 100 {
        errors.add("title", "通知标题最多 100 个字");
    }
    if input.guidance.chars().count() > 20_000 {
        errors.add("guidance", "申报指南最多 20,000 个字");
    }
    let mut measures: Vec<(String, i64)> = Vec::new();
    if input.measures.is_empty() {
        errors.add("measures", "请至少选择一项政策措施");
    }
    for id in &input.measures {
        let id = id.trim();
        if app.policies.measure(id).is_none() {
            errors.add("measures", format!("没有编号为“{id}”的政策措施"));
            continue;
        }
        if measures.iter().any(|(m, _)| m == id) {
            errors.add("measures", "同一政策措施只能列一次");
            continue;
        }
        let name = app.policies.measure(id).map_or(id, |m| m.name.as_str());
        match input.budgets.get(id).map(|b| Money::parse(b)) {
            None => errors.add("budgets", format!("请填写“{name}”的预算")),
            Some(Err(error)) => errors.add("budgets", format!("“{name}”的预算：{error}")),
            Some(Ok(money)) if money.fen() == 0 => {
                errors.add("budgets", format!("“{name}”的预算应大于零"))
            }
            Some(Ok(money)) => measures.push((id.to_string(), money.fen())),
        }
    }
    for id in input.budgets.keys() {
        if !input.measures.iter().any(|m| m.trim() == id) {
            errors.add("budgets", format!("预算中的“{id}”不在本通知的政策措施中"));
        }
    }
    let opens = moment(&mut errors, "opens", "开始时间", &input.opens);
    let closes = moment(&mut errors, "closes", "截止时间", &input.closes);
    let notice_days = input.notice_days.unwrap_or(5);
    if !(1..=30).contains(&notice_days) {
        errors.add("notice_days", "公示期应为 1 至 30 个工作日");
    }
    if let (Some(opens), Some(closes)) = (opens, closes) {
        if closes <= opens {
            errors.add("closes", "截止时间应晚于开始时间");
        }
        if closes <= app.now() {
            errors.add("closes", "截止时间已过");
        }
        // The notice after the call must be countable in working days: a year the calendar
        // does not hold is an error now, not a guess later.
        if let Err(error) = app
            .calendar
            .add_working_days(beijing_date(closes), notice_days)
        {
            errors.add("closes", error.to_string());
        }
    }
    let mut types = Vec::new();
    for text in &input.applicant_types {
        match InstitutionType::from_code(text) {
            Some(kind) if !types.contains(&kind.code().to_string()) => {
                types.push(kind.code().to_string())
            }
            Some(_) => {}
            None => errors.add("applicant_types", format!("“{text}”不是机构类型")),
        }
    }
    let mut districts = Vec::new();
    for text in &input.districts {
        match District::from_code(text) {
            Some(d) if !districts.contains(&d.code().to_string()) => {
                districts.push(d.code().to_string())
            }
            Some(_) => {}
            None => errors.add("districts", format!("“{text}”不是本市的区")),
        }
    }
    let mut attachments = Vec::new();
    for name in &input.attachments {
        let name = name.trim();
        if name.is_empty() {
            continue;
        }
        if name.chars().count() > 50 {
            errors.add("attachments", "附件名称最多 50 个字");
        } else if !attachments.iter().any(|a| a == name) {
            attachments.push(name.to_string());
        }
    }
    let rubric = check_rubric(&mut errors, input.expert_review, &input.rubric);
    let (Some(opens), Some(closes)) = (opens, closes) else {
        return Err(AppError::Validation(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let mut work = UnitOfWork::begin(app).await?;
    let at = zijin_store::timestamp(work.now());
    let new = NewCall {
        title,
        guidance: input.guidance.trim(),
        opens_at: &zijin_store::timestamp(opens),
        closes_at: &zijin_store::timestamp(closes),
        applicant_types: &types,
        districts: &districts,
        attachments: &attachments,
        expert_review: input.expert_review,
        rubric: &rubric,
        notice_days,
        measures: &measures,
        created_by: actor.user().map(|u| u.id),
        created_at: &at,
    };
    let id = store::insert_call(work.tx(), &new).await?;
    work.audit(Change {
        actor: actor.audit_name(),
        action: "call.create",
        entity: "call",
        entity_id: id.to_string(),
        before: None,
        after: Some(json!({
            "title": title,
            "opens_at": new.opens_at,
            "closes_at": new.closes_at,
            "budgets": measures.iter().map(|(m, fen)| (m.clone(), yuan(*fen).to_string())).collect::<BTreeMap<_, _>>(),
            "applicant_types": types,
            "districts": districts,
            "attachments": attachments,
            "notice_days": notice_days,
            "expert_review": input.expert_review,
            "rubric": rubric.iter().map(|r| json!({"item": r.item, "points": r.points})).collect::<Vec<_>>(),
        })),
    });
    work.commit().await?;
    get(app, id).await
}

/// Why an institution may not apply under a call (its type or district is not among the
/// call's), if it may not.
pub fn applicant_refusal(
    call: &CallRow,
    institution: &zijin_domain::InstitutionDetails,
) -> Option<String> {
    if !call.applicant_types.is_empty()
        && !call
            .applicant_types
            .iter()
            .any(|t| t == institution.kind.code())
    {
        return Some(format!("本通知不接受{}申报", institution.kind.label()));
    }
    if !call.districts.is_empty()
        && !call
            .districts
            .iter()
            .any(|d| d == institution.district.code())
    {
        return Some(format!(
            "本通知不接受{}的单位申报",
            institution.district.label()
        ));
    }
    None
}

/// Why the actor's institution may not apply under a call, if it may not (None for anyone
/// who is not an institution's user).
pub async fn refusal_for_actor(
    app: &App,
    actor: &Actor,
    call: &CallRow,
) -> AppResult<Option<String>> {
    match access::own_institution_id(actor) {
        Some(id) => {
            let institution = crate::institutions::get(app, id).await?;
            Ok(applicant_refusal(call, &institution.details))
        }
        None => Ok(None),
    }
}

/// A call (public).
pub async fn get(app: &App, id: i64) -> AppResult<CallView> {
    let call = store::call_in(app.store.pool(), id)
        .await?
        .ok_or(AppError::NotFound("申报通知"))?;
    Ok(view(app, call))
}

/// Every call, the latest closing first (public).
pub async fn list(app: &App) -> AppResult<Vec<CallView>> {
    Ok(store::calls_in(app.store.pool())
        .await?
        .into_iter()
        .map(|call| view(app, call))
        .collect())
}

/// The most points one rubric item may carry, and the most items.
const MAX_ITEM_POINTS: u32 = 100;
const MAX_RUBRIC_ITEMS: usize = 20;

/// The rubric of a call with expert review: named items (at most 30 characters, each once),
/// each worth 1 to 100 points. Errors name the item by its place (第 N 项).
fn check_rubric(
    errors: &mut FieldErrors,
    expert_review: bool,
    rubric: &[RubricItem],
) -> Vec<RubricItem> {
    if !expert_review {
        if !rubric.is_empty() {
            errors.add("rubric", "未选择专家评审时不需要评分标准");
        }
        return Vec::new();
    }
    if rubric.is_empty() {
        errors.add("rubric", "选择专家评审时请填写评分标准（评分项和分值）");
    }
    if rubric.len() > MAX_RUBRIC_ITEMS {
        errors.add("rubric", format!("评分项最多 {MAX_RUBRIC_ITEMS} 项"));
    }
    let mut items: Vec<RubricItem> = Vec::new();
    for (n, item) in rubric.iter().enumerate() {
        let name = item.item.trim();
        let place = n + 1;
        if name.is_empty() {
            errors.add("rubric", format!("评分标准第 {place} 项：请填写评分项名称"));
        } else if name.chars().count() > 30 {
            errors.add("rubric", format!("评分标准第 {place} 项：名称最多 30 个字"));
        } else if items.iter().any(|i| i.item == name) {
            errors.add("rubric", format!("评分标准第 {place} 项：“{name}”重复"));
        }
        if !(1..=MAX_ITEM_POINTS).contains(&item.points) {
            errors.add(
                "rubric",
                format!("评分标准第 {place} 项：分值应为 1 至 {MAX_ITEM_POINTS} 的整数"),
            );
        }
        items.push(RubricItem {
            item: name.to_string(),
            points: item.points,
        });
    }
    items
}
