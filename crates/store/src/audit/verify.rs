//! Checking the chain, anchoring its head, and sealing a chain written before keys existed.
//!
//! What a database writer without the key can still do is cut entries off the end and point
//! `audit_head` at the new last entry: every remaining hash is genuine. Anchors catch that: a
//! head (sequence number and hash) remembered at publication or printed by
//! `audit verify --anchor` must still be found in the chain, with the same hash. Anchors are
//! kept in `audit_anchors` and, to survive someone who also deletes that table, copied
//! elsewhere by the operator and given back with `audit verify --expect N:H`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::{Any, Executor, Row};
use zijin_domain::{AuditKey, GENESIS_HASH};

use super::{Change, Entry, append, entry_from_row};
use crate::{Store, StoreError, StoreResult, WriteTx, timestamp};

/// The head of the chain at some moment: entry `seq` had hash `hash`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub seq: i64,
    pub hash: String,
}

impl Anchor {
    /// Reads `N:H` (as `audit verify --anchor` prints it, and `--expect` takes it).
    pub fn parse(text: &str) -> Option<Self> {
        let (seq, hash) = text.trim().split_once(':')?;
        let seq: i64 = seq.trim().parse().ok()?;
        let hash = hash.trim().to_ascii_lowercase();
        let valid = seq >= 0 && hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit());
        valid.then_some(Self { seq, hash })
    }
}

impl std::fmt::Display for Anchor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

/// An anchor kept in the database, and why it was taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAnchor {
    pub anchor: Anchor,
    pub at: String,
    /// `list-issue` (a publication) or `verify` (an operator's `audit verify --anchor`).
    pub purpose: String,
    pub issue_id: Option<i64>,
}

/// The first entry that breaks the chain, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breach {
    pub seq: i64,
    /// When the bad entry says it was written, and what it says was done (absent when the
    /// entry itself is missing).
    pub at: Option<String>,
    pub action: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub entries_checked: i64,
    pub first_breach: Option<Breach>,
    /// The last entry found intact (sequence 0 and the genesis hash for an empty log).
    pub head: Anchor,
    /// How many anchors (stored and given) were compared.
    pub anchors_checked: usize,
}

/// The current head as `audit_head` records it.
pub async fn head<'e>(db: impl Executor<'e, Database = Any>) -> StoreResult<Anchor> {
    let row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(db)
        .await?;
    Ok(Anchor {
        seq: row.try_get("seq")?,
        hash: row.try_get("hash")?,
    })
}

/// Whether the newest entry is signed with a key (false for an empty log).
pub async fn head_is_keyed<'e>(db: impl Executor<'e, Database = Any>) -> StoreResult<bool> {
    let row = sqlx::query("SELECT keyed FROM audit_log ORDER BY seq DESC LIMIT 1")
        .fetch_optional(db)
        .await?;
    Ok(match row {
        Some(row) => row.try_get::<i64, _>("keyed")? == 1,
        None => false,
    })
}

/// Locks the head row for the rest of the transaction and reads it, so no append slips in.
async fn lock_head(tx: &mut WriteTx) -> StoreResult<Anchor> {
    let row = sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash")
        .fetch_one(&mut **tx)
        .await?;
    Ok(Anchor {
        seq: row.try_get("seq")?,
        hash: row.try_get("hash")?,
    })
}

