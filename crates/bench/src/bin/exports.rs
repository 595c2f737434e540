//! Issue 14 figures (hole 5): the PDF export of a published 100,000-entry issue.
//!
//! Before: every request built the PDF (9.9 s and +1 GB each). Now the first request builds it
//! under a claim in the database and stores it; later requests stream the stored chunks.
//! Measured side by side in one run, per backend:
//! - old behaviour: `zijin export ISSUE --fresh` (a build without the stored copy), wall time
//!   and peak resident memory from `/usr/bin/time -v`;
//! - `zijin serve --export-builds 1`: the first request (builds), ten later requests one after
//!   another (target < 100 ms each), eight parallel requests for the stored copy on a fresh
//!   server process (its VmHWM, target < 500 MB), and eight parallel first requests on a server
//!   with nothing stored (one build, the others wait for it).
//!
//! The data is made through the import and publish use cases and kept between runs (an SQLite
//! file under /var/tmp/zijin-bench, a PostgreSQL database `zijin_bench_exports_N`).
//! Run with `bench/exports` (ROWS, BACKENDS=sqlite,postgres override).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use sqlx::Row;
use zijin_app::exchange::{self, Outcome};
use zijin_app::{Actor, App, Backend, Store, SystemClock, institutions, lists};
use zijin_bench::patent_titles;
use zijin_domain::{Coded, CreditCode, District, InstitutionInput, RecordKind};

const INSTITUTIONS: usize = 60;
/// Rows per CSV import: under the upload limit.
const ROWS_PER_FILE: usize = 50_000;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn csv_file(first: usize, rows: usize, codes: &[String], titles: &[String]) -> Vec<u8> {
    let fields: Vec<String> = zijin_domain::TechnicalField::defaults()
        .into_iter()
        .map(|f| f.label)
        .collect();
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(exchange::ACHIEVEMENT_COLUMNS)
        .expect("header");
    for row in first..first + rows {
        let price = if row % 4 == 0 {
            String::new()
        } else {
            format!("{}.{:02}", 50_000 + row * 7 % 5_000_000, row % 100)
        };
        writer
            .write_record([
                titles[row % titles.len()].as_str(),
                "本成果来自真实专利标题，用于性能测试。",
                fields[row % fields.len()].as_str(),
                "测试、性能、导出",
                &((row % 9) + 1).to_string(),
                "ZL202110123456.7；CN114081026A",
                "转让、许可",
                &price,
                &codes[row % codes.len()],
                "王老师",
                "13800000000",
            ])
            .expect("row");
    }
    writer.into_inner().expect("csv")
}

/// The newest published issue and its number of achievements, if any.
async fn published_rows(store: &Store) -> Option<(i64, i64)> {
    let row = sqlx::query(
        "SELECT c.issue_id, c.n FROM list_counts c JOIN list_issues i ON i.id = c.issue_id \
         WHERE c.kind = 'achievement' AND c.facet = 'all' ORDER BY c.issue_id DESC LIMIT 1",
    )
    .fetch_optional(store.pool())
    .await
    .ok()??;
    Some((row.try_get("issue_id").ok()?, row.try_get("n").ok()?))
}

/// Imports `rows` achievements, approves them and publishes one issue; returns its id.
async fn make_data(store: &Store, rows: usize) -> i64 {
    let app = App::new(store.clone(), Arc::new(SystemClock));
    let admin = Actor::System("bench");
    let mut codes = Vec::new();
    for index in 0..INSTITUTIONS {
        let code = CreditCode::complete(&format!("1232011346620{index:04}"))
            .expect("valid")
            .to_string();
        let name = format!("导出基准测试高校{index}");
        let input = InstitutionInput {
            name: &name,
            kind: "高校",
            credit_code: &code,
            district: District::ALL[index % District::ALL.len()].label(),
            ..Default::default()
        };
        institutions::create(&app, &admin, &input)
            .await
            .expect("institution");
        codes.push(code);
    }
    let titles = patent_titles();
    let mut first = 0;
    while first < rows {
        let count = ROWS_PER_FILE.min(rows - first);
        let bytes = csv_file(first, count, &codes, &titles);
        match exchange::import(
            &app,
            &admin,
            RecordKind::Achievement,
            &bytes,
            false,
            &|_, _| {},
        )
        .await
        .expect("import runs")
        {
            Outcome::Imported { count: n, .. } => assert_eq!(n, count),
            Outcome::Refused(report) => panic!("refused: {:?}", report.lines()),
        }
        first += count;
        println!("  imported {first}/{rows}");
    }
    // Review is not what is measured: approve everything at once.
    sqlx::query("UPDATE achievements SET status = 'approved' WHERE status = 'submitted'")
        .execute(store.pool())
        .await
        .expect("approve");
    let issue = lists::open_issue(&app, &admin, "导出基准测试期")
        .await
        .expect("open");
    lists::publish(&app, &admin, issue.id)
        .await
        .expect("publish");
    issue.id
}

