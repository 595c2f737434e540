//! Technology contracts (技术合同) as the registry records them (arts. 2 and 3 of the seed rest
//! on them): the five contract types with their sub-types, the parties' nature codes and
//! administrative-division codes, the 11 statistical technology fields, the amounts
//! (成交额, 技术交易额 with each deduction), the registration number and the deadline.
//!
//! Names follow the national registry's forms (《技术合同认定登记管理办法》, 《技术合同认定规则》
//! and the registration statistics): a contract is registered once, by the seller side, at the
//! registry where the seller is located; oral contracts are not registered.

use chrono::{Datelike, NaiveDate};

use crate::validation::{optional_line, required_line};
use crate::{Coded, CreditCode, District, FieldErrors, Money, WorkCalendar};

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

/// 买卖方性质: the registry's three-digit code of a party's legal nature. Known codes have their
/// label; another three-digit code is kept as given and named by its group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartyNature(u16);

const NATURES: &[(u16, &str)] = &[
    (10, "机关法人"),
    (21, "科研机构"),
    (22, "高等院校"),
    (23, "医疗卫生机构"),
    (29, "其他事业法人"),
    (30, "社会团体法人"),
    (110, "国有企业"),
    (120, "集体企业"),
    (130, "股份合作企业"),
    (140, "联营企业"),
    (150, "有限责任公司"),
    (160, "股份有限公司"),
    (170, "私营企业"),
    (190, "其他内资企业"),
    (200, "港澳台商投资企业"),
    (300, "外商投资企业"),
    (400, "自然人"),
    (900, "其他"),
];

impl PartyNature {
    pub const GOVERNMENT: PartyNature = PartyNature(10);
    pub const RESEARCH_INSTITUTE: PartyNature = PartyNature(21);
    pub const UNIVERSITY: PartyNature = PartyNature(22);
    pub const LIMITED_COMPANY: PartyNature = PartyNature(150);
    pub const PRIVATE: PartyNature = PartyNature(170);

    /// Every nature with a label, in code order.
    pub fn known() -> impl Iterator<Item = PartyNature> {
        NATURES.iter().map(|(code, _)| PartyNature(*code))
    }

    /// A three-digit code (`022`), or a known label (`高等院校`).
    pub fn parse(input: &str) -> Option<Self> {
        let text = input.trim();
        if text.len() == 3 && text.bytes().all(|b| b.is_ascii_digit()) {
            return text.parse().ok().map(PartyNature);
        }
        NATURES
            .iter()
            .find(|(_, label)| *label == text)
            .map(|(code, _)| PartyNature(*code))
    }

    /// The three-digit code, as stored and exported.
    pub fn code(self) -> String {
        format!("{:03}", self.0)
    }

    pub fn label(self) -> &'static str {
        if let Some((_, label)) = NATURES.iter().find(|(code, _)| *code == self.0) {
            return label;
        }
        match self.0 {
            0..=99 => "其他法人组织",
            100..=199 => "其他内资企业",
            200..=299 => "港澳台商投资企业",
            300..=399 => "外商投资企业",
            _ => "其他",
        }
    }

    /// Universities and research institutes: the sellers the transfer ranking counts.
    pub fn is_university_or_institute(self) -> bool {
        matches!(self.0, 21 | 22)
    }
}

/// A six-digit administrative-division code (GB/T 2260), as the registry records a party's place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegionCode(u32);

/// Nanjing's districts by their codes; 320103 (白下) and 320107 (下关) were merged into 秦淮 and
/// 鼓楼 in 2013 and still appear on older contracts. 江北新区 is a functional area without a
/// code of its own (its ground lies in 浦口 and 六合).
const NANJING: &[(u32, District)] = &[
    (320102, District::Xuanwu),
    (320103, District::Qinhuai),
    (320104, District::Qinhuai),
    (320105, District::Jianye),
    (320106, District::Gulou),
    (320107, District::Gulou),
    (320111, District::Pukou),
    (320113, District::Qixia),
    (320114, District::Yuhuatai),
    (320115, District::Jiangning),
    (320116, District::Luhe),
    (320117, District::Lishui),
    (320118, District::Gaochun),
];

