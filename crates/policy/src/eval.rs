//! Evaluation of a measure: facts and a date in, eligibility, an exact amount (rounded down to
//! the fen) and, when asked, a trace of every step — which condition held, which branch
//! applied, which dated parameter value was used, which cap cut the amount — citing the article.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use crate::expr::{BinaryOp, Expr, UnaryOp};
use crate::model::{FactType, Measure, ParamValue, Parameter, ParameterGap};

/// A fact's value, as typed by the measure's declaration.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Money(Decimal),
    Number(Decimal),
    Date(NaiveDate),
    Bool(bool),
    Text(String),
    Tags(Vec<String>),
}

impl Value {
    fn shown(&self) -> String {
        match self {
            Value::Money(m) => format!("{} 元", crate::money_text(*m)),
            Value::Number(n) => n.normalize().to_string(),
            Value::Date(d) => d.to_string(),
            Value::Bool(true) => "是".into(),
            Value::Bool(false) => "否".into(),
            Value::Text(t) => t.clone(),
            Value::Tags(tags) => format!("[{}]", tags.join("、")),
        }
    }
}

/// An earlier grant, for caps across applications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Grant {
    pub beneficiary: String,
    pub measure: String,
    pub date: NaiveDate,
    #[serde(serialize_with = "amount_text", deserialize_with = "exact_amount")]
    pub amount: Decimal,
}

/// An amount written as a decimal string or an integer, never through a float.
fn exact_amount<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    struct Visitor;
    impl serde::de::Visitor<'_> for Visitor {
        type Value = Decimal;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("金额（字符串，如 \"100000.00\"，或整数）")
        }
        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Decimal, E> {
            let amount: Decimal = text
                .trim()
                .replace(',', "")
                .parse()
                .map_err(|_| E::custom(format!("“{text}”不是有效金额")))?;
            if amount.is_sign_negative() {
                return Err(E::custom(format!("金额不能为负数：{text}")));
            }
            Ok(amount)
        }
        fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Decimal, E> {
            if n < 0 {
                return Err(E::custom(format!("金额不能为负数：{n}")));
            }
            Ok(Decimal::from(n))
        }
        fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Decimal, E> {
            Ok(Decimal::from(n))
        }
        fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<Decimal, E> {
            Err(E::custom(format!(
                "金额 {n} 请写成字符串（如 \"{n}\"），以免经浮点数失去精度"
            )))
        }
    }
    deserializer.deserialize_any(Visitor)
}

/// Parses a JSON ledger: an array of `{"beneficiary", "measure", "date", "amount"}`, amounts
/// as decimal strings or JSON numbers (read from their text, never through arithmetic on a float).
pub fn parse_ledger(text: &str) -> Result<Vec<Grant>, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("不是有效的 JSON：{e}"))?;
    let serde_json::Value::Array(items) = value else {
        return Err("应为 JSON 数组".into());
    };
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let number = index + 1;
            let field = |key: &str| {
                item.get(key)
                    .ok_or_else(|| format!("第{number}条缺少 {key}"))
            };
            let text_of = |key: &str| -> Result<String, String> {
                field(key)?
                    .as_str()
                    .map(|s| s.trim().to_string())
                    .ok_or_else(|| format!("第{number}条的 {key} 应为文本"))
            };
            let date_text = text_of("date")?;
            let amount = match field("amount")? {
                serde_json::Value::String(s) => s.trim().replace(',', "").parse::<Decimal>().ok(),
                serde_json::Value::Number(n) => n.to_string().parse::<Decimal>().ok(),
                _ => None,
            }
            .ok_or_else(|| format!("第{number}条的 amount 不是有效金额"))?;
            if amount.is_sign_negative() {
                return Err(format!("第{number}条的 amount 不能为负数"));
            }
            Ok(Grant {
                beneficiary: text_of("beneficiary")?,
                measure: text_of("measure")?,
                date: NaiveDate::parse_from_str(&date_text, "%Y-%m-%d")
                    .map_err(|_| format!("第{number}条的 date“{date_text}”不是 YYYY-MM-DD"))?,
                amount,
            })
        })
        .collect()
}

/// The facts of one application.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub beneficiary: Option<String>,
    pub values: HashMap<String, Value>,
}

