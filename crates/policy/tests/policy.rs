//! The shipped policy files, their cases, the checker's messages, and properties that must hold
//! for any input: no amount above its cap, annual sums within the annual cap, amounts that
//! never fall when their base grows.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal::Decimal;
use zijin_policy::{Grant, PolicySet, SourceFile, evaluate, parse_facts, run_cases};

fn files(directory: &str) -> Vec<SourceFile> {
    // Read at run time (cargo sets it for tests), so a reused test binary looks in this clone.
    let root = format!(
        "{}/../../policy",
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into())
    );
    let path = std::path::Path::new(&root).join(directory);
    let mut files: Vec<SourceFile> = std::fs::read_dir(&path)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .map(|p| SourceFile {
                    name: p.file_name().unwrap().to_string_lossy().into_owned(),
                    text: std::fs::read_to_string(&p).unwrap(),
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort_by(|a, b| a.name.cmp(&b.name));
    files
}

fn shipped() -> PolicySet {
    PolicySet::compile(&files(""), &files("supplements"))
        .unwrap_or_else(|problems| panic!("{problems:#?}"))
}

fn on(date: &str) -> NaiveDate {
    NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap()
}

fn facts_of(
    set: &PolicySet,
    measure: &str,
    json: serde_json::Value,
) -> (zijin_policy::Measure, zijin_policy::Facts) {
    let measure = set.measure(measure).unwrap().clone();
    let facts = parse_facts(&measure, json.as_object().unwrap()).unwrap();
    (measure, facts)
}

#[test]
fn every_funding_clause_of_the_seed_is_encoded_with_its_id() {
    let set = shipped();
    let ids: BTreeSet<&str> = set.measures.iter().map(|m| m.id.as_str()).collect();
    let expected: BTreeSet<&str> = [
        "a01-performance",
        "a03-transfer-org",
        "a03-service-org",
        "a04-innovation-harbor",
        "a06-incubator",
        "a07-consortium",
        "a08-jiebang",
        "a08-core-tech",
        "a08-major-project",
        "a08-award-industrialization",
        "a10-pov-center",
        "a10-pov-outcome",
        "a11-pilot-platform",
        "a11-pilot-outcome",
        "a13-joint-rd",
        "a13-merger",
        "a13-new-institute",
        "a15-insurance",
        "a15-finance-station",
        "a17-ip-aid-fund",
        "a18-empowerment",
        "a18-revenue-share",
        "a20-tech-manager",
        "a21-international",
    ]
    .into_iter()
    .collect();
    assert_eq!(ids, expected);
    // The carriers the seed supports in fixed numbers.
    let quotas: Vec<(String, u32)> = set
        .articles
        .iter()
        .flat_map(|a| a.quotas.iter().map(|q| (q.carrier.clone(), q.count)))
        .collect();
    assert_eq!(
        quotas,
        [
            ("市级概念验证中心".to_string(), 10),
            ("中试平台".to_string(), 20),
            ("公共技术服务平台".to_string(), 30),
            ("新型研发机构".to_string(), 40),
            ("科创金融服务驿站".to_string(), 30),
        ]
    );
    // Where a measure pays the carriers, its quota holds across the ledger.
    let quota = |id: &str| set.measure(id).unwrap().quota;
    assert_eq!(quota("a10-pov-center"), Some(10));
    assert_eq!(quota("a11-pilot-platform"), Some(20));
    assert_eq!(quota("a15-finance-station"), Some(30));
    // Each measure quotes a clause that is in its article's text.
    for measure in &set.measures {
        let article = set
            .articles
            .iter()
            .find(|a| a.number == measure.article)
            .unwrap();
        assert!(
            article.text.contains(&measure.clause),
            "{}: clause not quoted from article {}",
            measure.id,
            measure.article
        );
    }
}

#[test]
fn the_cases_pass_and_every_measure_has_at_least_three() {
    let set = shipped();
    let reports = run_cases(&set, &files("tests"));
    let failures: Vec<_> = reports.iter().filter(|r| r.failure.is_some()).collect();
    assert!(failures.is_empty(), "{failures:#?}");
    for measure in &set.measures {
        let count = reports.iter().filter(|r| r.measure == measure.id).count();
        assert!(count >= 3, "{} has {count} cases", measure.id);
    }
}

#[test]
fn a_wrong_case_is_reported_as_failed() {
    let set = shipped();
    let case = SourceFile {
        name: "wrong.toml".into(),
        text: r#"
[[case]]
name = "错误的期望"
measure = "a08-jiebang"
on = "2026-06-01"
facts = { enterprise_investment = "1000000" }
expect = { eligible = true, amount = "100000.01" }
"#
        .into(),
    };
    let reports = run_cases(&set, &[case]);
    assert_eq!(reports.len(), 1);
    let failure = reports[0].failure.as_deref().unwrap();
    assert!(
        failure.contains("金额应为 100000.01，实为 100000.00"),
        "{failure}"
    );
}

#[test]
fn money_is_exact_above_ten_million_and_rounded_down_to_the_fen() {
    let set = shipped();
    let (measure, facts) = facts_of(
        &set,
        "a08-core-tech",
        serde_json::json!({"rd_investment": 66666666.67}),
    );
    let outcome = evaluate(&measure, &facts, on("2026-06-01"), &[], true).unwrap();
    // 66,666,666.67 × 15% = 10,000,000.0005 → the cap.
    assert_eq!(outcome.amount.to_string(), "10000000");
    let (measure, facts) = facts_of(
        &set,
        "a08-core-tech",
        serde_json::json!({"rd_investment": "12345678.91"}),
    );
    let outcome = evaluate(&measure, &facts, on("2026-06-01"), &[], false).unwrap();
    // 1,851,851.8365 → 1,851,851.83 (a float32 would be off by yuan here).
    assert_eq!(format!("{:.2}", outcome.amount), "1851851.83");
}

#[test]
fn the_trace_cites_the_article_and_says_which_branch_applied() {
    let supplement = SourceFile {
        name: "supplements/2026-1.toml".into(),
        text: r#"
document = "市科技局关于技术转移奖励分档标准的通知（测试）"
[[set]]
measure = "a03-transfer-org"
parameter = "tiers_buyer"
from = "2026-01-01"
value = [{ min = "0", max = "5000000", amount = "200000" }, { min = "5000000", amount = "800000" }]
"#
        .into(),
    };
    let with_rules = PolicySet::compile(&files(""), &[supplement]).unwrap();
    let (measure, facts) = facts_of(
        &with_rules,
        "a03-transfer-org",
        serde_json::json!({"role": "吸纳方", "technology_amount": "6000000"}),
    );
    let outcome = evaluate(&measure, &facts, on("2026-06-01"), &[], true).unwrap();
    assert!(outcome.eligible);
    assert_eq!(format!("{:.2}", outcome.amount), "800000.00");
    let branches: Vec<&str> = outcome
        .trace
        .iter()
        .filter(|s| s.step == "分支")
        .map(|s| s.value.as_str())
        .collect();
    assert_eq!(
        branches,
        [
            "不成立，适用 else 分支",
            "不成立，适用 else 分支",
            "不成立，适用 else 分支"
        ],
        "transfer-org, registry-org, seller tested in turn; buyer is the last else"
    );
    let tier = outcome.trace.iter().find(|s| s.step == "参数").unwrap();
    assert!(tier.source.contains("测试") && tier.source.contains("自 2026-01-01 起"));
    assert!(outcome.trace.iter().all(|s| !s.source.is_empty()));
    assert!(
        outcome
            .trace
            .iter()
            .any(|s| s.source.starts_with("实施意见第3条"))
    );
    // Before the supplement's date the standard is not set.
    let earlier = evaluate(&measure, &facts, on("2025-12-31"), &[], true).unwrap();
    assert!(!earlier.eligible);
    assert_eq!(earlier.missing_parameters, ["tiers_buyer"]);
    assert!(earlier.reasons[0].contains("第3条吸纳方分档奖励标准尚未设定"));
}

#[test]
fn a_date_outside_every_window_is_an_error_not_a_reused_value() {
    let set = shipped();
    let (measure, facts) = facts_of(
        &set,
        "a08-jiebang",
        serde_json::json!({"enterprise_investment": "1000000"}),
    );
    let error = evaluate(&measure, &facts, on("2024-12-31"), &[], true).unwrap_err();
    assert!(error.to_string().contains("不在任何生效期内"), "{error}");
}

#[test]
fn bad_facts_are_refused_with_their_name() {
    let set = shipped();
    let measure = set.measure("a08-jiebang").unwrap();
    let refuse = |json: serde_json::Value| {
        parse_facts(measure, json.as_object().unwrap())
            .unwrap_err()
            .to_string()
    };
    assert!(refuse(serde_json::json!({"enterprise_investment": "-5"})).contains("不能为负数"));
    assert!(refuse(serde_json::json!({})).contains("缺少事实“enterprise_investment”"));
    assert!(
        refuse(serde_json::json!({"enterprise_investment": true}))
            .contains("enterprise_investment")
    );
    assert!(
        refuse(serde_json::json!({"enterprise_investment": "1", "investment": "2"}))
            .contains("未知的事实“investment”")
    );
    let empowerment = set.measure("a18-empowerment").unwrap();
    let error = parse_facts(
        empowerment,
        serde_json::json!({"pilot_unit": true, "empowered_count": 3})
            .as_object()
            .unwrap(),
    )
    .unwrap_err();
    assert!(error.to_string().contains("beneficiary"), "{error}");
}

fn check_one(text: &str) -> Vec<String> {
    match PolicySet::compile(
        &[SourceFile {
            name: "a08.toml".into(),
            text: text.into(),
        }],
        &[],
    ) {
        Ok(_) => Vec::new(),
        Err(problems) => problems.iter().map(|p| p.to_string()).collect(),
    }
}

const HEADER: &str = "article = 8\nheading = \"测试\"\ntext = \"测试\"\n";

#[test]
fn the_checker_names_file_line_and_column() {
    let text = format!(
        "{HEADER}[[measure]]\nid = \"a08-x\"\nname = \"x\"\nclause = \"x\"\napplicants = [\"企业\"]\namount = \"investment * rate\"\n[measure.facts.invest]\ntype = \"money\"\nlabel = \"投入\"\n"
    );
    let problems = check_one(&text);
    // Line 9, the value starts at column 10; "investment" is its first character.
    assert_eq!(problems, ["a08.toml:9:11: 未知的事实或参数“investment”"]);

    let text = format!(
        "{HEADER}[[measure]]\nid = \"a08-x\"\nname = \"x\"\nclause = \"x\"\napplicants = [\"企业\"]\namount = \"invest * invest\"\n[measure.facts.invest]\ntype = \"money\"\nlabel = \"投入\"\n"
    );
    let problems = check_one(&text);
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].starts_with("a08.toml:9:11: 金额不能与金额做“*”运算"),
        "{problems:?}"
    );

    let text = format!(
        "{HEADER}[[measure]]\nid = \"a08-x\"\nname = \"x\"\nclause = \"x\"\napplicants = [\"企业\"]\nconditions = [{{ when = 'kind == \"big\"', reason = \"r\" }}]\namount = \"0\"\n[measure.facts.kind]\ntype = \"enum\"\nlabel = \"类别\"\nvalues = {{ small = \"小\" }}\n"
    );
    let problems = check_one(&text);
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].contains("“big”不是“kind”的可选值（small）"),
        "{problems:?}"
    );
    assert!(problems[0].starts_with("a08.toml:9:"), "{problems:?}");
}

