//! Yearly performance evaluation of carriers (issue 19): the schemes of
//! `config/carrier-evaluation.toml`, the results of a year (platform figures, submitted
//! reports, reviewers' scores), the bureau's confirmation and the exit rule.
//!
//! **Invariants**: indicators the platform knows are never typed — the report holds only the
//! `report` indicators' values; a confirmed year's results are frozen (evaluating it again
//! returns what was confirmed); a year is confirmed once, even by two requests at the same
//! moment (the year's row is the confirmation), and only that confirmation applies the exit
//! rule.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};
use serde_json::json;
use zijin_domain::Coded;
use zijin_domain::carrier_evaluation::{
    self as engine, Grade, Indicator, IndicatorSource, Inputs, Metric, Scheme, Thresholds,
};
use zijin_store::audit::Change;
use zijin_store::carriers::evaluation::{self as store, StoredEvaluation};

use super::{StoredCarrier, carrier_type, types};
use crate::access::{self, Area};
use crate::unit::UnitOfWork;
use crate::{Actor, App, AppError, AppResult};

const EVALUATION_FILE: &str = include_str!("../../../../config/carrier-evaluation.toml");

/// The evaluation file: the exit rule and the dated schemes.
#[derive(Debug, Clone)]
pub struct EvaluationFile {
    /// How many 不合格 in a row withdraw a recognition (0: never by this rule).
    pub exit_after_failures: usize,
    pub schemes: Vec<Scheme>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    exit_after_failures: usize,
    scheme: Vec<RawScheme>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScheme {
    name: String,
    from: String,
    types: Vec<String>,
    thresholds: RawThresholds,
    indicators: Vec<RawIndicator>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawThresholds {
    excellent: String,
    good: String,
    pass: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicator {
    code: String,
    block: String,
    name: String,
    #[serde(default)]
    unit: String,
    source: String,
    #[serde(default)]
    metric: Option<String>,
    #[serde(default)]
    evidence: String,
    points: String,
    #[serde(default)]
    full_at: Option<String>,
}

fn number(text: &str, what: &str) -> Result<Decimal, String> {
    text.trim()
        .parse::<Decimal>()
        .map_err(|_| format!("{what}应为数字：{text}"))
}

/// Reads an evaluation file: every scheme well formed (see `Scheme::check`), its types known,
/// and every carrier type covered by a scheme from the earliest scheme's date on.
pub fn parse_evaluation(text: &str) -> Result<EvaluationFile, String> {
    let raw: RawFile = toml::from_str(text).map_err(|e| format!("绩效评价方案文件无效：{e}"))?;
    let mut schemes = Vec::new();
    for s in raw.scheme {
        let from = NaiveDate::parse_from_str(&s.from, "%Y-%m-%d")
            .map_err(|_| format!("{}：起始日期应为 YYYY-MM-DD：{}", s.name, s.from))?;
        for t in &s.types {
            if carrier_type(t).is_none() {
                return Err(format!("{}：没有这个载体类型：{t}", s.name));
            }
        }
        let mut indicators = Vec::new();
        for i in s.indicators {
            let source = match (i.source.as_str(), &i.metric) {
                ("platform", Some(metric)) => IndicatorSource::Platform(
                    Metric::ALL
                        .iter()
                        .copied()
                        .find(|m| m.code() == metric)
                        .ok_or_else(|| format!("{}：没有这项平台数据：{metric}", s.name))?,
                ),
                ("report", None) => IndicatorSource::Report,
                ("review", None) => IndicatorSource::Review,
                _ => {
                    return Err(format!(
                        "{}：指标“{}”的来源应为 platform（并写明 metric）、report 或 review",
                        s.name, i.name
                    ));
                }
            };
            indicators.push(Indicator {
                points: number(&i.points, &format!("指标“{}”的分值", i.name))?,
                full_at: i
                    .full_at
                    .as_deref()
                    .map(|f| number(f, &format!("指标“{}”的满分值", i.name)))
                    .transpose()?,
                code: i.code,
                name: i.name,
                block: i.block,
                unit: i.unit,
                source,
                evidence: i.evidence,
            });
        }
        let scheme = Scheme {
            thresholds: Thresholds {
                excellent: number(&s.thresholds.excellent, "优秀分数线")?,
                good: number(&s.thresholds.good, "良好分数线")?,
                pass: number(&s.thresholds.pass, "合格分数线")?,
            },
            name: s.name,
            from,
            types: s.types,
            indicators,
        };
        scheme.check()?;
        schemes.push(scheme);
    }
    let earliest = schemes
        .iter()
        .map(|s| s.from)
        .min()
        .ok_or("绩效评价方案文件中没有方案")?;
    for t in types() {
        let covered = schemes
            .iter()
            .any(|s| s.from == earliest && s.types.contains(&t.code));
        if !covered {
            return Err(format!("{}没有适用的绩效评价方案", t.name));
        }
    }
    Ok(EvaluationFile {
        exit_after_failures: raw.exit_after_failures,
        schemes,
    })
}

/// The shipped evaluation file.
pub fn evaluation_file() -> &'static EvaluationFile {
    static FILE: OnceLock<EvaluationFile> = OnceLock::new();
    FILE.get_or_init(|| {
        // Compiled in and checked by a test; a broken file is a build defect.
        parse_evaluation(EVALUATION_FILE).unwrap_or_else(|error| panic!("{error}"))
    })
}

/// The first year any scheme applies to.
pub fn first_year() -> i32 {
    evaluation_file()
        .schemes
        .iter()
        .map(|s| chrono::Datelike::year(&s.from))
        .min()
        .unwrap_or(2024)
}

/// The scheme that evaluates a type's year: the latest in force on the year's last day.
pub fn scheme_for(type_code: &str, year: i32) -> Option<&'static Scheme> {
    let last_day = NaiveDate::from_ymd_opt(year, 12, 31)?;
    evaluation_file()
        .schemes
        .iter()
        .filter(|s| s.from <= last_day && s.types.iter().any(|t| t == type_code))
        .max_by_key(|s| s.from)
}

/// One indicator of a carrier's result, as shown and as the CLI prints it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorRow {
    pub code: String,
    pub name: String,
    pub block: String,
    /// The value (numeric indicators), as decimal text.
    pub value: Option<String>,
    pub unit: String,
    pub points: String,
    pub max_points: String,
    /// Where the value came from, in words.
    pub source: String,
    /// `platform`, `report` or `review`.
    pub source_kind: String,
    pub explanation: String,
}

