//! Recognised carriers (载体, issue 19): which institution runs which carrier of which type,
//! recognised or withdrawn, and the per-type lock the quota check takes.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};

use crate::{StoreError, StoreResult, WriteTx, timestamp};

pub mod evaluation;

/// A stored carrier with its institution's name and district.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCarrier {
    pub id: i64,
    pub institution_id: i64,
    pub institution_name: String,
    /// The institution's district code.
    pub district: String,
    pub carrier_type: String,
    pub name: String,
    pub recognised: bool,
    pub recognised_on: NaiveDate,
}

fn from_row(row: &AnyRow) -> StoreResult<StoredCarrier> {
    let on: String = row.try_get("recognised_on")?;
    Ok(StoredCarrier {
        id: row.try_get("id")?,
        institution_id: row.try_get("institution_id")?,
        institution_name: row.try_get("institution_name")?,
        district: row.try_get("district")?,
        carrier_type: row.try_get("carrier_type")?,
        name: row.try_get("name")?,
        recognised: row.try_get::<String, _>("status")? == "recognised",
        recognised_on: NaiveDate::parse_from_str(&on, "%Y-%m-%d")
            .map_err(|_| StoreError::Corrupt(format!("载体认定日期无效：{on}")))?,
    })
}

const SELECT: &str = "SELECT c.*, i.name AS institution_name, i.district AS district \
     FROM carriers c JOIN institutions i ON i.id = c.institution_id";

/// Takes the lock of a carrier type for the rest of the transaction: recognitions of one type
/// run one after the other, so each counts the others.
pub async fn lock_type(tx: &mut WriteTx, carrier_type: &str) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO carrier_type_locks (carrier_type, version) VALUES ($1, 0) \
         ON CONFLICT (carrier_type) DO NOTHING",
    )
    .bind(carrier_type)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE carrier_type_locks SET version = version + 1 WHERE carrier_type = $1")
        .bind(carrier_type)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// How many carriers of a type are recognised now.
pub async fn recognised_count<'e>(
    db: impl Executor<'e, Database = Any>,
    carrier_type: &str,
) -> StoreResult<i64> {
    Ok(sqlx::query(
        "SELECT COUNT(*) AS n FROM carriers WHERE carrier_type = $1 AND status = 'recognised'",
    )
    .bind(carrier_type)
    .fetch_one(db)
    .await?
    .try_get("n")?)
}

/// The institution's recognised carrier of a type, if any.
pub async fn recognised_of<'e>(
    db: impl Executor<'e, Database = Any>,
    institution_id: i64,
    carrier_type: &str,
) -> StoreResult<Option<StoredCarrier>> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE c.institution_id = $1 AND c.carrier_type = $2 AND c.status = 'recognised'"
    )))
    .bind(institution_id)
    .bind(carrier_type)
    .fetch_optional(db)
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// Records a recognition.
pub async fn insert(
    tx: &mut WriteTx,
    institution_id: i64,
    carrier_type: &str,
    name: &str,
    on: NaiveDate,
    is_demo: bool,
    at: DateTime<Utc>,
) -> StoreResult<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO carriers (institution_id, carrier_type, name, status, recognised_on, is_demo, \
         created_at, updated_at) VALUES ($1, $2, $3, 'recognised', $4, $5, $6, $6) RETURNING id",
    )
    .bind(institution_id)
    .bind(carrier_type)
    .bind(name)
    .bind(on.format("%Y-%m-%d").to_string())
    .bind(i64::from(is_demo))
    .bind(timestamp(at))
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

/// The recognised carriers, by type, district and name.
pub async fn recognised<'e>(
    db: impl Executor<'e, Database = Any>,
) -> StoreResult<Vec<StoredCarrier>> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE c.status = 'recognised' ORDER BY c.carrier_type, i.district, c.name, c.id"
    )))
    .fetch_all(db)
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// A carrier by id, locked for a change in `tx`.
pub async fn get_for_update(tx: &mut WriteTx, id: i64) -> StoreResult<Option<StoredCarrier>> {
    sqlx::query("UPDATE carriers SET updated_at = updated_at WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE c.id = $1")))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// Withdraws a recognition (退出): the carrier no longer counts against the quota.
