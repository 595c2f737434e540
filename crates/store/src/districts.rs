//! One district's figures and records, for its page (本区概况): institutions by type, the two
//! lists' records by status, the newest records of its institutions.

use sqlx::{Any, Executor, Row};

use crate::StoreResult;

/// Counts by a code (an institution type, a record status).
pub type Counts = Vec<(String, i64)>;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DistrictFigures {
    pub institutions: Counts,
    pub achievements: Counts,
    pub demands: Counts,
}

/// A record of one of the district's institutions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistrictRecord {
    /// `achievement` or `demand`.
    pub kind: String,
    pub id: i64,
    pub title: String,
    pub institution: String,
    pub status: String,
    pub field: String,
    pub updated_at: String,
}

async fn counts<'e>(
    db: impl Executor<'e, Database = Any>,
    sql: &'static str,
    district: &str,
) -> StoreResult<Counts> {
    let rows = sqlx::query(sql).bind(district).fetch_all(db).await?;
    rows.iter()
        .map(|row| Ok((row.try_get("code")?, row.try_get("n")?)))
        .collect()
}

pub async fn figures<'e>(
    db: impl Executor<'e, Database = Any> + Copy,
    district: &str,
) -> StoreResult<DistrictFigures> {
    Ok(DistrictFigures {
        institutions: counts(
            db,
            "SELECT kind AS code, COUNT(*) AS n FROM institutions WHERE district = $1 GROUP BY kind",
            district,
        )
        .await?,
        achievements: counts(
            db,
            "SELECT r.status AS code, COUNT(*) AS n FROM achievements r \
             JOIN institutions i ON i.id = r.institution_id WHERE i.district = $1 GROUP BY r.status",
            district,
        )
        .await?,
        demands: counts(
            db,
            "SELECT r.status AS code, COUNT(*) AS n FROM demands r \
             JOIN institutions i ON i.id = r.institution_id WHERE i.district = $1 GROUP BY r.status",
            district,
        )
        .await?,
    })
}

/// The district's records that left the draft stage, newest change first, at most `limit`.
pub async fn records<'e>(
    db: impl Executor<'e, Database = Any>,
    district: &str,
    limit: i64,
) -> StoreResult<Vec<DistrictRecord>> {
    let rows = sqlx::query(
        "SELECT * FROM ( \
           SELECT 'achievement' AS kind, r.id, r.title, i.name AS institution, r.status, r.field, r.updated_at \
           FROM achievements r JOIN institutions i ON i.id = r.institution_id \
           WHERE i.district = $1 AND r.status <> 'draft' \
           UNION ALL \
           SELECT 'demand' AS kind, r.id, r.title, i.name AS institution, r.status, r.field, r.updated_at \
           FROM demands r JOIN institutions i ON i.id = r.institution_id \
           WHERE i.district = $1 AND r.status <> 'draft' \
         ) AS records ORDER BY updated_at DESC, kind, id DESC LIMIT $2",
    )
    .bind(district)
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(DistrictRecord {
                kind: row.try_get("kind")?,
                id: row.try_get("id")?,
                title: row.try_get("title")?,
                institution: row.try_get("institution")?,
                status: row.try_get("status")?,
                field: row.try_get("field")?,
                updated_at: row.try_get("updated_at")?,
            })
        })
        .collect()
}
