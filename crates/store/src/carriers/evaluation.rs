//! Carriers' yearly performance evaluation (issue 19): the platform's figures of a year per
//! institution (a handful of GROUP BY queries, however many carriers), the carriers' 绩效报告
//! with the reviewers' scores, the results per carrier and year, and the confirmation of a year.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};
use zijin_domain::Metric;

use crate::{StoreError, StoreResult, WriteTx, timestamp};

/// Per institution, the platform's figures of a year: counts, and 技术交易额 in fen.
pub type YearFigures = HashMap<i64, BTreeMap<Metric, i64>>;

/// The platform's figures of `year` for every institution that has any. `from`/`until` are the
/// year's bounds in UTC (the Beijing year).
pub async fn figures<'e, E>(
    db: E,
    year: i32,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> StoreResult<YearFigures>
where
    E: Executor<'e, Database = Any> + Copy,
{
    let mut out: YearFigures = HashMap::new();
    let year = i64::from(year);
    let (from, until) = (timestamp(from), timestamp(until));
    let brokered = sqlx::query(
        "SELECT broker_institution_id AS id, COUNT(*) AS n, \
         CAST(COALESCE(SUM(technology_fen), 0) AS BIGINT) AS fen FROM tech_contracts \
         WHERE status = 'registered' AND stat_year = $1 AND broker_institution_id IS NOT NULL \
         GROUP BY broker_institution_id",
    )
    .bind(year)
    .fetch_all(db)
    .await?;
    for row in &brokered {
        let entry = out.entry(row.try_get("id")?).or_default();
        entry.insert(Metric::BrokeredContracts, row.try_get("n")?);
        entry.insert(Metric::BrokeredTechnology, row.try_get("fen")?);
    }
    let registered = sqlx::query(
        "SELECT registry_id AS id, COUNT(*) AS n FROM tech_contracts \
         WHERE status = 'registered' AND stat_year = $1 AND registry_id IS NOT NULL \
         GROUP BY registry_id",
    )
    .bind(year)
    .fetch_all(db)
    .await?;
    for row in &registered {
        out.entry(row.try_get("id")?)
            .or_default()
            .insert(Metric::RegisteredContracts, row.try_get("n")?);
    }
    let sold = sqlx::query(
        "SELECT i.id AS id, COUNT(*) AS n, CAST(COALESCE(SUM(c.technology_fen), 0) AS BIGINT) AS fen \
         FROM tech_contracts c JOIN institutions i ON i.credit_code = c.seller_credit_code \
         WHERE c.status = 'registered' AND c.stat_year = $1 GROUP BY i.id",
    )
    .bind(year)
    .fetch_all(db)
    .await?;
    for row in &sold {
        let entry = out.entry(row.try_get("id")?).or_default();
        entry.insert(Metric::SoldContracts, row.try_get("n")?);
        entry.insert(Metric::SoldTechnology, row.try_get("fen")?);
    }
    // A signed match counts once for each institution it involves: either side, or the
    // employer of the 技术经理人 assigned to it.
    let signed = sqlx::query(
        "SELECT m.id AS id, a.institution_id AS a, d.institution_id AS d, u.institution_id AS t \
         FROM matches m JOIN achievements a ON a.id = m.achievement_id \
         JOIN demands d ON d.id = m.demand_id LEFT JOIN users u ON u.id = m.tech_manager_id \
         WHERE m.stage = 'signed' AND m.closed_at >= $1 AND m.closed_at < $2",
    )
    .bind(&from)
    .bind(&until)
    .fetch_all(db)
    .await?;
    for row in &signed {
        let mut involved = HashSet::new();
        involved.insert(row.try_get::<i64, _>("a")?);
        involved.insert(row.try_get::<i64, _>("d")?);
        if let Some(t) = row.try_get::<Option<i64>, _>("t")? {
            involved.insert(t);
        }
        for id in involved {
            *out.entry(id)
                .or_default()
                .entry(Metric::SignedMatches)
                .or_default() += 1;
        }
    }
    let listed = sqlx::query(
        "SELECT r.institution_id AS id, COUNT(DISTINCT e.kind || ':' || CAST(e.record_id AS TEXT)) AS n \
         FROM list_entries e JOIN list_issues s ON s.id = e.issue_id \
         JOIN (SELECT 'achievement' AS kind, id, institution_id FROM achievements \
               UNION ALL SELECT 'demand' AS kind, id, institution_id FROM demands) r \
           ON r.kind = e.kind AND r.id = e.record_id \
         WHERE s.published_at >= $1 AND s.published_at < $2 GROUP BY r.institution_id",
    )
    .bind(&from)
    .bind(&until)
    .fetch_all(db)
    .await?;
    for row in &listed {
        out.entry(row.try_get("id")?)
            .or_default()
            .insert(Metric::PublishedRecords, row.try_get("n")?);
    }
    let applied = sqlx::query(
        "SELECT institution_id AS id, COUNT(*) AS n FROM applications \
         WHERE submitted_at >= $1 AND submitted_at < $2 GROUP BY institution_id",
    )
    .bind(&from)
    .bind(&until)
    .fetch_all(db)
    .await?;
    for row in &applied {
        out.entry(row.try_get("id")?)
            .or_default()
            .insert(Metric::SubmittedApplications, row.try_get("n")?);
    }
    Ok(out)
}

