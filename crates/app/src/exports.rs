//! Downloads of a list issue (.pdf, .xlsx), made once per published issue and served from
//! storage afterwards.
//!
//! A published issue never changes, so neither do its exports; building the PDF of a
//! 100,000-entry issue took seconds and about a gigabyte each time it was asked for. The
//! first request claims the export in the database (`INSERT … ON CONFLICT DO NOTHING`, with a
//! lease the builder renews while it works), builds it and stores it in chunks; every later
//! request, from any server process, streams the stored chunks. Requests that find someone
//! else building wait for them (polling the database, bounded) instead of building too.
//! At most [`ExportLimits::builds`] builds run at a time in one process; a request that
//! cannot start one in time gets [`AppError::ExportBusy`]. An issue not yet published (the
//! admin's preview) is built for each request and never stored: it may still change.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use zijin_domain::ListIssue;
use zijin_store::exports::{self as stored, ExportState};

pub use zijin_store::exports::ReadyExport;

use crate::{Actor, App, AppError, AppResult, exchange};

/// How long a builder's claim holds without renewal: a builder that crashed blocks others
/// this long at most.
const LEASE: Duration = Duration::from_secs(60);
/// How often a working builder renews its claim.
const RENEW_EVERY: Duration = Duration::from_secs(15);
/// How often a request waiting for another builder looks again.
const POLL_EVERY: Duration = Duration::from_millis(200);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Pdf,
    Xlsx,
}

impl ExportFormat {
    /// The file extension, also the key of the stored copy.
    pub fn code(self) -> &'static str {
        match self {
            Self::Pdf => "pdf",
            Self::Xlsx => "xlsx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// How many exports one process builds at a time, and how long a request waits for a build
/// (its own turn, or another's result) before it is answered "busy".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportLimits {
    pub builds: usize,
    pub wait: Duration,
}

impl Default for ExportLimits {
    fn default() -> Self {
        Self {
            builds: 1,
            wait: Duration::from_secs(20),
        }
    }
}

/// The process's export builders: a semaphore of [`ExportLimits::builds`] permits. A
/// process-local resource limit (memory and CPU of this machine), not shared state.
#[derive(Debug, Clone)]
pub struct ExportBuilders {
    permits: Arc<Semaphore>,
    limits: ExportLimits,
}

impl ExportBuilders {
    pub fn new(limits: ExportLimits) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(limits.builds)),
            limits,
        }
    }

    pub fn limits(&self) -> ExportLimits {
        self.limits
    }

    /// A builder's turn now, if one is free: what a build holds while it runs (so a test can
    /// occupy every builder of the process).
    pub fn try_turn(&self) -> Option<OwnedSemaphorePermit> {
        self.permits.clone().try_acquire_owned().ok()
    }

    /// A builder's turn, waiting until `deadline` at most.
    async fn permit(&self, deadline: Instant) -> AppResult<OwnedSemaphorePermit> {
        let remaining = deadline.saturating_duration_since(Instant::now());
        let acquired = if remaining.is_zero() {
            self.permits.clone().try_acquire_owned().ok()
        } else {
            tokio::time::timeout(remaining, self.permits.clone().acquire_owned())
                .await
                .ok()
                .and_then(Result::ok)
        };
        acquired.ok_or(AppError::ExportBusy)
    }
}

/// What a download of an issue serves.
#[derive(Debug)]
pub enum ExportContent {
    /// The frozen copy of a published issue, read chunk by chunk with [`read_chunk`].
    Stored(ReadyExport),
    /// An unpublished issue built for this request only (the admin's preview).
    Preview(Vec<u8>),
}

#[derive(Debug)]
pub struct IssueExport {
    pub issue: ListIssue,
    pub format: ExportFormat,
    pub content: ExportContent,
}