/// Records the current head as an anchor (after this transaction's own appends, so a
/// publication's anchor covers the publication).
pub async fn record_anchor(
    tx: &mut WriteTx,
    at: DateTime<Utc>,
    purpose: &str,
    issue_id: Option<i64>,
) -> StoreResult<Anchor> {
    let anchor = lock_head(tx).await?;
    sqlx::query(
        "INSERT INTO audit_anchors (seq, hash, at, purpose, issue_id) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(anchor.seq)
    .bind(&anchor.hash)
    .bind(timestamp(at))
    .bind(purpose)
    .bind(issue_id)
    .execute(&mut **tx)
    .await?;
    Ok(anchor)
}

/// The anchor taken when `issue_id` was published.
pub async fn issue_anchor<'e>(
    db: impl Executor<'e, Database = Any>,
    issue_id: i64,
) -> StoreResult<Option<Anchor>> {
    let row = sqlx::query(
        "SELECT seq, hash FROM audit_anchors WHERE issue_id = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(issue_id)
    .fetch_optional(db)
    .await?;
    row.map(|row| {
        Ok(Anchor {
            seq: row.try_get("seq")?,
            hash: row.try_get("hash")?,
        })
    })
    .transpose()
}

/// Every stored anchor, oldest first.
pub async fn anchors<'e>(db: impl Executor<'e, Database = Any>) -> StoreResult<Vec<StoredAnchor>> {
    let rows =
        sqlx::query("SELECT seq, hash, at, purpose, issue_id FROM audit_anchors ORDER BY id")
            .fetch_all(db)
            .await?;
    rows.iter()
        .map(|row| {
            Ok(StoredAnchor {
                anchor: Anchor {
                    seq: row.try_get("seq")?,
                    hash: row.try_get("hash")?,
                },
                at: row.try_get("at")?,
                purpose: row.try_get("purpose")?,
                issue_id: row.try_get("issue_id")?,
            })
        })
        .collect()
}

/// Verifies the chain with the store's key, against the stored anchors and `expected` ones.
pub async fn verify(store: &Store, expected: &[Anchor]) -> StoreResult<Verification> {
    verify_with_key(store.pool(), store.audit_key()?, expected).await
}

/// Walks the whole chain in order and reports the first entry that was modified, removed,
/// inserted out of order or signed with another key, then checks the head and every anchor.
pub async fn verify_with_key<'e>(
    db: impl Executor<'e, Database = Any> + Copy,
    key: &AuditKey,
    expected: &[Anchor],
) -> StoreResult<Verification> {
    let mut walk = walk(db, key, expected, true).await?;
    if walk.first_breach.is_none()
        && let Some(breach) = walk.unkeyed_head.take()
    {
        walk.first_breach = Some(breach);
    }
    Ok(walk.into_verification())
}

struct Walk {
    checked: i64,
    head: Anchor,
    first_breach: Option<Breach>,
    anchors_checked: usize,
    /// Set when the chain verifies but its newest entry carries no signature.
    unkeyed_head: Option<Breach>,
}

impl Walk {
    fn into_verification(self) -> Verification {
        Verification {
            entries_checked: self.checked,
            first_breach: self.first_breach,
            head: self.head,
            anchors_checked: self.anchors_checked,
        }
    }
}

fn named(entry: &Entry, reason: String) -> Breach {
    Breach {
        seq: entry.record.seq,
        at: Some(entry.record.at.clone()),
        action: Some(entry.record.action.clone()),
        reason,
    }
}

