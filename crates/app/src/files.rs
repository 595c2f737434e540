//! Uploaded files (records' attachments, applications' documents): PDF or images recognised by
//! their content, at most 10 MB, with a clean name. One check for every upload.

use sha2::Digest;

use crate::{AppError, AppResult};

/// The largest file accepted.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;

/// An upload that passed the checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedFile {
    /// The name as typed, without folders or control characters, with the extension of what
    /// the content is.
    pub filename: String,
    pub content_type: &'static str,
    pub sha256: String,
}

/// Checks an upload: not empty, not too large, a PDF or an image by its content (the name's
/// extension is not trusted). Errors name the form field `file`.
pub fn check(filename: &str, bytes: &[u8]) -> AppResult<CheckedFile> {
    if bytes.is_empty() {
        return Err(AppError::field("file", "请选择要上传的文件"));
    }
    if bytes.len() > MAX_FILE_BYTES {
        return Err(AppError::field(
            "file",
            format!("附件不能超过 {} MB", MAX_FILE_BYTES / 1_048_576),
        ));
    }
    let Some((content_type, extension)) = zijin_domain::sniff_attachment(bytes) else {
        return Err(AppError::field(
            "file",
            "附件只能是 PDF 或图片（PNG、JPEG、GIF、WebP），按文件内容识别，不看扩展名",
        ));
    };
    let stem: String = filename
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("附件")
        .chars()
        .filter(|c| !c.is_control())
        .take(80)
        .collect();
    let stem = stem
        .rsplit_once('.')
        .map(|(stem, _)| stem.to_string())
        .unwrap_or(stem);
    let stem = stem.trim();
    Ok(CheckedFile {
        filename: format!(
            "{}.{extension}",
            if stem.is_empty() { "附件" } else { stem }
        ),
        content_type,
        sha256: hex::encode(sha2::Sha256::digest(bytes)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_known_by_content_and_named_cleanly() {
        let pdf = b"%PDF-1.7\n1 0 obj\n";
        let checked = check("C:\\材料\\营业执照.png", pdf).unwrap();
        assert_eq!(checked.filename, "营业执照.pdf");
        assert_eq!(checked.content_type, "application/pdf");
        assert!(check("a.pdf", b"not a pdf at all").is_err());
        assert!(check("a.pdf", b"").is_err());
        assert_eq!(check(".pdf", pdf).unwrap().filename, "附件.pdf");
    }
}
