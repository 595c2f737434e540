//! 技术经理人 (art. 20; `TechManager` in the glossary): the profile a technology manager keeps
//! beside their account — certificate level and number, the statistical 技术领域 they work in,
//! a short introduction, and whether they agree to be listed in the public directory.

use crate::{Coded, ContractField, FieldErrors};

/// The level of the 技术经理人 certificate (national training: 初级, 中级, 高级).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CertificateLevel {
    Junior,
    Intermediate,
    Senior,
}

impl Coded for CertificateLevel {
    const ALL: &'static [Self] = &[Self::Junior, Self::Intermediate, Self::Senior];
    fn code(self) -> &'static str {
        match self {
            Self::Junior => "junior",
            Self::Intermediate => "intermediate",
            Self::Senior => "senior",
        }
    }
    fn label(self) -> &'static str {
        match self {
            Self::Junior => "初级技术经理人",
            Self::Intermediate => "中级技术经理人",
            Self::Senior => "高级技术经理人",
        }
    }
}

/// A certificate number as issued: 4 to 40 letters, digits and hyphens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateNumber(String);

impl CertificateNumber {
    pub fn parse(raw: &str) -> Option<Self> {
        let text = raw.trim().to_uppercase();
        let length = text.chars().count();
        ((4..=40).contains(&length) && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
            .then_some(Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The most characters of an introduction.
pub const INTRODUCTION_MAX_CHARS: usize = 500;

/// A checked profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TechManagerProfile {
    pub level: CertificateLevel,
    pub number: CertificateNumber,
    pub fields: Vec<ContractField>,
    pub introduction: String,
    /// Agreed to be listed in the public directory (/brokers).
    pub listed: bool,
}

/// What a form or the API sends.
#[derive(Debug, Clone, Default)]
pub struct TechManagerProfileInput {
    pub certificate_level: String,
    pub certificate_number: String,
    pub fields: Vec<String>,
    pub introduction: String,
    pub listed: bool,
}

impl TechManagerProfileInput {
    /// The profile, or every problem by field.
    pub fn validate(&self) -> Result<TechManagerProfile, FieldErrors> {
        let mut errors = FieldErrors::new();
        let level = CertificateLevel::from_code(&self.certificate_level);
        if level.is_none() {
            errors.add(
                "certificate_level",
                "请选择证书等级（初级、中级或高级技术经理人）",
            );
        }
        let number = CertificateNumber::parse(&self.certificate_number);
        if number.is_none() {
            errors.add(
                "certificate_number",
                "证书编号应为 4 至 40 位字母、数字或连字符",
            );
        }
        let mut fields = Vec::new();
        for raw in self.fields.iter().filter(|f| !f.trim().is_empty()) {
            match ContractField::from_code(raw) {
                Some(field) if !fields.contains(&field) => fields.push(field),
                Some(_) => {}
                None => errors.add("fields", format!("没有这个技术领域：{}", raw.trim())),
            }
        }
        if fields.is_empty() && !errors.iter().any(|e| e.field == "fields") {
            errors.add("fields", "请至少选择一个擅长的技术领域");
        }
        let introduction = self.introduction.trim().to_string();
        if introduction.chars().count() > INTRODUCTION_MAX_CHARS {
            errors.add(
                "introduction",
                format!("个人简介不能超过 {INTRODUCTION_MAX_CHARS} 字"),
            );
        }
        match (level, number) {
            (Some(level), Some(number)) if errors.is_empty() => Ok(TechManagerProfile {
                level,
                number,
                fields,
                introduction,
                listed: self.listed,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> TechManagerProfileInput {
        TechManagerProfileInput {
            certificate_level: "中级技术经理人".into(),
            certificate_number: " js-2024-00318 ".into(),
            fields: vec!["新能源与高效节能".into(), "electronic-information".into()],
            introduction: "长期从事新能源技术转移。".into(),
            listed: true,
        }
    }

    #[test]
    fn a_profile_is_read_by_codes_or_labels() {
        let profile = input().validate().unwrap();
        assert_eq!(profile.level, CertificateLevel::Intermediate);
        assert_eq!(profile.number.as_str(), "JS-2024-00318");
        assert_eq!(profile.fields.len(), 2);
        assert!(profile.listed);
    }

    #[test]
    fn every_problem_is_named_by_its_field() {
        let errors = TechManagerProfileInput {
            certificate_level: "特级".into(),
            certificate_number: "编号1".into(),
            fields: vec!["玄学".into()],
            introduction: "字".repeat(501),
            listed: false,
        }
        .validate()
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            vec![
                "certificate_level",
                "certificate_number",
                "fields",
                "introduction"
            ]
        );
        let none = TechManagerProfileInput {
            fields: vec![],
            ..input()
        }
        .validate()
        .unwrap_err();
        assert!(none.iter().any(|e| e.field == "fields"));
    }
}