async fn walk<'e>(
    db: impl Executor<'e, Database = Any> + Copy,
    key: &AuditKey,
    expected: &[Anchor],
    with_stored_anchors: bool,
) -> StoreResult<Walk> {
    const BATCH: i64 = 2000;
    // Every anchor by sequence number, with where it came from (for the message).
    let mut anchors: BTreeMap<i64, Vec<(String, &'static str)>> = BTreeMap::new();
    if with_stored_anchors {
        for stored in self::anchors(db).await? {
            anchors
                .entry(stored.anchor.seq)
                .or_default()
                .push((stored.anchor.hash, "数据库中保存的锚点"));
        }
    }
    for anchor in expected {
        anchors
            .entry(anchor.seq)
            .or_default()
            .push((anchor.hash.clone(), "给定的锚点"));
    }
    let anchors_checked = anchors.values().map(Vec::len).sum();
    let mut walk = Walk {
        checked: 0,
        head: Anchor {
            seq: 0,
            hash: GENESIS_HASH.to_string(),
        },
        first_breach: None,
        anchors_checked,
        unkeyed_head: None,
    };
    if let Some(wrong) = anchors.get(&0).and_then(|found| {
        found
            .iter()
            .find(|(hash, _)| hash != GENESIS_HASH)
            .map(|(_, source)| *source)
    }) {
        walk.first_breach = Some(Breach {
            seq: 0,
            at: None,
            action: None,
            reason: format!("{wrong}指向空的审计链，但其哈希不是起始哈希"),
        });
        return Ok(walk);
    }
    let mut seen_keyed = false;
    let mut last_keyed = true;
    let mut last_entry: Option<Entry> = None;
    loop {
        let rows = sqlx::query("SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2")
            .bind(walk.head.seq)
            .bind(BATCH)
            .fetch_all(db)
            .await?;
        let batch_len = rows.len() as i64;
        for row in &rows {
            let entry = entry_from_row(row)?;
            let expected_seq = walk.head.seq + 1;
            let breach = if entry.record.seq != expected_seq {
                Some(Breach {
                    seq: expected_seq,
                    at: None,
                    action: None,
                    reason: format!(
                        "第{expected_seq}条记录缺失（下一条是第{}条），审计记录被删除",
                        entry.record.seq
                    ),
                })
            } else if entry.previous_hash != walk.head.hash {
                Some(named(
                    &entry,
                    "记录中的前一哈希与上一条记录不符，链条被改动".to_string(),
                ))
            } else if entry.keyed {
                (entry.record.keyed_hash(key, &walk.head.hash) != entry.hash).then(|| {
                    named(
                        &entry,
                        format!(
                            "记录内容与其密钥签名不符：记录被修改，或所用审计密钥（指纹 {}）不是写入时的密钥",
                            key.fingerprint()
                        ),
                    )
                })
            } else if seen_keyed {
                Some(named(
                    &entry,
                    "已签名的记录之后出现未签名的记录，记录被伪造".to_string(),
                ))
            } else {
                (entry.record.chain_hash(&walk.head.hash) != entry.hash)
                    .then(|| named(&entry, "记录内容与其哈希不符，记录被修改".to_string()))
            };
            let breach = breach.or_else(|| {
                anchors.get(&entry.record.seq).and_then(|found| {
                    found.iter().find(|(hash, _)| *hash != entry.hash).map(|(hash, source)| {
                        named(
                            &entry,
                            format!(
                                "记录的哈希与{source}（第{}条，哈希 {}…）不符：锚点之前的记录被改写",
                                entry.record.seq,
                                &hash[..hash.len().min(16)]
                            ),
                        )
                    })
                })
            });
            if let Some(breach) = breach {
                walk.first_breach = Some(breach);
                return Ok(walk);
            }
            seen_keyed |= entry.keyed;
            last_keyed = entry.keyed;
            walk.head = Anchor {
                seq: entry.record.seq,
                hash: entry.hash.clone(),
            };
            walk.checked += 1;
            last_entry = Some(entry);
        }
        if batch_len < BATCH {
            break;
        }
    }
    let recorded = head(db).await?;
    if recorded != walk.head {
        walk.first_breach = Some(Breach {
            seq: walk.checked + 1,
            at: None,
            action: None,
            reason: format!(
                "审计链头记录共{}条，实际只找到{}条完整记录，末尾的记录被删除或改动",
                recorded.seq, walk.checked
            ),
        });
        return Ok(walk);
    }
    if let Some((seq, found)) = anchors.range(walk.head.seq + 1..).next() {
        walk.first_breach = Some(Breach {
            seq: walk.head.seq + 1,
            at: None,
            action: None,
            reason: format!(
                "{}记到第{seq}条，但审计链只有{}条：锚点之前或之后的记录被删除",
                found[0].1, walk.head.seq
            ),
        });
        return Ok(walk);
    }
    if !last_keyed && let Some(entry) = &last_entry {
        walk.unkeyed_head = Some(named(
            entry,
            "最新的记录没有密钥签名：审计链可能被整体改写；若数据库来自旧版本，请运行 zijin audit seal 签名封存"
                .to_string(),
        ));
    }
    Ok(walk)
}

/// What sealing found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sealed {
    /// The newest entry is already signed with this key: nothing to do.
    Already,
    /// An empty log: a first entry now names the key.
    Fresh,
    /// Entries written without a key were checked and closed by a signed entry; `breach` is
    /// the first of them that did not verify (it stays visible to `audit verify`).
    Legacy {
        entries: i64,
        breach: Option<Breach>,
    },
    /// The newest entry is signed, but not with this key (or it was changed): writing on would
    /// break the chain, so nothing was written.
    KeyMismatch { seq: i64 },
    /// The newest entry is unsigned and sealing it was not allowed: nothing was written.
    LegacyRefused { seq: i64 },
}

