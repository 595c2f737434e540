//! The policy expression language (parser, type checker, evaluation) and the calculator's
//! input: facts as JSON for a shipped measure, a date and earlier grants.

use std::sync::OnceLock;

use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use zijin_policy::eval::{Value as FactValue, expr_text, parse_ledger};
use zijin_policy::expr::{Expr, UnaryOp, parse};
use zijin_policy::model::{FactType, Formula, Measure};
use zijin_policy::types::{Scope, Type, check};
use zijin_policy::{Facts, PolicySet, SourceFile, evaluate, parse_facts};

use super::{Target, chinese, mutated};

/// The shipped measures (`policy/` of this checkout), compiled once.
pub fn shipped() -> &'static PolicySet {
    static SET: OnceLock<PolicySet> = OnceLock::new();
    SET.get_or_init(|| {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policy");
        let read = |directory: &std::path::Path| -> Vec<SourceFile> {
            let mut files: Vec<SourceFile> = std::fs::read_dir(directory)
                .unwrap_or_else(|e| panic!("{}: {e}", directory.display()))
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|path| path.extension().is_some_and(|e| e == "toml"))
                .map(|path| SourceFile {
                    name: path.display().to_string(),
                    text: std::fs::read_to_string(&path)
                        .unwrap_or_else(|e| panic!("{}: {e}", path.display())),
                })
                .collect();
            files.sort_by(|a, b| a.name.cmp(&b.name));
            files
        };
        PolicySet::compile(&read(&root), &read(&root.join("supplements")))
            .unwrap_or_else(|problems| panic!("the shipped policy files: {problems:?}"))
    })
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or(NaiveDate::MIN)
}

/// Ordinary facts for a measure, one per declared fact.
fn typical_facts(measure: &Measure) -> Facts {
    let mut facts = Facts {
        beneficiary: Some("91350100M000100Y43".into()),
        ..Facts::default()
    };
    for fact in &measure.facts {
        let value = match &fact.kind {
            FactType::Money => FactValue::Money(Decimal::from(1_000_000)),
            FactType::Count => FactValue::Number(Decimal::from(3)),
            FactType::Ratio => FactValue::Number(Decimal::new(5, 1)),
            FactType::Number => FactValue::Number(Decimal::from(10)),
            FactType::Date => FactValue::Date(day("2025-06-01")),
            FactType::Boolean => FactValue::Bool(true),
            FactType::Enum(values) => {
                FactValue::Text(values.keys().next().cloned().unwrap_or_default())
            }
            FactType::Tags(tags) => FactValue::Tags(tags.iter().take(1).cloned().collect()),
        };
        facts.values.insert(fact.name.clone(), value);
    }
    facts
}

pub fn expression() -> Target {
    Target {
        name: "policy-expression",
        about: "expr::parse, types::check and evaluation of what type-checks, against a shipped measure's facts",
        check: check_expression,
        strategy: expression_inputs,
        seeds: || {
            let mut seeds: Vec<Vec<u8>> = [
                "a + b * 10%",
                "min(x * 15%, cap)",
                "if role == \"seller\" then 1 else 2",
                "\"高新技术企业\" in tags",
                "2_000_000",
                "date(\"2026-01-01\") <= on",
                "years_between(award_date, on) >= 1",
            ]
            .map(|s| s.as_bytes().to_vec())
            .to_vec();
            for measure in &shipped().measures {
                seeds.push(measure.amount.text.as_bytes().to_vec());
                for condition in &measure.conditions {
                    seeds.push(condition.text.as_bytes().to_vec());
                }
            }
            seeds
        },
    }
}

/// The tree without its spans, fully parenthesised, to compare two parses.
fn shape(expr: &Expr) -> String {
    match expr {
        Expr::Number(v, _) => v.normalize().to_string(),
        Expr::Text(t, _) => format!("{t:?}"),
        Expr::Bool(b, _) => b.to_string(),
        Expr::Name(n, _) => n.clone(),
        Expr::Unary(UnaryOp::Negate, a, _) => format!("(-{})", shape(a)),
        Expr::Unary(UnaryOp::Not, a, _) => format!("(not {})", shape(a)),
        Expr::Binary(op, a, b, _) => format!("({} {} {})", shape(a), op.symbol(), shape(b)),
        Expr::If(c, t, o, _) => format!("(if {} then {} else {})", shape(c), shape(t), shape(o)),
        Expr::Call(f, args, _) => format!(
            "{f}({})",
            args.iter().map(shape).collect::<Vec<_>>().join(", ")
        ),
    }
}

