//! Carriers' yearly 绩效报告 (issue 19): the carrier's institution fills the indicators the
//! scheme leaves to the report (with the evidence each needs) and submits; reviewers then score
//! the judgement indicators. Indicators the platform knows are shown, never typed.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde_json::json;
use zijin_domain::carrier_evaluation::{IndicatorSource, Scheme};
use zijin_store::audit::Change;
use zijin_store::carriers::evaluation::{self as store, StoredReport};

use super::evaluation::{check_year, scheme_for};
use super::{StoredCarrier, carrier_type};
use crate::access::{self, Area};
use crate::unit::UnitOfWork;
use crate::{Actor, App, AppError, AppResult};

/// The most characters of a report's summary and of one evidence note.
pub const SUMMARY_MAX_CHARS: usize = 2000;
pub const EVIDENCE_MAX_CHARS: usize = 200;

/// A report as its page shows it.
#[derive(Debug, Clone)]
pub struct ReportView {
    pub carrier: StoredCarrier,
    pub type_name: String,
    pub year: i32,
    pub scheme: &'static Scheme,
    pub report: Option<StoredReport>,
    /// The platform's figures of the year for this carrier's indicators, by indicator code
    /// (decimal text with its unit).
    pub platform: BTreeMap<String, String>,
    pub may_edit: bool,
    pub may_score: bool,
    pub year_confirmed: bool,
    /// The carrier's recorded result of the year (provisional or confirmed), when evaluated.
    pub result: Option<super::evaluation::CarrierResult>,
}

fn is_owner(actor: &Actor, carrier: &StoredCarrier) -> bool {
    access::may(actor, Area::OwnCarriers)
        && access::own_institution_id(actor) == Some(carrier.institution_id)
}

async fn carrier_and_scheme(
    app: &App,
    actor: &Actor,
    carrier_id: i64,
    year: i32,
) -> AppResult<(StoredCarrier, &'static Scheme)> {
    if matches!(actor, Actor::Anonymous) {
        return Err(AppError::Unauthenticated);
    }
    let carrier = zijin_store::carriers::get(app.store().pool(), carrier_id)
        .await?
        .ok_or(AppError::NotFound("载体"))?;
    if !is_owner(actor, &carrier) && !access::may(actor, Area::CarrierScoring) {
        return Err(AppError::Forbidden);
    }
    check_year(app, year)?;
    let scheme = scheme_for(&carrier.carrier_type, year).ok_or_else(|| {
        AppError::WrongState(format!("{year}年度没有适用于该类载体的绩效评价方案"))
    })?;
    Ok((carrier, scheme))
}

/// A carrier's report of a year with the platform's figures (its institution, reviewers and
/// the bureau).
pub async fn view(app: &App, actor: &Actor, carrier_id: i64, year: i32) -> AppResult<ReportView> {
    let (carrier, scheme) = carrier_and_scheme(app, actor, carrier_id, year).await?;
    let pool = app.store().pool();
    let report = store::report(pool, carrier_id, year).await?;
    let confirmed = store::year_confirmed(pool, year).await?.is_some();
    let (from, until) = {
        let start = |y: i32| {
            crate::auth::beijing_day_start(&format!("{y:04}-01-01"))
                .and_then(|t| zijin_store::parse_timestamp(&t).ok())
        };
        (start(year), start(year + 1))
    };
    let (Some(from), Some(until)) = (from, until) else {
        return Err(AppError::field("year", "年份无效"));
    };
    let figures = store::figures(pool, year, from, until).await?;
    let mine = figures.get(&carrier.institution_id);
    let mut platform = BTreeMap::new();
    for i in &scheme.indicators {
        if let IndicatorSource::Platform(metric) = i.source {
            let raw = mine.and_then(|m| m.get(&metric)).copied().unwrap_or(0);
            let value = match metric {
                zijin_domain::Metric::BrokeredTechnology | zijin_domain::Metric::SoldTechnology => {
                    Decimal::new(raw, 6)
                }
                _ => Decimal::from(raw),
            };
            platform.insert(
                i.code.clone(),
                format!(
                    "{} {}",
                    zijin_domain::carrier_evaluation::shown(value),
                    i.unit
                ),
            );
        }
    }
    let submitted = report.as_ref().is_some_and(|r| r.submitted);
    let result = super::evaluation::stored_result(app, &carrier, year).await?;
    Ok(ReportView {
        result,
        type_name: carrier_type(&carrier.carrier_type)
            .map(|t| t.name.clone())
            .unwrap_or_default(),
        may_edit: is_owner(actor, &carrier) && !submitted && !confirmed && carrier.recognised,
        may_score: access::may(actor, Area::CarrierScoring) && submitted && !confirmed,
        year_confirmed: confirmed,
        carrier,
        year,
        scheme,
        report,
        platform,
    })
}

