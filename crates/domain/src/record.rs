//! Achievements (科技成果) and demands (技术需求): their value types, validation and life cycle.

use chrono::NaiveDate;

use crate::validation::{line_problem, optional_line, required_line, required_text};
use crate::{Coded, FieldErrors, Money, PatentNumber};

/// Technology readiness level 1–9.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Trl(u8);

impl Trl {
    pub fn new(level: u8) -> Option<Self> {
        (1..=9).contains(&level).then_some(Self(level))
    }

    /// Parses `6`, `TRL6` or a stage name (实验室 → 3, 小试 → 5, 中试 → 7, 产业化 → 9).
    pub fn parse(input: &str) -> Option<Self> {
        let text = input.trim().to_uppercase();
        let text = text.strip_prefix("TRL").unwrap_or(&text).trim();
        if let Ok(level) = text.parse::<u8>() {
            return Self::new(level);
        }
        Stage::from_code(text).map(Stage::highest_level)
    }

    pub fn level(self) -> u8 {
        self.0
    }

    pub fn stage(self) -> Stage {
        match self.0 {
            1..=3 => Stage::Laboratory,
            4..=5 => Stage::Bench,
            6..=7 => Stage::Pilot,
            _ => Stage::Industrial,
        }
    }

    /// `TRL 6（中试）`
    pub fn label(self) -> String {
        format!("TRL {}（{}）", self.0, self.stage().label())
    }
}

/// The usual Chinese stages of maturity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    Laboratory,
    Bench,
    Pilot,
    Industrial,
}

impl Stage {
    fn highest_level(self) -> Trl {
        Trl(match self {
            Stage::Laboratory => 3,
            Stage::Bench => 5,
            Stage::Pilot => 7,
            Stage::Industrial => 9,
        })
    }
}

impl Coded for Stage {
    const ALL: &'static [Self] = &[Self::Laboratory, Self::Bench, Self::Pilot, Self::Industrial];

    fn code(self) -> &'static str {
        match self {
            Self::Laboratory => "laboratory",
            Self::Bench => "bench",
            Self::Pilot => "pilot",
            Self::Industrial => "industrial",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Laboratory => "实验室",
            Self::Bench => "小试",
            Self::Pilot => "中试",
            Self::Industrial => "产业化",
        }
    }
}

/// How an achievement changes hands; demands name the modes they would accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TransferMode {
    Assignment,
    Licence,
    EquityContribution,
    JointDevelopment,
    TechnicalService,
}

impl Coded for TransferMode {
    const ALL: &'static [Self] = &[
        Self::Assignment,
        Self::Licence,
        Self::EquityContribution,
        Self::JointDevelopment,
        Self::TechnicalService,
    ];

    fn code(self) -> &'static str {
        match self {
            Self::Assignment => "assignment",
            Self::Licence => "licence",
            Self::EquityContribution => "equity",
            Self::JointDevelopment => "joint-development",
            Self::TechnicalService => "technical-service",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Assignment => "转让",
            Self::Licence => "许可",
            Self::EquityContribution => "作价投资",
            Self::JointDevelopment => "合作开发",
            Self::TechnicalService => "技术服务",
        }
    }
}

/// Where an achievement comes from (art. 2: 高校院所、国防科工单位、重大创新平台 …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SourceFlag {
    UniversityInstitute,
    MedicalInstitution,
    DefenceIndustry,
    MajorPlatform,
    /// 赋权改革成果: a 职务科技成果 whose ownership or a long-term (≥ 10 years) right of use was
    /// given to its researchers (art. 18); counted by the 免申即享 pass of `a18-empowerment`.
    Empowered,
}

