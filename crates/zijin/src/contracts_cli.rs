//! `zijin import contracts FILE` (the national registry's export, all rows or none) and
//! `zijin ranking compute --year YYYY [--json]` / `zijin ranking freeze --year YYYY`.

use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use zijin_app::contracts::{import, ranking};
use zijin_app::{Actor, App};

#[derive(Subcommand)]
pub enum RankingCommand {
    /// Compute a year's ranking from the registered contracts as they stand; with --json the
    /// same JSON a frozen snapshot holds.
    Compute {
        #[arg(long)]
        year: i32,
        #[arg(long)]
        json: bool,
        /// Print the frozen snapshot of the year instead (exit 1 when it has none).
        #[arg(long)]
        frozen: bool,
    },
    /// Freeze (publish) a year's ranking; it cannot be changed afterwards.
    Freeze {
        #[arg(long)]
        year: i32,
    },
}

pub async fn import(app: &App, bytes: &[u8], publish: bool) -> Result<ExitCode> {
    if publish {
        eprintln!("--publish 只用于成果和需求；技术合同导入即为已登记");
        return Ok(ExitCode::from(2));
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "校验并导入技术合同 {bar:40.magenta/white} {pos}/{len} 行 {elapsed}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let outcome = import::import(app, &Actor::System("cli"), bytes, &|done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    })
    .await?;
    bar.finish_and_clear();
    match outcome {
        import::Outcome::Imported { count } => {
            println!("已导入 {count} 份已登记的技术合同");
            Ok(ExitCode::SUCCESS)
        }
        import::Outcome::Refused(report) => {
            eprintln!(
                "导入未执行：发现 {} 个问题，未写入任何合同。",
                report.problem_count
            );
            for line in report.lines() {
                eprintln!("  {line}");
            }
            Ok(ExitCode::from(2))
        }
    }
}

fn print(r: &ranking::Ranking, json: bool) -> Result<()> {
    if json {
        println!("{}", ranking::to_json(r)?);
        return Ok(());
    }
    println!(
        "{}年度高校院所科技成果转化排行榜（{} 家单位）",
        r.year,
        r.entries.len()
    );
    for e in &r.entries {
        println!(
            "{:>3}. {}（{}）合同 {} 项，总金额 {} 元，本地转化占比 {}%",
            e.rank_total, e.name, e.nature, e.contracts, e.total, e.in_city_share
        );
    }
    Ok(())
}

pub async fn ranking(app: &App, command: RankingCommand) -> Result<ExitCode> {
    match command {
        RankingCommand::Compute { year, json, frozen } => {
            let r = if frozen {
                match ranking::snapshot(app, year).await? {
                    Some(r) => r,
                    None => {
                        eprintln!("{year}年度排行榜尚未发布");
                        return Ok(ExitCode::from(1));
                    }
                }
            } else {
                ranking::compute(app, year).await?
            };
            print(&r, json)?;
        }
        RankingCommand::Freeze { year } => {
            let r = ranking::freeze(app, &Actor::System("cli"), year).await?;
            println!("{year}年度排行榜已发布（{} 家单位）", r.entries.len());
        }
    }
    Ok(ExitCode::SUCCESS)
}
