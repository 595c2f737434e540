//! The million-record corpus of the scale benchmarks (`search_scale`, `semantic_scale`):
//! records from the demo generator (`zijin_app::demo::scale`) turned into index documents as
//! the platform does (`zijin_app::search::document`), the search-box queries, and the
//! measuring helpers both use.

use std::path::Path;
use std::time::Instant;

use zijin_app::demo::scale::ScaleGenerator;
use zijin_domain::{Achievement, Coded, Demand, RecordStatus};
use zijin_search::{Document, SearchIndex};
use zijin_store::search_feed::{IndexedRecord, RecordForIndex};

pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A line of /proc/self/status in MiB (VmRSS: resident now; VmHWM: the peak).
pub fn memory_mib(key: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with(key))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kib| kib.parse::<f64>().ok())
        })
        .map(|kib| kib / 1024.0)
        .unwrap_or(f64::NAN)
}

pub fn directory_mib(path: &Path) -> f64 {
    let bytes: u64 = std::fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0);
    bytes as f64 / (1024.0 * 1024.0)
}

pub const STAMP: &str = "2026-06-01T08:00:00+00:00";

pub fn achievement_document(generator: &ScaleGenerator, index: u64) -> Document {
    let entry = RecordForIndex {
        record: IndexedRecord::Achievement(Achievement {
            id: index as i64 + 1,
            institution_id: 1 + (index % 500) as i64,
            status: RecordStatus::Published,
            details: generator.achievement(index),
            review_comment: None,
            priority: false,
            created_at: STAMP.into(),
            updated_at: STAMP.into(),
        }),
        district: generator.district(index).code().into(),
        institution_kind: "university".into(),
    };
    zijin_app::search::document(&entry)
}

pub fn demand_document(generator: &ScaleGenerator, index: u64) -> Document {
    let entry = RecordForIndex {
        record: IndexedRecord::Demand(Demand {
            id: index as i64 + 1,
            institution_id: 1_000 + (index % 500) as i64,
            status: RecordStatus::Published,
            details: generator.demand(index),
            review_comment: None,
            priority: false,
            created_at: STAMP.into(),
            updated_at: STAMP.into(),
        }),
        district: generator.district(index + (1 << 40)).code().into(),
        institution_kind: "enterprise".into(),
    };
    zijin_app::search::document(&entry)
}

/// Search-box queries: one to three of a demand's keywords, as a user types them.
pub fn short_queries(generator: &ScaleGenerator, count: usize) -> Vec<String> {
    (0..count as u64)
        .map(|q| {
            let keywords = generator.demand(q).keywords;
            let take = 1 + (q % 3) as usize;
            let mut words: Vec<String> = keywords.into_iter().take(take).collect();
            if take == 3 {
                // A third word from another demand of the same run, so not every query is one
                // record's pair.
                words.push(generator.demand(q + 7).keywords[0].clone());
                words.truncate(3);
            }
            words.join(" ")
        })
        .collect()
}

pub struct Latency {
    pub p50: f64,
    pub p99: f64,
    pub mean: f64,
}

pub fn latency(mut millis: Vec<f64>) -> Latency {
    millis.sort_by(f64::total_cmp);
    let at = |q: f64| millis[((millis.len() as f64 * q) as usize).min(millis.len() - 1)];
    Latency {
        p50: at(0.50),
        p99: at(0.99),
        mean: millis.iter().sum::<f64>() / millis.len() as f64,
    }
}

pub fn timed_each(queries: &[String], mut run: impl FnMut(&str)) -> Latency {
    // Warm-up: the first queries read the index from disk.
    for query in queries.iter().take(100) {
        run(query);
    }
    let millis = queries
        .iter()
        .map(|query| {
            let start = Instant::now();
            run(query);
            start.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    latency(millis)
}

/// Indexes `count` generated achievements into a fresh index at `directory`: seconds taken,
/// generation included.
pub fn build_index(directory: &Path, generator: &ScaleGenerator, count: u64) -> f64 {
    let _ = std::fs::remove_dir_all(directory);
    let (index, _) = SearchIndex::open(directory).expect("index directory");
    let bar = (count >= 100_000).then_some(count / 10);
    let start = Instant::now();
    let mut batch = Vec::with_capacity(10_000);
    for n in 0..count {
        batch.push(achievement_document(generator, n));
        if batch.len() == 10_000 || n + 1 == count {
            index.upsert(&batch).expect("upsert");
            batch.clear();
        }
        if bar.is_some_and(|step| (n + 1) % step == 0) {
            eprint!("\r    indexed {} / {count}", n + 1);
        }
    }
    index.commit(Some(count as i64)).expect("commit");
    let seconds = start.elapsed().as_secs_f64();
    if bar.is_some() {
        eprintln!();
    }
    seconds
}
