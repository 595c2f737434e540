//! Yearly performance evaluation of carriers (载体年度绩效评价, issue 19): a scheme of
//! indicators with their points, the figures the platform holds, what the carrier reported and
//! what reviewers scored give a total out of 100, a grade and an explanation per indicator.
//!
//! Scoring is pure: a numeric indicator earns its points in proportion to its value up to the
//! value that earns all of them (`full_at`); a judgement indicator earns what the reviewers gave
//! (at most its points); a missing value or score earns nothing and says why.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::Coded;

/// The grades of the provincial practice, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Grade {
    Excellent,
    Good,
    Pass,
    Fail,
}

impl Coded for Grade {
    const ALL: &'static [Self] = &[Self::Excellent, Self::Good, Self::Pass, Self::Fail];

    /// The codes are those of the policy files' `grade` facts.
    fn code(self) -> &'static str {
        match self {
            Self::Excellent => "excellent",
            Self::Good => "good",
            Self::Pass => "pass",
            Self::Fail => "fail",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Excellent => "优秀",
            Self::Good => "良好",
            Self::Pass => "合格",
            Self::Fail => "不合格",
        }
    }
}

/// Figures the platform holds about an institution's year, filled into indicators instead of
/// being typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Metric {
    /// Registered technology contracts the institution brokered (中介方).
    BrokeredContracts,
    /// Their 技术交易额, in 万元.
    BrokeredTechnology,
    /// Contracts the institution registered as 技术合同登记机构.
    RegisteredContracts,
    /// Registered contracts the institution sold technology under (卖方).
    SoldContracts,
    /// Their 技术交易额, in 万元.
    SoldTechnology,
    /// Matches that reached 签约 with the institution as a side or its 技术经理人 assigned.
    SignedMatches,
    /// The institution's achievements and demands in list issues published in the year.
    PublishedRecords,
    /// Applications the institution submitted in the year.
    SubmittedApplications,
}

impl Coded for Metric {
    const ALL: &'static [Self] = &[
        Self::BrokeredContracts,
        Self::BrokeredTechnology,
        Self::RegisteredContracts,
        Self::SoldContracts,
        Self::SoldTechnology,
        Self::SignedMatches,
        Self::PublishedRecords,
        Self::SubmittedApplications,
    ];

    fn code(self) -> &'static str {
        match self {
            Self::BrokeredContracts => "brokered_contracts",
            Self::BrokeredTechnology => "brokered_technology",
            Self::RegisteredContracts => "registered_contracts",
            Self::SoldContracts => "sold_contracts",
            Self::SoldTechnology => "sold_technology",
            Self::SignedMatches => "signed_matches",
            Self::PublishedRecords => "published_records",
            Self::SubmittedApplications => "submitted_applications",
        }
    }

    /// Where the figure comes from, as users read it.
    fn label(self) -> &'static str {
        match self {
            Self::BrokeredContracts => "平台技术合同登记：本机构作为中介方的登记合同",
            Self::BrokeredTechnology => "平台技术合同登记：本机构作为中介方的技术交易额",
            Self::RegisteredContracts => "平台技术合同登记：本机构登记的合同",
            Self::SoldContracts => "平台技术合同登记：本机构作为卖方的登记合同",
            Self::SoldTechnology => "平台技术合同登记：本机构作为卖方的技术交易额",
            Self::SignedMatches => "平台供需对接：达成签约的对接",
            Self::PublishedRecords => "两项清单：本机构在当年发布的清单中的成果和需求",
            Self::SubmittedApplications => "平台项目申报：本机构当年提交的申报",
        }
    }
}

/// Where an indicator's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndicatorSource {
    /// Filled from the platform's data; the carrier does not type it.
    Platform(Metric),
    /// Typed in the carrier's 绩效报告 (with evidence where the scheme asks for it).
    Report,
    /// Scored by reviewers (what needs judgement).
    Review,
}

impl IndicatorSource {
    /// The source as users read it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Platform(metric) => metric.label(),
            Self::Report => "绩效报告填报",
            Self::Review => "评审专家评分",
        }
    }
}

/// One indicator of a scheme.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    /// Stable code, unique in the scheme (the report and the scores are keyed by it).
    pub code: String,
    pub name: String,
    /// The block it belongs to (基础条件, 服务绩效 …).
    pub block: String,
    /// The unit of the value (项, 万元 …); empty for judgement indicators.
    pub unit: String,
    pub source: IndicatorSource,
    /// The evidence a reported value needs (empty when none).
    pub evidence: String,
    /// The points the indicator can earn.
    pub points: Decimal,
    /// The value that earns all the points (numeric indicators).
    pub full_at: Option<Decimal>,
}

/// The lowest totals of 优秀, 良好 and 合格; below the last is 不合格.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    pub excellent: Decimal,
    pub good: Decimal,
    pub pass: Decimal,
}

impl Thresholds {
    pub fn grade(&self, total: Decimal) -> Grade {
        if total >= self.excellent {
            Grade::Excellent
        } else if total >= self.good {
            Grade::Good
        } else if total >= self.pass {
            Grade::Pass
        } else {
            Grade::Fail
        }
    }
}