/// Makes sure the chain's newest entry is signed with the store's key before anything else is
/// written, so two processes with different keys cannot both write to one database, and
/// entries from before keys existed are closed by a signed entry that covers their hashes.
/// `allow_legacy` permits sealing unsigned entries: only when the operator says so or the key
/// is brand new, because a writer without the key could otherwise rewrite the whole chain
/// unsigned and have it sealed at the next start.
pub async fn seal(store: &Store, at: DateTime<Utc>, allow_legacy: bool) -> StoreResult<Sealed> {
    let key = store.audit_key()?.clone();
    let mut tx = store.begin_write().await?;
    let head = lock_head(&mut tx).await?;
    let mut after = json!({"key_fingerprint": key.fingerprint()});
    let outcome = if head.seq == 0 {
        Sealed::Fresh
    } else {
        let row = sqlx::query("SELECT * FROM audit_log WHERE seq = $1")
            .bind(head.seq)
            .fetch_optional(&mut *tx)
            .await?;
        let entry = row.as_ref().map(entry_from_row).transpose()?;
        match entry {
            Some(entry) if entry.keyed => {
                let intact = entry.hash == head.hash
                    && entry.record.keyed_hash(&key, &entry.previous_hash) == entry.hash;
                return Ok(if intact {
                    Sealed::Already
                } else {
                    Sealed::KeyMismatch { seq: head.seq }
                });
            }
            _ if !allow_legacy => return Ok(Sealed::LegacyRefused { seq: head.seq }),
            _ => {
                // The head is held locked by this transaction, so the walk (on other
                // connections) sees exactly the entries being sealed.
                let walk = walk(store.pool(), &key, &[], false).await?;
                after["legacy_entries"] = json!(head.seq);
                after["legacy_head"] = json!(head.hash);
                after["legacy_breach"] = json!(walk.first_breach.as_ref().map(|b| b.seq));
                Sealed::Legacy {
                    entries: head.seq,
                    breach: walk.first_breach,
                }
            }
        }
    };
    append(
        &mut tx,
        at,
        Change {
            actor: "system:audit".into(),
            action: "audit.seal",
            entity: "audit",
            entity_id: "chain".into(),
            before: None,
            after: Some(after),
        },
    )
    .await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_are_read_as_seq_colon_hash() {
        let hash = "ab".repeat(32);
        assert_eq!(
            Anchor::parse(&format!("12:{}", hash.to_uppercase())),
            Some(Anchor {
                seq: 12,
                hash: hash.clone()
            })
        );
        assert_eq!(Anchor::parse(&format!("x:{hash}")), None);
        assert_eq!(Anchor::parse("12:abc"), None);
        assert_eq!(Anchor::parse(&format!("-1:{hash}")), None);
        let anchor = Anchor::parse(&format!("3:{hash}")).unwrap();
        assert_eq!(Anchor::parse(&anchor.to_string()), Some(anchor));
    }
}
