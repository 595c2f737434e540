//! The importer's pure part: `exchange::read_table` on .csv and .xlsx bytes (with the guard
//! against zip bombs), then every row through the same parsers the import uses
//! (`CreditCode::parse`, `AchievementDetails::parse`, `DemandDetails::parse`).

use std::io::{Cursor, Write};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use proptest::prelude::*;
use zijin_app::exchange::{
    self, ACHIEVEMENT_COLUMNS, DEMAND_COLUMNS, DEMAND_OPTIONAL_COLUMNS, MAX_ROWS, Table,
};
use zijin_domain::{
    AchievementDetails, AchievementInput, CreditCode, DemandDetails, DemandInput, RecordKind,
    TechnicalField,
};

use super::{Target, chinese, mutated};

/// A file of at most 20 MB must be read (or refused) in well under this.
const READ_LIMIT: Duration = Duration::from_secs(5);

/// ASCII words a file-level refusal may contain (everything else must be Chinese).
const ALLOWED_WORDS: [&str; 3] = ["xlsx", "csv", "utf"];

pub fn check_import(bytes: &[u8]) -> Result<(), String> {
    let started = Instant::now();
    let read = exchange::read_table(bytes);
    if started.elapsed() > READ_LIMIT {
        return Err(format!(
            "import: reading {} bytes took {:.1} s",
            bytes.len(),
            started.elapsed().as_secs_f64()
        ));
    }
    let table = match read {
        Ok(table) => table,
        Err(report) => {
            for problem in &report.problems {
                chinese("import refusal", &problem.reason)?;
                // A refusal of the whole file is written by us: no framework's English in it.
                if problem.row == 0
                    && let Some(word) = problem
                        .reason
                        .split(|c: char| !c.is_ascii_alphabetic())
                        .find(|w| {
                            w.len() >= 4 && !ALLOWED_WORDS.contains(&w.to_lowercase().as_str())
                        })
                {
                    return Err(format!(
                        "import refusal: English word {word:?} in {:?}",
                        problem.reason
                    ));
                }
            }
            return Ok(());
        }
    };
    if table.rows.len() > MAX_ROWS {
        return Err(format!("import: {} rows read", table.rows.len()));
    }
    let mut previous = 1;
    for (row, _) in &table.rows {
        if *row <= previous {
            return Err(format!(
                "import: row numbers out of order ({row} after {previous})"
            ));
        }
        previous = *row;
    }
    parse_rows(&table, RecordKind::Achievement)?;
    parse_rows(&table, RecordKind::Demand)
}

/// Every row through the parsers, as `exchange::import` calls them.
fn parse_rows(table: &Table, kind: RecordKind) -> Result<(), String> {
    let columns = exchange::columns(kind);
    let mut positions = std::collections::HashMap::new();
    for column in columns.iter().chain(exchange::optional_columns(kind)) {
        if let Some(position) = table.headers.iter().position(|h| h.trim() == *column) {
            positions.insert(*column, position);
        }
    }
    if columns.iter().any(|c| !positions.contains_key(c)) {
        // Refused before any row is read, with the template's columns named.
        return Ok(());
    }
    let fields = TechnicalField::defaults();
    let today = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap_or(NaiveDate::MIN);
    for (_, values) in &table.rows {
        let cell = |column: &str| {
            positions
                .get(column)
                .and_then(|p| values.get(*p))
                .map(String::as_str)
                .unwrap_or("")
        };
        if let Err(error) = CreditCode::parse(cell(columns[8])) {
            chinese("row credit code", &error.to_string())?;
        }
        let errors = match kind {
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
                AchievementDetails::parse(&input, &fields).err()
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
                DemandDetails::parse(&input, &fields, today).err()
            }
        };
        for error in errors.iter().flat_map(|e| e.iter()) {
            chinese("row field", &error.message)?;
        }
    }
    Ok(())
}