pub fn check_expression(input: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(input);
    let expr = match parse(&text) {
        Ok(expr) => expr,
        Err(error) => {
            if error.offset > text.len() || !text.is_char_boundary(error.offset) {
                return Err(format!(
                    "expression: syntax error offset {} outside the text",
                    error.offset
                ));
            }
            return chinese("expression syntax error", &error.message);
        }
    };
    // The trace shows sub-expressions as `expr_text` writes them: they must mean the same.
    let written = expr_text(&expr);
    match parse(&written) {
        Ok(again) if shape(&again) == shape(&expr) => {}
        Ok(again) => {
            return Err(format!(
                "expression: the trace's text {written:?} reads as {} instead of {}",
                shape(&again),
                shape(&expr)
            ));
        }
        Err(error) => {
            return Err(format!(
                "expression: the trace's text {written:?} does not parse: {}",
                error.message
            ));
        }
    }
    let set = shipped();
    let measure = &set.measures[input.len() % set.measures.len()];
    let scope = Scope {
        facts: &measure.facts,
        params: &measure.params,
    };
    let kind = match check(&expr, &scope) {
        Ok(kind) => kind,
        Err(error) => {
            if error.span.end > text.len() || error.span.start > error.span.end {
                return Err("expression: type error span outside the text".into());
            }
            return chinese("expression type error", &error.message);
        }
    };
    if !matches!(kind, Type::Money | Type::Number | Type::Bool) {
        return Ok(());
    }
    // What type-checks as an amount (or a condition) is evaluated as the measure's amount (or
    // one more condition), on ordinary facts, with the trace written out.
    let mut changed = measure.clone();
    let formula = Formula {
        expr,
        text: text.to_string(),
    };
    if kind == Type::Bool {
        changed.conditions.push(zijin_policy::model::Condition {
            when: formula.expr,
            text: formula.text,
            reason: "条件".into(),
        });
    } else {
        changed.amount = formula;
    }
    let facts = typical_facts(&changed);
    for on in ["2026-06-01", "1970-01-01"] {
        match evaluate(&changed, &facts, day(on), &[], true) {
            Ok(outcome) => {
                if outcome.amount.is_sign_negative() && !outcome.amount.is_zero() {
                    return Err(format!("expression: negative amount {}", outcome.amount));
                }
            }
            Err(error) => chinese("expression evaluation", &error.to_string())?,
        }
    }
    Ok(())
}

/// Words and pieces of the language, for the grammar and the mutations.
const WORDS: [&str; 40] = [
    "+",
    "-",
    "*",
    "/",
    "<",
    "<=",
    ">",
    ">=",
    "==",
    "!=",
    "and",
    "or",
    "not",
    "in",
    "if",
    "then",
    "else",
    "(",
    ")",
    ",",
    "min",
    "max",
    "scale",
    "lookup",
    "years_between",
    "days_between",
    "add_years",
    "date",
    "on",
    "true",
    "false",
    "0",
    "1",
    "10%",
    "2_000_000",
    "0.5",
    "\"2026-01-01\"",
    "\"高新技术企业\"",
    "99999999999999999999999999999",
    "0.0000000000000000000000000001",
];

