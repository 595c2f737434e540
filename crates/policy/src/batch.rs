//! Evaluating one measure for many applicants at once, column by column, as vectorised engines
//! do: each node of a formula is computed for every row before the next, so the tree is walked
//! once per batch, not once per applicant. The amounts are exactly those of `eval::evaluate` (a
//! property test compares them); a measure or a formula this path does not cover (texts, tag
//! sets, tiers, tables, quotas, one-time rules, a missing standard, an arithmetic error in any
//! row) falls back to evaluating row by row, so the answer never depends on the path taken.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};

use crate::eval::{EvalError, Facts, Grant, Value, evaluate};
use crate::expr::{BinaryOp, Expr, UnaryOp};
use crate::model::{Measure, ParamValue};

/// One fact for every row.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// Money, counts, ratios: exact decimals.
    Number(Vec<Decimal>),
    Bool(Vec<bool>),
    Date(Vec<NaiveDate>),
}

/// The facts of many applications to one measure, as columns (fact name → column), and who
/// each row's beneficiary is.
#[derive(Debug, Clone, Default)]
pub struct Columns {
    pub rows: usize,
    pub facts: HashMap<String, Column>,
    pub beneficiaries: Vec<String>,
}

/// A value for every row (borrowed from the input when it is a fact), or one value for all.
enum Col<'a> {
    Number(Cow<'a, [Decimal]>),
    Bool(Cow<'a, [bool]>),
    Date(Cow<'a, [NaiveDate]>),
    ScalarNumber(Decimal),
    ScalarBool(bool),
    ScalarDate(NaiveDate),
}

/// This path does not cover the formula: evaluate row by row instead.
struct Fallback;

struct Context<'a> {
    measure: &'a Measure,
    columns: &'a Columns,
    /// The rows of the batch this part evaluates.
    range: std::ops::Range<usize>,
    on: NaiveDate,
}

impl<'a> Context<'a> {
    fn numbers(&self, col: Col<'a>) -> Result<Vec<Decimal>, Fallback> {
        match col {
            Col::Number(values) => Ok(values.into_owned()),
            Col::ScalarNumber(value) => Ok(vec![value; self.range.len()]),
            _ => Err(Fallback),
        }
    }

    fn bools(&self, col: Col<'a>) -> Result<Vec<bool>, Fallback> {
        match col {
            Col::Bool(values) => Ok(values.into_owned()),
            Col::ScalarBool(value) => Ok(vec![value; self.range.len()]),
            _ => Err(Fallback),
        }
    }

    fn eval(&self, expr: &Expr) -> Result<Col<'a>, Fallback> {
        Ok(match expr {
            Expr::Number(n, _) => Col::ScalarNumber(*n),
            Expr::Bool(b, _) => Col::ScalarBool(*b),
            Expr::Text(..) | Expr::Call(..) => return Err(Fallback),
            Expr::Name(name, _) => {
                if name == "on" {
                    Col::ScalarDate(self.on)
                } else if let Some(column) = self.columns.facts.get(name) {
                    match column {
                        Column::Number(values) => {
                            Col::Number(Cow::Borrowed(&values[self.range.clone()]))
                        }
                        Column::Bool(values) => {
                            Col::Bool(Cow::Borrowed(&values[self.range.clone()]))
                        }
                        Column::Date(values) => {
                            Col::Date(Cow::Borrowed(&values[self.range.clone()]))
                        }
                    }
                } else {
                    let param = self.measure.param(name).ok_or(Fallback)?;
                    match param.value_on(self.on).map(|v| &v.value) {
                        Ok(ParamValue::Money(m) | ParamValue::Number(m)) => Col::ScalarNumber(*m),
                        _ => return Err(Fallback),
                    }
                }
            }
            Expr::Unary(UnaryOp::Negate, operand, _) => match self.eval(operand)? {
                Col::ScalarNumber(n) => Col::ScalarNumber(-n),
                Col::Number(values) => Col::Number(values.iter().map(|v| -v).collect()),
                _ => return Err(Fallback),
            },
            Expr::Unary(UnaryOp::Not, operand, _) => match self.eval(operand)? {
                Col::ScalarBool(b) => Col::ScalarBool(!b),
                Col::Bool(values) => Col::Bool(values.iter().map(|v| !v).collect()),
                _ => return Err(Fallback),
            },
            Expr::If(condition, then, otherwise, _) => {
                let condition = self.eval(condition)?;
                if let Col::ScalarBool(held) = condition {
                    return if held {
                        self.eval(then)
                    } else {
                        self.eval(otherwise)
                    };
                }
                let mask = self.bools(condition)?;
                let then = self.numbers(self.eval(then)?)?;
                let otherwise = self.numbers(self.eval(otherwise)?)?;
                Col::Number(
                    mask.iter()
                        .zip(then.into_iter().zip(otherwise))
                        .map(|(held, (a, b))| if *held { a } else { b })
                        .collect::<Vec<_>>()
                        .into(),
                )
            }
            Expr::Binary(op, left, right, _) => self.binary(*op, left, right)?,
        })
    }

    fn binary(&self, op: BinaryOp, left: &Expr, right: &Expr) -> Result<Col<'a>, Fallback> {
        use BinaryOp::*;
        let (a, b) = (self.eval(left)?, self.eval(right)?);
        match op {
            Add | Subtract | Multiply | Divide => {
                let apply = |x: Decimal, y: Decimal| -> Result<Decimal, Fallback> {
                    match op {
                        Add => x.checked_add(y),
                        Subtract => x.checked_sub(y),
                        Multiply => x.checked_mul(y),
                        _ if y.is_zero() => None,
                        _ => x.checked_div(y),
                    }
                    .ok_or(Fallback)
                };
                Ok(match (a, b) {
                    (Col::ScalarNumber(x), Col::ScalarNumber(y)) => Col::ScalarNumber(apply(x, y)?),
                    (Col::Number(xs), Col::ScalarNumber(y)) => Col::Number(
                        xs.iter()
                            .map(|x| apply(*x, y))
                            .collect::<Result<Vec<_>, _>>()?
                            .into(),
                    ),
                    (Col::ScalarNumber(x), Col::Number(ys)) => Col::Number(
                        ys.iter()
                            .map(|y| apply(x, *y))
                            .collect::<Result<Vec<_>, _>>()?
                            .into(),
                    ),
                    (Col::Number(xs), Col::Number(ys)) => Col::Number(
                        xs.iter()
                            .zip(ys.iter())
                            .map(|(x, y)| apply(*x, *y))
                            .collect::<Result<Vec<_>, _>>()?
                            .into(),
                    ),
                    _ => return Err(Fallback),
                })
            }
            Less | LessOrEqual | Greater | GreaterOrEqual | Equal | NotEqual => {
                let test = |ordering: std::cmp::Ordering| match op {
                    Less => ordering.is_lt(),
                    LessOrEqual => ordering.is_le(),
                    Greater => ordering.is_gt(),
                    GreaterOrEqual => ordering.is_ge(),
                    Equal => ordering.is_eq(),
                    _ => ordering.is_ne(),
                };
                Ok(match (a, b) {
                    (Col::ScalarNumber(x), Col::ScalarNumber(y)) => {
                        Col::ScalarBool(test(x.cmp(&y)))
                    }
                    (Col::Number(xs), Col::ScalarNumber(y)) => {
                        Col::Bool(xs.iter().map(|x| test(x.cmp(&y))).collect())
                    }
                    (Col::ScalarNumber(x), Col::Number(ys)) => {
                        Col::Bool(ys.iter().map(|y| test(x.cmp(y))).collect())
                    }
                    (Col::Number(xs), Col::Number(ys)) => Col::Bool(
                        xs.iter()
                            .zip(ys.iter())
                            .map(|(x, y)| test(x.cmp(y)))
                            .collect(),
                    ),
                    (Col::Date(xs), Col::ScalarDate(y)) => {
                        Col::Bool(xs.iter().map(|x| test(x.cmp(&y))).collect())
                    }
                    (Col::ScalarDate(x), Col::Date(ys)) => {
                        Col::Bool(ys.iter().map(|y| test(x.cmp(y))).collect())
                    }
                    (Col::Bool(xs), Col::ScalarBool(y)) if matches!(op, Equal | NotEqual) => {
                        Col::Bool(xs.iter().map(|x| test(x.cmp(&y))).collect())
                    }
                    _ => return Err(Fallback),
                })
            }
            And | Or => {
                let xs = self.bools(a)?;
                let ys = self.bools(b)?;
                Ok(Col::Bool(
                    xs.iter()
                        .zip(&ys)
                        .map(|(x, y)| if op == And { *x && *y } else { *x || *y })
                        .collect(),
                ))
            }
            In => Err(Fallback),
        }
    }
}

