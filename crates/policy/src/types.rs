//! Static types of expressions: money never mixes with plain numbers in a sum, conditions are
//! true or false, an option compared with a text must name one of its values.

use crate::expr::{BinaryOp, Expr, Span, UnaryOp};
use crate::model::{Fact, FactType, ParamKind, Parameter};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    Money,
    /// Counts, ratios and other plain numbers.
    Number,
    Date,
    Bool,
    /// A text; when it is an option fact's value, the fact's name.
    Text(Option<String>),
    Tags(Option<String>),
    Scale,
    Table(Option<String>),
}

impl Type {
    pub fn label(&self) -> &'static str {
        match self {
            Type::Money => "金额",
            Type::Number => "数值",
            Type::Date => "日期",
            Type::Bool => "真假值",
            Type::Text(_) => "文本",
            Type::Tags(_) => "标签集合",
            Type::Scale => "分档标准",
            Type::Table(_) => "分档表",
        }
    }

    fn same_kind(&self, other: &Type) -> bool {
        matches!(
            (self, other),
            (Type::Money, Type::Money)
                | (Type::Number, Type::Number)
                | (Type::Date, Type::Date)
                | (Type::Bool, Type::Bool)
                | (Type::Text(_), Type::Text(_))
        )
    }
}

/// What names mean inside one measure.
pub struct Scope<'a> {
    pub facts: &'a [Fact],
    pub params: &'a [Parameter],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeError {
    pub span: Span,
    pub message: String,
}

fn error<T>(span: Span, message: impl Into<String>) -> Result<T, TypeError> {
    Err(TypeError {
        span,
        message: message.into(),
    })
}

/// Names every expression may use besides the measure's facts and parameters.
pub const BUILTIN_NAMES: [&str; 1] = ["on"];

pub fn name_type(name: &str, scope: &Scope<'_>) -> Option<Type> {
    if name == "on" {
        return Some(Type::Date);
    }
    if let Some(fact) = scope.facts.iter().find(|f| f.name == name) {
        return Some(match &fact.kind {
            FactType::Money => Type::Money,
            FactType::Count | FactType::Ratio | FactType::Number => Type::Number,
            FactType::Date => Type::Date,
            FactType::Boolean => Type::Bool,
            FactType::Enum(_) => Type::Text(Some(fact.name.clone())),
            FactType::Tags(_) => Type::Tags(Some(fact.name.clone())),
        });
    }
    scope
        .params
        .iter()
        .find(|p| p.name == name)
        .map(|param| match param.kind {
            ParamKind::Money => Type::Money,
            ParamKind::Ratio | ParamKind::Number | ParamKind::Count => Type::Number,
            ParamKind::Scale => Type::Scale,
            ParamKind::Table => Type::Table(param.key.clone()),
        })
}

/// Checks a text literal against the option or tag fact it is compared with.
fn check_literal(literal: &Expr, against: &Type, scope: &Scope<'_>) -> Result<(), TypeError> {
    let Expr::Text(text, span) = literal else {
        return Ok(());
    };
    let fact_name = match against {
        Type::Text(Some(name)) | Type::Tags(Some(name)) => name,
        _ => return Ok(()),
    };
    let Some(fact) = scope.facts.iter().find(|f| &f.name == fact_name) else {
        return Ok(());
    };
    let allowed: Vec<String> = match &fact.kind {
        FactType::Enum(values) => values.keys().cloned().collect(),
        FactType::Tags(tags) if !tags.is_empty() => tags.clone(),
        _ => return Ok(()),
    };
    if allowed.iter().any(|a| a == text) {
        Ok(())
    } else {
        error(
            *span,
            format!(
                "“{text}”不是“{fact_name}”的可选值（{}）",
                allowed.join("、")
            ),
        )
    }
}

pub fn check(expr: &Expr, scope: &Scope<'_>) -> Result<Type, TypeError> {
    match expr {
        Expr::Number(_, _) => Ok(Type::Number),
        Expr::Text(_, _) => Ok(Type::Text(None)),
        Expr::Bool(_, _) => Ok(Type::Bool),
        Expr::Name(name, span) => name_type(name, scope).ok_or_else(|| TypeError {
            span: *span,
            message: format!("未知的事实或参数“{name}”"),
        }),
        Expr::Unary(UnaryOp::Negate, operand, span) => match check(operand, scope)? {
            found @ (Type::Money | Type::Number) => Ok(found),
            other => error(*span, format!("{}不能取负", other.label())),
        },
        Expr::Unary(UnaryOp::Not, operand, span) => match check(operand, scope)? {
            Type::Bool => Ok(Type::Bool),
            other => error(*span, format!("not 需要真假值，此处是{}", other.label())),
        },
        Expr::If(condition, then, otherwise, span) => {
            if check(condition, scope)? != Type::Bool {
                return error(condition.span(), "if 的条件应为真假值");
            }
            let (a, b) = (check(then, scope)?, check(otherwise, scope)?);
            if a.same_kind(&b) {
                Ok(a)
            } else {
                error(
                    *span,
                    format!("then 与 else 应得出同一类值：{}与{}", a.label(), b.label()),
                )
            }
        }
        Expr::Binary(op, left, right, span) => {
            let (a, b) = (check(left, scope)?, check(right, scope)?);
            // A number written out (0, 2000000) takes the kind of the other side: money
            // compared with 0 is money compared with 0 yuan.
            let (a, b) = match (&a, &b) {
                (Type::Money, Type::Number) if literal(right) => (a, Type::Money),
                (Type::Number, Type::Money) if literal(left) => (Type::Money, b),
                _ => (a, b),
            };
            binary(*op, &a, &b, *span, left, right, scope)
        }
        Expr::Call(name, arguments, span) => call(name, arguments, *span, scope),
    }
}

