//! Bulk import and export: every row is checked first, and all land or none.

use std::io::Write;

use zijin_app::exchange::{self, Outcome};
use zijin_app::{Actor, institutions, lists};
use zijin_domain::{InstitutionInput, RecordKind};
use zijin_testkit::{BACKENDS, TestContext};

const UNIVERSITY_CODE: &str = "12320102MB1AAAAA0";

/// Registers an institution under a credit code completed from its first 17 characters.
async fn with_institution(
    context: &TestContext,
    name: &str,
    kind: &str,
    code_stem: &str,
    district: &str,
) -> String {
    let code = zijin_domain::CreditCode::complete(&code_stem[..17])
        .unwrap()
        .to_string();
    let input = InstitutionInput {
        name,
        kind,
        credit_code: &code,
        district,
        ..Default::default()
    };
    institutions::create(&context.app, &Actor::System("test"), &input)
        .await
        .unwrap();
    code
}

async fn with_university(context: &TestContext) -> String {
    with_institution(context, "南京测试大学", "高校", UNIVERSITY_CODE, "栖霞区").await
}

/// An .xlsx of achievements; `spoil` may change a row's cells (row 0 is the first data row).
fn achievements_xlsx(
    rows: usize,
    code: &str,
    headers: &[&str],
    spoil: impl Fn(usize, &mut Vec<String>),
) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (column, header) in headers.iter().enumerate() {
        sheet.write_string(0, column as u16, *header).unwrap();
    }
    for row in 0..rows {
        let mut cells: Vec<String> = vec![
            format!("测试成果{row}"),
            "一种低温电解液。".into(),
            "新能源".into(),
            "锂电池、低温".into(),
            "6".into(),
            "ZL202110123456.7".into(),
            "转让、许可".into(),
            "1500000.50".into(),
            code.into(),
            "王老师".into(),
            "13800000000".into(),
        ];
        spoil(row, &mut cells);
        for (column, value) in cells.iter().enumerate() {
            sheet
                .write_string((row + 1) as u32, column as u16, value)
                .unwrap();
        }
    }
    workbook.save_to_buffer().unwrap()
}

async fn count(context: &TestContext, table: &'static str) -> i64 {
    let sql = match table {
        "achievements" => "SELECT COUNT(*) FROM achievements",
        _ => "SELECT COUNT(*) FROM audit_log",
    };
    let row: (i64,) = sqlx::query_as(sql)
        .fetch_one(context.app.store().pool())
        .await
        .unwrap();
    row.0
}

