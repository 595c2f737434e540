//! Technology contracts (技术合同) as the registry records them (arts. 2 and 3 of the seed rest
//! on them): the five contract types with their sub-types, the parties' nature codes and
//! administrative-division codes, the 11 statistical technology fields, the amounts
//! (成交额, 技术交易额 with each deduction), the registration number and the deadline.
//!
//! Names follow the national registry's forms (《技术合同认定登记管理办法》, 《技术合同认定规则》
//! and the registration statistics): a contract is registered once, by the seller side, at the
//! registry where the seller is located; oral contracts are not registered.

mod form;
mod number;
mod party;

pub use form::{ContractDetails, ContractInput, Deduction, Party, parse_date};
pub use number::{DEFAULT_NUMBER_SCHEME, NumberInputs, NumberScheme, RegistrationNumber};
pub use party::{PartyNature, Place, RegionCode};

use crate::Coded;

pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_PARTY_CHARS: usize = 100;
/// 技术交易额 from which a registration has 30 working days (expert review) instead of 15.
pub const EXPERT_REVIEW_FROM_YUAN: i64 = 5_000_000;
pub const DEADLINE_WORKING_DAYS: u32 = 15;
pub const DEADLINE_WITH_REVIEW_WORKING_DAYS: u32 = 30;

/// The five contract types of the Civil Code (arts. 843–887) with the registry's sub-types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContractType {
    DevelopmentCommissioned,
    DevelopmentCooperative,
    TransferPatent,
    TransferPatentApplication,
    TransferTechSecret,
    TransferSoftware,
    TransferIcLayout,
    TransferPlantVariety,
    TransferOther,
    License,
    Consulting,
    Service,
    Training,
    Intermediary,
}

/// The five kinds a contract type belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContractKind {
    Development,
    Transfer,
    License,
    Consulting,
    Service,
}

impl Coded for ContractKind {
    const ALL: &'static [Self] = &[
        Self::Development,
        Self::Transfer,
        Self::License,
        Self::Consulting,
        Self::Service,
    ];
    fn code(self) -> &'static str {
        match self {
            Self::Development => "development",
            Self::Transfer => "transfer",
            Self::License => "license",
            Self::Consulting => "consulting",
            Self::Service => "service",
        }
    }
    fn label(self) -> &'static str {
        match self {
            Self::Development => "技术开发",
            Self::Transfer => "技术转让",
            Self::License => "技术许可",
            Self::Consulting => "技术咨询",
            Self::Service => "技术服务",
        }
    }
}

impl ContractType {
    pub fn kind(self) -> ContractKind {
        use ContractType::*;
        match self {
            DevelopmentCommissioned | DevelopmentCooperative => ContractKind::Development,
            TransferPatent
            | TransferPatentApplication
            | TransferTechSecret
            | TransferSoftware
            | TransferIcLayout
            | TransferPlantVariety
            | TransferOther => ContractKind::Transfer,
            License => ContractKind::License,
            Consulting => ContractKind::Consulting,
            Service | Training | Intermediary => ContractKind::Service,
        }
    }

