//! Stored downloads of published list issues: the claim a builder holds while it makes one,
//! and the bytes in chunks once it is ready. The database is the lock, so several server
//! processes sharing one PostgreSQL build each export once between them.

use chrono::{DateTime, Utc};
use sqlx::{Any, AnyPool, Executor, Row};

use crate::{StoreResult, WriteTx, parse_timestamp, timestamp};

/// Largest piece of a stored export: a download holds about one piece in memory at a time.
pub const CHUNK_BYTES: usize = 1 << 20;

/// A ready export, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadyExport {
    pub issue_id: i64,
    pub format: String,
    pub size: i64,
    pub sha256: String,
    pub chunks: i64,
    /// How many times it was built (1 unless a copy had to be remade).
    pub builds: i64,
}

/// Where an export stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportState {
    /// Nobody has built it, or the last builder gave up.
    Missing,
    /// Someone is building it; their claim lapses at `lease_until` unless renewed.
    Building {
        lease_until: DateTime<Utc>,
    },
    Ready(ReadyExport),
}

pub async fn state<'e>(
    db: impl Executor<'e, Database = Any>,
    issue_id: i64,
    format: &str,
) -> StoreResult<ExportState> {
    let row = sqlx::query(
        "SELECT state, lease_until, size, sha256, chunks, builds FROM issue_exports \
         WHERE issue_id = $1 AND format = $2",
    )
    .bind(issue_id)
    .bind(format)
    .fetch_optional(db)
    .await?;
    let Some(row) = row else {
        return Ok(ExportState::Missing);
    };
    let state: String = row.try_get("state")?;
    if state == "ready" {
        return Ok(ExportState::Ready(ReadyExport {
            issue_id,
            format: format.to_string(),
            size: row.try_get("size")?,
            sha256: row.try_get("sha256")?,
            chunks: row.try_get("chunks")?,
            builds: row.try_get("builds")?,
        }));
    }
    let lease: String = row.try_get("lease_until")?;
    Ok(ExportState::Building {
        lease_until: parse_timestamp(&lease)?,
    })
}

/// Claims the building of an export for `builder` until `lease_until`: a new row, or a
/// building row whose lease has lapsed by `now` (its builder crashed or hung). True when the
/// claim is ours; false when someone else holds a live claim or the export is ready.
pub async fn claim(
    pool: &AnyPool,
    issue_id: i64,
    format: &str,
    builder: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> StoreResult<bool> {
    let inserted = sqlx::query(
        "INSERT INTO issue_exports (issue_id, format, state, builder, lease_until, builds, size, sha256, chunks) \
         VALUES ($1, $2, 'building', $3, $4, 0, 0, '', 0) ON CONFLICT (issue_id, format) DO NOTHING",
    )
    .bind(issue_id)
    .bind(format)
    .bind(builder)
    .bind(timestamp(lease_until))
    .execute(pool)
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(true);
    }
    // Timestamps are UTC RFC 3339 with milliseconds, so they compare as text.
    let taken_over = sqlx::query(
        "UPDATE issue_exports SET builder = $3, lease_until = $4 \
         WHERE issue_id = $1 AND format = $2 AND state = 'building' AND lease_until < $5",
    )
    .bind(issue_id)
    .bind(format)
    .bind(builder)
    .bind(timestamp(lease_until))
    .bind(timestamp(now))
    .execute(pool)
    .await?
    .rows_affected();
    Ok(taken_over == 1)
}

/// Extends a claim while its builder works. False when the claim was lost.
pub async fn renew(
    pool: &AnyPool,
    issue_id: i64,
    format: &str,
    builder: &str,
    lease_until: DateTime<Utc>,
) -> StoreResult<bool> {
    let renewed = sqlx::query(
        "UPDATE issue_exports SET lease_until = $4 \
         WHERE issue_id = $1 AND format = $2 AND state = 'building' AND builder = $3",
    )
    .bind(issue_id)
    .bind(format)
    .bind(builder)
    .bind(timestamp(lease_until))
    .execute(pool)
    .await?
    .rows_affected();
    Ok(renewed == 1)
}

/// Gives a claim up (the build failed), so the next request may try at once.
pub async fn release(
    pool: &AnyPool,
    issue_id: i64,
    format: &str,
    builder: &str,
) -> StoreResult<()> {
    sqlx::query(
        "DELETE FROM issue_exports \
         WHERE issue_id = $1 AND format = $2 AND state = 'building' AND builder = $3",
    )
    .bind(issue_id)
    .bind(format)
    .bind(builder)
    .execute(pool)
    .await?;
    Ok(())
}

/// Stores the built bytes and marks the export ready, if `builder` still holds the claim;
/// false (and nothing written) when it does not. The caller commits.
pub async fn finish(
    tx: &mut WriteTx,
    issue_id: i64,
    format: &str,
    builder: &str,
    bytes: &[u8],
    sha256: &str,
    at: DateTime<Utc>,
) -> StoreResult<bool> {
    let chunks = bytes.chunks(CHUNK_BYTES);
    // The claim row first: on PostgreSQL this locks it, so a builder that took the claim
    // over meanwhile cannot interleave its chunks with ours.
    let marked = sqlx::query(
        "UPDATE issue_exports SET state = 'ready', size = $4, sha256 = $5, chunks = $6, \
         builds = builds + 1, ready_at = $7 \
         WHERE issue_id = $1 AND format = $2 AND state = 'building' AND builder = $3",
    )
    .bind(issue_id)
    .bind(format)
    .bind(builder)
    .bind(bytes.len() as i64)
    .bind(sha256)
    .bind(chunks.len() as i64)
    .bind(timestamp(at))
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if marked != 1 {
        return Ok(false);
    }
    sqlx::query("DELETE FROM issue_export_chunks WHERE issue_id = $1 AND format = $2")
        .bind(issue_id)
        .bind(format)
        .execute(&mut **tx)
        .await?;
    for (seq, chunk) in bytes.chunks(CHUNK_BYTES).enumerate() {
        sqlx::query(
            "INSERT INTO issue_export_chunks (issue_id, format, seq, content) VALUES ($1, $2, $3, $4)",
        )
        .bind(issue_id)
        .bind(format)
        .bind(seq as i64)
        .bind(chunk.to_vec())
        .execute(&mut **tx)
        .await?;
    }
    Ok(true)
}

/// One piece of a ready export (`seq` from 0 to `chunks - 1`); `None` when it is missing.
pub async fn chunk<'e>(
    db: impl Executor<'e, Database = Any>,
    issue_id: i64,
    format: &str,
    seq: i64,
) -> StoreResult<Option<Vec<u8>>> {
    let row = sqlx::query(
        "SELECT content FROM issue_export_chunks WHERE issue_id = $1 AND format = $2 AND seq = $3",
    )
    .bind(issue_id)
    .bind(format)
    .bind(seq)
    .fetch_optional(db)
    .await?;
    match row {
        Some(row) => Ok(Some(row.try_get("content")?)),
        None => Ok(None),
    }
}