impl Coded for SourceFlag {
    const ALL: &'static [Self] = &[
        Self::UniversityInstitute,
        Self::MedicalInstitution,
        Self::DefenceIndustry,
        Self::MajorPlatform,
        Self::Empowered,
    ];

    fn code(self) -> &'static str {
        match self {
            Self::UniversityInstitute => "university-institute",
            Self::MedicalInstitution => "medical",
            Self::DefenceIndustry => "defence",
            Self::MajorPlatform => "major-platform",
            Self::Empowered => "empowered",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::UniversityInstitute => "高校院所",
            Self::MedicalInstitution => "医疗卫生机构",
            Self::DefenceIndustry => "国防科工",
            Self::MajorPlatform => "重大创新平台",
            Self::Empowered => "赋权改革成果",
        }
    }
}

/// A technical field of the list admins keep (seeded with the seed's fields).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TechnicalField {
    pub code: String,
    pub label: String,
}

impl TechnicalField {
    /// The fields the seed names, in its order.
    pub fn defaults() -> Vec<TechnicalField> {
        [
            ("biomedicine", "生物医药"),
            ("information-communication", "信息通信"),
            ("integrated-circuits", "集成电路"),
            ("intelligent-computing", "智能算力"),
            ("software", "软件和信息服务"),
            ("new-power", "新型电力"),
            ("high-end-equipment", "高端装备"),
            ("new-materials", "新材料"),
            ("new-energy", "新能源"),
            ("energy-saving", "节能环保"),
            ("modern-agriculture", "现代农业"),
            ("future-industries", "未来产业"),
            ("other", "其他"),
        ]
        .into_iter()
        .map(|(code, label)| TechnicalField {
            code: code.into(),
            label: label.into(),
        })
        .collect()
    }

    /// Finds a field by code or label.
    pub fn find<'a>(fields: &'a [TechnicalField], input: &str) -> Option<&'a TechnicalField> {
        let input = input.trim();
        fields
            .iter()
            .find(|field| field.code == input || field.label == input)
    }
}

/// A reference price: an exact amount, or 面议 (to be negotiated).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Price {
    Negotiable,
    Amount(Money),
}

impl Price {
    pub fn parse(input: &str) -> Result<Self, String> {
        match input.trim() {
            "" | "面议" => Ok(Price::Negotiable),
            text => Money::parse_yuan_or_wan(text)
                .map(Price::Amount)
                .map_err(|error| error.to_string()),
        }
    }

    pub fn label(self) -> String {
        match self {
            Price::Negotiable => "面议".into(),
            Price::Amount(money) => money.shown(),
        }
    }
}

/// An intellectual-property item of an achievement.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IpItem {
    Patent(PatentNumber),
    /// A software copyright registration number, e.g. 2021SR0123456.
    SoftwareCopyright(String),
    Other(String),
}

impl IpItem {
    /// Parses one item: a patent number, `软著:2021SR0123456`, or `其他:…`. Anything that looks like
    /// a patent number (starts with ZL, CN or a digit) must be a valid one.
    pub fn parse(input: &str) -> Result<Self, String> {
        let text = input.trim();
        // A registration number: the same rule with or without its prefix, so what
        // `written` gives back reads again.
        let registration = |number: &str| {
            number.len() >= 8
                && number.contains("SR")
                && number.chars().all(|c| c.is_ascii_alphanumeric())
        };
        for prefix in ["软著:", "软著：", "软件著作权:", "软件著作权："] {
            if let Some(rest) = text.strip_prefix(prefix) {
                let number = rest.trim().to_uppercase();
                return if registration(&number) {
                    Ok(IpItem::SoftwareCopyright(number))
                } else {
                    Err(format!(
                        "软件著作权登记号“{}”格式不正确（如 2021SR0123456）",
                        rest.trim()
                    ))
                };
            }
        }
        for prefix in ["其他:", "其他：", "其它:", "其它："] {
            if let Some(rest) = text.strip_prefix(prefix) {
                return Ok(IpItem::Other(rest.trim().to_string()));
            }
        }
        if registration(&text.to_uppercase()) {
            return Ok(IpItem::SoftwareCopyright(text.to_uppercase()));
        }
        PatentNumber::parse(text)
            .map(IpItem::Patent)
            .map_err(|error| error.to_string())
    }