    /// Reads a type as registry exports and people write it: `技术开发（委托）`,
    /// `技术开发(委托开发)`, `委托开发`, `技术转让（专利权）`, `专利权转让`, or a bare kind
    /// (`技术转让` → other transfer, `技术开发` → commissioned, `技术服务` → service).
    pub fn parse(input: &str) -> Option<Self> {
        if let Some(found) = Self::from_code(input) {
            return Some(found);
        }
        let text: String = input
            .trim()
            .chars()
            .filter(|c| {
                !c.is_whitespace() && !matches!(c, '(' | ')' | '（' | '）' | '-' | '—' | '·' | '/')
            })
            .collect();
        use ContractType::*;
        let found = match text.as_str() {
            "技术开发" | "开发" | "技术开发委托" | "技术开发委托开发" | "委托开发" => {
                DevelopmentCommissioned
            }
            "技术开发合作" | "技术开发合作开发" | "合作开发" => {
                DevelopmentCooperative
            }
            "技术转让专利权" | "专利权转让" | "专利转让" => TransferPatent,
            "技术转让专利申请权" | "专利申请权转让" => TransferPatentApplication,
            "技术转让技术秘密" | "技术秘密转让" => TransferTechSecret,
            "技术转让计算机软件著作权" | "计算机软件著作权转让" | "软件著作权转让" => {
                TransferSoftware
            }
            "技术转让集成电路布图设计"
            | "技术转让集成电路布图设计专有权"
            | "集成电路布图设计转让" => TransferIcLayout,
            "技术转让植物新品种" | "技术转让植物新品种权" | "植物新品种权转让" => {
                TransferPlantVariety
            }
            "技术转让" | "转让" | "技术转让其他" => TransferOther,
            "技术许可" | "许可" | "专利实施许可" | "技术转让专利实施许可" | "技术秘密使用许可" => {
                License
            }
            "技术咨询" | "咨询" => Consulting,
            "技术服务" | "服务" | "技术服务技术服务" => Service,
            "技术培训" | "技术服务技术培训" => Training,
            "技术中介" | "技术服务技术中介" => Intermediary,
            _ => return None,
        };
        Some(found)
    }
}

impl Coded for ContractType {
    const ALL: &'static [Self] = &[
        Self::DevelopmentCommissioned,
        Self::DevelopmentCooperative,
        Self::TransferPatent,
        Self::TransferPatentApplication,
        Self::TransferTechSecret,
        Self::TransferSoftware,
        Self::TransferIcLayout,
        Self::TransferPlantVariety,
        Self::TransferOther,
        Self::License,
        Self::Consulting,
        Self::Service,
        Self::Training,
        Self::Intermediary,
    ];
    fn code(self) -> &'static str {
        match self {
            Self::DevelopmentCommissioned => "development-commissioned",
            Self::DevelopmentCooperative => "development-cooperative",
            Self::TransferPatent => "transfer-patent",
            Self::TransferPatentApplication => "transfer-patent-application",
            Self::TransferTechSecret => "transfer-tech-secret",
            Self::TransferSoftware => "transfer-software",
            Self::TransferIcLayout => "transfer-ic-layout",
            Self::TransferPlantVariety => "transfer-plant-variety",
            Self::TransferOther => "transfer-other",
            Self::License => "license",
            Self::Consulting => "consulting",
            Self::Service => "service",
            Self::Training => "training",
            Self::Intermediary => "intermediary",
        }
    }
    fn label(self) -> &'static str {
        match self {
            Self::DevelopmentCommissioned => "技术开发（委托）",
            Self::DevelopmentCooperative => "技术开发（合作）",
            Self::TransferPatent => "技术转让（专利权）",
            Self::TransferPatentApplication => "技术转让（专利申请权）",
            Self::TransferTechSecret => "技术转让（技术秘密）",
            Self::TransferSoftware => "技术转让（计算机软件著作权）",
            Self::TransferIcLayout => "技术转让（集成电路布图设计专有权）",
            Self::TransferPlantVariety => "技术转让（植物新品种权）",
            Self::TransferOther => "技术转让（其他）",
            Self::License => "技术许可",
            Self::Consulting => "技术咨询",
            Self::Service => "技术服务",
            Self::Training => "技术服务（技术培训）",
            Self::Intermediary => "技术服务（技术中介）",
        }
    }
}

/// The 11 technology fields of the registration statistics (技术合同统计技术领域).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContractField {
    ElectronicInformation,
    AdvancedManufacturing,
    Aerospace,
    ModernTransport,
    Agriculture,
    Biomedicine,
    NewMaterials,
    NewEnergy,
    Environment,
    Nuclear,
    UrbanSocial,
}

