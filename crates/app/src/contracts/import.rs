//! Import of registered contracts from the national registry system's export (.xlsx or .csv
//! with fixed Chinese headers): every row checked first, then all rows written in one
//! transaction with the aggregates they move — or none (`zijin import contracts FILE`).

use std::collections::{HashMap, HashSet};

use chrono::Datelike;
use serde_json::json;
use zijin_domain::{
    ContractDetails, ContractInput, ContractStatus, CreditCode, RegistrationNumber,
};
use zijin_store::audit::Change;
use zijin_store::contracts::{self as store, ContractSource, NewContract, totals};

use crate::access::{self, Area};
use crate::exchange::{Report, read_table_up_to};
use crate::unit::UnitOfWork;
use crate::{Actor, App, AppError, AppResult};

/// The columns of the national system's export, in its order.
pub const COLUMNS: [&str; 17] = [
    "合同登记编号",
    "项目名称",
    "合同类型",
    "签订日期",
    "卖方名称",
    "卖方统一社会信用代码",
    "卖方性质",
    "卖方行政区划",
    "买方名称",
    "买方统一社会信用代码",
    "买方性质",
    "买方行政区划",
    "技术领域",
    "知识产权类型",
    "成交额",
    "技术交易额",
    "登记日期",
];

/// A contract export may be larger than a record template.
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;

/// The column a validation field is reported under.
fn column_of(field: &str) -> &'static str {
    match field {
        "title" => COLUMNS[1],
        "contract_type" => COLUMNS[2],
        "signed_on" | "valid_until" => COLUMNS[3],
        "seller_name" => COLUMNS[4],
        "seller_credit_code" => COLUMNS[5],
        "seller_nature" => COLUMNS[6],
        "seller_region" => COLUMNS[7],
        "buyer_name" => COLUMNS[8],
        "buyer_credit_code" => COLUMNS[9],
        "buyer_nature" => COLUMNS[10],
        "buyer_region" => COLUMNS[11],
        "field" => COLUMNS[12],
        "ip_type" => COLUMNS[13],
        "total" => COLUMNS[14],
        _ => COLUMNS[15],
    }
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Imported { count: usize },
    Refused(Report),
}

struct Row {
    line: usize,
    number: RegistrationNumber,
    details: ContractDetails,
    registered_on: chrono::NaiveDate,
}

