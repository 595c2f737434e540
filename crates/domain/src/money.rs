//! Money in yuan: exact decimals with at most two places (fen), never negative, never floats.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;

/// An amount of yuan, exact to the fen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(Decimal);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("金额“{0}”不是有效的数字（例如 1200000 或 1,200,000.00）")]
    NotANumber(String),
    #[error("金额不能为负数：{0}")]
    Negative(String),
    #[error("金额最多保留两位小数（到分）：{0}")]
    TooPrecise(String),
    #[error("金额过大：{0}")]
    TooLarge(String),
}

/// A sum of many amounts (statistics, totals of a year): exact yuan to the fen like [`Money`],
/// but not bounded as a single amount is — a province's contracts add up to more than any one
/// contract may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Total(Decimal);

impl Total {
    pub fn from_fen(fen: i64) -> Total {
        Total(Decimal::new(fen, 2))
    }

    /// Yuan, to the fen.
    pub fn from_yuan(yuan: Decimal) -> Total {
        let mut value = yuan.round_dp(2);
        value.rescale(2);
        Total(value)
    }

    /// In fen (saturating: a sum beyond i64's fen is beyond any statistic).
    pub fn fen(self) -> i64 {
        use rust_decimal::prelude::ToPrimitive;
        (self.0 * Decimal::from(100))
            .trunc()
            .to_i64()
            .unwrap_or(i64::MAX)
    }

    pub fn decimal(self) -> Decimal {
        self.0
    }

    /// The yuan with separators: "1,200,000.00".
    pub fn grouped(self) -> String {
        group_thousands(&self.to_string())
    }

    /// As pages show it: with 万元 beside it from 10,000 元.
    pub fn shown(self) -> String {
        if self.0 >= Decimal::from(10_000) {
            format!(
                "{} 元（{} 万元）",
                self.grouped(),
                group_thousands(&(self.0 / Decimal::from(10_000)).normalize().to_string())
            )
        } else {
            format!("{} 元", self.grouped())
        }
    }
}

impl fmt::Display for Total {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.2}", self.0)
    }
}

/// A trillion yuan: far beyond any amount the platform handles, and safe in an i64 of fen.
const MAX_YUAN: i64 = 1_000_000_000_000;

impl Money {
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// Parses yuan as written by people: `1200000`, `1,200,000.00`, `１２００` (full-width digits),
    /// optionally followed by 元.
    pub fn parse(input: &str) -> Result<Self, MoneyError> {
        let original = input.trim();
        let normalised: String = original
            .trim_end_matches('元')
            .chars()
            .filter(|c| *c != ',' && *c != '，' && !c.is_whitespace())
            .map(|c| match c {
                '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
                '．' => '.',
                '－' => '-',
                other => other,
            })
            .collect();
        let valid_shape = !normalised.is_empty()
            && normalised
                .chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
            && normalised.matches('.').count() <= 1;
        let value = if valid_shape {
            Decimal::from_str(&normalised).ok()
        } else {
            None
        }
        .ok_or_else(|| MoneyError::NotANumber(original.to_string()))?;
        Self::from_decimal(value).map_err(|error| match error {
            MoneyError::NotANumber(_) => MoneyError::NotANumber(original.to_string()),
            other => other,
        })
    }

    /// Parses yuan, or 万元 when the amount ends with 万 or 万元 (“120万”, “120.5 万元”), as
    /// Chinese forms write both.
    pub fn parse_yuan_or_wan(input: &str) -> Result<Self, MoneyError> {
        let original = input.trim();
        let Some(number) = original
            .strip_suffix("万元")
            .or_else(|| original.strip_suffix('万'))
        else {
            return Self::parse(original);
        };
        let wan = Self::parse_decimal(number)
            .ok_or_else(|| MoneyError::NotANumber(original.to_string()))?;
        Self::from_decimal(wan * Decimal::from(10_000)).map_err(|error| match error {
            MoneyError::NotANumber(_) => MoneyError::NotANumber(original.to_string()),
            other => other,
        })
    }