/// One carrier's result of a year.
#[derive(Debug, Clone, PartialEq)]
pub struct CarrierResult {
    pub carrier: StoredCarrier,
    pub type_name: String,
    pub total: Decimal,
    pub grade: Grade,
    pub indicators: Vec<IndicatorRow>,
}

impl CarrierResult {
    /// The result as `zijin carriers evaluate --json` prints it (numbers as JSON numbers).
    pub fn to_json(&self) -> serde_json::Value {
        let num = |text: &str| {
            text.parse::<Decimal>()
                .ok()
                .and_then(|d| d.normalize().to_f64())
                .map(serde_json::Value::from)
                .unwrap_or(serde_json::Value::Null)
        };
        json!({
            "carrier": self.carrier.name,
            "carrier_id": self.carrier.id,
            "institution": self.carrier.institution_name,
            "type": self.type_name,
            "type_code": self.carrier.carrier_type,
            "total": num(&self.total.to_string()),
            "grade": self.grade.label(),
            "indicators": self.indicators.iter().map(|i| json!({
                "name": i.name,
                "block": i.block,
                "value": i.value.as_deref().map(num).unwrap_or(serde_json::Value::Null),
                "unit": i.unit,
                "points": num(&i.points),
                "max_points": num(&i.max_points),
                "source": i.source,
                "explanation": i.explanation,
            })).collect::<Vec<_>>(),
        })
    }
}

/// A year's evaluation: the results and whether the bureau has confirmed them.
#[derive(Debug, Clone)]
pub struct YearEvaluation {
    pub year: i32,
    pub results: Vec<CarrierResult>,
    /// When the year was confirmed (Beijing time shown by the caller), if it was.
    pub confirmed_at: Option<String>,
}