pub async fn withdraw(
    tx: &mut WriteTx,
    id: i64,
    on: NaiveDate,
    reason: &str,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE carriers SET status = 'withdrawn', withdrawn_on = $2, withdraw_reason = $3, \
         updated_at = $4 WHERE id = $1",
    )
    .bind(id)
    .bind(on.format("%Y-%m-%d").to_string())
    .bind(reason)
    .bind(timestamp(at))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// An institution's application for the recognition of a carrier (认定申请).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredApplication {
    pub id: i64,
    pub institution_id: i64,
    pub institution_name: String,
    pub district: String,
    pub carrier_type: String,
    pub name: String,
    pub description: String,
    /// submitted, recognised or refused.
    pub status: String,
    pub carrier_id: Option<i64>,
    pub decision_reason: String,
    pub created_at: String,
    pub decided_at: Option<String>,
}

fn application_from_row(row: &AnyRow) -> StoreResult<StoredApplication> {
    Ok(StoredApplication {
        id: row.try_get("id")?,
        institution_id: row.try_get("institution_id")?,
        institution_name: row.try_get("institution_name")?,
        district: row.try_get("district")?,
        carrier_type: row.try_get("carrier_type")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        status: row.try_get("status")?,
        carrier_id: row.try_get("carrier_id")?,
        decision_reason: row.try_get("decision_reason")?,
        created_at: row.try_get("created_at")?,
        decided_at: row.try_get("decided_at")?,
    })
}

const SELECT_APPLICATION: &str = "SELECT a.*, i.name AS institution_name, i.district AS district \
     FROM carrier_applications a JOIN institutions i ON i.id = a.institution_id";

/// Records an application for recognition.
pub async fn insert_application(
    tx: &mut WriteTx,
    institution_id: i64,
    carrier_type: &str,
    name: &str,
    description: &str,
    by: Option<i64>,
    at: DateTime<Utc>,
) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO carrier_applications (institution_id, carrier_type, name, description, status, \
         submitted_by, created_at) VALUES ($1, $2, $3, $4, 'submitted', $5, $6) RETURNING id",
    )
    .bind(institution_id)
    .bind(carrier_type)
    .bind(name)
    .bind(description)
    .bind(by)
    .bind(timestamp(at))
    .fetch_one(&mut **tx)
    .await?)
}

/// Applications, newest first: all of them, or one institution's.
pub async fn applications<'e>(
    db: impl Executor<'e, Database = Any>,
    institution_id: Option<i64>,
) -> StoreResult<Vec<StoredApplication>> {
    let rows = match institution_id {
        Some(id) => {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "{SELECT_APPLICATION} WHERE a.institution_id = $1 ORDER BY a.id DESC"
            )))
            .bind(id)
            .fetch_all(db)
            .await?
        }
        None => {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "{SELECT_APPLICATION} ORDER BY a.id DESC"
            )))
            .fetch_all(db)
            .await?
        }
    };
    rows.iter().map(application_from_row).collect()
}

/// An application locked for a decision in `tx`.
pub async fn application_for_update(
    tx: &mut WriteTx,
    id: i64,
) -> StoreResult<Option<StoredApplication>> {
    sqlx::query("UPDATE carrier_applications SET status = status WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT_APPLICATION} WHERE a.id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .as_ref()
    .map(application_from_row)
    .transpose()
}

/// Records the decision on an application: recognised (with the carrier made) or refused.
pub async fn decide_application(
    tx: &mut WriteTx,
    id: i64,
    carrier_id: Option<i64>,
    reason: &str,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let status = if carrier_id.is_some() {
        "recognised"
    } else {
        "refused"
    };
    sqlx::query(
        "UPDATE carrier_applications SET status = $2, carrier_id = $3, decision_reason = $4, \
         decided_at = $5 WHERE id = $1",
    )
    .bind(id)
    .bind(status)
    .bind(carrier_id)
    .bind(reason)
    .bind(timestamp(at))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A carrier by id.
pub async fn get<'e>(
    db: impl Executor<'e, Database = Any>,
    id: i64,
) -> StoreResult<Option<StoredCarrier>> {
    sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE c.id = $1")))
        .bind(id)
        .fetch_optional(db)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// The institution's carriers, recognised or not.
pub async fn of_institution<'e>(
    db: impl Executor<'e, Database = Any>,
    institution_id: i64,
) -> StoreResult<Vec<StoredCarrier>> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE c.institution_id = $1 ORDER BY c.id"
    )))
    .bind(institution_id)
    .fetch_all(db)
    .await?
    .iter()
    .map(from_row)
    .collect()
}
