//! Test cases a policy officer writes: facts, a date, earlier grants, and what must come out.
//!
//! ```toml
//! [[case]]
//! name = "揭榜制：投入 3000 万元，按上限 200 万元"
//! measure = "a08-jiebang"
//! on = "2026-06-01"
//! facts = { enterprise_investment = "30000000" }
//! expect = { eligible = true, amount = "2000000.00" }
//! ```
//! `expect` may also give `reason` (a text the reasons must contain) and `missing_parameter`.

use chrono::NaiveDate;
use serde::Deserialize;

use crate::eval::{Grant, evaluate, parse_facts};
use crate::model::{PolicySet, SourceFile};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    #[serde(default)]
    case: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    measure: String,
    on: String,
    facts: toml::Table,
    #[serde(default)]
    ledger: Vec<Grant>,
    /// Values assumed for parameters the seed leaves open, for this case only.
    #[serde(default)]
    assume: Vec<Assumption>,
    expect: Expectation,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Assumption {
    parameter: String,
    from: String,
    value: toml::Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expectation {
    eligible: bool,
    amount: Option<String>,
    reason: Option<String>,
    missing_parameter: Option<String>,
}

/// How one case went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseReport {
    pub file: String,
    pub name: String,
    pub measure: String,
    /// None when the case passed; otherwise what differed.
    pub failure: Option<String>,
}

fn toml_to_json(value: &toml::Value) -> serde_json::Value {
    match value {
        toml::Value::String(s) => serde_json::Value::String(s.clone()),
        toml::Value::Integer(i) => serde_json::Value::from(*i),
        // Written as text so that no float is involved; the fact parser reads it exactly.
        toml::Value::Float(f) => serde_json::Value::String(f.to_string()),
        toml::Value::Boolean(b) => serde_json::Value::Bool(*b),
        toml::Value::Datetime(d) => serde_json::Value::String(d.to_string()),
        toml::Value::Array(items) => {
            serde_json::Value::Array(items.iter().map(toml_to_json).collect())
        }
        toml::Value::Table(table) => serde_json::Value::Object(
            table
                .iter()
                .map(|(k, v)| (k.clone(), toml_to_json(v)))
                .collect(),
        ),
    }
}

/// Runs every case of every file; a file that does not parse is one failed case.
pub fn run_cases(set: &PolicySet, files: &[SourceFile]) -> Vec<CaseReport> {
    let mut reports = Vec::new();
    for file in files {
        let parsed: CaseFile = match toml::from_str(&file.text) {
            Ok(parsed) => parsed,
            Err(error) => {
                reports.push(CaseReport {
                    file: file.name.clone(),
                    name: String::new(),
                    measure: String::new(),
                    failure: Some(format!("文件格式有误：{}", error.message())),
                });
                continue;
            }
        };
        for case in parsed.case {
            let failure = run_case(set, &case).err();
            reports.push(CaseReport {
                file: file.name.clone(),
                name: case.name,
                measure: case.measure,
                failure,
            });
        }
    }
    reports
}

fn run_case(set: &PolicySet, case: &Case) -> Result<(), String> {
    let measure = set
        .measure(&case.measure)
        .ok_or_else(|| format!("没有编号为“{}”的措施", case.measure))?;
    let on = NaiveDate::parse_from_str(&case.on, "%Y-%m-%d")
        .map_err(|_| format!("日期“{}”无效", case.on))?;
    let mut assumed = measure.clone();
    for assumption in &case.assume {
        let from = NaiveDate::parse_from_str(&assumption.from, "%Y-%m-%d")
            .map_err(|_| format!("假设的生效日期“{}”无效", assumption.from))?;
        assumed = assumed.assuming(
            &assumption.parameter,
            from,
            &assumption.value,
            "测试用例假设（非政策取值）",
        )?;
    }
    let measure = &assumed;
    let json = match toml_to_json(&toml::Value::Table(case.facts.clone())) {
        serde_json::Value::Object(map) => map,
        _ => return Err("facts 应为表".into()),
    };
    let facts = parse_facts(measure, &json).map_err(|e| format!("事实有误：{e}"))?;
    let outcome = evaluate(measure, &facts, on, &case.ledger, true).map_err(|e| e.to_string())?;
    let amount = format!("{:.2}", outcome.amount);
    let mut differences = Vec::new();
    if outcome.eligible != case.expect.eligible {
        differences.push(format!(
            "应{}符合条件，实为{}（{}）",
            if case.expect.eligible { "" } else { "不" },
            if outcome.eligible {
                "符合"
            } else {
                "不符合"
            },
            outcome.reasons.join("；")
        ));
    }
    if let Some(expected) = &case.expect.amount
        && *expected != amount
    {
        differences.push(format!("金额应为 {expected}，实为 {amount}"));
    }
    if let Some(reason) = &case.expect.reason
        && !outcome.reasons.iter().any(|r| r.contains(reason.as_str()))
    {
        differences.push(format!(
            "原因应含“{reason}”，实为“{}”",
            outcome.reasons.join("；")
        ));
    }
    if let Some(parameter) = &case.expect.missing_parameter
        && !outcome.missing_parameters.contains(parameter)
    {
        differences.push(format!(
            "应报告参数 {parameter} 尚未设定，实为 {:?}",
            outcome.missing_parameters
        ));
    }
    if differences.is_empty() {
        Ok(())
    } else {
        Err(differences.join("；"))
    }
}