const PROVINCES: &[(u32, &str)] = &[
    (11, "北京市"),
    (12, "天津市"),
    (13, "河北省"),
    (14, "山西省"),
    (15, "内蒙古自治区"),
    (21, "辽宁省"),
    (22, "吉林省"),
    (23, "黑龙江省"),
    (31, "上海市"),
    (32, "江苏省"),
    (33, "浙江省"),
    (34, "安徽省"),
    (35, "福建省"),
    (36, "江西省"),
    (37, "山东省"),
    (41, "河南省"),
    (42, "湖北省"),
    (43, "湖南省"),
    (44, "广东省"),
    (45, "广西壮族自治区"),
    (46, "海南省"),
    (50, "重庆市"),
    (51, "四川省"),
    (52, "贵州省"),
    (53, "云南省"),
    (54, "西藏自治区"),
    (61, "陕西省"),
    (62, "甘肃省"),
    (63, "青海省"),
    (64, "宁夏回族自治区"),
    (65, "新疆维吾尔自治区"),
    (71, "台湾省"),
    (81, "香港特别行政区"),
    (82, "澳门特别行政区"),
];

/// Where a party is, as the statistics group places: a district of Nanjing, elsewhere in
/// Jiangsu, or a province.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Place {
    Nanjing(Option<District>),
    Jiangsu,
    Province(u32),
}

impl Place {
    /// A stable code for storage and aggregates: the district's code, `nanjing`, `jiangsu`,
    /// or `p11` for a province.
    pub fn code(self) -> String {
        match self {
            Place::Nanjing(Some(district)) => district.code().to_string(),
            Place::Nanjing(None) => "nanjing".into(),
            Place::Jiangsu => "jiangsu".into(),
            Place::Province(p) => format!("p{p:02}"),
        }
    }

    pub fn from_code(code: &str) -> Option<Place> {
        match code {
            "nanjing" => Some(Place::Nanjing(None)),
            "jiangsu" => Some(Place::Jiangsu),
            _ => {
                if let Some(p) = code.strip_prefix('p') {
                    let p: u32 = p.parse().ok()?;
                    PROVINCES
                        .iter()
                        .any(|(c, _)| *c == p)
                        .then_some(Place::Province(p))
                } else {
                    District::from_code(code).map(|d| Place::Nanjing(Some(d)))
                }
            }
        }
    }

    pub fn label(self) -> String {
        match self {
            Place::Nanjing(Some(district)) => district.label().to_string(),
            Place::Nanjing(None) => "南京市（区未详）".into(),
            Place::Jiangsu => "江苏省其他市".into(),
            Place::Province(p) => PROVINCES
                .iter()
                .find(|(c, _)| *c == p)
                .map(|(_, name)| name.to_string())
                .unwrap_or_else(|| "其他地区".into()),
        }
    }
}

impl RegionCode {
    /// Six digits naming a known province (the codes below a province are not checked: they
    /// change every year and the registry's export is the authority).
    pub fn parse(input: &str) -> Option<Self> {
        let text = input.trim();
        if text.len() != 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let value: u32 = text.parse().ok()?;
        PROVINCES
            .iter()
            .any(|(p, _)| *p == value / 10_000)
            .then_some(RegionCode(value))
    }

    /// The code of a Nanjing district (its first code), for forms that pick a district.
    pub fn of_district(district: District) -> Option<Self> {
        NANJING
            .iter()
            .find(|(_, d)| *d == district)
            .map(|(code, _)| RegionCode(*code))
    }

    pub fn code(self) -> String {
        format!("{:06}", self.0)
    }

    /// In Nanjing (3201xx): the city the platform serves.
    pub fn in_city(self) -> bool {
        self.0 / 100 == 3201
    }

