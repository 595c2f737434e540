//! Login throttling counters. Each counter is one row keyed by its scope (`pair`: an account
//! from one client address; `address`: every account from one address; `account`: one account
//! from every address). An attempt is *charged* in a write transaction before its password is
//! checked: the row is created or incremented with one `INSERT … ON CONFLICT DO UPDATE` that
//! refuses to count while the row is blocked, so concurrent attempts serialise on the row (a row
//! lock on PostgreSQL, the write lock on SQLite) and none can read a stale count.

use chrono::{DateTime, Utc};
use sqlx::{Any, Executor, Row};

use crate::{StoreResult, WriteTx, parse_timestamp, timestamp};

/// One counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key<'a> {
    pub scope: &'static str,
    pub username: &'a str,
    pub address: &'a str,
}

/// What charging an attempt found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charge {
    /// The attempt was counted; this many attempts are now on the counter.
    Counted(i64),
    /// The counter is blocked until this time; nothing was counted.
    Blocked(DateTime<Utc>),
}

/// The latest `blocked_until` still in force among these counters, read without a write lock
/// (a quick refusal for attempts that would be refused anyway).
pub async fn blocked_until<'e>(
    db: impl Executor<'e, Database = Any>,
    keys: &[Key<'_>],
    now: DateTime<Utc>,
) -> StoreResult<Option<DateTime<Utc>>> {
    if keys.is_empty() {
        return Ok(None);
    }
    // One query for every counter: (scope, username, address) = ($1, $2, $3) OR … .
    let matches: Vec<String> = (0..keys.len())
        .map(|i| {
            let n = 2 + i * 3;
            format!(
                "(scope = ${} AND username = ${} AND address = ${})",
                n,
                n + 1,
                n + 2
            )
        })
        .collect();
    let sql = format!(
        "SELECT MAX(blocked_until) AS until FROM login_throttle \
         WHERE blocked_until > $1 AND ({})",
        matches.join(" OR ")
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(timestamp(now));
    for key in keys {
        query = query.bind(key.scope).bind(key.username).bind(key.address);
    }
    let row = query.fetch_one(db).await?;
    row.try_get::<Option<String>, _>("until")?
        .map(|until| parse_timestamp(&until))
        .transpose()
}

/// Counts one attempt on `key`, unless the key is blocked. A counter untouched since
/// `stale_before` starts again from one.
pub async fn charge(
    tx: &mut WriteTx,
    key: Key<'_>,
    now: DateTime<Utc>,
    stale_before: DateTime<Utc>,
) -> StoreResult<Charge> {
    let now_text = timestamp(now);
    let counted = sqlx::query(
        "INSERT INTO login_throttle (scope, username, address, failures, blocked_until, updated_at) \
         VALUES ($1, $2, $3, 1, NULL, $4) \
         ON CONFLICT (scope, username, address) DO UPDATE SET \
           failures = CASE WHEN login_throttle.updated_at < $5 THEN 1 \
                           ELSE login_throttle.failures + 1 END, \
           blocked_until = NULL, updated_at = $4 \
         WHERE login_throttle.blocked_until IS NULL OR login_throttle.blocked_until <= $4 \
         RETURNING failures",
    )
    .bind(key.scope)
    .bind(key.username)
    .bind(key.address)
    .bind(&now_text)
    .bind(timestamp(stale_before))
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(row) = counted {
        return Ok(Charge::Counted(row.try_get("failures")?));
    }
    let row = sqlx::query(
        "SELECT blocked_until FROM login_throttle WHERE scope = $1 AND username = $2 AND address = $3",
    )
    .bind(key.scope)
    .bind(key.username)
    .bind(key.address)
    .fetch_one(&mut **tx)
    .await?;
    Ok(Charge::Blocked(parse_timestamp(
        &row.try_get::<String, _>("blocked_until")?,
    )?))
}

/// Blocks a counter until `until`.
pub async fn block(tx: &mut WriteTx, key: Key<'_>, until: DateTime<Utc>) -> StoreResult<()> {
    sqlx::query(
        "UPDATE login_throttle SET blocked_until = $4 \
         WHERE scope = $1 AND username = $2 AND address = $3",
    )
    .bind(key.scope)
    .bind(key.username)
    .bind(key.address)
    .bind(timestamp(until))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Takes one attempt back (it succeeded) and lifts the block it may have set.
pub async fn refund(tx: &mut WriteTx, key: Key<'_>) -> StoreResult<()> {
    sqlx::query(
        "UPDATE login_throttle SET failures = CASE WHEN failures > 0 THEN failures - 1 ELSE 0 END, \
         blocked_until = NULL WHERE scope = $1 AND username = $2 AND address = $3",
    )
    .bind(key.scope)
    .bind(key.username)
    .bind(key.address)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Removes a counter.
pub async fn clear(tx: &mut WriteTx, key: Key<'_>) -> StoreResult<()> {
    sqlx::query("DELETE FROM login_throttle WHERE scope = $1 AND username = $2 AND address = $3")
        .bind(key.scope)
        .bind(key.username)
        .bind(key.address)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Removes every counter of an account (an admin unlocked it); returns how many.
pub async fn clear_account(tx: &mut WriteTx, username: &str) -> StoreResult<u64> {
    Ok(
        sqlx::query("DELETE FROM login_throttle WHERE username = $1 AND scope <> 'address'")
            .bind(username)
            .execute(&mut **tx)
            .await?
            .rows_affected(),
    )
}

/// Accounts with a block in force, with its end: (user name, latest blocked_until).
pub async fn blocked_accounts<'e>(
    db: impl Executor<'e, Database = Any>,
    now: DateTime<Utc>,
) -> StoreResult<Vec<(String, DateTime<Utc>)>> {
    let rows = sqlx::query(
        "SELECT username, MAX(blocked_until) AS until FROM login_throttle \
         WHERE scope <> 'address' AND blocked_until > $1 GROUP BY username",
    )
    .bind(timestamp(now))
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("username")?,
                parse_timestamp(&row.try_get::<String, _>("until")?)?,
            ))
        })
        .collect()
}

/// Removes counters untouched since `before` whose block is over; returns how many.
pub async fn prune<'e>(
    db: impl Executor<'e, Database = Any>,
    before: DateTime<Utc>,
) -> StoreResult<u64> {
    let before = timestamp(before);
    Ok(sqlx::query(
        "DELETE FROM login_throttle WHERE updated_at < $1 \
         AND (blocked_until IS NULL OR blocked_until < $1)",
    )
    .bind(&before)
    .execute(db)
    .await?
    .rows_affected())
}
