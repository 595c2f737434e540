//! The password policy: at least 10 characters, no leading or trailing spaces, not the user
//! name, not a common password (a list shipped as a data file), and not one character repeated.

use std::collections::HashSet;
use std::sync::OnceLock;

use crate::FieldErrors;

/// The fewest characters a new password may have.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// The most characters a new password may have (argon2 would take any length; forms should not).
pub const MAX_PASSWORD_CHARS: usize = 128;

/// A new password that passed the policy.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

impl Password {
    /// Checks a new password for the account `username`; every broken rule is reported on the
    /// field `password`, so a form can show them beside the field.
    pub fn parse_new(input: &str, username: &str, errors: &mut FieldErrors) -> Self {
        let length = input.chars().count();
        if input.trim() != input {
            errors.add("password", "密码首尾不能有空格");
        }
        if length < MIN_PASSWORD_CHARS {
            errors.add(
                "password",
                format!("密码至少需要{MIN_PASSWORD_CHARS}个字符"),
            );
        } else if length > MAX_PASSWORD_CHARS {
            errors.add(
                "password",
                format!("密码不能超过{MAX_PASSWORD_CHARS}个字符"),
            );
        }
        if input.chars().any(char::is_control) {
            errors.add("password", "密码不能包含控制字符");
        }
        let lower = input.trim().to_lowercase();
        let name = username.trim().to_lowercase();
        if !name.is_empty() && (lower == name || lower == name.chars().rev().collect::<String>()) {
            errors.add("password", "密码不能与用户名相同");
        } else if is_common(&lower) {
            errors.add("password", "该密码过于常见，容易被猜中，请换一个");
        } else if length >= MIN_PASSWORD_CHARS && input.chars().collect::<HashSet<_>>().len() < 4 {
            errors.add("password", "密码过于简单，请使用更多不同的字符");
        }
        Self(input.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether a password (in lower case) is on the shipped list of common passwords.
fn is_common(lower: &str) -> bool {
    static LIST: OnceLock<HashSet<&'static str>> = OnceLock::new();
    LIST.get_or_init(|| {
        include_str!("../data/common-passwords.txt")
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .collect()
    })
    .contains(lower)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(password: &str, username: &str) -> Vec<String> {
        let mut errors = FieldErrors::new();
        Password::parse_new(password, username, &mut errors);
        errors.iter().map(|error| error.message.clone()).collect()
    }

    #[test]
    fn weak_passwords_are_refused_with_the_reason() {
        assert!(problems("password1", "chief")[0].contains("至少需要10个字符"));
        assert!(problems("admin123", "chief")[0].contains("至少需要10个字符"));
        assert!(problems("Password123", "chief")[0].contains("过于常见"));
        assert!(problems("woaini1314", "chief")[0].contains("过于常见"));
        assert!(problems("zhang.san.li", "Zhang.San.Li")[0].contains("用户名相同"));
        assert!(problems(" Zijin-demo-2026", "chief")[0].contains("首尾不能有空格"));
        assert!(problems("Zijin-demo-2026 ", "chief")[0].contains("首尾不能有空格"));
        assert!(problems("abababababab", "chief")[0].contains("过于简单"));
        assert!(problems("Zijin-demo\n2026", "chief")[0].contains("控制字符"));
        assert!(problems(&"Ab3-".repeat(40), "chief")[0].contains("不能超过128"));
    }

    #[test]
    fn good_passwords_pass() {
        assert!(problems("Zijin-demo-2026", "admin").is_empty());
        assert!(problems("correct horse battery staple", "admin").is_empty());
        assert!(problems("紫金山下的一棵梧桐树", "admin").is_empty());
    }

    #[test]
    fn the_common_list_is_read_and_every_entry_is_long_enough_to_matter() {
        let list: Vec<&str> = include_str!("../data/common-passwords.txt")
            .lines()
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .collect();
        assert!(list.len() > 1000);
        assert!(
            list.iter()
                .all(|entry| entry.chars().count() >= MIN_PASSWORD_CHARS)
        );
        assert!(list.iter().all(|entry| entry.to_lowercase() == *entry));
        assert!(is_common("qwertyuiop"));
    }
}