#[test]
fn tiers_with_gaps_or_overlaps_and_parameters_without_dates_are_refused() {
    let scale = |value: &str| {
        format!(
            "{HEADER}[[measure]]\nid = \"a08-x\"\nname = \"x\"\nclause = \"x\"\napplicants = [\"企业\"]\namount = \"scale(tiers, invest)\"\n[measure.facts.invest]\ntype = \"money\"\nlabel = \"投入\"\n[measure.params.tiers]\ntype = \"scale\"\nlabel = \"分档\"\nvalues = [{{ from = \"2025-01-01\", value = {value} }}]\n"
        )
    };
    let gap = check_one(&scale(
        r#"[{ min = "0", max = "100", amount = "1" }, { min = "200", amount = "2" }]"#,
    ));
    assert!(
        gap[0].contains("第1档与第2档之间有空档：[100, 200)"),
        "{gap:?}"
    );
    let overlap = check_one(&scale(
        r#"[{ min = "0", max = "300", amount = "1" }, { min = "200", amount = "2" }]"#,
    ));
    assert!(
        overlap[0].contains("第1档与第2档重叠：[200, 300)"),
        "{overlap:?}"
    );
    let open = check_one(&scale(
        r#"[{ min = "0", amount = "1" }, { min = "200", amount = "2" }]"#,
    ));
    assert!(open[0].contains("第1档没有上限"), "{open:?}");
    assert!(
        check_one(&scale(
            r#"[{ min = "0", max = "100", amount = "1" }, { min = "100", amount = "2" }]"#
        ))
        .is_empty()
    );
    let undated = check_one(&format!(
        "{HEADER}[[measure]]\nid = \"a08-x\"\nname = \"x\"\nclause = \"x\"\napplicants = [\"企业\"]\namount = \"cap\"\n[measure.params.cap]\ntype = \"money\"\nlabel = \"上限\"\nvalues = [{{ from = \"2025-13-01\", value = \"1\" }}]\n"
    ));
    assert!(
        undated[0].contains("生效日期“2025-13-01”无效"),
        "{undated:?}"
    );
}

