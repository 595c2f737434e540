//! Attachments of achievements and demands.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};
use zijin_domain::{Coded, RecordKind};

use crate::{StoreError, StoreResult, WriteTx, timestamp};

/// What is known of an attachment without its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub id: i64,
    pub kind: RecordKind,
    pub record_id: i64,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub created_at: String,
}

pub struct NewAttachment<'a> {
    pub kind: RecordKind,
    pub record_id: i64,
    pub filename: &'a str,
    pub content_type: &'a str,
    pub sha256: &'a str,
    pub content: &'a [u8],
}

pub async fn insert(
    tx: &mut WriteTx,
    attachment: &NewAttachment<'_>,
    at: DateTime<Utc>,
) -> StoreResult<i64> {
    let row = sqlx::query(
        "INSERT INTO attachments (kind, record_id, filename, content_type, size, sha256, content, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(attachment.kind.code())
    .bind(attachment.record_id)
    .bind(attachment.filename)
    .bind(attachment.content_type)
    .bind(attachment.content.len() as i64)
    .bind(attachment.sha256)
    .bind(attachment.content.to_vec())
    .bind(timestamp(at))
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get("id")?)
}

const COLUMNS: &str = "id, kind, record_id, filename, content_type, size, sha256, created_at";

fn from_row(row: &AnyRow) -> StoreResult<Attachment> {
    let kind: String = row.try_get("kind")?;
    Ok(Attachment {
        id: row.try_get("id")?,
        kind: RecordKind::from_code(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("附件类型 {kind}")))?,
        record_id: row.try_get("record_id")?,
        filename: row.try_get("filename")?,
        content_type: row.try_get("content_type")?,
        size: row.try_get("size")?,
        sha256: row.try_get("sha256")?,
        created_at: row.try_get("created_at")?,
    })
}

pub async fn list<'e>(
    db: impl Executor<'e, Database = Any>,
    kind: RecordKind,
    record_id: i64,
) -> StoreResult<Vec<Attachment>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM attachments WHERE kind = $1 AND record_id = $2 ORDER BY id"
    ));
    let rows = sqlx::query(sql)
        .bind(kind.code())
        .bind(record_id)
        .fetch_all(db)
        .await?;
    rows.iter().map(from_row).collect()
}

/// An attachment and its bytes.
pub async fn get<'e>(
    db: impl Executor<'e, Database = Any>,
    id: i64,
) -> StoreResult<Option<(Attachment, Vec<u8>)>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS}, content FROM attachments WHERE id = $1"
    ));
    let row = sqlx::query(sql).bind(id).fetch_optional(db).await?;
    match row {
        Some(row) => Ok(Some((from_row(&row)?, row.try_get("content")?))),
        None => Ok(None),
    }
}
