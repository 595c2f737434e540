//! The audit key and the `zijin audit` commands.
//!
//! The key that signs the audit chain lives outside the database: `ZIJIN_AUDIT_KEY` (64 hex
//! digits) when set, else the file given by `--audit-key-file`, else `audit.key` in the data
//! directory, made (mode 0600) the first time a process meets a database whose log has no
//! signed entry yet. Every process writing one database needs the same key.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Subcommand;
use zijin_app::App;
use zijin_app::audit::{Anchor, Breach, Sealed};
use zijin_domain::AuditKey;

use crate::GlobalArgs;

/// The environment variable that gives the key itself (it overrides any key file).
const KEY_ENV: &str = "ZIJIN_AUDIT_KEY";
const KEY_FILE: &str = "audit.key";

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Check the signed hash chain and every anchor; exits 1 and names the first bad entry.
    Verify {
        /// After a successful check, record the head as an anchor and print `seq N hash H`:
        /// keep that line outside the database to prove later that nothing up to it changed.
        #[arg(long)]
        anchor: bool,
        /// An anchor kept outside, `N:H` (repeatable): entry N must still have hash H and the
        /// chain must go on past it.
        #[arg(long = "expect", value_name = "N:H", value_parser = parse_anchor)]
        expect: Vec<Anchor>,
    },
    /// Close a log written by a version without audit keys with an entry signed by this key
    /// (after checking its unsigned chain). Done by itself when the key is new.
    Seal,
}

fn parse_anchor(text: &str) -> Result<Anchor, String> {
    Anchor::parse(text)
        .ok_or_else(|| "锚点应写作 序号:哈希（如 120:3fa4…，哈希为 64 位十六进制）".into())
}

/// Whether opening may write the seal entry.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Open {
    /// Every command that may write: the chain's head must be signed with this key first.
    Seal,
    /// `audit verify`: reads only, so a broken chain is reported rather than refused.
    ReadOnly,
    /// `audit seal`: the key may be made, and the command itself seals.
    SealCommand,
}

/// The key, and whether this process has just made it.
struct Loaded {
    key: AuditKey,
    new: bool,
    file: Option<PathBuf>,
}

/// Gives `app` its audit key and, for commands that write, makes sure the chain's head is
/// signed with it (see `zijin_store::audit::seal`).
pub async fn keyed(app: App, global: &GlobalArgs, open: Open) -> Result<App> {
    let loaded = load_key(&app, global, open).await?;
    let app = app.with_audit_key(loaded.key);
    if open != Open::Seal {
        return Ok(app);
    }
    let outcome = zijin_app::audit::seal(&app, loaded.new).await?;
    match outcome {
        Sealed::Already | Sealed::Fresh => Ok(app),
        Sealed::Legacy { entries, breach } => {
            eprintln!("已用审计密钥签名封存此前未签名的 {entries} 条审计记录");
            if let Some(breach) = breach {
                eprintln!("注意：这些旧记录中{}", describe(&breach));
            }
            Ok(app)
        }
        Sealed::KeyMismatch { seq } => {
            if loaded.new
                && let Some(file) = &loaded.file
            {
                // The key made a moment ago belongs to nothing: leave no stray key behind.
                let _ = std::fs::remove_file(file);
            }
            anyhow::bail!(
                "审计密钥（指纹 {}）与数据库中最新的审计记录（第 {seq} 条）不符：这台机器用的不是写入时的密钥，或该记录被改动。\
                 请用写入时的密钥启动（环境变量 {KEY_ENV}，或 --audit-key-file，或数据目录中的 {KEY_FILE}），并运行 zijin audit verify 检查",
                app.store().audit_key()?.fingerprint()
            )
        }
        Sealed::LegacyRefused { seq } => anyhow::bail!(
            "数据库中最新的审计记录（第 {seq} 条）没有密钥签名。若数据库来自没有审计密钥的旧版本，请确认后运行 zijin audit seal 签名封存；\
             否则审计链可能被整体改写，请运行 zijin audit verify 检查"
        ),
    }
}