#[test]
fn a_supplement_for_an_unknown_parameter_is_refused() {
    let supplement = SourceFile {
        name: "supplements/x.toml".into(),
        text: "document = \"x\"\n[[set]]\nmeasure = \"a08-jiebang\"\nparameter = \"tiers\"\nfrom = \"2026-01-01\"\nvalue = \"1\"\n".into(),
    };
    let problems = PolicySet::compile(&files(""), &[supplement]).unwrap_err();
    assert_eq!(problems.len(), 1);
    // Line 2: the [[set]] entry.
    assert!(
        problems[0]
            .to_string()
            .starts_with("supplements/x.toml:2:1:"),
        "{}",
        problems[0]
    );
    assert!(
        problems[0]
            .message
            .contains("措施“a08-jiebang”没有参数“tiers”")
    );
}

fn money(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn no_amount_exceeds_its_cap_and_amounts_never_fall_as_the_base_grows(
        cents in 0u64..10_000_000_000_000u64,
        more in 0u64..1_000_000_000u64,
        which in 0usize..5,
    ) {
        let set = shipped();
        let (id, fact, cap) = [
            ("a08-jiebang", "enterprise_investment", 2_000_000),
            ("a08-core-tech", "rd_investment", 10_000_000),
            ("a13-joint-rd", "new_investment", 3_000_000),
            ("a17-ip-aid-fund", "fund_received", 200_000),
            ("a07-consortium", "approved_amount", 5_000_000),
        ][which];
        let measure = set.measure(id).unwrap();
        let amount = |cents: u64| {
            let json = serde_json::json!({ fact: money(cents), "beneficiary": "某单位" });
            let facts = parse_facts(measure, json.as_object().unwrap()).unwrap();
            evaluate(measure, &facts, on("2026-06-01"), &[], false).unwrap().amount
        };
        let low = amount(cents);
        let high = amount(cents + more);
        prop_assert!(low <= Decimal::from(cap));
        prop_assert!(high <= Decimal::from(cap));
        prop_assert!(low <= high, "{low} > {high}");
        prop_assert_eq!(low, low.round_dp(2));
    }

    #[test]
    fn the_ledger_never_lets_a_year_exceed_the_annual_cap(
        counts in proptest::collection::vec(0u64..40, 1..12),
    ) {
        let set = shipped();
        let measure = set.measure("a18-empowerment").unwrap();
        let mut ledger: Vec<Grant> = Vec::new();
        for (month, count) in counts.iter().enumerate() {
            let date = NaiveDate::from_ymd_opt(2026, month as u32 + 1, 10).unwrap();
            let json = serde_json::json!({
                "beneficiary": "南京某大学", "pilot_unit": true, "empowered_count": count,
            });
            let facts = parse_facts(measure, json.as_object().unwrap()).unwrap();
            let outcome = evaluate(measure, &facts, date, &ledger, false).unwrap();
            if outcome.eligible {
                ledger.push(Grant {
                    beneficiary: "南京某大学".into(),
                    measure: measure.id.clone(),
                    date,
                    amount: outcome.amount,
                });
            }
            let total: Decimal = ledger.iter().map(|g| g.amount).sum();
            prop_assert!(total <= Decimal::from(1_000_000), "{total}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(60))]

    /// The column-by-column path gives exactly the amounts of evaluating row by row.
    #[test]
    fn batches_give_the_amounts_of_single_evaluations(
        rows in proptest::collection::vec(
            (0u64..5_000_000_000u64, 0u64..40, 0u64..25, any::<bool>(), any::<bool>()),
            1..60,
        ),
    ) {
        use zijin_policy::batch::{Column, Columns, evaluate_columns};
        let set = shipped();
        let on = on("2026-06-01");
        let cases: [(&str, &[&str]); 5] = [
            ("a08-jiebang", &["enterprise_investment"]),
            ("a13-joint-rd", &["new_investment"]),
            ("a07-consortium", &["approved_amount"]),
            ("a18-empowerment", &["pilot_unit", "empowered_count"]),
            ("a10-pov-outcome", &["converted_in_nanjing", "first_market_fund_equity", "approved_amount"]),
        ];
        for (id, facts) in cases {
            let measure = set.measure(id).unwrap();
            let mut columns = Columns { rows: rows.len(), ..Default::default() };
            let mut ledgers_owned: Vec<Vec<Grant>> = Vec::new();
            for (index, (cents, count, granted, a, b)) in rows.iter().enumerate() {
                columns.beneficiaries.push(format!("单位{index}"));
                ledgers_owned.push(if *granted > 0 {
                    vec![Grant {
                        beneficiary: format!("单位{index}"),
                        measure: id.to_string(),
                        date: on - chrono::Duration::days(30),
                        amount: Decimal::from(granted * 50_000),
                    }]
                } else {
                    Vec::new()
                });
                for fact in facts {
                    let entry = columns.facts.entry(fact.to_string());
                    match *fact {
                        "pilot_unit" | "converted_in_nanjing" => {
                            if let Column::Bool(v) = entry.or_insert(Column::Bool(Vec::new())) { v.push(*a) }
                        }
                        "first_market_fund_equity" => {
                            if let Column::Bool(v) = entry.or_insert(Column::Bool(Vec::new())) { v.push(*b) }
                        }
                        "empowered_count" => {
                            if let Column::Number(v) = entry.or_insert(Column::Number(Vec::new())) { v.push(Decimal::from(*count)) }
                        }
                        _ => {
                            if let Column::Number(v) = entry.or_insert(Column::Number(Vec::new())) { v.push(Decimal::new(*cents as i64, 2)) }
                        }
                    }
                }
            }
            let ledgers: Vec<&[Grant]> = ledgers_owned.iter().map(Vec::as_slice).collect();
            let batch = evaluate_columns(measure, &columns, on, &ledgers);
            // These measures are covered column by column (no fallback hides a difference).
            prop_assert!(
                zijin_policy::batch::columnar_only(measure, &columns, on, &ledgers).is_some(),
                "{} fell back", id
            );
            for (index, (cents, count, _, a, b)) in rows.iter().enumerate() {
                let mut json = serde_json::Map::new();
                json.insert("beneficiary".into(), format!("单位{index}").into());
                for fact in facts {
                    let value: serde_json::Value = match *fact {
                        "pilot_unit" | "converted_in_nanjing" => (*a).into(),
                        "first_market_fund_equity" => (*b).into(),
                        "empowered_count" => (*count).into(),
                        _ => money(*cents).into(),
                    };
                    json.insert(fact.to_string(), value);
                }
                let facts = parse_facts(measure, &json).unwrap();
                let single = evaluate(measure, &facts, on, ledgers[index], false).unwrap();
                prop_assert_eq!(batch[index].as_ref().unwrap(), &single.amount, "{} row {}", id, index);
            }
        }
    }
}

#[test]
fn a_large_batch_split_over_the_cores_keeps_every_row_in_place() {
    use zijin_policy::batch::{Column, Columns, evaluate_columns};
    let set = shipped();
    let measure = set.measure("a13-joint-rd").unwrap();
    let rows = 25_000;
    let amounts: Vec<Decimal> = (0..rows)
        .map(|i| Decimal::new(i as i64 * 123_457, 2))
        .collect();
    let columns = Columns {
        rows,
        facts: [(
            "new_investment".to_string(),
            Column::Number(amounts.clone()),
        )]
        .into(),
        beneficiaries: Vec::new(),
    };
    let batch = evaluate_columns(measure, &columns, on("2026-06-01"), &[]);
    assert_eq!(batch.len(), rows);
    for (index, amount) in amounts.iter().enumerate().step_by(997) {
        let expected = if amount.is_zero() {
            Decimal::ZERO
        } else {
            (amount * Decimal::new(20, 2))
                .min(Decimal::from(3_000_000))
                .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::ToZero)
        };
        assert_eq!(batch[index].as_ref().unwrap(), &expected, "row {index}");
    }
    // Columns of different lengths are refused row by row, not read out of bounds.
    let ragged = Columns {
        rows: 3,
        facts: [(
            "new_investment".to_string(),
            Column::Number(vec![Decimal::ONE]),
        )]
        .into(),
        beneficiaries: Vec::new(),
    };
    assert!(
        evaluate_columns(measure, &ragged, on("2026-06-01"), &[])
            .iter()
            .all(|r| r.is_err())
    );
}

#[test]
fn the_trace_writes_sub_expressions_with_the_brackets_they_need() {
    // Found by bench/fuzz: `min + (not min)` was written `min + not min`, which does not parse,
    // and `(a + b) * c` was written `a + b * c`, which means something else.
    for (text, written) in [
        ("(a + b) * c", "(a + b) * c"),
        ("a - (b - c)", "a - (b - c)"),
        ("(a - b) - c", "a - b - c"),
        ("min + (not min)", "min + (not min)"),
        ("not (a and b)", "not (a and b)"),
        ("not a < b", "not a < b"),
        ("-(a * b)", "-(a * b)"),
        ("(a < b) == c", "(a < b) == c"),
        ("(if a then 1 else 2) + 3", "(if a then 1 else 2) + 3"),
        ("if a then 1 else 2 + 3", "if a then 1 else 2 + 3"),
        ("a or b and c", "a or b and c"),
        ("(a or b) and c", "(a or b) and c"),
        ("min(x * 15%, cap)", "min(x * 0.15, cap)"),
    ] {
        let expr = zijin_policy::expr::parse(text).unwrap();
        assert_eq!(zijin_policy::eval::expr_text(&expr), written, "{text}");
    }
}
