//! Spreadsheets in and out: templates, bulk import of achievements and demands from .xlsx or
//! .csv (every row validated first; all rows land or none), and export of a list issue.

use std::collections::{BTreeMap, HashMap};
use std::io::Cursor;

use calamine::{Data, Reader};
use serde_json::json;
use zijin_domain::{
    AchievementDetails, AchievementInput, Coded, CreditCode, DemandDetails, DemandInput,
    FieldErrors, InstitutionType, ListIssue, RecordKind, RecordStatus,
};
use zijin_store::{audit, institutions, records};

use crate::unit::UnitOfWork;
use crate::{Actor, App, AppError, AppResult};

/// The largest file accepted.
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;
/// A spreadsheet may unpack to at most this much (a zip bomb unpacks to far more).
const MAX_UNPACKED_BYTES: u64 = 256 * 1024 * 1024;
/// Columns read from a sheet: the templates have a dozen.
const MAX_COLUMNS: u32 = 256;
/// Cells with content read from a sheet: MAX_ROWS rows of a template's width, and room to spare.
const MAX_CELLS: usize = MAX_ROWS * 20;
/// Strings a workbook's shared-string table may announce: every cell of MAX_CELLS.
const MAX_SHARED_STRINGS: u64 = MAX_CELLS as u64;
/// Rows per import.
pub const MAX_ROWS: usize = 200_000;
/// Problems listed in a report (all are counted).
const MAX_LISTED_PROBLEMS: usize = 200;

pub const ACHIEVEMENT_COLUMNS: [&str; 11] = [
    "成果名称",
    "成果简介",
    "技术领域",
    "关键词",
    "技术成熟度",
    "知识产权",
    "转化方式",
    "参考价格",
    "完成单位统一社会信用代码",
    "联系人",
    "联系电话",
];
pub const DEMAND_COLUMNS: [&str; 11] = [
    "需求名称",
    "需求描述",
    "技术领域",
    "关键词",
    "合作方式",
    "预算下限",
    "预算上限",
    "截止日期",
    "需求单位统一社会信用代码",
    "联系人",
    "联系电话",
];

/// Columns a file may leave out (older templates lack them); the template has them after the
/// required ones.
pub const DEMAND_OPTIONAL_COLUMNS: [&str; 1] = ["期望成熟度"];

pub fn optional_columns(kind: RecordKind) -> &'static [&'static str] {
    match kind {
        RecordKind::Achievement => &[],
        RecordKind::Demand => &DEMAND_OPTIONAL_COLUMNS,
    }
}

pub fn columns(kind: RecordKind) -> &'static [&'static str; 11] {
    match kind {
        RecordKind::Achievement => &ACHIEVEMENT_COLUMNS,
        RecordKind::Demand => &DEMAND_COLUMNS,
    }
}

/// One problem of an import: the spreadsheet row (1 is the header row; 0 the whole file),
/// the column, and why, in Chinese.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub row: usize,
    pub column: String,
    pub reason: String,
}

/// Why an import was refused. Nothing was written.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Report {
    pub rows: usize,
    pub problem_count: usize,
    /// The first problems, in row order.
    pub problems: Vec<Problem>,
}

impl Report {
    pub(crate) fn file(reason: impl Into<String>) -> Self {
        Report {
            rows: 0,
            problem_count: 1,
            problems: vec![Problem {
                row: 0,
                column: String::new(),
                reason: reason.into(),
            }],
        }
    }

    pub(crate) fn push(&mut self, row: usize, column: &str, reason: impl Into<String>) {
        self.problem_count += 1;
        if self.problems.len() < MAX_LISTED_PROBLEMS {
            self.problems.push(Problem {
                row,
                column: column.to_string(),
                reason: reason.into(),
            });
        }
    }