/// One step of the explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Step {
    pub step: String,
    pub formula: String,
    pub value: String,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub measure: String,
    pub eligible: bool,
    /// Yuan, two places.
    #[serde(serialize_with = "amount_text")]
    pub amount: Decimal,
    pub trace: Vec<Step>,
    pub reasons: Vec<String>,
    /// Parameters the bureau has not set yet (by implementing rules) that this needed.
    pub missing_parameters: Vec<String>,
}

fn amount_text<S: serde::Serializer>(amount: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format!("{:.2}", amount))
}

/// Why an evaluation could not be made at all (the caller's input is at fault).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    #[error("缺少事实“{0}”（{1}）")]
    MissingFact(String, String),
    #[error("事实“{name}”应为{expected}：{detail}")]
    IllTyped {
        name: String,
        expected: String,
        detail: String,
    },
    #[error("未知的事实“{0}”（本措施的事实：{1}）")]
    UnknownFact(String, String),
    #[error("本措施要核对此前的资助，事实中须写明受益单位 beneficiary")]
    MissingBeneficiary,
    #[error("参数“{0}”在 {1} 不在任何生效期内（早于首个生效日期或已过截止日期）")]
    OutsideWindows(String, NaiveDate),
    #[error("计算“{0}”时出错：{1}")]
    Arithmetic(String, String),
}

/// Parses JSON facts against the measure's declarations: money as a JSON number or a decimal
/// string, parsed exactly (never through a float); negative money refused.
pub fn parse_facts(
    measure: &Measure,
    json: &serde_json::Map<String, serde_json::Value>,
) -> Result<Facts, EvalError> {
    let mut facts = Facts::default();
    for (name, value) in json {
        if name == "beneficiary" {
            facts.beneficiary = Some(match value {
                serde_json::Value::String(s) if !s.trim().is_empty() => s.trim().to_string(),
                _ => {
                    return Err(EvalError::IllTyped {
                        name: name.clone(),
                        expected: "受益单位名称或统一社会信用代码".into(),
                        detail: value.to_string(),
                    });
                }
            });
            continue;
        }
        let Some(fact) = measure.fact(name) else {
            return Err(EvalError::UnknownFact(
                name.clone(),
                measure
                    .facts
                    .iter()
                    .map(|f| f.name.clone())
                    .collect::<Vec<_>>()
                    .join("、"),
            ));
        };
        let ill = |detail: String| EvalError::IllTyped {
            name: name.clone(),
            expected: fact.kind.label().to_string(),
            detail,
        };
        let number = || -> Result<Decimal, EvalError> {
            match value {
                // The number's own text, so 12345678.91 is never rounded through a float.
                serde_json::Value::Number(n) => n
                    .to_string()
                    .parse::<Decimal>()
                    .or_else(|_| Decimal::from_scientific(&n.to_string()))
                    .map_err(|_| ill(format!("{n} 不是有效的数"))),
                serde_json::Value::String(s) => s
                    .trim()
                    .replace(',', "")
                    .parse::<Decimal>()
                    .map_err(|_| ill(format!("“{s}”不是有效的数"))),
                other => Err(ill(format!("{other} 不是数"))),
            }
        };
        let typed = match &fact.kind {
            FactType::Money => {
                let amount = number()?;
                if amount.is_sign_negative() && !amount.is_zero() {
                    return Err(ill(format!("金额不能为负数：{amount}")));
                }
                if amount.scale() > 2 && amount.normalize().scale() > 2 {
                    return Err(ill(format!("金额最多两位小数：{amount}")));
                }
                Value::Money(amount)
            }
            FactType::Count => {
                let count = number()?;
                if count.is_sign_negative() || !count.fract().is_zero() {
                    return Err(ill(format!("数量应为非负整数：{count}")));
                }
                Value::Number(count)
            }
            FactType::Ratio => {
                let ratio = number()?;
                if !(Decimal::ZERO..=Decimal::ONE).contains(&ratio) {
                    return Err(ill(format!("比例应在 0 到 1 之间：{ratio}")));
                }
                Value::Number(ratio)
            }
            FactType::Number => Value::Number(number()?),
            FactType::Date => match value {
                serde_json::Value::String(s) => Value::Date(
                    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                        .map_err(|_| ill(format!("“{s}”不是 YYYY-MM-DD 日期")))?,
                ),
                other => return Err(ill(format!("{other} 不是日期"))),
            },
            FactType::Boolean => match value {
                serde_json::Value::Bool(b) => Value::Bool(*b),
                other => return Err(ill(format!("{other} 不是 true/false"))),
            },
            FactType::Enum(values) => match value {
                serde_json::Value::String(s) => {
                    // Codes, or a value the measure does not list: the latter is simply not
                    // one of the eligible options, which conditions decide.
                    let code = values
                        .iter()
                        .find(|(code, label)| *code == s || *label == s)
                        .map(|(code, _)| code.clone())
                        .unwrap_or_else(|| s.clone());
                    Value::Text(code)
                }
                other => return Err(ill(format!("{other} 不是文本"))),
            },
            FactType::Tags(_) => match value {
                serde_json::Value::Array(items) => Value::Tags(
                    items
                        .iter()
                        .map(|item| {
                            item.as_str()
                                .map(|s| s.trim().to_string())
                                .ok_or_else(|| ill(format!("{item} 不是文本")))
                        })
                        .collect::<Result<_, _>>()?,
                ),
                other => return Err(ill(format!("{other} 不是文本数组"))),
            },
        };
        facts.values.insert(name.clone(), typed);
    }
    for fact in &measure.facts {
        if !facts.values.contains_key(&fact.name) {
            return Err(EvalError::MissingFact(
                fact.name.clone(),
                format!("{}，{}", fact.label, fact.kind.label()),
            ));
        }
    }
    if measure.uses_ledger() && facts.beneficiary.is_none() {
        return Err(EvalError::MissingBeneficiary);
    }
    Ok(facts)
}

