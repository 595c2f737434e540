//! What the university transfer ranking (排行榜) reads: registered contracts of a year whose
//! seller is a university or research institute, summed per seller, kind and in-city; and the
//! frozen snapshots of past rankings.

use chrono::{DateTime, Utc};
use sqlx::{Any, Executor, Row};

use crate::{StoreResult, WriteTx, parse_timestamp, timestamp};

/// One group of a seller's contracts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SellerSums {
    pub credit_code: String,
    pub name: String,
    pub nature: String,
    /// The contract kind's code.
    pub kind: String,
    pub equity_investment: bool,
    pub in_city: bool,
    pub contracts: i64,
    pub total_fen: i64,
    pub technology_fen: i64,
}

/// Registered contracts of `year` sold by universities (022) and research institutes (021),
/// grouped by seller, kind, 作价投资 and in-city.
pub async fn seller_sums<'e>(
    db: impl Executor<'e, Database = Any>,
    year: i32,
) -> StoreResult<Vec<SellerSums>> {
    let rows = sqlx::query(
        "SELECT seller_credit_code, MIN(seller_name) AS name, MIN(seller_nature) AS nature, contract_kind, \
                equity_investment, in_city, COUNT(*) AS contracts, \
                CAST(SUM(total_fen) AS BIGINT) AS total_fen, CAST(SUM(technology_fen) AS BIGINT) AS technology_fen \
         FROM tech_contracts \
         WHERE status = 'registered' AND stat_year = $1 AND seller_nature IN ('021', '022') \
         GROUP BY seller_credit_code, contract_kind, equity_investment, in_city",
    )
    .bind(i64::from(year))
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(SellerSums {
                credit_code: row.try_get("seller_credit_code")?,
                name: row.try_get("name")?,
                nature: row.try_get("nature")?,
                kind: row.try_get("contract_kind")?,
                equity_investment: row.try_get::<i64, _>("equity_investment")? != 0,
                in_city: row.try_get::<i64, _>("in_city")? != 0,
                contracts: row.try_get("contracts")?,
                total_fen: row.try_get("total_fen")?,
                technology_fen: row.try_get("technology_fen")?,
            })
        })
        .collect()
}

/// A frozen ranking: the figures as JSON, exactly as computed when frozen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub year: i32,
    pub figures: String,
    pub frozen_at: DateTime<Utc>,
    pub frozen_by: Option<i64>,
}

pub async fn freeze(
    tx: &mut WriteTx,
    year: i32,
    figures: &str,
    at: DateTime<Utc>,
    by: Option<i64>,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO ranking_snapshots (stat_year, figures, frozen_at, frozen_by) VALUES ($1, $2, $3, $4)")
        .bind(i64::from(year))
        .bind(figures.to_string())
        .bind(timestamp(at))
        .bind(by)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn snapshot(row: &sqlx::any::AnyRow) -> StoreResult<Snapshot> {
    Ok(Snapshot {
        year: row.try_get::<i64, _>("stat_year")? as i32,
        figures: row.try_get("figures")?,
        frozen_at: parse_timestamp(&row.try_get::<String, _>("frozen_at")?)?,
        frozen_by: row.try_get("frozen_by")?,
    })
}

pub async fn snapshot_of<'e>(
    db: impl Executor<'e, Database = Any>,
    year: i32,
) -> StoreResult<Option<Snapshot>> {
    sqlx::query("SELECT * FROM ranking_snapshots WHERE stat_year = $1")
        .bind(i64::from(year))
        .fetch_optional(db)
        .await?
        .as_ref()
        .map(snapshot)
        .transpose()
}

/// The frozen years, newest first.
pub async fn frozen_years<'e>(db: impl Executor<'e, Database = Any>) -> StoreResult<Vec<i32>> {
    let rows = sqlx::query("SELECT stat_year FROM ranking_snapshots ORDER BY stat_year DESC")
        .fetch_all(db)
        .await?;
    rows.iter()
        .map(|row| Ok(row.try_get::<i64, _>("stat_year")? as i32))
        .collect()
}