    /// The report as lines: `第5000行【知识产权】专利申请号…校验位错误…`.
    pub fn lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .problems
            .iter()
            .map(|p| match (p.row, p.column.is_empty()) {
                (0, _) => p.reason.clone(),
                (row, true) => format!("第{row}行：{}", p.reason),
                (row, false) => format!("第{row}行【{}】{}", p.column, p.reason),
            })
            .collect();
        if self.problem_count > self.problems.len() {
            lines.push(format!(
                "……另有{}个问题未列出",
                self.problem_count - self.problems.len()
            ));
        }
        lines
    }
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Imported {
        count: usize,
        issue: Option<ListIssue>,
    },
    Refused(Report),
}

mod read;
pub use read::{Table, read_table, read_table_up_to};

/// Where each template column is in the file; reports missing columns.
fn locate_columns(table: &Table, kind: RecordKind) -> Result<HashMap<&'static str, usize>, Report> {
    let mut positions = HashMap::new();
    let mut report = Report::default();
    for column in columns(kind) {
        match table.headers.iter().position(|h| h.trim() == *column) {
            Some(position) => {
                positions.insert(*column, position);
            }
            None => report.push(
                1,
                column,
                format!(
                    "缺少列“{column}”，请使用下载的模板（第1行应为：{}）",
                    columns(kind).join("、")
                ),
            ),
        }
    }
    for column in optional_columns(kind) {
        if let Some(position) = table.headers.iter().position(|h| h.trim() == *column) {
            positions.insert(*column, position);
        }
    }
    if report.problem_count > 0 {
        Err(report)
    } else {
        Ok(positions)
    }
}

/// The template column of a domain field, for reports.
fn column_of(kind: RecordKind, field: &str) -> &'static str {
    let columns = columns(kind);
    match (kind, field) {
        (_, "title") => columns[0],
        (RecordKind::Achievement, "summary") | (RecordKind::Demand, "description") => columns[1],
        (_, "field") => columns[2],
        (_, "keywords") => columns[3],
        (RecordKind::Achievement, "trl") => columns[4],
        (RecordKind::Achievement, "ip_items") => columns[5],
        (RecordKind::Achievement, "transfer_modes") | (RecordKind::Demand, "cooperation_modes") => {
            match kind {
                RecordKind::Achievement => columns[6],
                RecordKind::Demand => columns[4],
            }
        }
        (RecordKind::Achievement, "price") => columns[7],
        (RecordKind::Demand, "budget_min") => columns[5],
        (RecordKind::Demand, "budget_max") => columns[6],
        (RecordKind::Demand, "deadline") => columns[7],
        (RecordKind::Demand, "wanted_trl") => DEMAND_OPTIONAL_COLUMNS[0],
        (_, "contact_name") => columns[9],
        (_, "contact_phone") => columns[10],
        _ => columns[8],
    }
}

enum Parsed {
    Achievement(i64, AchievementDetails),
    Demand(i64, DemandDetails),
}

