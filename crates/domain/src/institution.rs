//! Institutions: universities, institutes, hospitals, enterprises and the service bodies around
//! them. Every user other than staff acts for exactly one institution.

use crate::validation::{optional_line, optional_text, required_line};
use crate::{Coded, CreditCode, District, FieldErrors};

pub const MAX_NAME_CHARS: usize = 100;
const MAX_ADDRESS_CHARS: usize = 200;
const MAX_CONTACT_CHARS: usize = 50;
const MAX_PHONE_CHARS: usize = 30;
const MAX_DESCRIPTION_CHARS: usize = 2000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InstitutionType {
    University,
    ResearchInstitute,
    MedicalInstitution,
    Enterprise,
    NewRdInstitution,
    ServiceOrganization,
    FinancialInstitution,
    /// 合同登记机构: registers technology contracts (a registrar's account is bound to one).
    ContractRegistry,
}

impl Coded for InstitutionType {
    const ALL: &'static [Self] = &[
        Self::University,
        Self::ResearchInstitute,
        Self::MedicalInstitution,
        Self::Enterprise,
        Self::NewRdInstitution,
        Self::ServiceOrganization,
        Self::FinancialInstitution,
        Self::ContractRegistry,
    ];

    fn code(self) -> &'static str {
        match self {
            Self::University => "university",
            Self::ResearchInstitute => "research-institute",
            Self::MedicalInstitution => "medical",
            Self::Enterprise => "enterprise",
            Self::NewRdInstitution => "new-rd-institution",
            Self::ServiceOrganization => "service",
            Self::FinancialInstitution => "financial",
            Self::ContractRegistry => "contract-registry",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::University => "高校",
            Self::ResearchInstitute => "科研院所",
            Self::MedicalInstitution => "医疗卫生机构",
            Self::Enterprise => "企业",
            Self::NewRdInstitution => "新型研发机构",
            Self::ServiceOrganization => "服务机构",
            Self::FinancialInstitution => "金融机构",
            Self::ContractRegistry => "合同登记机构",
        }
    }
}

/// A qualification an institution holds; several measures of the seed depend on them
/// (art. 15 on 高新技术 and 专精特新 enterprises, art. 18 on 赋权改革试点单位).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InstitutionTag {
    HighTechEnterprise,
    SpecialisedInnovative,
    AboveDesignatedSize,
    EmpowermentPilot,
    TechSme,
    StateOwned,
    Listed,
    UniversitySciencePark,
    TransferDemonstration,
}

impl Coded for InstitutionTag {
    const ALL: &'static [Self] = &[
        Self::HighTechEnterprise,
        Self::SpecialisedInnovative,
        Self::AboveDesignatedSize,
        Self::EmpowermentPilot,
        Self::TechSme,
        Self::StateOwned,
        Self::Listed,
        Self::UniversitySciencePark,
        Self::TransferDemonstration,
    ];

    fn code(self) -> &'static str {
        match self {
            Self::HighTechEnterprise => "high-tech",
            Self::SpecialisedInnovative => "specialised-innovative",
            Self::AboveDesignatedSize => "above-size",
            Self::EmpowermentPilot => "empowerment-pilot",
            Self::TechSme => "tech-sme",
            Self::StateOwned => "state-owned",
            Self::Listed => "listed",
            Self::UniversitySciencePark => "science-park",
            Self::TransferDemonstration => "transfer-demonstration",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::HighTechEnterprise => "高新技术企业",
            Self::SpecialisedInnovative => "专精特新",
            Self::AboveDesignatedSize => "规上企业",
            Self::EmpowermentPilot => "赋权改革试点单位",
            Self::TechSme => "科技型中小企业",
            Self::StateOwned => "国有企业",
            Self::Listed => "上市公司",
            Self::UniversitySciencePark => "大学科技园",
            Self::TransferDemonstration => "技术转移示范机构",
        }
    }
}

/// The editable part of an institution that its own users may change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstitutionProfile {
    pub address: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub description: String,
}

/// A complete, valid institution as an admin creates or edits it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstitutionDetails {
    pub name: String,
    pub kind: InstitutionType,
    pub credit_code: CreditCode,
    pub district: District,
    pub tags: Vec<InstitutionTag>,
    pub profile: InstitutionProfile,
}

/// Raw text of an institution form or API body, before validation.
#[derive(Debug, Clone, Default)]
pub struct InstitutionInput<'a> {
    pub name: &'a str,
    pub kind: &'a str,
    pub credit_code: &'a str,
    pub district: &'a str,
    pub tags: &'a [String],
    pub address: &'a str,
    pub contact_name: &'a str,
    pub contact_phone: &'a str,
    pub description: &'a str,
}