    pub fn place(self) -> Place {
        if self.in_city() {
            Place::Nanjing(
                NANJING
                    .iter()
                    .find(|(code, _)| *code == self.0)
                    .map(|(_, d)| *d),
            )
        } else if self.0 / 10_000 == 32 {
            Place::Jiangsu
        } else {
            Place::Province(self.0 / 10_000)
        }
    }

    pub fn district(self) -> Option<District> {
        match self.place() {
            Place::Nanjing(district) => district,
            _ => None,
        }
    }

    pub fn label(self) -> String {
        self.place().label()
    }
}

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

/// A party of a contract as the form records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    pub name: String,
    pub credit_code: CreditCode,
    pub nature: PartyNature,
    pub region: RegionCode,
}

/// A non-technical cost deducted from 成交额 (equipment, materials, parts …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deduction {
    pub item: String,
    pub amount: Money,
}

/// The form of a contract, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractDetails {
    pub title: String,
    pub contract_type: ContractType,
    /// 以作价投资方式转化 (a transfer or licence paid in equity).
    pub equity_investment: bool,
    pub signed_on: NaiveDate,
    pub valid_until: Option<NaiveDate>,
    pub seller: Party,
    pub buyer: Party,
    pub field: ContractField,
    pub ip_type: IpType,
    /// 成交额: the whole contract.
    pub total: Money,
    /// 技术交易额: 成交额 minus the deductions.
    pub technology: Money,
    pub deductions: Vec<Deduction>,
    /// Buyer and seller are related parties (关联交易); such contracts earn no award.
    pub related_party: bool,
}

/// The raw form of a contract, as typed or imported.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContractInput {
    pub title: String,
    pub contract_type: String,
    pub equity_investment: bool,
    pub signed_on: String,
    pub valid_until: String,
    pub seller_name: String,
    pub seller_credit_code: String,
    pub seller_nature: String,
    pub seller_region: String,
    pub buyer_name: String,
    pub buyer_credit_code: String,
    pub buyer_nature: String,
    pub buyer_region: String,
    pub field: String,
    pub ip_type: String,
    pub total: String,
    /// 技术交易额 as given (imports); empty means 成交额 minus the deductions.
    pub technology: String,
    /// (item, amount) pairs; empty rows are ignored.
    pub deductions: Vec<(String, String)>,
    pub related_party: bool,
    /// 口头合同: refused, the registry only registers written contracts.
    pub oral: bool,
}

/// Reads a date as people and spreadsheets write it: 2026-05-01, 2026/5/1, 2026年5月1日,
/// 20260501.
pub fn parse_date(input: &str) -> Option<NaiveDate> {
    let text = input.trim();
    let text = text.split([' ', 'T']).next().unwrap_or("");
    let normalised: String = text
        .replace(['年', '月', '/', '.'], "-")
        .trim_end_matches('日')
        .to_string();
    if normalised.len() == 8 && normalised.bytes().all(|b| b.is_ascii_digit()) {
        return NaiveDate::parse_from_str(&normalised, "%Y%m%d").ok();
    }
    NaiveDate::parse_from_str(&normalised, "%Y-%m-%d").ok()
}