fn year_bounds(
    year: i32,
) -> AppResult<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)> {
    let start = |y: i32| {
        crate::auth::beijing_day_start(&format!("{y:04}-01-01"))
            .and_then(|t| zijin_store::parse_timestamp(&t).ok())
            .ok_or_else(|| AppError::field("year", format!("年份无效：{y}")))
    };
    Ok((start(year)?, start(year + 1)?))
}

/// Checks an evaluation year: from 2000 to this year (Beijing time).
pub fn check_year(app: &App, year: i32) -> AppResult<()> {
    let this_year = chrono::Datelike::year(&crate::applications::beijing_date(app.now()));
    if !(2000..=this_year).contains(&year) {
        return Err(AppError::field(
            "year",
            format!("评价年度应在 2000 年至 {this_year} 年之间"),
        ));
    }
    Ok(())
}

fn to_rows(outcome: &engine::Outcome) -> Vec<IndicatorRow> {
    outcome
        .indicators
        .iter()
        .map(|r| IndicatorRow {
            code: r.code.clone(),
            name: r.name.clone(),
            block: r.block.clone(),
            value: r.value.map(|v| v.normalize().to_string()),
            unit: r.unit.clone(),
            points: r.points.normalize().to_string(),
            max_points: r.max_points.normalize().to_string(),
            source: r.source.label().to_string(),
            source_kind: match r.source {
                IndicatorSource::Platform(_) => "platform",
                IndicatorSource::Report => "report",
                IndicatorSource::Review => "review",
            }
            .to_string(),
            explanation: r.explanation.clone(),
        })
        .collect()
}

/// The values of the carriers' reports and the reviewers' scores as the engine reads them.
fn inputs_of(
    figures: Option<&BTreeMap<Metric, i64>>,
    report: Option<&store::StoredReport>,
) -> Inputs {
    let mut inputs = Inputs::default();
    for (metric, raw) in figures.into_iter().flatten() {
        let value = match metric {
            // 技术交易额 in 万元 (fen / 1,000,000).
            Metric::BrokeredTechnology | Metric::SoldTechnology => Decimal::new(*raw, 6),
            _ => Decimal::from(*raw),
        };
        inputs.platform.insert(*metric, value);
    }
    if let Some(report) = report.filter(|r| r.submitted) {
        inputs.report_submitted = true;
        for (code, text) in &report.reported {
            if let Ok(value) = text.parse::<Decimal>() {
                inputs.reported.insert(code.clone(), value);
            }
        }
        for (code, text) in &report.scores {
            if let Ok(value) = text.parse::<Decimal>() {
                inputs.scores.insert(code.clone(), value);
            }
        }
    }
    inputs
}

/// The carriers a year evaluates: recognised now and recognised by the year's end.
async fn carriers_of_year(app: &App, year: i32) -> AppResult<Vec<StoredCarrier>> {
    let last_day =
        NaiveDate::from_ymd_opt(year, 12, 31).ok_or_else(|| AppError::field("year", "年份无效"))?;
    Ok(zijin_store::carriers::recognised(app.store().pool())
        .await?
        .into_iter()
        .filter(|c| c.recognised_on <= last_day)
        .collect())
}

fn type_name(code: &str) -> String {
    carrier_type(code)
        .map(|t| t.name.clone())
        .unwrap_or_else(|| code.to_string())
}