async fn load_key(app: &App, global: &GlobalArgs, open: Open) -> Result<Loaded> {
    if let Ok(text) = std::env::var(KEY_ENV) {
        let key = AuditKey::from_hex(&text).with_context(|| format!("环境变量 {KEY_ENV} 无效"))?;
        return Ok(Loaded {
            key,
            new: false,
            file: None,
        });
    }
    let path = global
        .audit_key_file
        .clone()
        .unwrap_or_else(|| global.data_dir.join(KEY_FILE));
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let key = AuditKey::from_hex(&text)
                .with_context(|| format!("审计密钥文件 {} 无效", path.display()))?;
            return Ok(Loaded {
                key,
                new: false,
                file: Some(path),
            });
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => {
            return Err(error).with_context(|| format!("无法读取审计密钥文件 {}", path.display()));
        }
    }
    if zijin_app::audit::head_is_keyed(app).await? {
        anyhow::bail!(
            "数据库中的审计记录已用审计密钥签名，但找不到密钥：{} 不存在，也没有设置环境变量 {KEY_ENV}。\
             请恢复备份的密钥文件（或用 --audit-key-file 指定），不要生成新密钥",
            path.display()
        );
    }
    let key = zijin_app::audit::generate_key()?;
    if open == Open::ReadOnly {
        // Nothing signed yet and nothing will be written: a throw-away key checks the
        // unsigned chain without leaving a key file that no entry uses.
        return Ok(Loaded {
            key,
            new: false,
            file: None,
        });
    }
    write_new_key(&path, &key)?;
    eprintln!(
        "已生成审计密钥 {}（指纹 {}）：请备份此文件；丢失后，审计记录只能核对到已保存的锚点为止",
        path.display(),
        key.fingerprint()
    );
    Ok(Loaded {
        key,
        new: true,
        file: Some(path),
    })
}

/// Writes a new key file readable by its owner only; never overwrites one (two processes
/// starting at once: the second fails here rather than replacing the first one's key).
fn write_new_key(path: &Path, key: &AuditKey) -> Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("无法创建目录 {}", parent.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("无法创建审计密钥文件 {}", path.display()))?;
    file.write_all(format!("{}\n", key.to_hex()).as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("无法写入审计密钥文件 {}", path.display()))
}

/// `zijin audit …`.
pub async fn run(app: &App, command: AuditCommand) -> Result<ExitCode> {
    match command {
        AuditCommand::Verify { anchor, expect } => {
            let verification = zijin_app::audit::verify_against(app, &expect).await?;
            if let Some(breach) = &verification.first_breach {
                println!("审计链被破坏：{}", describe(breach));
                println!("（此前 {} 条记录完好）", verification.entries_checked);
                return Ok(ExitCode::FAILURE);
            }
            println!(
                "审计链完整：共 {} 条记录，哈希全部吻合；核对锚点 {} 个",
                verification.entries_checked, verification.anchors_checked
            );
            if anchor {
                let head = zijin_app::audit::anchor(app).await?;
                println!("seq {} hash {}", head.seq, head.hash);
            }
            Ok(ExitCode::SUCCESS)
        }
        // Opening with Open::Seal refuses an unsigned head; sealing it is this command's job.
        AuditCommand::Seal => {
            match zijin_app::audit::seal(app, true).await? {
                Sealed::Legacy { entries, breach } => {
                    println!("已用审计密钥签名封存此前未签名的 {entries} 条审计记录");
                    if let Some(breach) = breach {
                        println!("注意：这些旧记录中{}", describe(&breach));
                    }
                }
                Sealed::Already | Sealed::Fresh => println!("审计链已由当前密钥签名，无需封存"),
                Sealed::KeyMismatch { seq } => {
                    anyhow::bail!("审计密钥与数据库中最新的审计记录（第 {seq} 条）不符，未封存")
                }
                Sealed::LegacyRefused { seq } => {
                    anyhow::bail!("第 {seq} 条审计记录没有签名，未封存")
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// "第 N 条记录（北京时间 …，操作 …）有问题：…".
fn describe(breach: &Breach) -> String {
    let mut what = String::new();
    if let Some(at) = &breach.at {
        let shown = chrono::DateTime::parse_from_rfc3339(at)
            .ok()
            .zip(chrono::FixedOffset::east_opt(8 * 3600))
            .map(|(at, beijing)| {
                at.with_timezone(&beijing)
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string()
            })
            .unwrap_or_else(|| at.clone());
        what.push_str(&format!("北京时间 {shown}"));
    }
    if let Some(action) = &breach.action {
        if !what.is_empty() {
            what.push('，');
        }
        what.push_str(&format!("操作 {action}"));
    }
    let what = if what.is_empty() {
        String::new()
    } else {
        format!("（{what}）")
    };
    format!("第 {} 条记录{what}有问题：{}", breach.seq, breach.reason)
}
