//! The review queue pages (issue 16/17): 50 a page, the longest waiting first, the total, and
//! only the officer's own district — on both backends.

use std::collections::BTreeMap;

use zijin_app::Actor;
use zijin_app::applications::{self, CallInput, calls};
use zijin_app::users::{self, NewUserInput};
use zijin_domain::{Coded, CreditCode, District};
use zijin_testkit::{BACKENDS, TestContext};

const MEASURE: &str = "a18-empowerment";

/// `n` institutions of `district`, each with one application waiting at 区级初审推荐, the k-th
/// last touched k minutes after 08:00 (written straight into the tables: the queue is what is
/// tested, not filing).
async fn waiting(
    app: &zijin_app::App,
    call: i64,
    district: District,
    first: usize,
    n: usize,
) -> Vec<i64> {
    let mut tx = app.store().begin_write().await.unwrap();
    let mut ids = Vec::new();
    for k in first..first + n {
        let code = CreditCode::complete(&format!("91320115MA{k:07}")).unwrap();
        let institution: i64 = sqlx::query_scalar(
            "INSERT INTO institutions (name, kind, credit_code, district, created_at, updated_at) \
             VALUES ($1, 'university', $2, $3, $4, $4) RETURNING id",
        )
        .bind(format!("排队单位{k:03}"))
        .bind(code.as_str())
        .bind(district.code())
        .bind("2026-11-30T00:00:00.000Z")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        // Touched in the reverse order of creation, so "longest waiting" is not "first made".
        let touched = format!(
            "2026-12-01T{:02}:{:02}:00.000Z",
            8 + (200 - k) / 60,
            (200 - k) % 60
        );
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO applications (call_id, measure_id, institution_id, status, step, facts, \
             eligible, amount_fen, trace, reasons, policy_hash, integrity_accepted, created_at, \
             updated_at, submitted_at) VALUES ($1, $2, $3, 'in_review', 'district', \
             '{\"pilot_unit\": true, \"empowered_count\": 1}', 1, 5000000, '[]', '[]', 'test', 1, \
             $4, $4, $4) RETURNING id",
        )
        .bind(call)
        .bind(MEASURE)
        .bind(institution)
        .bind(&touched)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        ids.push(id);
    }
    tx.commit().await.unwrap();
    ids
}

#[tokio::test]
async fn the_queue_pages_fifty_at_a_time_longest_waiting_first() {
    for backend in BACKENDS {
        let context = TestContext::new(backend).await;
        let app = context
            .app
            .clone()
            .with_policies(zijin_testkit::shipped_policies());
        let system = Actor::System("test");
        let call = calls::create(
            &app,
            &system,
            &CallInput {
                title: "排队测试".into(),
                measures: vec![MEASURE.into()],
                opens: "2026-11-28T08:00:00+08:00".into(),
                closes: "2026-12-18T17:00:00+08:00".into(),
                budgets: BTreeMap::from([(MEASURE.to_string(), "100000000".to_string())]),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .call
        .id;
        let here = waiting(&app, call, District::Jiangning, 0, 60).await;
        waiting(&app, call, District::Gulou, 100, 5).await;
        let officer = Actor::User(
            users::create(
                &app,
                &system,
                &NewUserInput {
                    username: "jiangning",
                    display_name: "江宁区",
                    password: "Secret-pass-1",
                    role: "district",
                    responsible_unit: "",
                    district: "江宁区",
                    institution_id: None,
                },
            )
            .await
            .unwrap(),
        );
        let first = applications::list_page(&app, &officer, 1).await.unwrap();
        let second = applications::list_page(&app, &officer, 2).await.unwrap();
        assert_eq!(
            (
                first.total,
                first.page_count(),
                first.items.len(),
                second.items.len()
            ),
            (60, 2, 50, 10),
            "{backend:?}"
        );
        // The last made was touched first: it waits longest and leads the queue.
        let order: Vec<i64> = first
            .items
            .iter()
            .chain(&second.items)
            .map(|a| a.id)
            .collect();
        let mut expected = here.clone();
        expected.reverse();
        assert_eq!(order, expected, "{backend:?}");
        // A page past the end is empty, not an error; page 0 reads as page 1.
        assert!(
            applications::list_page(&app, &officer, 3)
                .await
                .unwrap()
                .items
                .is_empty()
        );
        assert_eq!(
            applications::list_page(&app, &officer, 0)
                .await
                .unwrap()
                .items[0]
                .id,
            expected[0]
        );
    }
}
