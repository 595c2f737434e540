//! `Content-Disposition` for downloads. A file name comes from people (an uploaded file, an
//! issue title), so it is cleaned before it names a file on someone's disk: no quotes, line
//! breaks, path separators, control or direction characters, no leading dots. Chinese names
//! travel as RFC 5987 `filename*=UTF-8''…`, with a plain ASCII `filename` for old clients.

use crate::views::percent_encode;

/// Longest name kept, in characters (file systems allow 255 bytes; Chinese takes three each).
const MAX_NAME_CHARS: usize = 80;

/// The header value for downloading a file called (about) `name`.
pub fn content_disposition(name: &str) -> String {
    let clean = clean_file_name(name);
    let ascii = ascii_fallback(&clean);
    format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        percent_encode(&clean)
    )
}

/// `name` made safe to save under: the characters a file system or a header would read
/// specially become `_`, runs of them one `_`; no leading dots or spaces; never empty.
pub fn clean_file_name(name: &str) -> String {
    let mut clean = String::new();
    for c in name.chars() {
        let bad = c.is_control()
            || zijin_domain::validation::is_direction_control(c)
            || matches!(
                c,
                '"' | '\'' | '/' | '\\' | ':' | '*' | '?' | '<' | '>' | '|' | ';' | '%' | '\u{200B}'
                    ..='\u{200D}' | '\u{2060}' | '\u{FEFF}'
            );
        if bad {
            if !clean.ends_with('_') {
                clean.push('_');
            }
        } else {
            clean.push(c);
        }
    }
    let trimmed = clean
        .trim_start_matches(['.', ' ', '_'])
        .trim_end_matches([' ', '.']);
    let mut kept: String = trimmed.chars().take(MAX_NAME_CHARS).collect();
    if kept.chars().count() < trimmed.chars().count() {
        // Keep the extension when a long name is cut.
        if let Some((_, extension)) = trimmed.rsplit_once('.')
            && extension.len() <= 5
            && extension.chars().all(|c| c.is_ascii_alphanumeric())
        {
            let stem: String = kept
                .chars()
                .take(MAX_NAME_CHARS - extension.len() - 1)
                .collect();
            kept = format!("{stem}.{extension}");
        }
    }
    if kept.is_empty() {
        "download".to_string()
    } else {
        kept
    }
}

/// The ASCII letters, digits, `-` and `_` of a clean ASCII name's stem (runs of separators made
/// one, none at the ends) with its extension; `zijin` and the extension for a Chinese name.
fn ascii_fallback(clean: &str) -> String {
    let (stem, extension) = match clean.rsplit_once('.') {
        Some((stem, extension))
            if !extension.is_empty() && extension.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            (stem, Some(extension))
        }
        _ => (clean, None),
    };
    let mut ascii = String::new();
    for c in stem.chars() {
        let separator = matches!(c, '-' | '_');
        if c.is_ascii_alphanumeric() || (separator && !ascii.ends_with(['-', '_'])) {
            ascii.push(c);
        }
    }
    let ascii = ascii.trim_matches(['-', '_']);
    // Digits left over from a Chinese name ("4") would mislead; such clients get a plain name.
    let stem = if ascii.is_empty() || !stem.is_ascii() {
        "zijin"
    } else {
        ascii
    };
    match extension {
        Some(extension) => format!("{stem}.{extension}"),
        None => stem.to_string(),
    }
}

/// An .xlsx workbook as a download called `name`.
pub fn xlsx(name: &str, bytes: Vec<u8>) -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                content_disposition(name),
            ),
        ],
        bytes,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_what_a_disk_or_header_reads_specially() {
        assert_eq!(
            clean_file_name("两项清单-2026年第4期.pdf"),
            "两项清单-2026年第4期.pdf"
        );
        assert_eq!(clean_file_name("../../etc/passwd"), "etc_passwd");
        assert_eq!(clean_file_name("a\"b\r\nc.pdf"), "a_b_c.pdf");
        assert_eq!(clean_file_name("报告\u{202E}fdp.exe"), "报告_fdp.exe");
        assert_eq!(clean_file_name("C:\\Windows\\x.bat"), "C_Windows_x.bat");
        assert_eq!(clean_file_name("\u{200B}"), "download");
        assert_eq!(clean_file_name(".hidden"), "hidden");
        let long = format!("{}.xlsx", "名".repeat(200));
        let cut = clean_file_name(&long);
        assert_eq!(cut.chars().count(), MAX_NAME_CHARS);
        assert!(cut.ends_with(".xlsx"));
    }

    #[test]
    fn the_header_has_an_ascii_name_and_an_encoded_one() {
        assert_eq!(
            content_disposition("两项清单-第4期.pdf"),
            "attachment; filename=\"zijin.pdf\"; filename*=UTF-8''%E4%B8%A4%E9%A1%B9%E6%B8%85%E5%8D%95-%E7%AC%AC4%E6%9C%9F.pdf"
        );
        assert_eq!(
            content_disposition("report \"final\".pdf"),
            "attachment; filename=\"report_final.pdf\"; filename*=UTF-8''report%20_final_.pdf"
        );
        let header = content_disposition("x\r\nSet-Cookie: a=b");
        assert!(!header.contains('\r') && !header.contains('\n'));
    }
}
