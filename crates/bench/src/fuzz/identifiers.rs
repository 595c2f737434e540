//! `CreditCode::parse` and `PatentNumber::parse` (with `IpItem::parse`, which reads a patent
//! number, a software copyright or free text from a form or a spreadsheet cell).

use proptest::prelude::*;
use zijin_domain::patent::application_check_digit;
use zijin_domain::record::IpItem;
use zijin_domain::{CreditCode, PatentNumber};

use super::{Target, chinese, mutated};

pub fn credit_code() -> Target {
    Target {
        name: "credit-code",
        about: "CreditCode::parse: valid codes read back the same and carry their check character",
        check: check_credit_code,
        strategy: credit_code_inputs,
        seeds: || {
            [
                "91350100M000100Y43",
                " 91350100m000100y43 ",
                "91350100M000100Y44",
                "9135",
                "",
            ]
            .map(|s| s.as_bytes().to_vec())
            .to_vec()
        },
    }
}

pub fn check_credit_code(input: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(input);
    match CreditCode::parse(&text) {
        Ok(code) => {
            let shown = code.to_string();
            if CreditCode::parse(&shown).as_ref() != Ok(&code) {
                return Err(format!("credit code: {shown:?} does not read back"));
            }
            if shown.chars().count() != 18 || shown != code.as_str() {
                return Err(format!("credit code: {shown:?} is not 18 characters"));
            }
            let first: String = shown.chars().take(17).collect();
            if CreditCode::complete(&first).as_ref() != Some(&code) {
                return Err(format!(
                    "credit code: the check character of {shown:?} is not GB 32100's"
                ));
            }
            Ok(())
        }
        Err(error) => chinese("credit code", &error.to_string()),
    }
}

/// Characters people type, paste or smuggle: the code's alphabet, the letters it leaves out,
/// lower case, full-width forms, letters whose upper case is longer (ß, ﬀ) or ASCII (ı, ſ),
/// blanks of every kind, combining marks and Chinese.
const CHARACTERS: &str = "0123456789ABCDEFGHJKLMNPQRTUWXYIOZSVabcdefghjklmnpqrtuwxyiozsv０１９ＡＺßﬀﬁıſİǅ \t\u{3000}\u{a0}\u{200b}\u{301}\u{202e}-.统一社会信用代码";

fn any_text(max: usize) -> BoxedStrategy<String> {
    let characters: Vec<char> = CHARACTERS.chars().collect();
    prop::collection::vec(prop::sample::select(characters), 0..max)
        .prop_map(|chars| chars.into_iter().collect())
        .boxed()
}

fn credit_code_inputs(seeds: Vec<Vec<u8>>) -> BoxedStrategy<Vec<u8>> {
    let alphabet: Vec<char> = (0..31).map(CreditCode::alphabet_character).collect();
    let valid = prop::collection::vec(prop::sample::select(alphabet), 17).prop_map(|chars| {
        let first: String = chars.into_iter().collect();
        CreditCode::complete(&first)
            .map(|code| code.to_string())
            .unwrap_or(first)
    });
    let characters: Vec<char> = CHARACTERS.chars().collect();
    // A valid code with one character replaced, inserted or dropped, or its case and blanks
    // changed.
    let edited = (
        valid.clone(),
        0usize..19,
        prop::sample::select(characters),
        0u8..5,
    )
        .prop_map(|(code, at, character, how)| {
            let mut chars: Vec<char> = code.chars().collect();
            let at = at.min(chars.len());
            match how {
                0 if at < chars.len() => chars[at] = character,
                1 => chars.insert(at, character),
                2 if at < chars.len() => {
                    chars.remove(at);
                }
                3 => return format!(" {} ", code.to_lowercase()),
                _ => return format!("{character}{code}{character}"),
            }
            chars.into_iter().collect()
        });
    prop_oneof![
        3 => valid.prop_map(String::into_bytes),
        3 => edited.prop_map(String::into_bytes),
        2 => any_text(24).prop_map(String::into_bytes),
        2 => mutated(seeds, &[b"Y43", b"\xc3\x9f", b"\xef\xac\x80", b" "]),
    ]
    .boxed()
}

