//! Issue 16 figures, on SQLite and PostgreSQL, in one run:
//! - the review queue page (`GET /applications` as the district officer) with 10,000
//!   applications of one call waiting at 区级初审推荐: p50 / p99 over sequential requests,
//!   target p99 ≤ 50 ms;
//! - the 公示 PDF of 2,000 entries, target ≤ 5 s;
//! - a payment batch of 10,000 entries (the batch, then its .xlsx), target ≤ 10 s;
//! - the throughput of 市级核定 approvals, 32 at a time, one measure (they take turns on the
//!   measure's lock, which is what keeps caps, quotas and budgets).
//!
//! The institutions and applications are written straight into the tables in one transaction
//! (making 10,000 through the filing use case would time the set-up, not the figures); the
//! notice, the PDF, the batch, the export and the approvals go through the use cases, and the
//! queue through the real HTTP server.
//!
//! Run with `bench/applications` (QUEUE_REQUESTS overrides the number of requests).

use std::time::{Duration, Instant};

use zijin_app::applications::{CallInput, DecisionInput, calls, notice, payments, review};
use zijin_app::users::{self, NewUserInput};
use zijin_app::{Actor, App};
use zijin_domain::{Coded, CreditCode, District};
use zijin_testkit::{BACKENDS, spawn_app};

const QUEUE: usize = 10_000;
const PDF_ENTRIES: usize = 2_000;
const BATCH: usize = 10_000;
const APPROVALS: usize = 320;
const AT_ONCE: usize = 32;
const MEASURE: &str = "a18-empowerment";

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Writes `n` institutions of 江宁区 in one transaction; returns their ids and credit codes.
async fn institutions(app: &App, first: usize, n: usize, at: &str) -> Vec<(i64, String)> {
    let mut tx = app.store().begin_write().await.expect("begin");
    let mut made = Vec::with_capacity(n);
    for k in first..first + n {
        let code = CreditCode::complete(&format!("91320115MA{k:07}"))
            .expect("credit code")
            .as_str()
            .to_string();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO institutions (name, kind, credit_code, district, created_at, updated_at) \
             VALUES ($1, 'university', $2, $3, $4, $4) RETURNING id",
        )
        .bind(format!("测试单位{k:05}"))
        .bind(&code)
        .bind(District::Jiangning.code())
        .bind(at)
        .fetch_one(&mut *tx)
        .await
        .expect("institution");
        made.push((id, code));
    }
    tx.commit().await.expect("commit");
    made
}

/// Writes one application per institution into a call, waiting at `step` (`None`: approved,
/// with its reservation in the ledger).
async fn applications(app: &App, call: i64, of: &[(i64, String)], step: Option<&str>, at: &str) {
    let mut tx = app.store().begin_write().await.expect("begin");
    let facts = serde_json::json!({ "pilot_unit": true, "empowered_count": 1 }).to_string();
    for (institution, code) in of {
        let (status, approved) = match step {
            Some(_) => ("in_review", None),
            None => ("approved", Some(5_000_000_i64)),
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO applications (call_id, measure_id, institution_id, status, step, facts, \
             eligible, amount_fen, approved_fen, trace, reasons, policy_hash, integrity_accepted, \
             bank_name, bank_account, account_name, created_at, updated_at, submitted_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 1, 5000000, $7, '[]', '[]', 'bench', 1, \
             '中国工商银行南京分行', '4301011209000012345', '测试单位', $8, $8, $8) RETURNING id",
        )
        .bind(call)
        .bind(MEASURE)
        .bind(institution)
        .bind(status)
        .bind(step)
        .bind(&facts)
        .bind(approved)
        .bind(at)
        .fetch_one(&mut *tx)
        .await
        .expect("application");
        if step.is_none() {
            sqlx::query(
                "INSERT INTO ledger_entries (application_id, call_id, measure_id, institution_id, \
                 beneficiary, granted_on, amount_fen, state, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, '2026-11-28', 5000000, 'reserved', $6, $6)",
            )
            .bind(id)
            .bind(call)
            .bind(MEASURE)
            .bind(institution)
            .bind(code)
            .bind(at)
            .execute(&mut *tx)
            .await
            .expect("ledger");
        }
    }
    tx.commit().await.expect("commit");
}

async fn open_call(app: &App, title: &str) -> i64 {
    let input = CallInput {
        title: title.into(),
        measures: vec![MEASURE.into()],
        opens: "2026-11-20T08:00:00+08:00".into(),
        closes: "2026-12-18T17:00:00+08:00".into(),
        budgets: [(MEASURE.to_string(), "100000000000".to_string())].into(),
        ..Default::default()
    };
    calls::create(app, &Actor::System("bench"), &input)
        .await
        .expect("call")
        .call
        .id
}

