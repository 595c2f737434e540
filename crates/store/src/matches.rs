//! Matches (对接记录): the recommended pairs, where each stands, who helps it along, and the
//! filtered listings of one institution, one technology manager or the whole platform.

use sqlx::any::AnyRow;
use sqlx::{Any, AssertSqlSafe, Executor, Row};
use zijin_domain::{Coded, MatchSort, RecordKind};

use crate::query::{Filter, Value};
use crate::{StoreResult, WriteTx};

pub use crate::notifications::{
    Notification, notifications, notifications_for_user, notify, notify_user,
};

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
    /// The names of the institutions behind the demand and the achievement.
    pub demand_institution: String,
    pub achievement_institution: String,
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
    pub updated_at: String,
    /// The technology manager (技术经理人) assigned to the match, with their name.
    pub tech_manager_id: Option<i64>,
    pub tech_manager_name: Option<String>,
    /// Why the match was ended (终止), when it was.
    pub termination_reason: Option<String>,
}

const SELECT: &str = "SELECT m.*, d.title AS demand_title, d.institution_id AS demand_owner, \
     di.name AS demand_institution, a.title AS achievement_title, \
     a.institution_id AS achievement_owner, ai.name AS achievement_institution, \
     u.display_name AS tech_manager_name \
     FROM matches m JOIN demands d ON d.id = m.demand_id JOIN achievements a ON a.id = m.achievement_id \
     JOIN institutions di ON di.id = d.institution_id JOIN institutions ai ON ai.id = a.institution_id \
     LEFT JOIN users u ON u.id = m.tech_manager_id";

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
        demand_institution: row.try_get("demand_institution")?,
        achievement_institution: row.try_get("achievement_institution")?,
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
        updated_at: row.try_get("updated_at")?,
        tech_manager_id: row.try_get("tech_manager_id")?,
        tech_manager_name: row.try_get("tech_manager_name")?,
        termination_reason: row.try_get("termination_reason")?,
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

/// A match read for a change inside the caller's write transaction: its row is locked first
/// (an UPDATE that changes nothing takes PostgreSQL's row lock; SQLite's writer holds the
/// database), so two sides marking interest at once, or a message racing the end of the
/// match, are applied one after the other instead of one overwriting the other.
pub async fn get_for_update(tx: &mut WriteTx, id: i64) -> StoreResult<Option<MatchRow>> {
    sqlx::query("UPDATE matches SET updated_at = updated_at WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    get(&mut **tx, id).await
}

/// The matches of an institution's demands and achievements, the newest moves first.
pub async fn for_institution<'e>(
    db: impl Executor<'e, Database = Any>,
    institution_id: i64,
) -> StoreResult<Vec<MatchRow>> {
    list(
        db,
        &ListFilter {
            institution_id: Some(institution_id),
            ..Default::default()
        },
    )
    .await
}

/// Which matches a listing holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    /// Matches where this institution owns the demand or the achievement.
    pub institution_id: Option<i64>,
    /// Matches assigned to this technology manager.
    pub tech_manager_id: Option<i64>,
    /// One stage (its code).
    pub stage: Option<String>,
    /// Matches of one record (of the institution, for 我的对接).
    pub record: Option<(RecordKind, i64)>,
    pub sort: MatchSort,
}

/// The most matches a listing returns.
pub const LIST_LIMIT: i64 = 500;

/// The matches `filter` selects, in its order, at most [`LIST_LIMIT`].
pub async fn list<'e>(
    db: impl Executor<'e, Database = Any>,
    filter: &ListFilter,
) -> StoreResult<Vec<MatchRow>> {
    let mut conditions = Filter::default();
    if let Some(id) = filter.institution_id {
        conditions.add(
            "(d.institution_id = {} OR a.institution_id = {})",
            vec![Value::Int(id), Value::Int(id)],
        );
    }
    if let Some(id) = filter.tech_manager_id {
        conditions.add("m.tech_manager_id = {}", vec![Value::Int(id)]);
    }
    if let Some(stage) = &filter.stage {
        conditions.add("m.stage = {}", vec![Value::Text(stage.clone())]);
    }
    match filter.record {
        Some((RecordKind::Demand, id)) => conditions.add("m.demand_id = {}", vec![Value::Int(id)]),
        Some((RecordKind::Achievement, id)) => {
            conditions.add("m.achievement_id = {}", vec![Value::Int(id)])
        }
        None => {}
    }
    let order = match filter.sort {
        MatchSort::Recent => "m.updated_at DESC, m.score_milli DESC, m.id DESC",
        MatchSort::Score => "m.score_milli DESC, m.updated_at DESC, m.id DESC",
    };
    let sql = format!(
        "{SELECT}{} ORDER BY {order} LIMIT {LIST_LIMIT}",
        conditions.where_clause()
    );
    let rows = sqlx::query_with(AssertSqlSafe(sql), conditions.arguments(&[]))
        .fetch_all(db)
        .await?;
    rows.iter().map(from_row).collect()
}