/// Evaluates every carrier for `year` and records the results (provisional). A confirmed year
/// is not evaluated again: its confirmed results are returned.
pub async fn evaluate(app: &App, actor: &Actor, year: i32) -> AppResult<YearEvaluation> {
    access::require(actor, Area::Carriers)?;
    check_year(app, year)?;
    let pool = app.store().pool();
    if let Some((_, at)) = store::year_confirmed(pool, year).await? {
        return Ok(YearEvaluation {
            year,
            results: stored_results(app, year).await?,
            confirmed_at: Some(at),
        });
    }
    let carriers = carriers_of_year(app, year).await?;
    let (from, until) = year_bounds(year)?;
    let figures = store::figures(pool, year, from, until).await?;
    let reports = store::reports_of_year(pool, year).await?;
    let mut results = Vec::with_capacity(carriers.len());
    for carrier in carriers {
        let Some(scheme) = scheme_for(&carrier.carrier_type, year) else {
            continue;
        };
        let inputs = inputs_of(
            figures.get(&carrier.institution_id),
            reports.get(&carrier.id),
        );
        let outcome = engine::score(scheme, &inputs);
        results.push(CarrierResult {
            type_name: type_name(&carrier.carrier_type),
            total: outcome.total,
            grade: outcome.grade,
            indicators: to_rows(&outcome),
            carrier,
        });
    }
    let rows: Vec<StoredEvaluation> = results
        .iter()
        .map(|r| {
            Ok(StoredEvaluation {
                carrier_id: r.carrier.id,
                year,
                total: r.total.to_string(),
                grade: r.grade.code().to_string(),
                result: serde_json::to_string(&r.indicators)
                    .map_err(|e| AppError::Internal(e.to_string()))?,
                confirmed: false,
            })
        })
        .collect::<AppResult<_>>()?;
    let mut work = UnitOfWork::begin(app).await?;
    let now = work.now();
    // Confirmed meanwhile by another request: keep what was confirmed.
    if store::year_confirmed(&mut **work.tx(), year)
        .await?
        .is_some()
    {
        drop(work);
        return Box::pin(evaluate(app, actor, year)).await;
    }
    store::replace_results(work.tx(), year, &rows, now).await?;
    let mut by_grade: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &results {
        *by_grade.entry(r.grade.label()).or_default() += 1;
    }
    work.audit(Change {
        actor: actor.audit_name(),
        action: "carrier.evaluate",
        entity: "carrier_evaluation",
        entity_id: year.to_string(),
        before: None,
        after: Some(json!({ "year": year, "carriers": results.len(), "grades": by_grade })),
    });
    work.commit().await?;
    Ok(YearEvaluation {
        year,
        results,
        confirmed_at: None,
    })
}

fn result_of_row(row: StoredEvaluation, carrier: StoredCarrier) -> AppResult<CarrierResult> {
    let indicators: Vec<IndicatorRow> = serde_json::from_str(&row.result)
        .map_err(|_| AppError::Internal(format!("载体评价结果无效：{}", row.carrier_id)))?;
    Ok(CarrierResult {
        type_name: type_name(&carrier.carrier_type),
        total: row
            .total
            .parse()
            .map_err(|_| AppError::Internal(format!("载体评价总分无效：{}", row.total)))?,
        grade: Grade::from_code(&row.grade)
            .ok_or_else(|| AppError::Internal(format!("载体评价等次无效：{}", row.grade)))?,
        indicators,
        carrier,
    })
}

/// The recorded results of a year (provisional or confirmed), by carrier.
pub async fn stored_results(app: &App, year: i32) -> AppResult<Vec<CarrierResult>> {
    let pool = app.store().pool();
    let mut out = Vec::new();
    for row in store::results_of_year(pool, year).await? {
        let Some(carrier) = zijin_store::carriers::get(pool, row.carrier_id).await? else {
            continue;
        };
        out.push(result_of_row(row, carrier)?);
    }
    Ok(out)
}

/// One carrier's recorded result of a year, if evaluated.
pub(crate) async fn stored_result(
    app: &App,
    carrier: &StoredCarrier,
    year: i32,
) -> AppResult<Option<CarrierResult>> {
    match store::result_of(app.store().pool(), carrier.id, year).await? {
        Some(row) => Ok(Some(result_of_row(row, carrier.clone())?)),
        None => Ok(None),
    }
}

/// The year's results as recorded, and whether confirmed (for the page; reviewers see it too).
pub async fn year_view(app: &App, actor: &Actor, year: i32) -> AppResult<YearEvaluation> {
    access::require(actor, Area::CarrierScoring)?;
    check_year(app, year)?;
    let confirmed_at = store::year_confirmed(app.store().pool(), year)
        .await?
        .map(|(_, at)| at);
    Ok(YearEvaluation {
        year,
        results: stored_results(app, year).await?,
        confirmed_at,
    })
}