    /// The form [`IpItem::parse`] reads back.
    pub fn written(&self) -> String {
        match self {
            IpItem::Patent(number) => number.to_string(),
            IpItem::SoftwareCopyright(number) => format!("软著:{number}"),
            IpItem::Other(text) => format!("其他:{text}"),
        }
    }
}

/// Where a record is in its life: draft → submitted → approved | returned → published → closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordStatus {
    Draft,
    Submitted,
    Returned,
    Approved,
    Published,
    Closed(CloseReason),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CloseReason {
    /// 成交: a deal was made.
    Deal,
    /// 撤回: the owner withdrew it.
    Withdrawn,
    /// 过期: its time ran out.
    Expired,
}

/// A step in a record's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Submit,
    Approve,
    Return,
    Publish,
    Close(CloseReason),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("当前状态为“{from}”，不能{action}")]
pub struct TransitionError {
    pub from: &'static str,
    pub action: &'static str,
}

impl RecordStatus {
    pub const CODES: &'static [&'static str] = &[
        "draft",
        "submitted",
        "returned",
        "approved",
        "published",
        "closed-deal",
        "closed-withdrawn",
        "closed-expired",
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Submitted => "submitted",
            Self::Returned => "returned",
            Self::Approved => "approved",
            Self::Published => "published",
            Self::Closed(CloseReason::Deal) => "closed-deal",
            Self::Closed(CloseReason::Withdrawn) => "closed-withdrawn",
            Self::Closed(CloseReason::Expired) => "closed-expired",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Some(match code {
            "draft" => Self::Draft,
            "submitted" => Self::Submitted,
            "returned" => Self::Returned,
            "approved" => Self::Approved,
            "published" => Self::Published,
            "closed-deal" => Self::Closed(CloseReason::Deal),
            "closed-withdrawn" => Self::Closed(CloseReason::Withdrawn),
            "closed-expired" => Self::Closed(CloseReason::Expired),
            _ => return None,
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Draft => "草稿",
            Self::Submitted => "待审核",
            Self::Returned => "已退回",
            Self::Approved => "审核通过",
            Self::Published => "已发布",
            Self::Closed(CloseReason::Deal) => "已成交",
            Self::Closed(CloseReason::Withdrawn) => "已撤回",
            Self::Closed(CloseReason::Expired) => "已过期",
        }
    }

    /// May the owner still edit the record?
    pub fn is_editable(self) -> bool {
        matches!(self, Self::Draft | Self::Returned)
    }

    /// Does the record belong in the next list issue?
    pub fn is_listed(self) -> bool {
        matches!(self, Self::Approved | Self::Published)
    }

    /// The status after `transition`, or why it is not allowed.
    pub fn apply(self, transition: Transition) -> Result<RecordStatus, TransitionError> {
        let next = match (self, transition) {
            (Self::Draft | Self::Returned, Transition::Submit) => Self::Submitted,
            (Self::Submitted, Transition::Approve) => Self::Approved,
            (Self::Submitted, Transition::Return) => Self::Returned,
            (Self::Approved | Self::Published, Transition::Publish) => Self::Published,
            (Self::Closed(_), Transition::Close(_)) => return Err(self.refuse(transition)),
            (_, Transition::Close(CloseReason::Withdrawn)) => Self::Closed(CloseReason::Withdrawn),
            (Self::Approved | Self::Published, Transition::Close(reason)) => Self::Closed(reason),
            _ => return Err(self.refuse(transition)),
        };
        Ok(next)
    }

    fn refuse(self, transition: Transition) -> TransitionError {
        TransitionError {
            from: self.label(),
            action: match transition {
                Transition::Submit => "提交审核",
                Transition::Approve => "审核通过",
                Transition::Return => "退回",
                Transition::Publish => "发布",
                Transition::Close(CloseReason::Deal) => "标记为成交",
                Transition::Close(CloseReason::Withdrawn) => "撤回",
                Transition::Close(CloseReason::Expired) => "标记为过期",
            },
        }
    }
}

