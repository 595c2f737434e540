//! `zijin policy check|eval|test`.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use clap::Subcommand;
use zijin_policy::{Grant, evaluate, parse_facts, run_cases};

use crate::policy_files;

#[derive(Subcommand)]
pub enum PolicyCommand {
    /// Validate every policy file: syntax, unknown facts, types, tiers, dated values.
    Check {
        /// The policy directory (default ./policy, else the files built into zijin).
        dir: Option<PathBuf>,
    },
    /// Evaluate one measure for the facts given; prints JSON.
    Eval {
        #[arg(long)]
        measure: String,
        /// A JSON object of facts, or - for standard input.
        #[arg(long)]
        facts: String,
        /// The date of evaluation (default today).
        #[arg(long)]
        on: Option<String>,
        /// A JSON array of earlier grants {beneficiary, measure, date, amount}.
        #[arg(long, conflicts_with = "stored_ledger")]
        ledger: Option<PathBuf>,
        /// Read the earlier grants from the platform's database instead (the ledger of 核定
        /// and paid applications; the beneficiary is the facts' credit code), as the
        /// application forms and the /policy calculator do.
        #[arg(long)]
        stored_ledger: bool,
        /// The policy directory (default ./policy, else the files built into zijin).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Run the test cases in DIR/tests.
    Test { dir: Option<PathBuf> },
}

pub fn run(command: PolicyCommand, extra: Option<&Path>) -> Result<ExitCode> {
    match command {
        PolicyCommand::Check { dir } => check(dir.as_deref(), extra),
        PolicyCommand::Eval {
            measure,
            facts,
            on,
            ledger,
            dir,
            ..
        } => eval(
            dir.as_deref(),
            extra,
            &measure,
            &facts,
            on.as_deref(),
            ledger.as_deref(),
        ),
        PolicyCommand::Test { dir } => test(dir.as_deref(), extra),
    }
}

fn check(dir: Option<&Path>, extra: Option<&Path>) -> Result<ExitCode> {
    let loaded = policy_files::load_with_extra(dir, extra)?;
    match zijin_policy::PolicySet::compile(&loaded.articles, &loaded.supplements) {
        Ok(set) => {
            let unset: Vec<String> = set
                .measures
                .iter()
                .flat_map(|m| {
                    m.params
                        .iter()
                        .filter(|p| p.values.is_empty())
                        .map(move |p| format!("{} 的 {}（{}）", m.id, p.name, p.label))
                })
                .collect();
            println!(
                "{}：{} 个条款文件、{} 项措施、{} 个补充文件，未发现问题。",
                loaded.origin,
                loaded.articles.len(),
                set.measures.len(),
                loaded.supplements.len()
            );
            if !unset.is_empty() {
                println!("以下参数待实施细则设定（在此之前计算会报告缺少该参数）：");
                for line in unset {
                    println!("  {line}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(problems) => {
            for problem in &problems {
                eprintln!("{problem}");
            }
            eprintln!("共 {} 处问题。", problems.len());
            Ok(ExitCode::from(1))
        }
    }
}

/// Reads the facts argument: a file, or - for standard input.
fn read_input(argument: &str) -> Result<String> {
    if argument == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("无法读取标准输入")?;
        Ok(text)
    } else {
        std::fs::read_to_string(argument).with_context(|| format!("无法读取事实文件 {argument}"))
    }
}

/// The facts argument as a JSON object.
pub fn read_facts(argument: &str) -> Result<serde_json::Map<String, serde_json::Value>> {
    let text = read_input(argument)?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("事实不是有效的 JSON：{e}"))?;
    let serde_json::Value::Object(map) = json else {
        bail!("事实应为 JSON 对象，如 {{\"enterprise_investment\": \"3000000\"}}");
    };
    Ok(map)
}

/// The date of evaluation: `--on`, else today in Beijing.
pub fn date_of(on: Option<&str>) -> Result<NaiveDate> {
    match on {
        Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .with_context(|| format!("--on 的日期“{text}”无效，应为 YYYY-MM-DD")),
        None => Ok((chrono::Utc::now() + chrono::Duration::hours(8)).date_naive()),
    }
}

fn eval(
    dir: Option<&Path>,
    extra: Option<&Path>,
    measure_id: &str,
    facts_argument: &str,
    on: Option<&str>,
    ledger_path: Option<&Path>,
) -> Result<ExitCode> {
    let loaded = policy_files::load_with_extra(dir, extra)?;
    let set = policy_files::compile(&loaded)?;
    let Some(measure) = set.measure(measure_id) else {
        bail!(
            "没有编号为“{measure_id}”的措施（可用：{}）",
            set.measures
                .iter()
                .map(|m| m.id.as_str())
                .collect::<Vec<_>>()
                .join("、")
        );
    };
    let on = date_of(on)?;
    let map = read_facts(facts_argument)?;
    let facts = parse_facts(measure, &map)?;
    let ledger: Vec<Grant> = match ledger_path {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("无法读取资助台账 {}", path.display()))?;
            zijin_policy::eval::parse_ledger(&text)
                .map_err(|e| anyhow::anyhow!("资助台账 {} 有误：{e}", path.display()))?
        }
        None => Vec::new(),
    };
    let outcome = evaluate(measure, &facts, on, &ledger, true)?;
    println!("{}", serde_json::to_string_pretty(&outcome)?);
    Ok(ExitCode::SUCCESS)
}

fn test(dir: Option<&Path>, extra: Option<&Path>) -> Result<ExitCode> {
    let loaded = policy_files::load_with_extra(dir, extra)?;
    let set = policy_files::compile(&loaded)?;
    if loaded.cases.is_empty() {
        bail!("{} 下没有测试用例（tests/*.toml）", loaded.origin);
    }
    let reports = run_cases(&set, &loaded.cases);
    let failed: Vec<_> = reports.iter().filter(|r| r.failure.is_some()).collect();
    for report in &reports {
        match &report.failure {
            None => println!("通过  {} · {}", report.measure, report.name),
            Some(failure) => println!(
                "失败  {} · {}（{}）\n      {failure}",
                report.measure, report.name, report.file
            ),
        }
    }
    let mut per_measure: std::collections::BTreeMap<&str, usize> = Default::default();
    for report in &reports {
        *per_measure.entry(report.measure.as_str()).or_default() += 1;
    }
    let thin: Vec<&str> = set
        .measures
        .iter()
        .map(|m| m.id.as_str())
        .filter(|id| per_measure.get(id).copied().unwrap_or(0) < 3)
        .collect();
    println!(
        "{} 个用例：{} 个通过，{} 个失败。",
        reports.len(),
        reports.len() - failed.len(),
        failed.len()
    );
    if !thin.is_empty() {
        println!("少于 3 个用例的措施：{}", thin.join("、"));
    }
    Ok(if failed.is_empty() && thin.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