impl InstitutionDetails {
    pub fn parse(input: &InstitutionInput<'_>) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = required_line(&mut errors, "name", "机构名称", input.name, MAX_NAME_CHARS);
        let kind = InstitutionType::from_code(input.kind);
        if kind.is_none() {
            errors.add("kind", "请选择机构类型");
        }
        let credit_code = match CreditCode::parse(input.credit_code) {
            Ok(code) => Some(code),
            Err(error) => {
                errors.add("credit_code", error.to_string());
                None
            }
        };
        let district = District::from_code(input.district);
        if district.is_none() {
            errors.add("district", "请选择所在区");
        }
        let mut tags = Vec::new();
        for tag in input.tags.iter().filter(|t| !t.trim().is_empty()) {
            match InstitutionTag::from_code(tag) {
                Some(known) if !tags.contains(&known) => tags.push(known),
                Some(_) => {}
                None => errors.add("tags", format!("未知的机构标签“{tag}”")),
            }
        }
        tags.sort();
        let profile = InstitutionProfile::parse_into(
            &mut errors,
            input.address,
            input.contact_name,
            input.contact_phone,
            input.description,
        );
        match (kind, credit_code, district) {
            (Some(kind), Some(credit_code), Some(district)) if errors.is_empty() => Ok(Self {
                name,
                kind,
                credit_code,
                district,
                tags,
                profile,
            }),
            _ => Err(errors),
        }
    }
}

impl InstitutionProfile {
    pub fn parse(
        address: &str,
        contact_name: &str,
        contact_phone: &str,
        description: &str,
    ) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let draft = Self::parse_into(
            &mut errors,
            address,
            contact_name,
            contact_phone,
            description,
        );
        errors.into_result(|| draft)
    }

    fn parse_into(
        errors: &mut FieldErrors,
        address: &str,
        contact_name: &str,
        contact_phone: &str,
        description: &str,
    ) -> Self {
        let contact_phone = optional_line(
            errors,
            "contact_phone",
            "联系电话",
            contact_phone,
            MAX_PHONE_CHARS,
        );
        if let Some(problem) = (!contact_phone.is_empty())
            .then(|| crate::phone_problem(&contact_phone))
            .flatten()
        {
            errors.add("contact_phone", problem);
        }
        Self {
            address: optional_line(errors, "address", "地址", address, MAX_ADDRESS_CHARS),
            contact_name: optional_line(
                errors,
                "contact_name",
                "联系人",
                contact_name,
                MAX_CONTACT_CHARS,
            ),
            contact_phone,
            description: optional_text(
                errors,
                "description",
                "机构简介",
                description,
                MAX_DESCRIPTION_CHARS,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(name: &'a str, credit_code: &'a str, tags: &'a [String]) -> InstitutionInput<'a> {
        InstitutionInput {
            name,
            kind: "enterprise",
            credit_code,
            district: "江宁区",
            tags,
            ..Default::default()
        }
    }

    #[test]
    fn a_complete_form_parses_with_labels_or_codes() {
        let tags = vec![
            "专精特新".to_string(),
            "high-tech".to_string(),
            "专精特新".to_string(),
        ];
        let draft =
            InstitutionDetails::parse(&input("南京某科技有限公司", "91350100M000100Y43", &tags))
                .unwrap();
        assert_eq!(draft.district, District::Jiangning);
        assert_eq!(
            draft.tags,
            vec![
                InstitutionTag::HighTechEnterprise,
                InstitutionTag::SpecialisedInnovative
            ]
        );
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let long_name = "测".repeat(MAX_NAME_CHARS + 1);
        let tags = vec!["不存在".to_string()];
        let mut raw = input(&long_name, "91350100M000100Y44", &tags);
        raw.kind = "alien";
        raw.district = "朝阳区";
        let errors = InstitutionDetails::parse(&raw).unwrap_err();
        for field in ["name", "kind", "credit_code", "district", "tags"] {
            assert!(
                errors.get(field).is_some(),
                "{field} should be rejected: {errors}"
            );
        }
        assert!(errors.get("credit_code").unwrap().contains("校验位"));
        assert!(errors.get("name").unwrap().contains("100"));
    }
}

/// A stored institution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Institution {
    pub id: i64,
    pub details: InstitutionDetails,
    /// Fictitious data made by the demo generator, shown with a mark.
    pub is_demo: bool,
    pub created_at: String,
    pub updated_at: String,
}
