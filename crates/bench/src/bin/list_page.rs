//! Issue 3 figure, on both backends: the public list page of an issue of 1,000,000 published
//! records under wrk (32 connections, 60 s, loopback), target p99 ≤ 50 ms.
//!
//! The data is made the way users make it — achievements imported from CSV through the import
//! use case, approved, and published as one issue by the publish use case — and kept between runs
//! (an SQLite file under /var/tmp/zijin-bench, a PostgreSQL database `zijin_bench_list_page_N`),
//! since making it takes minutes. The release `zijin serve` binary serves it; wrk requests a mix
//! of public list URLs: first pages with each filter, and deep pages by cursor (after / before a
//! record id). The baseline, in the same run, is the same mix paged by page number (OFFSET), as
//! the list was before cursors.
//!
//! Run with `bench/list-page` (ROWS, DURATION, BASELINE_DURATION, CONNECTIONS override).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use sqlx::Row;
use zijin_app::exchange::{self, Outcome};
use zijin_app::{Actor, App, Backend, Store, SystemClock, institutions, lists};
use zijin_bench::patent_titles;
use zijin_domain::{
    Coded, CreditCode, District, InstitutionInput, RecordKind, Stage, TransferMode,
};

const INSTITUTIONS: usize = 60;
/// Rows per CSV import: under the 20 MB upload limit.
const ROWS_PER_FILE: usize = 50_000;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A small deterministic generator (the same URLs every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % below.max(1)
    }
}

fn csv_file(first: usize, rows: usize, codes: &[String], titles: &[String]) -> Vec<u8> {
    let fields: Vec<String> = zijin_domain::TechnicalField::defaults()
        .into_iter()
        .map(|f| f.label)
        .collect();
    let modes = [
        "转让",
        "许可",
        "作价投资、合作开发",
        "技术服务",
        "转让、许可",
    ];
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
                "测试、性能",
                &((row % 9) + 1).to_string(),
                "ZL202110123456.7",
                modes[row % modes.len()],
                &price,
                &codes[row % codes.len()],
                "王老师",
                "13800000000",
            ])
            .expect("row");
    }
    writer.into_inner().expect("csv")
}

/// The number of achievements in the newest published issue, if any.
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

/// Imports `rows` achievements through the import use case, approves them and publishes one
/// issue; returns the issue's id.
async fn make_data(store: &Store, rows: usize) -> i64 {
    // The server started later must sign with the same audit key (given as ZIJIN_AUDIT_KEY).
    let store = &store
        .clone()
        .with_audit_key(zijin_testkit::test_audit_key());
    let app = App::new(store.clone(), Arc::new(SystemClock));
    let admin = Actor::System("bench");
    let districts = District::ALL;
    let mut codes = Vec::new();
    for index in 0..INSTITUTIONS {
        let code = CreditCode::complete(&format!("1232011346610{index:04}"))
            .expect("valid")
            .to_string();
        let name = format!("基准测试高校{index}");
        let input = InstitutionInput {
            name: &name,
            kind: if index % 4 == 0 {
                "科研院所"
            } else {
                "高校"
            },
            credit_code: &code,
            district: districts[index % districts.len()].label(),
            ..Default::default()
        };
        institutions::create(&app, &admin, &input)
            .await
            .expect("institution");
        codes.push(code);
    }
    let titles = patent_titles();
    let started = Instant::now();
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
        println!(
            "  imported {first}/{rows} ({:.0} s)",
            started.elapsed().as_secs_f64()
        );
    }
    // Review is not what is measured: approve everything at once.
    sqlx::query("UPDATE achievements SET status = 'approved' WHERE status = 'submitted'")
        .execute(store.pool())
        .await
        .expect("approve");
    let issue = lists::open_issue(&app, &admin, "基准测试百万期")
        .await
        .expect("open");
    let publishing = Instant::now();
    lists::publish(&app, &admin, issue.id)
        .await
        .expect("publish");
    println!(
        "  published {rows} records in {:.1} s",
        publishing.elapsed().as_secs_f64()
    );
    issue.id
}

