//! 创新产品应用推荐目录 (art. 9, issue 19): products applied for, the bureau's decisions, and the
//! frozen batches (第N批) with their entries' snapshots.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};

use crate::{StoreError, StoreResult, WriteTx, timestamp};

/// A product applied for, with its institution's name and district.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredProduct {
    pub id: i64,
    pub institution_id: i64,
    pub institution_name: String,
    pub district: String,
    pub name: String,
    /// The technical field's code.
    pub field: String,
    /// YYYY-MM-DD.
    pub first_market_on: String,
    pub certificates: Vec<String>,
    pub description: String,
    /// submitted, approved or refused.
    pub status: String,
    pub decision_reason: String,
    pub catalogue_id: Option<i64>,
    pub created_at: String,
}

fn product(row: &AnyRow) -> StoreResult<StoredProduct> {
    let certificates: String = row.try_get("certificates")?;
    Ok(StoredProduct {
        id: row.try_get("id")?,
        institution_id: row.try_get("institution_id")?,
        institution_name: row.try_get("institution_name")?,
        district: row.try_get("district")?,
        name: row.try_get("name")?,
        field: row.try_get("field")?,
        first_market_on: row.try_get("first_market_on")?,
        certificates: serde_json::from_str(&certificates)
            .map_err(|_| StoreError::Corrupt(format!("产品证书列表无效：{certificates}")))?,
        description: row.try_get("description")?,
        status: row.try_get("status")?,
        decision_reason: row.try_get("decision_reason")?,
        catalogue_id: row.try_get("catalogue_id")?,
        created_at: row.try_get("created_at")?,
    })
}

const SELECT: &str = "SELECT p.*, i.name AS institution_name, i.district AS district \
     FROM catalogue_products p JOIN institutions i ON i.id = p.institution_id";

/// What an application for listing carries.
pub struct NewProduct<'a> {
    pub institution_id: i64,
    pub name: &'a str,
    pub field: &'a str,
    pub first_market_on: &'a str,
    pub certificates: &'a [String],
    pub description: &'a str,
    pub submitted_by: Option<i64>,
    pub is_demo: bool,
}

pub async fn insert(tx: &mut WriteTx, new: &NewProduct<'_>, at: DateTime<Utc>) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO catalogue_products (institution_id, name, field, first_market_on, certificates, \
         description, status, submitted_by, is_demo, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'submitted', $7, $8, $9) RETURNING id",
    )
    .bind(new.institution_id)
    .bind(new.name)
    .bind(new.field)
    .bind(new.first_market_on)
    .bind(serde_json::to_string(new.certificates).unwrap_or_else(|_| "[]".into()))
    .bind(new.description)
    .bind(new.submitted_by)
    .bind(i64::from(new.is_demo))
    .bind(timestamp(at))
    .fetch_one(&mut **tx)
    .await?)
}

/// Products, newest first: all, or one institution's.
pub async fn products<'e>(
    db: impl Executor<'e, Database = Any>,
    institution_id: Option<i64>,
) -> StoreResult<Vec<StoredProduct>> {
    let rows = match institution_id {
        Some(id) => {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "{SELECT} WHERE p.institution_id = $1 ORDER BY p.id DESC"
            )))
            .bind(id)
            .fetch_all(db)
            .await?
        }
        None => {
            sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} ORDER BY p.id DESC")))
                .fetch_all(db)
                .await?
        }
    };
    rows.iter().map(product).collect()
}

/// A product locked for a decision in `tx`.
pub async fn for_update(tx: &mut WriteTx, id: i64) -> StoreResult<Option<StoredProduct>> {
    sqlx::query("UPDATE catalogue_products SET status = status WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE p.id = $1")))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .as_ref()
        .map(product)
        .transpose()
}

pub async fn decide(
    tx: &mut WriteTx,
    id: i64,
    approved: bool,
    reason: &str,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE catalogue_products SET status = $2, decision_reason = $3, decided_at = $4 WHERE id = $1",
    )
    .bind(id)
    .bind(if approved { "approved" } else { "refused" })
    .bind(reason)
    .bind(timestamp(at))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A published batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCatalogue {
    pub id: i64,
    pub title: String,
    pub batch: i64,
    pub published_on: String,
    pub published_at: String,
}

