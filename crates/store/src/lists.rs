//! List issues (两项清单) and their frozen entries.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{Any, AssertSqlSafe, Executor, Row};
use zijin_domain::{Coded, ListIssue, RecordKind, TransferMode};

use crate::query::{Filter, Value, like_pattern, rows_per_insert};
use crate::{StoreError, StoreResult, WriteTx, timestamp};

/// The constraint that refuses two issues with the same title.
pub const UNIQUE_ISSUE_TITLE: &str = "list_issues.title";

/// One record as frozen in an issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub kind: RecordKind,
    pub record_id: i64,
    pub title: String,
    pub field: String,
    pub district: String,
    pub institution_kind: String,
    pub trl: Option<i64>,
    /// Transfer or cooperation mode codes.
    pub modes: Vec<String>,
    pub priority: bool,
    /// JSON of what was published.
    pub snapshot: String,
    pub snapshot_hash: String,
}

pub async fn open_issue(tx: &mut WriteTx, title: &str, at: DateTime<Utc>) -> StoreResult<i64> {
    let row = sqlx::query(
        "INSERT INTO list_issues (title, status, opened_at) VALUES ($1, 'open', $2) RETURNING id",
    )
    .bind(title)
    .bind(timestamp(at))
    .fetch_one(&mut **tx)
    .await
    .map_err(|error| match StoreError::from(error) {
        StoreError::Duplicate { .. } => StoreError::Duplicate {
            constraint: UNIQUE_ISSUE_TITLE.into(),
        },
        other => other,
    })?;
    Ok(row.try_get("id")?)
}

/// Makes the caller the only transaction that opens or publishes issues until it ends, so an
/// issue title chosen from the existing ones stays free and an issue is published once. On
/// SQLite the write transaction (`BEGIN IMMEDIATE`) already holds the database's write lock;
/// on PostgreSQL a SHARE ROW EXCLUSIVE lock on `list_issues` conflicts with itself and with
/// every insert or update of the table, while readers of the public lists go on.
/// Taken late in a bulk import (after its records are written) so that other writers wait
/// only for the publication, and before any audit entry, which keeps one lock order
/// (`list_issues`, then `audit_head`) for every writer.
pub async fn lock_issues(tx: &mut WriteTx) -> StoreResult<()> {
    if tx.as_mut().backend_name() == "PostgreSQL" {
        sqlx::query("LOCK TABLE list_issues IN SHARE ROW EXCLUSIVE MODE")
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

fn issue_from_row(row: &AnyRow) -> StoreResult<ListIssue> {
    let status: String = row.try_get("status")?;
    Ok(ListIssue {
        id: row.try_get("id")?,
        title: row.try_get("title")?,
        published: status == "published",
        opened_at: row.try_get("opened_at")?,
        published_at: row.try_get("published_at")?,
    })
}

pub async fn get_issue<'e>(
    db: impl Executor<'e, Database = Any>,
    id: i64,
) -> StoreResult<Option<ListIssue>> {
    sqlx::query("SELECT * FROM list_issues WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await?
        .as_ref()
        .map(issue_from_row)
        .transpose()
}

/// Every issue, newest first.
pub async fn issues<'e>(db: impl Executor<'e, Database = Any>) -> StoreResult<Vec<ListIssue>> {
    let rows = sqlx::query("SELECT * FROM list_issues ORDER BY id DESC")
        .fetch_all(db)
        .await?;
    rows.iter().map(issue_from_row).collect()
}

/// The published issue before `issue_id` (by publication order), if any.
pub async fn previous_published<'e>(
    db: impl Executor<'e, Database = Any>,
    issue_id: i64,
) -> StoreResult<Option<ListIssue>> {
    // Publication order; issues published in the same millisecond fall back to their ids.
    sqlx::query(
        "SELECT * FROM list_issues WHERE status = 'published' AND id <> $1 AND \
         (published_at < (SELECT published_at FROM list_issues WHERE id = $1) \
          OR (published_at = (SELECT published_at FROM list_issues WHERE id = $1) AND id < $1)) \
         ORDER BY published_at DESC, id DESC LIMIT 1",
    )
    .bind(issue_id)
    .fetch_optional(db)
    .await?
    .as_ref()
    .map(issue_from_row)
    .transpose()
}

