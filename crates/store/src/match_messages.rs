//! The thread of a match (洽谈记录): messages between its two institutions and its technology
//! manager, oldest first.

use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};

use crate::{StoreResult, WriteTx};

/// A stored message, with its author's names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchMessage {
    pub id: i64,
    pub match_id: i64,
    pub author_user_id: i64,
    /// `demand`, `achievement` (the side the author's institution holds) or `tech-manager`.
    pub author_role: String,
    pub author_institution_id: Option<i64>,
    /// The author's institution, when they wrote for one.
    pub author_institution: Option<String>,
    /// The author's display name.
    pub author_name: String,
    pub body: String,
    pub created_at: String,
}

/// A message to store.
pub struct NewMessage<'a> {
    pub match_id: i64,
    pub author_user_id: i64,
    pub author_role: &'a str,
    pub author_institution_id: Option<i64>,
    pub body: &'a str,
    pub created_at: &'a str,
}

pub async fn insert(tx: &mut WriteTx, message: &NewMessage<'_>) -> StoreResult<i64> {
    let row = sqlx::query(
        "INSERT INTO match_messages (match_id, author_user_id, author_role, author_institution_id, \
         body, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(message.match_id)
    .bind(message.author_user_id)
    .bind(message.author_role)
    .bind(message.author_institution_id)
    .bind(message.body)
    .bind(message.created_at)
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get("id")?)
}

/// The most messages a thread shows (the newest ones).
pub const THREAD_LIMIT: i64 = 500;

/// A match's messages, oldest first (the newest [`THREAD_LIMIT`]).
pub async fn for_match<'e>(
    db: impl Executor<'e, Database = Any>,
    match_id: i64,
) -> StoreResult<Vec<MatchMessage>> {
    let rows = sqlx::query(
        "SELECT mm.*, i.name AS author_institution, u.display_name AS author_name \
         FROM match_messages mm JOIN users u ON u.id = mm.author_user_id \
         LEFT JOIN institutions i ON i.id = mm.author_institution_id \
         WHERE mm.match_id = $1 ORDER BY mm.id DESC LIMIT $2",
    )
    .bind(match_id)
    .bind(THREAD_LIMIT)
    .fetch_all(db)
    .await?;
    let mut messages = rows.iter().map(from_row).collect::<StoreResult<Vec<_>>>()?;
    messages.reverse();
    Ok(messages)
}

fn from_row(row: &AnyRow) -> StoreResult<MatchMessage> {
    Ok(MatchMessage {
        id: row.try_get("id")?,
        match_id: row.try_get("match_id")?,
        author_user_id: row.try_get("author_user_id")?,
        author_role: row.try_get("author_role")?,
        author_institution_id: row.try_get("author_institution_id")?,
        author_institution: row.try_get("author_institution")?,
        author_name: row.try_get("author_name")?,
        body: row.try_get("body")?,
        created_at: row.try_get("created_at")?,
    })
}
