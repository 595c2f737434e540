//! API keys (issue 20): stored by the SHA-256 of their token; per-minute request counts.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};

use crate::{StoreResult, WriteTx, timestamp};

/// A stored key (never its token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKey {
    pub id: i64,
    pub user_id: i64,
    pub username: String,
    pub note: String,
    /// JSON list of scope codes.
    pub scopes: String,
    pub prefix: String,
    /// YYYY-MM-DD (Beijing), the last day the key works.
    pub expires_on: String,
    /// Requests a minute.
    pub per_minute: i64,
    pub created_at: String,
    pub revoked_at: Option<String>,
    pub last_used_at: Option<String>,
    pub uses: i64,
}

fn key(row: &AnyRow) -> StoreResult<StoredKey> {
    Ok(StoredKey {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        username: row.try_get("username")?,
        note: row.try_get("note")?,
        scopes: row.try_get("scopes")?,
        prefix: row.try_get("prefix")?,
        expires_on: row.try_get("expires_on")?,
        per_minute: row.try_get("per_minute")?,
        created_at: row.try_get("created_at")?,
        revoked_at: row.try_get("revoked_at")?,
        last_used_at: row.try_get("last_used_at")?,
        uses: row.try_get("uses")?,
    })
}

const SELECT: &str =
    "SELECT k.*, u.username AS username FROM api_keys k JOIN users u ON u.id = k.user_id";

pub struct NewKey<'a> {
    pub user_id: i64,
    pub note: &'a str,
    pub scopes: &'a str,
    pub token_hash: &'a str,
    pub prefix: &'a str,
    pub expires_on: &'a str,
    pub per_minute: i64,
    pub created_by: &'a str,
}

pub async fn insert(tx: &mut WriteTx, new: &NewKey<'_>, at: DateTime<Utc>) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO api_keys (user_id, note, scopes, token_hash, prefix, expires_on, created_by, \
         created_at, per_minute) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(new.user_id)
    .bind(new.note)
    .bind(new.scopes)
    .bind(new.token_hash)
    .bind(new.prefix)
    .bind(new.expires_on)
    .bind(new.created_by)
    .bind(timestamp(at))
    .bind(new.per_minute)
    .fetch_one(&mut **tx)
    .await?)
}

/// Every key, newest first.
pub async fn all<'e>(db: impl Executor<'e, Database = Any>) -> StoreResult<Vec<StoredKey>> {
    sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} ORDER BY k.id DESC")))
        .fetch_all(db)
        .await?
        .iter()
        .map(key)
        .collect()
}

pub async fn by_hash<'e>(
    db: impl Executor<'e, Database = Any>,
    token_hash: &str,
) -> StoreResult<Option<StoredKey>> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE k.token_hash = $1"
    )))
    .bind(token_hash)
    .fetch_optional(db)
    .await?
    .as_ref()
    .map(key)
    .transpose()
}

pub async fn get_for_update(tx: &mut WriteTx, id: i64) -> StoreResult<Option<StoredKey>> {
    sqlx::query("UPDATE api_keys SET uses = uses WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE k.id = $1")))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .as_ref()
        .map(key)
        .transpose()
}

pub async fn revoke(tx: &mut WriteTx, id: i64, at: DateTime<Utc>) -> StoreResult<()> {
    sqlx::query("UPDATE api_keys SET revoked_at = $2 WHERE id = $1")
        .bind(id)
        .bind(timestamp(at))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Counts one request of a key in its minute and records the use; returns the minute's count
/// including this one (atomic: two requests at once both count).
pub async fn count_use(
    tx: &mut WriteTx,
    id: i64,
    minute: &str,
    at: DateTime<Utc>,
) -> StoreResult<i64> {
    let count: i64 = sqlx::query_scalar(
        "INSERT INTO api_key_windows (key_id, minute, count) VALUES ($1, $2, 1) \
         ON CONFLICT (key_id, minute) DO UPDATE SET count = api_key_windows.count + 1 \
         RETURNING count",
    )
    .bind(id)
    .bind(minute)
    .fetch_one(&mut **tx)
    .await?;
    sqlx::query("UPDATE api_keys SET uses = uses + 1, last_used_at = $2 WHERE id = $1")
        .bind(id)
        .bind(timestamp(at))
        .execute(&mut **tx)
        .await?;
    Ok(count)
}
