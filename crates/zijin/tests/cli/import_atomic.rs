//! `zijin import … --publish` is one transaction: the records, the new list issue and its
//! publication land together or not at all. The process is killed with SIGKILL while it
//! writes, on both backends, and the database must hold none of the import or all of it;
//! running it again then lists every row exactly once. Two such imports at once both land,
//! each in an issue of its own.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use zijin_testkit::{BACKENDS, TestDatabase};

use super::{text, zijin_command, zijin_in};

const UNIVERSITY_CODE: &str = "123201134660012346";

/// The line the import logs once every row is valid and it starts writing.
const WRITING: &str = "正在写入";
/// The line it logs when the records are written and it opens and publishes the issue.
const PUBLISHING: &str = "正在开设并发布";

fn register_university(database: &TestDatabase, data: &std::path::Path) {
    let added = zijin_in(
        database,
        data,
        &[
            "institution",
            "add",
            "--name",
            "南京测试大学",
            "--type",
            "高校",
            "--credit-code",
            UNIVERSITY_CODE,
            "--district",
            "栖霞区",
        ],
    );
    assert!(added.status.success(), "{}", text(&added.stderr));
}

/// A CSV of `rows` valid achievements whose titles start with `prefix`.
fn achievements_csv(path: &std::path::Path, prefix: &str, rows: usize) {
    let mut csv = String::from(
        "成果名称,成果简介,技术领域,关键词,技术成熟度,知识产权,转化方式,参考价格,完成单位统一社会信用代码,联系人,联系电话\n",
    );
    for row in 0..rows {
        csv.push_str(&format!(
            "{prefix}{row}号低温电解液,可在零下40摄氏度稳定工作的电解液配方第{row}号,新能源,电解液、低温,6,,转让,1500000,{UNIVERSITY_CODE},王老师,13800000000\n"
        ));
    }
    std::fs::write(path, csv).unwrap();
}

fn start_import(database: &TestDatabase, data: &std::path::Path, file: &std::path::Path) -> Child {
    zijin_command()
        .args([
            "import",
            "achievements",
            file.to_str().unwrap(),
            "--publish",
        ])
        .arg("--database-url")
        .arg(&database.url)
        // The test databases' audit key, as every process writing them must have.
        .env("ZIJIN_AUDIT_KEY", zijin_testkit::TEST_AUDIT_KEY_HEX)
        .arg("--data-dir")
        .arg(data)
        .env("ZIJIN_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Kills the import with SIGKILL `delay` after it logs `marker`. Returns whether it was still
/// running when killed (a kill after it finished proves nothing).
fn kill_after(mut child: Child, marker: &str, delay: Duration) -> bool {
    let stderr = child.stderr.take().unwrap();
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    loop {
        let line = received
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|_| panic!("the import never logged {marker}: {seen:#?}"));
        if line.contains(marker) {
            break;
        }
        seen.push(line);
    }
    std::thread::sleep(delay);
    let running = child.try_wait().unwrap().is_none();
    child.kill().unwrap();
    child.wait().unwrap();
    running
}

/// What of imports with titles starting with `prefix` is in the database.
#[derive(Debug, PartialEq, Eq)]
struct Landed {
    records: i64,
    published_records: i64,
    issues: i64,
    published_issues: i64,
    /// Entries of the newest issue.
    entries: i64,
}

async fn landed(database: &TestDatabase, prefix: &str) -> Landed {
    let pool = database.store.pool();
    let pattern = format!("{prefix}%");
    let count = |sql: &'static str| {
        let pattern = pattern.clone();
        async move {
            let row: (i64,) = if sql.contains("$1") {
                sqlx::query_as(sql).bind(pattern).fetch_one(pool).await
            } else {
                sqlx::query_as(sql).fetch_one(pool).await
            }
            .unwrap();
            row.0
        }
    };
    Landed {
        records: count("SELECT COUNT(*) FROM achievements WHERE title LIKE $1").await,
        published_records: count(
            "SELECT COUNT(*) FROM achievements WHERE title LIKE $1 AND status = 'published'",
        )
        .await,
        issues: count("SELECT COUNT(*) FROM list_issues").await,
        published_issues: count("SELECT COUNT(*) FROM list_issues WHERE status = 'published'")
            .await,
        entries: count(
            "SELECT COUNT(*) FROM list_entries WHERE title LIKE $1 \
             AND issue_id = (SELECT MAX(id) FROM list_issues)",
        )
        .await,
    }
}

