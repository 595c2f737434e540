//! `zijin carriers recognise --credit-code CODE --type TYPE [--name NAME]` and
//! `zijin carriers types`: carriers recognised within their types' quotas (issue 19).

use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;
use zijin_app::carriers::evaluation;
use zijin_app::{Actor, App, carriers};
use zijin_domain::Coded;

#[derive(Subcommand)]
pub enum CarriersCommand {
    /// Recognise (认定) a carrier of an institution; refused (exit 2, with the reason) beyond
    /// the type's quota or when the institution already has one of the type.
    Recognise {
        /// The institution's 统一社会信用代码.
        #[arg(long)]
        credit_code: String,
        /// The carrier type: its code (e.g. poc-center) or name (e.g. 概念验证中心).
        #[arg(long = "type")]
        kind: String,
        /// The carrier's name (default: the institution's name and the type's).
        #[arg(long, default_value = "")]
        name: String,
    },
    /// List the carrier types with their articles and quotas.
    Types,
    /// Evaluate every recognised carrier's year (绩效评价): platform figures, submitted reports
    /// and reviewers' scores give each a total, a grade and an explanation per indicator. The
    /// results are recorded (provisional until confirmed); a confirmed year prints what was
    /// confirmed.
    Evaluate {
        /// The evaluation year (YYYY).
        #[arg(long)]
        year: i32,
        /// Print JSON: for each carrier {carrier, type, total, grade, indicators: [{name,
        /// value, points, source}]}.
        #[arg(long)]
        json: bool,
        /// Confirm the year's results after evaluating (final; applies the exit rule:
        /// withdraws the carriers with the configured number of 不合格 in a row).
        #[arg(long)]
        confirm: bool,
    },
}

pub async fn run(app: &App, command: CarriersCommand) -> Result<ExitCode> {
    match command {
        CarriersCommand::Recognise {
            credit_code,
            kind,
            name,
        } => {
            let actor = Actor::System("cli");
            let id = carriers::recognise(app, &actor, &credit_code, &kind, &name).await?;
            println!("已认定（载体编号 {id}）");
            Ok(ExitCode::SUCCESS)
        }
        CarriersCommand::Evaluate {
            year,
            json,
            confirm,
        } => {
            let actor = Actor::System("cli");
            let progress = indicatif::ProgressBar::new_spinner();
            progress.set_message(format!("正在评价 {year} 年度的载体绩效……"));
            if !json {
                progress.enable_steady_tick(std::time::Duration::from_millis(120));
            }
            let result = evaluation::evaluate(app, &actor, year).await;
            progress.finish_and_clear();
            let mut evaluated = result?;
            if confirm && evaluated.confirmed_at.is_none() {
                let done = evaluation::confirm(app, &actor, year, true).await?;
                for (carrier, institution, reason) in &done.withdrawn {
                    eprintln!("撤销认定：{carrier}（{institution}）：{reason}");
                }
                evaluated = evaluation::evaluate(app, &actor, year).await?;
            }
            if json {
                let rows: Vec<serde_json::Value> =
                    evaluated.results.iter().map(|r| r.to_json()).collect();
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for r in &evaluated.results {
                    println!(
                        "{}\t{}\t{}\t{} 分\t{}",
                        r.carrier.name,
                        r.carrier.institution_name,
                        r.type_name,
                        r.total.normalize(),
                        r.grade.label()
                    );
                }
                let counts = evaluation::grade_counts(&evaluated.results)
                    .into_iter()
                    .map(|(g, n)| format!("{} {n} 家", g.label()))
                    .collect::<Vec<_>>()
                    .join("，");
                let state = if evaluated.confirmed_at.is_some() {
                    "已确认"
                } else {
                    "待确认"
                };
                eprintln!(
                    "{year} 年度共评价 {} 家载体（{state}）：{counts}",
                    evaluated.results.len()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        CarriersCommand::Types => {
            for t in carriers::types() {
                let quota = t
                    .quota
                    .map(|q| format!("{q} 家"))
                    .unwrap_or_else(|| "不限".into());
                println!("{}\t{}\t第{}条\t名额 {quota}", t.code, t.name, t.article);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
