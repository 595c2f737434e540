//! .xlsx inputs for the importer: workbooks built from their XML parts with ordinary and
//! extreme cells, references, shared-string counts and styles, then damaged (a declared size
//! rewritten, a byte flipped).

use std::io::{Cursor, Write};

use proptest::prelude::*;
use zijin_app::exchange::{self, ACHIEVEMENT_COLUMNS};
use zijin_domain::{RecordKind, TechnicalField};

use super::import::{VALUES, check_import, headers, rows};
use super::{Target, mutated};

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