pub fn patent_number() -> Target {
    Target {
        name: "patent-number",
        about: "PatentNumber::parse and IpItem::parse: accepted numbers read back the same",
        check: check_patent_number,
        strategy: patent_inputs,
        seeds: || {
            [
                "ZL202110123456.7",
                "2021101234567",
                "CN202110123456.7",
                "zl 202110123456.7",
                "ZL202110123456.8",
                "CN114081026A",
                "CN114081026B1",
                "ZL98123456.X",
                "软著:2021SR0123456",
                "其他:技术秘密",
                "",
            ]
            .map(|s| s.as_bytes().to_vec())
            .to_vec()
        },
    }
}

pub fn check_patent_number(input: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(input);
    match PatentNumber::parse(&text) {
        Ok(number) => {
            let shown = number.to_string();
            if PatentNumber::parse(&shown).as_ref() != Ok(&number) {
                return Err(format!("patent number: {shown:?} does not read back"));
            }
            if let PatentNumber::Application { digits, check } = &number
                && application_check_digit(digits) != *check
            {
                return Err(format!("patent number: {shown:?} has a wrong check digit"));
            }
        }
        Err(error) => chinese("patent number", &error.to_string())?,
    }
    match IpItem::parse(&text) {
        Ok(item) => {
            let written = item.written();
            if IpItem::parse(&written).as_ref() != Ok(&item) {
                return Err(format!("ip item: {written:?} does not read back"));
            }
            Ok(())
        }
        Err(message) => chinese("ip item", &message),
    }
}

const PATENT_WORDS: &[&[u8]] = &[
    b"ZL",
    b"CN",
    b".",
    b"X",
    "é".as_bytes(),
    "软著:".as_bytes(),
    b"SR",
];

fn patent_inputs(seeds: Vec<Vec<u8>>) -> BoxedStrategy<Vec<u8>> {
    let digits = |n: usize| prop::collection::vec(0u8..10, n);
    // Application numbers of both generations with their right check digit, written in every
    // usual way.
    let application = (
        prop_oneof![digits(12), digits(8)],
        prop::sample::select(vec!["", "ZL", "CN", "zl", "ZL ", "cn"]),
        prop::sample::select(vec![".", "", "．", ". "]),
    )
        .prop_map(|(digits, prefix, dot)| {
            let digits: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
            let check = application_check_digit(&digits);
            format!("{prefix}{digits}{dot}{check}")
        });
    let publication = (
        prop::collection::vec(0u8..10, 5..11),
        prop::sample::select(vec![
            "A", "B", "C", "U", "Y", "S", "D", "B1", "A9", "Q", "AA",
        ]),
    )
        .prop_map(|(digits, kind)| {
            let digits: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
            format!("CN{digits}{kind}")
        });
    let tail: Vec<char> = "0123456789X.ZLCNSR:：软著其他é中\u{301}ß "
        .chars()
        .collect();
    // A well-formed number with a few characters of other kinds appended or put in front.
    let decorated = (
        prop_oneof![application.clone(), publication.clone()],
        prop::collection::vec(prop::sample::select(tail.clone()), 0..4),
        prop::collection::vec(prop::sample::select(tail), 0..3),
    )
        .prop_map(|(number, after, before)| {
            let after: String = after.into_iter().collect();
            let before: String = before.into_iter().collect();
            format!("{before}{number}{after}")
        });
    prop_oneof![
        2 => application.prop_map(String::into_bytes),
        1 => publication.prop_map(String::into_bytes),
        3 => decorated.prop_map(String::into_bytes),
        1 => any_text(20).prop_map(String::into_bytes),
        3 => mutated(seeds, PATENT_WORDS),
    ]
    .boxed()
}