/// A carrier's 绩效报告 of a year, with the reviewers' scores. Values, evidence and scores are
/// kept as the decimal text typed, keyed by indicator code.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StoredReport {
    pub carrier_id: i64,
    pub year: i32,
    pub submitted: bool,
    pub reported: BTreeMap<String, String>,
    pub evidence: BTreeMap<String, String>,
    pub summary: String,
    pub submitted_at: Option<String>,
    pub scores: BTreeMap<String, String>,
    pub score_comment: String,
    pub scored_at: Option<String>,
}

fn json_map(row: &AnyRow, column: &str) -> StoreResult<BTreeMap<String, String>> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text)
        .map_err(|_| StoreError::Corrupt(format!("绩效报告的{column}无效：{text}")))
}

fn report_from_row(row: &AnyRow) -> StoreResult<StoredReport> {
    let year: i64 = row.try_get("year")?;
    Ok(StoredReport {
        carrier_id: row.try_get("carrier_id")?,
        year: year as i32,
        submitted: row.try_get::<String, _>("status")? == "submitted",
        reported: json_map(row, "reported")?,
        evidence: json_map(row, "evidence")?,
        summary: row.try_get("summary")?,
        submitted_at: row.try_get("submitted_at")?,
        scores: json_map(row, "scores")?,
        score_comment: row.try_get("score_comment")?,
        scored_at: row.try_get("scored_at")?,
    })
}

/// A carrier's report of a year, if one was started.
pub async fn report<'e>(
    db: impl Executor<'e, Database = Any>,
    carrier_id: i64,
    year: i32,
) -> StoreResult<Option<StoredReport>> {
    sqlx::query("SELECT * FROM carrier_reports WHERE carrier_id = $1 AND year = $2")
        .bind(carrier_id)
        .bind(i64::from(year))
        .fetch_optional(db)
        .await?
        .as_ref()
        .map(report_from_row)
        .transpose()
}

/// Every report of a year, by carrier.
pub async fn reports_of_year<'e>(
    db: impl Executor<'e, Database = Any>,
    year: i32,
) -> StoreResult<HashMap<i64, StoredReport>> {
    sqlx::query("SELECT * FROM carrier_reports WHERE year = $1")
        .bind(i64::from(year))
        .fetch_all(db)
        .await?
        .iter()
        .map(|row| report_from_row(row).map(|r| (r.carrier_id, r)))
        .collect()
}

fn to_json(map: &BTreeMap<String, String>) -> String {
    serde_json::to_string(map).unwrap_or_else(|_| "{}".into())
}

