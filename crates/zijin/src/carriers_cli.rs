//! `zijin carriers recognise --credit-code CODE --type TYPE [--name NAME]` and
//! `zijin carriers types`: carriers recognised within their types' quotas (issue 19).

use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;
use zijin_app::{Actor, App, carriers};

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
