//! Reading, verifying, anchoring and sealing the audit log (appending happens inside each use
//! case, signed with the store's key).

use zijin_store::audit;
pub use zijin_store::audit::{
    Anchor, Breach, Entry, ListFilter, Sealed, StoredAnchor, Verification,
};

use zijin_domain::AuditKey;

use crate::{Actor, App, AppError, AppResult, Paged};

pub async fn list(
    app: &App,
    actor: &Actor,
    filter: &ListFilter,
    page: i64,
    per_page: i64,
) -> AppResult<Paged<Entry>> {
    crate::access::require(actor, crate::access::Area::Audit)?;
    Ok(audit::list(
        app.store.pool(),
        filter,
        page.max(1),
        per_page.clamp(1, 500),
    )
    .await?)
}

/// Recomputes the whole chain with the key and checks every stored anchor.
pub async fn verify(app: &App) -> AppResult<Verification> {
    verify_against(app, &[]).await
}

/// As [`verify`], also proving each of `expected` (anchors copied out of the database earlier):
/// its entry still has that hash, and the chain goes on past it.
pub async fn verify_against(app: &App, expected: &[Anchor]) -> AppResult<Verification> {
    Ok(audit::verify(&app.store, expected).await?)
}

/// Records the current head as an anchor (for `audit verify --anchor`) and returns it.
pub async fn anchor(app: &App) -> AppResult<Anchor> {
    let mut tx = app.store.begin_write().await?;
    let anchor = audit::record_anchor(&mut tx, app.now(), "verify", None).await?;
    tx.commit().await.map_err(zijin_store::StoreError::from)?;
    Ok(anchor)
}

/// The anchor recorded when a list issue was published.
pub async fn issue_anchor(app: &App, issue_id: i64) -> AppResult<Option<Anchor>> {
    Ok(audit::issue_anchor(app.store.pool(), issue_id).await?)
}

/// Makes the chain's newest entry one signed with this process's key before it writes
/// anything (see [`zijin_store::audit::seal`]).
pub async fn seal(app: &App, allow_legacy: bool) -> AppResult<Sealed> {
    Ok(audit::seal(&app.store, app.now(), allow_legacy).await?)
}

/// Whether the newest entry is signed (a database that already needs its key).
pub async fn head_is_keyed(app: &App) -> AppResult<bool> {
    Ok(audit::head_is_keyed(app.store.pool()).await?)
}

/// A new random audit key.
pub fn generate_key() -> AppResult<AuditKey> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|error| AppError::Internal(format!("无法生成随机审计密钥：{error}")))?;
    Ok(AuditKey::from_bytes(bytes))
}

mod describe;
pub use describe::{ACT_KINDS, ChangeText, Described, OBJECT_KINDS, describe};

/// The most entries one export holds (the newest ones that match).
pub const EXPORT_LIMIT: i64 = 10_000;

/// The entries matching `filter` (newest first, at most [`EXPORT_LIMIT`]) as an .xlsx workbook
/// of sentences, in Beijing time.
pub async fn export_xlsx(app: &App, actor: &Actor, filter: &ListFilter) -> AppResult<Vec<u8>> {
    crate::access::require(actor, crate::access::Area::Audit)?;
    let paged = audit::list(app.store.pool(), filter, 1, EXPORT_LIMIT).await?;
    let described = describe(app, &paged.items).await?;
    let rows: Vec<Vec<String>> = described
        .into_iter()
        .map(|entry| {
            let changes = entry
                .changes
                .iter()
                .map(|c| {
                    if c.before.is_empty() {
                        format!("{}：{}", c.field, c.after)
                    } else {
                        format!("{}：{} → {}", c.field, c.before, c.after)
                    }
                })
                .collect::<Vec<_>>()
                .join("；");
            vec![
                entry.seq.to_string(),
                entry.at,
                entry.actor,
                entry.verb.trim_end_matches('：').to_string(),
                entry.object,
                changes,
            ]
        })
        .collect();
    crate::exports::table_xlsx(
        "审计日志",
        &[
            ("序号", 8.0),
            ("时间（北京时间）", 18.0),
            ("操作人", 14.0),
            ("操作", 16.0),
            ("对象", 40.0),
            ("变更内容", 60.0),
        ],
        &rows,
    )
}