/// Saves the carrier's part of a report (values, evidence, summary), as a draft or submitted;
/// the reviewers' scores are kept.
pub async fn save_report(
    tx: &mut WriteTx,
    report: &StoredReport,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let at = timestamp(at);
    let status = if report.submitted {
        "submitted"
    } else {
        "draft"
    };
    let submitted_at = report.submitted.then(|| at.clone());
    sqlx::query(
        "INSERT INTO carrier_reports (carrier_id, year, status, reported, evidence, summary, \
         submitted_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
         ON CONFLICT (carrier_id, year) DO UPDATE SET status = excluded.status, \
         reported = excluded.reported, evidence = excluded.evidence, summary = excluded.summary, \
         submitted_at = excluded.submitted_at, updated_at = excluded.updated_at",
    )
    .bind(report.carrier_id)
    .bind(i64::from(report.year))
    .bind(status)
    .bind(to_json(&report.reported))
    .bind(to_json(&report.evidence))
    .bind(&report.summary)
    .bind(submitted_at)
    .bind(&at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Records the reviewers' scores of a submitted report.
pub async fn save_scores(
    tx: &mut WriteTx,
    carrier_id: i64,
    year: i32,
    scores: &BTreeMap<String, String>,
    comment: &str,
    by: Option<i64>,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE carrier_reports SET scores = $3, score_comment = $4, scored_by = $5, \
         scored_at = $6, updated_at = $6 WHERE carrier_id = $1 AND year = $2",
    )
    .bind(carrier_id)
    .bind(i64::from(year))
    .bind(to_json(scores))
    .bind(comment)
    .bind(by)
    .bind(timestamp(at))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// One carrier's stored result of a year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvaluation {
    pub carrier_id: i64,
    pub year: i32,
    /// The total, as decimal text.
    pub total: String,
    /// The grade's code (excellent, good, pass, fail).
    pub grade: String,
    /// The indicators' results, as JSON.
    pub result: String,
    pub confirmed: bool,
}

fn evaluation_from_row(row: &AnyRow) -> StoreResult<StoredEvaluation> {
    let year: i64 = row.try_get("year")?;
    Ok(StoredEvaluation {
        carrier_id: row.try_get("carrier_id")?,
        year: year as i32,
        total: row.try_get("total")?,
        grade: row.try_get("grade")?,
        result: row.try_get("result")?,
        confirmed: row.try_get::<String, _>("status")? == "confirmed",
    })
}

/// Replaces the year's results with `rows` (provisional). Written in batches of 400 rows.
pub async fn replace_results(
    tx: &mut WriteTx,
    year: i32,
    rows: &[StoredEvaluation],
    at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query("DELETE FROM carrier_evaluations WHERE year = $1")
        .bind(i64::from(year))
        .execute(&mut **tx)
        .await?;
    let at = timestamp(at);
    for chunk in rows.chunks(400) {
        let mut sql = String::from(
            "INSERT INTO carrier_evaluations (carrier_id, year, total, grade, result, status, \
             evaluated_at) VALUES ",
        );
        for (k, _) in chunk.iter().enumerate() {
            let b = k * 5;
            if k > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!(
                "(${}, ${}, ${}, ${}, ${}, 'provisional', $1)",
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6
            ));
        }
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&at);
        for row in chunk {
            query = query
                .bind(row.carrier_id)
                .bind(i64::from(year))
                .bind(&row.total)
                .bind(&row.grade)
                .bind(&row.result);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// The results of a year.
pub async fn results_of_year<'e>(
    db: impl Executor<'e, Database = Any>,
    year: i32,
) -> StoreResult<Vec<StoredEvaluation>> {
    sqlx::query("SELECT * FROM carrier_evaluations WHERE year = $1 ORDER BY carrier_id")
        .bind(i64::from(year))
        .fetch_all(db)
        .await?
        .iter()
        .map(evaluation_from_row)
        .collect()
}

/// One carrier's recorded result of a year.
pub async fn result_of<'e>(
    db: impl Executor<'e, Database = Any>,
    carrier_id: i64,
    year: i32,
) -> StoreResult<Option<StoredEvaluation>> {
    sqlx::query("SELECT * FROM carrier_evaluations WHERE carrier_id = $1 AND year = $2")
        .bind(carrier_id)
        .bind(i64::from(year))
        .fetch_optional(db)
        .await?
        .as_ref()
        .map(evaluation_from_row)
        .transpose()
}