pub async fn insert_entries(tx: &mut WriteTx, issue_id: i64, entries: &[Entry]) -> StoreResult<()> {
    let batch_rows = rows_per_insert(tx);
    for batch in entries.chunks(batch_rows) {
        let mut sql = String::from(
            "INSERT INTO list_entries (issue_id, kind, record_id, title, field, district, institution_kind, trl, \
             modes, priority, snapshot, snapshot_hash) VALUES ",
        );
        for index in 0..batch.len() {
            let base = index * 12;
            if index > 0 {
                sql.push_str(", ");
            }
            let placeholders: Vec<String> = (1..=12).map(|n| format!("${}", base + n)).collect();
            sql.push_str(&format!("({})", placeholders.join(", ")));
        }
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for entry in batch {
            query = query
                .bind(issue_id)
                .bind(entry.kind.code())
                .bind(entry.record_id)
                .bind(entry.title.clone())
                .bind(entry.field.clone())
                .bind(entry.district.clone())
                .bind(entry.institution_kind.clone())
                .bind(entry.trl)
                .bind(serde_json::to_string(&entry.modes).unwrap_or_else(|_| "[]".into()))
                .bind(i64::from(entry.priority))
                .bind(entry.snapshot.clone())
                .bind(entry.snapshot_hash.clone());
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Marks the issue published and counts its entries per public filter (`list_counts`), in
/// the publishing transaction.
pub async fn mark_published(tx: &mut WriteTx, issue_id: i64, at: DateTime<Utc>) -> StoreResult<()> {
    sqlx::query("UPDATE list_issues SET status = 'published', published_at = $1 WHERE id = $2")
        .bind(timestamp(at))
        .bind(issue_id)
        .execute(&mut **tx)
        .await?;
    for kind in RecordKind::ALL {
        sqlx::query(
            "INSERT INTO list_counts (issue_id, kind, facet, value, n) \
             SELECT $1, $2, 'all', '', COUNT(*) FROM list_entries WHERE issue_id = $1 AND kind = $2",
        )
        .bind(issue_id)
        .bind(kind.code())
        .execute(&mut **tx)
        .await?;
    }
    let grouped: [&'static str; 5] = [
        "INSERT INTO list_counts (issue_id, kind, facet, value, n) SELECT issue_id, kind, 'field', field, COUNT(*) \
         FROM list_entries WHERE issue_id = $1 GROUP BY issue_id, kind, field",
        "INSERT INTO list_counts (issue_id, kind, facet, value, n) SELECT issue_id, kind, 'district', district, COUNT(*) \
         FROM list_entries WHERE issue_id = $1 GROUP BY issue_id, kind, district",
        "INSERT INTO list_counts (issue_id, kind, facet, value, n) SELECT issue_id, kind, 'institution_kind', institution_kind, COUNT(*) \
         FROM list_entries WHERE issue_id = $1 GROUP BY issue_id, kind, institution_kind",
        "INSERT INTO list_counts (issue_id, kind, facet, value, n) SELECT issue_id, kind, 'trl', CAST(trl AS TEXT), COUNT(*) \
         FROM list_entries WHERE issue_id = $1 AND trl IS NOT NULL GROUP BY issue_id, kind, trl",
        "INSERT INTO list_counts (issue_id, kind, facet, value, n) SELECT issue_id, kind, 'priority', '1', COUNT(*) \
         FROM list_entries WHERE issue_id = $1 AND priority = 1 GROUP BY issue_id, kind",
    ];
    for sql in grouped {
        sqlx::query(sql).bind(issue_id).execute(&mut **tx).await?;
    }
    for mode in TransferMode::ALL {
        sqlx::query(
            "INSERT INTO list_counts (issue_id, kind, facet, value, n) SELECT issue_id, kind, 'mode', $2, COUNT(*) \
             FROM list_entries WHERE issue_id = $1 AND modes LIKE $3 GROUP BY issue_id, kind",
        )
        .bind(issue_id)
        .bind(mode.code())
        .bind(format!("%\"{}\"%", mode.code()))
        .execute(&mut **tx)
        .await?;
    }
    // A publication can add a million rows at once; PostgreSQL plans the public list's
    // queries from table statistics, which would otherwise still describe the table before it.
    if tx.as_mut().backend_name() == "PostgreSQL" {
        sqlx::query("ANALYZE list_entries")
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// What the public lists filter by.
#[derive(Debug, Clone, Default)]
pub struct EntryFilter {
    pub field: Option<String>,
    pub district: Option<String>,
    /// Inclusive TRL range (a maturity stage).
    pub trl_range: Option<(i64, i64)>,
    pub mode: Option<String>,
    pub institution_kind: Option<String>,
    pub title: Option<String>,
    pub priority_only: bool,
}

/// Where a page of a list starts: a page number (OFFSET, for the first pages and scripts), or
/// after / before a record id (keyset: as fast at the millionth row as at the first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageAt {
    Number(i64),
    After(i64),
    Before(i64),
}

/// Beyond this many matches a combination of filters not counted at publication is shown as
/// "more than" (counting every match of a million-row list on each view costs too much).
pub const COUNT_LIMIT: i64 = 10_000;

/// One page of a list, in record order.
#[derive(Debug, Clone)]
pub struct EntryPage {
    pub items: Vec<Entry>,
    /// Entries matching the filters; a lower bound when `total_is_lower_bound`.
    pub total: i64,
    pub total_is_lower_bound: bool,
    pub has_previous: bool,
    pub has_next: bool,
    /// The page number, when the page was asked for by number.
    pub page: Option<i64>,
    pub per_page: i64,
}

impl EntryPage {
    /// Pages in all, when the total is exact.
    pub fn page_count(&self) -> Option<i64> {
        (!self.total_is_lower_bound)
            .then(|| ((self.total + self.per_page - 1) / self.per_page).max(1))
    }
}

impl EntryFilter {
    /// The one `list_counts` facet this filter is, or None when it combines several (or
    /// searches titles). `Some(None)` means no filter at all.
    fn single_facet(&self) -> Option<Option<(&'static str, Vec<String>)>> {
        let mut facets = Vec::new();
        if let Some(field) = &self.field {
            facets.push(("field", vec![field.clone()]));
        }
        if let Some(district) = &self.district {
            facets.push(("district", vec![district.clone()]));
        }
        if let Some((low, high)) = self.trl_range {
            facets.push(("trl", (low..=high).map(|t| t.to_string()).collect()));
        }
        if let Some(mode) = &self.mode {
            facets.push(("mode", vec![mode.clone()]));
        }
        if let Some(kind) = &self.institution_kind {
            facets.push(("institution_kind", vec![kind.clone()]));
        }
        if self.priority_only {
            facets.push(("priority", vec!["1".to_string()]));
        }
        let searching = self.title.as_deref().is_some_and(|t| !t.trim().is_empty());
        match (facets.len(), searching) {
            (0, false) => Some(None),
            (1, false) => facets.pop().map(Some),
            _ => None,
        }
    }

    fn conditions(&self, issue_id: i64, kind: RecordKind) -> Filter {
        let mut where_ = Filter::default();
        where_.add("issue_id = {}", vec![Value::Int(issue_id)]);
        where_.add("kind = {}", vec![Value::Text(kind.code().into())]);
        if let Some(field) = &self.field {
            where_.add("field = {}", vec![Value::Text(field.clone())]);
        }
        if let Some(district) = &self.district {
            where_.add("district = {}", vec![Value::Text(district.clone())]);
        }
        if let Some((low, high)) = self.trl_range {
            where_.add(
                "trl BETWEEN {} AND {}",
                vec![Value::Int(low), Value::Int(high)],
            );
        }
        if let Some(mode) = &self.mode {
            where_.add(
                "modes LIKE {} ESCAPE '\\'",
                vec![Value::Text(like_pattern(&format!("\"{mode}\"")))],
            );
        }
        if let Some(institution_kind) = &self.institution_kind {
            where_.add(
                "institution_kind = {}",
                vec![Value::Text(institution_kind.clone())],
            );
        }
        if let Some(title) = self
            .title
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            where_.add(
                "title LIKE {} ESCAPE '\\'",
                vec![Value::Text(like_pattern(title))],
            );
        }
        if self.priority_only {
            where_.add("priority = 1", vec![]);
        }
        where_
    }
}

/// How many entries match: from the counts taken at publication when the filter is one of
/// them, otherwise counted up to `COUNT_LIMIT` (the bool says the count stopped there).
async fn count_entries<'e>(
    db: impl Executor<'e, Database = Any> + Copy,
    issue_id: i64,
    kind: RecordKind,
    filter: &EntryFilter,
    where_: &Filter,
) -> StoreResult<(i64, bool)> {
    let counted: Option<i64> = sqlx::query(
        "SELECT n FROM list_counts WHERE issue_id = $1 AND kind = $2 AND facet = 'all'",
    )
    .bind(issue_id)
    .bind(kind.code())
    .fetch_optional(db)
    .await?
    .map(|row| row.try_get("n"))
    .transpose()?;
    match (counted, filter.single_facet()) {
        (Some(all), Some(None)) => return Ok((all, false)),
        (Some(_), Some(Some((facet, values)))) => {
            let mut sum = Filter::default();
            sum.add("issue_id = {}", vec![Value::Int(issue_id)]);
            sum.add("kind = {}", vec![Value::Text(kind.code().into())]);
            sum.add("facet = {}", vec![Value::Text(facet.into())]);
            let placeholders = vec!["{}"; values.len()].join(", ");
            sum.add(
                &format!("value IN ({placeholders})"),
                values.into_iter().map(Value::Text).collect(),
            );
            let sql = format!(
                "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) AS n FROM list_counts{}",
                sum.where_clause()
            );
            let row = sqlx::query_with(AssertSqlSafe(sql), sum.arguments(&[]))
                .fetch_one(db)
                .await?;
            return Ok((row.try_get("n")?, false));
        }
        _ => {}
    }
    let sql = format!(
        "SELECT COUNT(*) AS n FROM (SELECT 1 FROM list_entries{} LIMIT {}) AS matching",
        where_.where_clause(),
        COUNT_LIMIT + 1
    );
    let n: i64 = sqlx::query_with(AssertSqlSafe(sql), where_.arguments(&[]))
        .fetch_one(db)
        .await?
        .try_get("n")?;
    Ok(if n > COUNT_LIMIT {
        (COUNT_LIMIT, true)
    } else {
        (n, false)
    })
}

/// Whether any entry matching `where_` lies on the given side of `record_id`.
async fn any_beyond<'e>(
    db: impl Executor<'e, Database = Any> + Copy,
    where_: &Filter,
    condition: &'static str,
    record_id: i64,
) -> StoreResult<bool> {
    let next = where_.next_parameter();
    // Walk the index from the cursor outwards; without the order PostgreSQL may scan the
    // table from its start to reach the far side of the cursor.
    let order = if condition.starts_with('<') {
        "DESC"
    } else {
        "ASC"
    };
    let sql = format!(
        "SELECT 1 AS found FROM list_entries{} AND record_id {condition} ${next} ORDER BY record_id {order} LIMIT 1",
        where_.where_clause()
    );
    Ok(sqlx::query_with(
        AssertSqlSafe(sql),
        where_.arguments(&[Value::Int(record_id)]),
    )
    .fetch_optional(db)
    .await?
    .is_some())
}

/// One page of one list of an issue, filtered, in record order.
pub async fn entries<'e>(
    db: impl Executor<'e, Database = Any> + Copy,
    issue_id: i64,
    kind: RecordKind,
    filter: &EntryFilter,
    at: PageAt,
    per_page: i64,
) -> StoreResult<EntryPage> {
    let where_ = filter.conditions(issue_id, kind);
    let (total, total_is_lower_bound) = count_entries(db, issue_id, kind, filter, &where_).await?;
    let clause = where_.where_clause();
    let next = where_.next_parameter();
    // One row more than a page tells whether another page follows. LIMIT and OFFSET are
    // written as numbers, not parameters: PostgreSQL's generic plan for a prepared statement
    // does not know a parameter LIMIT is small and would sort the whole list first.
    let limit = per_page + 1;
    let (sql, extra) = match at {
        PageAt::Number(page) => (
            format!(
                "SELECT * FROM list_entries{clause} ORDER BY record_id LIMIT {limit} OFFSET {}",
                (page.max(1) - 1) * per_page
            ),
            vec![],
        ),
        PageAt::After(id) => (
            format!(
                "SELECT * FROM list_entries{clause} AND record_id > ${next} ORDER BY record_id LIMIT {limit}"
            ),
            vec![Value::Int(id)],
        ),
        PageAt::Before(id) => (
            format!(
                "SELECT * FROM list_entries{clause} AND record_id < ${next} ORDER BY record_id DESC LIMIT {limit}"
            ),
            vec![Value::Int(id)],
        ),
    };
    let rows = sqlx::query_with(AssertSqlSafe(sql), where_.arguments(&extra))
        .fetch_all(db)
        .await?;
    let mut items = rows
        .iter()
        .map(entry_from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    let more = items.len() as i64 > per_page;
    items.truncate(per_page as usize);
    let (has_previous, has_next, page) = match at {
        PageAt::Number(page) => (page > 1, more, Some(page.max(1))),
        PageAt::After(id) => (any_beyond(db, &where_, "<=", id).await?, more, None),
        PageAt::Before(id) => {
            items.reverse();
            (more, any_beyond(db, &where_, ">=", id).await?, None)
        }
    };
    Ok(EntryPage {
        items,
        total,
        total_is_lower_bound,
        has_previous,
        has_next,
        page,
        per_page,
    })
}

fn entry_from_row(row: &AnyRow) -> StoreResult<Entry> {
    let kind: String = row.try_get("kind")?;
    let modes: String = row.try_get("modes")?;
    let priority: i64 = row.try_get("priority")?;
    Ok(Entry {
        kind: RecordKind::from_code(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("清单条目类型 {kind}")))?,
        record_id: row.try_get("record_id")?,
        title: row.try_get("title")?,
        field: row.try_get("field")?,
        district: row.try_get("district")?,
        institution_kind: row.try_get("institution_kind")?,
        trl: row.try_get("trl")?,
        modes: serde_json::from_str(&modes)
            .map_err(|_| StoreError::Corrupt(format!("清单条目方式 {modes}")))?,
        priority: priority != 0,
        snapshot: row.try_get("snapshot")?,
        snapshot_hash: row.try_get("snapshot_hash")?,
    })
}

