//! In-platform notifications: messages to an institution, or to one account (a technology
//! manager), each with a link to what it is about.

use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};

use crate::{StoreResult, WriteTx};

/// A message inside the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub id: i64,
    pub message: String,
    pub link: String,
    pub created_at: String,
    pub read: bool,
}

pub async fn notify(
    tx: &mut WriteTx,
    institution_id: i64,
    message: &str,
    link: &str,
    at: &str,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO notifications (institution_id, message, link, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(institution_id)
    .bind(message)
    .bind(link)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A message to one account (a technology manager).
pub async fn notify_user(
    tx: &mut WriteTx,
    user_id: i64,
    message: &str,
    link: &str,
    at: &str,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO notifications (user_id, message, link, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(user_id)
    .bind(message)
    .bind(link)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// An institution's newest notifications.
pub async fn notifications<'e>(
    db: impl Executor<'e, Database = Any>,
    institution_id: i64,
) -> StoreResult<Vec<Notification>> {
    newest(db, "institution_id", institution_id).await
}

/// One account's newest notifications.
pub async fn notifications_for_user<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
) -> StoreResult<Vec<Notification>> {
    newest(db, "user_id", user_id).await
}

/// The newest 50 notifications whose `column` (a fixed column name) is `id`.
async fn newest<'e>(
    db: impl Executor<'e, Database = Any>,
    column: &'static str,
    id: i64,
) -> StoreResult<Vec<Notification>> {
    let sql = format!(
        "SELECT id, message, link, created_at, read_at FROM notifications \
         WHERE {column} = $1 ORDER BY id DESC LIMIT 50"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_all(db)
        .await?;
    rows.iter().map(from_row).collect()
}

fn from_row(row: &AnyRow) -> StoreResult<Notification> {
    let read_at: Option<String> = row.try_get("read_at")?;
    Ok(Notification {
        id: row.try_get("id")?,
        message: row.try_get("message")?,
        link: row.try_get("link")?,
        created_at: row.try_get("created_at")?,
        read: read_at.is_some(),
    })
}