/// An indicator set and its scoring method, in force from a date for some carrier types.
#[derive(Debug, Clone, PartialEq)]
pub struct Scheme {
    pub name: String,
    /// The first day it applies to (an evaluation year uses the scheme in force on its last day).
    pub from: NaiveDate,
    /// The carrier type codes it evaluates.
    pub types: Vec<String>,
    pub thresholds: Thresholds,
    pub indicators: Vec<Indicator>,
}

impl Scheme {
    /// Checks the scheme is usable: codes unique, points positive and summing to 100, numeric
    /// indicators with a positive `full_at`, thresholds descending within 0–100.
    pub fn check(&self) -> Result<(), String> {
        let mut codes = std::collections::HashSet::new();
        let mut sum = Decimal::ZERO;
        for i in &self.indicators {
            if !codes.insert(i.code.as_str()) {
                return Err(format!("{}：指标代码重复（{}）", self.name, i.code));
            }
            if i.points <= Decimal::ZERO {
                return Err(format!("{}：指标“{}”的分值应大于零", self.name, i.name));
            }
            match (i.source, i.full_at) {
                (IndicatorSource::Review, None) => {}
                (IndicatorSource::Review, Some(_)) => {
                    return Err(format!(
                        "{}：评审评分的指标“{}”不设满分值",
                        self.name, i.name
                    ));
                }
                (_, Some(full)) if full > Decimal::ZERO => {}
                _ => {
                    return Err(format!("{}：指标“{}”应设大于零的满分值", self.name, i.name));
                }
            }
            sum += i.points;
        }
        if sum != Decimal::ONE_HUNDRED {
            return Err(format!("{}：各指标分值之和应为 100，现为 {sum}", self.name));
        }
        let t = self.thresholds;
        if !(t.excellent <= Decimal::ONE_HUNDRED
            && t.good < t.excellent
            && t.pass < t.good
            && t.pass > Decimal::ZERO)
        {
            return Err(format!(
                "{}：等次分数线应为 100 ≥ 优秀 > 良好 > 合格 > 0",
                self.name
            ));
        }
        Ok(())
    }
}

/// What one carrier's year gives the scoring: the platform's figures, the report's values and
/// the reviewers' scores, each keyed as the scheme keys them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inputs {
    pub platform: BTreeMap<Metric, Decimal>,
    /// Values typed in the submitted report, by indicator code (none when no report).
    pub reported: BTreeMap<String, Decimal>,
    /// Whether a report was submitted at all.
    pub report_submitted: bool,
    /// The reviewers' points, by indicator code (the mean when several scored).
    pub scores: BTreeMap<String, Decimal>,
}

/// One indicator's result.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorResult {
    pub code: String,
    pub name: String,
    pub block: String,
    /// The value (numeric indicators; `None` for judgement indicators or a missing value).
    pub value: Option<Decimal>,
    pub unit: String,
    pub points: Decimal,
    pub max_points: Decimal,
    pub source: IndicatorSource,
    /// Why, in words: how the points follow from the value or why there are none.
    pub explanation: String,
}

/// A carrier's result for a year.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub total: Decimal,
    pub grade: Grade,
    pub indicators: Vec<IndicatorResult>,
}