/// The backend's database URL, made ready with `rows` published achievements.
async fn prepared(backend: Backend, rows: usize) -> (String, i64) {
    let url = match backend {
        Backend::Sqlite => {
            std::fs::create_dir_all("/var/tmp/zijin-bench").expect("bench dir");
            format!("sqlite:/var/tmp/zijin-bench/exports-{rows}.db")
        }
        Backend::Postgres => {
            let admin = zijin_testkit::postgres_admin_url();
            let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
            format!("{base}/zijin_bench_exports_{rows}")
        }
    };
    if let Ok(store) = Store::connect(&url).await
        && store.migrate().await.is_ok()
        && let Some((issue, n)) = published_rows(&store).await
        && n == rows as i64
    {
        println!("{backend:?}: reusing {n} published records ({url})");
        return (url, issue);
    }
    println!("{backend:?}: making {rows} published records (kept for later runs)…");
    match backend {
        Backend::Sqlite => {
            let path = url.trim_start_matches("sqlite:");
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{path}{suffix}"));
            }
        }
        Backend::Postgres => {
            let admin = zijin_testkit::postgres_admin_url();
            let name = url.rsplit('/').next().unwrap_or_default().to_string();
            let pool = sqlx::postgres::PgPool::connect(&admin)
                .await
                .expect("postgres");
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
            )))
            .execute(&pool)
            .await
            .expect("drop");
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                .execute(&pool)
                .await
                .expect("create");
        }
    }
    let store = Store::connect(&url).await.expect("connect");
    store.migrate().await.expect("migrate");
    let issue = make_data(&store, rows).await;
    (url, issue)
}

/// Forgets the stored exports, so the next request builds again.
async fn forget_exports(url: &str) {
    let store = Store::connect(url).await.expect("connect");
    for sql in [
        "DELETE FROM issue_export_chunks",
        "DELETE FROM issue_exports",
    ] {
        sqlx::query(sql)
            .execute(store.pool())
            .await
            .expect("forget");
    }
    store.close().await;
}

fn binary() -> String {
    std::env::var("ZIJIN_BIN").expect("ZIJIN_BIN: the release zijin binary")
}

fn work_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("zijin-bench-exports-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// The old behaviour: one build without the stored copy, as every request did before.
/// Seconds and peak resident MB of the whole process.
fn fresh_cli_export(url: &str, issue: i64) -> (f64, f64) {
    let output = work_dir().join("fresh.pdf");
    let started = Instant::now();
    let run = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(binary())
        .args([
            "export",
            &issue.to_string(),
            "--fresh",
            "--database-url",
            url,
        ])
        .arg("--data-dir")
        .arg(work_dir())
        .arg("-o")
        .arg(&output)
        .output()
        .expect("/usr/bin/time (Debian package time) is needed");
    let seconds = started.elapsed().as_secs_f64();
    assert!(run.status.success(), "zijin export --fresh: {run:?}");
    let report = String::from_utf8_lossy(&run.stderr);
    let kilobytes: f64 = report
        .lines()
        .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(f64::NAN);
    (seconds, kilobytes / 1024.0)
}

struct Server(Child);

impl Server {
    fn start(url: &str) -> (Self, String) {
        let mut child = Command::new(binary())
            .args([
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--export-builds",
                "1",
                "--database-url",
                url,
                "--data-dir",
            ])
            .arg(work_dir())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start zijin");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let address = loop {
            let line = lines
                .next()
                .expect("server printed its address")
                .expect("line");
            if let Some(at) = line.find("http://") {
                break line[at..].trim().to_string();
            }
        };
        std::thread::spawn(move || for _ in lines {});
        (Self(child), address)
    }

    /// Peak resident memory since start, MB.
    fn peak_mb(&self) -> f64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.0.id())).expect("/proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One download with curl: status, seconds, bytes.
fn download(url: &str) -> (u16, f64, u64) {
    let output = Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code} %{time_total} %{size_download}",
        ])
        .arg(url)
        .output()
        .expect("curl is needed");
    let text = String::from_utf8_lossy(&output.stdout).to_string();
    let mut parts = text.split_whitespace();
    let status = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let seconds = parts
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(f64::NAN);
    let bytes = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, seconds, bytes)
}