/// The evaluation stops here: a parameter the seed leaves open has no value yet.
struct ParameterNotSet(String);

enum Stop {
    NotSet(ParameterNotSet),
    Error(EvalError),
}

impl From<EvalError> for Stop {
    fn from(error: EvalError) -> Self {
        Stop::Error(error)
    }
}

/// A step of the explanation, recorded during evaluation and written out in Chinese only when
/// the explanation is read: (formula, value, source when not the measure's article).
type Deferred<'a> = Box<dyn FnOnce() -> (String, String, Option<String>) + 'a>;

/// The explanation of one evaluation, recorded but not yet written out.
pub struct Explanation<'a> {
    measure: &'a Measure,
    steps: Vec<(&'static str, Deferred<'a>)>,
}

impl Explanation<'_> {
    /// The steps in Chinese, each citing its source.
    pub fn render(self) -> Vec<Step> {
        let source = format!(
            "实施意见第{}条：{}",
            self.measure.article, self.measure.clause
        );
        self.steps
            .into_iter()
            .map(|(step, make)| {
                let (formula, value, own_source) = make();
                Step {
                    step: step.to_string(),
                    formula,
                    value,
                    source: own_source.unwrap_or_else(|| source.clone()),
                }
            })
            .collect()
    }

    pub fn len(&self) -> usize {
        self.steps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

struct Evaluator<'a> {
    measure: &'a Measure,
    facts: &'a Facts,
    on: NaiveDate,
    trace: Option<Vec<(&'static str, Deferred<'a>)>>,
}

impl<'a> Evaluator<'a> {
    /// Records a step when a trace is wanted; `make` runs only when the explanation is
    /// written out, so evaluating formats nothing.
    fn record(
        &mut self,
        step: &'static str,
        make: impl FnOnce() -> (String, String, Option<String>) + 'a,
    ) {
        if let Some(trace) = &mut self.trace {
            trace.push((step, Box::new(make)));
        }
    }

