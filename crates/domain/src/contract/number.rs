//! 合同登记编号: the 16-digit number and the configurable scheme new ones follow.

use super::RegionCode;

/// A registry's 16-digit 合同登记编号. Imported numbers are kept as given; new ones are
/// assigned by a [`NumberScheme`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegistrationNumber(String);

impl RegistrationNumber {
    pub fn parse(input: &str) -> Option<Self> {
        let text = input.trim();
        (text.len() == 16 && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| RegistrationNumber(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How new registration numbers are made: a template of `{year}` (4 digits), `{region}` (the
/// registry's 6-digit division code), `{registry:N}` (the registry's own number in N digits)
/// and `{serial:N}` (a counter per prefix, N digits), with literal digits between, 16 digits in
/// all. The default, `{year}{region}{serial:6}`, makes `2026320102000001`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberScheme {
    parts: Vec<SchemePart>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum SchemePart {
    Digits(String),
    Year,
    Region,
    Registry(usize),
    Serial(usize),
}

/// What a scheme fills in for one registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumberInputs {
    pub year: i32,
    pub region: RegionCode,
    pub registry: u32,
}

pub const DEFAULT_NUMBER_SCHEME: &str = "{year}{region}{serial:6}";

impl Default for NumberScheme {
    fn default() -> Self {
        Self::parse(DEFAULT_NUMBER_SCHEME).expect("the default scheme is valid")
    }
}

impl NumberScheme {
    pub fn parse(template: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut rest = template.trim();
        let mut width = 0usize;
        let mut serials = 0;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('{') {
                let end = after
                    .find('}')
                    .ok_or_else(|| format!("编号规则“{template}”中的花括号不成对"))?;
                let name = &after[..end];
                let (key, digits) = match name.split_once(':') {
                    Some((key, n)) => (
                        key,
                        Some(n.parse::<usize>().map_err(|_| {
                            format!("编号规则“{template}”中“{name}”的位数不是数字")
                        })?),
                    ),
                    None => (name, None),
                };
                let part = match (key, digits) {
                    ("year", None) => {
                        width += 4;
                        SchemePart::Year
                    }
                    ("region", None) => {
                        width += 6;
                        SchemePart::Region
                    }
                    ("registry", Some(n)) if (1..=8).contains(&n) => {
                        width += n;
                        SchemePart::Registry(n)
                    }
                    ("serial", Some(n)) if (3..=10).contains(&n) => {
                        width += n;
                        serials += 1;
                        SchemePart::Serial(n)
                    }
                    _ => {
                        return Err(format!(
                            "编号规则“{template}”中的“{{{name}}}”无法识别（可用 {{year}}、{{region}}、{{registry:N}}、{{serial:N}}）"
                        ));
                    }
                };
                parts.push(part);
                rest = &after[end + 1..];
            } else {
                let end = rest.find('{').unwrap_or(rest.len());
                let literal = &rest[..end];
                if !literal.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(format!("编号规则“{template}”中只能有数字和占位符"));
                }
                width += literal.len();
                parts.push(SchemePart::Digits(literal.to_string()));
                rest = &rest[end..];
            }
        }
        if serials != 1 || !matches!(parts.last(), Some(SchemePart::Serial(_))) {
            return Err(format!(
                "编号规则“{template}”应以一个流水号 {{serial:N}} 结尾"
            ));
        }
        if width != 16 {
            return Err(format!(
                "编号规则“{template}”生成{width}位编号，合同登记编号应为16位"
            ));
        }
        Ok(NumberScheme { parts })
    }

    /// The digits before the serial number: the counter is kept per prefix.
    pub fn prefix(&self, inputs: NumberInputs) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                SchemePart::Digits(d) => out.push_str(d),
                SchemePart::Year => out.push_str(&format!("{:04}", inputs.year.rem_euclid(10_000))),
                SchemePart::Region => out.push_str(&inputs.region.code()),
                SchemePart::Registry(n) => {
                    let modulus = 10u64.pow(*n as u32);
                    out.push_str(&format!(
                        "{:0width$}",
                        u64::from(inputs.registry) % modulus,
                        width = *n
                    ));
                }
                SchemePart::Serial(_) => break,
            }
        }
        out
    }

    /// The largest serial the scheme holds.
    pub fn max_serial(&self) -> u64 {
        match self.parts.last() {
            Some(SchemePart::Serial(n)) => 10u64.pow(*n as u32) - 1,
            _ => 0,
        }
    }

    /// The number for `serial` (1-based) under `prefix`; `None` when the serials of the prefix
    /// are used up.
    pub fn number(&self, prefix: &str, serial: u64) -> Option<RegistrationNumber> {
        if serial == 0 || serial > self.max_serial() {
            return None;
        }
        let width = 16 - prefix.len();
        RegistrationNumber::parse(&format!("{prefix}{serial:0width$}"))
    }
}