/// An institution's records that have matches (for the filter of 我的对接): kind, id, title.
pub async fn records_with_matches<'e>(
    db: impl Executor<'e, Database = Any>,
    institution_id: i64,
) -> StoreResult<Vec<(RecordKind, i64, String)>> {
    let rows = sqlx::query(
        "SELECT 'demand' AS kind, d.id, d.title FROM demands d \
         WHERE d.institution_id = $1 AND EXISTS (SELECT 1 FROM matches m WHERE m.demand_id = d.id) \
         UNION ALL \
         SELECT 'achievement' AS kind, a.id, a.title FROM achievements a \
         WHERE a.institution_id = $1 AND EXISTS (SELECT 1 FROM matches m WHERE m.achievement_id = a.id) \
         ORDER BY kind, id",
    )
    .bind(institution_id)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            let kind: String = row.try_get("kind")?;
            Ok((
                RecordKind::from_code(&kind).unwrap_or(RecordKind::Demand),
                row.try_get("id")?,
                row.try_get("title")?,
            ))
        })
        .collect()
}

/// Who stands around each match of a record: (demand owner, achievement owner, assigned
/// technology manager). Lets the access rules decide whether a side may read the other's
/// record before it is listed.
pub async fn parties_of_record<'e>(
    db: impl Executor<'e, Database = Any>,
    kind: RecordKind,
    record_id: i64,
) -> StoreResult<Vec<(i64, i64, Option<i64>)>> {
    let column = match kind {
        RecordKind::Demand => "m.demand_id",
        RecordKind::Achievement => "m.achievement_id",
    };
    let sql = format!(
        "SELECT d.institution_id AS demand_owner, a.institution_id AS achievement_owner, \
         m.tech_manager_id FROM matches m JOIN demands d ON d.id = m.demand_id \
         JOIN achievements a ON a.id = m.achievement_id WHERE {column} = $1"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(record_id)
        .fetch_all(db)
        .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("demand_owner")?,
                row.try_get("achievement_owner")?,
                row.try_get("tech_manager_id")?,
            ))
        })
        .collect()
}

/// Saves a match's new stage, interest flags, dates, technology manager and termination
/// reason.
pub async fn save(tx: &mut WriteTx, row: &MatchRow, at: &str) -> StoreResult<()> {
    sqlx::query(
        "UPDATE matches SET stage = $2, demand_interested = $3, achievement_interested = $4, \
         interested_at = $5, negotiating_at = $6, closed_at = $7, updated_at = $8, \
         tech_manager_id = $9, termination_reason = $10 WHERE id = $1",
    )
    .bind(row.id)
    .bind(&row.stage)
    .bind(i64::from(row.demand_interested))
    .bind(i64::from(row.achievement_interested))
    .bind(&row.interested_at)
    .bind(&row.negotiating_at)
    .bind(&row.closed_at)
    .bind(at)
    .bind(row.tech_manager_id)
    .bind(&row.termination_reason)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Which matches a funnel counts: one district's (of the demand) or all, recommended in
/// `[from, until)` (stored timestamps) when given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FunnelScope {
    pub district: Option<String>,
    pub from: Option<String>,
    pub until: Option<String>,
}

impl FunnelScope {
    fn filter(&self) -> Filter {
        let mut filter = Filter::default();
        if let Some(district) = &self.district {
            filter.add("district = {}", vec![Value::Text(district.clone())]);
        }
        if let Some(from) = &self.from {
            filter.add("recommended_at >= {}", vec![Value::Text(from.clone())]);
        }
        if let Some(until) = &self.until {
            filter.add("recommended_at < {}", vec![Value::Text(until.clone())]);
        }
        filter
    }
}

/// How many matches stand at each stage, per field and district (of the demand).
pub async fn funnel<'e>(
    db: impl Executor<'e, Database = Any>,
    scope: &FunnelScope,
) -> StoreResult<Vec<(String, String, String, i64)>> {
    let filter = scope.filter();
    let sql = format!(
        "SELECT field, district, stage, COUNT(*) AS n FROM matches {} \
         GROUP BY field, district, stage",
        filter.where_clause()
    );
    let rows = sqlx::query_with(AssertSqlSafe(sql), filter.arguments(&[]))
        .fetch_all(db)
        .await?;
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

/// Matches by the UTC day they were recommended, whether that was at or after 16:00 UTC (the
/// next day in Beijing), and their stage now: what a trend by Beijing month is summed from.
pub async fn funnel_by_day<'e>(
    db: impl Executor<'e, Database = Any>,
    scope: &FunnelScope,
) -> StoreResult<Vec<(String, bool, String, i64)>> {
    let filter = scope.filter();
    let sql = format!(
        "SELECT substr(recommended_at, 1, 10) AS day, \
         CAST(CASE WHEN substr(recommended_at, 12, 2) >= '16' THEN 1 ELSE 0 END AS BIGINT) AS late, \
         stage, COUNT(*) AS n FROM matches {} GROUP BY 1, 2, 3",
        filter.where_clause()
    );
    let rows = sqlx::query_with(AssertSqlSafe(sql), filter.arguments(&[]))
        .fetch_all(db)
        .await?;
    rows.iter()
        .map(|row| {
            let late: i64 = row.try_get("late")?;
            Ok((
                row.try_get("day")?,
                late == 1,
                row.try_get("stage")?,
                row.try_get("n")?,
            ))
        })
        .collect()
}