/// The year's submitted reports no reviewer has scored yet (carrier id, carrier, institution).
pub async fn awaiting_scores(
    app: &App,
    actor: &Actor,
    year: i32,
) -> AppResult<Vec<(i64, String, String)>> {
    access::require(actor, Area::CarrierScoring)?;
    let pool = app.store().pool();
    let reports = store::reports_of_year(pool, year).await?;
    let mut out = Vec::new();
    for carrier in zijin_store::carriers::recognised(pool).await? {
        if reports
            .get(&carrier.id)
            .is_some_and(|r| r.submitted && r.scored_at.is_none())
        {
            out.push((carrier.id, carrier.name, carrier.institution_name));
        }
    }
    Ok(out)
}

/// What confirming a year did.
#[derive(Debug, Clone, Default)]
pub struct Confirmation {
    pub carriers: usize,
    /// (carrier, institution, reason) of each recognition the exit rule withdrew.
    pub withdrawn: Vec<(String, String, String)>,
}

/// Confirms a year's results (the bureau; cannot be undone): the grades are final, feed the
/// performance awards and, under the exit rule, a carrier with the configured number of
/// 不合格 in a row is withdrawn, its place freed and its institution notified.
pub async fn confirm(
    app: &App,
    actor: &Actor,
    year: i32,
    confirmed: bool,
) -> AppResult<Confirmation> {
    access::require(actor, Area::Carriers)?;
    check_year(app, year)?;
    if !confirmed {
        return Err(AppError::field(
            "confirm",
            "确认后评价结果不能再修改，并将按退出规则撤销认定，请勾选确认后再提交",
        ));
    }
    let this_year = chrono::Datelike::year(&crate::applications::beijing_date(app.now()));
    if year >= this_year {
        return Err(AppError::WrongState(format!(
            "{year}年度尚未结束，年度结束后才能确认评价结果"
        )));
    }
    let mut work = UnitOfWork::begin(app).await?;
    let now = work.now();
    let results = store::results_of_year(&mut **work.tx(), year).await?;
    if results.is_empty() {
        return Err(AppError::WrongState(format!(
            "{year}年度还没有评价结果，请先进行评价"
        )));
    }
    if !store::confirm_year(work.tx(), year, &actor.audit_name(), now).await? {
        return Err(AppError::WrongState(format!("{year}年度的评价结果已确认")));
    }
    let rule = evaluation_file().exit_after_failures;
    let mut report = Confirmation {
        carriers: results.len(),
        ..Confirmation::default()
    };
    let on = crate::applications::beijing_date(now);
    for row in results.iter().filter(|r| r.grade == Grade::Fail.code()) {
        // The grades of consecutive years, this one first; a year without a result ends the run.
        let history = store::confirmed_of(&mut **work.tx(), row.carrier_id).await?;
        let mut grades = Vec::new();
        for (k, h) in history.iter().enumerate() {
            if h.year != year - k as i32 {
                break;
            }
            grades.push(Grade::from_code(&h.grade).unwrap_or(Grade::Pass));
        }
        if !engine::exits(&grades, rule) {
            continue;
        }
        let Some(carrier) =
            zijin_store::carriers::get_for_update(work.tx(), row.carrier_id).await?
        else {
            continue;
        };
        if !carrier.recognised {
            continue;
        }
        let years = (0..rule)
            .rev()
            .map(|k| (year - k as i32).to_string())
            .collect::<Vec<_>>()
            .join("、");
        let reason = format!("连续{rule}个年度（{years}年度）绩效评价不合格，按退出规则撤销认定");
        zijin_store::carriers::withdraw(work.tx(), carrier.id, on, &reason, now).await?;
        zijin_store::notifications::notify(
            work.tx(),
            carrier.institution_id,
            &format!(
                "“{}”（{}）{}",
                carrier.name,
                type_name(&carrier.carrier_type),
                reason
            ),
            "/carriers",
            &zijin_store::timestamp(now),
        )
        .await?;
        work.audit(Change {
            actor: actor.audit_name(),
            action: "carrier.withdraw",
            entity: "carrier",
            entity_id: carrier.id.to_string(),
            before: Some(json!({ "status": "recognised", "name": carrier.name })),
            after: Some(
                json!({ "status": "withdrawn", "reason": reason, "withdrawn_on": on.to_string() }),
            ),
        });
        report.withdrawn.push((
            carrier.name.clone(),
            carrier.institution_name.clone(),
            reason,
        ));
    }
    store::record_withdrawn(work.tx(), year, report.withdrawn.len() as i64).await?;
    work.audit(Change {
        actor: actor.audit_name(),
        action: "carrier.confirm_evaluation",
        entity: "carrier_evaluation",
        entity_id: year.to_string(),
        before: None,
        after: Some(json!({
            "year": year,
            "carriers": report.carriers,
            "withdrawn": report.withdrawn.len(),
        })),
    });
    work.commit().await?;
    Ok(report)
}