    fn parameter(&mut self, name: &str) -> Result<&'a ParamValue, Stop> {
        let measure = self.measure;
        let Some(param) = measure.param(name) else {
            return Err(Stop::Error(EvalError::Arithmetic(
                name.into(),
                "未知参数".into(),
            )));
        };
        match param.value_on(self.on) {
            Ok(dated) => {
                self.record("参数", move || {
                    let window = match dated.until {
                        Some(until) => format!("{} 至 {}", dated.from, until),
                        None => format!("自 {} 起", dated.from),
                    };
                    (
                        format!("{}（{}）", param.name, param.label),
                        dated.value.to_string(),
                        Some(format!("{}；{window}", dated.document)),
                    )
                });
                Ok(&dated.value)
            }
            Err(ParameterGap::NotSet) => Err(Stop::NotSet(ParameterNotSet(param.name.clone()))),
            Err(ParameterGap::OutsideWindows) => Err(Stop::Error(EvalError::OutsideWindows(
                param.name.clone(),
                self.on,
            ))),
        }
    }

    fn arithmetic(&self, expr: &Expr, message: &str) -> Stop {
        Stop::Error(EvalError::Arithmetic(expr_text(expr), message.to_string()))
    }

    fn eval(&mut self, expr: &'a Expr) -> Result<Value, Stop> {
        Ok(match expr {
            Expr::Number(n, _) => Value::Number(*n),
            Expr::Text(t, _) => Value::Text(t.clone()),
            Expr::Bool(b, _) => Value::Bool(*b),
            Expr::Name(name, _) => {
                if name == "on" {
                    Value::Date(self.on)
                } else if let Some(value) = self.facts.values.get(name) {
                    value.clone()
                } else {
                    match self.parameter(name)? {
                        ParamValue::Money(m) => Value::Money(*m),
                        ParamValue::Number(n) => Value::Number(*n),
                        // Scales and tables are only used through scale() and lookup().
                        _ => return Err(self.arithmetic(expr, "分档参数只能用于 scale 或 lookup")),
                    }
                }
            }
            Expr::Unary(UnaryOp::Negate, operand, _) => match self.eval(operand)? {
                Value::Money(m) => Value::Money(-m),
                Value::Number(n) => Value::Number(-n),
                _ => return Err(self.arithmetic(expr, "不能取负")),
            },
            Expr::Unary(UnaryOp::Not, operand, _) => match self.eval(operand)? {
                Value::Bool(b) => Value::Bool(!b),
                _ => return Err(self.arithmetic(expr, "not 需要真假值")),
            },
            Expr::If(condition, then, otherwise, _) => {
                let held = matches!(self.eval(condition)?, Value::Bool(true));
                self.record("分支", move || {
                    (
                        expr_text(condition),
                        if held {
                            "成立，适用 then 分支".into()
                        } else {
                            "不成立，适用 else 分支".into()
                        },
                        None,
                    )
                });
                if held {
                    self.eval(then)?
                } else {
                    self.eval(otherwise)?
                }
            }
            Expr::Binary(op, left, right, _) => {
                // and / or decide on the left when they can.
                if matches!(op, BinaryOp::And | BinaryOp::Or) {
                    let left = matches!(self.eval(left)?, Value::Bool(true));
                    return Ok(Value::Bool(match op {
                        BinaryOp::And => left && matches!(self.eval(right)?, Value::Bool(true)),
                        _ => left || matches!(self.eval(right)?, Value::Bool(true)),
                    }));
                }
                let (a, b) = (self.eval(left)?, self.eval(right)?);
                self.binary(*op, a, b, expr)?
            }
            Expr::Call(name, arguments, _) => self.call(name, arguments, expr)?,
        })
    }

    fn binary(&self, op: BinaryOp, a: Value, b: Value, expr: &Expr) -> Result<Value, Stop> {
        use BinaryOp::*;
        let overflow = || self.arithmetic(expr, "数值超出范围");
        let number = |v: &Value| match v {
            Value::Money(m) | Value::Number(m) => Some(*m),
            _ => None,
        };
        let is_money = |v: &Value| matches!(v, Value::Money(_));
        Ok(match op {
            Add | Subtract | Multiply | Divide => {
                let (Some(x), Some(y)) = (number(&a), number(&b)) else {
                    return Err(self.arithmetic(expr, "运算数应为数"));
                };
                let result = match op {
                    Add => x.checked_add(y),
                    Subtract => x.checked_sub(y),
                    Multiply => x.checked_mul(y),
                    _ => {
                        if y.is_zero() {
                            return Err(self.arithmetic(expr, "除数为零"));
                        }
                        x.checked_div(y)
                    }
                }
                .ok_or_else(overflow)?;
                let money = match op {
                    Divide => is_money(&a) && !is_money(&b),
                    _ => is_money(&a) || is_money(&b),
                };
                if money {
                    Value::Money(result)
                } else {
                    Value::Number(result)
                }
            }
            Less | LessOrEqual | Greater | GreaterOrEqual => {
                let ordering = match (&a, &b) {
                    (Value::Date(x), Value::Date(y)) => x.cmp(y),
                    _ => match (number(&a), number(&b)) {
                        (Some(x), Some(y)) => x.cmp(&y),
                        _ => return Err(self.arithmetic(expr, "无法比较")),
                    },
                };
                Value::Bool(match op {
                    Less => ordering.is_lt(),
                    LessOrEqual => ordering.is_le(),
                    Greater => ordering.is_gt(),
                    _ => ordering.is_ge(),
                })
            }
            Equal | NotEqual => {
                let same = match (number(&a), number(&b)) {
                    (Some(x), Some(y)) => x == y,
                    _ => a == b,
                };
                Value::Bool(if op == Equal { same } else { !same })
            }
            In => match (a, b) {
                (Value::Text(tag), Value::Tags(tags)) => Value::Bool(tags.contains(&tag)),
                _ => return Err(self.arithmetic(expr, "in 需要文本与标签集合")),
            },
            // Decided in `eval` before the operands are combined.
            And | Or => return Err(self.arithmetic(expr, "and/or 应先求左侧")),
        })
    }

    fn call(
        &mut self,
        name: &'a str,
        arguments: &'a [Expr],
        expr: &'a Expr,
    ) -> Result<Value, Stop> {
        match name {
            "min" | "max" => {
                let mut best: Option<Value> = None;
                for argument in arguments {
                    let value = self.eval(argument)?;
                    let (Value::Money(x) | Value::Number(x)) = value else {
                        return Err(self.arithmetic(expr, "min/max 需要数"));
                    };
                    let better = match &best {
                        None => true,
                        Some(Value::Money(y) | Value::Number(y)) => {
                            if name == "min" {
                                x < *y
                            } else {
                                x > *y
                            }
                        }
                        Some(_) => false,
                    };
                    if better {
                        best = Some(value);
                    }
                }
                best.ok_or_else(|| self.arithmetic(expr, "min/max 没有参数"))
            }
            "scale" => {
                let Expr::Name(param_name, _) = &arguments[0] else {
                    return Err(self.arithmetic(expr, "scale 的第一个参数应为参数名"));
                };
                let x = match self.eval(&arguments[1])? {
                    Value::Money(x) | Value::Number(x) => x,
                    _ => return Err(self.arithmetic(expr, "scale 需要数")),
                };
                let ParamValue::Scale(brackets) = self.parameter(param_name)?.clone() else {
                    return Err(self.arithmetic(expr, "不是分档标准"));
                };
                let found = brackets
                    .iter()
                    .enumerate()
                    .find(|(_, b)| x >= b.min && b.max.is_none_or(|max| x < max));
                let (index, amount) = match found {
                    Some((index, bracket)) => (Some(index + 1), bracket.amount),
                    None => (None, Decimal::ZERO),
                };
                self.record("分档", move || {
                    (
                        format!("{}({param_name}, {})", name, expr_text(&arguments[1])),
                        match index {
                            Some(i) => format!(
                                "{} 落在第{i}档，{} 元",
                                x.normalize(),
                                crate::money_text(amount)
                            ),
                            None => format!("{} 低于最低档，0.00 元", x.normalize()),
                        },
                        None,
                    )
                });
                Ok(Value::Money(amount))
            }
            "lookup" => {
                let Expr::Name(param_name, _) = &arguments[0] else {
                    return Err(self.arithmetic(expr, "lookup 的第一个参数应为参数名"));
                };
                let key = match self.eval(&arguments[1])? {
                    Value::Text(key) => key,
                    _ => return Err(self.arithmetic(expr, "lookup 需要选项")),
                };
                let ParamValue::Table(table) = self.parameter(param_name)?.clone() else {
                    return Err(self.arithmetic(expr, "不是分档表"));
                };
                let amount = table.get(&key).copied().unwrap_or(Decimal::ZERO);
                self.record("分档", move || {
                    (
                        format!("lookup({param_name}, {})", expr_text(&arguments[1])),
                        format!("“{key}”档：{} 元", crate::money_text(amount)),
                        None,
                    )
                });
                Ok(Value::Money(amount))
            }
            "years_between" | "days_between" => {
                let (Value::Date(a), Value::Date(b)) =
                    (self.eval(&arguments[0])?, self.eval(&arguments[1])?)
                else {
                    return Err(self.arithmetic(expr, "需要日期"));
                };
                if name == "days_between" {
                    return Ok(Value::Number(Decimal::from((b - a).num_days())));
                }
                // Whole years from a to b (an anniversary counts on its day).
                let mut years = i64::from(b.year() - a.year());
                if (b.month(), b.day()) < (a.month(), a.day()) {
                    years -= 1;
                }
                Ok(Value::Number(Decimal::from(years)))
            }
            "add_years" => {
                let (Value::Date(date), Value::Number(years)) =
                    (self.eval(&arguments[0])?, self.eval(&arguments[1])?)
                else {
                    return Err(self.arithmetic(expr, "需要日期和年数"));
                };
                let years: i32 = years
                    .trunc()
                    .try_into()
                    .map_err(|_| self.arithmetic(expr, "年数超出范围"))?;
                let shifted = date
                    .with_year(date.year() + years)
                    // 29 February moves to 28 February in a common year.
                    .or_else(|| NaiveDate::from_ymd_opt(date.year() + years, date.month(), 28))
                    .ok_or_else(|| self.arithmetic(expr, "日期超出范围"))?;
                Ok(Value::Date(shifted))
            }
            "date" => match &arguments[0] {
                Expr::Text(text, _) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
                    .map(Value::Date)
                    .map_err(|_| self.arithmetic(expr, "日期无效")),
                _ => Err(self.arithmetic(expr, "date 需要文本")),
            },
            _ => Err(self.arithmetic(expr, "未知函数")),
        }
    }

    fn money(&mut self, formula: &'a Expr) -> Result<Decimal, Stop> {
        match self.eval(formula)? {
            Value::Money(m) => Ok(m),
            Value::Number(n) => Ok(n),
            _ => Err(self.arithmetic(formula, "应得出金额")),
        }
    }
}

