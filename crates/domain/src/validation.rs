//! Field-level validation errors, collected so a form can show all of them at once.

use std::fmt;

/// One rejected field: which field, and why (in Chinese, shown to the user as is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

/// All rejected fields of one input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push(FieldError {
            field,
            message: message.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &FieldError> {
        self.0.iter()
    }

    /// The message for one field, if it was rejected.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|error| error.field == field)
            .map(|error| error.message.as_str())
    }

    /// `Ok(value)` when nothing was rejected.
    pub fn into_result<T>(self, value: impl FnOnce() -> T) -> Result<T, FieldErrors> {
        if self.is_empty() {
            Ok(value())
        } else {
            Err(self)
        }
    }
}

impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|error| format!("{}：{}", error.field, error.message))
            .collect();
        f.write_str(&parts.join("；"))
    }
}

impl std::error::Error for FieldErrors {}

/// Checks a required text field (it may span lines) and returns it trimmed.
pub fn required_text(
    errors: &mut FieldErrors,
    field: &'static str,
    label: &str,
    value: &str,
    max_chars: usize,
) -> String {
    let trimmed = value.trim();
    if is_blank(trimmed) {
        errors.add(field, format!("请填写{label}"));
    } else {
        check_length(errors, field, label, trimmed, max_chars);
    }
    trimmed.to_string()
}

/// Checks a required single-line text field (a title, a name) and returns it trimmed.
pub fn required_line(
    errors: &mut FieldErrors,
    field: &'static str,
    label: &str,
    value: &str,
    max_chars: usize,
) -> String {
    let trimmed = value.trim();
    if is_blank(trimmed) {
        errors.add(field, format!("请填写{label}"));
    } else if let Some(problem) = line_problem(trimmed) {
        errors.add(field, format!("{label}{problem}"));
    } else {
        check_length(errors, field, label, trimmed, max_chars);
    }
    trimmed.to_string()
}

/// Checks an optional single-line text field and returns it trimmed.
pub fn optional_line(
    errors: &mut FieldErrors,
    field: &'static str,
    label: &str,
    value: &str,
    max_chars: usize,
) -> String {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return String::new();
    }
    if let Some(problem) = line_problem(trimmed) {
        errors.add(field, format!("{label}{problem}"));
    } else {
        check_length(errors, field, label, trimmed, max_chars);
    }
    trimmed.to_string()
}

/// Why `value` cannot stand as one line of text shown to people, if it cannot: a line break or
/// another control character would split a title in exports and logs, a direction override
/// makes "cod.exe" read as "exe.doc", and text of invisible characters only looks empty.
/// The message completes a sentence that starts with the field's label.
pub fn line_problem(value: &str) -> Option<&'static str> {
    if value.chars().any(char::is_control) {
        return Some("不能包含换行符或其他控制字符");
    }
    if value.chars().any(is_direction_control) {
        return Some("不能包含文字方向控制字符");
    }
    if is_blank(value) && !value.is_empty() {
        return Some("不能只由空白或不可见字符组成");
    }
    None
}

/// Characters that reorder the text around them (U+202A–U+202E, U+2066–U+2069) or mark a
/// direction invisibly (U+200E, U+200F, U+061C).
pub fn is_direction_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Characters with no width that `str::trim` keeps.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{180E}' | '\u{00AD}'
    )
}

/// Empty once white space and zero-width characters are set aside.
fn is_blank(value: &str) -> bool {
    value
        .chars()
        .all(|c| c.is_whitespace() || is_invisible(c) || is_direction_control(c))
}

/// Checks an optional text field and returns it trimmed.
pub fn optional_text(
    errors: &mut FieldErrors,
    field: &'static str,
    label: &str,
    value: &str,
    max_chars: usize,
) -> String {
    let trimmed = value.trim();
    if !trimmed.is_empty() && is_blank(trimmed) {
        errors.add(field, format!("{label}不能只由空白或不可见字符组成"));
    } else {
        check_length(errors, field, label, trimmed, max_chars);
    }
    trimmed.to_string()
}