/// Cell values of every column, good and bad.
const VALUES: [&str; 40] = [
    "宽温域电解液",
    "可在零下40度工作",
    "新能源",
    "new-energy",
    "锂电池,电解液",
    "中试",
    "TRL6",
    "10",
    "CN114081026A",
    "ZL202110123456.7",
    "2021101234567é",
    "软著:2021SR0123456",
    "许可",
    "转让、作价投资",
    "面议",
    "1,200,000.00",
    "１２００",
    "-5",
    "1e9",
    "79228162514264337593543950336",
    "0.001",
    "91350100M000100Y43",
    "91350100m000100y43",
    "91350100M000100Y44",
    "王老师",
    "025-83590000",
    "138 0000 0000",
    "2026-12-31",
    "2020-01-01",
    "2026/13/45",
    "+262142-01-01",
    "",
    " ",
    "\u{200b}",
    "\u{202e}evil",
    "a\r\nb",
    "=HYPERLINK(\"x\")",
    "\"quoted\"",
    "关键词1,关键词2,关键词3,关键词4,关键词5,关键词6,关键词7,关键词8,关键词9,关键词10,关键词11",
    "超长超长超长超长超长超长超长超长超长超长超长超长超长超长超长超长超长超长超长超长超长超长超长",
];

/// A header row: one of the templates' (maybe shuffled, maybe with the optional column), or
/// words from the values.
fn headers() -> BoxedStrategy<Vec<String>> {
    let template = |columns: &'static [&'static str]| {
        Just(columns.iter().map(|c| c.to_string()).collect::<Vec<_>>())
    };
    prop_oneof![
        3 => template(&ACHIEVEMENT_COLUMNS),
        3 => template(&DEMAND_COLUMNS),
        1 => template(&DEMAND_COLUMNS).prop_map(|mut c| {
            c.push(DEMAND_OPTIONAL_COLUMNS[0].to_string());
            c
        }),
        1 => template(&ACHIEVEMENT_COLUMNS).prop_shuffle(),
        1 => prop::collection::vec(prop::sample::select(VALUES.to_vec()), 0..14)
            .prop_map(|v| v.into_iter().map(str::to_string).collect()),
    ]
    .boxed()
}

fn rows() -> BoxedStrategy<Vec<Vec<String>>> {
    prop::collection::vec(
        prop::collection::vec(
            prop::sample::select(VALUES.to_vec()).prop_map(str::to_string),
            0..14,
        ),
        0..6,
    )
    .boxed()
}

