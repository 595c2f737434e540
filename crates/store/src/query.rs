//! Dynamic WHERE clauses with numbered `$n` parameters, which both backends accept.
//! (sqlx's QueryBuilder writes `?` for the `any` driver, which PostgreSQL refuses.)

use sqlx::any::AnyRow;
use sqlx::{Any, Arguments, AssertSqlSafe, Executor, Row};

use crate::StoreResult;
use sqlx::any::AnyArguments;

/// One page of a listing and the total number of matching rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

impl<T> Paged<T> {
    pub fn page_count(&self) -> i64 {
        if self.total == 0 {
            1
        } else {
            (self.total + self.per_page - 1) / self.per_page
        }
    }
}

#[derive(Clone)]
pub(crate) enum Value {
    Text(String),
    Int(i64),
}

/// Conditions joined with AND, and the values they bind.
#[derive(Default, Clone)]
pub(crate) struct Filter {
    conditions: Vec<String>,
    values: Vec<Value>,
}

impl Filter {
    /// Adds a condition; each `{}` in it is replaced by the next parameter.
    pub fn add(&mut self, condition: &str, values: Vec<Value>) {
        let mut text = String::new();
        let mut parts = condition.split("{}");
        text.push_str(parts.next().unwrap_or_default());
        for (part, value) in parts.zip(values) {
            self.values.push(value);
            text.push_str(&format!("${}", self.values.len()));
            text.push_str(part);
        }
        self.conditions.push(text);
    }

    pub fn where_clause(&self) -> String {
        if self.conditions.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.conditions.join(" AND "))
        }
    }

    /// The number the next parameter gets.
    pub fn next_parameter(&self) -> usize {
        self.values.len() + 1
    }

    pub fn arguments(&self, extra: &[Value]) -> AnyArguments {
        let mut arguments = AnyArguments::default();
        for value in self.values.iter().chain(extra) {
            // Adding a text or an integer cannot fail.
            let _ = match value {
                Value::Text(text) => arguments.add(text.clone()),
                Value::Int(number) => arguments.add(*number),
            };
        }
        arguments
    }
}

/// Escapes `%`, `_` and `\` for a LIKE pattern used with `ESCAPE '\'`.
pub(crate) fn like_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// One page of `SELECT * FROM {from} {where} ORDER BY {order_by}`, and the total count.
/// `from` and `order_by` are fixed text of the caller, never user input.
pub(crate) async fn fetch_page<'e, T>(
    db: impl Executor<'e, Database = Any> + Copy,
    from: &'static str,
    where_: &Filter,
    order_by: &'static str,
    page: i64,
    per_page: i64,
    map: impl Fn(&AnyRow) -> StoreResult<T>,
) -> StoreResult<Paged<T>> {
    let count_sql = format!("SELECT COUNT(*) AS n FROM {from}{}", where_.where_clause());
    let total: i64 = sqlx::query_with(AssertSqlSafe(count_sql), where_.arguments(&[]))
        .fetch_one(db)
        .await?
        .try_get("n")?;
    let next = where_.next_parameter();
    let sql = format!(
        "SELECT * FROM {from}{} ORDER BY {order_by} LIMIT ${next} OFFSET ${}",
        where_.where_clause(),
        next + 1
    );
    let rows = sqlx::query_with(
        AssertSqlSafe(sql),
        // A page far beyond the end is empty, never an overflow.
        where_.arguments(&[
            Value::Int(per_page),
            Value::Int((page.max(1) - 1).saturating_mul(per_page)),
        ]),
    )
    .fetch_all(db)
    .await?;
    Ok(Paged {
        items: rows.iter().map(map).collect::<StoreResult<_>>()?,
        total,
        page,
        per_page,
    })
}

/// Rows per multi-row INSERT. SQLite (through sqlx) slows down sharply with thousands of
/// parameters in one statement, PostgreSQL with many round trips. Measured with
/// `bench/two-lists`, publishing 50,000 records: SQLite 12.0 s at 400 rows, 4.6 s at 50;
/// PostgreSQL 3.0 s at 400, 5.3 s at 50. At 100,000 records SQLite took 8.9 s at 20 rows.
pub(crate) fn rows_per_insert(tx: &mut crate::WriteTx) -> usize {
    if tx.as_mut().backend_name() == "SQLite" {
        20
    } else {
        400
    }
}