/// A carrier's confirmed results, latest year first.
pub async fn confirmed_of<'e>(
    db: impl Executor<'e, Database = Any>,
    carrier_id: i64,
) -> StoreResult<Vec<StoredEvaluation>> {
    sqlx::query(
        "SELECT * FROM carrier_evaluations WHERE carrier_id = $1 AND status = 'confirmed' \
         ORDER BY year DESC",
    )
    .bind(carrier_id)
    .fetch_all(db)
    .await?
    .iter()
    .map(evaluation_from_row)
    .collect()
}

/// When and by whom a year was confirmed, if it was.
pub async fn year_confirmed<'e>(
    db: impl Executor<'e, Database = Any>,
    year: i32,
) -> StoreResult<Option<(String, String)>> {
    sqlx::query("SELECT confirmed_by, confirmed_at FROM carrier_evaluation_years WHERE year = $1")
        .bind(i64::from(year))
        .fetch_optional(db)
        .await?
        .map(|row| -> StoreResult<(String, String)> {
            Ok((row.try_get("confirmed_by")?, row.try_get("confirmed_at")?))
        })
        .transpose()
}

/// Confirms a year: `false` when it already was (by another request, perhaps at the same
/// moment: the year's row is the confirmation and can be written once).
pub async fn confirm_year(
    tx: &mut WriteTx,
    year: i32,
    by: &str,
    at: DateTime<Utc>,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO carrier_evaluation_years (year, confirmed_by, confirmed_at) \
         VALUES ($1, $2, $3) ON CONFLICT (year) DO NOTHING",
    )
    .bind(i64::from(year))
    .bind(by)
    .bind(timestamp(at))
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    sqlx::query("UPDATE carrier_evaluations SET status = 'confirmed' WHERE year = $1")
        .bind(i64::from(year))
        .execute(&mut **tx)
        .await?;
    Ok(true)
}

/// Records how many carriers the exit rule withdrew when the year was confirmed.
pub async fn record_withdrawn(tx: &mut WriteTx, year: i32, count: i64) -> StoreResult<()> {
    sqlx::query("UPDATE carrier_evaluation_years SET withdrawn = $2 WHERE year = $1")
        .bind(i64::from(year))
        .bind(count)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The confirmed grade of `year` of the institution's carrier of one of `types` (the carrier's
/// name and the grade's code), whether or not the carrier is still recognised.
pub async fn confirmed_grade<'e>(
    db: impl Executor<'e, Database = Any>,
    institution_id: i64,
    types: &[&str],
    year: i32,
) -> StoreResult<Option<(i64, String, String)>> {
    if types.is_empty() {
        return Ok(None);
    }
    let list = (0..types.len())
        .map(|k| format!("${}", k + 3))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT c.id AS id, c.name AS name, e.grade AS grade FROM carrier_evaluations e \
         JOIN carriers c ON c.id = e.carrier_id WHERE c.institution_id = $1 AND e.year = $2 \
         AND e.status = 'confirmed' AND c.carrier_type IN ({list}) ORDER BY c.id LIMIT 1"
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(institution_id)
        .bind(i64::from(year));
    for t in types {
        query = query.bind(*t);
    }
    query
        .fetch_optional(db)
        .await?
        .map(|row| -> StoreResult<(i64, String, String)> {
            Ok((
                row.try_get("id")?,
                row.try_get("name")?,
                row.try_get("grade")?,
            ))
        })
        .transpose()
}
