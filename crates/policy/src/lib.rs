//! Policy as code: the seed's awards and subsidies as dated, readable policy files, compiled and
//! checked (`model`, `types`), evaluated exactly with an explanation of every yuan (`eval`), and
//! tested by cases a policy officer writes (`cases`).
//!
//! Pure: no IO. Callers read the files and pass their text in (`SourceFile`).

pub mod batch;
pub mod cases;
pub mod eval;
pub mod expr;
pub mod model;
pub mod types;
pub mod words;

pub use cases::{CaseReport, run_cases};
pub use eval::{EvalError, Facts, Grant, Outcome, Step, evaluate, parse_facts};
pub use model::{Diagnostic, Measure, PolicySet, PolicySources, SourceFile};

use rust_decimal::Decimal;

/// Yuan with two places and thousands grouped, for people: "2,000,000.00". An amount with
/// more places (before rounding to the fen) is shown in full, never rounded for display:
/// "1,999,999.9985".
pub fn money_text(amount: Decimal) -> String {
    let normalized = amount.normalize();
    if normalized.scale() > 2 {
        zijin_domain::group_thousands(&normalized.to_string())
    } else {
        zijin_domain::group_thousands(&format!("{amount:.2}"))
    }
}
