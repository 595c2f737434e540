//! Issue 19 figure, on SQLite and PostgreSQL in one run: evaluating 10,000 recognised carriers'
//! year (`carriers::evaluation::evaluate`: the platform's figures by a few GROUP BY queries, every
//! submitted report with its reviewers' scores, scoring, and the 10,000 results written in one
//! transaction), target ≤ 10 s; and the JSON `zijin carriers evaluate --json` prints.
//!
//! Beside it, in the same run, the baseline it replaces: each carrier's platform figures asked
//! one carrier at a time (six queries a carrier), timed on a sample.
//!
//! The set-up writes 10,000 institutions, their carriers, submitted and scored reports and
//! 200,000 registered contracts of the year (brokered by and sold by those institutions)
//! straight into the tables in batches; matches, list issues and applications stay empty.
//!
//! Run with `bench/carriers` (CARRIERS, CONTRACTS and BASELINE_SAMPLE change the sizes).

use std::time::Instant;

use zijin_app::Actor;
use zijin_app::carriers::evaluation;
use zijin_domain::Coded;
use zijin_testkit::{BACKENDS, TestContext};

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Carrier types without a quota (so 10,000 can be recognised).
const TYPES: [&str; 7] = [
    "transfer-org",
    "service-org",
    "ip-operation",
    "university-science-park",
    "transfer-center",
    "innovation-harbor",
    "benchmark-incubator",
];

fn credit(k: usize) -> String {
    zijin_domain::CreditCode::complete(&format!("91320115MA{k:06}0"))
        .expect("credit code")
        .to_string()
}

async fn run(sql: &str, tx: &mut zijin_store::WriteTx) {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(&mut **tx)
        .await
        .unwrap_or_else(|e| panic!("{e}: {}", &sql[..sql.len().min(200)]));
}

async fn seed(context: &TestContext, carriers: usize, contracts: usize) {
    let at = "2026-01-05T00:00:00.000Z";
    let districts: Vec<&str> = zijin_domain::District::ALL
        .iter()
        .map(|d| d.code())
        .collect();
    let mut tx = context.app.store().begin_write().await.expect("begin");
    for chunk in (0..carriers).collect::<Vec<_>>().chunks(500) {
        let values: Vec<String> = chunk
            .iter()
            .map(|k| {
                format!(
                    "('载体依托机构{k}', 'service-org', '{}', '{}', '{at}', '{at}')",
                    credit(*k),
                    districts[k % districts.len()]
                )
            })
            .collect();
        run(
            &format!(
                "INSERT INTO institutions (name, kind, credit_code, district, created_at, updated_at) VALUES {}",
                values.join(", ")
            ),
            &mut tx,
        )
        .await;
    }
    // Institutions get ids 1..=carriers in a fresh database; carrier k belongs to institution k+1.
    for chunk in (0..carriers).collect::<Vec<_>>().chunks(500) {
        let values: Vec<String> = chunk
            .iter()
            .map(|k| {
                format!(
                    "({}, '{}', '载体{k}', 'recognised', '2025-06-01', 0, '{at}', '{at}')",
                    k + 1,
                    TYPES[k % TYPES.len()]
                )
            })
            .collect();
        run(
            &format!(
                "INSERT INTO carriers (institution_id, carrier_type, name, status, recognised_on, is_demo, created_at, updated_at) VALUES {}",
                values.join(", ")
            ),
            &mut tx,
        )
        .await;
    }
    // Every report submitted with every reported value and scored.
    let reported = serde_json::json!({
        "staff": "8", "certified": "3", "clients": "40", "tenants": "25", "incubated": "12",
        "area": "1800", "services": "22",
    })
    .to_string();
    let evidence = serde_json::json!({ "staff": "人员名单.pdf" }).to_string();
    for chunk in (0..carriers).collect::<Vec<_>>().chunks(500) {
        let values: Vec<String> = chunk
            .iter()
            .map(|k| {
                let scores = serde_json::json!({
                    "ability": (5 + k % 11).to_string(),
                    "management": (8 + k % 13).to_string(),
                    "reputation": (4 + k % 7).to_string(),
                })
                .to_string();
                format!(
                    "({}, 2026, 'submitted', '{reported}', '{evidence}', '', '{at}', '{scores}', '{at}', '{at}', '{at}')",
                    k + 1
                )
            })
            .collect();
        run(
            &format!(
                "INSERT INTO carrier_reports (carrier_id, year, status, reported, evidence, summary, submitted_at, scores, scored_at, created_at, updated_at) VALUES {}",
                values.join(", ")
            ),
            &mut tx,
        )
        .await;
    }
    // Registered contracts of 2026: sold by one institution, brokered by another.
    let mut state: u64 = 0x5eed_1919;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for chunk in (0..contracts).collect::<Vec<_>>().chunks(1_000) {
        let values: Vec<String> = chunk
            .iter()
            .map(|n| {
                let seller = (next() % carriers as u64) as usize;
                let broker = (next() % carriers as u64) as usize + 1;
                let fen = (5 + next() % 500) as i64 * 1_000_000;
                format!(
                    "('合同{n}', 'development-commissioned', 'development', '2026-03-01', '卖方{seller}', '{}', '150', '320115', '南京', \
                     '买方', '{}', '150', '320115', '南京', 1, 'electronics', 'patent', {fen}, {fen}, 'registered', 2026, 3, {broker}, 'import', '{at}', '{at}')",
                    credit(seller),
                    credit(carriers + 1)
                )
            })
            .collect();
        run(
            &format!(
                "INSERT INTO tech_contracts (title, contract_type, contract_kind, signed_on, seller_name, seller_credit_code, seller_nature, \
                 seller_region, seller_place, buyer_name, buyer_credit_code, buyer_nature, buyer_region, buyer_place, in_city, field, ip_type, \
                 total_fen, technology_fen, status, stat_year, stat_month, broker_institution_id, source, created_at, updated_at) VALUES {}",
                values.join(", ")
            ),
            &mut tx,
        )
        .await;
    }
    tx.commit().await.expect("commit");
}