fn party(
    errors: &mut FieldErrors,
    side: &'static str,
    fields: [&'static str; 4],
    [name, code, nature, region]: [&str; 4],
) -> Option<Party> {
    let name = required_line(
        errors,
        fields[0],
        &format!("{side}名称"),
        name,
        MAX_PARTY_CHARS,
    );
    let credit_code = match CreditCode::parse(code) {
        Ok(c) => Some(c),
        Err(e) => {
            errors.add(fields[1], format!("{side}{e}"));
            None
        }
    };
    let nature_input = nature;
    let nature = PartyNature::parse(nature_input);
    if nature.is_none() {
        errors.add(
            fields[2],
            if nature_input.trim().is_empty() {
                format!("请填写{side}性质")
            } else {
                format!("{side}性质应为三位代码（如 022 高等院校、150 有限责任公司）或其名称")
            },
        );
    }
    let region_input = region.trim();
    let region = RegionCode::parse(region_input);
    if region.is_none() {
        let six_digits =
            region_input.len() == 6 && region_input.bytes().all(|b| b.is_ascii_digit());
        errors.add(
            fields[3],
            if region_input.is_empty() {
                format!("请填写{side}行政区划代码")
            } else if six_digits {
                format!("{side}行政区划代码“{region_input}”不存在：前两位应为省级代码（如 32 江苏、31 上海）")
            } else {
                format!("{side}行政区划应为六位行政区划代码（如 320102 玄武区）")
            },
        );
    }
    Some(Party {
        name,
        credit_code: credit_code?,
        nature: nature?,
        region: region?,
    })
}

impl ContractInput {
    /// Validates the form; every problem is reported at once, by field.
    pub fn validate(&self) -> Result<ContractDetails, FieldErrors> {
        let mut errors = FieldErrors::new();
        if self.oral {
            errors.add(
                "oral",
                "口头合同不予登记：技术合同应采用书面形式，请上传合同文本",
            );
        }
        let title = required_line(
            &mut errors,
            "title",
            "项目名称",
            &self.title,
            MAX_TITLE_CHARS,
        );
        let contract_type = ContractType::parse(&self.contract_type);
        if contract_type.is_none() {
            errors.add(
                "contract_type",
                if self.contract_type.trim().is_empty() {
                    "请选择合同类型".to_string()
                } else {
                    format!(
                        "合同类型“{}”无法识别，应为技术开发、技术转让、技术许可、技术咨询或技术服务（可注明子类，如 技术转让（专利权））",
                        self.contract_type.trim()
                    )
                },
            );
        }
        let signed_on = parse_date(&self.signed_on);
        if signed_on.is_none() {
            errors.add("signed_on", "签订日期应为日期，例如 2026-05-01");
        }
        let valid_until = if self.valid_until.trim().is_empty() {
            None
        } else {
            let date = parse_date(&self.valid_until);
            if date.is_none() {
                errors.add("valid_until", "有效期限应为日期，例如 2027-12-31");
            }
            date
        };
        if let (Some(from), Some(until)) = (signed_on, valid_until)
            && until < from
        {
            errors.add("valid_until", "有效期限不能早于签订日期");
        }
        let seller = party(
            &mut errors,
            "卖方",
            [
                "seller_name",
                "seller_credit_code",
                "seller_nature",
                "seller_region",
            ],
            [
                &self.seller_name,
                &self.seller_credit_code,
                &self.seller_nature,
                &self.seller_region,
            ],
        );
        let buyer = party(
            &mut errors,
            "买方",
            [
                "buyer_name",
                "buyer_credit_code",
                "buyer_nature",
                "buyer_region",
            ],
            [
                &self.buyer_name,
                &self.buyer_credit_code,
                &self.buyer_nature,
                &self.buyer_region,
            ],
        );
        if let (Some(s), Some(b)) = (&seller, &buyer)
            && s.credit_code == b.credit_code
        {
            errors.add("buyer_credit_code", "买方与卖方不能是同一单位");
        }
        let field = ContractField::from_code(&self.field);
        if field.is_none() {
            errors.add(
                "field",
                "技术领域应为统计口径的11个领域之一（如 电子信息、先进制造）",
            );
        }
        let ip_type = IpType::parse(&self.ip_type);
        if ip_type.is_none() {
            errors.add(
                "ip_type",
                "知识产权类型应为专利、专利申请、技术秘密、计算机软件著作权、集成电路布图设计专有权、植物新品种权、生物医药新品种、其他知识产权或未涉及知识产权",
            );
        }
        let total = money(&mut errors, "total", "成交额", &self.total);
        let mut deductions = Vec::new();
        let mut deducted = Money::ZERO;
        for (item, amount) in &self.deductions {
            if item.trim().is_empty() && amount.trim().is_empty() {
                continue;
            }
            let label = optional_line(&mut errors, "deductions", "核减项目", item, 50);
            if label.is_empty() {
                errors.add("deductions", "核减金额应写明项目（如 设备、材料、零部件）");
            }
            if let Some(value) = money(
                &mut errors,
                "deductions",
                &format!("核减项目“{label}”的金额"),
                amount,
            ) {
                deducted =
                    Money::from_fen(deducted.fen().saturating_add(value.fen())).unwrap_or(deducted);
                deductions.push(Deduction {
                    item: label,
                    amount: value,
                });
            }
        }
        let technology = if self.technology.trim().is_empty() {
            total.and_then(|t| {
                if deducted > t {
                    errors.add("deductions", "核减金额合计不能超过成交额");
                    None
                } else {
                    Money::from_fen(t.fen() - deducted.fen()).ok()
                }
            })
        } else {
            let value = money(&mut errors, "technology", "技术交易额", &self.technology);
            if let (Some(t), Some(v)) = (total, value) {
                if v > t {
                    errors.add("technology", "技术交易额不能大于成交额");
                } else if !deductions.is_empty() && t.fen() - deducted.fen() != v.fen() {
                    errors.add("technology", "技术交易额应等于成交额减去核减项目金额合计");
                }
            }
            value
        };
        if errors.is_empty()
            && let (Some(contract_type), Some(signed_on), Some(seller), Some(buyer)) =
                (contract_type, signed_on, seller, buyer)
            && let (Some(field), Some(ip_type), Some(total), Some(technology)) =
                (field, ip_type, total, technology)
        {
            return Ok(ContractDetails {
                title,
                contract_type,
                equity_investment: self.equity_investment
                    && matches!(
                        contract_type.kind(),
                        ContractKind::Transfer | ContractKind::License
                    ),
                signed_on,
                valid_until,
                seller,
                buyer,
                field,
                ip_type,
                total,
                technology,
                deductions,
                related_party: self.related_party,
            });
        }
        Err(errors)
    }
}

fn money(errors: &mut FieldErrors, field: &'static str, label: &str, input: &str) -> Option<Money> {
    if input.trim().is_empty() {
        errors.add(field, format!("请填写{label}"));
        return None;
    }
    match Money::parse_yuan_or_wan(input) {
        Ok(value) => Some(value),
        Err(e) => {
            errors.add(field, format!("{label}：{e}"));
            None
        }
    }
}

impl ContractDetails {
    /// Working days the registry has from acceptance: 30 when the contract needs expert review
    /// (技术交易额 ≥ 500万元), else 15.
    pub fn deadline_working_days(&self) -> u32 {
        if self.technology.fen() >= EXPERT_REVIEW_FROM_YUAN * 100 {
            DEADLINE_WITH_REVIEW_WORKING_DAYS
        } else {
            DEADLINE_WORKING_DAYS
        }
    }

    /// The last day to register a contract accepted on `accepted_on`.
    pub fn registration_due(
        &self,
        calendar: &WorkCalendar,
        accepted_on: NaiveDate,
    ) -> Result<NaiveDate, crate::CalendarError> {
        calendar.add_working_days(accepted_on, self.deadline_working_days())
    }

    /// The last day to register, counting Monday to Friday only: for a year whose official
    /// holidays the calendar does not hold yet (the page says the date is provisional).
    pub fn registration_due_by_weekdays(&self, accepted_on: NaiveDate) -> NaiveDate {
        let mut day = accepted_on;
        let mut left = self.deadline_working_days();
        while left > 0 {
            day = day.succ_opt().unwrap_or(day);
            if !matches!(day.weekday(), chrono::Weekday::Sat | chrono::Weekday::Sun) {
                left -= 1;
            }
        }
        day
    }

    /// The buyer is in the city (买方在南京): the 吸纳 counted as local conversion.
    pub fn in_city(&self) -> bool {
        self.buyer.region.in_city()
    }

    pub fn year(&self) -> i32 {
        self.signed_on.year()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