/// Validates every row, then writes all of them in one transaction — or nothing.
/// Admins (and the command line) import for any registered institution; an institution's user
/// only rows of their own institution. With `publish`, the records are approved and published
/// at once in a new list issue — in the same transaction as the records, so a killed import
/// leaves neither records nor issue behind.
pub async fn import(
    app: &App,
    actor: &Actor,
    kind: RecordKind,
    bytes: &[u8],
    publish: bool,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> AppResult<Outcome> {
    let own = crate::access::import_scope(actor, publish)?;
    let table = match read_table(bytes) {
        Ok(table) => table,
        Err(report) => return Ok(Outcome::Refused(report)),
    };
    let positions = match locate_columns(&table, kind) {
        Ok(positions) => positions,
        Err(report) => return Ok(Outcome::Refused(report)),
    };
    if table.rows.is_empty() {
        return Ok(Outcome::Refused(Report::file("表格中除列名外没有数据行")));
    }
    let fields = records::technical_fields(app.store.pool()).await?;
    let by_code: HashMap<String, (i64, InstitutionType)> = institutions::all(app.store.pool())
        .await?
        .into_iter()
        .map(|i| (i.details.credit_code.to_string(), (i.id, i.details.kind)))
        .collect();
    let today = app.today();
    let mut report = Report {
        rows: table.rows.len(),
        ..Default::default()
    };
    let mut parsed = Vec::with_capacity(table.rows.len());
    let total = table.rows.len();
    for (done, (row, values)) in table.rows.iter().enumerate() {
        let cell = |column: &str| {
            positions
                .get(column)
                .and_then(|p| values.get(*p))
                .map(String::as_str)
                .unwrap_or("")
        };
        let columns = columns(kind);
        let owner_column = columns[8];
        let owner = match CreditCode::parse(cell(owner_column)) {
            Err(error) => {
                report.push(*row, owner_column, error.to_string());
                None
            }
            Ok(code) => match by_code.get(code.as_str()) {
                None => {
                    report.push(
                        *row,
                        owner_column,
                        format!("统一社会信用代码 {code} 对应的机构尚未在平台登记"),
                    );
                    None
                }
                Some((id, _)) if own.is_some_and(|own| own != *id) => {
                    report.push(*row, owner_column, "只能导入本机构的记录");
                    None
                }
                Some((_, institution_kind))
                    if kind == RecordKind::Demand
                        && !matches!(
                            institution_kind,
                            InstitutionType::Enterprise | InstitutionType::NewRdInstitution
                        ) =>
                {
                    report.push(*row, owner_column, "技术需求由企业（或新型研发机构）发布");
                    None
                }
                Some((id, _)) => Some(*id),
            },
        };
        let record = parse_row(kind, cell, &fields, today).map(|details| match details {
            RowDetails::Achievement(d) => Parsed::Achievement(owner.unwrap_or_default(), d),
            RowDetails::Demand(d) => Parsed::Demand(owner.unwrap_or_default(), d),
        });
        match record {
            Ok(record) if owner.is_some() => parsed.push(record),
            Ok(_) => {}
            Err(errors) => {
                for error in errors.iter() {
                    report.push(*row, column_of(kind, error.field), error.message.clone());
                }
            }
        }
        if done % 1000 == 0 {
            progress(done, total);
        }
    }
    if report.problem_count > 0 {
        return Ok(Outcome::Refused(report));
    }

    let status = if publish {
        RecordStatus::Approved
    } else {
        RecordStatus::Submitted
    };
    // One unit of work for everything: the records, and with `publish` the new issue and its
    // publication. A process killed at any moment leaves all of it or none of it, so running
    // the import again never lists the same rows twice.
    tracing::info!(
        rows = parsed.len(),
        publish,
        "导入校验通过，正在写入（全部写入或全部不写入）"
    );
    let mut work = UnitOfWork::begin(app).await?;
    let now = work.now();
    let mut changes = Vec::with_capacity(parsed.len());
    for (index, record) in parsed.iter().enumerate() {
        let (id, entity, title) = match record {
            Parsed::Achievement(owner, details) => (
                records::insert_achievement(work.tx(), *owner, status, details, now).await?,
                "achievement",
                &details.title,
            ),
            Parsed::Demand(owner, details) => (
                records::insert_demand(work.tx(), *owner, status, details, now).await?,
                "demand",
                &details.title,
            ),
        };
        changes.push(audit::Change {
            actor: actor.audit_name(),
            action: match kind {
                RecordKind::Achievement => "achievement.import",
                RecordKind::Demand => "demand.import",
            },
            entity,
            entity_id: id.to_string(),
            before: None,
            after: Some(json!({"title": title, "status": status.code()})),
        });
        if index % 1000 == 0 {
            progress(index, parsed.len());
        }
    }
    work.audit_all(changes);
    let published = if publish {
        tracing::info!("记录已写入，正在开设并发布新一期清单");
        // The title is chosen inside the unit, with the issues locked: two imports running
        // at once get consecutive numbers instead of one failing after the other's rows.
        let title = crate::lists::next_issue_title_in(&mut work).await?;
        let issue_id = crate::lists::open_issue_in(&mut work, actor, &title).await?;
        let published = crate::lists::publish_in(&mut work, actor, issue_id).await?;
        Some((issue_id, published))
    } else {
        None
    };
    work.commit().await?;
    progress(parsed.len(), parsed.len());
    let issue = match published {
        Some((issue_id, published)) => {
            crate::lists::recommend_for_published(app, published);
            Some(crate::lists::issue(app, issue_id).await?)
        }
        None => None,
    };
    Ok(Outcome::Imported {
        count: parsed.len(),
        issue,
    })
}

fn xlsx_error(error: rust_xlsxwriter::XlsxError) -> AppError {
    AppError::Internal(format!("xlsx: {error}"))
}

/// The import template: the column headers, one example row, and a sheet of notes.
pub fn template(kind: RecordKind, fields: &[zijin_domain::TechnicalField]) -> AppResult<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold().set_background_color("E9DDF3");
    let sheet = workbook
        .add_worksheet()
        .set_name(kind.label())
        .map_err(xlsx_error)?;
    let example: [&str; 11] = match kind {
        RecordKind::Achievement => [
            "宽温域锂离子电池电解液",
            "可在零下40摄氏度稳定工作的电解液配方……",
            "新能源",
            "锂电池、电解液、低温",
            "6",
            "ZL202110123456.7；CN114081026A",
            "转让、许可",
            "1500000",
            "12320000XXXXXXXXXX",
            "王老师",
            "025-83590000",
        ],
        RecordKind::Demand => [
            "冬季电动车续航提升",
            "低温下电池续航下降明显，希望……",
            "新能源",
            "续航、低温电池",
            "合作开发",
            "300000",
            "1000000",
            "2027-06-30",
            "91320100XXXXXXXXXX",
            "李经理",
            "13800000000",
        ],
    };
    let optional_example: &[&str] = match kind {
        RecordKind::Achievement => &[],
        RecordKind::Demand => &["4"],
    };
    let headers = columns(kind).iter().chain(optional_columns(kind));
    let examples = example.iter().chain(optional_example);
    for (column, (header, example)) in headers.zip(examples).enumerate() {
        sheet
            .write_string_with_format(0, column as u16, *header, &bold)
            .map_err(xlsx_error)?;
        sheet
            .write_string(1, column as u16, *example)
            .map_err(xlsx_error)?;
        sheet
            .set_column_width(column as u16, if column < 2 { 30 } else { 18 })
            .map_err(xlsx_error)?;
    }
    let notes = workbook
        .add_worksheet()
        .set_name("填写说明")
        .map_err(xlsx_error)?;
    let field_labels: Vec<&str> = fields.iter().map(|f| f.label.as_str()).collect();
    let lines = [
        "第1行为列名，请勿修改；从第2行起每行一条记录（示例行请删除或替换）。".to_string(),
        format!("技术领域可选：{}", field_labels.join("、")),
        "技术成熟度填写1至9，或 实验室、小试、中试、产业化。".to_string(),
        "期望成熟度（技术需求，可不填、也可没有这一列）：希望成果至少达到的成熟度，写法同技术成熟度；填写后对接推荐会比较成果的成熟度。".to_string(),
        "知识产权多项用分号分隔：专利申请号（如 ZL202110123456.7）或公开号（如 CN114081026A）、软著:2021SR0123456、其他:说明。".to_string(),
        "转化方式 / 合作方式可选：转让、许可、作价投资、合作开发、技术服务，多项用顿号分隔。".to_string(),
        "金额以元为单位，最多两位小数；参考价格留空表示面议。截止日期写作 2027-06-30。".to_string(),
        "统一社会信用代码须为已在平台登记的机构。全部行校验通过才会导入，否则一行也不导入。".to_string(),
    ];
    for (row, line) in lines.iter().enumerate() {
        notes
            .write_string(row as u32, 0, line)
            .map_err(xlsx_error)?;
    }
    notes.set_column_width(0, 120).map_err(xlsx_error)?;
    workbook.save_to_buffer().map_err(xlsx_error)
}

