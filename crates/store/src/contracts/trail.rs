//! A contract's trail: its history of acts, the payments received (到账) and its file.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{Any, Executor, Row};
use zijin_domain::Money;

use super::{day, parse_day};
use crate::{StoreError, StoreResult, WriteTx, parse_timestamp, timestamp};

/// One entry of a contract's history: who did what, and the form before a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub act: String,
    pub reason: String,
    pub before: Option<String>,
}

pub async fn add_history(
    tx: &mut WriteTx,
    id: i64,
    at: DateTime<Utc>,
    actor: &str,
    act: &str,
    reason: &str,
    before: Option<String>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO contract_history (contract_id, at, actor, act, reason, before_state) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(timestamp(at))
    .bind(actor.to_string())
    .bind(act.to_string())
    .bind(reason.to_string())
    .bind(before)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn history<'e>(
    db: impl Executor<'e, Database = Any>,
    id: i64,
) -> StoreResult<Vec<HistoryEntry>> {
    let rows = sqlx::query("SELECT * FROM contract_history WHERE contract_id = $1 ORDER BY id")
        .bind(id)
        .fetch_all(db)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(HistoryEntry {
                at: parse_timestamp(&row.try_get::<String, _>("at")?)?,
                actor: row.try_get("actor")?,
                act: row.try_get("act")?,
                reason: row.try_get("reason")?,
                before: row.try_get("before_state")?,
            })
        })
        .collect()
}

/// A payment received under a contract (到账).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub received_on: NaiveDate,
    pub amount: Money,
    pub note: String,
}

pub async fn add_receipt(
    tx: &mut WriteTx,
    id: i64,
    receipt: &Receipt,
    at: DateTime<Utc>,
    by: Option<i64>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO contract_receipts (contract_id, received_on, amount_fen, note, recorded_at, recorded_by) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(day(receipt.received_on))
    .bind(receipt.amount.fen())
    .bind(receipt.note.clone())
    .bind(timestamp(at))
    .bind(by)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn receipts<'e>(
    db: impl Executor<'e, Database = Any>,
    id: i64,
) -> StoreResult<Vec<Receipt>> {
    let rows = sqlx::query(
        "SELECT received_on, amount_fen, note FROM contract_receipts WHERE contract_id = $1 ORDER BY received_on, id",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Receipt {
                received_on: parse_day(Some(row.try_get("received_on")?))?
                    .ok_or_else(|| StoreError::Corrupt("到账日期无效".into()))?,
                amount: Money::from_fen(row.try_get("amount_fen")?)
                    .map_err(|_| StoreError::Corrupt("到账金额无效".into()))?,
                note: row.try_get("note")?,
            })
        })
        .collect()
}

/// The contract file (合同文本) of a submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractFile {
    pub filename: String,
    pub content_type: String,
    pub sha256: String,
    pub content: Vec<u8>,
}

pub async fn put_file(
    tx: &mut WriteTx,
    id: i64,
    file: &ContractFile,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query("DELETE FROM contract_files WHERE contract_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO contract_files (contract_id, filename, content_type, size, sha256, content, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(file.filename.clone())
    .bind(file.content_type.clone())
    .bind(file.content.len() as i64)
    .bind(file.sha256.clone())
    .bind(file.content.clone())
    .bind(timestamp(at))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn file<'e>(
    db: impl Executor<'e, Database = Any>,
    id: i64,
) -> StoreResult<Option<ContractFile>> {
    let row = sqlx::query(
        "SELECT filename, content_type, sha256, content FROM contract_files WHERE contract_id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?;
    row.map(|row| {
        Ok(ContractFile {
            filename: row.try_get("filename")?,
            content_type: row.try_get("content_type")?,
            sha256: row.try_get("sha256")?,
            content: row.try_get("content")?,
        })
    })
    .transpose()
}
