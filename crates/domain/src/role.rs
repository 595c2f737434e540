//! Who uses the platform: roles, the responsible units reviewers belong to, and credentials.

use crate::{Coded, FieldErrors};

/// A signed-in user's role. Anonymous visitors have no role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// 平台管理员: staff of the city science and technology bureau.
    Admin,
    /// 审核员: reviews on behalf of one responsible unit.
    Reviewer,
    /// 区级管理员: a district officer, sees only their district.
    DistrictOfficer,
    /// 机构用户: acts for one institution.
    InstitutionUser,
    /// 合同登记员: registers technology contracts for one 合同登记机构.
    ContractRegistrar,
}

impl Coded for Role {
    const ALL: &'static [Self] = &[
        Self::Admin,
        Self::Reviewer,
        Self::DistrictOfficer,
        Self::InstitutionUser,
        Self::ContractRegistrar,
    ];

    fn code(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Reviewer => "reviewer",
            Self::DistrictOfficer => "district",
            Self::InstitutionUser => "institution",
            Self::ContractRegistrar => "contract-registrar",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Admin => "平台管理员",
            Self::Reviewer => "审核员",
            Self::DistrictOfficer => "区级管理员",
            Self::InstitutionUser => "机构用户",
            Self::ContractRegistrar => "合同登记员",
        }
    }
}

/// A city department named as 责任单位 in the seed's articles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResponsibleUnit {
    ScienceTechnologyBureau,
    EducationBureau,
    IndustryInformationBureau,
    FinanceBureau,
    DevelopmentReformCommission,
    FinancialAffairsOffice,
    MarketRegulationBureau,
    HumanResourcesBureau,
    HealthCommission,
    StateAssetsCommission,
    OrganizationDepartment,
    CommerceBureau,
    PlanningResourcesBureau,
    ConstructionCommission,
    DataBureau,
}

impl Coded for ResponsibleUnit {
    const ALL: &'static [Self] = &[
        Self::ScienceTechnologyBureau,
        Self::EducationBureau,
        Self::IndustryInformationBureau,
        Self::FinanceBureau,
        Self::DevelopmentReformCommission,
        Self::FinancialAffairsOffice,
        Self::MarketRegulationBureau,
        Self::HumanResourcesBureau,
        Self::HealthCommission,
        Self::StateAssetsCommission,
        Self::OrganizationDepartment,
        Self::CommerceBureau,
        Self::PlanningResourcesBureau,
        Self::ConstructionCommission,
        Self::DataBureau,
    ];

    fn code(self) -> &'static str {
        match self {
            Self::ScienceTechnologyBureau => "science-technology",
            Self::EducationBureau => "education",
            Self::IndustryInformationBureau => "industry-information",
            Self::FinanceBureau => "finance",
            Self::DevelopmentReformCommission => "development-reform",
            Self::FinancialAffairsOffice => "financial-affairs",
            Self::MarketRegulationBureau => "market-regulation",
            Self::HumanResourcesBureau => "human-resources",
            Self::HealthCommission => "health",
            Self::StateAssetsCommission => "state-assets",
            Self::OrganizationDepartment => "organization",
            Self::CommerceBureau => "commerce",
            Self::PlanningResourcesBureau => "planning-resources",
            Self::ConstructionCommission => "construction",
            Self::DataBureau => "data",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::ScienceTechnologyBureau => "市科技局",
            Self::EducationBureau => "市教育局",
            Self::IndustryInformationBureau => "市工信局",
            Self::FinanceBureau => "市财政局",
            Self::DevelopmentReformCommission => "市发改委",
            Self::FinancialAffairsOffice => "市委金融办",
            Self::MarketRegulationBureau => "市市场监管局",
            Self::HumanResourcesBureau => "市人社局",
            Self::HealthCommission => "市卫健委",
            Self::StateAssetsCommission => "市国资委",
            Self::OrganizationDepartment => "市委组织部",
            Self::CommerceBureau => "市商务局",
            Self::PlanningResourcesBureau => "市规划资源局",
            Self::ConstructionCommission => "市建委",
            Self::DataBureau => "市数据局",
        }
    }
}

/// A login name: 3–32 characters of ASCII letters, digits, `_`, `.` and `-`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(input: &str, errors: &mut FieldErrors) -> Self {
        let name = input.trim();
        let valid_chars = name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if !(3..=32).contains(&name.chars().count()) || !valid_chars {
            errors.add(
                "username",
                "用户名应为3至32位，只能包含英文字母、数字、下划线、点和连字符",
            );
        }
        Self(name.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_checked() {
        let mut errors = FieldErrors::new();
        Username::parse("zhang.san", &mut errors);
        assert!(errors.is_empty());

        Username::parse("张三", &mut errors);
        Username::parse("ab", &mut errors);
        assert_eq!(errors.iter().count(), 2);
    }

    #[test]
    fn the_seed_units_are_found_by_label() {
        assert_eq!(
            ResponsibleUnit::from_code("市委金融办"),
            Some(ResponsibleUnit::FinancialAffairsOffice)
        );
    }
}

/// A role together with what it is bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserRole {
    Admin,
    Reviewer(ResponsibleUnit),
    DistrictOfficer(crate::District),
    /// Bound to the institution with this id.
    InstitutionUser(i64),
    /// Bound to the 合同登记机构 (an institution) with this id.
    ContractRegistrar(i64),
}

impl UserRole {
    pub fn role(self) -> Role {
        match self {
            Self::Admin => Role::Admin,
            Self::Reviewer(_) => Role::Reviewer,
            Self::DistrictOfficer(_) => Role::DistrictOfficer,
            Self::InstitutionUser(_) => Role::InstitutionUser,
            Self::ContractRegistrar(_) => Role::ContractRegistrar,
        }
    }
}

/// A stored account (its password hash stays in the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: UserRole,
    /// Switched off by an admin: cannot log in, has no sessions.
    pub disabled: bool,
    /// 技术经理人 (technology manager, a broker who takes achievements to market, art. 20):
    /// flagged by an admin; the admin may assign them to matches, which they then help along.
    pub is_tech_manager: bool,
    /// 评审专家 (issue 16): flagged by an admin; the admin may assign them to applications at
    /// 专家评审, which they then score against the call's rubric.
    pub is_expert: bool,
    pub is_demo: bool,
    pub created_at: String,
}

/// What an admin may register an account as, beside its role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Designation {
    /// 技术经理人 (art. 20): assigned to matches, which they help along.
    TechManager,
    /// 评审专家: assigned to applications at 专家评审.
    Expert,
}

impl Coded for Designation {
    const ALL: &'static [Self] = &[Self::TechManager, Self::Expert];

    fn code(self) -> &'static str {
        match self {
            Self::TechManager => "tech_manager",
            Self::Expert => "expert",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::TechManager => "技术经理人",
            Self::Expert => "评审专家",
        }
    }
}

impl User {
    /// Whether the account carries a designation.
    pub fn has(&self, designation: Designation) -> bool {
        match designation {
            Designation::TechManager => self.is_tech_manager,
            Designation::Expert => self.is_expert,
        }
    }
}
