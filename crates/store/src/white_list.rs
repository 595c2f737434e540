//! 融资白名单 (art. 15, issue 19): what the criteria read (technology traded by credit code,
//! recognised carriers' institutions, incubatees) and the confirmed lists.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::{Any, Executor, Row};

use crate::{StoreResult, WriteTx, timestamp};

/// 技术交易额 (fen) of `year`'s registered contracts per credit code, as seller or buyer (a
/// contract counts for both sides).
pub async fn technology_by_code<'e, E>(db: E, year: i32) -> StoreResult<HashMap<String, i64>>
where
    E: Executor<'e, Database = Any> + Copy,
{
    let mut out: HashMap<String, i64> = HashMap::new();
    for side in ["seller_credit_code", "buyer_credit_code"] {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {side} AS code, CAST(COALESCE(SUM(technology_fen), 0) AS BIGINT) AS fen \
             FROM tech_contracts WHERE status = 'registered' AND stat_year = $1 GROUP BY {side}"
        )))
        .bind(i64::from(year))
        .fetch_all(db)
        .await?;
        for row in &rows {
            *out.entry(row.try_get("code")?).or_default() += row.try_get::<i64, _>("fen")?;
        }
    }
    Ok(out)
}

/// Institutions running a recognised carrier.
pub async fn carrier_institutions<'e>(
    db: impl Executor<'e, Database = Any>,
) -> StoreResult<HashSet<i64>> {
    sqlx::query("SELECT DISTINCT institution_id FROM carriers WHERE status = 'recognised'")
        .fetch_all(db)
        .await?
        .iter()
        .map(|row| Ok(row.try_get("institution_id")?))
        .collect()
}

/// Incubatees of recognised carriers, with the carriers' names.
pub async fn incubatees<'e>(
    db: impl Executor<'e, Database = Any>,
) -> StoreResult<HashMap<i64, Vec<String>>> {
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    for row in sqlx::query(
        "SELECT n.institution_id AS id, c.name AS carrier FROM carrier_incubatees n \
         JOIN carriers c ON c.id = n.carrier_id WHERE c.status = 'recognised' ORDER BY c.id",
    )
    .fetch_all(db)
    .await?
    {
        out.entry(row.try_get("id")?)
            .or_default()
            .push(row.try_get("carrier")?);
    }
    Ok(out)
}

/// The incubatees of one carrier: (institution id, name, since).
pub async fn incubatees_of<'e>(
    db: impl Executor<'e, Database = Any>,
    carrier_id: i64,
) -> StoreResult<Vec<(i64, String, String)>> {
    sqlx::query(
        "SELECT n.institution_id AS id, i.name AS name, n.since AS since FROM carrier_incubatees n \
         JOIN institutions i ON i.id = n.institution_id WHERE n.carrier_id = $1 ORDER BY i.name",
    )
    .bind(carrier_id)
    .fetch_all(db)
    .await?
    .iter()
    .map(|row| {
        Ok((
            row.try_get("id")?,
            row.try_get("name")?,
            row.try_get("since")?,
        ))
    })
    .collect()
}

/// Registers an incubatee; `false` when it already was.
pub async fn add_incubatee(
    tx: &mut WriteTx,
    carrier_id: i64,
    institution_id: i64,
    since: &str,
    at: DateTime<Utc>,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO carrier_incubatees (carrier_id, institution_id, since, created_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (carrier_id, institution_id) DO NOTHING",
    )
    .bind(carrier_id)
    .bind(institution_id)
    .bind(since)
    .bind(timestamp(at))
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A confirmed list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredList {
    pub id: i64,
    pub title: String,
    pub confirmed_on: String,
    pub data_year: i32,
}

/// Records a confirmed list with its entries: (institution id, criteria met as JSON).
pub async fn confirm(
    tx: &mut WriteTx,
    title: &str,
    confirmed_on: &str,
    by: &str,
    data_year: i32,
    entries: &[(i64, String)],
    at: DateTime<Utc>,
) -> StoreResult<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO white_lists (title, confirmed_on, confirmed_at, confirmed_by, data_year) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(title)
    .bind(confirmed_on)
    .bind(timestamp(at))
    .bind(by)
    .bind(i64::from(data_year))
    .fetch_one(&mut **tx)
    .await?;
    for (institution, criteria) in entries {
        sqlx::query(
            "INSERT INTO white_list_entries (list_id, institution_id, criteria) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(institution)
        .bind(criteria)
        .execute(&mut **tx)
        .await?;
    }
    Ok(id)
}

/// The latest confirmed list and its entries (institution id, criteria JSON).
pub async fn latest<'e, E>(db: E) -> StoreResult<Option<(StoredList, Vec<(i64, String)>)>>
where
    E: Executor<'e, Database = Any> + Copy,
{
    let Some(row) = sqlx::query("SELECT * FROM white_lists ORDER BY id DESC LIMIT 1")
        .fetch_optional(db)
        .await?
    else {
        return Ok(None);
    };
    let year: i64 = row.try_get("data_year")?;
    let list = StoredList {
        id: row.try_get("id")?,
        title: row.try_get("title")?,
        confirmed_on: row.try_get("confirmed_on")?,
        data_year: year as i32,
    };
    let entries = sqlx::query(
        "SELECT institution_id, criteria FROM white_list_entries WHERE list_id = $1 ORDER BY institution_id",
    )
    .bind(list.id)
    .fetch_all(db)
    .await?
    .iter()
    .map(|row| Ok((row.try_get("institution_id")?, row.try_get("criteria")?)))
    .collect::<StoreResult<Vec<_>>>()?;
    Ok(Some((list, entries)))
}