/// What the carrier fills: values and evidence by indicator code, a summary, and whether to
/// submit (a submitted report is final).
#[derive(Debug, Clone, Default)]
pub struct ReportInput {
    pub values: BTreeMap<String, String>,
    pub evidence: BTreeMap<String, String>,
    pub summary: String,
    pub submit: bool,
}

/// A typed figure: full-width digits (as Chinese input methods give them) read as ASCII,
/// thousands separators dropped; plain decimals only (no exponent).
fn parse_amount(text: &str) -> Option<Decimal> {
    let ascii: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, ',' | '，'))
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '．' => '.',
            other => other,
        })
        .collect();
    if ascii.is_empty() || !ascii.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let value: Decimal = ascii.parse().ok()?;
    (value >= Decimal::ZERO && value.scale() <= 2 && value < Decimal::from(1_000_000_000_i64))
        .then_some(value)
}

/// Saves (or submits) the carrier's report of a year: its institution only, before the year is
/// confirmed and before the report was submitted.
pub async fn save(
    app: &App,
    actor: &Actor,
    carrier_id: i64,
    year: i32,
    input: &ReportInput,
) -> AppResult<()> {
    access::require(actor, Area::OwnCarriers)?;
    let (carrier, scheme) = carrier_and_scheme(app, actor, carrier_id, year).await?;
    if !is_owner(actor, &carrier) {
        return Err(AppError::Forbidden);
    }
    if !carrier.recognised {
        return Err(AppError::WrongState(
            "该载体已撤销认定，不能再报送绩效报告".into(),
        ));
    }
    let mut errors = zijin_domain::FieldErrors::new();
    let mut values = BTreeMap::new();
    let mut evidence = BTreeMap::new();
    for i in scheme
        .indicators
        .iter()
        .filter(|i| i.source == IndicatorSource::Report)
    {
        let typed = input.values.get(&i.code).map(|v| v.trim()).unwrap_or("");
        match (typed, parse_amount(typed)) {
            ("", _) if input.submit => {
                errors.add("values", format!("请填写“{}”（{}）", i.name, i.unit));
            }
            ("", _) => {}
            (_, Some(value)) => {
                values.insert(i.code.clone(), value.normalize().to_string());
            }
            (_, None) => errors.add(
                "values",
                format!(
                    "“{}”应为不小于零的数（单位：{}），最多两位小数：{typed}",
                    i.name, i.unit
                ),
            ),
        }
        let note = input.evidence.get(&i.code).map(|v| v.trim()).unwrap_or("");
        if note.chars().count() > EVIDENCE_MAX_CHARS {
            errors.add(
                "evidence",
                format!("“{}”的证明材料说明不能超过 {EVIDENCE_MAX_CHARS} 字", i.name),
            );
        } else if note.is_empty() && !i.evidence.is_empty() && input.submit {
            errors.add(
                "evidence",
                format!("“{}”须附证明材料：{}", i.name, i.evidence),
            );
        } else if !note.is_empty() {
            evidence.insert(i.code.clone(), note.to_string());
        }
    }
    if input.summary.trim().chars().count() > SUMMARY_MAX_CHARS {
        errors.add(
            "summary",
            format!("年度工作总结不能超过 {SUMMARY_MAX_CHARS} 字"),
        );
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let mut work = UnitOfWork::begin(app).await?;
    let now = work.now();
    // Under the carrier's row lock: a second submission at the same moment waits and sees the
    // first.
    zijin_store::carriers::get_for_update(work.tx(), carrier_id).await?;
    if store::year_confirmed(&mut **work.tx(), year)
        .await?
        .is_some()
    {
        return Err(AppError::WrongState(format!(
            "{year}年度的评价结果已确认，不能再报送"
        )));
    }
    let before = store::report(&mut **work.tx(), carrier_id, year).await?;
    if before.as_ref().is_some_and(|r| r.submitted) {
        return Err(AppError::WrongState(
            "本年度绩效报告已提交，不能再修改".into(),
        ));
    }
    let report = StoredReport {
        carrier_id,
        year,
        submitted: input.submit,
        reported: values,
        evidence,
        summary: input.summary.trim().to_string(),
        ..StoredReport::default()
    };
    store::save_report(work.tx(), &report, now).await?;
    work.audit(Change {
        actor: actor.audit_name(),
        action: if input.submit {
            "carrier.report_submit"
        } else {
            "carrier.report_save"
        },
        entity: "carrier",
        entity_id: carrier_id.to_string(),
        before: before.map(|r| json!({ "reported": r.reported })),
        after: Some(
            json!({ "year": year, "reported": report.reported, "evidence": report.evidence }),
        ),
    });
    work.commit().await?;
    Ok(())
}

/// Records the reviewers' points for the judgement indicators of a submitted report (every one,
/// each from 0 to its points, at most one decimal place).
pub async fn score(
    app: &App,
    actor: &Actor,
    carrier_id: i64,
    year: i32,
    scores: &BTreeMap<String, String>,
    comment: &str,
) -> AppResult<()> {
    access::require(actor, Area::CarrierScoring)?;
    let (_, scheme) = carrier_and_scheme(app, actor, carrier_id, year).await?;
    let mut errors = zijin_domain::FieldErrors::new();
    let mut kept = BTreeMap::new();
    for i in scheme
        .indicators
        .iter()
        .filter(|i| i.source == IndicatorSource::Review)
    {
        let typed = scores.get(&i.code).map(|v| v.trim()).unwrap_or("");
        match typed.parse::<Decimal>() {
            Ok(points) if points >= Decimal::ZERO && points <= i.points && points.scale() <= 1 => {
                kept.insert(i.code.clone(), points.normalize().to_string());
            }
            _ if typed.is_empty() => errors.add("scores", format!("请为“{}”评分", i.name)),
            _ => errors.add(
                "scores",
                format!(
                    "“{}”的评分应在 0 至 {} 分之间，最多一位小数：{typed}",
                    i.name,
                    i.points.normalize()
                ),
            ),
        }
    }
    if comment.trim().chars().count() > SUMMARY_MAX_CHARS {
        errors.add(
            "comment",
            format!("评审意见不能超过 {SUMMARY_MAX_CHARS} 字"),
        );
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let mut work = UnitOfWork::begin(app).await?;
    let now = work.now();
    zijin_store::carriers::get_for_update(work.tx(), carrier_id).await?;
    if store::year_confirmed(&mut **work.tx(), year)
        .await?
        .is_some()
    {
        return Err(AppError::WrongState(format!(
            "{year}年度的评价结果已确认，不能再评分"
        )));
    }
    let report = store::report(&mut **work.tx(), carrier_id, year)
        .await?
        .filter(|r| r.submitted)
        .ok_or_else(|| AppError::WrongState("该载体尚未提交本年度绩效报告，不能评分".into()))?;
    store::save_scores(
        work.tx(),
        carrier_id,
        year,
        &kept,
        comment.trim(),
        actor.user().map(|u| u.id),
        now,
    )
    .await?;
    work.audit(Change {
        actor: actor.audit_name(),
        action: "carrier.report_score",
        entity: "carrier",
        entity_id: carrier_id.to_string(),
        before: Some(json!({ "scores": report.scores })),
        after: Some(json!({ "year": year, "scores": kept, "comment": comment.trim() })),
    });
    work.commit().await?;
    Ok(())
}

/// The institution's carriers (recognised or withdrawn), for its 我的载体 page.
pub async fn own_carriers(app: &App, actor: &Actor) -> AppResult<Vec<StoredCarrier>> {
    access::require(actor, Area::OwnCarriers)?;
    let institution = access::require_own_institution(actor)?;
    Ok(zijin_store::carriers::of_institution(app.store().pool(), institution).await?)
}

/// Writes a demo carrier's report of a year (submitted or a draft) and, when given, the
/// reviewers' scores, as the demo's 评审 would have: in one audited unit of work.
pub(crate) async fn demo_report(
    app: &App,
    report: &StoredReport,
    scores: Option<&BTreeMap<String, String>>,
) -> AppResult<()> {
    let mut work = UnitOfWork::begin(app).await?;
    let now = work.now();
    store::save_report(work.tx(), report, now).await?;
    if let Some(scores) = scores {
        store::save_scores(
            work.tx(),
            report.carrier_id,
            report.year,
            scores,
            "演示评审意见：材料齐全，运行规范",
            None,
            now,
        )
        .await?;
    }
    work.audit(Change {
        actor: Actor::System("demo").audit_name(),
        action: "carrier.report_submit",
        entity: "carrier",
        entity_id: report.carrier_id.to_string(),
        before: None,
        after: Some(json!({ "year": report.year, "reported": report.reported, "scores": scores })),
    });
    work.commit().await?;
    Ok(())
}
