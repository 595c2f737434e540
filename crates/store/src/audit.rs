//! The append-only, hash-chained audit log.
//!
//! Each entry records who changed which record, when, and the record before and after, and
//! carries the hash of the entry before it. Its own hash is an HMAC under the store's audit key
//! (kept outside the database), so a database writer without the key cannot rewrite the chain.
//! `audit_head` holds the last sequence number and hash; appending updates it first, which
//! serialises concurrent writers on both backends (a row lock on PostgreSQL, the write lock on
//! SQLite). Triggers refuse UPDATE and DELETE. Anchors and verification are in `verify`.

mod titles;
mod verify;

pub use titles::object_titles;

use chrono::{DateTime, Utc};
use serde_json::Value as Json;
use sqlx::{Any, AssertSqlSafe, Executor, Row};
use zijin_domain::AuditRecord;

use crate::query::{Filter, Value, fetch_page, like_pattern, rows_per_insert};
use crate::{Paged, StoreResult, WriteTx, timestamp};

pub use verify::{
    Anchor, Breach, Sealed, StoredAnchor, Verification, anchors, head, head_is_keyed, issue_anchor,
    record_anchor, seal, verify, verify_with_key,
};

/// A change to record in the log.
#[derive(Debug, Clone)]
pub struct Change {
    pub actor: String,
    pub action: &'static str,
    pub entity: &'static str,
    pub entity_id: String,
    pub before: Option<Json>,
    pub after: Option<Json>,
}

/// A stored entry with its chain hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub record: AuditRecord,
    pub previous_hash: String,
    pub hash: String,
    /// Signed with the audit key (false only for entries written before keys existed).
    pub keyed: bool,
}

/// Appends one change inside the caller's transaction and returns its sequence number.
pub async fn append(tx: &mut WriteTx, at: DateTime<Utc>, change: Change) -> StoreResult<i64> {
    let head = sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
        .fetch_one(&mut **tx)
        .await?;
    let seq: i64 = head.try_get("seq")?;
    let previous_hash: String = head.try_get("hash")?;
    let key = tx.audit_key()?.clone();
    let record = AuditRecord {
        seq,
        at: timestamp(at),
        actor: change.actor,
        action: change.action.to_string(),
        entity: change.entity.to_string(),
        entity_id: change.entity_id,
        before: change.before.map(|json| json.to_string()),
        after: change.after.map(|json| json.to_string()),
    };
    let hash = record.keyed_hash(&key, &previous_hash);
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor, action, entity, entity_id, before_json, after_json, previous_hash, hash, keyed) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1)",
    )
    .bind(record.seq)
    .bind(record.at)
    .bind(record.actor)
    .bind(record.action)
    .bind(record.entity)
    .bind(record.entity_id)
    .bind(record.before)
    .bind(record.after)
    .bind(&previous_hash)
    .bind(&hash)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&hash)
        .execute(&mut **tx)
        .await?;
    Ok(seq)
}

/// Appends many changes at once (bulk imports, publishing an issue): the chain is computed here
/// and written with multi-row inserts, one head update at the end.
pub async fn append_many(
    tx: &mut WriteTx,
    at: DateTime<Utc>,
    changes: Vec<Change>,
) -> StoreResult<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let count = changes.len() as i64;
    let head = sqlx::query("UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash")
        .bind(count)
        .fetch_one(&mut **tx)
        .await?;
    let last_seq: i64 = head.try_get("seq")?;
    let mut previous_hash: String = head.try_get("hash")?;
    let key = tx.audit_key()?.clone();
    let at = timestamp(at);
    let mut rows = Vec::with_capacity(changes.len());
    for (offset, change) in changes.into_iter().enumerate() {
        let record = AuditRecord {
            seq: last_seq - count + 1 + offset as i64,
            at: at.clone(),
            actor: change.actor,
            action: change.action.to_string(),
            entity: change.entity.to_string(),
            entity_id: change.entity_id,
            before: change.before.map(|json| json.to_string()),
            after: change.after.map(|json| json.to_string()),
        };
        let hash = record.keyed_hash(&key, &previous_hash);
        rows.push((
            record,
            std::mem::replace(&mut previous_hash, hash.clone()),
            hash,
        ));
    }
    let batch_rows = rows_per_insert(tx);
    for batch in rows.chunks(batch_rows) {
        let mut sql = String::from(
            "INSERT INTO audit_log (seq, at, actor, action, entity, entity_id, before_json, after_json, previous_hash, hash, keyed) VALUES ",
        );
        for index in 0..batch.len() {
            if index > 0 {
                sql.push_str(", ");
            }
            let placeholders: Vec<String> =
                (1..=10).map(|n| format!("${}", index * 10 + n)).collect();
            sql.push_str(&format!("({}, 1)", placeholders.join(", ")));
        }
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for (record, previous, hash) in batch {
            query = query
                .bind(record.seq)
                .bind(record.at.clone())
                .bind(record.actor.clone())
                .bind(record.action.clone())
                .bind(record.entity.clone())
                .bind(record.entity_id.clone())
                .bind(record.before.clone())
                .bind(record.after.clone())
                .bind(previous.clone())
                .bind(hash.clone());
        }
        query.execute(&mut **tx).await?;
    }
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&previous_hash)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// What the admin page filters the log by.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub actor: Option<String>,
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub action: Option<String>,
    /// Inclusive lower bound, an RFC 3339 prefix such as `2026-11-01`.
    pub from: Option<String>,
    /// Exclusive upper bound, an RFC 3339 prefix.
    pub until: Option<String>,
}

/// Lists entries, newest first.
pub async fn list<'e>(
    db: impl Executor<'e, Database = Any> + Copy,
    filter: &ListFilter,
    page: i64,
    per_page: i64,
) -> StoreResult<Paged<Entry>> {
    let mut where_ = Filter::default();
    if let Some(actor) = &filter.actor {
        where_.add(
            "actor LIKE {} ESCAPE '\\'",
            vec![Value::Text(like_pattern(actor))],
        );
    }
    if let Some(entity) = &filter.entity {
        where_.add("entity = {}", vec![Value::Text(entity.clone())]);
    }
    if let Some(entity_id) = &filter.entity_id {
        where_.add("entity_id = {}", vec![Value::Text(entity_id.clone())]);
    }
    if let Some(action) = &filter.action {
        where_.add(
            "action LIKE {} ESCAPE '\\'",
            vec![Value::Text(like_pattern(action))],
        );
    }
    if let Some(from) = &filter.from {
        where_.add("at >= {}", vec![Value::Text(from.clone())]);
    }
    if let Some(until) = &filter.until {
        where_.add("at < {}", vec![Value::Text(until.clone())]);
    }
    fetch_page(
        db,
        "audit_log",
        &where_,
        "seq DESC",
        page,
        per_page,
        entry_from_row,
    )
    .await
}

pub(crate) fn entry_from_row(row: &sqlx::any::AnyRow) -> StoreResult<Entry> {
    Ok(Entry {
        record: AuditRecord {
            seq: row.try_get("seq")?,
            at: row.try_get("at")?,
            actor: row.try_get("actor")?,
            action: row.try_get("action")?,
            entity: row.try_get("entity")?,
            entity_id: row.try_get("entity_id")?,
            before: row.try_get("before_json")?,
            after: row.try_get("after_json")?,
        },
        previous_hash: row.try_get("previous_hash")?,
        hash: row.try_get("hash")?,
        keyed: row.try_get::<i64, _>("keyed")? == 1,
    })
}