impl Coded for ContractField {
    const ALL: &'static [Self] = &[
        Self::ElectronicInformation,
        Self::AdvancedManufacturing,
        Self::Aerospace,
        Self::ModernTransport,
        Self::Agriculture,
        Self::Biomedicine,
        Self::NewMaterials,
        Self::NewEnergy,
        Self::Environment,
        Self::Nuclear,
        Self::UrbanSocial,
    ];
    fn code(self) -> &'static str {
        match self {
            Self::ElectronicInformation => "electronic-information",
            Self::AdvancedManufacturing => "advanced-manufacturing",
            Self::Aerospace => "aerospace",
            Self::ModernTransport => "modern-transport",
            Self::Agriculture => "agriculture",
            Self::Biomedicine => "biomedicine",
            Self::NewMaterials => "new-materials",
            Self::NewEnergy => "new-energy",
            Self::Environment => "environment",
            Self::Nuclear => "nuclear",
            Self::UrbanSocial => "urban-social",
        }
    }
    fn label(self) -> &'static str {
        match self {
            Self::ElectronicInformation => "电子信息",
            Self::AdvancedManufacturing => "先进制造",
            Self::Aerospace => "航空航天",
            Self::ModernTransport => "现代交通",
            Self::Agriculture => "农业",
            Self::Biomedicine => "生物医药和医疗器械",
            Self::NewMaterials => "新材料及其应用",
            Self::NewEnergy => "新能源与高效节能",
            Self::Environment => "环境保护与资源综合利用",
            Self::Nuclear => "核应用",
            Self::UrbanSocial => "城市建设与社会发展",
        }
    }
}

/// 知识产权类型 of the registration form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IpType {
    Patent,
    PatentApplication,
    TechSecret,
    Software,
    IcLayout,
    PlantVariety,
    BiomedicineVariety,
    Other,
    None,
}

impl Coded for IpType {
    const ALL: &'static [Self] = &[
        Self::Patent,
        Self::PatentApplication,
        Self::TechSecret,
        Self::Software,
        Self::IcLayout,
        Self::PlantVariety,
        Self::BiomedicineVariety,
        Self::Other,
        Self::None,
    ];
    fn code(self) -> &'static str {
        match self {
            Self::Patent => "patent",
            Self::PatentApplication => "patent-application",
            Self::TechSecret => "tech-secret",
            Self::Software => "software",
            Self::IcLayout => "ic-layout",
            Self::PlantVariety => "plant-variety",
            Self::BiomedicineVariety => "biomedicine-variety",
            Self::Other => "other",
            Self::None => "none",
        }
    }
    fn label(self) -> &'static str {
        match self {
            Self::Patent => "专利",
            Self::PatentApplication => "专利申请",
            Self::TechSecret => "技术秘密",
            Self::Software => "计算机软件著作权",
            Self::IcLayout => "集成电路布图设计专有权",
            Self::PlantVariety => "植物新品种权",
            Self::BiomedicineVariety => "生物医药新品种",
            Self::Other => "其他知识产权",
            Self::None => "未涉及知识产权",
        }
    }
}

impl IpType {
    /// By code or label, also the short forms exports use (`软件著作权`, `无`, `专利权`).
    pub fn parse(input: &str) -> Option<Self> {
        Self::from_code(input).or_else(|| match input.trim() {
            "专利权" | "发明专利" | "实用新型专利" | "外观设计专利" => {
                Some(Self::Patent)
            }
            "专利申请权" => Some(Self::PatentApplication),
            "软件著作权" | "计算机软件" => Some(Self::Software),
            "集成电路布图设计" => Some(Self::IcLayout),
            "植物新品种" => Some(Self::PlantVariety),
            "其他" => Some(Self::Other),
            "无" | "未涉及" | "不涉及" => Some(Self::None),
            _ => None,
        })
    }
}