/// Headers of an exported list, in order.
pub fn export_headers(kind: RecordKind) -> &'static [&'static str] {
    match kind {
        RecordKind::Achievement => &[
            "序号",
            "成果名称",
            "技术领域",
            "关键词",
            "技术成熟度",
            "知识产权",
            "转化方式",
            "参考价格（元）",
            "完成单位",
            "单位类型",
            "所在区",
            "联系人",
            "联系电话",
            "优先推荐",
        ],
        RecordKind::Demand => &[
            "序号",
            "需求名称",
            "技术领域",
            "关键词",
            "合作方式",
            "预算下限（元）",
            "预算上限（元）",
            "截止日期",
            "需求单位",
            "单位类型",
            "所在区",
            "联系人",
            "联系电话",
            "优先推荐",
        ],
    }
}

/// One list of an issue as exported: each row's values under `export_headers(kind)`, taken
/// from the frozen snapshots (contacts masked as published).
struct ExportedList {
    kind: RecordKind,
    rows: Vec<Vec<String>>,
}

impl ExportedList {
    fn column(&self, header: &str) -> Option<usize> {
        export_headers(self.kind).iter().position(|h| *h == header)
    }
}

/// The issue, if the actor may export it, and its two lists.
async fn exported_lists(
    app: &App,
    actor: &Actor,
    issue_id: i64,
) -> AppResult<(ListIssue, Vec<ExportedList>)> {
    use zijin_domain::{District, TransferMode, Trl};
    let issue = crate::lists::issue(app, issue_id).await?;
    if !crate::access::may_read_issue(actor, issue.published) {
        return Err(AppError::NotFound("清单期次"));
    }
    let fields = records::technical_fields(app.store.pool()).await?;
    let field_label = |code: &str| {
        fields
            .iter()
            .find(|f| f.code == code)
            .map(|f| f.label.clone())
            .unwrap_or_else(|| code.to_string())
    };
    let mut lists = Vec::new();
    for kind in [RecordKind::Achievement, RecordKind::Demand] {
        let entries = zijin_store::lists::all_entries(app.store.pool(), issue_id, kind).await?;
        let mut rows = Vec::with_capacity(entries.len());
        for (index, entry) in entries.iter().enumerate() {
            let s: serde_json::Value = serde_json::from_str(&entry.snapshot).unwrap_or_default();
            let text = |key: &str| s[key].as_str().unwrap_or_default().to_string();
            let list = |key: &str| {
                s[key]
                    .as_array()
                    .map(|items| {
                        items
                            .iter()
                            .filter_map(|v| v.as_str())
                            .collect::<Vec<_>>()
                            .join("；")
                    })
                    .unwrap_or_default()
            };
            let modes = entry
                .modes
                .iter()
                .filter_map(|m| TransferMode::from_code(m))
                .map(|m| m.label())
                .collect::<Vec<_>>()
                .join("、");
            let institution_kind = InstitutionType::from_code(&entry.institution_kind)
                .map(|k| k.label())
                .unwrap_or_default()
                .to_string();
            let district = District::from_code(&entry.district)
                .map(|d| d.label())
                .unwrap_or_default()
                .to_string();
            let institution = s["institution"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let priority = if entry.priority { "是" } else { "" }.to_string();
            rows.push(match kind {
                RecordKind::Achievement => vec![
                    (index + 1).to_string(),
                    entry.title.clone(),
                    field_label(&entry.field),
                    list("keywords"),
                    entry
                        .trl
                        .and_then(|t| u8::try_from(t).ok())
                        .and_then(Trl::new)
                        .map(|t| t.label())
                        .unwrap_or_default(),
                    list("ip_items"),
                    modes,
                    text("price"),
                    institution,
                    institution_kind,
                    district,
                    text("contact_name"),
                    text("contact_phone"),
                    priority,
                ],
                RecordKind::Demand => vec![
                    (index + 1).to_string(),
                    entry.title.clone(),
                    field_label(&entry.field),
                    list("keywords"),
                    modes,
                    text("budget_min"),
                    text("budget_max"),
                    text("deadline"),
                    institution,
                    institution_kind,
                    district,
                    text("contact_name"),
                    text("contact_phone"),
                    priority,
                ],
            });
        }
        lists.push(ExportedList { kind, rows });
    }
    Ok((issue, lists))
}

/// A published issue (or, for admins, an unpublished one) as an .xlsx workbook with one sheet
/// per list, Chinese headers, contacts masked as published.
pub async fn export_issue_xlsx(app: &App, actor: &Actor, issue_id: i64) -> AppResult<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let (_, lists) = exported_lists(app, actor, issue_id).await?;
    let mut workbook = Workbook::new();
    let bold = Format::new()
        .set_bold()
        .set_background_color("E9DDF3")
        .set_border(rust_xlsxwriter::FormatBorder::Thin);
    for list in &lists {
        let sheet = workbook
            .add_worksheet()
            .set_name(format!("{}清单", list.kind.label()))
            .map_err(xlsx_error)?;
        for (column, header) in export_headers(list.kind).iter().enumerate() {
            sheet
                .write_string_with_format(0, column as u16, *header, &bold)
                .map_err(xlsx_error)?;
            sheet
                .set_column_width(column as u16, if column == 1 { 36 } else { 14 })
                .map_err(xlsx_error)?;
        }
        for (index, values) in list.rows.iter().enumerate() {
            for (column, value) in values.iter().enumerate() {
                sheet
                    .write_string((index + 1) as u32, column as u16, value)
                    .map_err(xlsx_error)?;
            }
        }
        sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
    }
    workbook.save_to_buffer().map_err(xlsx_error)
}