/// The export of an issue in `format`, if the actor may have it: anyone for a published
/// issue (served from storage, built first if nobody has yet), admins for a preview.
pub async fn issue_export(
    app: &App,
    actor: &Actor,
    builders: &ExportBuilders,
    issue_id: i64,
    format: ExportFormat,
) -> AppResult<IssueExport> {
    let issue = crate::lists::issue(app, issue_id).await?;
    let deadline = Instant::now() + builders.limits.wait;
    let content = if issue.published {
        ExportContent::Stored(stored_export(app, builders, issue_id, format, deadline).await?)
    } else {
        if !actor.is_admin() {
            return Err(AppError::NotFound("清单期次"));
        }
        let _permit = builders.permit(deadline).await?;
        ExportContent::Preview(build(app, actor, issue_id, format).await?)
    };
    Ok(IssueExport {
        issue,
        format,
        content,
    })
}

/// Builds an export without reading or writing the stored copy (`zijin export --fresh`, and
/// the benchmark's comparison with building on every request).
pub async fn build(
    app: &App,
    actor: &Actor,
    issue_id: i64,
    format: ExportFormat,
) -> AppResult<Vec<u8>> {
    match format {
        ExportFormat::Pdf => exchange::export_issue_pdf(app, actor, issue_id).await,
        ExportFormat::Xlsx => exchange::export_issue_xlsx(app, actor, issue_id).await,
    }
}

/// One piece of a stored export, `seq` from 0 to `export.chunks - 1`.
pub async fn read_chunk(app: &App, export: &ReadyExport, seq: i64) -> AppResult<Vec<u8>> {
    stored::chunk(app.store.pool(), export.issue_id, &export.format, seq)
        .await?
        .ok_or_else(|| {
            AppError::Internal(format!(
                "导出文件缺少第 {seq} 块（清单 {}，{}）",
                export.issue_id, export.format
            ))
        })
}

/// The stored export of a published issue: ready already, or built now by this request, or
/// awaited while another request (of any process) builds it — until `deadline`.
async fn stored_export(
    app: &App,
    builders: &ExportBuilders,
    issue_id: i64,
    format: ExportFormat,
    deadline: Instant,
) -> AppResult<ReadyExport> {
    let pool = app.store.pool();
    loop {
        match stored::state(pool, issue_id, format.code()).await? {
            ExportState::Ready(ready) => return Ok(ready),
            ExportState::Building { lease_until } if lease_until > app.now() => {
                if Instant::now() >= deadline {
                    return Err(AppError::ExportBusy);
                }
                tokio::time::sleep(POLL_EVERY).await;
                continue;
            }
            // Nobody builds it, or its builder stopped renewing: ours to build.
            ExportState::Missing | ExportState::Building { .. } => {}
        }
        let permit = builders.permit(deadline).await?;
        let token = builder_token();
        let now = app.now();
        if !stored::claim(pool, issue_id, format.code(), &token, now, now + LEASE).await? {
            // Another request claimed it between our look and our claim: wait for it.
            continue;
        }
        // The build runs in its own task, so a visitor who leaves does not waste it: it is
        // stored for the next one. The permit goes with it.
        let task = tokio::spawn(build_and_store(
            app.clone(),
            issue_id,
            format,
            token,
            permit,
        ));
        match task.await {
            Ok(Ok(Some(ready))) => return Ok(ready),
            // The claim was lost (taken over after a stall): serve whoever finished.
            Ok(Ok(None)) => continue,
            Ok(Err(error)) => return Err(error),
            Err(error) => return Err(AppError::Internal(format!("导出任务中断：{error}"))),
        }
    }
}

