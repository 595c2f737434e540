//! The importer's pure part: `exchange::read_table` on .csv and .xlsx bytes (with the guard
//! against zip bombs), then every row through the same parsers the import uses
//! (`CreditCode::parse`, `AchievementDetails::parse`, `DemandDetails::parse`). The .xlsx
//! inputs are built in `xlsx`.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use proptest::prelude::*;
use zijin_app::exchange::{
    self, ACHIEVEMENT_COLUMNS, DEMAND_COLUMNS, DEMAND_OPTIONAL_COLUMNS, MAX_ROWS, Table,
};
use zijin_domain::{CreditCode, RecordKind, TechnicalField};

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
        let errors = exchange::parse_row(kind, cell, &fields, today).err();
        for error in errors.iter().flat_map(|e| e.iter()) {
            chinese("row field", &error.message)?;
        }
    }
    Ok(())
}

/// Cell values of every column, good and bad.
pub(super) const VALUES: [&str; 40] = [
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
pub(super) fn headers() -> BoxedStrategy<Vec<String>> {
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

pub(super) fn rows() -> BoxedStrategy<Vec<Vec<String>>> {
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