/// The columns of the PDF, a selection of the spreadsheet's that fits A4 landscape: header,
/// share of the width, alignment.
fn pdf_columns(kind: RecordKind) -> &'static [(&'static str, f32, zijin_pdf::Align)] {
    use zijin_pdf::Align::{Center, Left, Right};
    match kind {
        RecordKind::Achievement => &[
            ("序号", 3.5, Center),
            ("成果名称", 16.0, Left),
            ("技术领域", 7.0, Center),
            ("关键词", 10.0, Left),
            ("技术成熟度", 8.5, Center),
            ("知识产权", 11.5, Left),
            ("转化方式", 8.0, Left),
            ("参考价格（元）", 9.0, Right),
            ("完成单位", 11.0, Left),
            ("所在区", 5.5, Center),
            ("联系人", 5.0, Center),
            ("联系电话", 8.5, Center),
        ],
        RecordKind::Demand => &[
            ("序号", 3.5, Center),
            ("需求名称", 18.0, Left),
            ("技术领域", 7.0, Center),
            ("关键词", 10.5, Left),
            ("合作方式", 8.5, Left),
            ("预算下限（元）", 9.0, Right),
            ("预算上限（元）", 9.0, Right),
            ("截止日期", 7.5, Center),
            ("需求单位", 11.5, Left),
            ("所在区", 5.5, Center),
            ("联系人", 5.0, Center),
            ("联系电话", 8.5, Center),
        ],
    }
}