fn refused(outcome: Outcome) -> exchange::Report {
    match outcome {
        Outcome::Refused(report) => report,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn a_bad_row_anywhere_refuses_the_whole_file() {
    for backend in BACKENDS {
        let context = TestContext::new(backend).await;
        let code = with_university(&context).await;
        let admin = Actor::System("test");
        let (records, audit) = (
            count(&context, "achievements").await,
            count(&context, "audit").await,
        );
        let nothing = |_: usize, _: usize| {};

        // A bad patent number in spreadsheet row 5,000 (data row 4,998).
        let bytes = achievements_xlsx(5000, &code, &exchange::ACHIEVEMENT_COLUMNS, |row, cells| {
            if row == 4998 {
                cells[5] = "ZL202110123456.8".into();
            }
        });
        let report = refused(
            exchange::import(
                &context.app,
                &admin,
                RecordKind::Achievement,
                &bytes,
                false,
                &nothing,
            )
            .await
            .unwrap(),
        );
        assert_eq!(report.problem_count, 1, "{backend:?}: {:?}", report.lines());
        assert_eq!(
            (report.problems[0].row, report.problems[0].column.as_str()),
            (5000, "知识产权")
        );
        assert!(
            report.lines()[0].contains("第5000行【知识产权】")
                && report.lines()[0].contains("校验位")
        );

        // A negative price, an unknown institution and a wrong header.
        let bytes =
            achievements_xlsx(
                3,
                &code,
                &exchange::ACHIEVEMENT_COLUMNS,
                |row, cells| match row {
                    0 => cells[7] = "-100".into(),
                    2 => {
                        cells[8] = zijin_domain::CreditCode::complete("91320100MA1WWWWW0")
                            .unwrap()
                            .to_string()
                    }
                    _ => {}
                },
            );
        let report = refused(
            exchange::import(
                &context.app,
                &admin,
                RecordKind::Achievement,
                &bytes,
                false,
                &nothing,
            )
            .await
            .unwrap(),
        );
        let lines = report.lines();
        assert!(
            lines[0].starts_with("第2行【参考价格】") && lines[0].contains("负数"),
            "{lines:?}"
        );
        assert!(
            lines[1].starts_with("第4行【完成单位统一社会信用代码】")
                && lines[1].contains("尚未在平台登记"),
            "{lines:?}"
        );
        let mut headers = exchange::ACHIEVEMENT_COLUMNS.to_vec();
        headers[0] = "项目名称";
        let report = refused(
            exchange::import(
                &context.app,
                &admin,
                RecordKind::Achievement,
                &achievements_xlsx(2, &code, &headers, |_, _| {}),
                false,
                &nothing,
            )
            .await
            .unwrap(),
        );
        assert!(
            report.lines()[0].contains("缺少列“成果名称”"),
            "{:?}",
            report.lines()
        );

        // Not a spreadsheet, whatever its name.
        let report = refused(
            exchange::import(
                &context.app,
                &admin,
                RecordKind::Achievement,
                b"PK\x03\x04 not really a zip",
                false,
                &nothing,
            )
            .await
            .unwrap(),
        );
        assert!(report.lines()[0].contains("无法作为 .xlsx 表格打开"));
        let report = refused(
            exchange::import(
                &context.app,
                &admin,
                RecordKind::Achievement,
                &[0xFF, 0xFE, 0x00, 0x81],
                false,
                &nothing,
            )
            .await
            .unwrap(),
        );
        assert!(report.lines()[0].contains("不是 .xlsx 表格"));

        assert_eq!(
            count(&context, "achievements").await,
            records,
            "{backend:?}: nothing written"
        );
        assert_eq!(
            count(&context, "audit").await,
            audit,
            "{backend:?}: nothing audited"
        );
    }
}

#[tokio::test]
async fn a_zip_bomb_is_refused_before_it_is_unpacked() {
    let context = TestContext::new(zijin_testkit::Sqlite).await;
    let mut buffer = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut buffer);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(1));
        zip.start_file("xl/worksheets/sheet1.xml", options).unwrap();
        let zeros = vec![b'0'; 1 << 20];
        for _ in 0..300 {
            zip.write_all(&zeros).unwrap();
        }
        zip.finish().unwrap();
    }
    let bytes = buffer.into_inner();
    assert!(
        bytes.len() < 5 << 20,
        "the bomb itself is small: {} bytes",
        bytes.len()
    );
    let report = refused(
        exchange::import(
            &context.app,
            &Actor::System("test"),
            RecordKind::Achievement,
            &bytes,
            false,
            &|_, _| {},
        )
        .await
        .unwrap(),
    );
    assert!(
        report.lines()[0].contains("压缩炸弹"),
        "{:?}",
        report.lines()
    );
}

#[tokio::test]
async fn csv_and_xlsx_imports_land_whole_and_export_back() {
    for backend in BACKENDS {
        let context = TestContext::new(backend).await;
        let code = with_university(&context).await;
        let admin = Actor::System("test");
        let mut csv = exchange::ACHIEVEMENT_COLUMNS.join(",");
        for row in 0..3 {
            csv.push_str(&format!("\n宽温域电解液{row},可在零下40度工作,新能源,锂电池,中试,CN114081026A,许可,面议,{code},王老师,025-83590000"));
        }
        match exchange::import(
            &context.app,
            &admin,
            RecordKind::Achievement,
            csv.as_bytes(),
            false,
            &|_, _| {},
        )
        .await
        .unwrap()
        {
            Outcome::Imported { count, issue } => assert_eq!((count, issue), (3, None)),
            other => panic!("{backend:?}: {other:?}"),
        }
        let bytes = achievements_xlsx(20, &code, &exchange::ACHIEVEMENT_COLUMNS, |_, _| {});
        let issue = match exchange::import(
            &context.app,
            &admin,
            RecordKind::Achievement,
            &bytes,
            true,
            &|_, _| {},
        )
        .await
        .unwrap()
        {
            Outcome::Imported {
                count: 20,
                issue: Some(issue),
            } => issue,
            other => panic!("{backend:?}: {other:?}"),
        };
        assert!(
            issue.published && issue.title.ends_with("年第1期"),
            "{}",
            issue.title
        );
        // Only the approved (imported with --publish) records are in the issue; the CSV ones wait for review.
        let listed = lists::entries(
            &context.app,
            &Actor::Anonymous,
            issue.id,
            RecordKind::Achievement,
            &Default::default(),
            lists::PageAt::Number(1),
            50,
        )
        .await
        .unwrap();
        assert_eq!(listed.total, 20);

        let exported = exchange::export_issue_xlsx(&context.app, &Actor::Anonymous, issue.id)
            .await
            .unwrap();
        let table = exchange::read_table(&exported).unwrap();
        assert_eq!(table.headers[1], "成果名称");
        assert_eq!(table.rows.len(), 20);
        let first = &table.rows[0].1;
        assert_eq!(
            (first[1].as_str(), first[7].as_str(), first[12].as_str()),
            ("测试成果0", "1500000.50", "138****0000")
        );

        let pdf = exchange::export_issue_pdf(&context.app, &Actor::Anonymous, issue.id)
            .await
            .unwrap();
        let text = zijin_testkit::pdf_text(&pdf);
        for expected in [
            issue.title.as_str(),
            "一、科技成果清单（共20项）",
            "测试成果0",
            "测试成果19",
            "1,500,000.50",
            "138****0000",
            "本期无技术需求",
        ] {
            assert!(
                text.contains(expected),
                "{backend:?}: {expected} not in {text}"
            );
        }
        assert!(!text.contains("13800000000"), "contacts stay masked");
        assert_eq!(
            zijin_app::audit::verify(&context.app)
                .await
                .unwrap()
                .first_breach,
            None
        );
    }
}

