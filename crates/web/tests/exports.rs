//! Downloads of a published list issue over HTTP: built once, then streamed from storage with
//! a validator; a download nobody can build now is a Chinese 503 with Retry-After. Both backends.

use std::time::Duration;

use reqwest::{Client, StatusCode};
use zijin_app::exports::ExportLimits;
use zijin_app::{Actor, Backend, lists};
use zijin_testkit::{BACKENDS, TestServer, spawn_app_with};

async fn published_issue(server: &TestServer, title: &str) -> i64 {
    let admin = Actor::System("test");
    let app = &server.context.app;
    let issue = lists::open_issue(app, &admin, title).await.unwrap();
    lists::publish(app, &admin, issue.id).await.unwrap();
    issue.id
}

/// How many times the stored export was built (0 when it is not stored).
async fn builds(server: &TestServer, issue: i64, format: &str) -> i64 {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT builds FROM issue_exports WHERE issue_id = $1 AND format = $2 AND state = 'ready'",
    )
    .bind(issue)
    .bind(format)
    .fetch_optional(server.context.app.store().pool())
    .await
    .unwrap();
    row.map_or(0, |r| r.0)
}

#[tokio::test]
async fn published_exports_are_built_once_then_streamed_from_storage() {
    for backend in BACKENDS {
        exports_are_stored(backend).await;
    }
}

async fn exports_are_stored(backend: Backend) {
    let config = zijin_web::WebConfig {
        exports: ExportLimits {
            builds: 1,
            wait: Duration::from_secs(30),
        },
        ..Default::default()
    };
    let server = spawn_app_with(backend, config).await;
    let issue = published_issue(&server, "2026年第9期").await;
    let client = Client::new();
    let url = server.url(&format!("/lists/{issue}/export.pdf"));

    let first = client.get(&url).send().await.unwrap();
    assert_eq!(first.status(), StatusCode::OK, "{backend:?}");
    assert_eq!(first.headers()["content-type"], "application/pdf");
    assert_eq!(
        first.headers()["cache-control"],
        "public, max-age=86400",
        "{backend:?}: a published issue's export never changes"
    );
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    let length: usize = first.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let first = first.bytes().await.unwrap();
    assert_eq!(first.len(), length);
    let text = zijin_testkit::pdf_text(&first);
    assert!(
        text.contains("2026年第9期") && text.contains("本期无技术需求"),
        "{backend:?}: {text}"
    );
    assert_eq!(builds(&server, issue, "pdf").await, 1, "{backend:?}");

    // Later downloads are the stored bytes: the same, and not built again.
    for _ in 0..3 {
        let again = client.get(&url).send().await.unwrap();
        assert_eq!(again.status(), StatusCode::OK);
        assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
        assert_eq!(again.bytes().await.unwrap(), first, "{backend:?}");
    }
    assert_eq!(builds(&server, issue, "pdf").await, 1, "{backend:?}");

    // A client holding the copy revalidates it without a body.
    let unchanged = client
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED, "{backend:?}");
    assert!(unchanged.bytes().await.unwrap().is_empty());

    // The spreadsheet is stored separately.
    let xlsx_url = server.url(&format!("/lists/{issue}/export.xlsx"));
    let xlsx = client.get(&xlsx_url).send().await.unwrap();
    assert_eq!(xlsx.status(), StatusCode::OK);
    let xlsx = xlsx.bytes().await.unwrap();
    assert_eq!(builds(&server, issue, "xlsx").await, 1, "{backend:?}");
    let again = client.get(&xlsx_url).send().await.unwrap();
    assert_eq!(again.bytes().await.unwrap(), xlsx, "{backend:?}");
    assert_eq!(builds(&server, issue, "xlsx").await, 1, "{backend:?}");

    // Parallel first downloads of another issue: one build, the same bytes for all.
    let other = published_issue(&server, "2026年第10期").await;
    let other_url = server.url(&format!("/lists/{other}/export.pdf"));
    let mut downloads = Vec::new();
    for _ in 0..6 {
        let (client, url) = (client.clone(), other_url.clone());
        downloads.push(tokio::spawn(async move {
            let response = client.get(&url).send().await.unwrap();
            (response.status(), response.bytes().await.unwrap())
        }));
    }
    let mut bodies = Vec::new();
    for download in downloads {
        let (status, body) = download.await.unwrap();
        assert_eq!(status, StatusCode::OK, "{backend:?}");
        bodies.push(body);
    }
    assert!(bodies.iter().all(|b| b == &bodies[0]), "{backend:?}");
    assert_eq!(builds(&server, other, "pdf").await, 1, "{backend:?}");
}

#[tokio::test]
async fn an_export_nobody_can_build_now_is_a_chinese_503_with_retry_after() {
    for backend in BACKENDS {
        let config = zijin_web::WebConfig {
            exports: ExportLimits {
                builds: 1,
                wait: Duration::ZERO,
            },
            ..Default::default()
        };
        let server = spawn_app_with(backend, config).await;
        let issue = published_issue(&server, "2026年第9期").await;
        // Another server process is building this PDF (its claim is live).
        let lease = server.context.app.now() + chrono::Duration::seconds(60);
        sqlx::query(
            "INSERT INTO issue_exports (issue_id, format, state, builder, lease_until, builds, size, sha256, chunks) \
             VALUES ($1, 'pdf', 'building', 'another-process', $2, 0, 0, '', 0)",
        )
        .bind(issue)
        .bind(lease.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .execute(server.context.app.store().pool())
        .await
        .unwrap();
        let response = Client::new()
            .get(server.url(&format!("/lists/{issue}/export.pdf")))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::SERVICE_UNAVAILABLE,
            "{backend:?}"
        );
        assert_eq!(response.headers()["retry-after"], "10");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let page = response.text().await.unwrap();
        assert!(
            page.contains("导出文件正在生成，请稍后再试") && page.contains("秒后重试"),
            "{backend:?}: {page}"
        );
        assert!(!page.contains("export_busy") && !page.contains("Service Unavailable"));
        assert_eq!(builds(&server, issue, "pdf").await, 0, "{backend:?}");
    }
}
