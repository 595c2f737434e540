//! The unified social credit code (统一社会信用代码) of GB 32100-2015.
//!
//! 18 characters from a 31-character alphabet (digits and upper-case letters without I, O, Z, S,
//! V); the last one is a check character over the first 17, weighted by powers of 3 modulo 31.

use std::fmt;

const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A valid unified social credit code, stored in upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CreditCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditCodeError {
    #[error("统一社会信用代码应为18位，当前为{0}位")]
    WrongLength(usize),
    #[error(
        "统一社会信用代码第{position}位“{character}”不是允许的字符（只能是数字和除 I、O、Z、S、V 以外的大写字母）"
    )]
    InvalidCharacter { position: usize, character: char },
    #[error(
        "统一社会信用代码校验位错误：按 GB 32100-2015 计算第18位应为“{expected}”，填写的是“{found}”"
    )]
    CheckCharacterMismatch { expected: char, found: char },
}

impl CreditCode {
    /// Parses a code as a user typed it: surrounding blanks are ignored, lower case accepted.
    pub fn parse(input: &str) -> Result<Self, CreditCodeError> {
        let code: String = input.trim().to_uppercase();
        let length = code.chars().count();
        if length != 18 {
            return Err(CreditCodeError::WrongLength(length));
        }
        let mut values = [0u32; 18];
        for (index, character) in code.chars().enumerate() {
            values[index] = alphabet_value(character).ok_or(CreditCodeError::InvalidCharacter {
                position: index + 1,
                character,
            })?;
        }
        let expected = check_character(&values[..17]);
        let found = code.chars().nth(17).unwrap_or_default();
        if expected != found {
            return Err(CreditCodeError::CheckCharacterMismatch { expected, found });
        }
        Ok(Self(code))
    }

    /// Completes 17 valid characters with their check character (used to make demo data).
    pub fn complete(first_seventeen: &str) -> Option<Self> {
        if first_seventeen.len() != 17 {
            return None;
        }
        let values: Option<Vec<u32>> = first_seventeen.chars().map(alphabet_value).collect();
        let check = check_character(&values?);
        Self::parse(&format!("{first_seventeen}{check}")).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The character at `index` of the 31-character alphabet (for generators).
    pub fn alphabet_character(index: usize) -> char {
        ALPHABET[index % ALPHABET.len()] as char
    }
}

fn alphabet_value(character: char) -> Option<u32> {
    ALPHABET
        .iter()
        .position(|&c| c as char == character)
        .map(|p| p as u32)
}

fn check_character(values: &[u32]) -> char {
    let sum: u32 = values.iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    let check = (31 - sum % 31) % 31;
    ALPHABET[check as usize] as char
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_standard_example() {
        // The worked example that accompanies GB 32100-2015.
        let code = "91350100M000100Y43";
        assert_eq!(
            CreditCode::parse(code).map(|c| c.to_string()),
            Ok(code.to_string())
        );
    }

    #[test]
    fn accepts_lower_case_and_blanks() {
        assert_eq!(
            CreditCode::parse(" 91350100m000100y43 ").unwrap().as_str(),
            "91350100M000100Y43"
        );
    }

    #[test]
    fn rejects_a_wrong_check_character() {
        assert_eq!(
            CreditCode::parse("91350100M000100Y44"),
            Err(CreditCodeError::CheckCharacterMismatch {
                expected: '3',
                found: '4'
            })
        );
    }

    #[test]
    fn rejects_letters_outside_the_alphabet_and_wrong_lengths() {
        assert_eq!(
            CreditCode::parse("91350100M0001O0Y43"),
            Err(CreditCodeError::InvalidCharacter {
                position: 14,
                character: 'O'
            })
        );
        assert_eq!(
            CreditCode::parse("9135"),
            Err(CreditCodeError::WrongLength(4))
        );
        assert_eq!(
            CreditCode::parse("统一社会信用代码"),
            Err(CreditCodeError::WrongLength(8))
        );
    }

    #[test]
    fn complete_produces_codes_that_parse() {
        let code = CreditCode::complete("91320100MA1ABCDE0").unwrap();
        assert_eq!(CreditCode::parse(code.as_str()), Ok(code));
    }

    #[test]
    fn every_single_character_change_is_caught() {
        let valid = "91350100M000100Y43";
        for position in 0..17 {
            for index in 0..31 {
                let mut chars: Vec<char> = valid.chars().collect();
                let replacement = CreditCode::alphabet_character(index);
                if chars[position] == replacement {
                    continue;
                }
                chars[position] = replacement;
                let mutated: String = chars.into_iter().collect();
                assert!(
                    CreditCode::parse(&mutated).is_err(),
                    "{mutated} should be rejected"
                );
            }
        }
    }
}
