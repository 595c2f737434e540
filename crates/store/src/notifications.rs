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

/// Who a message goes to, beside one institution or one account.
#[derive(Debug, Clone, Copy)]
pub enum Audience<'a> {
    /// Every admin of the bureau.
    Admins,
    /// The district officers of a district (its code).
    DistrictOfficers(&'a str),
    /// The reviewers of these responsible units (their codes).
    Reviewers(&'a [&'a str]),
}

/// Sends a message to every account of an audience that may log in.
pub async fn notify_audience(
    tx: &mut WriteTx,
    audience: Audience<'_>,
    message: &str,
    link: &str,
    at: &str,
) -> StoreResult<()> {
    use crate::query::{Filter, Value};
    let mut filter = Filter::default();
    filter.add("disabled = 0", vec![]);
    match audience {
        Audience::Admins => filter.add("role = 'admin'", vec![]),
        Audience::DistrictOfficers(district) => filter.add(
            "role = 'district' AND district = {}",
            vec![Value::Text(district.to_string())],
        ),
        Audience::Reviewers(units) => {
            if units.is_empty() {
                return Ok(());
            }
            let placeholders = vec!["{}"; units.len()].join(", ");
            filter.add(
                &format!("role = 'reviewer' AND responsible_unit IN ({placeholders})"),
                units.iter().map(|u| Value::Text(u.to_string())).collect(),
            );
        }
    }
    let n = filter.next_parameter();
    let sql = format!(
        "INSERT INTO notifications (user_id, message, link, created_at) \
         SELECT id, CAST(${n} AS TEXT), CAST(${} AS TEXT), CAST(${} AS TEXT) FROM users{}",
        n + 1,
        n + 2,
        filter.where_clause()
    );
    sqlx::query_with(
        sqlx::AssertSqlSafe(sql),
        filter.arguments(&[
            Value::Text(message.to_string()),
            Value::Text(link.to_string()),
            Value::Text(at.to_string()),
        ]),
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The messages an account reads: its own and, for an institution's user, its institution's.
fn mine(user_id: i64, institution_id: Option<i64>) -> (String, Vec<i64>) {
    match institution_id {
        Some(institution) => (
            "(user_id = $1 OR institution_id = $2)".to_string(),
            vec![user_id, institution],
        ),
        None => ("user_id = $1".to_string(), vec![user_id]),
    }
}

/// An account's newest messages (its own and its institution's), 30 a page.
pub async fn inbox<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    institution_id: Option<i64>,
    page: i64,
) -> StoreResult<Vec<Notification>> {
    let (condition, ids) = mine(user_id, institution_id);
    let offset = (page.max(1) - 1) * 30;
    let sql = format!(
        "SELECT id, message, link, created_at, read_at FROM notifications \
         WHERE {condition} ORDER BY id DESC LIMIT 30 OFFSET {offset}"
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for id in ids {
        query = query.bind(id);
    }
    query.fetch_all(db).await?.iter().map(from_row).collect()
}

/// How many of an account's messages are unread.
pub async fn unread_count<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    institution_id: Option<i64>,
) -> StoreResult<i64> {
    let (condition, ids) = mine(user_id, institution_id);
    let sql =
        format!("SELECT COUNT(*) AS n FROM notifications WHERE {condition} AND read_at IS NULL");
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for id in ids {
        query = query.bind(id);
    }
    Ok(query.fetch_one(db).await?.try_get("n")?)
}

/// Marks every message of an account read.
pub async fn mark_all_read(
    tx: &mut WriteTx,
    user_id: i64,
    institution_id: Option<i64>,
    at: &str,
) -> StoreResult<u64> {
    let (condition, ids) = mine(user_id, institution_id);
    let n = ids.len();
    let sql = format!(
        "UPDATE notifications SET read_at = ${} WHERE {condition} AND read_at IS NULL",
        n + 1
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for id in ids {
        query = query.bind(id);
    }
    Ok(query.bind(at).execute(&mut **tx).await?.rows_affected())
}