/// How an issue differs from an earlier one, per kind: record ids that are new, changed, or
/// withdrawn (in the earlier issue, not in this one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Difference {
    pub new: Vec<i64>,
    pub changed: Vec<i64>,
    pub withdrawn: Vec<i64>,
}

pub async fn difference<'e>(
    db: impl Executor<'e, Database = Any> + Copy,
    issue_id: i64,
    earlier_id: i64,
    kind: RecordKind,
) -> StoreResult<Difference> {
    let ids = |sql: &'static str| async move {
        let rows = sqlx::query(sql)
            .bind(issue_id)
            .bind(earlier_id)
            .bind(kind.code())
            .fetch_all(db)
            .await?;
        rows.iter()
            .map(|row| row.try_get::<i64, _>("record_id").map_err(StoreError::from))
            .collect::<StoreResult<Vec<i64>>>()
    };
    Ok(Difference {
        new: ids(
            "SELECT cur.record_id FROM list_entries cur LEFT JOIN list_entries earlier \
             ON earlier.issue_id = $2 AND earlier.kind = cur.kind AND earlier.record_id = cur.record_id \
             WHERE cur.issue_id = $1 AND cur.kind = $3 AND earlier.record_id IS NULL ORDER BY cur.record_id",
        )
        .await?,
        changed: ids(
            "SELECT cur.record_id FROM list_entries cur JOIN list_entries earlier \
             ON earlier.issue_id = $2 AND earlier.kind = cur.kind AND earlier.record_id = cur.record_id \
             WHERE cur.issue_id = $1 AND cur.kind = $3 AND earlier.snapshot_hash <> cur.snapshot_hash ORDER BY cur.record_id",
        )
        .await?,
        withdrawn: ids(
            "SELECT earlier.record_id FROM list_entries earlier LEFT JOIN list_entries cur \
             ON cur.issue_id = $1 AND cur.kind = earlier.kind AND cur.record_id = earlier.record_id \
             WHERE earlier.issue_id = $2 AND earlier.kind = $3 AND cur.record_id IS NULL ORDER BY earlier.record_id",
        )
        .await?,
    })
}

pub async fn get_entry<'e>(
    db: impl Executor<'e, Database = Any>,
    issue_id: i64,
    kind: RecordKind,
    record_id: i64,
) -> StoreResult<Option<Entry>> {
    sqlx::query("SELECT * FROM list_entries WHERE issue_id = $1 AND kind = $2 AND record_id = $3")
        .bind(issue_id)
        .bind(kind.code())
        .bind(record_id)
        .fetch_optional(db)
        .await?
        .as_ref()
        .map(entry_from_row)
        .transpose()
}

/// Every entry of one list of an issue, in record order (for exports).
pub async fn all_entries<'e>(
    db: impl Executor<'e, Database = Any>,
    issue_id: i64,
    kind: RecordKind,
) -> StoreResult<Vec<Entry>> {
    let rows = sqlx::query(
        "SELECT * FROM list_entries WHERE issue_id = $1 AND kind = $2 ORDER BY record_id",
    )
    .bind(issue_id)
    .bind(kind.code())
    .fetch_all(db)
    .await?;
    rows.iter().map(entry_from_row).collect()
}