/// The baseline: one carrier's platform figures asked one carrier at a time.
async fn per_carrier(context: &TestContext, institution_id: i64, code: &str) {
    let pool = context.app.store().pool();
    let queries: [(&str, bool); 6] = [
        (
            "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(technology_fen), 0) AS BIGINT) AS fen FROM tech_contracts WHERE status = 'registered' AND stat_year = 2026 AND broker_institution_id = $1",
            true,
        ),
        (
            "SELECT COUNT(*) AS n FROM tech_contracts WHERE status = 'registered' AND stat_year = 2026 AND registry_id = $1",
            true,
        ),
        (
            "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(technology_fen), 0) AS BIGINT) AS fen FROM tech_contracts WHERE status = 'registered' AND stat_year = 2026 AND seller_credit_code = $1",
            false,
        ),
        (
            "SELECT COUNT(*) AS n FROM matches m JOIN achievements a ON a.id = m.achievement_id WHERE m.stage = 'signed' AND a.institution_id = $1",
            true,
        ),
        (
            "SELECT COUNT(*) AS n FROM list_entries e JOIN achievements a ON a.id = e.record_id AND e.kind = 'achievement' WHERE a.institution_id = $1",
            true,
        ),
        (
            "SELECT COUNT(*) AS n FROM applications WHERE institution_id = $1",
            true,
        ),
    ];
    for (sql, by_id) in queries {
        let query = sqlx::query(sql);
        let query = if by_id {
            query.bind(institution_id)
        } else {
            query.bind(code.to_string())
        };
        query.fetch_one(pool).await.expect("baseline query");
    }
}

#[tokio::main]
async fn main() {
    let carriers: usize = env_or("CARRIERS", 10_000);
    let contracts: usize = env_or("CONTRACTS", 200_000);
    let sample: usize = env_or("BASELINE_SAMPLE", 200);
    println!(
        "# issue 19: evaluating {carriers} carriers' year 2026 ({contracts} registered contracts)"
    );
    println!("| figure | SQLite / PostgreSQL run |");
    for backend in BACKENDS {
        let context = TestContext::new(backend).await;
        let started = Instant::now();
        seed(&context, carriers, contracts).await;
        let seeded = started.elapsed();
        let actor = Actor::System("bench");
        let mut runs = Vec::new();
        let mut last = None;
        for _ in 0..3 {
            let started = Instant::now();
            let year = evaluation::evaluate(&context.app, &actor, 2026)
                .await
                .expect("evaluate");
            runs.push(started.elapsed());
            last = Some(year);
        }
        let year = last.expect("a run");
        assert_eq!(year.results.len(), carriers);
        let started = Instant::now();
        let rows: Vec<serde_json::Value> = year.results.iter().map(|r| r.to_json()).collect();
        let printed = serde_json::to_string_pretty(&rows).expect("json");
        let json_time = started.elapsed();
        let grades = evaluation::grade_counts(&year.results)
            .into_iter()
            .map(|(g, n)| format!("{} {n}", g.label()))
            .collect::<Vec<_>>()
            .join(", ");
        let started = Instant::now();
        for k in 0..sample.min(carriers) {
            per_carrier(&context, k as i64 + 1, &credit(k)).await;
        }
        let baseline = started.elapsed();
        let per = baseline.as_secs_f64() / sample.min(carriers) as f64;
        println!(
            "{backend:?}: set-up {:.1} s; evaluate ×3: {}; JSON of the results {:.2} s ({:.1} MB); grades: {grades}; \
             baseline (figures asked per carrier, 6 queries each) on {sample} carriers: {:.2} s = {:.1} ms a carrier",
            seeded.as_secs_f64(),
            runs.iter()
                .map(|d| format!("{:.2} s", d.as_secs_f64()))
                .collect::<Vec<_>>()
                .join(", "),
            json_time.as_secs_f64(),
            printed.len() as f64 / 1_048_576.0,
            baseline.as_secs_f64(),
            per * 1000.0,
        );
    }
}
