//! Facts the carriers' yearly evaluation supplies (issue 19): the performance awards of a
//! carrier — `a01-performance` (大学科技园, 高校技术转移中心), `a03-service-org` (科技服务机构),
//! `a04-innovation-harbor` (高校创新港), `a06-incubator` (标杆孵化器) and `a15-finance-station`
//! (科创金融服务驿站) — take their `grade` from the bureau's confirmed evaluation of the year
//! before the application, never from what the applicant types. An institution without a
//! confirmed grade for such a carrier cannot file; a 免申即享 pass drafts for every carrier of
//! the measure's types with one.

use serde_json::{Map, Value};
use zijin_domain::{Coded, Institution};

use crate::carriers::evaluation::confirmed_grade;
use crate::{AppError, AppResult};

/// The measures fed by the evaluation and the carrier types each rewards.
pub const MEASURES: &[(&str, &[&str])] = &[
    (
        "a01-performance",
        &["university-science-park", "transfer-center"],
    ),
    ("a03-service-org", &["service-org"]),
    ("a04-innovation-harbor", &["innovation-harbor"]),
    ("a06-incubator", &["benchmark-incubator"]),
    ("a15-finance-station", &["finance-station"]),
];

/// The carrier types a measure rewards, when the evaluation feeds it.
pub fn carrier_types(measure_id: &str) -> Option<&'static [&'static str]> {
    MEASURES
        .iter()
        .find(|(id, _)| *id == measure_id)
        .map(|(_, types)| *types)
}

pub fn fed_by_grade(measure_id: &str) -> bool {
    carrier_types(measure_id).is_some()
}

fn type_names(types: &[&str]) -> String {
    types
        .iter()
        .filter_map(|t| crate::carriers::carrier_type(t))
        .map(|t| t.name.as_str())
        .collect::<Vec<_>>()
        .join("或")
}

/// The facts of a grade-fed measure for an institution: the confirmed grade of `year` of its
/// carrier of the measure's types; `None` when it has none.
pub async fn grade_facts(
    db: &mut zijin_store::WriteTx,
    measure_id: &str,
    institution: &Institution,
    year: i32,
) -> AppResult<Option<Map<String, Value>>> {
    let Some(types) = carrier_types(measure_id) else {
        return Ok(None);
    };
    Ok(confirmed_grade(db, institution.id, types, year)
        .await?
        .map(|(_, grade)| {
            let mut facts = Map::new();
            facts.insert("grade".into(), Value::String(grade.code().into()));
            facts
        }))
}

/// Replaces the `grade` typed in an application of a grade-fed measure with the confirmed
/// grade of `year`; refused (field `grade`) when the institution has none.
pub async fn overlay(
    db: &mut zijin_store::WriteTx,
    measure_id: &str,
    institution: &Institution,
    year: i32,
    facts: &mut Map<String, Value>,
) -> AppResult<()> {
    let Some(types) = carrier_types(measure_id) else {
        return Ok(());
    };
    match grade_facts(db, measure_id, institution, year).await? {
        Some(found) => {
            facts.extend(found);
            Ok(())
        }
        None => Err(AppError::field(
            "grade",
            format!(
                "本单位没有{year}年度经市科技局确认的{}绩效评价结果，不能申报这项绩效奖励",
                type_names(types)
            ),
        )),
    }
}
