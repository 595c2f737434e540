//! Secrets shared by every server process, created once and then only read.

use chrono::{DateTime, Utc};
use sqlx::{Any, Executor, Row};

use crate::{Store, StoreResult, timestamp};

/// The secret called `name`, if one was made.
pub async fn find<'e>(
    db: impl Executor<'e, Database = Any>,
    name: &str,
) -> StoreResult<Option<String>> {
    let row = sqlx::query("SELECT secret FROM server_secrets WHERE name = $1")
        .bind(name)
        .fetch_optional(db)
        .await?;
    Ok(match row {
        Some(row) => Some(row.try_get("secret")?),
        None => None,
    })
}

/// The secret called `name`; `candidate` becomes it if there is none yet. When two processes
/// race, the first insert wins and both read the winner, so they always agree.
pub async fn get_or_create(
    store: &Store,
    name: &str,
    candidate: &str,
    now: DateTime<Utc>,
) -> StoreResult<String> {
    if let Some(secret) = find(store.pool(), name).await? {
        return Ok(secret);
    }
    let mut tx = store.begin_write().await?;
    sqlx::query(
        "INSERT INTO server_secrets (name, secret, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(candidate)
    .bind(timestamp(now))
    .execute(&mut *tx)
    .await?;
    let secret = find(&mut *tx, name).await?;
    tx.commit().await?;
    secret.ok_or_else(|| crate::StoreError::Corrupt(format!("服务器密钥 {name} 写入后读不到")))
}