/// Checks every row, then writes all of them with their aggregates in one transaction.
pub async fn import(
    app: &App,
    actor: &Actor,
    bytes: &[u8],
    progress: &(dyn Fn(usize, usize) + Sync),
) -> AppResult<Outcome> {
    access::require(actor, Area::ContractImport)?;
    let table = match read_table_up_to(bytes, MAX_FILE_BYTES) {
        Ok(table) => table,
        Err(report) => return Ok(Outcome::Refused(report)),
    };
    let mut report = Report {
        rows: table.rows.len(),
        ..Report::default()
    };
    let mut positions = HashMap::new();
    let mut missing = Vec::new();
    for column in COLUMNS {
        match table.headers.iter().position(|h| h.trim() == column) {
            Some(position) => {
                positions.insert(column, position);
            }
            None => missing.push(column),
        }
    }
    if !missing.is_empty() {
        report.push(
            1,
            "",
            format!(
                "缺少列“{}”。第1行应为国家技术合同登记系统导出的列名：{}（可下载导入模板对照）",
                missing.join("”“"),
                COLUMNS.join("、")
            ),
        );
        return Ok(Outcome::Refused(report));
    }
    if table.rows.is_empty() {
        return Ok(Outcome::Refused(Report::file("表格中除列名外没有数据行")));
    }
    let today = app.today();
    let total = table.rows.len();
    let mut rows = Vec::with_capacity(total);
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (done, (line, values)) in table.rows.iter().enumerate() {
        let cell = |column: &str| {
            positions
                .get(column)
                .and_then(|p| values.get(*p))
                .map(|s| s.trim().to_string())
                .unwrap_or_default()
        };
        let number = RegistrationNumber::parse(&cell(COLUMNS[0]));
        match &number {
            None => report.push(*line, COLUMNS[0], "合同登记编号应为16位数字"),
            Some(n) => {
                if let Some(first) = seen.insert(n.as_str().to_string(), *line) {
                    report.push(
                        *line,
                        COLUMNS[0],
                        format!("与第{first}行的合同登记编号重复"),
                    );
                }
            }
        }
        let registered_on = zijin_domain::contract::parse_date(&cell(COLUMNS[16]));
        match registered_on {
            None => report.push(*line, COLUMNS[16], "登记日期应为日期，例如 2026-05-20"),
            Some(on) if on > today => report.push(*line, COLUMNS[16], "登记日期不能晚于今天"),
            Some(_) => {}
        }
        let input = ContractInput {
            title: cell(COLUMNS[1]),
            contract_type: cell(COLUMNS[2]),
            signed_on: cell(COLUMNS[3]),
            seller_name: cell(COLUMNS[4]),
            seller_credit_code: cell(COLUMNS[5]),
            seller_nature: cell(COLUMNS[6]),
            seller_region: cell(COLUMNS[7]),
            buyer_name: cell(COLUMNS[8]),
            buyer_credit_code: cell(COLUMNS[9]),
            buyer_nature: cell(COLUMNS[10]),
            buyer_region: cell(COLUMNS[11]),
            field: cell(COLUMNS[12]),
            ip_type: cell(COLUMNS[13]),
            total: cell(COLUMNS[14]),
            technology: cell(COLUMNS[15]),
            ..ContractInput::default()
        };
        match input.validate() {
            Ok(details) => {
                if let Some(on) = registered_on
                    && on < details.signed_on
                {
                    report.push(*line, COLUMNS[16], "登记日期不能早于签订日期");
                }
                if let (Some(number), Some(registered_on)) = (number, registered_on) {
                    rows.push(Row {
                        line: *line,
                        number,
                        details,
                        registered_on,
                    });
                }
            }
            Err(errors) => {
                for error in errors.iter() {
                    report.push(*line, column_of(error.field), error.message.clone());
                }
            }
        }
        if done % 1000 == 0 {
            progress(done, total);
        }
    }
    if report.problem_count == 0 {
        let numbers: Vec<String> = rows.iter().map(|r| r.number.as_str().to_string()).collect();
        let taken: HashSet<String> = store::numbers_taken(app.store().pool(), &numbers)
            .await?
            .into_iter()
            .collect();
        for row in rows.iter().filter(|r| taken.contains(r.number.as_str())) {
            report.push(
                row.line,
                COLUMNS[0],
                format!(
                    "合同登记编号 {} 已在平台登记，不能重复导入",
                    row.number.as_str()
                ),
            );
        }
    }
    if report.problem_count > 0 {
        return Ok(Outcome::Refused(report));
    }
    let sellers: HashMap<String, i64> = zijin_store::institutions::all(app.store().pool())
        .await?
        .into_iter()
        .map(|i| (i.details.credit_code.as_str().to_string(), i.id))
        .collect();
    let mut deltas = totals::Deltas::new();
    for row in &rows {
        totals::add_contract(
            &mut deltas,
            &row.details,
            row.registered_on.year(),
            row.registered_on.month(),
            1,
        );
    }
    let new: Vec<NewContract<'_>> = rows
        .iter()
        .map(|row| NewContract {
            details: &row.details,
            number: Some(&row.number),
            status: ContractStatus::Registered,
            registry_id: None,
            seller_institution_id: sellers
                .get(row.details.seller.credit_code.as_str())
                .copied(),
            broker_institution_id: None,
            broker_name: "",
            broker_user_id: None,
            match_id: None,
            achievement_id: None,
            source: ContractSource::Import,
            accepted_on: None,
            due_on: None,
            registered_on: Some(row.registered_on),
            submitted_by: actor.user().map(|u| u.id),
            is_demo: false,
        })
        .collect();
    let mut work = UnitOfWork::begin(app).await?;
    let now = work.now();
    // Another import committed the same numbers meanwhile (checked above, before this
    // transaction): nothing of this one is written.
    store::insert_many(work.tx(), &new, now)
        .await
        .map_err(|error| match error {
            zijin_store::StoreError::Duplicate { .. } => AppError::WrongState(
                "文件中有合同登记编号刚被另一次导入登记，本次未写入任何合同；请重新导入，系统会指出重复的行".into(),
            ),
            other => other.into(),
        })?;
    totals::apply(work.tx(), &deltas).await?;
    let technology: i64 = rows.iter().map(|r| r.details.technology.fen()).sum();
    work.audit(Change {
        actor: actor.audit_name(),
        action: "contract.import",
        entity: "contract",
        entity_id: String::new(),
        before: None,
        after: Some(json!({
            "count": rows.len(),
            "technology_amount": zijin_domain::Money::from_fen(technology).ok().map(|m| m.to_string()),
        })),
    });
    work.commit().await?;
    progress(total, total);
    Ok(Outcome::Imported { count: rows.len() })
}

/// The import template: the export's header row and one example row (fictitious parties).
pub fn template() -> AppResult<Vec<u8>> {
    let code = |seed: &str| {
        CreditCode::complete(seed)
            .map(|c| c.as_str().to_string())
            .unwrap_or_default()
    };
    let example: Vec<String> = vec![
        // A sample number no registry assigns (serials start at 1): replace it with the real one.
        "2026320102000000".into(),
        "高效钙钛矿太阳能电池制备技术开发".into(),
        "技术开发（委托）".into(),
        "2026-03-18".into(),
        "示例大学".into(),
        code("12320000466007327"),
        "022".into(),
        "320102".into(),
        "示例新能源科技有限公司".into(),
        code("91320115MA1MXXXX0"),
        "150".into(),
        "320115".into(),
        "新能源与高效节能".into(),
        "专利".into(),
        "1200000.00".into(),
        "1000000.00".into(),
        "2026-03-30".into(),
    ];
    let headers: Vec<(&str, f64)> = COLUMNS.iter().map(|c| (*c, 18.0)).collect();
    crate::exports::table_xlsx("技术合同", &headers, &[example])
}