/// Builds under a claim, renewing it meanwhile, and stores the result. `None` when the claim
/// was lost before the bytes could be stored.
async fn build_and_store(
    app: App,
    issue_id: i64,
    format: ExportFormat,
    token: String,
    _permit: OwnedSemaphorePermit,
) -> AppResult<Option<ReadyExport>> {
    let renewing = RenewGuard(tokio::spawn({
        let (app, token) = (app.clone(), token.clone());
        async move {
            loop {
                tokio::time::sleep(RENEW_EVERY).await;
                let until = app.now() + LEASE;
                match stored::renew(app.store.pool(), issue_id, format.code(), &token, until).await
                {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(error) => {
                        tracing::warn!(%error, issue_id, "could not renew an export claim")
                    }
                }
            }
        }
    }));
    // A published issue is public, so the platform builds it for whoever asked.
    let built = build(&app, &Actor::System("export"), issue_id, format).await;
    drop(renewing);
    let bytes = match built {
        Ok(bytes) => bytes,
        Err(error) => {
            if let Err(release) =
                stored::release(app.store.pool(), issue_id, format.code(), &token).await
            {
                tracing::warn!(error = %release, issue_id, "could not release an export claim");
            }
            return Err(error);
        }
    };
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let mut tx = app.store.begin_write().await?;
    let finished = stored::finish(
        &mut tx,
        issue_id,
        format.code(),
        &token,
        &bytes,
        &sha256,
        app.now(),
    )
    .await?;
    if !finished {
        tx.rollback().await.map_err(zijin_store::StoreError::from)?;
        return Ok(None);
    }
    tx.commit().await.map_err(zijin_store::StoreError::from)?;
    tracing::info!(
        issue_id,
        format = format.code(),
        bytes = bytes.len(),
        "export built and stored"
    );
    match stored::state(app.store.pool(), issue_id, format.code()).await? {
        ExportState::Ready(ready) => Ok(Some(ready)),
        _ => Ok(None),
    }
}

/// Stops renewing a claim when the build ends, however it ends.
struct RenewGuard(tokio::task::JoinHandle<()>);

impl Drop for RenewGuard {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Names one claim of one builder, so only it may renew, release or finish it.
fn builder_token() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system has no random source");
    hex::encode(bytes)
}

/// A one-sheet workbook: a bold header row of (title, column width) and rows of text, the
/// header frozen. Used by the audit log's and the reports' exports.
pub fn table_xlsx(
    sheet_name: &str,
    headers: &[(&str, f64)],
    rows: &[Vec<String>],
) -> AppResult<Vec<u8>> {
    use rust_xlsxwriter::{Format, FormatBorder, Workbook};
    let xlsx = |e: rust_xlsxwriter::XlsxError| AppError::Internal(format!("xlsx: {e}"));
    let mut workbook = Workbook::new();
    let bold = Format::new()
        .set_bold()
        .set_background_color("E9DDF3")
        .set_border(FormatBorder::Thin);
    let wrap = Format::new().set_text_wrap();
    let sheet = workbook
        .add_worksheet()
        .set_name(sheet_name)
        .map_err(xlsx)?;
    for (column, (title, width)) in headers.iter().enumerate() {
        let column = column as u16;
        sheet
            .write_string_with_format(0, column, *title, &bold)
            .map_err(xlsx)?;
        sheet.set_column_width(column, *width).map_err(xlsx)?;
    }
    for (index, values) in rows.iter().enumerate() {
        for (column, value) in values.iter().enumerate() {
            sheet
                .write_string_with_format((index + 1) as u32, column as u16, value, &wrap)
                .map_err(xlsx)?;
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(xlsx)?;
    workbook.save_to_buffer().map_err(xlsx)
}

/// Renders a publication as PDF on a blocking thread (laying out thousands of rows takes a
/// while); characters no font has are logged with `what` names the document.
pub(crate) async fn render_pdf(
    publication: zijin_pdf::Publication,
    what: &str,
) -> AppResult<Vec<u8>> {
    let rendered = tokio::task::spawn_blocking(move || {
        zijin_pdf::render(&publication, zijin_pdf::FontSet::standard())
    })
    .await
    .map_err(|error| AppError::Internal(format!("PDF 生成任务中断：{error}")))?
    .map_err(|error| AppError::Internal(error.to_string()))?;
    if !rendered.unavailable.is_empty() {
        tracing::warn!(
            document = what,
            characters = %rendered.unavailable.iter().collect::<String>(),
            "no font has these characters; they were written as code points"
        );
    }
    Ok(rendered.bytes)
}