/// A list issue as a PDF for official publication: title, basis, both lists as tables whose
/// header repeats on every page, page numbers; Chinese drawn with the embedded font (and the
/// system's CJK fonts for characters outside it). Runs on a blocking thread: a large issue
/// takes seconds.
pub async fn export_issue_pdf(app: &App, actor: &Actor, issue_id: i64) -> AppResult<Vec<u8>> {
    let (issue, lists) = exported_lists(app, actor, issue_id).await?;
    let published = issue
        .published_at
        .as_deref()
        .and_then(|at| chrono::DateTime::parse_from_rfc3339(at).ok())
        .map(|at| {
            at.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap_or(*at.offset()))
        });
    let date_line = match &published {
        Some(at) => format!("发布日期：{}", at.format("%Y年%-m月%-d日")),
        None => "未发布（预览）".to_string(),
    };
    let mut tables = Vec::new();
    // The lists are consumed as the tables are made (cells moved, not copied): for a large
    // issue the rows are much of what the build holds in memory.
    for (number, list) in lists.into_iter().enumerate() {
        let chosen: Vec<(usize, &(&str, f32, zijin_pdf::Align))> = pdf_columns(list.kind)
            .iter()
            .filter_map(|column| list.column(column.0).map(|index| (index, column)))
            .collect();
        let priority = list.column("优先推荐");
        let (kind, count) = (list.kind, list.rows.len());
        let rows = list
            .rows
            .into_iter()
            .map(|mut values| {
                chosen
                    .iter()
                    .map(|(index, (header, _, _))| {
                        let value = if header.contains("（元）") {
                            zijin_domain::group_thousands(&values[*index])
                        } else {
                            std::mem::take(&mut values[*index])
                        };
                        // The priority mark rides on the title, as the spreadsheet's column would
                        // not fit the page.
                        let marked = priority.is_some_and(|p| values[p] == "是");
                        if marked && (*header == "成果名称" || *header == "需求名称") {
                            format!("★{value}")
                        } else {
                            value
                        }
                    })
                    .collect()
            })
            .collect();
        tables.push(zijin_pdf::Table {
            heading: format!(
                "{}、{}清单（共 {} 项）",
                ["一", "二"][number.min(1)],
                kind.label(),
                count
            ),
            columns: chosen
                .iter()
                .map(|(_, (header, weight, align))| {
                    zijin_pdf::Column::new(*header, *weight).aligned(*align)
                })
                .collect(),
            rows,
            empty_note: format!("本期无{}", kind.label()),
        });
    }
    let publication = zijin_pdf::Publication {
        title: format!("科技成果和技术需求“两项清单”（{}）", issue.title),
        preamble: vec![
            date_line,
            "依据《关于加快推进科技成果转化的实施意见》第2条定期发布；联系电话已部分隐去"
                .to_string(),
            "★ 优先推荐列入省重点研发项目、省“1650”产业体系协同攻关项目".to_string(),
        ],
        tables,
        footer: format!("紫金科技成果转化服务平台 · {}", issue.title),
        date: published.map(|at| {
            use chrono::Datelike;
            (at.year() as u16, at.month() as u8, at.day() as u8)
        }),
    };
    crate::exports::render_pdf(publication, &format!("清单期次 {issue_id}")).await
}