#[tokio::test]
async fn templates_read_back_with_the_required_headers() {
    let fields = zijin_domain::TechnicalField::defaults();
    for kind in [RecordKind::Achievement, RecordKind::Demand] {
        let table = exchange::read_table(&exchange::template(kind, &fields).unwrap()).unwrap();
        let expected: Vec<String> = exchange::columns(kind)
            .iter()
            .chain(exchange::optional_columns(kind))
            .map(|c| c.to_string())
            .collect();
        assert_eq!(table.headers, expected);
        assert_eq!(table.rows.len(), 1, "one example row");
    }
}

/// 期望成熟度 is optional: files without the column (older templates) still import; with it,
/// each demand keeps the maturity it wants, and a bad value is named by row and column.
#[tokio::test]
async fn demands_import_with_or_without_the_wanted_maturity_column() {
    for backend in BACKENDS {
        let context = TestContext::new(backend).await;
        let code = with_institution(
            &context,
            "南京测试科技有限公司",
            "企业",
            "91320115MA1N2B3C4",
            "江宁区",
        )
        .await;
        let admin = Actor::System("test");
        let row = |title: &str| {
            format!(
                "{title},低温下续航下降,新能源,锂电池,合作开发,300000,1000000,2099-06-30,{code},李经理,13800000000"
            )
        };
        let required = exchange::DEMAND_COLUMNS.join(",");
        let import = |csv: String| {
            let app = context.app.clone();
            let admin = admin.clone();
            async move {
                exchange::import(
                    &app,
                    &admin,
                    RecordKind::Demand,
                    csv.as_bytes(),
                    false,
                    &|_, _| {},
                )
                .await
                .unwrap()
            }
        };
        // Without the column.
        let outcome = import(format!("{required}\n{}", row("旧模板需求"))).await;
        assert!(
            matches!(outcome, Outcome::Imported { count: 1, .. }),
            "{backend:?}: {outcome:?}"
        );
        // With it: one row states a maturity, one leaves it empty, one is wrong.
        let header = format!("{required},期望成熟度");
        let report = refused(
            import(format!(
                "{header}\n{},中试\n{},\n{},十级",
                row("甲"),
                row("乙"),
                row("丙")
            ))
            .await,
        );
        assert_eq!(report.problem_count, 1, "{backend:?}: {report:?}");
        let problem = &report.problems[0];
        assert_eq!((problem.row, problem.column.as_str()), (4, "期望成熟度"));
        assert!(problem.reason.contains("十级"), "{}", problem.reason);
        let outcome = import(format!("{header}\n{},中试\n{},", row("甲"), row("乙"))).await;
        assert!(
            matches!(outcome, Outcome::Imported { count: 2, .. }),
            "{backend:?}: {outcome:?}"
        );
        let listed = zijin_app::records::list_demands(&context.app, &admin, Vec::new(), 1, 10)
            .await
            .unwrap();
        let wanted = |title: &str| {
            listed
                .items
                .iter()
                .find(|d| d.details.title == title)
                .unwrap_or_else(|| panic!("{title} imported"))
                .details
                .wanted_trl
                .map(|t| t.level())
        };
        assert_eq!(wanted("甲"), Some(7), "中试 reads as its highest level");
        assert_eq!(wanted("乙"), None);
        assert_eq!(wanted("旧模板需求"), None);
    }
}