fn two_places(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// A figure as people read it: at most two decimals, thousands separated.
pub fn shown(value: Decimal) -> String {
    crate::group_thousands(&two_places(value).normalize().to_string())
}

/// Scores one carrier's year with a scheme.
pub fn score(scheme: &Scheme, inputs: &Inputs) -> Outcome {
    let mut indicators = Vec::with_capacity(scheme.indicators.len());
    for i in &scheme.indicators {
        let (value, points, explanation) = match i.source {
            IndicatorSource::Review => match inputs.scores.get(&i.code) {
                Some(given) => {
                    let points = two_places((*given).clamp(Decimal::ZERO, i.points));
                    (
                        None,
                        points,
                        format!(
                            "评审评分 {} 分（满分 {} 分）",
                            shown(points),
                            shown(i.points)
                        ),
                    )
                }
                None => (None, Decimal::ZERO, "尚未评分，不计分".to_string()),
            },
            source => {
                let value = match source {
                    IndicatorSource::Platform(metric) => {
                        Some(inputs.platform.get(&metric).copied().unwrap_or_default())
                    }
                    _ => inputs.reported.get(&i.code).copied(),
                };
                match (value, i.full_at) {
                    (Some(value), Some(full)) => {
                        let counted = value.clamp(Decimal::ZERO, full);
                        let points = two_places(i.points * counted / full);
                        let how = if value >= full {
                            format!(
                                "{} {}，达到满分值 {} {}，得满分 {} 分",
                                shown(value),
                                i.unit,
                                shown(full),
                                i.unit,
                                shown(i.points)
                            )
                        } else {
                            format!(
                                "{} {}，满分值 {} {}，按比例得 {} 分（满分 {} 分）",
                                shown(value),
                                i.unit,
                                shown(full),
                                i.unit,
                                shown(points),
                                shown(i.points)
                            )
                        };
                        (Some(value), points, how)
                    }
                    _ if !inputs.report_submitted => {
                        (None, Decimal::ZERO, "未提交绩效报告，不计分".to_string())
                    }
                    _ => (None, Decimal::ZERO, "绩效报告未填此项，不计分".to_string()),
                }
            }
        };
        indicators.push(IndicatorResult {
            code: i.code.clone(),
            name: i.name.clone(),
            block: i.block.clone(),
            value,
            unit: i.unit.clone(),
            points,
            max_points: i.points,
            source: i.source,
            explanation,
        });
    }
    let total: Decimal = indicators.iter().map(|r| r.points).sum();
    Outcome {
        total,
        grade: scheme.thresholds.grade(total),
        indicators,
    }
}

/// Whether a carrier with these grades, most recent first, leaves under an exit rule of
/// `failures` 不合格 in a row (the grades of consecutive years, the latest being evaluated).
pub fn exits(recent_first: &[Grade], failures: usize) -> bool {
    failures > 0
        && recent_first.len() >= failures
        && recent_first[..failures].iter().all(|g| *g == Grade::Fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn indicator(
        code: &str,
        source: IndicatorSource,
        points: &str,
        full: Option<&str>,
    ) -> Indicator {
        Indicator {
            code: code.into(),
            name: format!("指标{code}"),
            block: "服务绩效".into(),
            unit: "项".into(),
            source,
            evidence: String::new(),
            points: d(points),
            full_at: full.map(d),
        }
    }

    fn scheme() -> Scheme {
        Scheme {
            name: "示例".into(),
            from: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
            types: vec!["transfer-org".into()],
            thresholds: Thresholds {
                excellent: d("90"),
                good: d("75"),
                pass: d("60"),
            },
            indicators: vec![
                indicator(
                    "deals",
                    IndicatorSource::Platform(Metric::BrokeredContracts),
                    "40",
                    Some("20"),
                ),
                indicator("staff", IndicatorSource::Report, "30", Some("10")),
                indicator("ability", IndicatorSource::Review, "30", None),
            ],
        }
    }

    #[test]
    fn points_follow_the_value_up_to_full_marks() {
        let s = scheme();
        s.check().unwrap();
        let mut inputs = Inputs {
            report_submitted: true,
            ..Inputs::default()
        };
        inputs.platform.insert(Metric::BrokeredContracts, d("15"));
        inputs.reported.insert("staff".into(), d("25"));
        inputs.scores.insert("ability".into(), d("21.5"));
        let outcome = score(&s, &inputs);
        let points: Vec<String> = outcome
            .indicators
            .iter()
            .map(|r| r.points.to_string())
            .collect();
        assert_eq!(points, ["30", "30", "21.5"]);
        assert_eq!(outcome.total, d("81.5"));
        assert_eq!(outcome.grade, Grade::Good);
        assert!(outcome.indicators[0].explanation.contains("按比例得 30 分"));
        assert!(outcome.indicators[1].explanation.contains("达到满分值"));
    }

    #[test]
    fn nothing_reported_or_scored_earns_nothing_and_says_why() {
        let mut inputs = Inputs::default();
        inputs.platform.insert(Metric::BrokeredContracts, d("40"));
        let outcome = score(&scheme(), &inputs);
        assert_eq!(outcome.total, d("40"));
        assert_eq!(outcome.grade, Grade::Fail);
        assert_eq!(outcome.indicators[1].explanation, "未提交绩效报告，不计分");
        assert_eq!(outcome.indicators[2].explanation, "尚未评分，不计分");
        // A score above the indicator's points counts as its points.
        inputs.scores.insert("ability".into(), d("99"));
        assert_eq!(score(&scheme(), &inputs).total, d("70"));
    }

    #[test]
    fn grades_at_the_thresholds() {
        let t = scheme().thresholds;
        assert_eq!(t.grade(d("90")), Grade::Excellent);
        assert_eq!(t.grade(d("89.99")), Grade::Good);
        assert_eq!(t.grade(d("75")), Grade::Good);
        assert_eq!(t.grade(d("60")), Grade::Pass);
        assert_eq!(t.grade(d("59.99")), Grade::Fail);
    }

    #[test]
    fn a_scheme_must_sum_to_one_hundred_and_be_well_formed() {
        let mut s = scheme();
        s.indicators[0].points = d("39");
        assert!(s.check().unwrap_err().contains("99"));
        let mut s = scheme();
        s.indicators[2].full_at = Some(d("1"));
        assert!(s.check().is_err());
        let mut s = scheme();
        s.indicators[1].full_at = None;
        assert!(s.check().is_err());
        let mut s = scheme();
        s.thresholds.good = d("95");
        assert!(s.check().is_err());
    }

    #[test]
    fn exit_after_failures_in_a_row() {
        use Grade::*;
        assert!(exits(&[Fail, Fail], 2));
        assert!(exits(&[Fail, Fail, Good], 2));
        assert!(!exits(&[Fail, Pass, Fail], 2));
        assert!(!exits(&[Fail], 2));
        assert!(exits(&[Fail], 1));
        assert!(!exits(&[Fail, Fail], 0));
    }
}