#[tokio::main]
async fn main() {
    let requests: usize = env_or("QUEUE_REQUESTS", 200);
    println!(
        "Issue 16 figures (targets: queue page p99 ≤ 50 ms; 公示 PDF of {PDF_ENTRIES} ≤ 5 s; payment batch of {BATCH} ≤ 10 s)"
    );
    for backend in BACKENDS {
        let server = spawn_app(backend).await;
        let app = server
            .context
            .app
            .clone()
            .with_policies(zijin_testkit::shipped_policies());
        let at = zijin_app::applications::beijing_date(app.now()).to_string();
        let at = format!("{at}T01:00:00.000Z");
        let officer = NewUserInput {
            username: "officer",
            display_name: "江宁区 区级管理员",
            password: "Bench-pass-2026",
            role: "district",
            responsible_unit: "",
            district: "江宁区",
            institution_id: None,
        };
        users::create(&app, &Actor::System("bench"), &officer)
            .await
            .expect("officer");

        // The queue: 10,000 waiting at the district step.
        let started = Instant::now();
        let queue_call = open_call(&app, "队列").await;
        let waiting = institutions(&app, 0, QUEUE, &at).await;
        applications(&app, queue_call, &waiting, Some("district"), &at).await;
        // PostgreSQL plans from table statistics, which autovacuum gathers within a minute of
        // a bulk change; the bench asks at once instead of waiting for it.
        if backend == zijin_app::Backend::Postgres {
            sqlx::query("ANALYZE")
                .execute(app.store().pool())
                .await
                .expect("analyze");
        }
        let setup = started.elapsed();
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .expect("client");
        let login = client
            .get(server.url("/login"))
            .send()
            .await
            .expect("login page")
            .text()
            .await
            .expect("text");
        let csrf = login
            .split("name=\"_csrf\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("csrf")
            .to_string();
        let signed_in = client
            .post(server.url("/login"))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("username", "officer"),
                ("password", "Bench-pass-2026"),
            ])
            .send()
            .await
            .expect("login");
        assert!(signed_in.status().is_success() || signed_in.status().is_redirection());
        let mut times = Vec::with_capacity(requests);
        let mut rows = 0;
        for n in 0..requests + 10 {
            let start = Instant::now();
            let page = client
                .get(server.url("/applications"))
                .send()
                .await
                .expect("queue")
                .text()
                .await
                .expect("text");
            if n >= 10 {
                times.push(start.elapsed());
            }
            rows = page.matches("<tr>").count().saturating_sub(1);
        }
        times.sort();
        println!(
            "{backend:?}: queue page of {QUEUE} waiting ({rows} rows a page, set-up {:.1} s): p50 {}, p99 {}, max {} over {requests} requests",
            setup.as_secs_f64(),
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.99)),
            ms(*times.last().expect("times")),
        );

        // The 公示 PDF of 2,000 entries.
        let pdf_call = open_call(&app, "公示PDF").await;
        let listed = institutions(&app, QUEUE, PDF_ENTRIES, &at).await;
        applications(&app, pdf_call, &listed, None, &at).await;
        let admin = Actor::System("bench");
        let started = Instant::now();
        let published = notice::publish(&app, &admin, pdf_call)
            .await
            .expect("notice");
        let publish_time = started.elapsed();
        let started = Instant::now();
        let pdf = notice::pdf(&app, published.notice.id).await.expect("pdf");
        println!(
            "{backend:?}: 公示 of {PDF_ENTRIES} entries: publish {:.2} s; PDF {:.2} s ({} KB)",
            publish_time.as_secs_f64(),
            started.elapsed().as_secs_f64(),
            pdf.len() / 1024
        );

        // The payment batch of 10,000 (the approvals' call is opened first: the batch moves
        // the clock past every call's closing time).
        let approve_call = open_call(&app, "核定").await;
        let batch_call = open_call(&app, "拨付").await;
        let paid = institutions(&app, QUEUE + PDF_ENTRIES, BATCH, &at).await;
        applications(&app, batch_call, &paid, None, &at).await;
        let started = Instant::now();
        notice::publish(&app, &admin, batch_call)
            .await
            .expect("notice");
        let publish_time = started.elapsed();
        server.context.clock.advance(chrono::Duration::days(20));
        let started = Instant::now();
        let (batch, made) = payments::make_batch(&app, &admin, batch_call)
            .await
            .expect("batch");
        let batch_time = started.elapsed();
        let started = Instant::now();
        let xlsx = payments::export(&app, &admin, batch).await.expect("export");
        println!(
            "{backend:?}: payment batch of {} (notice of {BATCH} published in {:.2} s): batch {:.2} s, .xlsx {:.2} s ({} KB), together {:.2} s",
            made.len(),
            publish_time.as_secs_f64(),
            batch_time.as_secs_f64(),
            started.elapsed().as_secs_f64(),
            xlsx.len() / 1024,
            (batch_time + started.elapsed()).as_secs_f64(),
        );

        // 市级核定, 32 at a time, against one measure's lock.
        let finals = institutions(&app, QUEUE + PDF_ENTRIES + BATCH, APPROVALS, &at).await;
        applications(&app, approve_call, &finals, Some("final"), &at).await;
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM applications WHERE call_id = $1 ORDER BY id")
                .bind(approve_call)
                .fetch_all(app.store().pool())
                .await
                .expect("ids");
        let started = Instant::now();
        for chunk in ids.chunks(AT_ONCE) {
            let mut tasks = Vec::new();
            for &id in chunk {
                let app = app.clone();
                tasks.push(tokio::spawn(async move {
                    let input = DecisionInput {
                        decision: "approve".into(),
                        comment: String::new(),
                        amount: None,
                    };
                    review::decide(&app, &Actor::System("bench"), id, &input).await
                }));
            }
            for task in tasks {
                task.await.expect("task").expect("approval");
            }
        }
        let took = started.elapsed();
        println!(
            "{backend:?}: {APPROVALS} 市级核定 approvals, {AT_ONCE} at a time: {:.2} s, {:.0} approvals/s",
            took.as_secs_f64(),
            APPROVALS as f64 / took.as_secs_f64()
        );
    }
}