/// The amounts (zero when not eligible) of `measure` for every row of `columns` on `on`;
/// `ledgers[i]` are row i's earlier grants. Errors are per row, as `evaluate` gives them.
pub fn evaluate_columns(
    measure: &Measure,
    columns: &Columns,
    on: NaiveDate,
    ledgers: &[&[Grant]],
) -> Vec<Result<Decimal, EvalError>> {
    let length = |column: &Column| match column {
        Column::Number(v) => v.len(),
        Column::Bool(v) => v.len(),
        Column::Date(v) => v.len(),
    };
    if let Some((name, _)) = columns
        .facts
        .iter()
        .find(|(_, c)| length(c) != columns.rows)
    {
        let error = EvalError::IllTyped {
            name: name.clone(),
            expected: format!("{} 行", columns.rows),
            detail: "各列的行数应相同".into(),
        };
        return vec![Err(error); columns.rows];
    }
    // Large batches are split over the cores, each part column by column.
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    if threads > 1 && columns.rows >= 20_000 {
        let part = columns.rows.div_ceil(threads);
        let ranges: Vec<std::ops::Range<usize>> = (0..columns.rows)
            .step_by(part)
            .map(|start| start..(start + part).min(columns.rows))
            .collect();
        return std::thread::scope(|scope| {
            let handles: Vec<_> = ranges
                .into_iter()
                .map(|range| {
                    scope.spawn(move || evaluate_part(measure, columns, range, on, ledgers))
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|handle| handle.join().unwrap_or_default())
                .collect()
        });
    }
    evaluate_part(measure, columns, 0..columns.rows, on, ledgers)
}

fn evaluate_part(
    measure: &Measure,
    columns: &Columns,
    range: std::ops::Range<usize>,
    on: NaiveDate,
    ledgers: &[&[Grant]],
) -> Vec<Result<Decimal, EvalError>> {
    match columnar(measure, columns, range.clone(), on, ledgers) {
        Ok(amounts) => amounts.into_iter().map(Ok).collect(),
        Err(Fallback) => row_by_row(measure, columns, range, on, ledgers),
    }
}

fn columnar(
    measure: &Measure,
    columns: &Columns,
    range: std::ops::Range<usize>,
    on: NaiveDate,
    ledgers: &[&[Grant]],
) -> Result<Vec<Decimal>, Fallback> {
    if measure.quota.is_some() || measure.once {
        return Err(Fallback);
    }
    // Every declared fact must be a column of the batch, as `parse_facts` requires.
    if measure
        .facts
        .iter()
        .any(|f| !columns.facts.contains_key(&f.name))
        || (measure.uses_ledger() && columns.beneficiaries.len() != columns.rows)
    {
        return Err(Fallback);
    }
    let context = Context {
        measure,
        columns,
        range: range.clone(),
        on,
    };
    let rows = range.len();
    let mut eligible = vec![true; rows];
    for condition in &measure.conditions {
        let held = context.bools(context.eval(&condition.when)?)?;
        for (row, held) in eligible.iter_mut().zip(held) {
            *row &= held;
        }
    }
    let mut amounts = context.numbers(context.eval(&measure.amount.expr)?)?;
    for amount in &mut amounts {
        if amount.is_sign_negative() {
            *amount = Decimal::ZERO;
        }
    }
    if let Some(cap) = &measure.cap_application {
        let limits = context.numbers(context.eval(&cap.expr)?)?;
        for (amount, limit) in amounts.iter_mut().zip(limits) {
            *amount = (*amount).min(limit);
        }
    }
    if let Some(cap) = &measure.cap_year {
        let limits = context.numbers(context.eval(&cap.expr)?)?;
        for (row, (amount, limit)) in amounts.iter_mut().zip(limits).enumerate() {
            let beneficiary = columns.beneficiaries[range.start + row].as_str();
            let this_year: Decimal = ledgers
                .get(range.start + row)
                .copied()
                .unwrap_or_default()
                .iter()
                .filter(|g| {
                    g.measure == measure.id
                        && g.date <= on
                        && g.beneficiary == beneficiary
                        && g.date.year() == on.year()
                })
                .map(|g| g.amount)
                .sum();
            let room = (limit - this_year).max(Decimal::ZERO);
            if room.is_zero() {
                eligible[row] = false;
            }
            *amount = (*amount).min(room);
        }
    }
    Ok(amounts
        .into_iter()
        .zip(eligible)
        .map(|(amount, eligible)| {
            if eligible {
                amount.round_dp_with_strategy(2, RoundingStrategy::ToZero)
            } else {
                Decimal::ZERO
            }
        })
        .collect())
}

/// The same batch through `evaluate`, one row at a time.
/// The column-by-column amounts, or None when this path does not cover the measure or the
/// batch (then `evaluate_columns` goes row by row).
pub fn columnar_only(
    measure: &Measure,
    columns: &Columns,
    on: NaiveDate,
    ledgers: &[&[Grant]],
) -> Option<Vec<Decimal>> {
    columnar(measure, columns, 0..columns.rows, on, ledgers).ok()
}

fn row_by_row(
    measure: &Measure,
    columns: &Columns,
    range: std::ops::Range<usize>,
    on: NaiveDate,
    ledgers: &[&[Grant]],
) -> Vec<Result<Decimal, EvalError>> {
    range
        .map(|row| {
            let values = columns
                .facts
                .iter()
                .map(|(name, column)| {
                    let value = match column {
                        Column::Number(values) => match measure.fact(name).map(|f| &f.kind) {
                            Some(crate::model::FactType::Money) => Value::Money(values[row]),
                            _ => Value::Number(values[row]),
                        },
                        Column::Bool(values) => Value::Bool(values[row]),
                        Column::Date(values) => Value::Date(values[row]),
                    };
                    (name.clone(), value)
                })
                .collect();
            let facts = Facts {
                beneficiary: columns.beneficiaries.get(row).cloned(),
                values,
            };
            evaluate(
                measure,
                &facts,
                on,
                ledgers.get(row).copied().unwrap_or_default(),
                false,
            )
            .map(|outcome| outcome.amount)
        })
        .collect()
}