/// Shows a phone number to the public with its middle hidden: `138****5678`, `025*****0000`.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.trim().chars().collect();
    if chars.len() <= 4 {
        return "*".repeat(chars.len());
    }
    let keep_end = if chars.len() >= 11 { 4 } else { 2 };
    let keep_start = 3.min(chars.len() - keep_end);
    let hidden = chars.len() - keep_start - keep_end;
    let mut masked: String = chars[..keep_start].iter().collect();
    masked.push_str(&"*".repeat(hidden));
    masked.extend(&chars[chars.len() - keep_end..]);
    masked
}

pub const MAX_TITLE_CHARS: usize = 100;
const MAX_SUMMARY_CHARS: usize = 5000;
const MAX_KEYWORDS: usize = 10;

/// Raw text of an achievement form, API body or spreadsheet row.
#[derive(Debug, Clone, Default)]
pub struct AchievementInput<'a> {
    pub title: &'a str,
    pub summary: &'a str,
    pub field: &'a str,
    /// Separated by commas, 、, ；or spaces.
    pub keywords: &'a str,
    pub trl: &'a str,
    /// One item per entry.
    pub ip_items: &'a [String],
    pub transfer_modes: &'a [String],
    pub price: &'a str,
    pub contact_name: &'a str,
    pub contact_phone: &'a str,
    pub source_flags: &'a [String],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AchievementDetails {
    pub title: String,
    pub summary: String,
    pub field: String,
    pub keywords: Vec<String>,
    pub trl: Trl,
    pub ip_items: Vec<IpItem>,
    pub transfer_modes: Vec<TransferMode>,
    pub price: Price,
    pub contact_name: String,
    pub contact_phone: String,
    pub source_flags: Vec<SourceFlag>,
}

/// Splits a keyword list written with any of the usual separators.
pub fn split_list(text: &str) -> Vec<String> {
    let mut items: Vec<String> = Vec::new();
    for item in text.split([',', '，', '、', ';', '；', '|', '\n']) {
        let item = item.trim();
        if !item.is_empty() && !items.iter().any(|known| known == item) {
            items.push(item.to_string());
        }
    }
    items
}

fn parse_keywords(errors: &mut FieldErrors, text: &str) -> Vec<String> {
    let keywords = split_list(text);
    if keywords.len() > MAX_KEYWORDS {
        errors.add(
            "keywords",
            format!("关键词最多{MAX_KEYWORDS}个（当前{}个）", keywords.len()),
        );
    }
    if keywords.iter().any(|k| k.chars().count() > 20) {
        errors.add("keywords", "每个关键词不超过20个字符");
    }
    if let Some(problem) = keywords.iter().find_map(|k| line_problem(k)) {
        errors.add("keywords", format!("关键词{problem}"));
    }
    keywords
}

fn parse_codes<T: Coded + Ord>(
    errors: &mut FieldErrors,
    field: &'static str,
    label: &str,
    items: &[String],
) -> Vec<T> {
    let mut values = Vec::new();
    for item in items.iter().flat_map(|item| split_list(item)) {
        match T::from_code(&item) {
            Some(value) if !values.contains(&value) => values.push(value),
            Some(_) => {}
            None => errors.add(field, format!("未知的{label}“{item}”")),
        }
    }
    values.sort();
    values
}

fn parse_phone(errors: &mut FieldErrors, text: &str, required: bool) -> String {
    let phone = optional_line(errors, "contact_phone", "联系电话", text, 30);
    if required && phone.is_empty() {
        errors.add("contact_phone", "请填写联系电话");
    } else if let Some(problem) = (!phone.is_empty())
        .then(|| crate::phone_problem(&phone))
        .flatten()
    {
        errors.add("contact_phone", problem);
    }
    phone
}

