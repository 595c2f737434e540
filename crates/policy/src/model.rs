//! Policy files (TOML, one per article) and their compiled, checked form.
//!
//! A file names its article, quotes it, and lists measures. Each measure declares typed facts,
//! dated parameters, eligibility conditions with the reason shown when one fails, the amount
//! formula and its caps. Supplement files set dated values of parameters the seed leaves to
//! implementing rules. Every expression is parsed and type-checked when the set is compiled;
//! every problem names its file, line and column.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use chrono::NaiveDate;
use indexmap::IndexMap;
use rust_decimal::Decimal;
use serde::Deserialize;
use toml::Spanned;

use crate::expr::{self, Expr};
use crate::types::{self, Type};

/// One source text: its name (a path, for messages) and contents.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
}

/// A problem in a policy file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

/// Line and column (from 1, columns in characters) of a byte offset.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, column)
}

// ---- The file format, as written --------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ArticleFile {
    article: u32,
    heading: String,
    text: String,
    #[serde(default)]
    responsible_units: Vec<String>,
    #[serde(default)]
    quota: Vec<QuotaFile>,
    #[serde(default)]
    measure: Vec<MeasureFile>,
}

/// How many carriers of a kind the article supports (概念验证中心 10, 中试平台 20, …).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuotaFile {
    carrier: String,
    count: u32,
    clause: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MeasureFile {
    id: Spanned<String>,
    name: String,
    clause: String,
    #[serde(default)]
    responsible_units: Vec<String>,
    applicants: Vec<String>,
    #[serde(default)]
    facts: IndexMap<String, FactFile>,
    #[serde(default)]
    params: IndexMap<String, ParamFile>,
    #[serde(default)]
    conditions: Vec<ConditionFile>,
    amount: Spanned<String>,
    cap_application: Option<Spanned<String>>,
    cap_year: Option<Spanned<String>>,
    #[serde(default)]
    once: bool,
    quota: Option<u32>,
    quota_label: Option<String>,
    #[serde(default)]
    note: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FactFile {
    #[serde(rename = "type")]
    kind: Spanned<String>,
    label: String,
    #[serde(default)]
    values: IndexMap<String, String>,
    #[serde(default)]
    tags: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ParamFile {
    #[serde(rename = "type")]
    kind: Spanned<String>,
    label: String,
    /// For tables: the enum fact whose values key the table.
    key: Option<String>,
    #[serde(default)]
    values: Vec<Spanned<DatedValueFile>>,
    /// Why no value is given yet (e.g. "由实施细则确定").
    #[serde(default)]
    pending: String,
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct DatedValueFile {
    from: String,
    until: Option<String>,
    value: toml::Value,
    #[serde(default)]
    document: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConditionFile {
    when: Spanned<String>,
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SupplementFile {
    document: String,
    #[serde(default)]
    set: Vec<Spanned<SupplementEntry>>,
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct SupplementEntry {
    measure: String,
    parameter: String,
    from: String,
    until: Option<String>,
    value: toml::Value,
}

// ---- The compiled form ------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
pub enum FactType {
    Money,
    Count,
    Ratio,
    Number,
    Date,
    Boolean,
    /// Allowed codes with their labels.
    Enum(IndexMap<String, String>),
    /// Allowed tags (empty: any).
    Tags(Vec<String>),
}

impl FactType {
    pub fn label(&self) -> &'static str {
        match self {
            FactType::Money => "金额（元）",
            FactType::Count => "数量",
            FactType::Ratio => "比例",
            FactType::Number => "数值",
            FactType::Date => "日期",
            FactType::Boolean => "是/否",
            FactType::Enum(_) => "选项",
            FactType::Tags(_) => "标签集合",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Fact {
    pub name: String,
    pub label: String,
    pub kind: FactType,
}

/// A bracket of a tiered scale: `min ≤ x < max` (no max: and above) pays `amount`.
#[derive(Debug, Clone, PartialEq)]
pub struct Bracket {
    pub min: Decimal,
    pub max: Option<Decimal>,
    pub amount: Decimal,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    Money(Decimal),
    Number(Decimal),
    Scale(Vec<Bracket>),
    Table(BTreeMap<String, Decimal>),
}

impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamValue::Money(m) => write!(f, "{} 元", crate::money_text(*m)),
            ParamValue::Number(n) => write!(f, "{}", n.normalize()),
            ParamValue::Scale(brackets) => {
                let parts: Vec<String> = brackets
                    .iter()
                    .map(|b| match b.max {
                        Some(max) => format!(
                            "[{}, {}) → {} 元",
                            b.min.normalize(),
                            max.normalize(),
                            crate::money_text(b.amount)
                        ),
                        None => format!(
                            "≥ {} → {} 元",
                            b.min.normalize(),
                            crate::money_text(b.amount)
                        ),
                    })
                    .collect();
                f.write_str(&parts.join("；"))
            }
            ParamValue::Table(rows) => {
                let parts: Vec<String> = rows
                    .iter()
                    .map(|(k, v)| format!("{k} → {} 元", crate::money_text(*v)))
                    .collect();
                f.write_str(&parts.join("；"))
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    Money,
    Ratio,
    Number,
    Count,
    Scale,
    Table,
}

/// A value in force from `from` until the next value's `from` (or its own `until`).
#[derive(Debug, Clone, PartialEq)]
pub struct DatedValue {
    pub from: NaiveDate,
    pub until: Option<NaiveDate>,
    pub value: ParamValue,
    /// The seed, or the implementing rules that set it.
    pub document: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    pub name: String,
    pub label: String,
    pub kind: ParamKind,
    /// For tables: the enum fact keying it.
    pub key: Option<String>,
    pub values: Vec<DatedValue>,
    pub pending: String,
    /// The seed gives no value: every value comes from implementing rules (supplements).
    pub left_to_rules: bool,
}

impl Parameter {
    /// The value in force on `date`.
    pub fn value_on(&self, date: NaiveDate) -> Result<&DatedValue, ParameterGap> {
        if self.values.is_empty() {
            return Err(ParameterGap::NotSet);
        }
        let current = self.values.iter().rev().find(|v| v.from <= date);
        match current {
            Some(value) if value.until.is_none_or(|until| date <= until) => Ok(value),
            // Before the implementing rules took effect the standard was simply not set yet.
            None if self.left_to_rules => Err(ParameterGap::NotSet),
            _ => Err(ParameterGap::OutsideWindows),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParameterGap {
    /// Declared, but no value has been set (left to implementing rules).
    NotSet,
    /// The date falls before the first value or after the last one ends.
    OutsideWindows,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub when: Expr,
    pub text: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Formula {
    pub expr: Expr,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Measure {
    pub id: String,
    pub name: String,
    pub article: u32,
    pub clause: String,
    pub responsible_units: Vec<String>,
    pub applicants: Vec<String>,
    pub facts: Vec<Fact>,
    pub params: Vec<Parameter>,
    pub conditions: Vec<Condition>,
    pub amount: Formula,
    pub cap_application: Option<Formula>,
    pub cap_year: Option<Formula>,
    pub once: bool,
    pub quota: Option<u32>,
    pub quota_label: String,
    pub note: String,
    /// The file it came from.
    pub file: String,
}

impl Measure {
    pub fn fact(&self, name: &str) -> Option<&Fact> {
        self.facts.iter().find(|f| f.name == name)
    }

    pub fn param(&self, name: &str) -> Option<&Parameter> {
        self.params.iter().find(|p| p.name == name)
    }

    /// For a table parameter: the options of the fact that keys it.
    fn table_keys(&self, parameter: &str) -> Option<IndexMap<String, String>> {
        let key = self.param(parameter)?.key.as_deref()?;
        match &self.fact(key)?.kind {
            FactType::Enum(values) => Some(values.clone()),
            _ => None,
        }
    }

    /// Whether the measure looks at earlier grants (so the facts must name the beneficiary).
    pub fn uses_ledger(&self) -> bool {
        self.cap_year.is_some() || self.once || self.quota.is_some()
    }

    pub fn source(&self) -> String {
        format!("第{}条", self.article)
    }
}

/// An article as its file gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct Article {
    pub number: u32,
    pub heading: String,
    pub text: String,
    pub responsible_units: Vec<String>,
    /// Carriers the article supports in a fixed number, whether or not a measure pays them.
    pub quotas: Vec<Quota>,
    pub file: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quota {
    /// The carrier's name as the seed writes it (中试平台, 新研机构, …).
    pub carrier: String,
    pub count: u32,
    /// The words of the article that set it.
    pub clause: String,
}

/// Every article and measure, compiled and checked.
#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    pub articles: Vec<Article>,
    pub measures: Vec<Measure>,
    /// The texts it was compiled from, so a decision can keep the exact version it used and
    /// be evaluated again with it later.
    pub sources: PolicySources,
}

/// The article and supplement files a policy set is compiled from.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct PolicySources {
    pub articles: Vec<SourceFile>,
    pub supplements: Vec<SourceFile>,
}

impl PolicySources {
    /// Compiles them again (a stored version, for replaying a decision).
    pub fn compile(&self) -> Result<PolicySet, Vec<Diagnostic>> {
        PolicySet::compile(&self.articles, &self.supplements)
    }
}

impl PolicySet {
    pub fn measure(&self, id: &str) -> Option<&Measure> {
        self.measures.iter().find(|m| m.id == id)
    }

    /// Compiles article files and supplement files; returns every problem found.
    pub fn compile(
        articles: &[SourceFile],
        supplements: &[SourceFile],
    ) -> Result<PolicySet, Vec<Diagnostic>> {
        let mut problems = Vec::new();
        let mut set = PolicySet {
            sources: PolicySources {
                articles: articles.to_vec(),
                supplements: supplements.to_vec(),
            },
            ..PolicySet::default()
        };
        for file in articles {
            compile_article(file, &mut set, &mut problems);
        }
        let mut seen: HashMap<String, String> = HashMap::new();
        for measure in &set.measures {
            if let Some(first) = seen.insert(measure.id.clone(), measure.file.clone()) {
                problems.push(Diagnostic {
                    file: measure.file.clone(),
                    line: 1,
                    column: 1,
                    message: format!("措施编号“{}”重复（另见 {first}）", measure.id),
                });
            }
        }
        for file in supplements {
            apply_supplement(file, &mut set, &mut problems);
        }
        for measure in &mut set.measures {
            for param in &mut measure.params {
                param.values.sort_by_key(|v| v.from);
            }
        }
        set.articles.sort_by_key(|a| a.number);
        if problems.is_empty() {
            Ok(set)
        } else {
            Err(problems)
        }
    }
}

struct FileContext<'a> {
    file: &'a SourceFile,
    problems: &'a mut Vec<Diagnostic>,
}

impl FileContext<'_> {
    fn at(&mut self, offset: usize, message: impl Into<String>) {
        let (line, column) = position(&self.file.text, offset);
        self.problems.push(Diagnostic {
            file: self.file.name.clone(),
            line,
            column,
            message: message.into(),
        });
    }

    /// Where the content of a string value starts, after its opening quotes.
    fn content_start(&self, span_start: usize) -> usize {
        let rest = &self.file.text[span_start.min(self.file.text.len())..];
        if rest.starts_with("\"\"\"") || rest.starts_with("'''") {
            let after = span_start + 3;
            // A newline right after the opening quotes is not part of the string.
            if self.file.text[after..].starts_with('\n') {
                after + 1
            } else {
                after
            }
        } else if rest.starts_with('"') || rest.starts_with('\'') {
            span_start + 1
        } else {
            span_start
        }
    }

    fn parse_expr(&mut self, source: &Spanned<String>) -> Option<Expr> {
        match expr::parse(source.get_ref()) {
            Ok(expr) => Some(expr),
            Err(error) => {
                let start = self.content_start(source.span().start);
                self.at(
                    start + error.offset,
                    format!("表达式有误：{}", error.message),
                );
                None
            }
        }
    }
}

fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

/// A decimal from a TOML value: a string ("2000000", "10%", "1,000,000") or a number.
fn decimal_of(value: &toml::Value) -> Option<Decimal> {
    match value {
        toml::Value::Integer(i) => Some(Decimal::from(*i)),
        toml::Value::Float(_) => None,
        toml::Value::String(text) => {
            let text = text.trim().replace([',', '_'], "");
            match text.strip_suffix('%') {
                Some(percent) => percent
                    .trim()
                    .parse::<Decimal>()
                    .ok()
                    .map(|p| p / Decimal::ONE_HUNDRED),
                None => text.parse().ok(),
            }
        }
        _ => None,
    }
}

fn param_value(
    kind: ParamKind,
    value: &toml::Value,
    key_values: Option<&IndexMap<String, String>>,
) -> Result<ParamValue, String> {
    let money = |v: &toml::Value, what: &str| -> Result<Decimal, String> {
        let amount = decimal_of(v)
            .ok_or_else(|| format!("{what}应为金额（写成字符串，如 \"2000000\"；不接受浮点数）"))?;
        if amount.is_sign_negative() {
            return Err(format!("{what}不能为负数"));
        }
        Ok(amount)
    };
    match kind {
        ParamKind::Money => Ok(ParamValue::Money(money(value, "参数值")?)),
        ParamKind::Ratio | ParamKind::Number | ParamKind::Count => {
            let number = decimal_of(value)
                .ok_or_else(|| "参数值应为数值或百分比（如 \"10%\"）".to_string())?;
            if kind == ParamKind::Ratio && !(Decimal::ZERO..=Decimal::ONE).contains(&number) {
                return Err("比例应在 0% 到 100% 之间".into());
            }
            Ok(ParamValue::Number(number))
        }
        ParamKind::Scale => {
            let rows = value
                .as_array()
                .ok_or("分档标准应为数组：[{ min = \"0\", max = \"…\", amount = \"…\" }, …]")?;
            let mut brackets = Vec::new();
            for (index, row) in rows.iter().enumerate() {
                let number = index + 1;
                let table = row
                    .as_table()
                    .ok_or_else(|| format!("第{number}档应为 {{ min, max, amount }}"))?;
                for key in table.keys() {
                    if !matches!(key.as_str(), "min" | "max" | "amount") {
                        return Err(format!("第{number}档有未知的键“{key}”"));
                    }
                }
                let min = table
                    .get("min")
                    .and_then(decimal_of)
                    .ok_or_else(|| format!("第{number}档缺少下限 min"))?;
                let max = match table.get("max") {
                    Some(v) => {
                        Some(decimal_of(v).ok_or_else(|| format!("第{number}档的上限 max 无效"))?)
                    }
                    None => None,
                };
                let amount = money(
                    table
                        .get("amount")
                        .ok_or_else(|| format!("第{number}档缺少金额 amount"))?,
                    &format!("第{number}档金额"),
                )?;
                brackets.push(Bracket { min, max, amount });
            }
            check_brackets(&brackets)?;
            Ok(ParamValue::Scale(brackets))
        }
        ParamKind::Table => {
            let rows = value
                .as_table()
                .ok_or("分档表应为 { 选项 = \"金额\", … }")?;
            let mut table = BTreeMap::new();
            for (key, amount) in rows {
                if let Some(allowed) = key_values
                    && !allowed.contains_key(key)
                {
                    return Err(format!(
                        "分档表的键“{key}”不是可选项（{}）",
                        allowed.keys().cloned().collect::<Vec<_>>().join("、")
                    ));
                }
                table.insert(key.clone(), money(amount, &format!("“{key}”档金额"))?);
            }
            if let Some(allowed) = key_values {
                let missing: Vec<&String> =
                    allowed.keys().filter(|k| !table.contains_key(*k)).collect();
                if !missing.is_empty() {
                    return Err(format!(
                        "分档表缺少选项：{}",
                        missing
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join("、")
                    ));
                }
            }
            Ok(ParamValue::Table(table))
        }
    }
}

/// Brackets must start at zero, follow one another without gap or overlap, and only the last
/// may be open above.
pub fn check_brackets(brackets: &[Bracket]) -> Result<(), String> {
    let Some(first) = brackets.first() else {
        return Err("分档标准至少要有一档".into());
    };
    if !first.min.is_zero() {
        return Err(format!(
            "第1档应从 0 开始（现为 {}），否则低于它的数额无档可依",
            first.min.normalize()
        ));
    }
    for (index, pair) in brackets.windows(2).enumerate() {
        let (this, next) = (&pair[0], &pair[1]);
        let Some(max) = this.max else {
            return Err(format!("第{}档没有上限，其后不应再有档", index + 1));
        };
        if max < next.min {
            return Err(format!(
                "第{}档与第{}档之间有空档：[{}, {})",
                index + 1,
                index + 2,
                max.normalize(),
                next.min.normalize()
            ));
        }
        if max > next.min {
            return Err(format!(
                "第{}档与第{}档重叠：[{}, {})",
                index + 1,
                index + 2,
                next.min.normalize(),
                max.normalize()
            ));
        }
    }
    for (index, bracket) in brackets.iter().enumerate() {
        if bracket.max.is_some_and(|max| max <= bracket.min) {
            return Err(format!("第{}档的上限应大于下限", index + 1));
        }
    }
    Ok(())
}

fn param_kind(text: &str) -> Option<ParamKind> {
    Some(match text {
        "money" => ParamKind::Money,
        "ratio" => ParamKind::Ratio,
        "number" => ParamKind::Number,
        "count" => ParamKind::Count,
        "scale" => ParamKind::Scale,
        "table" => ParamKind::Table,
        _ => return None,
    })
}

fn compile_article(file: &SourceFile, set: &mut PolicySet, problems: &mut Vec<Diagnostic>) {
    let mut context = FileContext { file, problems };
    let mut parsed: ArticleFile = match toml::from_str(&file.text) {
        Ok(parsed) => parsed,
        Err(error) => {
            let offset = error.span().map(|s| s.start).unwrap_or(0);
            context.at(offset, format!("文件格式有误：{}", error.message()));
            return;
        }
    };
    for quota in &parsed.quota {
        if !parsed.text.contains(&quota.clause) {
            context.at(
                0,
                format!(
                    "名额“{}”引用的条文不在第{}条原文中",
                    quota.carrier, parsed.article
                ),
            );
        }
    }
    set.articles.push(Article {
        number: parsed.article,
        heading: parsed.heading.clone(),
        text: parsed.text.clone(),
        responsible_units: parsed.responsible_units.clone(),
        quotas: parsed
            .quota
            .iter()
            .map(|q| Quota {
                carrier: q.carrier.clone(),
                count: q.count,
                clause: q.clause.clone(),
            })
            .collect(),
        file: file.name.clone(),
    });
    let measures = std::mem::take(&mut parsed.measure);
    for measure in measures {
        if let Some(compiled) = compile_measure(measure, &parsed, &mut context) {
            set.measures.push(compiled);
        }
    }
}

fn compile_measure(
    measure: MeasureFile,
    article: &ArticleFile,
    context: &mut FileContext<'_>,
) -> Option<Measure> {
    let before = context.problems.len();
    let id = measure.id.get_ref().clone();
    let expected_prefix = format!("a{:02}-", article.article);
    if !id.starts_with(&expected_prefix) {
        context.at(
            measure.id.span().start,
            format!(
                "措施编号应以“{expected_prefix}”开头（本文件为第{}条）",
                article.article
            ),
        );
    }
    let mut facts = Vec::new();
    for (name, fact) in &measure.facts {
        let kind = match fact.kind.get_ref().as_str() {
            "money" => FactType::Money,
            "count" => FactType::Count,
            "ratio" => FactType::Ratio,
            "number" => FactType::Number,
            "date" => FactType::Date,
            "boolean" => FactType::Boolean,
            "enum" => {
                if fact.values.is_empty() {
                    context.at(
                        fact.kind.span().start,
                        format!("选项型事实“{name}”须列出 values"),
                    );
                }
                FactType::Enum(fact.values.clone())
            }
            "tags" => FactType::Tags(fact.tags.clone()),
            other => {
                context.at(
                    fact.kind.span().start,
                    format!(
                        "事实“{name}”的类型“{other}”未知（money、count、ratio、number、date、boolean、enum、tags）"
                    ),
                );
                continue;
            }
        };
        if name == "beneficiary" || name == "on" {
            context.at(fact.kind.span().start, format!("“{name}”是保留名称"));
        }
        facts.push(Fact {
            name: name.clone(),
            label: fact.label.clone(),
            kind,
        });
    }
    let mut params = Vec::new();
    for (name, param) in &measure.params {
        let Some(kind) = param_kind(param.kind.get_ref()) else {
            context.at(
                param.kind.span().start,
                format!(
                    "参数“{name}”的类型“{}”未知（money、ratio、number、count、scale、table）",
                    param.kind.get_ref()
                ),
            );
            continue;
        };
        if facts.iter().any(|f| &f.name == name) {
            context.at(param.kind.span().start, format!("参数“{name}”与事实同名"));
        }
        let key_values = match (kind, &param.key) {
            (ParamKind::Table, Some(key)) => match facts.iter().find(|f| &f.name == key) {
                Some(Fact {
                    kind: FactType::Enum(values),
                    ..
                }) => Some(values.clone()),
                _ => {
                    context.at(
                        param.kind.span().start,
                        format!("分档表“{name}”的 key 应为一个选项型事实，“{key}”不是"),
                    );
                    None
                }
            },
            (ParamKind::Table, None) => {
                context.at(
                    param.kind.span().start,
                    format!("分档表“{name}”须用 key 指明按哪个选项型事实分档"),
                );
                None
            }
            _ => None,
        };
        let mut values = Vec::new();
        for dated in &param.values {
            let offset = dated.span().start;
            let entry = dated.get_ref();
            let Some(from) = parse_date(&entry.from) else {
                context.at(
                    offset,
                    format!(
                        "参数“{name}”的生效日期“{}”无效（应为 YYYY-MM-DD）",
                        entry.from
                    ),
                );
                continue;
            };
            let until = match &entry.until {
                Some(text) => match parse_date(text) {
                    Some(date) => Some(date),
                    None => {
                        context.at(offset, format!("参数“{name}”的截止日期“{text}”无效"));
                        continue;
                    }
                },
                None => None,
            };
            match param_value(kind, &entry.value, key_values.as_ref()) {
                Ok(value) => values.push(DatedValue {
                    from,
                    until,
                    value,
                    document: if entry.document.is_empty() {
                        format!("实施意见第{}条", article.article)
                    } else {
                        entry.document.clone()
                    },
                }),
                Err(message) => context.at(offset, format!("参数“{name}”：{message}")),
            }
        }
        check_windows(
            name,
            &values,
            param.values.first().map(|v| v.span().start),
            context,
        );
        params.push(Parameter {
            name: name.clone(),
            label: param.label.clone(),
            kind,
            key: param.key.clone(),
            left_to_rules: param.values.is_empty(),
            values,
            pending: param.pending.clone(),
        });
    }

    let scope = types::Scope {
        facts: &facts,
        params: &params,
    };
    let typed =
        |source: &Spanned<String>, want: Type, what: &str, context: &mut FileContext<'_>| {
            let parsed = context.parse_expr(source)?;
            match types::check(&parsed, &scope) {
                Ok(found) if found == want => Some(parsed),
                // A plain number written where money is wanted ("0" for a compliance check).
                Ok(Type::Number) if want == Type::Money && matches!(parsed, Expr::Number(..)) => {
                    Some(parsed)
                }
                Ok(found) => {
                    let start = context.content_start(source.span().start);
                    context.at(
                        start,
                        format!("{what}应得出{}，此处得出{}", want.label(), found.label()),
                    );
                    None
                }
                Err(error) => {
                    let start = context.content_start(source.span().start);
                    context.at(start + error.span.start, error.message);
                    None
                }
            }
        };
    let mut conditions = Vec::new();
    for condition in &measure.conditions {
        if let Some(when) = typed(&condition.when, Type::Bool, "条件", context) {
            conditions.push(Condition {
                when,
                text: condition.when.get_ref().clone(),
                reason: condition.reason.clone(),
            });
        }
    }
    let amount = typed(&measure.amount, Type::Money, "金额公式", context).map(|expr| Formula {
        expr,
        text: measure.amount.get_ref().clone(),
    });
    let cap = |source: &Option<Spanned<String>>, what: &str, context: &mut FileContext<'_>| {
        source.as_ref().and_then(|source| {
            typed(source, Type::Money, what, context).map(|expr| Formula {
                expr,
                text: source.get_ref().clone(),
            })
        })
    };
    let cap_application = cap(&measure.cap_application, "单项上限", context);
    let cap_year = cap(&measure.cap_year, "年度上限", context);
    if context.problems.len() > before {
        return None;
    }
    Some(Measure {
        id,
        name: measure.name,
        article: article.article,
        clause: measure.clause,
        responsible_units: if measure.responsible_units.is_empty() {
            article.responsible_units.clone()
        } else {
            measure.responsible_units
        },
        applicants: measure.applicants,
        facts,
        params,
        conditions,
        amount: amount?,
        cap_application,
        cap_year,
        once: measure.once,
        quota: measure.quota,
        quota_label: measure.quota_label.unwrap_or_default(),
        note: measure.note,
        file: context.file.name.clone(),
    })
}

/// Dated values must not share a start date, and a value with an end must end before the next
/// begins.
fn check_windows(
    name: &str,
    values: &[DatedValue],
    offset: Option<usize>,
    context: &mut FileContext<'_>,
) {
    let mut sorted: Vec<&DatedValue> = values.iter().collect();
    sorted.sort_by_key(|v| v.from);
    for pair in sorted.windows(2) {
        if pair[0].from == pair[1].from {
            context.at(
                offset.unwrap_or(0),
                format!("参数“{name}”有两个值都自 {} 起生效", pair[0].from),
            );
        }
        if pair[0].until.is_some_and(|until| until >= pair[1].from) {
            context.at(
                offset.unwrap_or(0),
                format!("参数“{name}”自 {} 起的值与下一个值的期间重叠", pair[0].from),
            );
        }
    }
    for value in values {
        if value.until.is_some_and(|until| until < value.from) {
            context.at(
                offset.unwrap_or(0),
                format!("参数“{name}”自 {} 起的值截止日期早于生效日期", value.from),
            );
        }
    }
}

fn apply_supplement(file: &SourceFile, set: &mut PolicySet, problems: &mut Vec<Diagnostic>) {
    let mut context = FileContext { file, problems };
    let parsed: SupplementFile = match toml::from_str(&file.text) {
        Ok(parsed) => parsed,
        Err(error) => {
            let offset = error.span().map(|s| s.start).unwrap_or(0);
            context.at(offset, format!("文件格式有误：{}", error.message()));
            return;
        }
    };
    for entry in &parsed.set {
        let offset = entry.span().start;
        let entry = entry.get_ref();
        let Some(measure) = set.measures.iter_mut().find(|m| m.id == entry.measure) else {
            context.at(offset, format!("没有编号为“{}”的措施", entry.measure));
            continue;
        };
        let key_values = measure.table_keys(&entry.parameter);
        let Some(param) = measure
            .params
            .iter_mut()
            .find(|p| p.name == entry.parameter)
        else {
            context.at(
                offset,
                format!("措施“{}”没有参数“{}”", entry.measure, entry.parameter),
            );
            continue;
        };
        let Some(from) = parse_date(&entry.from) else {
            context.at(
                offset,
                format!("生效日期“{}”无效（应为 YYYY-MM-DD）", entry.from),
            );
            continue;
        };
        let until = match &entry.until {
            Some(text) => match parse_date(text) {
                Some(date) => Some(date),
                None => {
                    context.at(offset, format!("截止日期“{text}”无效"));
                    continue;
                }
            },
            None => None,
        };
        match param_value(param.kind, &entry.value, key_values.as_ref()) {
            Ok(value) => {
                param.values.push(DatedValue {
                    from,
                    until,
                    value,
                    document: parsed.document.clone(),
                });
                let values = param.values.clone();
                let name = param.name.clone();
                check_windows(&name, &values, Some(offset), &mut context);
            }
            Err(message) => context.at(offset, format!("参数“{}”：{message}", entry.parameter)),
        }
    }
}

impl Measure {
    /// The measure with one more dated value of a parameter: a test case's assumption or a
    /// what-if on the calculator page, never written back to the policy files.
    pub fn assuming(
        &self,
        parameter: &str,
        from: NaiveDate,
        value: &toml::Value,
        document: &str,
    ) -> Result<Measure, String> {
        let mut measure = self.clone();
        let key_values = measure.table_keys(parameter);
        let param = measure
            .params
            .iter_mut()
            .find(|p| p.name == parameter)
            .ok_or_else(|| format!("措施“{}”没有参数“{parameter}”", self.id))?;
        let value = param_value(param.kind, value, key_values.as_ref())
            .map_err(|message| format!("参数“{parameter}”：{message}"))?;
        param.values.retain(|v| v.from != from);
        param.values.push(DatedValue {
            from,
            until: None,
            value,
            document: document.to_string(),
        });
        param.values.sort_by_key(|v| v.from);
        Ok(measure)
    }
}
