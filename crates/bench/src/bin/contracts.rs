//! Issue 18 figures, on SQLite and PostgreSQL, in one run, with 1,000,000 registered contracts:
//! - the import of 100,000 contracts from a .csv of the national export's columns through the
//!   import use case (every row checked, then written with its aggregates in one transaction),
//!   on top of 900,000 already there; target ≤ 60 s;
//! - the statistics page (`GET /stats/contracts`, the whole city, one year) p50 / p99 over
//!   sequential requests, target p99 ≤ 100 ms; beside it, in the same run, the same figures
//!   read from the kept aggregates and grouped from the table (`GROUP BY` per dimension, the
//!   baseline the aggregates replace);
//! - the ranking of a year (`ranking::compute`), target ≤ 5 s.
//!
//! The first 900,000 contracts are written straight through the store in batches (making them
//! through the import would time the set-up, not the figures).
//!
//! Run with `bench/contracts` (CONTRACTS and IMPORT override the sizes, STATS_REQUESTS the
//! number of page requests).

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use chrono::{Duration as Days, NaiveDate};
use zijin_app::Actor;
use zijin_app::contracts::{import, ranking};
use zijin_domain::{
    Coded, ContractDetails, ContractField, ContractStatus, ContractType, CreditCode, IpType, Money,
    Party, PartyNature, RegionCode, RegistrationNumber,
};
use zijin_store::contracts::{self as store, ContractSource, NewContract, totals};
use zijin_testkit::{BACKENDS, spawn_app};

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// A small deterministic generator (xorshift), so both backends get the same contracts.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const REGIONS: [&str; 14] = [
    "320102", "320104", "320105", "320106", "320111", "320113", "320114", "320115", "320116",
    "320117", "320505", "310115", "330106", "110108",
];
const NATURES: [&str; 6] = ["022", "021", "150", "170", "160", "300"];

/// 400 sellers (a third universities and institutes) and 5,000 buyers.
struct Parties {
    sellers: Vec<(String, String, &'static str, &'static str)>,
    buyers: Vec<(String, String, &'static str, &'static str)>,
}

fn parties(g: &mut Gen) -> Parties {
    let code = |prefix: &str, k: usize| {
        CreditCode::complete(&format!("{prefix}320100MA{k:07}"))
            .expect("credit code")
            .as_str()
            .to_string()
    };
    let mut sellers = Vec::new();
    for k in 0..400 {
        let nature = if k % 3 == 0 {
            NATURES[k % 2]
        } else {
            NATURES[2 + g.below(4)]
        };
        sellers.push((
            format!("卖方单位{k}"),
            code("12", k),
            nature,
            REGIONS[g.below(10)],
        ));
    }
    let mut buyers = Vec::new();
    for k in 0..5_000 {
        buyers.push((
            format!("买方企业{k}"),
            code("91", 100_000 + k),
            NATURES[2 + g.below(4)],
            REGIONS[g.below(REGIONS.len())],
        ));
    }
    Parties { sellers, buyers }
}

/// One contract's cells, as the export writes them.
struct Row {
    number: String,
    title: String,
    kind: ContractType,
    signed_on: NaiveDate,
    registered_on: NaiveDate,
    seller: usize,
    buyer: usize,
    field: ContractField,
    total: i64,
    technology: i64,
}

fn row(g: &mut Gen, n: usize, p: &Parties) -> Row {
    let start = NaiveDate::from_ymd_opt(2025, 1, 1).expect("date");
    let registered_on = start + Days::days(g.below(690) as i64);
    // 5万 to 505万 yuan: near the registry's real mean of about 200万 a contract.
    let total = (5 + g.below(500)) as i64 * 10_000;
    let technology = total - if g.below(5) == 0 { total / 5 } else { 0 };
    Row {
        number: format!("{}{:06}", registered_on.format("%Y"), 0) + &format!("{n:06}"),
        title: format!("合同项目{n}"),
        kind: ContractType::ALL[g.below(ContractType::ALL.len())],
        signed_on: registered_on - Days::days(g.below(30) as i64),
        registered_on,
        seller: g.below(p.sellers.len()),
        buyer: g.below(p.buyers.len()),
        field: ContractField::ALL[g.below(ContractField::ALL.len())],
        total,
        technology,
    }
}

fn details(r: &Row, p: &Parties) -> ContractDetails {
    let party = |(name, code, nature, region): &(String, String, &str, &str)| Party {
        name: name.clone(),
        credit_code: CreditCode::parse(code).expect("code"),
        nature: PartyNature::parse(nature).expect("nature"),
        region: RegionCode::parse(region).expect("region"),
    };
    ContractDetails {
        title: r.title.clone(),
        contract_type: r.kind,
        equity_investment: false,
        signed_on: r.signed_on,
        valid_until: None,
        seller: party(&p.sellers[r.seller]),
        buyer: party(&p.buyers[r.buyer]),
        field: r.field,
        ip_type: IpType::Patent,
        total: Money::from_fen(r.total * 100).expect("money"),
        technology: Money::from_fen(r.technology * 100).expect("money"),
        deductions: Vec::new(),
        related_party: false,
    }
}

