//! Storage tests. Each runs the same steps on SQLite and on PostgreSQL.

use chrono::Duration;
use serde_json::json;
use sqlx::{Executor, Row};
use zijin_domain::{
    Coded, CreditCode, District, InstitutionDetails, InstitutionProfile, InstitutionTag,
    InstitutionType, UserRole,
};
use zijin_store::institutions::{self, ListFilter, UNIQUE_CREDIT_CODE};
use zijin_store::{Backend, Store, StoreError, audit, sessions, users};
use zijin_testkit::{BACKENDS, TestDatabase, test_start_time};

fn details(
    name: &str,
    code: &str,
    kind: InstitutionType,
    district: District,
) -> InstitutionDetails {
    InstitutionDetails {
        name: name.to_string(),
        kind,
        credit_code: CreditCode::complete(code).expect("17 valid characters"),
        district,
        tags: vec![InstitutionTag::HighTechEnterprise],
        profile: InstitutionProfile {
            address: "南京市江宁区".into(),
            contact_name: "王工".into(),
            contact_phone: "025-52000000".into(),
            description: String::new(),
        },
    }
}

async fn insert_with_audit(store: &Store, details: &InstitutionDetails) -> i64 {
    let mut tx = store.begin_write().await.unwrap();
    let id = institutions::insert(&mut tx, details, false, test_start_time())
        .await
        .unwrap();
    audit::append(
        &mut tx,
        test_start_time(),
        audit::Change {
            actor: "test".into(),
            action: "institution.create",
            entity: "institution",
            entity_id: id.to_string(),
            before: None,
            after: Some(json!({"name": details.name})),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

#[tokio::test]
async fn sqlite_runs_in_wal_mode_with_foreign_keys() {
    let database = TestDatabase::new(Backend::Sqlite).await;
    assert_eq!(
        database.store.sqlite_pragma("journal_mode").await.unwrap(),
        "wal"
    );
    assert_eq!(
        database.store.sqlite_pragma("foreign_keys").await.unwrap(),
        "1"
    );
}

#[tokio::test]
async fn foreign_keys_refuse_a_user_of_a_missing_institution() {
    for backend in BACKENDS {
        let database = TestDatabase::new(backend).await;
        let mut tx = database.store.begin_write().await.unwrap();
        let result = users::insert(
            &mut tx,
            &users::NewUser {
                username: "ghost",
                display_name: "ghost",
                password_hash: "x",
                role: UserRole::InstitutionUser(999),
                is_demo: false,
            },
            test_start_time(),
        )
        .await;
        assert!(
            matches!(result, Err(StoreError::Database(_))),
            "{backend:?}: {result:?}"
        );
    }
}

#[tokio::test]
async fn institutions_round_trip_filter_and_refuse_duplicate_credit_codes() {
    for backend in BACKENDS {
        let database = TestDatabase::new(backend).await;
        let store = &database.store;
        let a = insert_with_audit(
            store,
            &details(
                "南京甲科技有限公司",
                "91320115MA1AAAAA0",
                InstitutionType::Enterprise,
                District::Jiangning,
            ),
        )
        .await;
        insert_with_audit(
            store,
            &details(
                "南京乙大学",
                "12320102MB1BBBBB0",
                InstitutionType::University,
                District::Xuanwu,
            ),
        )
        .await;
        insert_with_audit(
            store,
            &details(
                "南京丙_100%研究所",
                "12320102MB1CCCCC0",
                InstitutionType::ResearchInstitute,
                District::Xuanwu,
            ),
        )
        .await;

        let stored = institutions::get(store.pool(), a).await.unwrap().unwrap();
        assert_eq!(stored.details.name, "南京甲科技有限公司");
        assert_eq!(
            stored.details.tags,
            vec![InstitutionTag::HighTechEnterprise]
        );
        assert_eq!(stored.created_at, "2026-11-28T09:00:00.000Z");

        let filter = ListFilter {
            district: Some(District::Xuanwu),
            ..Default::default()
        };
        let page = institutions::list(store.pool(), &filter, 1, 1)
            .await
            .unwrap();
        assert_eq!(
            (page.total, page.items.len(), page.page_count()),
            (2, 1, 2),
            "{backend:?}"
        );

        // LIKE wildcards in a search are taken literally.
        let filter = ListFilter {
            name: Some("_100%".into()),
            ..Default::default()
        };
        assert_eq!(
            institutions::list(store.pool(), &filter, 1, 20)
                .await
                .unwrap()
                .total,
            1
        );
        let filter = ListFilter {
            name: Some("%".into()),
            ..Default::default()
        };
        assert_eq!(
            institutions::list(store.pool(), &filter, 1, 20)
                .await
                .unwrap()
                .total,
            1
        );
        let filter = ListFilter {
            tag: Some(InstitutionTag::HighTechEnterprise),
            ..Default::default()
        };
        assert_eq!(
            institutions::list(store.pool(), &filter, 1, 20)
                .await
                .unwrap()
                .total,
            3
        );

        let mut tx = store.begin_write().await.unwrap();
        let duplicate = details(
            "另一家",
            "91320115MA1AAAAA0",
            InstitutionType::Enterprise,
            District::Gulou,
        );
        let result = institutions::insert(&mut tx, &duplicate, false, test_start_time()).await;
        match result {
            Err(StoreError::Duplicate { constraint }) => assert_eq!(constraint, UNIQUE_CREDIT_CODE),
            other => panic!("{backend:?}: expected a duplicate, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn the_audit_log_refuses_update_and_delete() {
    for backend in BACKENDS {
        let database = TestDatabase::new(backend).await;
        insert_with_audit(
            &database.store,
            &details(
                "甲",
                "91320115MA1AAAAA0",
                InstitutionType::Enterprise,
                District::Jiangning,
            ),
        )
        .await;
        let pool = database.store.pool();
        assert!(
            pool.execute("UPDATE audit_log SET actor = 'mallory'")
                .await
                .is_err(),
            "{backend:?}"
        );
        assert!(
            pool.execute("DELETE FROM audit_log").await.is_err(),
            "{backend:?}"
        );
        assert_eq!(
            audit::verify(&database.store, &[])
                .await
                .unwrap()
                .first_breach,
            None
        );
    }
}

/// Removes the append-only triggers, as someone with direct database access could.
async fn disable_audit_protection(store: &Store) {
    let sql = match store.backend() {
        Backend::Sqlite => "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;",
        Backend::Postgres => "DROP TRIGGER audit_log_no_update ON audit_log;",
    };
    store.pool().execute(sql).await.unwrap();
}

async fn store_with_five_entries(backend: Backend) -> TestDatabase {
    let database = TestDatabase::new(backend).await;
    for (index, code) in [
        "91320115MA1AAAAA1",
        "91320115MA1AAAAA2",
        "91320115MA1AAAAA3",
        "91320115MA1AAAAA4",
        "91320115MA1AAAAA5",
    ]
    .iter()
    .enumerate()
    {
        insert_with_audit(
            &database.store,
            &details(
                &format!("机构{index}"),
                code,
                InstitutionType::Enterprise,
                District::Luhe,
            ),
        )
        .await;
    }
    database
}

#[tokio::test]
async fn verify_names_the_first_modified_or_deleted_entry() {
    for backend in BACKENDS {
        let database = store_with_five_entries(backend).await;
        let verification = audit::verify(&database.store, &[]).await.unwrap();
        assert_eq!(
            (verification.entries_checked, verification.first_breach),
            (5, None)
        );
        disable_audit_protection(&database.store).await;
        database
            .store
            .pool()
            .execute("UPDATE audit_log SET after_json = '{\"name\":\"篡改\"}' WHERE seq = 3")
            .await
            .unwrap();
        let breach = audit::verify(&database.store, &[])
            .await
            .unwrap()
            .first_breach
            .unwrap();
        assert_eq!(breach.seq, 3, "{backend:?}");
        assert!(breach.reason.contains("修改"), "{}", breach.reason);

        let database = store_with_five_entries(backend).await;
        disable_audit_protection(&database.store).await;
        database
            .store
            .pool()
            .execute("DELETE FROM audit_log WHERE seq = 2")
            .await
            .unwrap();
        let breach = audit::verify(&database.store, &[])
            .await
            .unwrap()
            .first_breach
            .unwrap();
        assert_eq!(breach.seq, 2, "{backend:?}");
        assert!(breach.reason.contains("删除"), "{}", breach.reason);

        let database = store_with_five_entries(backend).await;
        disable_audit_protection(&database.store).await;
        database
            .store
            .pool()
            .execute("DELETE FROM audit_log WHERE seq = 5")
            .await
            .unwrap();
        let breach = audit::verify(&database.store, &[])
            .await
            .unwrap()
            .first_breach
            .unwrap();
        assert_eq!(
            breach.seq, 5,
            "{backend:?}: deleting the newest entry is caught too"
        );
    }
}

#[tokio::test]
async fn concurrent_writers_extend_one_unbroken_chain() {
    for backend in BACKENDS {
        let database = TestDatabase::new(backend).await;
        let mut tasks = Vec::new();
        for index in 0..16 {
            let store = database.store.clone();
            tasks.push(tokio::spawn(async move {
                let code = format!("91320115MA1AB{:04}", index);
                insert_with_audit(
                    &store,
                    &details(
                        &format!("并发{index}"),
                        &code,
                        InstitutionType::Enterprise,
                        District::Gaochun,
                    ),
                )
                .await
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let verification = audit::verify(&database.store, &[]).await.unwrap();
        assert_eq!(
            (verification.entries_checked, verification.first_breach),
            (16, None),
            "{backend:?}"
        );
    }
}

#[tokio::test]
async fn sessions_expire() {
    for backend in BACKENDS {
        let database = TestDatabase::new(backend).await;
        let pool = database.store.pool();
        let mut tx = database.store.begin_write().await.unwrap();
        let user = users::insert(
            &mut tx,
            &users::NewUser {
                username: "admin",
                display_name: "管理员",
                password_hash: "x",
                role: UserRole::Admin,
                is_demo: false,
            },
            test_start_time(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let now = test_start_time();
        sessions::create(pool, "hash", user, "csrf", now, now + Duration::hours(1))
            .await
            .unwrap();
        let (found, csrf) = sessions::find(pool, "hash", now).await.unwrap().unwrap();
        assert_eq!((found.username.as_str(), csrf.as_str()), ("admin", "csrf"));
        assert!(
            sessions::find(pool, "hash", now + Duration::hours(2))
                .await
                .unwrap()
                .is_none()
        );
        assert!(sessions::find(pool, "other", now).await.unwrap().is_none());
        assert_eq!(
            sessions::delete_expired(pool, now + Duration::hours(2))
                .await
                .unwrap(),
            1
        );
    }
}

/// The same scenario on both backends gives the same observable results.
#[tokio::test]
async fn both_backends_agree_on_the_same_scenario() {
    async fn scenario(backend: Backend) -> Vec<String> {
        let database = TestDatabase::new(backend).await;
        let store = &database.store;
        let mut observed = Vec::new();
        for (index, district) in District::ALL.iter().enumerate() {
            let code = format!("91320115MA1AC{:04}", index);
            let kind = InstitutionType::ALL[index % InstitutionType::ALL.len()];
            insert_with_audit(
                store,
                &details(&format!("机构{index:02}"), &code, kind, *district),
            )
            .await;
        }
        for district in [District::Jiangning, District::Xuanwu] {
            let page = institutions::list(
                store.pool(),
                &ListFilter {
                    district: Some(district),
                    ..Default::default()
                },
                1,
                5,
            )
            .await
            .unwrap();
            observed.push(format!(
                "{:?}",
                page.items
                    .iter()
                    .map(|i| (&i.details.name, i.details.credit_code.as_str()))
                    .collect::<Vec<_>>()
            ));
        }
        let all = institutions::list(store.pool(), &ListFilter::default(), 2, 5)
            .await
            .unwrap();
        observed.push(format!(
            "{} {:?}",
            all.total,
            all.items.iter().map(|i| i.id).collect::<Vec<_>>()
        ));
        observed.push(format!(
            "{:?}",
            institutions::count_by_kind(store.pool()).await.unwrap()
        ));
        let entries = audit::list(
            store.pool(),
            &audit::ListFilter {
                entity_id: Some("3".into()),
                ..Default::default()
            },
            1,
            10,
        )
        .await
        .unwrap();
        observed.push(format!("{:?}", entries.items));
        let row = sqlx::query("SELECT seq, hash FROM audit_head")
            .fetch_one(store.pool())
            .await
            .unwrap();
        observed.push(format!(
            "{} {}",
            row.get::<i64, _>("seq"),
            row.get::<String, _>("hash")
        ));
        observed
    }
    let sqlite = scenario(Backend::Sqlite).await;
    let postgres = scenario(Backend::Postgres).await;
    assert_eq!(sqlite, postgres);
    assert!(sqlite[0].contains("机构07"), "{}", sqlite[0]);
}

/// An issue of `n` entries, published; entry i has field `fields[i % 3]`, district by i % 2,
/// TRL i % 9 + 1 and mode "licence" when i is even.
async fn published_issue(store: &Store, n: i64) -> i64 {
    use zijin_domain::RecordKind;
    use zijin_store::lists::{self, Entry};
    let fields = ["new-energy", "biomedicine", "new-materials"];
    let mut tx = store.begin_write().await.unwrap();
    let issue = lists::open_issue(&mut tx, "2026年第9期", test_start_time())
        .await
        .unwrap();
    let entries: Vec<Entry> = (1..=n)
        .map(|i| Entry {
            kind: RecordKind::Achievement,
            // Gaps in the ids, as after withdrawals.
            record_id: i * 3,
            title: format!("成果{i}"),
            field: fields[(i % 3) as usize].into(),
            district: if i % 2 == 0 { "jiangning" } else { "qixia" }.into(),
            institution_kind: "university".into(),
            trl: Some(i % 9 + 1),
            modes: if i % 2 == 0 {
                vec!["licence".into()]
            } else {
                vec!["assignment".into()]
            },
            priority: i % 10 == 0,
            snapshot: "{}".into(),
            snapshot_hash: format!("h{i}"),
        })
        .collect();
    lists::insert_entries(&mut tx, issue, &entries)
        .await
        .unwrap();
    lists::mark_published(&mut tx, issue, test_start_time())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    issue
}

#[tokio::test]
async fn list_pages_walk_by_cursor_and_count_from_publication() {
    use zijin_domain::RecordKind;
    use zijin_store::lists::{self, EntryFilter, PageAt};
    for backend in BACKENDS {
        let database = TestDatabase::new(backend).await;
        let store = &database.store;
        let issue = published_issue(store, 95).await;
        let pool = store.pool();
        let page = |at: PageAt, filter: EntryFilter| async move {
            lists::entries(pool, issue, RecordKind::Achievement, &filter, at, 20)
                .await
                .unwrap()
        };
        let ids = |p: &lists::EntryPage| p.items.iter().map(|e| e.record_id).collect::<Vec<_>>();

        // Forward through every page by cursor: all 95 entries once, in order.
        let mut seen = Vec::new();
        let mut at = PageAt::Number(1);
        loop {
            let current = page(at, EntryFilter::default()).await;
            assert_eq!(current.total, 95, "{backend:?}");
            assert!(!current.total_is_lower_bound);
            seen.extend(ids(&current));
            if !current.has_next {
                break;
            }
            at = PageAt::After(current.items.last().unwrap().record_id);
        }
        assert_eq!(
            seen,
            (1..=95).map(|i| i * 3).collect::<Vec<_>>(),
            "{backend:?}"
        );

        // The last page, then back one page.
        let last = page(PageAt::Before(i64::MAX), EntryFilter::default()).await;
        assert_eq!(ids(&last), (76..=95).map(|i| i * 3).collect::<Vec<_>>());
        assert!(last.has_previous && !last.has_next);
        let before_last = page(PageAt::Before(76 * 3), EntryFilter::default()).await;
        assert_eq!(
            ids(&before_last),
            (56..=75).map(|i| i * 3).collect::<Vec<_>>()
        );
        assert!(before_last.has_previous && before_last.has_next);
        let first = page(PageAt::Before(21 * 3), EntryFilter::default()).await;
        assert_eq!(ids(&first), (1..=20).map(|i| i * 3).collect::<Vec<_>>());
        assert!(!first.has_previous && first.has_next, "{backend:?}");
        // By number, as scripts page.
        let third = page(PageAt::Number(3), EntryFilter::default()).await;
        assert_eq!(ids(&third), (41..=60).map(|i| i * 3).collect::<Vec<_>>());
        assert_eq!((third.page, third.page_count()), (Some(3), Some(5)));

        // One filter: the count taken at publication equals a real count.
        let by_field = EntryFilter {
            field: Some("biomedicine".into()),
            ..Default::default()
        };
        let filtered = page(PageAt::Number(1), by_field).await;
        assert_eq!(
            filtered.total,
            (1..=95).filter(|i| i % 3 == 1).count() as i64
        );
        assert!(filtered.items.iter().all(|e| e.field == "biomedicine"));
        for (filter, expected) in [
            (
                EntryFilter {
                    trl_range: Some((7, 9)),
                    ..Default::default()
                },
                (1..=95).filter(|i| (7..=9).contains(&(i % 9 + 1))).count(),
            ),
            (
                EntryFilter {
                    mode: Some("licence".into()),
                    ..Default::default()
                },
                47,
            ),
            (
                EntryFilter {
                    priority_only: true,
                    ..Default::default()
                },
                9,
            ),
            (
                EntryFilter {
                    district: Some("jiangning".into()),
                    ..Default::default()
                },
                47,
            ),
        ] {
            let counted = page(PageAt::Number(1), filter.clone()).await;
            assert_eq!(counted.total, expected as i64, "{backend:?}: {filter:?}");
            assert!(!counted.total_is_lower_bound);
        }
        // Two filters together: counted on the spot, exactly (far below the limit).
        let combined = EntryFilter {
            field: Some("biomedicine".into()),
            district: Some("jiangning".into()),
            ..Default::default()
        };
        let both = page(PageAt::Number(1), combined).await;
        assert_eq!(
            both.total,
            (1..=95).filter(|i| i % 3 == 1 && i % 2 == 0).count() as i64
        );
        assert!(!both.total_is_lower_bound);
        // A filter with no match.
        let none = page(
            PageAt::Number(1),
            EntryFilter {
                field: Some("future-industries".into()),
                ..Default::default()
            },
        )
        .await;
        assert_eq!((none.total, none.items.len(), none.has_next), (0, 0, false));
    }
}

#[tokio::test]
async fn counts_of_uncounted_combinations_stop_at_the_limit() {
    use zijin_domain::RecordKind;
    use zijin_store::lists::{self, COUNT_LIMIT, EntryFilter, PageAt};
    for backend in BACKENDS {
        let database = TestDatabase::new(backend).await;
        let issue = published_issue(&database.store, COUNT_LIMIT + 50).await;
        let searching = EntryFilter {
            title: Some("成果".into()),
            ..Default::default()
        };
        let page = lists::entries(
            database.store.pool(),
            issue,
            RecordKind::Achievement,
            &searching,
            PageAt::Number(1),
            20,
        )
        .await
        .unwrap();
        assert_eq!(
            (page.total, page.total_is_lower_bound, page.page_count()),
            (COUNT_LIMIT, true, None),
            "{backend:?}"
        );
        assert!(page.has_next);
    }
}

#[tokio::test]
async fn racing_processes_agree_on_one_server_secret() {
    for backend in BACKENDS {
        let database = TestDatabase::new(backend).await;
        let mut tasks = Vec::new();
        for index in 0..8 {
            let store = database.store.clone();
            tasks.push(tokio::spawn(async move {
                zijin_store::secrets::get_or_create(
                    &store,
                    "flash",
                    &format!("candidate-{index}"),
                    test_start_time(),
                )
                .await
                .unwrap()
            }));
        }
        let mut secrets = Vec::new();
        for task in tasks {
            secrets.push(task.await.unwrap());
        }
        assert!(
            secrets.iter().all(|secret| secret == &secrets[0]),
            "{backend:?}: {secrets:?}"
        );
        assert!(secrets[0].starts_with("candidate-"));
        let again = zijin_store::secrets::get_or_create(
            &database.store,
            "flash",
            "a later candidate",
            test_start_time(),
        )
        .await
        .unwrap();
        assert_eq!(again, secrets[0], "{backend:?}: never rewritten");
        assert_eq!(
            zijin_store::secrets::find(database.store.pool(), "other")
                .await
                .unwrap(),
            None
        );
    }
}
