//! `zijin calendar check YEAR` (does the working-day calendar hold that year?) and
//! `zijin application replay ID [--json]` (a 核定 evaluated again with the policy files it used
//! and with today's).

use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;
use zijin_app::{Actor, App};

#[derive(Subcommand)]
pub enum CalendarCommand {
    /// Say whether the working-day calendar (official holidays and makeup days) holds a year;
    /// exit 1 when it does not.
    Check { year: i32 },
}

#[derive(Subcommand)]
pub enum ApplicationCommand {
    /// Evaluate an approved application again: with the policy files kept with its decision
    /// and with today's; exit 1 when either differs from the amount computed then.
    Replay {
        id: i64,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum PaymentsCommand {
    /// Write a payment batch's 拨付清单 as .xlsx for the finance bureau.
    Export {
        batch: i64,
        #[arg(short = 'o', long)]
        output: std::path::PathBuf,
    },
}

pub async fn payments(app: &App, command: &PaymentsCommand) -> Result<ExitCode> {
    let PaymentsCommand::Export { batch, output } = command;
    let bytes =
        zijin_app::applications::payments::export(app, &Actor::System("cli"), *batch).await?;
    std::fs::write(output, bytes)
        .map_err(|e| anyhow::anyhow!("无法写入 {}：{e}", output.display()))?;
    println!("已导出第 {batch} 批拨付清单：{}", output.display());
    Ok(ExitCode::SUCCESS)
}

pub fn calendar(command: &CalendarCommand, calendar: &zijin_domain::WorkCalendar) -> ExitCode {
    let CalendarCommand::Check { year } = command;
    let known: Vec<String> = calendar.years().iter().map(|y| format!("{y}年")).collect();
    if calendar.knows(*year) {
        println!(
            "工作日历包含{year}年的节假日安排（已有：{}）",
            known.join("、")
        );
        ExitCode::SUCCESS
    } else {
        println!(
            "工作日历没有{year}年的节假日安排（已有：{}）；国务院办公厅公布后，请按同样格式写入数据目录下的 workdays.txt（或用 --calendar 指定文件）",
            known.join("、")
        );
        ExitCode::FAILURE
    }
}

pub async fn application(app: &App, command: &ApplicationCommand) -> Result<ExitCode> {
    let ApplicationCommand::Replay { id, json } = command;
    let replay = zijin_app::applications::replay::replay(app, &Actor::System("cli"), *id).await?;
    let differs = replay.with_decision_files.differs || replay.with_current_files.differs;
    if *json {
        let side = |r: &zijin_app::applications::replay::Replayed| {
            serde_json::json!({
                "policy_version": r.policy_version,
                "eligible": r.eligible,
                "amount": format!("{:.2}", r.amount),
                "differs": r.differs,
                "trace": r.trace,
            })
        };
        let out = serde_json::json!({
            "application": replay.application,
            "decided_at": replay.decided_at,
            "computed": format!("{:.2}", replay.computed),
            "approved": format!("{:.2}", replay.approved),
            "with_decision_files": side(&replay.with_decision_files),
            "with_current_files": side(&replay.with_current_files),
            "differs": differs,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        let money = zijin_policy::money_text;
        println!(
            "申报 {}：{} 核定，当时计算 {} 元，核定 {} 元",
            replay.application,
            zijin_app::auth::display_time(&replay.decided_at),
            money(replay.computed),
            money(replay.approved)
        );
        for (label, r) in [
            ("按当时的政策文件", &replay.with_decision_files),
            ("按现行的政策文件", &replay.with_current_files),
        ] {
            println!(
                "  {label}（版本 {}）：{} 元，{}",
                &r.policy_version[..12.min(r.policy_version.len())],
                money(r.amount),
                if r.differs {
                    "与当时不同"
                } else {
                    "与当时一致"
                }
            );
        }
    }
    Ok(if differs {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