/// The details of one spreadsheet row.
pub enum RowDetails {
    Achievement(AchievementDetails),
    Demand(DemandDetails),
}

/// Parses one row of an import (its cells by column name) into a record's details, exactly as
/// the import does, without the database: the owner's credit code is checked by the caller.
/// The fuzz targets call this same function.
pub fn parse_row<'a>(
    kind: RecordKind,
    cell: impl Fn(&str) -> &'a str,
    fields: &[zijin_domain::TechnicalField],
    today: chrono::NaiveDate,
) -> Result<RowDetails, FieldErrors> {
    let columns = columns(kind);
    match kind {
        RecordKind::Achievement => {
            let ip_items = vec![cell(columns[5]).to_string()];
            let modes = vec![cell(columns[6]).to_string()];
            let input = AchievementInput {
                title: cell(columns[0]),
                summary: cell(columns[1]),
                field: cell(columns[2]),
                keywords: cell(columns[3]),
                trl: cell(columns[4]),
                ip_items: &ip_items,
                transfer_modes: &modes,
                price: cell(columns[7]),
                contact_name: cell(columns[9]),
                contact_phone: cell(columns[10]),
                source_flags: &[],
            };
            AchievementDetails::parse(&input, fields).map(RowDetails::Achievement)
        }
        RecordKind::Demand => {
            let modes = vec![cell(columns[4]).to_string()];
            let input = DemandInput {
                title: cell(columns[0]),
                description: cell(columns[1]),
                field: cell(columns[2]),
                keywords: cell(columns[3]),
                cooperation_modes: &modes,
                budget_min: cell(columns[5]),
                budget_max: cell(columns[6]),
                wanted_trl: cell(DEMAND_OPTIONAL_COLUMNS[0]),
                deadline: cell(columns[7]),
                contact_name: cell(columns[9]),
                contact_phone: cell(columns[10]),
            };
            DemandDetails::parse(&input, fields, today).map(RowDetails::Demand)
        }
    }
}
