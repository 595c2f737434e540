//! Where the parties of a contract are and what they are: 买卖方性质 and 行政区划代码.

use crate::{Coded, District};

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