/// The backend's database URL, made ready with `rows` published achievements.
async fn prepared(backend: Backend, rows: usize) -> (String, i64) {
    let url = match backend {
        Backend::Sqlite => {
            std::fs::create_dir_all("/var/tmp/zijin-bench").expect("bench dir");
            format!("sqlite:/var/tmp/zijin-bench/list-page-{rows}.db")
        }
        Backend::Postgres => {
            let admin = zijin_testkit::postgres_admin_url();
            let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
            format!("{base}/zijin_bench_list_page_{rows}")
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

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_server(url: &str) -> (Server, String) {
    let binary = std::env::var("ZIJIN_BIN").expect("ZIJIN_BIN: the release zijin binary");
    let data = tempfile_dir();
    let mut child = Command::new(binary)
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--database-url",
            url,
            "--data-dir",
        ])
        .arg(&data)
        .env("RUST_LOG", "warn")
        .env("ZIJIN_AUDIT_KEY", zijin_testkit::TEST_AUDIT_KEY_HEX)
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
    // Keep reading so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (Server(child), address)
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("zijin-bench-serve-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// The URL mixes: cursors (what the pages link to) and page numbers (the baseline).
async fn url_mixes(url: &str, issue: i64) -> (Vec<String>, Vec<String>) {
    let store = Store::connect(url).await.expect("connect");
    let rows = sqlx::query(
        "SELECT record_id FROM list_entries WHERE issue_id = $1 AND kind = 'achievement' ORDER BY record_id",
    )
    .bind(issue)
    .fetch_all(store.pool())
    .await
    .expect("ids");
    let ids: Vec<i64> = rows.iter().map(|r| r.get::<i64, _>("record_id")).collect();
    let pages = (ids.len() as i64 + 19) / 20;
    let base = format!("/lists/{issue}?kind=achievement");
    let fields: Vec<String> = zijin_domain::TechnicalField::defaults()
        .into_iter()
        .map(|f| f.code)
        .collect();
    let mut filters: Vec<String> = vec![String::new()];
    filters.extend(fields.iter().map(|f| format!("&field={f}")));
    filters.extend(
        District::ALL
            .iter()
            .map(|d| format!("&district={}", d.code())),
    );
    filters.extend(Stage::ALL.iter().map(|s| format!("&stage={}", s.code())));
    filters.extend(
        TransferMode::ALL
            .iter()
            .map(|m| format!("&mode={}", m.code())),
    );
    filters.push("&institution_kind=research-institute".into());
    let mut random = Lcg(20261128);
    let mut cursor = Vec::new();
    let mut numbered = Vec::new();
    // First pages with each single filter (the same in both mixes).
    for filter in &filters {
        cursor.push(format!("{base}{filter}"));
        numbered.push(format!("{base}{filter}"));
    }
    // Deep pages, anywhere in the list: by cursor, or by the page number at the same place.
    for _ in 0..400 {
        let position = random.next(ids.len());
        cursor.push(format!("{base}&after={}", ids[position]));
        numbered.push(format!("{base}&page={}", position as i64 / 20 + 1));
    }
    for _ in 0..200 {
        let position = random.next(ids.len());
        cursor.push(format!("{base}&before={}", ids[position]));
        numbered.push(format!("{base}&page={}", (position as i64 / 20).max(1)));
    }
    // Deep pages within one field (a thirteenth of the list).
    for _ in 0..200 {
        let field = &fields[random.next(fields.len())];
        let position = random.next(ids.len());
        cursor.push(format!("{base}&field={field}&after={}", ids[position]));
        numbered.push(format!(
            "{base}&field={field}&page={}",
            (position as i64 / 20 / fields.len() as i64).max(1)
        ));
    }
    // The last page.
    cursor.push(format!("{base}&before={}", i64::MAX));
    numbered.push(format!("{base}&page={pages}"));
    (cursor, numbered)
}

struct WrkResult {
    requests_per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    requests: u64,
    errors: u64,
}

fn milliseconds(text: &str) -> f64 {
    let text = text.trim();
    let (number, factor) = if let Some(n) = text.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1000.0)
    } else {
        (text, 1.0)
    };
    number.parse::<f64>().unwrap_or(f64::NAN) * factor
}

fn run_wrk(address: &str, paths: &[String], connections: usize, seconds: u64) -> WrkResult {
    let script = std::env::temp_dir().join(format!("zijin-list-page-{}.lua", std::process::id()));
    let mut lua = String::from("local paths = {\n");
    for path in paths {
        lua.push_str(&format!("  \"{path}\",\n"));
    }
    lua.push_str(
        "}\nlocal n = #paths\nlocal i = 0\n\
         setup = function(thread) thread:set(\"offset\", math.random(n)) end\n\
         init = function() i = tonumber(offset) or 0 end\n\
         request = function()\n  i = i % n + 1\n  return wrk.format(\"GET\", paths[i])\nend\n",
    );
    std::fs::File::create(&script)
        .and_then(|mut f| f.write_all(lua.as_bytes()))
        .expect("lua");
    let output = Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{connections}"),
            &format!("-d{seconds}s"),
            "--timeout",
            "10s",
            "--latency",
            "-s",
        ])
        .arg(&script)
        .arg(address)
        .output()
        .expect("wrk (Debian package wrk) is needed");
    let text = String::from_utf8_lossy(&output.stdout).to_string();
    let value_after = |label: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(label))
            .and_then(|l| l.split_whitespace().nth(1).map(str::to_string))
            .unwrap_or_default()
    };
    let latency_line = text
        .lines()
        .find(|l| l.trim_start().starts_with("Latency"))
        .unwrap_or_default()
        .to_string();
    let max = latency_line.split_whitespace().nth(3).unwrap_or("nan");
    let requests = text
        .lines()
        .find(|l| l.contains("requests in"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let errors = text
        .lines()
        .find(|l| l.contains("Non-2xx or 3xx responses"))
        .and_then(|l| l.split(':').nth(1))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
        + text
            .lines()
            .find(|l| l.contains("Socket errors"))
            .map(|l| {
                l.split(|c: char| !c.is_ascii_digit())
                    .filter_map(|n| n.parse::<u64>().ok())
                    .sum()
            })
            .unwrap_or(0);
    let _ = std::fs::remove_file(&script);
    WrkResult {
        requests_per_second: value_after("Requests/sec:").parse().unwrap_or(0.0),
        p50_ms: milliseconds(&value_after("50%")),
        p99_ms: milliseconds(&value_after("99%")),
        max_ms: milliseconds(max),
        requests,
        errors,
    }
}

fn report(label: &str, result: &WrkResult) {
    println!(
        "  {label:<34} p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>8.2} ms  {:>7.0} req/s  {} requests, {} errors",
        result.p50_ms,
        result.p99_ms,
        result.max_ms,
        result.requests_per_second,
        result.requests,
        result.errors
    );
}

#[tokio::main]
async fn main() {
    let rows: usize = env_or("ROWS", 1_000_000);
    let seconds: u64 = env_or("DURATION", 60);
    let baseline_seconds: u64 = env_or("BASELINE_DURATION", 30);
    let connections: usize = env_or("CONNECTIONS", 32);
    println!(
        "public list page: {rows} published records, wrk {connections} connections, {seconds} s (baseline {baseline_seconds} s), loopback, {} cores",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let (url, issue) = prepared(backend, rows).await;
        let (cursor, numbered) = url_mixes(&url, issue).await;
        let (server, address) = start_server(&url);
        // Warm up: the first requests open connections and read pages into the cache.
        let _ = run_wrk(&address, &cursor, connections, 5);
        println!("{backend:?} ({} URLs per mix):", cursor.len());
        let by_cursor = run_wrk(&address, &cursor, connections, seconds);
        report("cursor paging (what pages link)", &by_cursor);
        let by_number = run_wrk(&address, &numbered, connections, baseline_seconds);
        report("baseline: page numbers (OFFSET)", &by_number);
        println!(
            "  target p99 ≤ 50 ms: {}",
            if by_cursor.p99_ms <= 50.0 && by_cursor.errors == 0 {
                "met"
            } else {
                "NOT met"
            }
        );
        drop(server);
    }
}