fn csv_field(value: &str, quote: bool) -> String {
    if quote || value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

pub fn csv() -> Target {
    Target {
        name: "import-csv",
        about: "exchange::read_table on .csv bytes, then every row through the record parsers",
        check: check_import,
        strategy: csv_inputs,
        seeds: || {
            let mut good = ACHIEVEMENT_COLUMNS.join(",");
            good.push_str("\n宽温域电解液,可在零下40度工作,新能源,锂电池,中试,CN114081026A,许可,面议,91350100M000100Y43,王老师,025-83590000");
            vec![
                good.clone().into_bytes(),
                [b"\xEF\xBB\xBF".as_slice(), good.as_bytes()].concat(),
                good.replace('\n', "\r\n").into_bytes(),
                Vec::new(),
                b"\xFF\xFE\x00\x81".to_vec(),
            ]
        },
    }
}

const CSV_WORDS: &[&[u8]] = &[
    b",",
    b"\"",
    b"\n",
    b"\r",
    b"\xEF\xBB\xBF",
    b"\xFF",
    "，".as_bytes(),
];

fn csv_inputs(seeds: Vec<Vec<u8>>) -> BoxedStrategy<Vec<u8>> {
    let built = (
        headers(),
        rows(),
        any::<bool>(),
        prop::sample::select(vec!["\n", "\r\n", "\r"]),
        any::<bool>(),
    )
        .prop_map(|(headers, rows, bom, newline, quote)| {
            let mut text = String::new();
            if bom {
                text.push('\u{feff}');
            }
            for line in std::iter::once(headers).chain(rows) {
                let cells: Vec<String> = line.iter().map(|v| csv_field(v, quote)).collect();
                text.push_str(&cells.join(","));
                text.push_str(newline);
            }
            text.into_bytes()
        });
    prop_oneof![
        3 => built,
        2 => mutated(seeds, CSV_WORDS),
    ]
    .boxed()
}

/// One cell of a generated sheet: its reference, type, style and value.
#[derive(Debug, Clone)]
struct XlsxCell {
    reference: Option<String>,
    kind: Option<&'static str>,
    style: Option<&'static str>,
    value: String,
}

/// How a generated workbook is built and then damaged.
#[derive(Debug, Clone)]
struct Workbook {
    dimension: Option<&'static str>,
    cells: Vec<XlsxCell>,
    shared: Vec<String>,
    unique_count: Option<&'static str>,
    styles: bool,
    sheet_target: &'static str,
    compress: bool,
    /// Declared unpacked size written over one entry's (index, size).
    declared_size: Option<(usize, u32)>,
    /// A byte of the archive flipped (position, mask).
    flip: Option<(prop::sample::Index, u8)>,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn column_name(mut index: usize) -> String {
    let mut name = Vec::new();
    loop {
        name.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    name.reverse();
    String::from_utf8(name).unwrap_or_default()
}

fn build_xlsx(book: &Workbook) -> Vec<u8> {
    const MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let mut sheet = format!(r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">"#);
    if let Some(dimension) = book.dimension {
        sheet.push_str(&format!(r#"<dimension ref="{dimension}"/>"#));
    }
    sheet.push_str("<sheetData>");
    for cell in &book.cells {
        sheet.push_str("<row><c");
        if let Some(reference) = &cell.reference {
            sheet.push_str(&format!(r#" r="{}""#, escape(reference)));
        }
        if let Some(kind) = cell.kind {
            sheet.push_str(&format!(r#" t="{kind}""#));
        }
        if let Some(style) = cell.style {
            sheet.push_str(&format!(r#" s="{style}""#));
        }
        if cell.kind == Some("inlineStr") {
            sheet.push_str(&format!(
                "><is><t>{}</t></is></c></row>",
                escape(&cell.value)
            ));
        } else {
            sheet.push_str(&format!("><v>{}</v></c></row>", escape(&cell.value)));
        }
    }
    sheet.push_str("</sheetData></worksheet>");
    let mut strings = format!(r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}""#);
    let count = book.shared.len().to_string();
    strings.push_str(&format!(
        r#" count="{count}" uniqueCount="{}">"#,
        book.unique_count.unwrap_or(&count)
    ));
    for text in &book.shared {
        strings.push_str(&format!("<si><t>{}</t></si>", escape(text)));
    }
    strings.push_str("</sst>");
    let styles = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{MAIN}"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy/mm/dd"/></numFmts><cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="164" applyNumberFormat="1"/></cellXfs></styleSheet>"#
    );
    let workbook = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets><sheet name="成果" sheetId="1" r:id="rId1"/></sheets></workbook>"#
    );
    let workbook_rels = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{REL}/worksheet" Target="{}"/><Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId3" Type="{REL}/styles" Target="styles.xml"/></Relationships>"#,
        book.sheet_target
    );
    let root_rels = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
    );
    let content_types = r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>"#;
    let mut parts: Vec<(&str, String)> = vec![
        ("[Content_Types].xml", content_types.to_string()),
        ("_rels/.rels", root_rels),
        ("xl/workbook.xml", workbook),
        ("xl/_rels/workbook.xml.rels", workbook_rels),
        ("xl/worksheets/sheet1.xml", sheet),
        ("xl/sharedStrings.xml", strings),
    ];
    if book.styles {
        parts.push(("xl/styles.xml", styles));
    }
    let mut buffer = Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut buffer);
        let method = if book.compress {
            zip::CompressionMethod::Deflated
        } else {
            zip::CompressionMethod::Stored
        };
        let options = zip::write::SimpleFileOptions::default().compression_method(method);
        for (name, text) in &parts {
            if zip.start_file(*name, options).is_err() || zip.write_all(text.as_bytes()).is_err() {
                return Vec::new();
            }
        }
        if zip.finish().is_err() {
            return Vec::new();
        }
    }
    let mut bytes = buffer.into_inner();
    if let Some((entry, size)) = book.declared_size {
        declare_size(&mut bytes, entry, size);
    }
    if let Some((at, mask)) = &book.flip
        && !bytes.is_empty()
    {
        let position = at.index(bytes.len());
        bytes[position] ^= mask | 1;
    }
    bytes
}

/// Writes `size` as the unpacked size of the `entry`-th file, in its local header and in the
/// central directory: an archive that lies about what it unpacks to.
fn declare_size(bytes: &mut [u8], entry: usize, size: u32) {
    let mut patch = |signature: &[u8; 4], offset: usize| {
        let found = bytes
            .windows(4)
            .enumerate()
            .filter(|(_, w)| w == signature)
            .map(|(at, _)| at)
            .nth(entry);
        if let Some(at) = found
            && at + offset + 4 <= bytes.len()
        {
            bytes[at + offset..at + offset + 4].copy_from_slice(&size.to_le_bytes());
        }
    };
    patch(b"PK\x03\x04", 22);
    patch(b"PK\x01\x02", 24);
}

/// Cell references, ordinary and extreme (the last cell of a sheet, past it, malformed).
const FAR_REFERENCES: [&str; 12] = [
    "XFD1048576",
    "A1048576",
    "XFD1",
    "ZZ9999",
    "A1048577",
    "XFE1",
    "A0",
    "1A",
    "",
    "AAAAAAA1",
    "A4294967296",
    "a2",
];

fn workbooks() -> BoxedStrategy<Workbook> {
    let table = (headers(), rows());
    let far_cell = (
        prop::sample::select(FAR_REFERENCES.to_vec()),
        prop::sample::select(VALUES.to_vec()),
    )
        .prop_map(|(reference, value)| XlsxCell {
            reference: Some(reference.to_string()),
            kind: Some("inlineStr"),
            style: None,
            value: value.to_string(),
        });
    let kinds = prop::sample::select(vec![
        None,
        Some("s"),
        Some("str"),
        Some("n"),
        Some("b"),
        Some("e"),
        Some("d"),
        Some("inlineStr"),
        Some("bogus"),
    ]);
    let odd_value = prop::sample::select(vec![
        "0",
        "1",
        "-1",
        "45000",
        "45000.5",
        "1e308",
        "-1e308",
        "NaN",
        "inf",
        "2958466",
        "-700000",
        "4294967296",
        "99999999999",
        "2026-01-01T00:00:00",
        "#DIV/0!",
        "",
        "abc",
    ]);
    let odd_cell = (
        prop::option::of(prop::sample::select(vec!["A2", "B2", "C3", "A1", "L2"])),
        kinds,
        prop::sample::select(vec![None, Some("0"), Some("1"), Some("2"), Some("99999")]),
        odd_value,
    )
        .prop_map(|(reference, kind, style, value)| XlsxCell {
            reference: reference.map(str::to_string),
            kind,
            style,
            value: value.to_string(),
        });
    (
        (
            table,
            prop::collection::vec(far_cell, 0..3),
            prop::collection::vec(odd_cell, 0..4),
            any::<bool>(),
        ),
        (
            prop::option::of(prop::sample::select(vec![
                "A1:L3",
                "A1",
                "A1:XFD1048576",
                "A0:B2",
                "B2:A1",
                "",
                "A1:A1:A1",
            ])),
            prop::option::of(prop::sample::select(vec![
                "0",
                "-1",
                "abc",
                "4294967296",
                "1000000000000",
                "100000000000000000",
                "18446744073709551615",
                "99999999999999999999999",
            ])),
            any::<bool>(),
            prop::sample::select(vec![
                "worksheets/sheet1.xml",
                "/xl/worksheets/sheet1.xml",
                "worksheets/missing.xml",
                "../../../etc/passwd",
                "sharedStrings.xml",
            ]),
            any::<bool>(),
            prop::option::of((
                0usize..7,
                prop::sample::select(vec![0u32, 1, 10, 300_000_000, u32::MAX]),
            )),
            prop::option::of((any::<prop::sample::Index>(), any::<u8>())),
        ),
    )
        .prop_map(
            |(
                ((headers, rows), far, odd, shared_strings),
                (dimension, unique_count, styles, sheet_target, compress, declared_size, flip),
            )| {
                let mut shared = Vec::new();
                let mut cells = Vec::new();
                for (row, line) in std::iter::once(headers).chain(rows).enumerate() {
                    for (column, value) in line.into_iter().enumerate() {
                        let reference = Some(format!("{}{}", column_name(column), row + 1));
                        let cell = if shared_strings {
                            shared.push(value);
                            XlsxCell {
                                reference,
                                kind: Some("s"),
                                style: None,
                                value: (shared.len() - 1).to_string(),
                            }
                        } else {
                            XlsxCell {
                                reference,
                                kind: Some("inlineStr"),
                                style: None,
                                value,
                            }
                        };
                        cells.push(cell);
                    }
                }
                cells.extend(odd);
                cells.extend(far);
                Workbook {
                    dimension,
                    cells,
                    shared,
                    unique_count,
                    styles,
                    sheet_target,
                    compress,
                    declared_size,
                    flip,
                }
            },
        )
        .boxed()
}

pub fn xlsx() -> Target {
    Target {
        name: "import-xlsx",
        about: "exchange::read_table on .xlsx bytes (zip-bomb guard, workbook, sheet), then every row through the record parsers",
        check: check_import,
        strategy: xlsx_inputs,
        seeds: || {
            let fields = TechnicalField::defaults();
            let mut seeds: Vec<Vec<u8>> = [RecordKind::Achievement, RecordKind::Demand]
                .into_iter()
                .filter_map(|kind| exchange::template(kind, &fields).ok())
                .collect();
            let mut good = Workbook {
                dimension: Some("A1:K2"),
                cells: Vec::new(),
                shared: Vec::new(),
                unique_count: None,
                styles: true,
                sheet_target: "worksheets/sheet1.xml",
                compress: false,
                declared_size: None,
                flip: None,
            };
            let row = [
                "宽温域电解液",
                "可在零下40度工作",
                "新能源",
                "锂电池",
                "中试",
                "CN114081026A",
                "许可",
                "面议",
                "91350100M000100Y43",
                "王老师",
                "025-83590000",
            ];
            for (index, line) in [ACHIEVEMENT_COLUMNS, row].iter().enumerate() {
                for (column, value) in line.iter().enumerate() {
                    good.cells.push(XlsxCell {
                        reference: Some(format!("{}{}", column_name(column), index + 1)),
                        kind: Some("inlineStr"),
                        style: None,
                        value: value.to_string(),
                    });
                }
            }
            seeds.push(build_xlsx(&good));
            seeds
        },
    }
}

fn xlsx_inputs(seeds: Vec<Vec<u8>>) -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        4 => workbooks().prop_map(|book| build_xlsx(&book)),
        1 => mutated(seeds, &[b"PK\x03\x04", b"<row>", b"r=\"XFD1048576\"", b"uniqueCount=\"99999999999\"", b"<c t=\"s\"><v>9</v></c>"]),
    ]
    .boxed()
}