fn catalogue(row: &AnyRow) -> StoreResult<StoredCatalogue> {
    Ok(StoredCatalogue {
        id: row.try_get("id")?,
        title: row.try_get("title")?,
        batch: row.try_get("batch")?,
        published_on: row.try_get("published_on")?,
        published_at: row.try_get("published_at")?,
    })
}

/// The published batches, newest first.
pub async fn catalogues<'e>(
    db: impl Executor<'e, Database = Any>,
) -> StoreResult<Vec<StoredCatalogue>> {
    sqlx::query("SELECT * FROM catalogues ORDER BY batch DESC")
        .fetch_all(db)
        .await?
        .iter()
        .map(catalogue)
        .collect()
}

pub async fn get<'e>(
    db: impl Executor<'e, Database = Any>,
    id: i64,
) -> StoreResult<Option<StoredCatalogue>> {
    sqlx::query("SELECT * FROM catalogues WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await?
        .as_ref()
        .map(catalogue)
        .transpose()
}

/// One entry of a batch: its frozen snapshot (JSON) and single-source flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEntry {
    pub product_id: i64,
    pub snapshot: String,
    pub single_source: bool,
}

pub async fn entries<'e>(
    db: impl Executor<'e, Database = Any>,
    catalogue_id: i64,
) -> StoreResult<Vec<StoredEntry>> {
    sqlx::query(
        "SELECT product_id, snapshot, single_source FROM catalogue_entries \
         WHERE catalogue_id = $1 ORDER BY position",
    )
    .bind(catalogue_id)
    .fetch_all(db)
    .await?
    .iter()
    .map(|row| {
        Ok(StoredEntry {
            product_id: row.try_get("product_id")?,
            snapshot: row.try_get("snapshot")?,
            single_source: row.try_get::<i64, _>("single_source")? == 1,
        })
    })
    .collect()
}

/// Freezes a batch: the catalogue row, its entries, and the products marked as published in
/// it. The next batch number is taken under the insert's unique constraint.
pub async fn publish(
    tx: &mut WriteTx,
    title: &str,
    batch: i64,
    published_on: &str,
    by: &str,
    entries: &[StoredEntry],
    at: DateTime<Utc>,
) -> StoreResult<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO catalogues (title, batch, published_on, published_at, published_by) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(title)
    .bind(batch)
    .bind(published_on)
    .bind(timestamp(at))
    .bind(by)
    .fetch_one(&mut **tx)
    .await?;
    for (position, entry) in entries.iter().enumerate() {
        sqlx::query(
            "INSERT INTO catalogue_entries (catalogue_id, product_id, position, snapshot, single_source) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(entry.product_id)
        .bind(position as i64)
        .bind(&entry.snapshot)
        .bind(i64::from(entry.single_source))
        .execute(&mut **tx)
        .await?;
        sqlx::query("UPDATE catalogue_products SET catalogue_id = $2 WHERE id = $1")
            .bind(entry.product_id)
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(id)
}

/// Locks the approved products not yet published for the rest of the transaction, so a second
/// publication waits for the first and then finds them published (PostgreSQL row locks; SQLite
/// takes its write lock at the transaction's start).
pub async fn lock_ready(tx: &mut WriteTx) -> StoreResult<()> {
    sqlx::query(
        "UPDATE catalogue_products SET status = status \
         WHERE status = 'approved' AND catalogue_id IS NULL",
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The last batch number published (0 when none).
pub async fn last_batch<'e>(db: impl Executor<'e, Database = Any>) -> StoreResult<i64> {
    Ok(
        sqlx::query("SELECT CAST(COALESCE(MAX(batch), 0) AS BIGINT) AS n FROM catalogues")
            .fetch_one(db)
            .await?
            .try_get("n")?,
    )
}
