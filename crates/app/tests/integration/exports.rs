//! Exports of a published list issue: built once (whoever asks first, under a claim held in
//! the database), stored, and served from storage afterwards; builds are bounded per process.

use std::time::Duration;

use zijin_app::exports::{self, ExportBuilders, ExportContent, ExportFormat, ExportLimits};
use zijin_app::{Actor, App, AppError, lists};
use zijin_store::exports::ExportState;
use zijin_testkit::{BACKENDS, TestContext};

/// Opens and publishes an (empty) issue; its exports say "本期无…" under its title.
async fn published_issue(app: &App, title: &str) -> i64 {
    let admin = Actor::System("test");
    let issue = lists::open_issue(app, &admin, title).await.unwrap();
    lists::publish(app, &admin, issue.id).await.unwrap();
    issue.id
}

fn limited(builds: usize, wait: Duration) -> ExportBuilders {
    ExportBuilders::new(ExportLimits { builds, wait })
}

/// The stored bytes of a ready export, put together from its chunks.
async fn stored_bytes(app: &App, ready: &exports::ReadyExport) -> Vec<u8> {
    let mut bytes = Vec::new();
    for seq in 0..ready.chunks {
        bytes.extend(exports::read_chunk(app, ready, seq).await.unwrap());
    }
    bytes
}

async fn state(app: &App, issue: i64, format: ExportFormat) -> ExportState {
    zijin_store::exports::state(app.store().pool(), issue, format.code())
        .await
        .unwrap()
}

fn ready(content: ExportContent) -> exports::ReadyExport {
    match content {
        ExportContent::Stored(ready) => ready,
        ExportContent::Preview(_) => panic!("a published issue's export is stored"),
    }
}

#[tokio::test]
async fn concurrent_first_requests_build_once_and_later_ones_read_the_stored_copy() {
    for backend in BACKENDS {
        let context = TestContext::new(backend).await;
        let app = context.app.clone();
        let issue = published_issue(&app, "2026年第9期").await;
        assert_eq!(
            state(&app, issue, ExportFormat::Pdf).await,
            ExportState::Missing
        );
        // As many builders as requests: only the claim in the database keeps them from all
        // building.
        let builders = limited(8, Duration::from_secs(60));
        let mut requests = Vec::new();
        for _ in 0..8 {
            let (app, builders) = (app.clone(), builders.clone());
            requests.push(tokio::spawn(async move {
                exports::issue_export(&app, &Actor::Anonymous, &builders, issue, ExportFormat::Pdf)
                    .await
            }));
        }
        let mut answers = Vec::new();
        for request in requests {
            answers.push(ready(request.await.unwrap().unwrap().content));
        }
        assert!(
            answers.iter().all(|a| a == &answers[0]),
            "{backend:?}: {answers:?}"
        );
        assert_eq!(answers[0].builds, 1, "{backend:?}: built once");
        let bytes = stored_bytes(&app, &answers[0]).await;
        assert_eq!(bytes.len() as i64, answers[0].size);
        let text = zijin_testkit::pdf_text(&bytes);
        assert!(
            text.contains("2026年第9期") && text.contains("本期无科技成果"),
            "{backend:?}: {text}"
        );

        // Later requests, even with no builder free at all, are served from storage.
        let busy = limited(1, Duration::ZERO);
        let _occupied = busy.try_turn().expect("a free builder");
        let again = exports::issue_export(&app, &Actor::Anonymous, &busy, issue, ExportFormat::Pdf)
            .await
            .unwrap();
        assert_eq!(again.issue.title, "2026年第9期");
        let again = ready(again.content);
        assert_eq!(again.builds, 1, "{backend:?}: not built again");
        assert_eq!(stored_bytes(&app, &again).await, bytes);

        // The spreadsheet is stored on its own, and reads back as the same lists.
        let xlsx = exports::issue_export(
            &app,
            &Actor::Anonymous,
            &builders,
            issue,
            ExportFormat::Xlsx,
        )
        .await
        .unwrap();
        let xlsx = stored_bytes(&app, &ready(xlsx.content)).await;
        let table = zijin_app::exchange::read_table(&xlsx).unwrap();
        assert_eq!(table.headers[1], "成果名称", "{backend:?}");
    }
}

