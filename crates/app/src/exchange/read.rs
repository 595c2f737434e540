//! Reading an uploaded .xlsx or .csv into a table: recognised by content, bounded by what it
//! contains (cells read one at a time, the archive and its shared strings checked first).

use super::*;

/// A table read from a file: header cells, and each data row with its spreadsheet row number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<(usize, Vec<String>)>,
}

/// Reads an .xlsx or .csv file, recognised by its content, not its name.
pub fn read_table(bytes: &[u8]) -> Result<Table, Report> {
    read_table_up_to(bytes, MAX_FILE_BYTES)
}

/// [`read_table`] with another size limit (the contract registry's exports are larger).
pub fn read_table_up_to(bytes: &[u8], max_bytes: usize) -> Result<Table, Report> {
    if bytes.len() > max_bytes {
        return Err(Report::file(format!(
            "文件大小为{:.1} MB，超过上限{} MB",
            bytes.len() as f64 / 1_048_576.0,
            max_bytes / 1_048_576
        )));
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return read_xlsx(bytes);
    }
    if bytes.is_empty() {
        return Err(Report::file(
            "上传的文件是空的，请选择填好的 .xlsx 或 .csv 文件",
        ));
    }
    if let Some((_, extension)) = zijin_domain::sniff_attachment(bytes) {
        return Err(Report::file(format!(
            "上传的是 {} 文件，不是表格：请上传 .xlsx 或 UTF-8 编码的 .csv 文件",
            extension.to_uppercase()
        )));
    }
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)).map_err(
        |_| {
            Report::file("文件不是 .xlsx 表格，也不是 UTF-8 编码的 .csv 文件，请使用下载的模板填写")
        },
    )?;
    read_csv(text)
}

fn not_a_spreadsheet() -> Report {
    Report::file("文件无法作为 .xlsx 表格打开（可能已损坏，或只是改了扩展名）")
}

fn read_xlsx(bytes: &[u8]) -> Result<Table, Report> {
    check_archive(bytes)?;
    // calamine does its arithmetic on cell references unchecked: a reference such as
    // `AAAAAAA1` or a dimension `B2:A1` overflows, which panics in a debug build (and wraps in
    // a release one). Such a file is no spreadsheet of ours, whatever the build.
    let rows = std::panic::catch_unwind(|| read_cells(bytes))
        .unwrap_or_else(|_| Err(not_a_spreadsheet()))?;
    // The table starts at its first row and leftmost column with content, as a range would.
    let first_column = rows.values().flatten().map(|(c, _)| *c).min().unwrap_or(0);
    let last_column = rows.values().flatten().map(|(c, _)| *c).max().unwrap_or(0);
    let width = (last_column - first_column) as usize + 1;
    let values = |cells: Vec<(u32, String)>| {
        let mut values = vec![String::new(); width];
        for (column, text) in cells {
            values[(column - first_column) as usize] = text;
        }
        values
    };
    let mut rows = rows.into_iter();
    let headers = match rows.next() {
        Some((_, cells)) => values(cells),
        None => return Err(Report::file("表格是空的：第1行应为列名")),
    };
    Ok(Table {
        headers,
        rows: rows
            .map(|(row, cells)| (row as usize + 1, values(cells)))
            .collect(),
    })
}

/// The cells with text of the first sheet, by row: (column, text).
fn read_cells(bytes: &[u8]) -> Result<BTreeMap<u32, Vec<(u32, String)>>, Report> {
    let mut workbook: calamine::Xlsx<_> =
        calamine::Xlsx::new(Cursor::new(bytes)).map_err(|_| not_a_spreadsheet())?;
    let name = workbook
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| Report::file("表格中没有工作表"))?;
    let mut cells = workbook
        .worksheet_cells_reader(&name)
        .map_err(|_| not_a_spreadsheet())?;
    // Cells are read one at a time and only those with text are kept, by row: a sheet costs
    // what its content costs, not its area (calamine's ranges allocate every cell between the
    // first and the last, so A1 and XFD1048576 alone asked for 550 GB and ended the process).
    let mut rows: BTreeMap<u32, Vec<(u32, String)>> = BTreeMap::new();
    let mut kept = 0usize;
    while let Some(cell) = cells.next_cell().map_err(|_| not_a_spreadsheet())? {
        let text = cell_text(&Data::from(cell.get_value().clone()));
        if text.is_empty() {
            continue;
        }
        let (row, column) = cell.get_position();
        if column >= MAX_COLUMNS {
            return Err(Report::file(format!(
                "表格第{}列有内容，超出了模板的范围（最多读取{MAX_COLUMNS}列），请使用下载的模板填写",
                u64::from(column) + 1
            )));
        }
        kept += 1;
        if kept > MAX_CELLS {
            return Err(Report::file(format!(
                "表格中有内容的单元格超过{MAX_CELLS}个，请分批导入"
            )));
        }
        rows.entry(row).or_default().push((column, text));
        // The header row and at most MAX_ROWS rows of data.
        if rows.len() > MAX_ROWS + 1 {
            return Err(Report::file(format!("一次最多导入{MAX_ROWS}行")));
        }
    }
    Ok(rows)
}

