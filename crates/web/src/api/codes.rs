//! Request schemas that say what the server enforces (issue 20): a code field lists the codes
//! (and the Chinese labels, which the server also accepts) of its enumeration, taken from the
//! domain's own lists so that the document cannot drift from them; a filter also takes the
//! empty string (no filter); a confirmation must be `true`; a required text must hold a
//! non-space character. Used as `#[schema(schema_with = …)]` / `#[param(schema_with = …)]`.

use serde_json::Value;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use zijin_domain::Coded;

fn listed(what: &str, values: Vec<Value>, described: String) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .description(Some(format!("{what}：{described}")))
        .into()
}

/// The characters Rust's `str::trim` removes (Unicode White_Space), for patterns.
pub(crate) const SPACE: &str =
    r"[ \t\n\r\u000B\u000C\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*";

pub(crate) fn escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let special = "\\^$.|?*+()[]{}".contains(c);
            special
                .then_some('\\')
                .into_iter()
                .chain(std::iter::once(c))
        })
        .collect()
}

/// A code or a label, as `Coded::from_code` reads it: trimmed first (and, for a filter, empty
/// after trimming means no filter) — a pattern, because the server accepts a padded code.
fn coded<T: Coded>(what: &str, filter: bool) -> RefOr<Schema> {
    let words: Vec<String> = T::ALL
        .iter()
        .flat_map(|v| [escape(v.code()), escape(v.label())])
        .collect();
    let optional = if filter { "?" } else { "" };
    let pattern = format!("^{SPACE}({}){optional}{SPACE}$", words.join("|"));
    let described = T::ALL
        .iter()
        .map(|v| format!("`{}` {}", v.code(), v.label()))
        .collect::<Vec<_>>()
        .join("，");
    let tail = if filter {
        "（代码或中文名称均可；空字符串表示不筛选）"
    } else {
        "（代码或中文名称均可）"
    };
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
        .description(Some(format!("{what}：{described}{tail}")))
        .into()
}

/// A word from a fixed list (the decision words of the review forms, and the like).
fn words(what: &str, list: &[(&str, &str)]) -> RefOr<Schema> {
    listed(
        what,
        list.iter().map(|(code, _)| Value::from(*code)).collect(),
        list.iter()
            .map(|(code, label)| format!("`{code}` {label}"))
            .collect::<Vec<_>>()
            .join("，"),
    )
}

pub fn district_filter() -> RefOr<Schema> {
    coded::<zijin_domain::District>("区", true)
}
pub fn institution_type_filter() -> RefOr<Schema> {
    coded::<zijin_domain::InstitutionType>("机构类型", true)
}
pub fn institution_tag_filter() -> RefOr<Schema> {
    coded::<zijin_domain::InstitutionTag>("机构标签", true)
}
pub fn contract_status_filter() -> RefOr<Schema> {
    coded::<zijin_domain::ContractStatus>("合同状态", true)
}
pub fn contract_kind_filter() -> RefOr<Schema> {
    coded::<zijin_domain::ContractKind>("合同类型", true)
}
pub fn contract_field_filter() -> RefOr<Schema> {
    coded::<zijin_domain::ContractField>("技术领域", true)
}
pub fn match_stage_filter() -> RefOr<Schema> {
    coded::<zijin_domain::MatchStage>("对接阶段", true)
}
pub fn match_sort() -> RefOr<Schema> {
    coded::<zijin_domain::MatchSort>("排序方式", true)
}

/// An institution's tags: codes or labels, each once at most.
pub fn institution_tags() -> RefOr<Schema> {
    utoipa::openapi::schema::ArrayBuilder::new()
        // Empty entries are skipped, as a form's unticked boxes are.
        .items(coded::<zijin_domain::InstitutionTag>("机构标签", true))
        .description(Some("机构标签（资质），可多选"))
        .into()
}

pub fn role() -> RefOr<Schema> {
    coded::<zijin_domain::Role>("角色", false)
}
pub fn institution_type() -> RefOr<Schema> {
    coded::<zijin_domain::InstitutionType>("机构类型", false)
}
pub fn district() -> RefOr<Schema> {
    coded::<zijin_domain::District>("所在区", false)
}

/// A new password, by the policy of `zijin_domain::Password` — its format is `password`,
/// which tells a client (or a contract tester's generator) what may be sent; a pattern cannot
/// count distinct characters or hold the list of common passwords.
pub fn new_password() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(utoipa::openapi::schema::SchemaFormat::KnownFormat(
            utoipa::openapi::schema::KnownFormat::Password,
        )))
        .description(Some(
            "新密码：10 至 128 个字符，首尾不能是空格，不含控制字符，至少 4 种不同的字符；不能与用户名相同，不能是常见密码",
        ))
        .into()
}

/// The format of a unified social credit code.
pub const CREDIT_CODE_FORMAT: &str = "unified-social-credit-code";