fn check_length(
    errors: &mut FieldErrors,
    field: &'static str,
    label: &str,
    value: &str,
    max_chars: usize,
) {
    let chars = value.chars().count();
    if chars > max_chars {
        errors.add(
            field,
            format!("{label}不能超过{max_chars}个字符（当前{chars}个）"),
        );
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        errors.add(field, format!("{label}含有不可见的控制字符"));
    }
    // Even in text that may span lines, a direction override only serves to disguise.
    if value.chars().any(is_direction_control) {
        errors.add(field, format!("{label}不能包含文字方向控制字符"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(value: &str) -> Option<String> {
        let mut errors = FieldErrors::new();
        required_line(&mut errors, "title", "名称", value, 50);
        errors.get("title").map(str::to_string)
    }

    #[test]
    fn single_lines_refuse_breaks_overrides_and_invisible_text() {
        assert_eq!(line("  高效电池隔膜  "), None);
        assert_eq!(
            line("A\u{200D}B 组合字符"),
            None,
            "a joiner inside text is kept"
        );
        for broken in [
            "标题\r\n注入",
            "甲\n乙",
            "甲\t乙",
            "甲\u{0}乙",
            "甲\u{7F}乙",
        ] {
            assert_eq!(
                line(broken).as_deref(),
                Some("名称不能包含换行符或其他控制字符"),
                "{broken:?}"
            );
        }
        for turned in ["报告\u{202E}fdp.exe", "甲\u{2066}乙\u{2069}", "\u{202A}甲"] {
            assert_eq!(
                line(turned).as_deref(),
                Some("名称不能包含文字方向控制字符"),
                "{turned:?}"
            );
        }
        for blank in [
            "\u{200B}",
            "\u{200B}\u{FEFF}\u{2060}",
            " \u{200C} ",
            "\u{3000}",
        ] {
            assert_eq!(line(blank).as_deref(), Some("请填写名称"), "{blank:?}");
        }
        let mut errors = FieldErrors::new();
        optional_line(&mut errors, "address", "地址", "\u{200B}\u{200B}", 50);
        assert_eq!(
            errors.get("address"),
            Some("地址不能只由空白或不可见字符组成")
        );
        let mut errors = FieldErrors::new();
        assert_eq!(optional_line(&mut errors, "address", "地址", "  ", 50), "");
        assert!(errors.is_empty());
    }

    #[test]
    fn text_that_may_span_lines_keeps_its_breaks_but_not_overrides() {
        let mut errors = FieldErrors::new();
        required_text(
            &mut errors,
            "summary",
            "简介",
            "第一段\r\n第二段\t缩进",
            100,
        );
        assert!(errors.is_empty(), "{errors}");
        required_text(&mut errors, "summary", "简介", "第一段\u{202E}反向", 100);
        assert_eq!(errors.get("summary"), Some("简介不能包含文字方向控制字符"));
        let mut errors = FieldErrors::new();
        required_text(&mut errors, "summary", "简介", "\u{200B}\n\u{200B}", 100);
        assert_eq!(errors.get("summary"), Some("请填写简介"));
    }
}

/// Why a telephone number is not one a person in China can be reached at, if it is not: a
/// mobile number (11 digits from 13–19) or a landline with its area code (0 + 2–3 digits,
/// then 7–8 digits, a hyphen allowed, an extension after 转 or - allowed).
pub fn phone_problem(phone: &str) -> Option<&'static str> {
    let phone = phone.trim();
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    let mobile = phone.len() == 11
        && digits(phone)
        && phone.starts_with('1')
        && matches!(phone.as_bytes()[1], b'3'..=b'9');
    let (main, extension) = match phone.split_once('转') {
        Some((main, ext)) => (main, Some(ext)),
        None => (phone, None),
    };
    let landline = |text: &str| -> bool {
        let (area, number) = match text.split_once('-') {
            Some((area, number)) => (area, number),
            // Split only plain digits (a byte index inside a Chinese character would panic).
            None if text.len() >= 10 && text.is_ascii() => {
                text.split_at(if text.starts_with("01") || text.starts_with("02") {
                    3
                } else {
                    4
                })
            }
            None => return false,
        };
        digits(area)
            && area.starts_with('0')
            && (3..=4).contains(&area.len())
            && digits(number)
            && (7..=8).contains(&number.len())
    };
    let fixed = landline(main) && extension.is_none_or(|e| digits(e) && e.len() <= 6);
    if mobile || fixed {
        None
    } else {
        Some("请填写有效的联系电话：11 位手机号，或带区号的固定电话（如 025-83590000）")
    }
}

#[cfg(test)]
mod phone_tests {
    use super::phone_problem;

    #[test]
    fn mobiles_and_landlines_with_area_codes_are_phones() {
        for good in [
            "13812345678",
            "025-83590000",
            "02583590000",
            "0512-6812345",
            "025-83590000转123",
        ] {
            assert_eq!(phone_problem(good), None, "{good}");
        }
        for bad in [
            "1234",
            "宽温域电解液",
            "宽温域电解液电解液",
            "025-5288",
            "12812345678",
            "138123456789",
            "83590000",
            "abc",
            "",
        ] {
            assert!(phone_problem(bad).is_some(), "{bad}");
        }
    }
}

/// Why an e-mail address is not accepted (`None`: it is), in Chinese. The check is the
/// practical one: one `@`, a local part and a domain with a dot, no spaces or brackets, at
/// most 254 characters; the mail server has the last word.
pub fn email_problem(email: &str) -> Option<&'static str> {
    const PROBLEM: &str = "请填写有效的电子邮箱，如 zhangsan@example.com";
    let email = email.trim();
    if email.len() > 254 {
        return Some("电子邮箱最多 254 个字符");
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Some(PROBLEM);
    };
    let allowed_local = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c);
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    let labels: Vec<&str> = domain.split('.').collect();
    let ok = !local.is_empty()
        && local.len() <= 64
        && local.chars().all(allowed_local)
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && labels.len() >= 2
        && labels.iter().all(|l| label_ok(l))
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
    if ok { None } else { Some(PROBLEM) }
}

#[cfg(test)]
mod email_tests {
    use super::email_problem;

    #[test]
    fn ordinary_addresses_pass() {
        for email in [
            "zhangsan@example.com",
            "li.si+kjj@njust.edu.cn",
            " wang_wu@mail.nanjing.gov.cn ",
        ] {
            assert_eq!(email_problem(email), None, "{email}");
        }
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for email in [
            "",
            "zhangsan",
            "zhangsan@",
            "@example.com",
            "zhang san@example.com",
            "zhangsan@example",
            "zhangsan@example.c",
            "zhangsan@-example.com",
            "zhangsan@@example.com",
            "zhang..san@example.com",
            "张三@example.com",
            "zhangsan@example.com>",
        ] {
            assert!(email_problem(email).is_some(), "{email}");
        }
    }
}