    /// A plain decimal with at most six places (万元 to the fen), full-width digits allowed.
    fn parse_decimal(input: &str) -> Option<Decimal> {
        let normalised: String = input
            .trim()
            .chars()
            .filter(|c| *c != ',' && *c != '，' && !c.is_whitespace())
            .map(|c| match c {
                '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
                '．' => '.',
                other => other,
            })
            .collect();
        let shaped = !normalised.is_empty()
            && normalised.chars().all(|c| c.is_ascii_digit() || c == '.')
            && normalised.matches('.').count() <= 1;
        shaped
            .then(|| Decimal::from_str(&normalised).ok())
            .flatten()
            .filter(|d| d.normalize().scale() <= 6)
    }

    /// The yuan with separators: "1,200,000.00".
    pub fn grouped(self) -> String {
        group_thousands(&self.to_string())
    }

    /// The amount in 万元 with separators and no trailing zeros: "120", "1,234.5".
    pub fn wan(self) -> String {
        group_thousands(&(self.0 / Decimal::from(10_000)).normalize().to_string())
    }

    /// As pages show an amount: "8,000.00 元" below 10,000 元, else with 万元 beside it.
    pub fn shown(self) -> String {
        if self.0 >= Decimal::from(10_000) {
            self.yuan_and_wan()
        } else {
            format!("{} 元", self.grouped())
        }
    }

    /// A budget as pages show it: both ends ("300,000.00 – 1,000,000.00 元（30 – 100 万元）"), one
    /// end ("… 以上", "… 以内"), or 面议.
    pub fn range_shown(min: Option<Money>, max: Option<Money>) -> String {
        match (min, max) {
            (Some(min), Some(max)) => format!(
                "{} – {} 元（{} – {} 万元）",
                min.grouped(),
                max.grouped(),
                min.wan(),
                max.wan()
            ),
            (Some(min), None) => format!("{} 以上", min.shown()),
            (None, Some(max)) => format!("{} 以内", max.shown()),
            (None, None) => "面议".into(),
        }
    }

    /// The amount as Chinese forms print it: "1,200,000.00 元（120 万元）".
    pub fn yuan_and_wan(self) -> String {
        let wan = (self.0 / Decimal::from(10_000)).normalize();
        format!(
            "{} 元（{} 万元）",
            group_thousands(&self.to_string()),
            group_thousands(&wan.to_string())
        )
    }

    pub fn from_decimal(value: Decimal) -> Result<Self, MoneyError> {
        if value.is_sign_negative() && !value.is_zero() {
            return Err(MoneyError::Negative(value.to_string()));
        }
        if value.normalize().scale() > 2 {
            return Err(MoneyError::TooPrecise(value.to_string()));
        }
        if value > Decimal::from(MAX_YUAN) {
            return Err(MoneyError::TooLarge(value.to_string()));
        }
        Ok(Money(value.abs().round_dp(2)))
    }

    /// The amount in fen, for storage as an integer.
    pub fn fen(self) -> i64 {
        (self.0 * Decimal::from(100)).trunc().mantissa() as i64
    }

    pub fn from_fen(fen: i64) -> Result<Self, MoneyError> {
        Self::from_decimal(Decimal::new(fen, 2))
    }

    pub fn decimal(self) -> Decimal {
        self.0
    }
}

impl fmt::Display for Money {
    /// Yuan with two places, e.g. `1200000.00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.2}", self.0)
    }
}