/// Where a contract is in the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContractStatus {
    /// 待登记: submitted by the seller, waiting for the registrar.
    Submitted,
    /// 退回补正: returned for documents; the seller resubmits.
    Returned,
    /// 已登记.
    Registered,
    /// 未予登记, with a reason.
    Refused,
    /// 已注销.
    Cancelled,
}

impl Coded for ContractStatus {
    const ALL: &'static [Self] = &[
        Self::Submitted,
        Self::Returned,
        Self::Registered,
        Self::Refused,
        Self::Cancelled,
    ];
    fn code(self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::Returned => "returned",
            Self::Registered => "registered",
            Self::Refused => "refused",
            Self::Cancelled => "cancelled",
        }
    }
    fn label(self) -> &'static str {
        match self {
            Self::Submitted => "待登记",
            Self::Returned => "退回补正",
            Self::Registered => "已登记",
            Self::Refused => "未予登记",
            Self::Cancelled => "已注销",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CreditCode, District, Money};
    use chrono::NaiveDate;

    fn input() -> ContractInput {
        ContractInput {
            title: "高效钙钛矿电池制备技术开发".into(),
            contract_type: "技术开发（委托）".into(),
            signed_on: "2026/5/8".into(),
            seller_name: "南京某大学".into(),
            seller_credit_code: "12320000466007327U".into(),
            seller_nature: "022".into(),
            seller_region: "320102".into(),
            buyer_name: "南京某科技有限公司".into(),
            buyer_credit_code: "91320115MA1MXXXX0X".into(),
            buyer_nature: "有限责任公司".into(),
            buyer_region: "320115".into(),
            field: "新能源与高效节能".into(),
            ip_type: "专利".into(),
            total: "120万".into(),
            deductions: vec![("设备".into(), "200000".into())],
            ..ContractInput::default()
        }
    }

    fn valid_credit_code(seed: &str) -> String {
        CreditCode::complete(seed)
            .expect("17 characters")
            .as_str()
            .to_string()
    }

    fn valid_input() -> ContractInput {
        ContractInput {
            seller_credit_code: valid_credit_code("12320000466007327"),
            buyer_credit_code: valid_credit_code("91320115MA1MXXXX0"),
            ..input()
        }
    }

    #[test]
    fn technology_amount_is_the_total_minus_each_deduction() {
        let details = valid_input().validate().expect("valid");
        assert_eq!(details.total.fen(), 120_000_000);
        assert_eq!(details.technology.fen(), 100_000_000);
        assert_eq!(details.deductions.len(), 1);
        assert_eq!(details.contract_type.kind(), ContractKind::Development);
        assert_eq!(details.buyer.nature, PartyNature::LIMITED_COMPANY);
        assert!(details.in_city());
        assert_eq!(details.seller.region.district(), Some(District::Xuanwu));
    }

    #[test]
    fn technology_amount_above_the_total_or_oral_contracts_are_refused() {
        let mut bad = valid_input();
        bad.deductions.clear();
        bad.technology = "1300000".into();
        bad.oral = true;
        let errors = bad.validate().expect_err("refused");
        assert!(
            errors
                .get("technology")
                .is_some_and(|m| m.contains("不能大于成交额"))
        );
        assert!(errors.get("oral").is_some_and(|m| m.contains("口头合同")));
    }

    #[test]
    fn each_field_names_its_problem() {
        let bad = ContractInput {
            contract_type: "技术入股".into(),
            seller_region: "3201".into(),
            buyer_nature: "abc".into(),
            field: "人工智能".into(),
            signed_on: "明天".into(),
            ..valid_input()
        };
        let errors = bad.validate().expect_err("refused");
        for field in [
            "contract_type",
            "seller_region",
            "buyer_nature",
            "field",
            "signed_on",
        ] {
            assert!(
                errors.get(field).is_some(),
                "{field} not reported: {errors}"
            );
        }
    }

    #[test]
    fn types_are_read_as_exports_write_them() {
        assert_eq!(
            ContractType::parse("技术转让（专利权）"),
            Some(ContractType::TransferPatent)
        );
        assert_eq!(
            ContractType::parse("技术转让(专利申请权)"),
            Some(ContractType::TransferPatentApplication)
        );
        assert_eq!(
            ContractType::parse("技术开发"),
            Some(ContractType::DevelopmentCommissioned)
        );
        assert_eq!(
            ContractType::parse("合作开发"),
            Some(ContractType::DevelopmentCooperative)
        );
        assert_eq!(
            ContractType::parse("技术服务（技术中介）"),
            Some(ContractType::Intermediary)
        );
        assert_eq!(ContractType::parse("license"), Some(ContractType::License));
        assert_eq!(ContractType::parse("技术入股"), None);
    }

    #[test]
    fn natures_and_places_have_labels() {
        assert_eq!(
            PartyNature::parse("022").map(|n| n.label()),
            Some("高等院校")
        );
        assert_eq!(
            PartyNature::parse("010").map(|n| n.code()),
            Some("010".to_string())
        );
        assert_eq!(
            PartyNature::parse("159").map(|n| n.label()),
            Some("其他内资企业")
        );
        assert!(PartyNature::parse("22").is_none());
        let gulou = RegionCode::parse("320107").expect("old 下关");
        assert_eq!(gulou.district(), Some(District::Gulou));
        assert_eq!(
            RegionCode::parse("320506").map(|r| r.label()),
            Some("江苏省其他市".into())
        );
        assert_eq!(
            RegionCode::parse("310115").map(|r| r.label()),
            Some("上海市".into())
        );
        assert!(RegionCode::parse("990000").is_none());
        for place in [
            Place::Jiangsu,
            Place::Province(44),
            Place::Nanjing(Some(District::Gaochun)),
            Place::Nanjing(None),
        ] {
            assert_eq!(Place::from_code(&place.code()), Some(place));
        }
    }

    #[test]
    fn deadline_is_thirty_working_days_from_five_million() {
        let mut details = valid_input().validate().expect("valid");
        assert_eq!(details.deadline_working_days(), 15);
        details.technology = Money::parse("5000000").expect("money");
        assert_eq!(details.deadline_working_days(), 30);
        details.technology = Money::parse("4999999.99").expect("money");
        assert_eq!(details.deadline_working_days(), 15);
    }

    #[test]
    fn numbers_follow_the_scheme_and_are_sixteen_digits() {
        let scheme = NumberScheme::default();
        let inputs = NumberInputs {
            year: 2026,
            region: RegionCode::parse("320102").expect("code"),
            registry: 7,
        };
        let prefix = scheme.prefix(inputs);
        assert_eq!(prefix, "2026320102");
        assert_eq!(
            scheme.number(&prefix, 1).map(|n| n.as_str().to_string()),
            Some("2026320102000001".into())
        );
        assert_eq!(scheme.number(&prefix, 1_000_000), None);
        let custom = NumberScheme::parse("{year}{region}{registry:2}{serial:4}").expect("valid");
        assert_eq!(custom.prefix(inputs), "202632010207");
        assert!(NumberScheme::parse("{year}{serial:6}").is_err_and(|e| e.contains("10位")));
        assert!(NumberScheme::parse("{year}{region}{serial:6}9").is_err());
        assert!(NumberScheme::parse("{year}{region}{color}{serial:6}").is_err());
        assert!(RegistrationNumber::parse("202632010200000").is_none());
        assert!(RegistrationNumber::parse("2026320102000001").is_some());
    }

    #[test]
    fn dates_are_read_as_people_write_them() {
        let may = NaiveDate::from_ymd_opt(2026, 5, 1);
        for text in [
            "2026-05-01",
            "2026/5/1",
            "2026年5月1日",
            "20260501",
            "2026-05-01 00:00:00",
        ] {
            assert_eq!(parse_date(text), may, "{text}");
        }
        assert_eq!(parse_date("2026-02-30"), None);
    }
}