fn expression_inputs(seeds: Vec<Vec<u8>>) -> BoxedStrategy<Vec<u8>> {
    let mut names: Vec<String> = WORDS.iter().map(|w| w.to_string()).collect();
    for measure in &shipped().measures {
        names.extend(measure.facts.iter().map(|f| f.name.clone()));
        names.extend(measure.params.iter().map(|p| p.name.clone()));
    }
    let leaf = prop::sample::select(names.clone());
    // Expressions from the grammar: mostly well-formed, with the shipped names in them.
    let grammar = leaf
        .clone()
        .prop_recursive(6, 64, 4, move |inner| {
            let operator = prop::sample::select(vec![
                "+", "-", "*", "/", "<", "<=", ">", "==", "!=", "and", "or", "in",
            ]);
            let function = prop::sample::select(vec![
                "min",
                "max",
                "scale",
                "lookup",
                "years_between",
                "days_between",
                "add_years",
                "date",
            ]);
            prop_oneof![
                (inner.clone(), operator, inner.clone())
                    .prop_map(|(a, op, b)| format!("{a} {op} {b}")),
                inner.clone().prop_map(|a| format!("({a})")),
                inner.clone().prop_map(|a| format!("-{a}")),
                inner.clone().prop_map(|a| format!("not {a}")),
                (inner.clone(), inner.clone(), inner.clone())
                    .prop_map(|(c, t, o)| format!("if {c} then {t} else {o}")),
                (function, prop::collection::vec(inner, 0..4))
                    .prop_map(|(f, args)| format!("{f}({})", args.join(", "))),
            ]
        })
        .prop_map(String::into_bytes);
    // Token soup: any sequence of the language's words.
    let soup = prop::collection::vec(prop::sample::select(names), 0..24)
        .prop_map(|words| words.join(" ").into_bytes());
    // Deep nesting: what a stack can take is a property of the parser, not of the file.
    let deep = (1usize..20_000, 0u8..6).prop_map(|(depth, how)| match how {
        0 => format!("{}1{}", "(".repeat(depth), ")".repeat(depth)),
        1 => format!("{}1", "-".repeat(depth)),
        2 => format!("{}true", "not ".repeat(depth)),
        3 => format!("1{}", " + 1".repeat(depth)),
        4 => format!("{}1", "if true then 1 else ".repeat(depth)),
        _ => format!("{}1{}", "min(1, ".repeat(depth), ")".repeat(depth)),
    });
    prop_oneof![
        4 => grammar,
        2 => soup,
        1 => deep.prop_map(String::into_bytes),
        3 => mutated(seeds, &[b"(", b")", b" + ", b"%", b"\"", b"_", b".", b"if ", b" then ", b" else "]),
    ]
    .boxed()
}

pub fn facts() -> Target {
    Target {
        name: "policy-facts",
        about: "the calculator: facts as JSON, a date and earlier grants for each shipped measure",
        check: check_facts,
        strategy: facts_inputs,
        seeds: || {
            shipped()
                .measures
                .iter()
                .enumerate()
                .map(|(index, measure)| {
                    let facts: Map<String, Value> = measure
                        .facts
                        .iter()
                        .map(|fact| (fact.name.clone(), typical_json(&fact.kind)))
                        .collect();
                    json!({"measure": index, "on": "2026-06-01", "facts": facts,
                           "beneficiary": "91350100M000100Y43", "ledger": []})
                    .to_string()
                    .into_bytes()
                })
                .collect()
        },
    }
}

fn typical_json(kind: &FactType) -> Value {
    match kind {
        FactType::Money => json!("1000000"),
        FactType::Count => json!(3),
        FactType::Ratio => json!("0.5"),
        FactType::Number => json!(10),
        FactType::Date => json!("2025-06-01"),
        FactType::Boolean => json!(true),
        FactType::Enum(values) => json!(values.keys().next().cloned().unwrap_or_default()),
        FactType::Tags(tags) => json!(tags.iter().take(1).collect::<Vec<_>>()),
    }
}