/// Groups the digits of an amount or a count by thousands, as official tables print them:
/// "4170000.00" → "4,170,000.00", "1000000" → "1,000,000". Anything that is not such a number
/// (面议, empty) comes back unchanged.
pub fn group_thousands(number: &str) -> String {
    let (sign, unsigned) = match number.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", number),
    };
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return number.to_string();
    }
    let mut grouped = String::from(sign);
    for (index, digit) in whole.chars().enumerate() {
        if index > 0 && (whole.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    if !fraction.is_empty() {
        grouped.push('.');
        grouped.push_str(fraction);
    }
    grouped
}

#[cfg(test)]
mod tests {

    #[test]
    fn totals_beyond_a_single_amount_stay_exact() {
        let total = Total::from_fen(75_000_000_000_000_001);
        assert_eq!(total.to_string(), "750000000000000.01");
        assert_eq!(total.fen(), 75_000_000_000_000_001);
        assert!(total.shown().starts_with("750,000,000,000,000.01 元（"));
        assert_eq!(Total::from_fen(12_300).shown(), "123.00 元");
    }

    #[test]
    fn budgets_are_shown_with_separators_and_wan() {
        let yuan = |text: &str| Some(Money::parse(text).unwrap());
        assert_eq!(
            Money::range_shown(yuan("300000"), yuan("1000000")),
            "300,000.00 – 1,000,000.00 元（30 – 100 万元）"
        );
        assert_eq!(Money::range_shown(yuan("8000"), None), "8,000.00 元 以上");
        assert_eq!(Money::range_shown(None, None), "面议");
    }
    use super::*;

    #[test]
    fn amounts_are_read_in_yuan_or_wan_and_shown_in_both() {
        assert_eq!(
            Money::parse_yuan_or_wan("120万").unwrap().fen(),
            120_000_000
        );
        assert_eq!(
            Money::parse_yuan_or_wan("120.5 万元").unwrap().fen(),
            120_500_000
        );
        assert_eq!(
            Money::parse_yuan_or_wan("０.０００１万").unwrap().fen(),
            100
        );
        assert_eq!(
            Money::parse_yuan_or_wan("1,200,000").unwrap().fen(),
            120_000_000
        );
        assert!(Money::parse_yuan_or_wan("0.0000001万").is_err());
        assert!(Money::parse_yuan_or_wan("万").is_err());
        assert!(Money::parse_yuan_or_wan("-3万").is_err());
        assert_eq!(
            Money::parse("1200000").unwrap().yuan_and_wan(),
            "1,200,000.00 元（120 万元）"
        );
        assert_eq!(
            Money::parse("2500.5").unwrap().yuan_and_wan(),
            "2,500.50 元（0.25005 万元）"
        );
    }

    #[test]
    fn groups_thousands_of_amounts_and_counts() {
        assert_eq!(group_thousands("4170000.00"), "4,170,000.00");
        assert_eq!(group_thousands("100.00"), "100.00");
        assert_eq!(group_thousands("1000000"), "1,000,000");
        assert_eq!(group_thousands("-1234"), "-1,234");
        assert_eq!(group_thousands("面议"), "面议");
        assert_eq!(group_thousands(""), "");
    }

    #[test]
    fn parses_what_people_write() {
        for (input, shown, fen) in [
            ("1200000", "1200000.00", 120_000_000),
            ("1,200,000.5", "1200000.50", 120_000_050),
            ("１２００元", "1200.00", 120_000),
            ("0", "0.00", 0),
            ("0.01", "0.01", 1),
        ] {
            let money = Money::parse(input).unwrap();
            assert_eq!(
                (money.to_string(), money.fen()),
                (shown.to_string(), fen),
                "{input}"
            );
            assert_eq!(Money::from_fen(fen).unwrap(), money);
        }
    }

    #[test]
    fn refuses_negative_imprecise_and_non_numbers() {
        assert!(matches!(Money::parse("-5"), Err(MoneyError::Negative(_))));
        assert!(matches!(
            Money::parse("1.005"),
            Err(MoneyError::TooPrecise(_))
        ));
        assert!(matches!(
            Money::parse("12万"),
            Err(MoneyError::NotANumber(_))
        ));
        assert!(matches!(
            Money::parse("1e5"),
            Err(MoneyError::NotANumber(_))
        ));
        assert!(matches!(Money::parse(""), Err(MoneyError::NotANumber(_))));
        assert!(matches!(
            Money::parse("1.2.3"),
            Err(MoneyError::NotANumber(_))
        ));
        assert!(matches!(
            Money::parse("9999999999999"),
            Err(MoneyError::TooLarge(_))
        ));
    }

    #[test]
    fn large_amounts_stay_exact() {
        // Floats lose the fen here; decimals do not.
        let money = Money::parse("98765432109.87").unwrap();
        assert_eq!(money.to_string(), "98765432109.87");
        assert_eq!(money.fen(), 9_876_543_210_987);
    }
}