/// An expression as the policy file wrote it (for the trace), rebuilt from the tree with the
/// brackets its meaning needs: `(a + b) * c` is not `a + b * c`, and `a + (not b)` without its
/// brackets would not even parse.
pub fn expr_text(expr: &Expr) -> String {
    written(expr, 0)
}

/// How tightly an expression binds, loosest first, as the parser reads them.
fn binding(expr: &Expr) -> u8 {
    use BinaryOp::*;
    match expr {
        Expr::If(..) => 0,
        Expr::Binary(Or, ..) => 1,
        Expr::Binary(And, ..) => 2,
        Expr::Unary(UnaryOp::Not, ..) => 3,
        Expr::Binary(Less | LessOrEqual | Greater | GreaterOrEqual | Equal | NotEqual | In, ..) => {
            4
        }
        Expr::Binary(Add | Subtract, ..) => 5,
        Expr::Binary(Multiply | Divide, ..) => 6,
        Expr::Unary(UnaryOp::Negate, ..) => 7,
        _ => 8,
    }
}

/// `expr` written where its place needs at least `needed` (see `binding`), bracketed if it
/// binds less tightly.
fn written(expr: &Expr, needed: u8) -> String {
    let text = match expr {
        Expr::Number(n, _) => n.normalize().to_string(),
        Expr::Text(t, _) => format!("\"{t}\""),
        Expr::Bool(b, _) => b.to_string(),
        Expr::Name(n, _) => n.clone(),
        Expr::Unary(UnaryOp::Negate, a, _) => format!("-{}", written(a, 7)),
        Expr::Unary(UnaryOp::Not, a, _) => format!("not {}", written(a, 3)),
        Expr::Binary(op, a, b, _) => {
            let level = binding(expr);
            // Chains read from the left; a comparison takes sums on both sides.
            let (left, right) = if level == 4 {
                (5, 5)
            } else {
                (level, level + 1)
            };
            format!("{} {} {}", written(a, left), op.symbol(), written(b, right))
        }
        Expr::If(c, t, o, _) => format!(
            "if {} then {} else {}",
            written(c, 0),
            written(t, 0),
            written(o, 0)
        ),
        Expr::Call(f, args, _) => format!(
            "{f}({})",
            args.iter()
                .map(|a| written(a, 0))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    if binding(expr) < needed {
        format!("({text})")
    } else {
        text
    }
}

fn not_set_reason(measure: &Measure, param: &Parameter) -> String {
    let pending = if param.pending.is_empty() {
        "须由实施细则设定".to_string()
    } else {
        param.pending.clone()
    };
    format!(
        "第{}条{}尚未设定（参数 {}，{}）；请市科技局以补充文件设定后再计算",
        measure.article, param.label, param.name, pending
    )
}

/// Evaluates `measure` for `facts` on `on`, with `ledger` the earlier grants. `trace` asks for
/// the explanation (the amount is the same either way).
pub fn evaluate(
    measure: &Measure,
    facts: &Facts,
    on: NaiveDate,
    ledger: &[Grant],
    trace: bool,
) -> Result<Outcome, EvalError> {
    let (mut outcome, explanation) = evaluate_recording(measure, facts, on, ledger, trace)?;
    if let Some(explanation) = explanation {
        outcome.trace = explanation.render();
    }
    Ok(outcome)
}

/// Like `evaluate` with a trace, but the explanation is returned recorded, to be written out
/// (`Explanation::render`) only if someone reads it.
pub fn evaluate_explained<'a>(
    measure: &'a Measure,
    facts: &'a Facts,
    on: NaiveDate,
    ledger: &'a [Grant],
) -> Result<(Outcome, Explanation<'a>), EvalError> {
    let (outcome, explanation) = evaluate_recording(measure, facts, on, ledger, true)?;
    Ok((
        outcome,
        explanation.unwrap_or(Explanation {
            measure,
            steps: Vec::new(),
        }),
    ))
}

/// The outcome (without its trace) and, when recording, the explanation.
fn finish<'a>(evaluator: Evaluator<'a>, outcome: Outcome) -> (Outcome, Option<Explanation<'a>>) {
    let measure = evaluator.measure;
    (
        outcome,
        evaluator.trace.map(|steps| Explanation { measure, steps }),
    )
}