#[tokio::test]
async fn no_free_builder_means_busy_and_nothing_stored() {
    for backend in BACKENDS {
        let context = TestContext::new(backend).await;
        let app = context.app.clone();
        let issue = published_issue(&app, "2026年第9期").await;
        let builders = limited(1, Duration::from_millis(300));
        let turn = builders.try_turn().expect("a free builder");
        let refused =
            exports::issue_export(&app, &Actor::Anonymous, &builders, issue, ExportFormat::Pdf)
                .await;
        assert!(
            matches!(refused, Err(AppError::ExportBusy)),
            "{backend:?}: {refused:?}"
        );
        assert_eq!(
            state(&app, issue, ExportFormat::Pdf).await,
            ExportState::Missing,
            "{backend:?}: a refused request claims nothing"
        );
        drop(turn);
        let built =
            exports::issue_export(&app, &Actor::Anonymous, &builders, issue, ExportFormat::Pdf)
                .await
                .unwrap();
        assert_eq!(ready(built.content).builds, 1, "{backend:?}");
    }
}

#[tokio::test]
async fn a_build_in_another_process_is_awaited_and_a_dead_builders_claim_lapses() {
    for backend in BACKENDS {
        let context = TestContext::new(backend).await;
        let app = context.app.clone();
        let issue = published_issue(&app, "2026年第9期").await;
        // Another server process claimed the PDF and then died without a word.
        let now = app.now();
        assert!(
            zijin_store::exports::claim(
                app.store().pool(),
                issue,
                "pdf",
                "another-process",
                now,
                now + chrono::Duration::seconds(60),
            )
            .await
            .unwrap()
        );
        // While its claim holds, requests wait for it (here: not at all) and are told to
        // come back; they do not build a second copy.
        let builders = limited(1, Duration::ZERO);
        let waiting =
            exports::issue_export(&app, &Actor::Anonymous, &builders, issue, ExportFormat::Pdf)
                .await;
        assert!(
            matches!(waiting, Err(AppError::ExportBusy)),
            "{backend:?}: {waiting:?}"
        );
        assert!(matches!(
            state(&app, issue, ExportFormat::Pdf).await,
            ExportState::Building { .. }
        ));
        // Once the claim has lapsed unrenewed, the next request takes it over and builds.
        context.clock.advance(chrono::Duration::seconds(61));
        let built =
            exports::issue_export(&app, &Actor::Anonymous, &builders, issue, ExportFormat::Pdf)
                .await
                .unwrap();
        assert_eq!(ready(built.content).builds, 1, "{backend:?}");
        // The dead builder, were it to wake up, can no longer store its copy.
        let mut tx = app.store().begin_write().await.unwrap();
        let late = zijin_store::exports::finish(
            &mut tx,
            issue,
            "pdf",
            "another-process",
            b"stale",
            "0",
            app.now(),
        )
        .await
        .unwrap();
        tx.rollback().await.unwrap();
        assert!(!late, "{backend:?}");
    }
}

#[tokio::test]
async fn an_unpublished_issue_is_an_admin_preview_never_stored() {
    for backend in BACKENDS {
        let context = TestContext::new(backend).await;
        let app = context.app.clone();
        let issue = lists::open_issue(&app, &Actor::System("test"), "2026年第9期")
            .await
            .unwrap();
        let builders = limited(1, Duration::from_secs(5));
        let anonymous = exports::issue_export(
            &app,
            &Actor::Anonymous,
            &builders,
            issue.id,
            ExportFormat::Pdf,
        )
        .await;
        assert!(
            matches!(anonymous, Err(AppError::NotFound(_))),
            "{backend:?}: {anonymous:?}"
        );
        let preview = exports::issue_export(
            &app,
            &Actor::System("test"),
            &builders,
            issue.id,
            ExportFormat::Pdf,
        )
        .await
        .unwrap();
        match preview.content {
            ExportContent::Preview(bytes) => {
                assert!(zijin_testkit::pdf_text(&bytes).contains("未发布（预览）"))
            }
            ExportContent::Stored(_) => panic!("{backend:?}: a preview was stored"),
        }
        assert_eq!(
            state(&app, issue.id, ExportFormat::Pdf).await,
            ExportState::Missing
        );
    }
}
