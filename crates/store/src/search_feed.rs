//! What the search index reads: records with their owner's district and type, in batches, and
//! the change feed (`record_changes`, written by triggers) that tells each process what to
//! index again.

use sqlx::{Any, AssertSqlSafe, Executor, Row};
use zijin_domain::{Achievement, Demand, RecordKind};

use crate::StoreResult;
use crate::records::{achievement_from_row, demand_from_row};

/// A record as the index needs it.
#[derive(Debug, Clone)]
pub enum IndexedRecord {
    Achievement(Achievement),
    Demand(Demand),
}

/// A record and its owner's district and institution type codes.
#[derive(Debug, Clone)]
pub struct RecordForIndex {
    pub record: IndexedRecord,
    pub district: String,
    pub institution_kind: String,
}

fn table(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Achievement => "achievements",
        RecordKind::Demand => "demands",
    }
}

fn rows_to_records(
    kind: RecordKind,
    rows: &[sqlx::any::AnyRow],
) -> StoreResult<Vec<RecordForIndex>> {
    rows.iter()
        .map(|row| {
            Ok(RecordForIndex {
                record: match kind {
                    RecordKind::Achievement => {
                        IndexedRecord::Achievement(achievement_from_row(row)?)
                    }
                    RecordKind::Demand => IndexedRecord::Demand(demand_from_row(row)?),
                },
                district: row.try_get("owner_district")?,
                institution_kind: row.try_get("owner_kind")?,
            })
        })
        .collect()
}

/// Up to `limit` records of a kind with ids above `after`, in id order.
pub async fn records_after<'e>(
    db: impl Executor<'e, Database = Any>,
    kind: RecordKind,
    after: i64,
    limit: i64,
) -> StoreResult<Vec<RecordForIndex>> {
    let sql = format!(
        "SELECT r.*, i.district AS owner_district, i.kind AS owner_kind FROM {} r \
         JOIN institutions i ON i.id = r.institution_id WHERE r.id > $1 ORDER BY r.id LIMIT {}",
        table(kind),
        limit.max(1)
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(after)
        .fetch_all(db)
        .await?;
    rows_to_records(kind, &rows)
}

/// The records of a kind with these ids (those that exist).
pub async fn records_by_id<'e>(
    db: impl Executor<'e, Database = Any>,
    kind: RecordKind,
    ids: &[i64],
) -> StoreResult<Vec<RecordForIndex>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // Ids are integers from our own feed: written into the statement, not bound one by one.
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let sql = format!(
        "SELECT r.*, i.district AS owner_district, i.kind AS owner_kind FROM {} r \
         JOIN institutions i ON i.id = r.institution_id WHERE r.id IN ({list})",
        table(kind)
    );
    let rows = sqlx::query(AssertSqlSafe(sql)).fetch_all(db).await?;
    rows_to_records(kind, &rows)
}

/// One entry of the change feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub seq: i64,
    pub kind: RecordKind,
    pub record_id: i64,
}

/// The newest position of the change feed (0 when empty).
pub async fn latest_change<'e>(db: impl Executor<'e, Database = Any>) -> StoreResult<i64> {
    let row = sqlx::query("SELECT COALESCE(MAX(seq), 0) AS seq FROM record_changes")
        .fetch_one(db)
        .await?;
    Ok(row.try_get("seq")?)
}

/// Changes after `seq`, oldest first, at most `limit`.
pub async fn changes_after<'e>(
    db: impl Executor<'e, Database = Any>,
    seq: i64,
    limit: i64,
) -> StoreResult<Vec<Change>> {
    let sql = format!(
        "SELECT seq, kind, record_id FROM record_changes WHERE seq > $1 ORDER BY seq LIMIT {}",
        limit.max(1)
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(seq)
        .fetch_all(db)
        .await?;
    rows.iter()
        .map(|row| {
            let kind: String = row.try_get("kind")?;
            Ok(Change {
                seq: row.try_get("seq")?,
                kind: if kind == "demand" {
                    RecordKind::Demand
                } else {
                    RecordKind::Achievement
                },
                record_id: row.try_get("record_id")?,
            })
        })
        .collect()
}

/// How many achievements and demands the database holds.
pub async fn count_records<'e>(db: impl Executor<'e, Database = Any>) -> StoreResult<i64> {
    let row = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM achievements) + (SELECT COUNT(*) FROM demands) AS n",
    )
    .fetch_one(db)
    .await?;
    Ok(row.try_get("n")?)
}

/// Wakes a process when PostgreSQL announces a change to the records (the triggers'
/// `NOTIFY zijin_records`, delivered when the writing transaction commits).
pub struct ChangeListener(sqlx::postgres::PgListener);

impl ChangeListener {
    pub async fn connect(url: &str) -> StoreResult<ChangeListener> {
        let mut listener = sqlx::postgres::PgListener::connect(url).await?;
        listener.listen("zijin_records").await?;
        Ok(ChangeListener(listener))
    }

    /// Waits for the next announcement (a lost connection is re-established by sqlx).
    pub async fn recv(&mut self) -> StoreResult<()> {
        self.0.recv().await?;
        Ok(())
    }
}
