//! Matches (对接记录) and in-platform notifications.

use sqlx::any::AnyRow;
use sqlx::{Any, AssertSqlSafe, Executor, Row};

use crate::{StoreResult, WriteTx};

/// A match as both sides and the bureau see it.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchRow {
    pub id: i64,
    pub demand_id: i64,
    pub demand_title: String,
    pub demand_owner: i64,
    pub achievement_id: i64,
    pub achievement_title: String,
    pub achievement_owner: i64,
    /// Score × 1000.
    pub score_milli: i64,
    /// The reasons as shown (JSON list of Chinese sentences).
    pub reasons: Vec<String>,
    pub stage: String,
    pub field: String,
    pub district: String,
    pub demand_interested: bool,
    pub achievement_interested: bool,
    pub recommended_at: String,
    pub interested_at: Option<String>,
    pub negotiating_at: Option<String>,
    pub closed_at: Option<String>,
}

const SELECT: &str = "SELECT m.*, d.title AS demand_title, d.institution_id AS demand_owner, \
     a.title AS achievement_title, a.institution_id AS achievement_owner \
     FROM matches m JOIN demands d ON d.id = m.demand_id JOIN achievements a ON a.id = m.achievement_id";

fn from_row(row: &AnyRow) -> StoreResult<MatchRow> {
    let reasons: String = row.try_get("reasons")?;
    let flag = |column: &str| -> StoreResult<bool> { Ok(row.try_get::<i64, _>(column)? != 0) };
    Ok(MatchRow {
        id: row.try_get("id")?,
        demand_id: row.try_get("demand_id")?,
        demand_title: row.try_get("demand_title")?,
        demand_owner: row.try_get("demand_owner")?,
        achievement_id: row.try_get("achievement_id")?,
        achievement_title: row.try_get("achievement_title")?,
        achievement_owner: row.try_get("achievement_owner")?,
        score_milli: row.try_get("score_milli")?,
        reasons: serde_json::from_str(&reasons).unwrap_or_default(),
        stage: row.try_get("stage")?,
        field: row.try_get("field")?,
        district: row.try_get("district")?,
        demand_interested: flag("demand_interested")?,
        achievement_interested: flag("achievement_interested")?,
        recommended_at: row.try_get("recommended_at")?,
        interested_at: row.try_get("interested_at")?,
        negotiating_at: row.try_get("negotiating_at")?,
        closed_at: row.try_get("closed_at")?,
    })
}

/// A new recommendation; false when the pair was recommended before (its history is kept).
#[allow(clippy::too_many_arguments)]
pub async fn recommend(
    tx: &mut WriteTx,
    demand_id: i64,
    achievement_id: i64,
    score_milli: i64,
    reasons: &[String],
    field: &str,
    district: &str,
    at: &str,
) -> StoreResult<bool> {
    let inserted = sqlx::query(
        "INSERT INTO matches (demand_id, achievement_id, score_milli, reasons, stage, field, district, \
         recommended_at, updated_at) VALUES ($1, $2, $3, $4, 'recommended', $5, $6, $7, $7) \
         ON CONFLICT (demand_id, achievement_id) DO NOTHING",
    )
    .bind(demand_id)
    .bind(achievement_id)
    .bind(score_milli)
    .bind(serde_json::to_string(reasons).unwrap_or_else(|_| "[]".into()))
    .bind(field)
    .bind(district)
    .bind(at)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

pub async fn get<'e>(
    db: impl Executor<'e, Database = Any>,
    id: i64,
) -> StoreResult<Option<MatchRow>> {
    let sql = format!("{SELECT} WHERE m.id = $1");
    sqlx::query(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(db)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// The matches of an institution's demands and achievements, best first.
pub async fn for_institution<'e>(
    db: impl Executor<'e, Database = Any>,
    institution_id: i64,
) -> StoreResult<Vec<MatchRow>> {
    let sql = format!(
        "{SELECT} WHERE d.institution_id = $1 OR a.institution_id = $1 \
         ORDER BY m.updated_at DESC, m.score_milli DESC, m.id LIMIT 500"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(institution_id)
        .fetch_all(db)
        .await?;
    rows.iter().map(from_row).collect()
}

/// Saves a match's new stage, interest flags and dates.
pub async fn save(tx: &mut WriteTx, row: &MatchRow, at: &str) -> StoreResult<()> {
    sqlx::query(
        "UPDATE matches SET stage = $2, demand_interested = $3, achievement_interested = $4, \
         interested_at = $5, negotiating_at = $6, closed_at = $7, updated_at = $8 WHERE id = $1",
    )
    .bind(row.id)
    .bind(&row.stage)
    .bind(i64::from(row.demand_interested))
    .bind(i64::from(row.achievement_interested))
    .bind(&row.interested_at)
    .bind(&row.negotiating_at)
    .bind(&row.closed_at)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// How many matches stand at each stage, per field and district (of the demand), optionally in
/// one district.
pub async fn funnel<'e>(
    db: impl Executor<'e, Database = Any>,
    district: Option<&str>,
) -> StoreResult<Vec<(String, String, String, i64)>> {
    let rows = match district {
        Some(district) => {
            sqlx::query(
                "SELECT field, district, stage, COUNT(*) AS n FROM matches WHERE district = $1 \
                 GROUP BY field, district, stage",
            )
            .bind(district)
            .fetch_all(db)
            .await?
        }
        None => {
            sqlx::query(
                "SELECT field, district, stage, COUNT(*) AS n FROM matches GROUP BY field, district, stage",
            )
            .fetch_all(db)
            .await?
        }
    };
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("field")?,
                row.try_get("district")?,
                row.try_get("stage")?,
                row.try_get("n")?,
            ))
        })
        .collect()
}

/// A message to an institution inside the platform.
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

/// An institution's newest notifications.
pub async fn notifications<'e>(
    db: impl Executor<'e, Database = Any>,
    institution_id: i64,
) -> StoreResult<Vec<Notification>> {
    let rows = sqlx::query(
        "SELECT id, message, link, created_at, read_at FROM notifications \
         WHERE institution_id = $1 ORDER BY id DESC LIMIT 50",
    )
    .bind(institution_id)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            let read_at: Option<String> = row.try_get("read_at")?;
            Ok(Notification {
                id: row.try_get("id")?,
                message: row.try_get("message")?,
                link: row.try_get("link")?,
                created_at: row.try_get("created_at")?,
                read: read_at.is_some(),
            })
        })
        .collect()
}
