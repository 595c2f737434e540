//! Expert review of applications (专家评审, issue 16): the experts the admin assigned to an
//! application, the conflicts they declared, and their scores against the call's rubric.

use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};

use crate::{StoreError, StoreResult, WriteTx};

/// An expert's assignment to one application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub application_id: i64,
    pub expert_id: i64,
    pub expert_name: String,
    pub assigned_at: String,
    /// The reason the expert gave for 回避 (then they neither score nor count).
    pub conflict: Option<String>,
    /// Points per rubric item, in the rubric's order, once scored.
    pub scores: Option<Vec<u32>>,
    pub total_points: Option<i64>,
    pub comment: String,
    pub scored_at: Option<String>,
}

fn from_row(row: &AnyRow) -> StoreResult<Assignment> {
    let scores: Option<String> = row.try_get("scores")?;
    Ok(Assignment {
        application_id: row.try_get("application_id")?,
        expert_id: row.try_get("expert_id")?,
        expert_name: row.try_get("expert_name")?,
        assigned_at: row.try_get("assigned_at")?,
        conflict: row.try_get("conflict")?,
        scores: scores
            .map(|text| {
                serde_json::from_str(&text)
                    .map_err(|_| StoreError::Corrupt("专家评分无法读取".into()))
            })
            .transpose()?,
        total_points: row.try_get("total_points")?,
        comment: row.try_get("comment")?,
        scored_at: row.try_get("scored_at")?,
    })
}

const SELECT: &str = "SELECT e.*, u.display_name AS expert_name FROM expert_assignments e \
     JOIN users u ON u.id = e.expert_id";

/// The experts assigned to an application, in the order they were assigned.
pub async fn of_application<'e>(
    db: impl Executor<'e, Database = Any>,
    application_id: i64,
) -> StoreResult<Vec<Assignment>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE e.application_id = $1 ORDER BY e.assigned_at, e.expert_id"
    ));
    sqlx::query(sql)
        .bind(application_id)
        .fetch_all(db)
        .await?
        .iter()
        .map(from_row)
        .collect()
}

pub async fn assign(
    tx: &mut WriteTx,
    application_id: i64,
    expert_id: i64,
    assigned_by: Option<i64>,
    at: &str,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO expert_assignments (application_id, expert_id, assigned_by, assigned_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(application_id)
    .bind(expert_id)
    .bind(assigned_by)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The expert declares a conflict of interest (回避): the reason is kept, scores are dropped.
pub async fn declare_conflict(
    tx: &mut WriteTx,
    application_id: i64,
    expert_id: i64,
    reason: &str,
    at: &str,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE expert_assignments SET conflict = $1, scores = NULL, total_points = NULL, \
         scored_at = $2 WHERE application_id = $3 AND expert_id = $4",
    )
    .bind(reason)
    .bind(at)
    .bind(application_id)
    .bind(expert_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Records (or replaces) an expert's scores.
pub async fn score(
    tx: &mut WriteTx,
    application_id: i64,
    expert_id: i64,
    scores: &[u32],
    comment: &str,
    at: &str,
) -> StoreResult<()> {
    let total: i64 = scores.iter().map(|s| i64::from(*s)).sum();
    let scores =
        serde_json::to_string(scores).map_err(|error| StoreError::Corrupt(error.to_string()))?;
    sqlx::query(
        "UPDATE expert_assignments SET scores = $1, total_points = $2, comment = $3, scored_at = $4 \
         WHERE application_id = $5 AND expert_id = $6",
    )
    .bind(scores)
    .bind(total)
    .bind(comment)
    .bind(at)
    .bind(application_id)
    .bind(expert_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