/// Refuses, before the spreadsheet reader sees them, archives that unpack to far more than
/// any real spreadsheet (a zip bomb) and workbooks whose shared-string table announces more
/// strings than any import has: the reader reserves room for the announced count first, and
/// a file announcing a trillion made the process abort.
fn check_archive(bytes: &[u8]) -> Result<(), Report> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| not_a_spreadsheet())?;
    let mut unpacked: u64 = 0;
    for index in 0..archive.len() {
        let entry = archive
            .by_index_raw(index)
            .map_err(|_| not_a_spreadsheet())?;
        unpacked = unpacked.saturating_add(entry.size());
    }
    if unpacked > MAX_UNPACKED_BYTES {
        return Err(Report::file(format!(
            "表格解压后超过{} MB，疑似压缩炸弹，已拒绝",
            MAX_UNPACKED_BYTES / 1_048_576
        )));
    }
    for index in 0..archive.len() {
        // calamine finds `…/sharedStrings.xml` ignoring case and with either slash.
        let shared_strings = archive.name_for_index(index).is_some_and(|name| {
            name.is_ok_and(|name| {
                name.replace('\\', "/")
                    .to_ascii_lowercase()
                    .ends_with("sharedstrings.xml")
            })
        });
        if !shared_strings {
            continue;
        }
        let entry = archive.by_index(index).map_err(|_| not_a_spreadsheet())?;
        if let Some(count) = largest_unique_count(entry).map_err(|_| not_a_spreadsheet())?
            && count > MAX_SHARED_STRINGS
        {
            return Err(Report::file(
                "表格文件声明的字符串数量异常，文件可能已损坏或被改动，已拒绝",
            ));
        }
    }
    Ok(())
}

/// The largest `uniqueCount="…"` anywhere in a part (the zip reader stops at the part's
/// declared size, which the guard above has bounded). Every occurrence counts, so neither a
/// comment nor a decoy tag before the real one can hide it.
fn largest_unique_count(mut part: impl std::io::Read) -> std::io::Result<Option<u64>> {
    const NAME: &[u8] = b"uniqueCount";
    let mut largest: Option<u64> = None;
    let mut window: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let read = part.read(&mut chunk)?;
        let at_end = read == 0;
        window.extend_from_slice(&chunk[..read]);
        // Keep a name's length of the tail, in case a name is cut in two by the chunk.
        let mut keep_from = window.len().saturating_sub(NAME.len());
        let mut from = 0;
        while let Some(at) = window[from..]
            .windows(NAME.len())
            .position(|w| w == NAME)
            .map(|p| p + from)
        {
            // `= "123"` with blanks and either quote; the digits, leading zeros dropped.
            let rest = &window[at + NAME.len()..];
            let blanks = rest
                .iter()
                .take_while(|b| b.is_ascii_whitespace() || matches!(b, b'=' | b'"' | b'\''))
                .count();
            let digits = &rest[blanks..];
            let digits = &digits[..digits.iter().take_while(|b| b.is_ascii_digit()).count()];
            if blanks + digits.len() == rest.len() && !at_end {
                // The value may go on in the next chunk: read it whole then.
                keep_from = keep_from.min(at);
                break;
            }
            let significant = &digits[digits.iter().take_while(|b| **b == b'0').count()..];
            let count = std::str::from_utf8(significant)
                .ok()
                .and_then(|d| d.parse::<u64>().ok())
                .unwrap_or(if significant.is_empty() { 0 } else { u64::MAX });
            largest = largest.max(Some(count));
            from = at + 1;
        }
        if at_end {
            return Ok(largest);
        }
        if window.len() - keep_from > 1 << 20 {
            // An attribute a megabyte long is no spreadsheet's.
            return Ok(Some(u64::MAX));
        }
        window.drain(..keep_from);
    }
}

/// The text of a cell as a person typed it: whole numbers without `.0`, dates as YYYY-MM-DD.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(text) => text.trim().to_string(),
        Data::Int(number) => number.to_string(),
        Data::Float(number) if number.fract() == 0.0 && number.abs() < 1e15 => {
            format!("{}", *number as i64)
        }
        Data::Float(number) => format!("{number}"),
        Data::Bool(value) => {
            if *value {
                "是".into()
            } else {
                "否".into()
            }
        }
        Data::DateTime(date) => {
            let days = date.as_f64().floor() as i64;
            // A serial day number beyond chrono's range is no date (`days` panicked on it).
            chrono::NaiveDate::from_ymd_opt(1899, 12, 30)
                .zip(chrono::Duration::try_days(days))
                .and_then(|(epoch, days)| epoch.checked_add_signed(days))
                .map(|d| d.to_string())
                .unwrap_or_default()
        }
        Data::DateTimeIso(text) | Data::DurationIso(text) => text.chars().take(10).collect(),
        Data::Error(error) => format!("#错误:{error}"),
    }
}

fn read_csv(text: &str) -> Result<Table, Report> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut table = Table {
        headers: Vec::new(),
        rows: Vec::new(),
    };
    for (index, record) in reader.records().enumerate() {
        let record = record
            .map_err(|error| Report::file(format!("第{}行无法按 CSV 读取：{error}", index + 1)))?;
        let values: Vec<String> = record.iter().map(|v| v.trim().to_string()).collect();
        if index == 0 {
            table.headers = values;
        } else if !values.iter().all(|v| v.is_empty()) {
            if table.rows.len() >= MAX_ROWS {
                return Err(Report::file(format!("一次最多导入{MAX_ROWS}行")));
            }
            table.rows.push((index + 1, values));
        }
    }
    if table.headers.is_empty() {
        return Err(Report::file("表格是空的：第1行应为列名"));
    }
    Ok(table)
}