fn parallel(url: &str, n: usize) -> Vec<(u16, f64, u64)> {
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let url = url.to_string();
            std::thread::spawn(move || download(&url))
        })
        .collect();
    handles
        .into_iter()
        .map(|h| h.join().expect("download"))
        .collect()
}

fn summary(results: &[(u16, f64, u64)]) -> String {
    let mut times: Vec<f64> = results.iter().map(|r| r.1 * 1000.0).collect();
    times.sort_by(f64::total_cmp);
    let mut statuses: Vec<u16> = results.iter().map(|r| r.0).collect();
    statuses.sort_unstable();
    statuses.dedup();
    let counts: Vec<String> = statuses
        .iter()
        .map(|s| format!("{}×{s}", results.iter().filter(|r| r.0 == *s).count()))
        .collect();
    format!(
        "min {:.0} ms, median {:.0} ms, max {:.0} ms ({})",
        times[0],
        times[times.len() / 2],
        times[times.len() - 1],
        counts.join(", ")
    )
}

#[tokio::main]
async fn main() {
    let rows: usize = env_or("ROWS", 100_000);
    let backends: String = env_or("BACKENDS", "sqlite,postgres".to_string());
    println!(
        "PDF export of a published issue of {rows} achievements, {} cores",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let name = format!("{backend:?}").to_lowercase();
        if !backends.split(',').any(|b| b.trim() == name) {
            continue;
        }
        let (url, issue) = prepared(backend, rows).await;
        println!("{backend:?}:");
        let (seconds, peak) = fresh_cli_export(&url, issue);
        println!(
            "  before: build per request (zijin export --fresh)   {seconds:>6.2} s, peak RSS {peak:.0} MB"
        );

        forget_exports(&url).await;
        let (server, address) = Server::start(&url);
        let pdf = format!("{address}/lists/{issue}/export.pdf");
        let _ = download(&format!("{address}/"));
        let idle = server.peak_mb();
        let (status, seconds, bytes) = download(&pdf);
        println!(
            "  first request (builds and stores)                 {seconds:>6.2} s, status {status}, {:.1} MB, server VmHWM {:.0} MB (idle {idle:.0} MB)",
            bytes as f64 / 1_048_576.0,
            server.peak_mb()
        );
        let later: Vec<_> = (0..10).map(|_| download(&pdf)).collect();
        println!("  10 later requests, one by one: {}", summary(&later));
        // A fresh process serves the stored copy: its peak is what serving costs (after a
        // build the allocator keeps the build's memory, so the first process would show that).
        drop(server);
        let (server, address) = Server::start(&url);
        let pdf = format!("{address}/lists/{issue}/export.pdf");
        let _ = download(&format!("{address}/"));
        let before = server.peak_mb();
        let eight = parallel(&pdf, 8);
        println!(
            "  8 parallel requests (stored copy, fresh server): {}; server VmHWM {:.0} MB (idle {before:.0} MB)",
            summary(&eight),
            server.peak_mb()
        );
        drop(server);

        forget_exports(&url).await;
        let (server, address) = Server::start(&url);
        let pdf = format!("{address}/lists/{issue}/export.pdf");
        let _ = download(&format!("{address}/"));
        let cold = parallel(&pdf, 8);
        println!(
            "  8 parallel first requests (nothing stored): {}; server VmHWM {:.0} MB",
            summary(&cold),
            server.peak_mb()
        );
        drop(server);
        let later = later.iter().map(|r| r.1).fold(0.0, f64::max) * 1000.0;
        println!(
            "  target later requests < 100 ms: {}",
            if later < 100.0 { "met" } else { "NOT met" }
        );
    }
}