fn parse_field(errors: &mut FieldErrors, fields: &[TechnicalField], text: &str) -> String {
    match TechnicalField::find(fields, text) {
        Some(field) => field.code.clone(),
        None if text.trim().is_empty() => {
            errors.add("field", "请选择技术领域");
            String::new()
        }
        None => {
            let known: Vec<&str> = fields.iter().map(|f| f.label.as_str()).collect();
            errors.add(
                "field",
                format!(
                    "技术领域“{}”不在列表中（可选：{}）",
                    text.trim(),
                    known.join("、")
                ),
            );
            String::new()
        }
    }
}

impl AchievementDetails {
    pub fn parse(
        input: &AchievementInput<'_>,
        fields: &[TechnicalField],
    ) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let title = required_line(
            &mut errors,
            "title",
            "成果名称",
            input.title,
            MAX_TITLE_CHARS,
        );
        let summary = required_text(
            &mut errors,
            "summary",
            "成果简介",
            input.summary,
            MAX_SUMMARY_CHARS,
        );
        let field = parse_field(&mut errors, fields, input.field);
        let keywords = parse_keywords(&mut errors, input.keywords);
        let trl = Trl::parse(input.trl);
        if trl.is_none() {
            errors.add(
                "trl",
                "技术成熟度应为1至9级，或填写 实验室、小试、中试、产业化",
            );
        }
        let mut ip_items = Vec::new();
        for item in input.ip_items.iter().flat_map(|item| split_list(item)) {
            match IpItem::parse(&item) {
                Ok(parsed) if !ip_items.contains(&parsed) => ip_items.push(parsed),
                Ok(_) => {}
                Err(message) => errors.add("ip_items", message),
            }
        }
        let transfer_modes = parse_codes::<TransferMode>(
            &mut errors,
            "transfer_modes",
            "转化方式",
            input.transfer_modes,
        );
        if transfer_modes.is_empty() && errors.get("transfer_modes").is_none() {
            errors.add("transfer_modes", "请至少选择一种转化方式");
        }
        let price = Price::parse(input.price).unwrap_or_else(|message| {
            errors.add("price", format!("参考价格：{message}"));
            Price::Negotiable
        });
        let contact_name = required_line(
            &mut errors,
            "contact_name",
            "联系人",
            input.contact_name,
            50,
        );
        let contact_phone = parse_phone(&mut errors, input.contact_phone, true);
        let source_flags =
            parse_codes::<SourceFlag>(&mut errors, "source_flags", "成果来源", input.source_flags);
        match trl {
            Some(trl) if errors.is_empty() => Ok(Self {
                title,
                summary,
                field,
                keywords,
                trl,
                ip_items,
                transfer_modes,
                price,
                contact_name,
                contact_phone,
                source_flags,
            }),
            _ => Err(errors),
        }
    }
}

/// Raw text of a demand form, API body or spreadsheet row.
#[derive(Debug, Clone, Default)]
pub struct DemandInput<'a> {
    pub title: &'a str,
    pub description: &'a str,
    pub field: &'a str,
    pub keywords: &'a str,
    pub cooperation_modes: &'a [String],
    pub budget_min: &'a str,
    pub budget_max: &'a str,
    /// The least maturity wanted (期望成熟度): `6`, `TRL6`, a stage name, or empty for any.
    pub wanted_trl: &'a str,
    /// `YYYY-MM-DD`, or empty for no deadline.
    pub deadline: &'a str,
    pub contact_name: &'a str,
    pub contact_phone: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemandDetails {
    pub title: String,
    pub description: String,
    pub field: String,
    pub keywords: Vec<String>,
    pub cooperation_modes: Vec<TransferMode>,
    pub budget_min: Option<Money>,
    pub budget_max: Option<Money>,
    /// The least maturity the enterprise wants; matching weighs achievements against it.
    pub wanted_trl: Option<Trl>,
    pub deadline: Option<NaiveDate>,
    pub contact_name: String,
    pub contact_phone: String,
}

