//! API keys (issue 20), on both backends: issuing checks its input in words; a key works for its
//! account within its scopes, at most its per-minute limit (120 unless set; counted in the
//! database, also when requests arrive at once), until it expires or is revoked.

use chrono::Duration;
use zijin_app::AppError;
use zijin_app::api_keys::{self, IssueInput, KeyRefusal};
use zijin_testkit::BACKENDS;

use super::contracts::world;

#[tokio::test]
async fn keys_work_within_their_scopes_limit_and_lifetime() {
    for backend in BACKENDS {
        let w = world(backend).await;
        let app = &w.context.app;
        let AppError::Validation(errors) = api_keys::issue(
            app,
            &w.admin,
            &IssueInput {
                username: "nobody".into(),
                note: String::new(),
                scopes: vec!["everything".into()],
                expires_on: "2020-01-01".into(),
                per_minute: Some(0),
            },
        )
        .await
        .unwrap_err() else {
            panic!("expected field errors")
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            ["username", "note", "scopes", "expires_on", "per_minute"]
        );
        assert!(matches!(
            api_keys::issue(app, &w.seller, &IssueInput::default()).await,
            Err(AppError::Forbidden)
        ));
        // Today is 2026-11-28; the key works until 2026-12-31.
        let (id, token) = api_keys::issue(
            app,
            &w.admin,
            &IssueInput {
                username: "seller".into(),
                note: "高校技术转移系统同步成果".into(),
                scopes: vec!["lists:read".into(), "提交和修改本单位的成果与需求".into()],
                expires_on: "2026-12-31".into(),
                per_minute: None,
            },
        )
        .await
        .unwrap();
        let user = api_keys::authenticate(app, &token, "POST", "/api/v1/achievements")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(user.username, "seller");
        assert_eq!(
            api_keys::authenticate(app, &token, "GET", "/api/v1/contracts")
                .await
                .unwrap(),
            Err(KeyRefusal::OutOfScope(
                "该 API 密钥没有“技术合同登记”权限".into()
            ))
        );
        assert!(matches!(
            api_keys::authenticate(app, "zjk_0000", "GET", "/api/v1/lists")
                .await
                .unwrap(),
            Err(KeyRefusal::Invalid(_))
        ));
        // 120 a minute: with 2 counted (the refusal outside the scopes too), 118 more pass — 58 of
        // them two at a time — and the next is refused (and counted).
        for _ in 0..29 {
            let (a, b) = tokio::join!(
                api_keys::authenticate(app, &token, "GET", "/api/v1/lists"),
                api_keys::authenticate(app, &token, "GET", "/api/v1/lists"),
            );
            assert!(a.unwrap().is_ok() && b.unwrap().is_ok());
        }
        for _ in 0..60 {
            assert!(
                api_keys::authenticate(app, &token, "GET", "/api/v1/lists")
                    .await
                    .unwrap()
                    .is_ok()
            );
        }
        assert_eq!(
            api_keys::authenticate(app, &token, "GET", "/api/v1/lists")
                .await
                .unwrap(),
            Err(KeyRefusal::TooMany(120))
        );
        // The next minute counts afresh.
        w.context.clock.advance(Duration::seconds(61));
        assert!(
            api_keys::authenticate(app, &token, "GET", "/api/v1/lists")
                .await
                .unwrap()
                .is_ok()
        );
        let listed = api_keys::list(app, &w.admin).await.unwrap();
        assert_eq!(listed[0].key.uses, 122);
        // After its last day it is refused; a revoked key too.
        w.context.clock.advance(Duration::days(34)); // 2027-01-01
        assert!(matches!(
            api_keys::authenticate(app, &token, "GET", "/api/v1/lists").await.unwrap(),
            Err(KeyRefusal::Invalid(ref m)) if m.contains("到期")
        ));
        assert!(matches!(
            api_keys::revoke(app, &w.admin, id, false).await,
            Err(AppError::Validation(_))
        ));
        api_keys::revoke(app, &w.admin, id, true).await.unwrap();
        assert!(matches!(
            api_keys::authenticate(app, &token, "GET", "/api/v1/lists").await.unwrap(),
            Err(KeyRefusal::Invalid(ref m)) if m.contains("吊销")
        ));
        assert!(matches!(
            api_keys::revoke(app, &w.admin, id, true).await,
            Err(AppError::WrongState(_))
        ));
    }
}

#[tokio::test]
async fn a_key_has_its_own_per_minute_limit() {
    for backend in BACKENDS {
        let w = world(backend).await;
        let app = &w.context.app;
        let (_, token) = api_keys::issue(
            app,
            &w.admin,
            &IssueInput {
                username: "seller".into(),
                note: "省级平台同步".into(),
                scopes: vec!["all".into()],
                expires_on: "2026-12-31".into(),
                per_minute: Some(3),
            },
        )
        .await
        .unwrap();
        for _ in 0..3 {
            assert!(
                api_keys::authenticate(app, &token, "GET", "/api/v1/lists")
                    .await
                    .unwrap()
                    .is_ok()
            );
        }
        assert_eq!(
            api_keys::authenticate(app, &token, "GET", "/api/v1/lists")
                .await
                .unwrap(),
            Err(KeyRefusal::TooMany(3))
        );
        let listed = api_keys::list(app, &w.admin).await.unwrap();
        assert_eq!(listed[0].key.per_minute, 3);
    }
}
