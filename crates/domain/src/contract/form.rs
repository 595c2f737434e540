//! The registration form: parties, amounts with their deductions, validation, the deadline.

use chrono::{Datelike, NaiveDate};

use super::{
    ContractField, ContractKind, ContractType, DEADLINE_WITH_REVIEW_WORKING_DAYS,
    DEADLINE_WORKING_DAYS, EXPERT_REVIEW_FROM_YUAN, IpType, MAX_PARTY_CHARS, MAX_TITLE_CHARS,
    PartyNature, RegionCode,
};
use crate::validation::{optional_line, required_line};
use crate::{Coded, CreditCode, FieldErrors, Money, WorkCalendar};

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
