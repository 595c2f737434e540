//! Spreadsheets made to break the reader (found by `bench/fuzz`): each is refused with a
//! Chinese message, or read by its content, instead of ending the process. `read_table` is the
//! pure first step of every import (the web page, the API and the command line).

use std::io::{Read, Write};

use zijin_app::exchange::{self, ACHIEVEMENT_COLUMNS};

/// Refused as a whole file, with the report's first line.
fn refusal(bytes: &[u8]) -> String {
    match exchange::read_table(bytes) {
        Ok(table) => panic!("read instead of refused: {:?}", table.headers),
        Err(report) => {
            assert_eq!(report.problems[0].row, 0, "{:?}", report.lines());
            report.lines()[0].clone()
        }
    }
}

/// An .xlsx with the template's headers and a cell at each of `cells` (row, column).
fn workbook_with(cells: &[(u32, u16, &str)]) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (column, header) in ACHIEVEMENT_COLUMNS.iter().enumerate() {
        sheet.write_string(0, column as u16, *header).unwrap();
    }
    for (row, column, text) in cells {
        sheet.write_string(*row, *column, *text).unwrap();
    }
    workbook.save_to_buffer().unwrap()
}

#[test]
fn cells_far_apart_are_read_by_their_content_not_their_area() {
    // The header in A1 and one cell in the last column of the last row: the reader used to
    // allocate every cell between them (550 GB) and the process aborted.
    let line = refusal(&workbook_with(&[(1_048_575, 16_383, "远处")]));
    assert!(line.contains("第16384列有内容"), "{line}");

    // Far down but within the template's columns: read, numbered as the sheet numbers it.
    let table = exchange::read_table(&workbook_with(&[(1_048_575, 0, "最后一行")])).unwrap();
    assert_eq!(table.headers, ACHIEVEMENT_COLUMNS.map(str::to_string));
    assert_eq!(table.rows.len(), 1);
    assert_eq!(table.rows[0].0, 1_048_576);
    assert_eq!(table.rows[0].1[0], "最后一行");
    assert_eq!(table.rows[0].1.len(), ACHIEVEMENT_COLUMNS.len());
}

/// The same workbook with its shared-string table announcing `count` strings.
fn announcing(bytes: &[u8], count: &str) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut out);
        for index in 0..archive.len() {
            let mut entry = archive.by_index(index).unwrap();
            let name = entry.name().unwrap().to_string();
            let mut text = Vec::new();
            entry.read_to_end(&mut text).unwrap();
            if name == "xl/sharedStrings.xml" {
                let xml = String::from_utf8(text).unwrap();
                let start = xml.find("uniqueCount=\"").unwrap() + "uniqueCount=\"".len();
                let end = start + xml[start..].find('"').unwrap();
                text = format!("{}{count}{}", &xml[..start], &xml[end..]).into_bytes();
            }
            zip.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(&text).unwrap();
        }
        zip.finish().unwrap();
    }
    out.into_inner()
}

#[test]
fn a_shared_string_table_announcing_billions_is_refused_before_it_is_read() {
    let honest = workbook_with(&[(1, 0, "宽温域电解液")]);
    let table = exchange::read_table(&announcing(&honest, "12")).unwrap();
    assert_eq!(table.rows[0].1[0], "宽温域电解液");
    // The reader reserved room for the announced count first: 24 TB, and the process aborted.
    for count in [
        "1000000000000",
        "100000000000000000000",
        "000000000000000000001000000000",
    ] {
        let line = refusal(&announcing(&honest, count));
        assert!(line.contains("字符串数量异常"), "{count}: {line}");
    }
}
