//! Login sessions live in the database, so any server process can serve any request.
//! Only a hash of the cookie's token is stored: a leaked table does not give sessions away.

use chrono::{DateTime, Utc};
use sqlx::{Any, Executor, Row};
use zijin_domain::User;

use crate::{StoreResult, parse_timestamp, timestamp, users};

pub async fn create<'e>(
    db: impl Executor<'e, Database = Any>,
    token_hash: &str,
    user_id: i64,
    csrf_token: &str,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(csrf_token)
    .bind(timestamp(created_at))
    .bind(timestamp(expires_at))
    .execute(db)
    .await?;
    Ok(())
}

/// The signed-in user and the session's CSRF token, if the session exists and has not expired.
pub async fn find<'e>(
    db: impl Executor<'e, Database = Any>,
    token_hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<(User, String)>> {
    let row = sqlx::query(
        "SELECT users.*, sessions.csrf_token AS session_csrf, sessions.expires_at AS session_expires \
         FROM sessions JOIN users ON users.id = sessions.user_id \
         WHERE sessions.token_hash = $1 AND users.disabled = 0",
    )
    .bind(token_hash)
    .fetch_optional(db)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let expires: String = row.try_get("session_expires")?;
    if parse_timestamp(&expires)? <= now {
        return Ok(None);
    }
    Ok(Some((users::from_row(&row)?, row.try_get("session_csrf")?)))
}

pub async fn delete<'e>(
    db: impl Executor<'e, Database = Any>,
    token_hash: &str,
) -> StoreResult<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(db)
        .await?;
    Ok(())
}

/// Ends every session of a user except the one with `keep_token_hash` (the session that changed
/// the password stays signed in); returns how many ended.
pub async fn delete_for_user<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    keep_token_hash: Option<&str>,
) -> StoreResult<u64> {
    Ok(
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(user_id)
            .bind(keep_token_hash.unwrap_or(""))
            .execute(db)
            .await?
            .rows_affected(),
    )
}

/// Removes expired sessions; returns how many.
pub async fn delete_expired<'e>(
    db: impl Executor<'e, Database = Any>,
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(timestamp(now))
        .execute(db)
        .await?
        .rows_affected())
}