/// A unified social credit code (GB 32100-2015): 18 characters of the digits and the capitals
/// but I, O, Z, S, V, the 18th a check character computed from the other 17 — a rule a pattern
/// cannot state, so the schema names it as a format (spaces around and lower case are read).
pub fn credit_code() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(utoipa::openapi::schema::SchemaFormat::Custom(
            CREDIT_CODE_FORMAT.into(),
        )))
        .description(Some(
            "统一社会信用代码（GB 32100-2015）：18 位，数字和除 I、O、Z、S、V 以外的大写字母，第 18 位为按前 17 位计算的校验码",
        ))
        .into()
}

pub fn match_action() -> RefOr<Schema> {
    words(
        "操作",
        &[
            ("interest", "有意向"),
            ("negotiate", "进入洽谈"),
            ("sign", "签约"),
            ("terminate", "终止（须写明原因并确认）"),
        ],
    )
}
pub fn recognition_decision() -> RefOr<Schema> {
    words("决定", &[("recognise", "认定"), ("refuse", "不予认定")])
}
pub fn product_decision() -> RefOr<Schema> {
    words("决定", &[("approve", "通过"), ("refuse", "不通过")])
}
pub fn registration_decision() -> RefOr<Schema> {
    words(
        "登记决定",
        &[
            ("register", "登记"),
            ("return", "退回修改"),
            ("refuse", "不予登记"),
        ],
    )
}
pub fn objection_ruling() -> RefOr<Schema> {
    words(
        "认定结果",
        &[("upheld", "异议成立"), ("dismissed", "异议不成立")],
    )
}

/// A confirmation of an act that cannot be undone: must be `true`.
pub fn confirmed() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::Boolean)
        .enum_values(Some([true]))
        .description(Some("须为 true：此操作不能撤销，请确认"))
        .into()
}

/// A message of a match's thread: written, at most 2,000 characters.
pub fn message_text() -> RefOr<Schema> {
    trimmed_schema(
        Kind::Lines,
        2_000,
        true,
        "留言内容：必填，最多 2000 字，不能含控制字符",
    )
}

pub fn application_decision() -> RefOr<Schema> {
    coded::<zijin_domain::Decision>("审核意见", false)
}
pub fn record_action() -> RefOr<Schema> {
    words(
        "操作",
        &[
            ("submit", "提交审核"),
            ("approve", "审核通过"),
            ("return", "退回修改（须写明意见）"),
            ("withdraw", "撤回（下架）"),
            ("deal", "已成交"),
        ],
    )
}

/// A telephone number as `zijin_domain::phone_problem` accepts it: a mobile number (11 digits
/// from 13–19) or a landline with its area code, a hyphen allowed, an extension after 转.
const PHONE: &str = "1[3-9][0-9]{9}|(0[0-9]{2,3}-[0-9]{7,8}|0[12][0-9][0-9]{7,8}|0[03-9][0-9]{2}[0-9]{7,8})(转[0-9]{1,6})?";

fn phone_schema(required: bool) -> RefOr<Schema> {
    let optional = if required { "" } else { "?" };
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(format!("^{SPACE}({PHONE}){optional}{SPACE}$")))
        .description(Some(format!(
            "联系电话：11 位手机号，或带区号的固定电话（如 025-83590000，分机写在“转”后）{}",
            if required { "" } else { "；可为空" }
        )))
        .into()
}
pub fn phone() -> RefOr<Schema> {
    phone_schema(true)
}
pub fn optional_phone() -> RefOr<Schema> {
    phone_schema(false)
}

/// An e-mail address as `zijin_domain::email_problem` accepts it (or empty: none).
pub fn optional_email() -> RefOr<Schema> {
    const LOCAL: &str = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]";
    // At most 63 + 1 + 3 × 43 + 61 = 254 characters once trimmed, as the server allows (a
    // `maxLength` would count the spaces the server trims).
    const LABEL: &str = "[A-Za-z0-9]([A-Za-z0-9-]{0,40}[A-Za-z0-9])?";
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(format!(
            r"^{SPACE}({LOCAL}(\.?{LOCAL}){{0,31}}@({LABEL}\.){{1,3}}[A-Za-z]{{2,61}})?{SPACE}$"
        )))
        .description(Some(
            "电子邮箱，如 zhangsan@example.com；空字符串表示不再接收邮件",
        ))
        .into()
}

/// A character `str::trim` keeps at either end.
pub(crate) const KEPT: &str =
    r"[^ \t\n\r\u000B\u000C\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]";

/// A text the server trims and then counts: `min` (at least 2) to `max` characters.
fn counted(min: u64, max: u64, described: &str) -> RefOr<Schema> {
    let (low, high) = (min.saturating_sub(2), max.saturating_sub(2));
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(format!(
            r"^{SPACE}{KEPT}[\s\S]{{{low},{high}}}{KEPT}{SPACE}$"
        )))
        .description(Some(described.to_string()))
        .into()
}

pub fn objector_name() -> RefOr<Schema> {
    counted(2, 20, "异议人的真实姓名，2 至 20 个字（匿名异议不予受理）")
}
pub fn objection_reason() -> RefOr<Schema> {
    counted(10, 2_000, "异议的事实和理由，10 至 2,000 个字")
}