/// The confirmed grade of `year` for the institution's carrier of one of `types`: the carrier's
/// name and the grade.
pub async fn confirmed_grade(
    db: &mut zijin_store::WriteTx,
    institution_id: i64,
    types: &[&str],
    year: i32,
) -> AppResult<Option<(String, Grade)>> {
    Ok(
        match store::confirmed_grade(&mut **db, institution_id, types, year).await? {
            Some((_, name, grade)) => Some((
                name,
                Grade::from_code(&grade)
                    .ok_or_else(|| AppError::Internal(format!("载体评价等次无效：{grade}")))?,
            )),
            None => None,
        },
    )
}

/// Counts of a year's results by grade (for the page's chart).
pub fn grade_counts(results: &[CarrierResult]) -> Vec<(Grade, usize)> {
    let mut counts: HashMap<Grade, usize> = HashMap::new();
    for r in results {
        *counts.entry(r.grade).or_default() += 1;
    }
    Grade::ALL
        .iter()
        .map(|g| (*g, counts.get(g).copied().unwrap_or(0)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_schemes_cover_every_type_and_sum_to_one_hundred() {
        let file = evaluation_file();
        assert_eq!(file.exit_after_failures, 2);
        for t in types() {
            let scheme = scheme_for(&t.code, 2024).unwrap_or_else(|| panic!("{}", t.name));
            let blocks: Vec<&str> = scheme.indicators.iter().map(|i| i.block.as_str()).collect();
            for block in ["基础条件", "服务绩效", "服务能力", "规范管理", "社会信誉"]
            {
                assert!(blocks.contains(&block), "{} lacks {block}", scheme.name);
            }
        }
        assert!(
            scheme_for("transfer-org", 2023).is_none(),
            "no scheme before 2024"
        );
    }

    #[test]
    fn a_broken_file_is_refused_with_the_reason() {
        let bad_metric = EVALUATION_FILE.replacen("brokered_contracts", "brokered_deals", 1);
        assert!(
            parse_evaluation(&bad_metric)
                .unwrap_err()
                .contains("brokered_deals")
        );
        let bad_sum = EVALUATION_FILE.replacen(
            "points = \"5\", full_at = \"10\"",
            "points = \"6\", full_at = \"10\"",
            1,
        );
        assert!(parse_evaluation(&bad_sum).unwrap_err().contains("101"));
        let uncovered = EVALUATION_FILE.replacen("types = [\"finance-station\"]", "types = []", 1);
        assert!(
            parse_evaluation(&uncovered)
                .unwrap_err()
                .contains("科创金融服务驿站")
        );
    }

    #[test]
    fn a_later_scheme_takes_over_from_its_date() {
        let later = format!(
            "{EVALUATION_FILE}\n[[scheme]]\nname = \"新方案\"\nfrom = \"2026-07-01\"\ntypes = [\"poc-center\"]\nthresholds = {{ excellent = \"85\", good = \"70\", pass = \"55\" }}\nindicators = [{{ code = \"x\", block = \"服务能力\", name = \"评审\", source = \"review\", points = \"100\" }}]\n"
        );
        let file = parse_evaluation(&later).unwrap();
        let pick = |year: i32| {
            let last = NaiveDate::from_ymd_opt(year, 12, 31).unwrap();
            file.schemes
                .iter()
                .filter(|s| s.from <= last && s.types.iter().any(|t| t == "poc-center"))
                .max_by_key(|s| s.from)
                .unwrap()
                .name
                .clone()
        };
        assert_eq!(pick(2025), "孵化器和创新平台绩效评价（示例）");
        assert_eq!(pick(2026), "新方案");
    }
}