impl DemandDetails {
    /// `today` bounds the deadline: a new demand cannot already be over.
    pub fn parse(
        input: &DemandInput<'_>,
        fields: &[TechnicalField],
        today: NaiveDate,
    ) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let title = required_line(
            &mut errors,
            "title",
            "需求名称",
            input.title,
            MAX_TITLE_CHARS,
        );
        let description = required_text(
            &mut errors,
            "description",
            "需求描述",
            input.description,
            MAX_SUMMARY_CHARS,
        );
        let field = parse_field(&mut errors, fields, input.field);
        let keywords = parse_keywords(&mut errors, input.keywords);
        let cooperation_modes = parse_codes::<TransferMode>(
            &mut errors,
            "cooperation_modes",
            "合作方式",
            input.cooperation_modes,
        );
        if cooperation_modes.is_empty() && errors.get("cooperation_modes").is_none() {
            errors.add("cooperation_modes", "请至少选择一种合作方式");
        }
        let mut budget = |field: &'static str, label: &str, text: &str| -> Option<Money> {
            if text.trim().is_empty() {
                return None;
            }
            Money::parse_yuan_or_wan(text)
                .map_err(|error| errors.add(field, format!("{label}：{error}")))
                .ok()
        };
        let budget_min = budget("budget_min", "预算下限", input.budget_min);
        let budget_max = budget("budget_max", "预算上限", input.budget_max);
        if let (Some(min), Some(max)) = (budget_min, budget_max)
            && min > max
        {
            errors.add(
                "budget_max",
                format!("预算上限（{max} 元）不能低于预算下限（{min} 元）"),
            );
        }
        let wanted_trl = match input.wanted_trl.trim() {
            "" => None,
            text => {
                let parsed = Trl::parse(text);
                if parsed.is_none() {
                    errors.add(
                        "wanted_trl",
                        format!("期望成熟度“{text}”应为 1–9 的等级（如 6 或 TRL6）或 实验室/小试/中试/产业化"),
                    );
                }
                parsed
            }
        };
        let deadline = match input.deadline.trim() {
            "" => None,
            text => match NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .or_else(|_| NaiveDate::parse_from_str(text, "%Y/%m/%d"))
            {
                Ok(date) if date < today => {
                    errors.add("deadline", format!("截止日期 {date} 已过"));
                    None
                }
                Ok(date) => Some(date),
                Err(_) => {
                    errors.add("deadline", format!("截止日期“{text}”应写作 2026-12-31"));
                    None
                }
            },
        };
        let contact_name = required_line(
            &mut errors,
            "contact_name",
            "联系人",
            input.contact_name,
            50,
        );
        let contact_phone = parse_phone(&mut errors, input.contact_phone, true);
        errors.into_result(|| Self {
            title,
            description,
            field,
            keywords,
            cooperation_modes,
            budget_min,
            budget_max,
            wanted_trl,
            deadline,
            contact_name,
            contact_phone,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trl_levels_and_stages() {
        assert_eq!(
            Trl::parse("6").map(|t| t.label()),
            Some("TRL 6（中试）".into())
        );
        assert_eq!(
            Trl::parse("TRL3").map(|t| t.stage()),
            Some(Stage::Laboratory)
        );
        assert_eq!(Trl::parse("产业化").map(|t| t.level()), Some(9));
        assert_eq!(Trl::parse("10"), None);
        assert_eq!(Trl::parse("0"), None);
    }

    #[test]
    fn the_life_cycle_allows_only_its_steps() {
        use RecordStatus::*;
        let approved = Draft
            .apply(Transition::Submit)
            .and_then(|s| s.apply(Transition::Approve));
        assert_eq!(approved, Ok(Approved));
        assert_eq!(
            Submitted
                .apply(Transition::Return)
                .and_then(|s| s.apply(Transition::Submit)),
            Ok(Submitted)
        );
        assert_eq!(Approved.apply(Transition::Publish), Ok(Published));
        assert_eq!(
            Published.apply(Transition::Close(CloseReason::Deal)),
            Ok(Closed(CloseReason::Deal))
        );
        assert_eq!(
            Draft.apply(Transition::Close(CloseReason::Withdrawn)),
            Ok(Closed(CloseReason::Withdrawn))
        );
        let refused = Draft.apply(Transition::Approve).unwrap_err();
        assert_eq!(refused.to_string(), "当前状态为“草稿”，不能审核通过");
        assert!(Draft.apply(Transition::Close(CloseReason::Deal)).is_err());
        assert!(
            Closed(CloseReason::Deal)
                .apply(Transition::Close(CloseReason::Withdrawn))
                .is_err()
        );
        for code in RecordStatus::CODES {
            assert_eq!(RecordStatus::from_code(code).map(|s| s.code()), Some(*code));
        }
    }

    #[test]
    fn a_bare_software_copyright_number_follows_the_prefixed_rule() {
        // Found by bench/fuzz: "SR" alone was taken for a registration number, and its written
        // form ("软著:SR") was then refused.
        assert!(IpItem::parse("SR").is_err());
        assert!(IpItem::parse("sr1").is_err());
        let item = IpItem::parse("2021sr0123456").unwrap();
        assert_eq!(item, IpItem::SoftwareCopyright("2021SR0123456".into()));
        assert_eq!(IpItem::parse(&item.written()), Ok(item));
    }

    #[test]
    fn phones_are_masked_for_the_public() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("025-52000000"), "025*****0000");
        assert_eq!(mask_phone("8888"), "****");
    }

    fn achievement<'a>(
        ip: &'a [String],
        modes: &'a [String],
        price: &'a str,
    ) -> AchievementInput<'a> {
        AchievementInput {
            title: "低温锂离子电池电解液",
            summary: "一种可在零下40度工作的电解液。",
            field: "新能源",
            keywords: "锂电池，电解液、低温",
            trl: "6",
            ip_items: ip,
            transfer_modes: modes,
            price,
            contact_name: "王老师",
            contact_phone: "025-83592000",
            source_flags: &[],
        }
    }

    #[test]
    fn an_achievement_parses_and_reports_every_bad_field() {
        let fields = TechnicalField::defaults();
        let ip = vec![
            "ZL202110123456.7；CN114081026A".to_string(),
            "软著:2021SR0123456".to_string(),
        ];
        let modes = vec!["转让、许可".to_string()];
        let parsed =
            AchievementDetails::parse(&achievement(&ip, &modes, "1,500,000"), &fields).unwrap();
        assert_eq!(parsed.field, "new-energy");
        assert_eq!(parsed.keywords, vec!["锂电池", "电解液", "低温"]);
        assert_eq!(parsed.ip_items.len(), 3);
        assert_eq!(parsed.price.label(), "1,500,000.00 元（150 万元）");
        assert_eq!(
            parsed.transfer_modes,
            vec![TransferMode::Assignment, TransferMode::Licence]
        );

        let bad_ip = vec!["ZL202110123456.8".to_string()];
        let errors =
            AchievementDetails::parse(&achievement(&bad_ip, &[], "-3"), &fields).unwrap_err();
        assert!(errors.get("ip_items").unwrap().contains("校验位"));
        assert!(errors.get("price").unwrap().contains("负数"));
        assert!(errors.get("transfer_modes").is_some());
    }

    #[test]
    fn a_field_not_chosen_is_asked_for_and_an_unknown_one_named_with_the_choices() {
        let fields = TechnicalField::defaults();
        let modes = vec!["转让".to_string()];
        let unchosen = AchievementInput {
            field: " ",
            ..achievement(&[], &modes, "1")
        };
        let errors = AchievementDetails::parse(&unchosen, &fields).unwrap_err();
        assert_eq!(errors.get("field"), Some("请选择技术领域"));
        let unknown = AchievementInput {
            field: "海洋工程",
            ..achievement(&[], &modes, "1")
        };
        let errors = AchievementDetails::parse(&unknown, &fields).unwrap_err();
        let message = errors.get("field").unwrap();
        assert!(
            message.contains("技术领域“海洋工程”不在列表中"),
            "{message}"
        );
        assert!(message.contains("新能源"), "{message}");
    }

    #[test]
    fn a_contact_phone_must_be_a_real_number() {
        let fields = TechnicalField::defaults();
        let modes = vec!["转让".to_string()];
        for bad in ["1234", "025-5288", "12345678901"] {
            let input = AchievementInput {
                contact_phone: bad,
                ..achievement(&[], &modes, "1")
            };
            let errors = AchievementDetails::parse(&input, &fields).unwrap_err();
            assert!(
                errors.get("contact_phone").unwrap().contains("11 位手机号"),
                "{bad}"
            );
        }
        for good in ["13905170000", "025-83592000", "0512-6543210转808"] {
            let input = AchievementInput {
                contact_phone: good,
                ..achievement(&[], &modes, "1")
            };
            assert!(AchievementDetails::parse(&input, &fields).is_ok(), "{good}");
        }
    }

    #[test]
    fn a_demand_checks_its_budget_and_deadline() {
        let fields = TechnicalField::defaults();
        let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let modes = vec!["合作开发".to_string()];
        let input = DemandInput {
            title: "冬季电动车续航提升",
            description: "希望提升低温下电池续航。",
            field: "new-energy",
            keywords: "续航",
            cooperation_modes: &modes,
            budget_min: "500000",
            budget_max: "300000",
            wanted_trl: "",
            deadline: "2026-01-01",
            contact_name: "李经理",
            contact_phone: "13800000000",
        };
        let errors = DemandDetails::parse(&input, &fields, today).unwrap_err();
        assert!(errors.get("budget_max").unwrap().contains("不能低于"));
        assert!(errors.get("deadline").unwrap().contains("已过"));
        let fixed = DemandInput {
            budget_max: "800000",
            wanted_trl: "",
            deadline: "2027-06-30",
            ..input
        };
        let demand = DemandDetails::parse(&fixed, &fields, today).unwrap();
        assert_eq!(
            demand.budget_max.map(|m| m.to_string()),
            Some("800000.00".into())
        );
    }
}