fn nothing() -> Landed {
    Landed {
        records: 0,
        published_records: 0,
        issues: 0,
        published_issues: 0,
        entries: 0,
    }
}

fn everything(rows: i64) -> Landed {
    Landed {
        records: rows,
        published_records: rows,
        issues: 1,
        published_issues: 1,
        entries: rows,
    }
}

fn audit_chain_holds(database: &TestDatabase, data: &std::path::Path) {
    let verified = zijin_in(database, data, &["audit", "verify"]);
    assert!(
        verified.status.success(),
        "{}{}",
        text(&verified.stdout),
        text(&verified.stderr)
    );
}

#[tokio::test]
async fn an_import_killed_while_it_writes_leaves_nothing_and_runs_again_once() {
    const ROWS: usize = 10_000;
    for backend in BACKENDS {
        let database = TestDatabase::new(backend).await;
        let data = tempfile::tempdir().unwrap();
        register_university(&database, data.path());
        let file = data.path().join("achievements.csv");
        achievements_csv(&file, "断电", ROWS);

        // While the rows are written, and as the issue is opened and published.
        for (marker, delay) in [
            (WRITING, Duration::from_millis(300)),
            (PUBLISHING, Duration::from_millis(1000)),
        ] {
            let child = start_import(&database, data.path(), &file);
            let was_running = kill_after(child, marker, delay);
            assert!(
                was_running,
                "{backend:?}: killed after {marker} while running"
            );
            let state = landed(&database, "断电").await;
            assert!(
                state == nothing() || state == everything(ROWS as i64),
                "{backend:?}: killed after {marker}: {state:?}"
            );
            if state == everything(ROWS as i64) {
                // It committed just before the kill: nothing is left to test on this backend.
                break;
            }
            audit_chain_holds(&database, data.path());
        }

        if landed(&database, "断电").await == nothing() {
            let again = zijin_in(
                &database,
                data.path(),
                &[
                    "import",
                    "achievements",
                    file.to_str().unwrap(),
                    "--publish",
                ],
            );
            assert!(
                again.status.success(),
                "{backend:?}: {}",
                text(&again.stderr)
            );
            assert!(
                text(&again.stdout).contains("年第1期"),
                "{backend:?}: {}",
                text(&again.stdout)
            );
        }
        assert_eq!(
            landed(&database, "断电").await,
            everything(ROWS as i64),
            "{backend:?}: one issue, every row once"
        );
        audit_chain_holds(&database, data.path());
    }
}

#[tokio::test]
async fn two_imports_published_at_once_each_get_an_issue() {
    const ROWS: usize = 2_000;
    for backend in BACKENDS {
        let database = TestDatabase::new(backend).await;
        let data = tempfile::tempdir().unwrap();
        register_university(&database, data.path());
        let (first, second) = (data.path().join("a.csv"), data.path().join("b.csv"));
        achievements_csv(&first, "甲批", ROWS);
        achievements_csv(&second, "乙批", ROWS);
        let children = [
            start_import(&database, data.path(), &first),
            start_import(&database, data.path(), &second),
        ];
        for child in children {
            let output = child.wait_with_output().unwrap();
            assert!(
                output.status.success(),
                "{backend:?}: {}",
                text(&output.stderr)
            );
        }
        let pool = database.store.pool();
        let issues: Vec<(String, String)> =
            sqlx::query_as("SELECT title, status FROM list_issues ORDER BY id")
                .fetch_all(pool)
                .await
                .unwrap();
        let year = chrono::Utc::now().format("%Y").to_string();
        assert_eq!(
            issues,
            vec![
                (format!("{year}年第1期"), "published".to_string()),
                (format!("{year}年第2期"), "published".to_string()),
            ],
            "{backend:?}"
        );
        // The second issue lists both imports; the first the one that came first; every
        // record is published.
        let entries: Vec<(i64,)> =
            sqlx::query_as("SELECT COUNT(*) FROM list_entries GROUP BY issue_id ORDER BY issue_id")
                .fetch_all(pool)
                .await
                .unwrap();
        let rows = ROWS as i64;
        assert_eq!(entries, vec![(rows,), (2 * rows,)], "{backend:?}");
        for prefix in ["甲批", "乙批"] {
            let state = landed(&database, prefix).await;
            assert_eq!(
                (state.records, state.published_records, state.entries),
                (rows, rows, rows),
                "{backend:?}: {prefix}"
            );
        }
        audit_chain_holds(&database, data.path());
    }
}
