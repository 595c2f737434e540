//! The keyed audit chain against someone who can write the database but does not hold the key.
//! Each test runs on SQLite and on PostgreSQL; the attacker drops the append-only triggers as
//! anyone with direct database access could.

use serde_json::json;
use sqlx::{Executor, Row};
use zijin_domain::{AuditKey, AuditRecord, GENESIS_HASH};
use zijin_store::audit::{self, Anchor, Sealed};
use zijin_store::{Backend, Store};
use zijin_testkit::{BACKENDS, TestDatabase, test_audit_key, test_start_time};

/// Appends `count` entries, each in its own transaction as use cases do.
async fn append(store: &Store, count: usize) {
    for _ in 0..count {
        let mut tx = store.begin_write().await.unwrap();
        let head = audit::head(&mut *tx).await.unwrap();
        audit::append(
            &mut tx,
            test_start_time(),
            audit::Change {
                actor: "user:1:admin".into(),
                action: "institution.update",
                entity: "institution",
                entity_id: (head.seq + 1).to_string(),
                before: Some(json!({"name": format!("机构{}", head.seq)})),
                after: Some(json!({"name": format!("机构{}", head.seq + 1)})),
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
}

async fn anchor_now(store: &Store) -> Anchor {
    let mut tx = store.begin_write().await.unwrap();
    let anchor = audit::record_anchor(&mut tx, test_start_time(), "verify", None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    anchor
}

async fn drop_protection(store: &Store) {
    let sql = match store.backend() {
        Backend::Sqlite => "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;",
        Backend::Postgres => "DROP TRIGGER audit_log_no_update ON audit_log;",
    };
    store.pool().execute(sql).await.unwrap();
}

fn record(row: &sqlx::any::AnyRow) -> AuditRecord {
    AuditRecord {
        seq: row.get("seq"),
        at: row.get("at"),
        actor: row.get("actor"),
        action: row.get("action"),
        entity: row.get("entity"),
        entity_id: row.get("entity_id"),
        before: row.get("before_json"),
        after: row.get("after_json"),
    }
}

/// How the attacker rehashes the entries they rewrite.
#[derive(Debug, Clone, Copy)]
enum Forgery {
    /// The old unkeyed scheme, marking the entries as written before keys existed.
    Plain,
    /// HMAC under a key of the attacker's own.
    OwnKey,
}

/// Rewrites every entry from `from` on: `edit` changes the content, then each hash (and the
/// next entry's previous hash, and the head) is recomputed so the chain is consistent.
async fn rewrite(store: &Store, from: i64, forgery: Forgery, edit: impl Fn(&mut AuditRecord)) {
    let pool = store.pool();
    let mut previous: String = if from == 1 {
        GENESIS_HASH.to_string()
    } else {
        sqlx::query("SELECT hash FROM audit_log WHERE seq = $1")
            .bind(from - 1)
            .fetch_one(pool)
            .await
            .unwrap()
            .get("hash")
    };
    let rows = sqlx::query("SELECT * FROM audit_log WHERE seq >= $1 ORDER BY seq")
        .bind(from)
        .fetch_all(pool)
        .await
        .unwrap();
    let attacker = AuditKey::from_bytes([0x66; 32]);
    for row in &rows {
        let mut entry = record(row);
        edit(&mut entry);
        let (hash, keyed) = match forgery {
            Forgery::Plain => (entry.chain_hash(&previous), 0),
            Forgery::OwnKey => (entry.keyed_hash(&attacker, &previous), 1),
        };
        sqlx::query(
            "UPDATE audit_log SET actor = $1, after_json = $2, previous_hash = $3, hash = $4, keyed = $5 WHERE seq = $6",
        )
        .bind(&entry.actor)
        .bind(&entry.after)
        .bind(&previous)
        .bind(&hash)
        .bind(keyed as i64)
        .bind(entry.seq)
        .execute(pool)
        .await
        .unwrap();
        previous = hash;
    }
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&previous)
        .execute(pool)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_normal_log_verifies_signed_and_against_its_anchors() {
    for backend in BACKENDS {
        let database = TestDatabase::new(backend).await;
        let store = &database.store;
        let empty = audit::verify(store, &[]).await.unwrap();
        assert_eq!(
            (empty.entries_checked, empty.first_breach, empty.head.seq),
            (0, None, 0)
        );
        append(store, 10).await;
        let anchor = anchor_now(store).await;
        assert_eq!(anchor.seq, 10, "{backend:?}");
        append(store, 5).await;
        let verification = audit::verify(store, std::slice::from_ref(&anchor))
            .await
            .unwrap();
        assert_eq!(verification.first_breach, None, "{backend:?}");
        assert_eq!(verification.entries_checked, 15);
        assert_eq!(verification.head.seq, 15);
        assert_eq!(verification.anchors_checked, 2, "stored and given");
        let entries = audit::list(store.pool(), &Default::default(), 1, 100)
            .await
            .unwrap();
        assert!(entries.items.iter().all(|entry| entry.keyed), "{backend:?}");
    }
}

#[tokio::test]
async fn changing_an_entry_and_recomputing_every_later_hash_is_detected() {
    for backend in BACKENDS {
        for forgery in [Forgery::Plain, Forgery::OwnKey] {
            let database = TestDatabase::new(backend).await;
            let store = &database.store;
            append(store, 12).await;
            drop_protection(store).await;
            rewrite(store, 5, forgery, |entry| {
                if entry.seq == 5 {
                    entry.after = Some(r#"{"name":"篡改"}"#.into());
                }
            })
            .await;
            let breach = audit::verify(store, &[])
                .await
                .unwrap()
                .first_breach
                .unwrap_or_else(|| panic!("{backend:?} {forgery:?}: forgery passed"));
            assert_eq!(breach.seq, 5, "{backend:?} {forgery:?}: {breach:?}");
            assert_eq!(breach.action.as_deref(), Some("institution.update"));
            assert_eq!(breach.at.as_deref(), Some("2026-11-28T09:00:00.000Z"));
            let expected = match forgery {
                Forgery::Plain => "未签名",
                Forgery::OwnKey => "密钥签名不符",
            };
            assert!(breach.reason.contains(expected), "{}", breach.reason);
        }

        // The whole chain rewritten without signatures: nothing signed is left to compare,
        // but an unsigned head is itself refused, and a start-up does not seal it.
        let database = TestDatabase::new(backend).await;
        let store = &database.store;
        append(store, 6).await;
        drop_protection(store).await;
        rewrite(store, 1, Forgery::Plain, |entry| {
            entry.actor = "user:9:mallory".into();
        })
        .await;
        let breach = audit::verify(store, &[])
            .await
            .unwrap()
            .first_breach
            .expect("an unsigned head is refused");
        assert!(breach.reason.contains("没有密钥签名"), "{}", breach.reason);
        assert_eq!(
            audit::seal(store, test_start_time(), false).await.unwrap(),
            Sealed::LegacyRefused { seq: 6 },
            "{backend:?}"
        );
    }
}

#[tokio::test]
async fn cutting_off_the_newest_entries_is_detected_against_an_anchor() {
    for backend in BACKENDS {
        let database = TestDatabase::new(backend).await;
        let store = &database.store;
        append(store, 25).await;
        let published = anchor_now(store).await;
        append(store, 5).await;
        let kept_outside = anchor_now(store).await;
        assert_eq!((published.seq, kept_outside.seq), (25, 30));
        drop_protection(store).await;
        // Delete the last 20 entries and point the head at the new last one: every remaining
        // hash is genuine.
        store
            .pool()
            .execute("DELETE FROM audit_log WHERE seq > 10")
            .await
            .unwrap();
        let tenth: String = sqlx::query("SELECT hash FROM audit_log WHERE seq = 10")
            .fetch_one(store.pool())
            .await
            .unwrap()
            .get("hash");
        sqlx::query("UPDATE audit_head SET seq = 10, hash = $1 WHERE id = 1")
            .bind(&tenth)
            .execute(store.pool())
            .await
            .unwrap();
        let breach = audit::verify(store, &[])
            .await
            .unwrap()
            .first_breach
            .expect("the stored anchors catch the cut");
        assert_eq!(breach.seq, 11, "{backend:?}: {breach:?}");
        assert!(breach.reason.contains("锚点"), "{}", breach.reason);

        // The attacker empties the anchor table too: the chain alone looks whole, and only
        // the anchor kept outside the database proves the cut.
        store
            .pool()
            .execute("DELETE FROM audit_anchors")
            .await
            .unwrap();
        let alone = audit::verify(store, &[]).await.unwrap();
        assert_eq!(alone.first_breach, None, "{backend:?}");
        let breach = audit::verify(store, &[kept_outside])
            .await
            .unwrap()
            .first_breach
            .expect("the kept anchor catches the cut");
        assert_eq!(breach.seq, 11, "{backend:?}: {breach:?}");
        assert!(breach.reason.contains("给定的锚点"), "{}", breach.reason);

        // An anchor whose entry has another hash now names that entry.
        let wrong = Anchor {
            seq: 4,
            hash: "ab".repeat(32),
        };
        let breach = audit::verify(store, &[wrong])
            .await
            .unwrap()
            .first_breach
            .unwrap();
        assert_eq!(breach.seq, 4, "{backend:?}");
    }
}

#[tokio::test]
async fn a_wrong_key_is_detected_and_refused_at_start() {
    for backend in BACKENDS {
        let database = TestDatabase::new(backend).await;
        let store = &database.store;
        append(store, 3).await;
        let other = AuditKey::from_bytes([0x11; 32]);
        let breach = audit::verify_with_key(store.pool(), &other, &[])
            .await
            .unwrap()
            .first_breach
            .expect("entries signed with another key");
        assert_eq!(breach.seq, 1, "{backend:?}");
        assert!(breach.reason.contains("审计密钥"), "{}", breach.reason);

        // A second process with another key may not write on: its entries would break the
        // chain for both keys.
        let foreign = Store::connect(&database.url)
            .await
            .unwrap()
            .with_audit_key(other);
        assert_eq!(
            audit::seal(&foreign, test_start_time(), true)
                .await
                .unwrap(),
            Sealed::KeyMismatch { seq: 3 },
            "{backend:?}"
        );
        assert_eq!(
            audit::seal(store, test_start_time(), false).await.unwrap(),
            Sealed::Already
        );
        let verification = audit::verify(store, &[]).await.unwrap();
        assert_eq!(
            (verification.entries_checked, verification.first_breach),
            (3, None),
            "nothing was written by the refused process"
        );
        foreign.close().await;
    }
}

/// Writes `count` entries as a version without keys did: plain hashes, `keyed = 0`.
async fn write_unkeyed(store: &Store, count: i64) {
    let mut previous = GENESIS_HASH.to_string();
    for seq in 1..=count {
        let entry = AuditRecord {
            seq,
            at: "2026-11-01T08:00:00.000Z".into(),
            actor: "system:cli".into(),
            action: "institution.create".into(),
            entity: "institution".into(),
            entity_id: seq.to_string(),
            before: None,
            after: Some(format!(r#"{{"name":"旧机构{seq}"}}"#)),
        };
        let hash = entry.chain_hash(&previous);
        sqlx::query(
            "INSERT INTO audit_log (seq, at, actor, action, entity, entity_id, before_json, after_json, previous_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(seq)
        .bind(&entry.at)
        .bind(&entry.actor)
        .bind(&entry.action)
        .bind(&entry.entity)
        .bind(&entry.entity_id)
        .bind(&entry.before)
        .bind(&entry.after)
        .bind(&previous)
        .bind(&hash)
        .execute(store.pool())
        .await
        .unwrap();
        previous = hash;
    }
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(count)
        .bind(&previous)
        .execute(store.pool())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_log_from_before_keys_is_sealed_and_then_protected() {
    for backend in BACKENDS {
        let database = TestDatabase::new(backend).await;
        let store = &database.store;
        write_unkeyed(store, 5).await;
        assert_eq!(
            audit::seal(store, test_start_time(), false).await.unwrap(),
            Sealed::LegacyRefused { seq: 5 },
            "{backend:?}: sealing unsigned entries needs the operator's word"
        );
        assert_eq!(
            audit::seal(store, test_start_time(), true).await.unwrap(),
            Sealed::Legacy {
                entries: 5,
                breach: None
            },
            "{backend:?}"
        );
        append(store, 2).await;
        let verification = audit::verify(store, &[]).await.unwrap();
        assert_eq!(
            (verification.entries_checked, verification.first_breach),
            (8, None),
            "{backend:?}"
        );
        let seal = audit::list(
            store.pool(),
            &audit::ListFilter {
                action: Some("audit.seal".into()),
                ..Default::default()
            },
            1,
            10,
        )
        .await
        .unwrap();
        assert_eq!(seal.items.len(), 1);
        assert!(seal.items[0].keyed);
        assert_eq!(
            seal.items[0]
                .record
                .after
                .as_deref()
                .map(|after| after.contains(&format!(
                    "\"key_fingerprint\":\"{}\"",
                    test_audit_key().fingerprint()
                ))),
            Some(true)
        );

        // Rewriting an old entry and every old hash after it no longer passes: the signed
        // seal covers the old head.
        drop_protection(store).await;
        store
            .pool()
            .execute("UPDATE audit_log SET after_json = '{\"name\":\"篡改\"}' WHERE seq = 2")
            .await
            .unwrap();
        let rows = sqlx::query("SELECT * FROM audit_log WHERE seq BETWEEN 2 AND 5 ORDER BY seq")
            .fetch_all(store.pool())
            .await
            .unwrap();
        let mut previous: String = sqlx::query("SELECT hash FROM audit_log WHERE seq = 1")
            .fetch_one(store.pool())
            .await
            .unwrap()
            .get("hash");
        for row in &rows {
            let entry = record(row);
            let hash = entry.chain_hash(&previous);
            sqlx::query("UPDATE audit_log SET previous_hash = $1, hash = $2 WHERE seq = $3")
                .bind(&previous)
                .bind(&hash)
                .bind(entry.seq)
                .execute(store.pool())
                .await
                .unwrap();
            previous = hash;
        }
        let breach = audit::verify(store, &[])
            .await
            .unwrap()
            .first_breach
            .expect("the seal no longer matches");
        assert_eq!(breach.seq, 6, "{backend:?}: the seal names the old head");
        assert_eq!(breach.action.as_deref(), Some("audit.seal"));
    }
}

#[tokio::test]
async fn a_fresh_log_is_sealed_once() {
    for backend in BACKENDS {
        let database = TestDatabase::new(backend).await;
        let store = &database.store;
        assert_eq!(
            audit::seal(store, test_start_time(), false).await.unwrap(),
            Sealed::Fresh
        );
        assert_eq!(
            audit::seal(store, test_start_time(), false).await.unwrap(),
            Sealed::Already
        );
        let verification = audit::verify(store, &[]).await.unwrap();
        assert_eq!(
            (verification.entries_checked, verification.first_breach),
            (1, None),
            "{backend:?}"
        );
    }
}
