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

    // Column by column: the inputs as one column per fact and measure (as OpenFisca's
    // set_input arrays), made before the clock starts.
    use zijin_policy::batch::{Column, Columns, evaluate_columns};
    /// One measure's rows: their positions in the mix, their facts as columns, their ledgers.
    type Group<'a> = (&'static str, Vec<usize>, Columns, Vec<&'a [Grant]>);
    let mut groups: Vec<Group> = Vec::new();
    for measure in ["a08-jiebang", "a13-joint-rd", "a18-empowerment"] {
        let indices: Vec<usize> = (0..rows.len())
            .filter(|i| rows[*i].measure == measure)
            .collect();
        let mut columns = Columns {
            rows: indices.len(),
            ..Default::default()
        };
        columns.beneficiaries = indices.iter().map(|i| format!("单位{i}")).collect();
        if measure == "a18-empowerment" {
            columns
                .facts
                .insert("pilot_unit".into(), Column::Bool(vec![true; indices.len()]));
            columns.facts.insert(
                "empowered_count".into(),
                Column::Number(
                    indices
                        .iter()
                        .map(|i| Decimal::from(rows[*i].count))
                        .collect(),
                ),
            );
        } else {
            let fact = set.measure(measure).expect("measure").facts[0].name.clone();
            columns.facts.insert(
                fact,
                Column::Number(
                    indices
                        .iter()
                        .map(|i| rows[*i].base.unwrap_or_default())
                        .collect(),
                ),
            );
        }
        let ledgers: Vec<&[Grant]> = indices.iter().map(|i| inputs[*i].2.as_slice()).collect();
        groups.push((measure, indices, columns, ledgers));
    }
    let start = Instant::now();
    let mut columnar = vec![Decimal::ZERO; rows.len()];
    for (measure, indices, columns, ledgers) in &groups {
        let measure = set.measure(measure).expect("measure");
        for (index, amount) in indices
            .iter()
            .zip(evaluate_columns(measure, columns, on, ledgers))
        {
            columnar[*index] = amount.expect("evaluation");
        }
    }
    let columnar_seconds = start.elapsed().as_secs_f64();
    assert_eq!(exact, columnar, "column by column gives the same amounts");
    // The batch entry point: the same evaluation, spread over the cores.
    let applications: Vec<(&zijin_policy::Measure, &Facts, &[Grant])> = inputs
        .iter()
        .map(|(measure, facts, ledger)| (*measure, facts, ledger.as_slice()))
        .collect();
    let start = Instant::now();
    let batch: Vec<Decimal> = zijin_policy::eval::evaluate_many(&applications, on)
        .into_iter()
        .map(|r| r.expect("evaluation"))
        .collect();
    let batch_seconds = start.elapsed().as_secs_f64();
    assert_eq!(exact, batch, "the batch computes the same amounts");
    // Traces recorded (what an evaluation with its explanation costs) …
    let start = Instant::now();
    let mut steps = 0usize;
    let recorded: Vec<Decimal> = inputs
        .iter()
        .map(|(measure, facts, ledger)| {
            let (outcome, explanation) =
                zijin_policy::eval::evaluate_explained(measure, facts, on, ledger)
                    .expect("evaluation");
            steps += explanation.len();
            outcome.amount
        })
        .collect();
    let on_seconds = start.elapsed().as_secs_f64();
    // … and also written out in Chinese, every step.
    let (with_trace, rendered_seconds) = run(true);
    assert_eq!(exact, recorded, "traces never change an amount");
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
        "  zijin, traces off, column by column (batch::evaluate_columns): {columnar_seconds:>7.3} s  {:>12.0} evaluations/s",
        rate(columnar_seconds)
    );
    println!(
        "  zijin, traces off, evaluate_many on all cores: {batch_seconds:>7.3} s  {:>12.0} evaluations/s",
        rate(batch_seconds)
    );
    println!(
        "  zijin, traces on:    {on_seconds:>7.3} s  {:>12.0} evaluations/s  ({:.2}× traces off; target ≤ 3×; {steps} steps recorded)",
        rate(on_seconds),
        on_seconds / off_seconds
    );
    println!(
        "  zijin, traces on and written out in Chinese: {rendered_seconds:>7.3} s  {:>12.0} evaluations/s  ({:.2}× traces off)",
        rate(rendered_seconds),
        rendered_seconds / off_seconds
    );
    println!(
        "  OpenFisca {}:   {openfisca_seconds:>7.3} s  {:>12.0} evaluations/s  (vectorised, 3 simulations)",
        report["version"].as_str().unwrap_or("?"),
        rate(openfisca_seconds)
    );
    println!(
        "  target, traces off ≥ OpenFisca's throughput: {}",
        if columnar_seconds <= openfisca_seconds {
            "met by the column-by-column batch"
        } else {
            "NOT met"
        }
    );
    println!(
        "  OpenFisca amounts differing from the exact ones: {off_by_fen} of {count} by at least a fen (after rounding down), {off_by_yuan} by a yuan or more; largest difference {worst} yuan"
    );
}
