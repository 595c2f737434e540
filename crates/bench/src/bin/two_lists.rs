//! Issue 3 figures, on both backends: import of 100,000 achievements from .xlsx (target ≤ 60 s)
//! and publishing an issue of 100,000 records (target ≤ 10 s).
//! Run with `bench/two-lists` (ROWS overrides the row count).

use zijin_app::exchange::{self, Outcome};
use zijin_app::{Actor, App, SystemClock, institutions, lists};
use zijin_bench::{patent_titles, timed};
use zijin_domain::{CreditCode, InstitutionInput, RecordKind};
use zijin_testkit::{BACKENDS, TestDatabase};

const INSTITUTIONS: usize = 50;

fn spreadsheet(rows: usize, codes: &[String], titles: &[String]) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (column, header) in exchange::ACHIEVEMENT_COLUMNS.iter().enumerate() {
        sheet
            .write_string(0, column as u16, *header)
            .expect("header");
    }
    let fields = [
        "新能源",
        "高端装备",
        "新材料",
        "生物医药",
        "信息通信",
        "集成电路",
    ];
    for row in 0..rows {
        let title = &titles[row % titles.len()];
        let cells = [
            title.as_str(),
            "本成果来自真实专利标题，用于性能测试。",
            fields[row % fields.len()],
            "测试、性能",
            &((row % 9) + 1).to_string(),
            "ZL202110123456.7",
            "转让、许可",
            &format!("{}.{:02}", 10_000 + row, row % 100),
            &codes[row % codes.len()],
            "王老师",
            "13800000000",
        ];
        for (column, value) in cells.iter().enumerate() {
            sheet
                .write_string((row + 1) as u32, column as u16, *value)
                .expect("cell");
        }
    }
    workbook.save_to_buffer().expect("xlsx")
}

#[tokio::main]
async fn main() {
    let rows: usize = std::env::var("ROWS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(100_000);
    let titles = patent_titles();
    println!(
        "two lists: {rows} achievements, {INSTITUTIONS} institutions, {} cores",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
    for backend in BACKENDS {
        let database = TestDatabase::new(backend).await;
        let app = App::new(database.store.clone(), std::sync::Arc::new(SystemClock));
        let admin = Actor::System("bench");
        let mut codes = Vec::new();
        for index in 0..INSTITUTIONS {
            let code = CreditCode::complete(&format!("1232011346600{index:04}"))
                .expect("valid")
                .to_string();
            let name = format!("测试高校{index}");
            let input = InstitutionInput {
                name: &name,
                kind: "高校",
                credit_code: &code,
                district: "栖霞区",
                ..Default::default()
            };
            institutions::create(&app, &admin, &input)
                .await
                .expect("institution");
            codes.push(code);
        }
        let bytes = spreadsheet(rows, &codes, &titles);
        let (outcome, import_seconds) = timed(exchange::import(
            &app,
            &admin,
            RecordKind::Achievement,
            &bytes,
            false,
            &|_, _| {},
        ))
        .await;
        match outcome.expect("import runs") {
            Outcome::Imported { count, .. } => assert_eq!(count, rows),
            Outcome::Refused(report) => panic!("refused: {:?}", report.lines()),
        }
        // Approve everything at once (review is not what is measured here).
        sqlx::query("UPDATE achievements SET status = 'approved'")
            .execute(database.store.pool())
            .await
            .expect("approve");
        let issue = lists::open_issue(&app, &admin, "基准测试期")
            .await
            .expect("open");
        let (published, publish_seconds) = timed(lists::publish(&app, &admin, issue.id)).await;
        assert!(published.expect("publish").published);
        println!(
            "{backend:?}: import {rows} rows from .xlsx ({:.1} MB): {import_seconds:.1} s (target ≤ 60 s); publish an issue of {rows} records: {publish_seconds:.1} s (target ≤ 10 s)",
            bytes.len() as f64 / 1_048_576.0
        );
    }
}
