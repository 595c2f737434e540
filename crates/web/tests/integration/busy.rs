//! A web write made while another writer holds the database (a CLI bulk import, say) waits
//! and succeeds; one that cannot get the lock in time is answered 503 "系统繁忙，请稍后重试"
//! in Chinese — never 500 "database is locked".

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use serde_json::{Value, json};
use zijin_app::{App, Backend, Store, StoreOptions};
use zijin_testkit::{BACKENDS, TestServer, spawn_app};

use super::{VALID_CODE, add_user, api_login, count, institution_form, log_in, other_code};

/// Takes the write lock every audited write needs, from a pool of its own (as another process
/// would): SQLite's write lock (`BEGIN IMMEDIATE`), PostgreSQL's lock on the audit head row.
/// Commits after `hold`, in the background.
async fn hold_the_write_lock(server: &TestServer, hold: Duration) -> tokio::task::JoinHandle<()> {
    let other = Store::connect(&server.context.database.url).await.unwrap();
    let mut tx = other.begin_write().await.unwrap();
    if other.backend() == Backend::Postgres {
        sqlx::query("SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    }
    tokio::spawn(async move {
        tokio::time::sleep(hold).await;
        tx.commit().await.unwrap();
        other.close().await;
    })
}

/// The same platform as `server`, on the same database, but giving up on a lock after
/// `lock_wait`: a second server process configured impatiently.
async fn impatient_server(server: &TestServer, lock_wait: Duration) -> String {
    let store = Store::connect_with(&server.context.database.url, StoreOptions { lock_wait })
        .await
        .unwrap();
    let app = App::new(store, server.context.clock.clone());
    let router = zijin_web::router(app, zijin_web::WebConfig::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    address
}

#[tokio::test]
async fn a_web_write_waits_for_a_bulk_writer_and_succeeds() {
    for backend in BACKENDS {
        let server = spawn_app(backend).await;
        add_user(&server, "admin", "admin", "", "", None).await;
        let (client, csrf) = api_login(&server, "admin").await;
        // Longer than the 10 s SQLite waited before, within the 30 s it waits now.
        let hold = Duration::from_secs(12);
        let holder = hold_the_write_lock(&server, hold).await;
        let started = Instant::now();
        let created = client
            .post(server.url("/api/v1/institutions"))
            .header("x-csrf-token", &csrf)
            .json(&json!({"name": "南京紫峰科技有限公司", "kind": "enterprise", "credit_code": VALID_CODE, "district": "江宁区"}))
            .send()
            .await
            .unwrap();
        let waited = started.elapsed();
        let status = created.status();
        let body = created.text().await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{backend:?}: {body}");
        assert!(
            waited >= hold - Duration::from_secs(1),
            "{backend:?}: the write waited for the lock ({waited:?})"
        );
        holder.await.unwrap();
        assert_eq!(count(&server, "institutions").await, 1, "{backend:?}");
    }
}

#[tokio::test]
async fn a_write_that_cannot_get_the_lock_is_answered_busy_in_chinese() {
    for backend in BACKENDS {
        let server = spawn_app(backend).await;
        add_user(&server, "admin", "admin", "", "", None).await;
        // Sessions live in the database, so both servers know these sign-ins.
        let (api, api_csrf) = api_login(&server, "admin").await;
        let (pages, page_csrf) = log_in(&server, "admin").await;
        let impatient = impatient_server(&server, Duration::from_millis(500)).await;
        let (institutions, audit) = (
            count(&server, "institutions").await,
            count(&server, "audit_log").await,
        );
        let holder = hold_the_write_lock(&server, Duration::from_secs(4)).await;

        let refused = api
            .post(format!("{impatient}/api/v1/institutions"))
            .header("x-csrf-token", &api_csrf)
            .json(&json!({"name": "南京紫峰科技有限公司", "kind": "enterprise", "credit_code": VALID_CODE, "district": "江宁区"}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            refused.status(),
            StatusCode::SERVICE_UNAVAILABLE,
            "{backend:?}"
        );
        assert_eq!(refused.headers()[CONTENT_TYPE], "application/problem+json");
        assert!(refused.headers().contains_key(RETRY_AFTER), "{backend:?}");
        let problem: Value = refused.json().await.unwrap();
        assert_eq!(problem["code"], "busy", "{backend:?}: {problem}");
        assert_eq!(problem["title"], "系统繁忙，请稍后重试");
        assert!(
            problem["detail"].as_str().unwrap().contains("稍后重试"),
            "{problem}"
        );

        let page = pages
            .post(format!("{impatient}/admin/institutions"))
            .form(&institution_form(&page_csrf, "南京乙公司", &other_code()))
            .send()
            .await
            .unwrap();
        assert_eq!(
            page.status(),
            StatusCode::SERVICE_UNAVAILABLE,
            "{backend:?}"
        );
        assert!(page.headers().contains_key(RETRY_AFTER));
        let html = page.text().await.unwrap();
        assert!(html.contains("系统繁忙，请稍后重试"), "{backend:?}: {html}");
        assert!(
            !html.contains("database is locked") && !html.contains("lock timeout"),
            "{html}"
        );

        holder.await.unwrap();
        assert_eq!(
            (
                count(&server, "institutions").await,
                count(&server, "audit_log").await
            ),
            (institutions, audit),
            "{backend:?}: a busy answer wrote nothing"
        );
    }
}
