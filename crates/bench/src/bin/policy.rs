//! Issue 4 figure: 1,000,000 evaluations of a mix of measures (a08-jiebang, a13-joint-rd,
//! a18-empowerment with its annual cap), end to end — typed facts in, amounts out — with traces
//! off and on, beside OpenFisca computing the same three measures over the same inputs in the
//! same run (timed from building its simulations to the result), and how many of OpenFisca's
//! amounts differ from the exact ones.
//!
//! Run with `bench/policy` (ROWS overrides the count); it makes the OpenFisca virtualenv.

use std::collections::HashMap;
use std::io::Write;
use std::process::Command;
use std::time::Instant;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use zijin_policy::eval::Value;
use zijin_policy::{Facts, Grant, PolicySet, SourceFile, evaluate};

struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below.max(1)
    }
}

struct Row {
    measure: &'static str,
    base: Option<Decimal>,
    count: u64,
    granted: Decimal,
}

fn policies() -> PolicySet {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../policy");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(root).expect("policy dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "toml") {
            files.push(SourceFile {
                name: path.display().to_string(),
                text: std::fs::read_to_string(&path).expect("read"),
            });
        }
    }
    PolicySet::compile(&files, &[]).expect("policy files compile")
}

/// Amounts from ten thousand to a billion yuan, with fen: where float32 money goes wrong.
fn rows(count: usize) -> Vec<Row> {
    let mut random = Lcg(4);
    (0..count)
        .map(|index| {
            let magnitude = 10u64.pow(4 + random.next(6) as u32);
            let cents = magnitude * 100 + random.next(magnitude * 900);
            match index % 3 {
                0 => Row {
                    measure: "a08-jiebang",
                    base: Some(Decimal::new(cents as i64, 2)),
                    count: 0,
                    granted: Decimal::ZERO,
                },
                1 => Row {
                    measure: "a13-joint-rd",
                    base: Some(Decimal::new(cents as i64, 2)),
                    count: 0,
                    granted: Decimal::ZERO,
                },
                _ => Row {
                    measure: "a18-empowerment",
                    base: None,
                    count: random.next(30),
                    granted: Decimal::from(random.next(21) * 50_000),
                },
            }
        })
        .collect()
}

fn main() {
    let count: usize = std::env::var("ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let python = std::env::var("OPENFISCA_PYTHON").expect("OPENFISCA_PYTHON: the venv's python");
    let script = std::env::var("OPENFISCA_SCRIPT").expect("OPENFISCA_SCRIPT");
    let set = policies();
    let on = NaiveDate::from_ymd_opt(2026, 6, 1).expect("date");
    let rows = rows(count);

    // Typed facts and each applicant's ledger, made before the clock starts (OpenFisca's
    // inputs are likewise parsed into arrays before its clock starts).
    let inputs: Vec<(&zijin_policy::Measure, Facts, Vec<Grant>)> = rows
        .iter()
        .enumerate()
        .map(|(index, row)| {
            let measure = set.measure(row.measure).expect("measure");
            let mut values = HashMap::new();
            let ledger = match row.measure {
                "a18-empowerment" => {
                    values.insert("pilot_unit".to_string(), Value::Bool(true));
                    values.insert(
                        "empowered_count".to_string(),
                        Value::Number(Decimal::from(row.count)),
                    );
                    if row.granted.is_zero() {
                        Vec::new()
                    } else {
                        vec![Grant {
                            beneficiary: format!("单位{index}"),
                            measure: row.measure.to_string(),
                            date: NaiveDate::from_ymd_opt(2026, 2, 1).expect("date"),
                            amount: row.granted,
                        }]
                    }
                }
                _ => {
                    let fact = measure.facts[0].name.clone();
                    values.insert(fact, Value::Money(row.base.unwrap_or_default()));
                    Vec::new()
                }
            };
            let facts = Facts {
                beneficiary: Some(format!("单位{index}")),
                values,
            };
            (measure, facts, ledger)
        })
        .collect();

    let run = |trace: bool| {
        let start = Instant::now();
        let amounts: Vec<Decimal> = inputs
            .iter()
            .map(|(measure, facts, ledger)| {
                evaluate(measure, facts, on, ledger, trace)
                    .expect("evaluation")
                    .amount
            })
            .collect();
        (amounts, start.elapsed().as_secs_f64())
    };
    let (exact, off_seconds) = run(false);
    let (with_trace, on_seconds) = run(true);
    assert_eq!(exact, with_trace, "traces never change an amount");

    // The same inputs for OpenFisca.
    std::fs::create_dir_all("/var/tmp/zijin-bench").expect("bench dir");
    let input_path = "/var/tmp/zijin-bench/policy-inputs.csv";
    let output_path = "/var/tmp/zijin-bench/policy-openfisca.txt";
    let mut file = std::io::BufWriter::new(std::fs::File::create(input_path).expect("inputs"));
    writeln!(file, "measure,base,count,granted").expect("write");
    for row in &rows {
        writeln!(
            file,
            "{},{},{},{}",
            row.measure,
            row.base.map(|b| b.to_string()).unwrap_or_default(),
            row.count,
            row.granted
        )
        .expect("write");
    }
    drop(file);
    let output = Command::new(&python)
        .arg(&script)
        .arg(input_path)
        .arg(output_path)
        .output()
        .expect("run OpenFisca");
    assert!(
        output.status.success(),
        "OpenFisca failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("OpenFisca's report");
    let openfisca_seconds = report["seconds"].as_f64().expect("seconds");
    let theirs: Vec<Decimal> = std::fs::read_to_string(output_path)
        .expect("OpenFisca's amounts")
        .lines()
        .map(|l| {
            Decimal::from_scientific(l)
                .or_else(|_| l.parse())
                .expect("amount")
        })
        .collect();
    assert_eq!(theirs.len(), exact.len());
    let fen = Decimal::new(1, 2);
    let mut off_by_fen = 0;
    let mut off_by_yuan = 0;
    let mut worst = Decimal::ZERO;
    for (ours, theirs) in exact.iter().zip(&theirs) {
        let theirs_to_fen =
            theirs.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::ToZero);
        let difference = (theirs - ours).abs();
        if theirs_to_fen != *ours {
            off_by_fen += 1;
        }
        if difference >= Decimal::ONE {
            off_by_yuan += 1;
        }
        worst = worst.max(difference);
    }
    let _ = fen;
    let rate = |seconds: f64| count as f64 / seconds;
    println!(
        "policy evaluation: {count} evaluations (a08-jiebang, a13-joint-rd, a18-empowerment in turn), {} cores",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
    println!(
        "  zijin, traces off:   {off_seconds:>7.3} s  {:>12.0} evaluations/s",
        rate(off_seconds)
    );
    println!(
        "  zijin, traces on:    {on_seconds:>7.3} s  {:>12.0} evaluations/s  ({:.2}× traces off; target ≤ 3×)",
        rate(on_seconds),
        on_seconds / off_seconds
    );
    println!(
        "  OpenFisca {}:   {openfisca_seconds:>7.3} s  {:>12.0} evaluations/s  (vectorised, 3 simulations)",
        report["version"].as_str().unwrap_or("?"),
        rate(openfisca_seconds)
    );
    println!(
        "  target, traces off ≥ OpenFisca's throughput: {}",
        if off_seconds <= openfisca_seconds {
            "met"
        } else {
            "NOT met"
        }
    );
    println!(
        "  OpenFisca amounts differing from the exact ones: {off_by_fen} of {count} by at least a fen (after rounding down), {off_by_yuan} by a yuan or more; largest difference {worst} yuan"
    );
}
