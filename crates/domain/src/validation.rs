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

/// Checks a required single-line text field and returns it trimmed.
pub fn required_text(
    errors: &mut FieldErrors,
    field: &'static str,
    label: &str,
    value: &str,
    max_chars: usize,
) -> String {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        errors.add(field, format!("请填写{label}"));
    } else {
        check_length(errors, field, label, trimmed, max_chars);
    }
    trimmed.to_string()
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
    check_length(errors, field, label, trimmed, max_chars);
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
}
