//! Chinese patent numbers: application numbers with their check digit, and publication numbers.
//!
//! Application numbers since 2003 have 12 digits (year, type, serial) and a check digit over
//! them, weighted 2,3,4,5,6,7,8,9,2,3,4,5 modulo 11 (10 is written X); they are written as
//! `202110123456.7`, `2021101234567`, `ZL202110123456.7` or `CN202110123456.7`. Older ones have 8
//! digits and the check digit weighted 2..9. Publication numbers are `CN` with 7 to 9 digits
//! and a kind code such as `A`, `B`, `U`, `S`, optionally with a digit (`CN114081026A`).

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PatentNumber {
    /// Digits without the check digit, and the check digit (`0`–`9` or `X`).
    Application { digits: String, check: char },
    /// Digits and kind code, e.g. `114081026` and `A`.
    Publication { digits: String, kind: String },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatentNumberError {
    #[error("专利号“{0}”格式不正确（申请号如 ZL202110123456.7，公开号如 CN114081026A）")]
    Malformed(String),
    #[error("专利申请号“{number}”校验位错误：应为“{expected}”，填写的是“{found}”")]
    CheckDigitMismatch {
        number: String,
        expected: char,
        found: char,
    },
    #[error("专利申请号“{0}”的专利类型位无效（应为 1 发明、2 实用新型、3 外观设计、8 或 9 PCT）")]
    UnknownType(String),
}

impl PatentNumber {
    pub fn parse(input: &str) -> Result<Self, PatentNumberError> {
        let original = input.trim();
        let compact: String = original
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_uppercase();
        let malformed = || PatentNumberError::Malformed(original.to_string());
        let rest = compact
            .strip_prefix("ZL")
            .or_else(|| compact.strip_prefix("CN"))
            .unwrap_or(&compact);
        // Publication number: CN, digits, a kind letter and an optional digit.
        if compact.starts_with("CN")
            && let Some(position) = rest.find(|c: char| c.is_ascii_alphabetic())
        {
            let (digits, kind) = rest.split_at(position);
            let kind_ok = matches!(kind.len(), 1 | 2)
                && kind.starts_with(['A', 'B', 'C', 'U', 'Y', 'S', 'D'])
                && kind[1..].chars().all(|c| c.is_ascii_digit());
            if (7..=9).contains(&digits.len())
                && digits.chars().all(|c| c.is_ascii_digit())
                && kind_ok
            {
                return Ok(PatentNumber::Publication {
                    digits: digits.to_string(),
                    kind: kind.to_string(),
                });
            }
            return Err(malformed());
        }
        let (digits, check) = match rest.split_once('.') {
            Some((digits, check)) if check.chars().count() == 1 => {
                (digits.to_string(), check.chars().next().unwrap_or('?'))
            }
            Some(_) => return Err(malformed()),
            // The last character is the check digit; it is split off as a character, not a
            // byte, since a pasted number may end in anything (`王老师`, a full-width colon).
            None if matches!(rest.len(), 9 | 13) => {
                let check = rest.chars().next_back().unwrap_or('?');
                let digits = &rest[..rest.len() - check.len_utf8()];
                (digits.to_string(), check)
            }
            None => return Err(malformed()),
        };
        if !matches!(digits.len(), 8 | 12)
            || !digits.chars().all(|c| c.is_ascii_digit())
            || !(check.is_ascii_digit() || check == 'X')
        {
            return Err(malformed());
        }
        let type_digit = if digits.len() == 12 {
            digits.as_bytes()[4]
        } else {
            digits.as_bytes()[2]
        };
        if !matches!(type_digit, b'1' | b'2' | b'3' | b'8' | b'9') {
            return Err(PatentNumberError::UnknownType(original.to_string()));
        }
        let expected = application_check_digit(&digits);
        if expected != check {
            return Err(PatentNumberError::CheckDigitMismatch {
                number: original.to_string(),
                expected,
                found: check,
            });
        }
        Ok(PatentNumber::Application { digits, check })
    }
}

/// The check digit of an application number's digits.
pub fn application_check_digit(digits: &str) -> char {
    const WEIGHTS: [u32; 12] = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5];
    let sum: u32 = digits
        .bytes()
        .zip(WEIGHTS)
        .map(|(digit, weight)| u32::from(digit - b'0') * weight)
        .sum();
    match sum % 11 {
        10 => 'X',
        value => char::from_digit(value, 10).unwrap_or('0'),
    }
}

impl fmt::Display for PatentNumber {
    /// Application numbers as `ZL202110123456.7`, publication numbers as `CN114081026A`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PatentNumber::Application { digits, check } => write!(f, "ZL{digits}.{check}"),
            PatentNumber::Publication { digits, kind } => write!(f, "CN{digits}{kind}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn application_numbers_in_every_written_form() {
        for written in [
            "ZL202110123456.7",
            "2021101234567",
            "202110123456.7",
            "CN202110123456.7",
            "zl 202110123456.7",
        ] {
            let number = PatentNumber::parse(written).unwrap_or_else(|e| panic!("{written}: {e}"));
            assert_eq!(number.to_string(), "ZL202110123456.7");
        }
    }

    #[test]
    fn a_wrong_check_digit_is_named() {
        assert_eq!(
            PatentNumber::parse("ZL202110123456.8"),
            Err(PatentNumberError::CheckDigitMismatch {
                number: "ZL202110123456.8".into(),
                expected: '7',
                found: '8'
            })
        );
    }

    #[test]
    fn malformed_numbers_are_refused() {
        for bad in [
            "",
            "ZL2021",
            "CN1140A",
            "CN114081026Q",
            "CN114081026AA",
            "202150123456.7",
            "ZL202110123456.77",
            "专利",
        ] {
            assert!(PatentNumber::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn text_of_a_number_s_length_ending_in_a_wide_character_is_refused() {
        // Found by bench/fuzz: these panicked (a byte split inside the last character).
        for bad in ["0CN00000A0：", "王老师", "20211012345é", "ZL2021101234中"] {
            assert!(
                matches!(
                    PatentNumber::parse(bad),
                    Err(PatentNumberError::Malformed(_))
                ),
                "{bad} should be refused as malformed"
            );
        }
    }

    #[test]
    fn every_real_publication_number_parses() {
        // The shared material lies beside the repository (ZIJIN_SHARED_DIR points elsewhere).
        let shared = std::env::var("ZIJIN_SHARED_DIR").unwrap_or_else(|_| {
            let manifest = std::env::var("CARGO_MANIFEST_DIR")
                .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
            format!("{manifest}/../../../shared")
        });
        let path = format!("{shared}/data/cn-patents/patents.tsv");
        let Ok(data) = std::fs::read_to_string(&path) else {
            panic!("the shared patent data is expected at {path} (set ZIJIN_SHARED_DIR)");
        };
        let mut count = 0;
        for line in data.lines().skip(1) {
            for number in line.split('\t').next().unwrap_or_default().split('|') {
                let parsed =
                    PatentNumber::parse(number).unwrap_or_else(|e| panic!("{number}: {e}"));
                assert_eq!(parsed.to_string(), number);
                count += 1;
            }
        }
        assert!(count >= 9740, "{count} numbers checked");
    }
}