fn csv(rows: &[Row], p: &Parties) -> Vec<u8> {
    let mut text = String::from(
        "合同登记编号,项目名称,合同类型,签订日期,卖方名称,卖方统一社会信用代码,卖方性质,卖方行政区划,买方名称,买方统一社会信用代码,买方性质,买方行政区划,技术领域,知识产权类型,成交额,技术交易额,登记日期\n",
    );
    for r in rows {
        let s = &p.sellers[r.seller];
        let b = &p.buyers[r.buyer];
        let _ = writeln!(
            text,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},专利,{}.00,{}.00,{}",
            r.number,
            r.title,
            r.kind.label().replace(['（', '）'], "-"),
            r.signed_on,
            s.0,
            s.1,
            s.2,
            s.3,
            b.0,
            b.1,
            b.2,
            b.3,
            r.field.label(),
            r.total,
            r.technology,
            r.registered_on
        );
    }
    text.into_bytes()
}

#[tokio::main]
async fn main() {
    let contracts: usize = env_or("CONTRACTS", 1_000_000);
    let imported: usize = env_or("IMPORT", 100_000);
    let requests: usize = env_or("STATS_REQUESTS", 200);
    let seeded = contracts - imported;
    println!(
        "# issue 18 figures: {contracts} contracts ({seeded} written through the store, {imported} imported)"
    );
    for backend in BACKENDS {
        let server = spawn_app(backend).await;
        let app = &server.context.app;
        let mut g = Gen(0x5eed_2026_1204);
        let p = parties(&mut g);
        let started = Instant::now();
        let at = app.now();
        let mut n = 0;
        while n < seeded {
            let chunk = (seeded - n).min(50_000);
            let rows: Vec<Row> = (n..n + chunk).map(|k| row(&mut g, k, &p)).collect();
            let all: Vec<ContractDetails> = rows.iter().map(|r| details(r, &p)).collect();
            let numbers: Vec<RegistrationNumber> = rows
                .iter()
                .map(|r| RegistrationNumber::parse(&r.number).expect("number"))
                .collect();
            let new: Vec<NewContract<'_>> = rows
                .iter()
                .zip(&all)
                .zip(&numbers)
                .map(|((r, d), number)| NewContract {
                    details: d,
                    number: Some(number),
                    status: ContractStatus::Registered,
                    registry_id: None,
                    seller_institution_id: None,
                    broker_institution_id: None,
                    broker_name: "",
                    broker_user_id: None,
                    match_id: None,
                    achievement_id: None,
                    source: ContractSource::Import,
                    accepted_on: None,
                    due_on: None,
                    registered_on: Some(r.registered_on),
                    submitted_by: None,
                    is_demo: false,
                })
                .collect();
            let mut deltas = totals::Deltas::new();
            for (r, d) in rows.iter().zip(&all) {
                use chrono::Datelike;
                totals::add_contract(
                    &mut deltas,
                    d,
                    r.registered_on.year(),
                    r.registered_on.month(),
                    1,
                );
            }
            let mut tx = app.store().begin_write().await.expect("begin");
            store::insert_many(&mut tx, &new, at).await.expect("insert");
            totals::apply(&mut tx, &deltas).await.expect("totals");
            tx.commit().await.expect("commit");
            n += chunk;
        }
        println!(
            "\n## {backend:?}\nset-up: {seeded} contracts written in {:.1} s",
            started.elapsed().as_secs_f64()
        );

        let rows: Vec<Row> = (seeded..contracts).map(|k| row(&mut g, k, &p)).collect();
        let file = csv(&rows, &p);
        let started = Instant::now();
        let outcome = import::import(app, &Actor::System("bench"), &file, &|_, _| {})
            .await
            .expect("import");
        let took = started.elapsed();
        match outcome {
            import::Outcome::Imported { count } => println!(
                "import of {count} contracts ({:.1} MB .csv): {:.1} s (target ≤ 60 s)",
                file.len() as f64 / 1_048_576.0,
                took.as_secs_f64()
            ),
            import::Outcome::Refused(report) => panic!("import refused: {:?}", report.lines()),
        }

        let client = reqwest::Client::new();
        let url = server.url("/stats/contracts?year=2026");
        let first = client.get(&url).send().await.expect("page");
        assert_eq!(first.status(), 200);
        let mut page = Vec::with_capacity(requests);
        for _ in 0..requests {
            let started = Instant::now();
            let response = client.get(&url).send().await.expect("page");
            let _ = response.bytes().await.expect("body");
            page.push(started.elapsed());
        }
        page.sort();
        println!(
            "statistics page GET /stats/contracts ({requests} requests): p50 {} p99 {} (target p99 ≤ 100 ms)",
            ms(percentile(&page, 0.5)),
            ms(percentile(&page, 0.99))
        );
        let pool = app.store().pool();
        let mut kept = Vec::new();
        let mut grouped = Vec::new();
        for _ in 0..20 {
            let started = Instant::now();
            let a = totals::read(pool, totals::CITY, 2026).await.expect("read");
            kept.push(started.elapsed());
            let started = Instant::now();
            let b = totals::recount(pool, totals::CITY, 2026)
                .await
                .expect("recount");
            grouped.push(started.elapsed());
            assert_eq!(a, b, "kept aggregates equal the GROUP BY");
        }
        kept.sort();
        grouped.sort();
        println!(
            "same figures, 20 reads each: kept aggregates p50 {} p99 {}; GROUP BY over the table (baseline) p50 {} p99 {}",
            ms(percentile(&kept, 0.5)),
            ms(percentile(&kept, 0.99)),
            ms(percentile(&grouped, 0.5)),
            ms(percentile(&grouped, 0.99))
        );
        for year in [2025, 2026] {
            let started = Instant::now();
            let r = ranking::compute(app, year).await.expect("ranking");
            println!(
                "ranking of {year}: {} units in {:.2} s (target ≤ 5 s)",
                r.entries.len(),
                started.elapsed().as_secs_f64()
            );
        }
    }
}