/// A stored achievement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Achievement {
    pub id: i64,
    /// The owning institution.
    pub institution_id: i64,
    pub status: RecordStatus,
    pub details: AchievementDetails,
    /// The reviewer's comment when the record was returned.
    pub review_comment: Option<String>,
    /// Marked by an admin: 优先推荐列入省重点研发项目 / 省1650产业体系协同攻关项目.
    pub priority: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// A stored demand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Demand {
    pub id: i64,
    /// The enterprise that needs the technology.
    pub institution_id: i64,
    pub status: RecordStatus,
    pub details: DemandDetails,
    pub review_comment: Option<String>,
    pub priority: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// Which of the two lists a record belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordKind {
    Achievement,
    Demand,
}

impl Coded for RecordKind {
    const ALL: &'static [Self] = &[Self::Achievement, Self::Demand];

    fn code(self) -> &'static str {
        match self {
            Self::Achievement => "achievement",
            Self::Demand => "demand",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Achievement => "科技成果",
            Self::Demand => "技术需求",
        }
    }
}

/// A list issue (两项清单的一期), e.g. "2026年第4期".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListIssue {
    pub id: i64,
    pub title: String,
    /// Published issues are frozen.
    pub published: bool,
    pub opened_at: String,
    pub published_at: Option<String>,
}

/// The type of an uploaded file, recognised by its first bytes (never by its name).
pub fn sniff_attachment(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    if bytes.starts_with(b"%PDF-") {
        Some(("application/pdf", "pdf"))
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(("image/png", "png"))
    } else if bytes.starts_with(b"\xFF\xD8\xFF") {
        Some(("image/jpeg", "jpg"))
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some(("image/gif", "gif"))
    } else if bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(("image/webp", "webp"))
    } else {
        None
    }
}