/// Not eligible: no money, and why (and which standards are missing, if that is why).
fn refused(measure: &Measure, reasons: Vec<String>, missing_parameters: Vec<String>) -> Outcome {
    Outcome {
        measure: measure.id.clone(),
        eligible: false,
        amount: Decimal::ZERO,
        trace: Vec::new(),
        reasons,
        missing_parameters,
    }
}

fn evaluate_recording<'a>(
    measure: &'a Measure,
    facts: &'a Facts,
    on: NaiveDate,
    ledger: &'a [Grant],
    trace: bool,
) -> Result<(Outcome, Option<Explanation<'a>>), EvalError> {
    let mut evaluator = Evaluator {
        measure,
        facts,
        on,
        // Room for a typical explanation, so recording does not grow the vector step by step.
        trace: trace.then(|| Vec::with_capacity(16)),
    };
    let mut reasons = Vec::new();
    let not_set = |evaluator: Evaluator<'a>, name: String, mut reasons: Vec<String>| {
        let param = measure.param(&name);
        if let Some(param) = param {
            reasons.push(not_set_reason(measure, param));
        }
        Ok(finish(evaluator, refused(measure, reasons, vec![name])))
    };
    evaluator.record("事实", move || {
        let mut shown: Vec<String> = measure
            .facts
            .iter()
            .filter_map(|f| {
                facts
                    .values
                    .get(&f.name)
                    .map(|v| format!("{}（{}）= {}", f.label, f.name, v.shown()))
            })
            .collect();
        if let Some(beneficiary) = &facts.beneficiary {
            shown.insert(0, format!("受益单位 = {beneficiary}"));
        }
        (
            format!("{} · {}", measure.id, measure.name),
            format!("{}；计算日期 {on}", shown.join("；")),
            None,
        )
    });
    for condition in &measure.conditions {
        let held = match evaluator.eval(&condition.when) {
            Ok(Value::Bool(held)) => held,
            Ok(_) => false,
            Err(Stop::NotSet(ParameterNotSet(name))) => return not_set(evaluator, name, reasons),
            Err(Stop::Error(error)) => return Err(error),
        };
        evaluator.record("条件", move || {
            (
                condition.text.clone(),
                if held {
                    "成立".into()
                } else {
                    format!("不成立：{}", condition.reason)
                },
                None,
            )
        });
        if !held {
            reasons.push(condition.reason.clone());
        }
    }
    let beneficiary = facts.beneficiary.as_deref().unwrap_or_default();
    let earlier: Vec<&Grant> = if measure.uses_ledger() {
        ledger
            .iter()
            .filter(|g| g.measure == measure.id && g.date <= on)
            .collect()
    } else {
        Vec::new()
    };
    if let Some(quota) = measure.quota {
        let mut supported: Vec<&str> = earlier.iter().map(|g| g.beneficiary.as_str()).collect();
        supported.sort_unstable();
        supported.dedup();
        let already = supported.contains(&beneficiary);
        let full = !already && supported.len() >= quota as usize;
        evaluator.record("名额", move || {
            (
                format!("已支持 {} 家，名额 {quota} 家", supported.len()),
                if full {
                    "名额已满".into()
                } else {
                    "有名额".into()
                },
                None,
            )
        });
        if full {
            reasons.push(format!(
                "第{}条{}名额（{quota}家）已满",
                measure.article,
                if measure.quota_label.is_empty() {
                    "支持"
                } else {
                    &measure.quota_label
                }
            ));
        }
    }
    if measure.once
        && let Some(grant) = earlier
            .iter()
            .copied()
            .find(|g| g.beneficiary == beneficiary)
    {
        evaluator.record("一次性", move || {
            (
                "每个受益单位限一次".into(),
                format!(
                    "已于 {} 获得 {} 元",
                    grant.date,
                    crate::money_text(grant.amount)
                ),
                None,
            )
        });
        reasons.push(format!(
            "该措施为一次性资助，{beneficiary} 已于 {} 获得",
            grant.date
        ));
    }
    if !reasons.is_empty() {
        return Ok(finish(evaluator, refused(measure, reasons, Vec::new())));
    }

    let mut amount = match evaluator.money(&measure.amount.expr) {
        Ok(amount) => amount,
        Err(Stop::NotSet(ParameterNotSet(name))) => return not_set(evaluator, name, reasons),
        Err(Stop::Error(error)) => return Err(error),
    };
    evaluator.record("计算", move || {
        (
            measure.amount.text.clone(),
            format!("{} 元", crate::money_text(amount)),
            None,
        )
    });
    if amount.is_sign_negative() {
        amount = Decimal::ZERO;
        evaluator.record("不为负", move || {
            ("max(金额, 0)".into(), "0.00 元".into(), None)
        });
    }
    if let Some(cap) = &measure.cap_application {
        let limit = match evaluator.money(&cap.expr) {
            Ok(limit) => limit,
            Err(Stop::NotSet(ParameterNotSet(name))) => return not_set(evaluator, name, reasons),
            Err(Stop::Error(error)) => return Err(error),
        };
        let capped = amount.min(limit);
        evaluator.record("单项上限", move || {
            (
                format!("min({} 元, {})", crate::money_text(amount), cap.text),
                if capped < amount {
                    format!("超过上限，取 {} 元", crate::money_text(capped))
                } else {
                    format!("未超过上限 {} 元", crate::money_text(limit))
                },
                None,
            )
        });
        amount = capped;
    }
    if let Some(cap) = &measure.cap_year {
        let limit = match evaluator.money(&cap.expr) {
            Ok(limit) => limit,
            Err(Stop::NotSet(ParameterNotSet(name))) => return not_set(evaluator, name, reasons),
            Err(Stop::Error(error)) => return Err(error),
        };
        let this_year: Decimal = earlier
            .iter()
            .filter(|g| g.beneficiary == beneficiary && g.date.year() == on.year())
            .map(|g| g.amount)
            .sum();
        let room = (limit - this_year).max(Decimal::ZERO);
        let capped = amount.min(room);
        evaluator.record("年度上限", move || {
            (
                format!(
                    "min({} 元, {} − 本年已获 {} 元)",
                    crate::money_text(amount),
                    cap.text,
                    crate::money_text(this_year)
                ),
                format!("{} 元", crate::money_text(capped)),
                None,
            )
        });
        amount = capped;
        if room.is_zero() {
            return Ok(finish(
                evaluator,
                refused(
                    measure,
                    vec![format!(
                        "{beneficiary} 本年度（{}年）已获本措施资助 {} 元，已达年度上限",
                        on.year(),
                        crate::money_text(this_year)
                    )],
                    Vec::new(),
                ),
            ));
        }
    }
    let rounded = amount.round_dp_with_strategy(2, RoundingStrategy::ToZero);
    if rounded != amount {
        evaluator.record("取整", move || {
            (
                "向下取整到分".into(),
                format!("{} 元", crate::money_text(rounded)),
                None,
            )
        });
    }
    evaluator.record("结果", move || {
        (
            measure.id.clone(),
            format!("{} 元", crate::money_text(rounded)),
            None,
        )
    });
    Ok(finish(
        evaluator,
        Outcome {
            measure: measure.id.clone(),
            eligible: true,
            amount: rounded,
            trace: Vec::new(),
            reasons: Vec::new(),
            missing_parameters: Vec::new(),
        },
    ))
}

/// Evaluates many applications at once, without traces, spread over the machine's cores:
/// each result is the amount (zero when not eligible) or the input's error, in input order.
pub fn evaluate_many(
    applications: &[(&Measure, &Facts, &[Grant])],
    on: NaiveDate,
) -> Vec<Result<Decimal, EvalError>> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(applications.len().max(1));
    let chunk = applications.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = applications
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(measure, facts, ledger)| {
                            evaluate_recording(measure, facts, on, ledger, false)
                                .map(|(outcome, _)| outcome.amount)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| handle.join().unwrap_or_default())
            .collect()
    })
}