fn binary(
    op: BinaryOp,
    a: &Type,
    b: &Type,
    span: Span,
    left: &Expr,
    right: &Expr,
    scope: &Scope<'_>,
) -> Result<Type, TypeError> {
    use BinaryOp::*;
    use Type::*;
    let mismatch = || {
        error(
            span,
            format!("{}不能与{}做“{}”运算", a.label(), b.label(), op.symbol()),
        )
    };
    match op {
        Add | Subtract => match (a, b) {
            (Money, Money) => Ok(Money),
            (Number, Number) => Ok(Number),
            _ => mismatch(),
        },
        Multiply => match (a, b) {
            (Money, Number) | (Number, Money) => Ok(Money),
            (Number, Number) => Ok(Number),
            _ => mismatch(),
        },
        Divide => match (a, b) {
            (Money, Number) => Ok(Money),
            (Money, Money) | (Number, Number) => Ok(Number),
            _ => mismatch(),
        },
        Less | LessOrEqual | Greater | GreaterOrEqual => match (a, b) {
            (Money, Money) | (Number, Number) | (Date, Date) => Ok(Bool),
            _ => mismatch(),
        },
        Equal | NotEqual => {
            if a.same_kind(b) {
                check_literal(right, a, scope)?;
                check_literal(left, b, scope)?;
                Ok(Bool)
            } else {
                mismatch()
            }
        }
        And | Or => match (a, b) {
            (Bool, Bool) => Ok(Bool),
            _ => mismatch(),
        },
        In => match (a, b) {
            (Text(_), Tags(_)) => {
                check_literal(left, b, scope)?;
                Ok(Bool)
            }
            _ => error(span, "in 的左边应为文本，右边应为标签集合"),
        },
    }
}

/// A number written out, possibly negated.
fn literal(expr: &Expr) -> bool {
    match expr {
        Expr::Number(..) => true,
        Expr::Unary(UnaryOp::Negate, inner, _) => literal(inner),
        _ => false,
    }
}

fn call(name: &str, arguments: &[Expr], span: Span, scope: &Scope<'_>) -> Result<Type, TypeError> {
    let types = arguments
        .iter()
        .map(|a| check(a, scope))
        .collect::<Result<Vec<_>, _>>()?;
    let arity = |n: usize| {
        if types.len() == n {
            Ok(())
        } else {
            error(
                span,
                format!("{name} 需要 {n} 个参数，此处有 {} 个", types.len()),
            )
        }
    };
    match name {
        "min" | "max" => {
            if types.len() < 2 {
                return error(span, format!("{name} 至少需要 2 个参数"));
            }
            let money = types.contains(&Type::Money);
            let types: Vec<Type> = types
                .iter()
                .zip(arguments)
                .map(|(t, a)| {
                    if money && *t == Type::Number && literal(a) {
                        Type::Money
                    } else {
                        t.clone()
                    }
                })
                .collect();
            let first = &types[0];
            if !matches!(first, Type::Money | Type::Number)
                || types.iter().any(|t| !t.same_kind(first))
            {
                return error(span, format!("{name} 的参数应同为金额或同为数值"));
            }
            Ok(first.clone())
        }
        "scale" => {
            arity(2)?;
            if types[0] != Type::Scale {
                return error(arguments[0].span(), "scale 的第一个参数应为分档标准参数");
            }
            if !matches!(types[1], Type::Money | Type::Number) {
                return error(arguments[1].span(), "scale 的第二个参数应为金额或数值");
            }
            Ok(Type::Money)
        }
        "lookup" => {
            arity(2)?;
            let Type::Table(key) = &types[0] else {
                return error(arguments[0].span(), "lookup 的第一个参数应为分档表参数");
            };
            match &types[1] {
                Type::Text(Some(fact)) if Some(fact) == key.as_ref() => Ok(Type::Money),
                _ => error(
                    arguments[1].span(),
                    format!(
                        "lookup 的第二个参数应为分档表所依据的选项“{}”",
                        key.clone().unwrap_or_default()
                    ),
                ),
            }
        }
        "years_between" | "days_between" => {
            arity(2)?;
            if types.iter().all(|t| *t == Type::Date) {
                Ok(Type::Number)
            } else {
                error(span, format!("{name} 的参数应为两个日期"))
            }
        }
        "add_years" => {
            arity(2)?;
            if types[0] == Type::Date && types[1] == Type::Number {
                Ok(Type::Date)
            } else {
                error(span, "add_years 的参数应为日期和年数")
            }
        }
        "date" => {
            arity(1)?;
            match &arguments[0] {
                Expr::Text(text, text_span) => {
                    if chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok() {
                        Ok(Type::Date)
                    } else {
                        error(*text_span, format!("“{text}”不是有效日期（YYYY-MM-DD）"))
                    }
                }
                other => error(other.span(), "date 的参数应为日期文本，如 \"2026-01-01\""),
            }
        }
        _ => error(
            span,
            format!(
                "未知的函数“{name}”（可用：min、max、scale、lookup、years_between、days_between、add_years、date）"
            ),
        ),
    }
}