/// The input is `{"measure": N, "on": DATE, "facts": {...}, "beneficiary": ..., "ledger": [...]}`;
/// anything else is not an input of this target (and passes).
pub fn check_facts(input: &[u8]) -> Result<(), String> {
    let Ok(Value::Object(envelope)) = serde_json::from_slice::<Value>(input) else {
        return Ok(());
    };
    let set = shipped();
    let index = envelope.get("measure").and_then(Value::as_u64).unwrap_or(0) as usize;
    let measure = &set.measures[index % set.measures.len()];
    let mut given = match envelope.get("facts") {
        Some(Value::Object(facts)) => facts.clone(),
        _ => Map::new(),
    };
    if let Some(beneficiary) = envelope.get("beneficiary") {
        given.insert("beneficiary".into(), beneficiary.clone());
    }
    let on = envelope
        .get("on")
        .and_then(Value::as_str)
        .and_then(|text| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .unwrap_or_else(|| day("2026-06-01"));
    let ledger = match envelope.get("ledger") {
        Some(ledger) => match parse_ledger(&ledger.to_string()) {
            Ok(ledger) => ledger,
            Err(message) => return chinese("ledger", &message),
        },
        None => Vec::new(),
    };
    let facts = match parse_facts(measure, &given) {
        Ok(facts) => facts,
        Err(error) => return chinese("facts", &error.to_string()),
    };
    match evaluate(measure, &facts, on, &ledger, true) {
        Ok(outcome) => {
            if outcome.amount.is_sign_negative() && !outcome.amount.is_zero() {
                return Err(format!("facts: negative amount {}", outcome.amount));
            }
            if outcome.amount.normalize().scale() > 2 {
                return Err(format!("facts: amount {} not in fen", outcome.amount));
            }
            if !outcome.eligible && outcome.reasons.is_empty() {
                return Err("facts: refused without a reason".into());
            }
            for reason in &outcome.reasons {
                chinese("facts: refusal", reason)?;
            }
            Ok(())
        }
        Err(error) => chinese("facts evaluation", &error.to_string()),
    }
}

/// Values of every kind a person or a program may send for a fact.
fn any_fact_value() -> BoxedStrategy<Value> {
    let numbers = prop::sample::select(vec![
        "0",
        "-0",
        "1",
        "-1",
        "0.5",
        "1.005",
        "1,000,000",
        "１２",
        "",
        " 7 ",
        "abc",
        "1e3",
        "1e-400",
        "79228162514264337593543950335",
        "79228162514264337593543950336",
        "-79228162514264337593543950335",
        "7.9228162514264337593543950335",
        "0.0000000000000000000000000001",
        "999999999999999999999999999999999999",
        "1000000000000",
    ]);
    prop_oneof![
        numbers.clone().prop_map(|s| json!(s)),
        numbers.prop_filter_map("a JSON number", |s| serde_json::from_str::<Value>(s).ok()),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|n| json!(n)),
        any::<bool>().prop_map(|b| json!(b)),
        prop::sample::select(vec![
            "2026-02-29",
            "2024-02-29",
            "0000-01-01",
            "+262142-12-31",
            "-262143-01-01",
            "9999-12-31",
            "2026-13-01",
            "2026/06/01",
        ])
        .prop_map(|s| json!(s)),
        Just(Value::Null),
        Just(json!([])),
        Just(json!(["高新技术企业", 1])),
        Just(json!({"a": 1})),
    ]
    .boxed()
}

/// A measure's fact names, and an ordinary value for each.
type NamesAndTypicalFacts = (Vec<String>, Vec<(String, Value)>);

fn facts_inputs(seeds: Vec<Vec<u8>>) -> BoxedStrategy<Vec<u8>> {
    let set = shipped();
    let count = set.measures.len();
    let measures: Vec<NamesAndTypicalFacts> = set
        .measures
        .iter()
        .map(|m| {
            let names = m.facts.iter().map(|f| f.name.clone()).collect();
            let typical = m
                .facts
                .iter()
                .map(|f| (f.name.clone(), typical_json(&f.kind)))
                .collect();
            (names, typical)
        })
        .collect();
    // Earlier grants, mostly of the measure being computed (caps and quotas look at those).
    let grant = (
        prop::sample::select(vec!["91350100M000100Y43", "其他单位", ""]),
        prop::option::of(0..count),
        any_fact_value(),
        prop::sample::select(vec!["2026-01-15", "2025-12-31", "2026-06-01", "bad"]),
    );
    let structured = (
        0..count,
        prop::collection::vec((any::<prop::sample::Index>(), any_fact_value()), 0..6),
        prop::sample::select(vec![
            "2026-06-01",
            "2020-01-01",
            "2030-12-31",
            "1900-01-01",
            "+262142-12-31",
            "-262143-01-01",
        ]),
        prop::collection::vec(grant, 0..4),
        any::<bool>(),
    )
        .prop_map(move |(index, changes, on, ledger, drop_one)| {
            let (names, typical) = &measures[index];
            let mut facts: Map<String, Value> = typical.iter().cloned().collect();
            for (which, value) in changes {
                if !names.is_empty() {
                    facts.insert(names[which.index(names.len())].clone(), value);
                }
            }
            if drop_one && let Some(name) = names.first() {
                facts.remove(name);
            }
            let ledger: Vec<Value> = ledger
                .into_iter()
                .map(|(beneficiary, other, amount, date)| {
                    let id = &shipped().measures[other.unwrap_or(index)].id;
                    json!({"beneficiary": beneficiary, "measure": id, "date": date, "amount": amount})
                })
                .collect();
            json!({"measure": index, "on": on, "facts": facts,
                   "beneficiary": "91350100M000100Y43", "ledger": ledger})
            .to_string()
            .into_bytes()
        });
    prop_oneof![
        4 => structured,
        1 => mutated(seeds, &[b"9", b"-", b"e", b"\"", b"0."]),
    ]
    .boxed()
}