/// A reason the server trims and then requires: a character `str::trim` keeps.
fn stated_text(max: Option<usize>, described: &str) -> RefOr<Schema> {
    match max {
        Some(max) => trimmed_schema(Kind::Any, max, true, described),
        None => ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(KEPT))
            .description(Some(described.to_string()))
            .into(),
    }
}
/// The reason of a contract's 注销 (at most 500 characters).
pub fn contract_reason() -> RefOr<Schema> {
    stated_text(Some(500), "理由：必填，最多 500 字")
}
/// The reason of a ruling on an objection.
pub fn ruling_reason() -> RefOr<Schema> {
    stated_text(None, "认定理由：必填")
}

/// An optional text of several lines (an institution's 简介): no control characters but line
/// breaks and tabs, no direction controls, at most 2,000 characters.
pub fn institution_description() -> RefOr<Schema> {
    trimmed_schema(
        Kind::Lines,
        2_000,
        false,
        "机构简介：最多 2,000 字，不能含控制字符",
    )
}

/// One optional line of text (an address, a contact's name): no control characters at all, no
/// direction controls, at most `max` characters once trimmed.
fn line(max: usize, described: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(format!(
            r"^{SPACE}([^\u0000-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]{{0,{max}}}){SPACE}$"
        )))
        .description(Some(described.to_string()))
        .into()
}
pub fn institution_address() -> RefOr<Schema> {
    line(200, "地址：一行，最多 200 字")
}
pub fn institution_contact() -> RefOr<Schema> {
    line(50, "联系人：一行，最多 50 字")
}

/// An institution's name as `validation::required_line` reads it.
pub fn institution_name() -> RefOr<Schema> {
    trimmed_schema(Kind::Line, 100, true, "机构名称：必填，一行，最多 100 字")
}

/// Characters `str::trim` removes, as a class body (for classes that also exclude them).
const TRIMMED: &str =
    r" \t\n\r\u000B\u000C\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";
/// Control characters but line breaks and tabs, and direction controls, as a class body.
const CONTROLS_BUT_BREAKS: &str = r"\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069";
/// Every control character and the direction controls, as a class body.
const CONTROLS: &str = r"\u0000-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069";
/// Characters with no width that do not count as written, as a class body.
const INVISIBLE: &str = r"\u00AD\u180E\u200B-\u200D\u2060\uFEFF";

/// How a trimmed text may be written inside and at its two ends.
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    /// Anything (the server only trims and counts).
    Any,
    /// Several lines: no control characters but line breaks and tabs, no direction controls,
    /// a visible character.
    Lines,
    /// One line: no control characters at all, no direction controls, a visible character.
    Line,
}

/// A pattern for a text the server trims and then counts (so a schema's `maxLength`, which
/// counts the spaces around, would refuse what the server accepts): at most `max` characters
/// once trimmed, none at all allowed when not `required`.
pub(crate) fn trimmed(kind: Kind, max: usize, required: bool) -> String {
    let (inner, end) = match kind {
        Kind::Any => (r"[\s\S]".to_string(), KEPT.to_string()),
        Kind::Lines => (
            format!("[^{CONTROLS_BUT_BREAKS}]"),
            format!("[^{TRIMMED}{CONTROLS}{INVISIBLE}]"),
        ),
        Kind::Line => (
            format!("[^{CONTROLS}]"),
            format!("[^{TRIMMED}{CONTROLS}{INVISIBLE}]"),
        ),
    };
    let body = format!("{end}({inner}{{0,{}}}{end})?", max.saturating_sub(2));
    if required {
        format!("^{SPACE}{body}{SPACE}$")
    } else {
        format!("^{SPACE}({body})?{SPACE}$")
    }
}

fn trimmed_schema(kind: Kind, max: usize, required: bool, described: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(trimmed(kind, max, required)))
        .description(Some(described.to_string()))
        .into()
}

/// A reviewer's comment on an application: at most 2,000 characters (required to return or
/// reject, see `openapi_rules`).
pub fn application_comment() -> RefOr<Schema> {
    trimmed_schema(
        Kind::Any,
        2_000,
        false,
        "审核意见：最多 2,000 字；退回修改或不予通过时必填",
    )
}
/// A reviewer's comment on a record: at most 1,000 characters (required to return).
pub fn record_comment() -> RefOr<Schema> {
    trimmed_schema(
        Kind::Any,
        1_000,
        false,
        "审核意见：最多 1,000 字；退回时必填",
    )
}

/// A payment's voucher number: 1–50 characters once trimmed.
pub fn voucher() -> RefOr<Schema> {
    trimmed_schema(Kind::Any, 50, true, "凭证号：必填，最多 50 字")
}

/// The reason a carrier's recognition is withdrawn (required; the server trims it).
pub fn withdrawal_reason() -> RefOr<Schema> {
    stated_text(None, "撤销认定的原因：必填")
}

/// Why an expert stands down (回避): required, at most 500 characters once trimmed.
pub fn conflict_reason() -> RefOr<Schema> {
    stated_text(Some(500), "回避原因：必填，最多 500 字")
}
