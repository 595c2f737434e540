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

/// A message claimed for e-mail, with the accounts it reaches that have an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub id: i64,
    pub message: String,
    pub link: String,
    /// (display name, e-mail address) of each recipient.
    pub recipients: Vec<(String, String)>,
}

/// Claims up to `limit` messages created since `since` that are not yet mailed and have been
/// tried fewer than `max_attempts` times: marks them mailed at `at`, counts the attempt and
/// returns them with their recipients. The claim re-checks `mailed_at IS NULL` row by row, so
/// two processes claiming at once never get the same message.
pub async fn claim_for_mail(
    tx: &mut WriteTx,
    at: &str,
    since: &str,
    max_attempts: i64,
    limit: i64,
) -> StoreResult<Vec<Outgoing>> {
    let rows = sqlx::query(
        "UPDATE notifications SET mailed_at = $1, mail_attempts = mail_attempts + 1 \
         WHERE mailed_at IS NULL AND id IN (SELECT id FROM notifications \
           WHERE mailed_at IS NULL AND created_at >= $2 AND mail_attempts < $3 \
           ORDER BY id LIMIT $4) \
         RETURNING id, user_id, institution_id, message, link",
    )
    .bind(at)
    .bind(since)
    .bind(max_attempts)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await?;
    let mut claimed = Vec::with_capacity(rows.len());
    for row in &rows {
        let user: Option<i64> = row.try_get("user_id")?;
        let institution: Option<i64> = row.try_get("institution_id")?;
        let (condition, id) = match (user, institution) {
            (Some(user), _) => ("id = $1", user),
            (None, Some(institution)) => ("institution_id = $1", institution),
            (None, None) => continue,
        };
        let sql = format!(
            "SELECT display_name, email FROM users WHERE {condition} AND disabled = 0 \
             AND email IS NOT NULL AND email <> '' ORDER BY id"
        );
        let recipients = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(|r| Ok((r.try_get("display_name")?, r.try_get("email")?)))
            .collect::<StoreResult<Vec<(String, String)>>>()?;
        claimed.push(Outgoing {
            id: row.try_get("id")?,
            message: row.try_get("message")?,
            link: row.try_get("link")?,
            recipients,
        });
    }
    claimed.sort_by_key(|o| o.id);
    Ok(claimed)
}

/// A message whose mail failed: kept with the error, and given back for another try unless
/// it has had `max_attempts`.
pub async fn mail_failed(
    tx: &mut WriteTx,
    id: i64,
    error: &str,
    max_attempts: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE notifications SET mail_error = $1, \
         mailed_at = CASE WHEN mail_attempts < $2 THEN NULL ELSE mailed_at END WHERE id = $3",
    )
    .bind(error)
    .bind(max_attempts)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
