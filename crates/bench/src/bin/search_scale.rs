//! Issue 5, figures at scale: 1,000,000 achievements from the demo generator
//! (`zijin_app::demo::scale`) turned into index documents exactly as the platform does
//! (`zijin_app::search::document`), indexed on disk; documents per second, resident memory,
//! top-10 search latency, and 10,000 demands matched. Beside it in the same run: SQLite FTS5
//! with the trigram tokenizer over the same 1,000,000 texts, and Python jieba + rank_bm25 over
//! the first 100,000 (our index is measured at 100,000 too, for the ratio). Run with
//! `bench/search-scale`; sizes from `ZIJIN_BENCH_DOCS`, `ZIJIN_BENCH_BM25_DOCS`,
//! `ZIJIN_BENCH_QUERIES`, `ZIJIN_BENCH_DEMANDS`; `ZIJIN_BENCH_POSTINGS` measures another postings
//! budget, `ZIJIN_BENCH_ONLY_ZIJIN` leaves the baselines out.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use sqlx::Connection;
use zijin_app::demo::scale::ScaleGenerator;
use zijin_bench::scale::{
    Latency, achievement_document, build_index, demand_document, directory_mib, env_or, latency,
    memory_mib, short_queries, timed_each,
};
use zijin_search::{
    FieldLabels, MatchConfig, Scope, SearchIndex, SearchRequest, Seeker, recommend,
};

fn request(text: &str, facets: bool) -> SearchRequest {
    SearchRequest {
        kind: Some("achievement".into()),
        scope: Scope::Public,
        limit: 10,
        with_facets: facets,
        ..SearchRequest::new(text)
    }
}

/// The shipped matcher's configuration, with the postings budget of `ZIJIN_BENCH_POSTINGS` when
/// set (to measure another budget without editing `config/matching.toml`).
fn match_config() -> MatchConfig {
    let mut config = MatchConfig::shipped();
    config.candidates.postings = env_or("ZIJIN_BENCH_POSTINGS", config.candidates.postings);
    config
}

fn field_labels() -> FieldLabels {
    zijin_domain::TechnicalField::defaults()
        .into_iter()
        .map(|f| (f.code, f.label))
        .collect()
}

/// Matches `count` generated demands against the index on two threads: seconds taken and the
/// mean number of recommendations per demand.
fn match_demands(index: &SearchIndex, generator: &ScaleGenerator, count: usize) -> (f64, f64) {
    let config = match_config();
    let labels = field_labels();
    let next = AtomicUsize::new(0);
    let made = AtomicUsize::new(0);
    let start = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= count {
                        break;
                    }
                    let document = demand_document(generator, n as u64);
                    let seeker = Seeker {
                        text: format!("{} {}", document.title, document.body),
                        profile: document.profile,
                        own: None,
                        vector: None,
                    };
                    let kept = recommend(
                        index,
                        &config,
                        &labels,
                        &seeker,
                        "achievement",
                        Scope::Listed,
                        config.candidates.keep,
                    )
                    .expect("recommend");
                    let kept = kept
                        .iter()
                        .filter(|r| r.score >= config.candidates.minimum_score)
                        .count();
                    made.fetch_add(kept, Ordering::Relaxed);
                }
            });
        }
    });
    (
        start.elapsed().as_secs_f64(),
        made.into_inner() as f64 / count as f64,
    )
}

/// How far the postings budget changes what is recommended: for the first `count` demands the
/// top 5 with the shipped budget against the top 5 with none (share of the same records, share
/// with the same first) and the milliseconds a demand takes without a budget, on one thread.
fn budget_agreement(
    index: &SearchIndex,
    generator: &ScaleGenerator,
    count: usize,
) -> (f64, f64, f64) {
    let config = match_config();
    let mut unlimited = config.clone();
    unlimited.candidates.postings = u64::MAX / 4;
    let labels = field_labels();
    let (mut same, mut same_first, mut seconds) = (0, 0, 0.0);
    for n in 0..count {
        let document = demand_document(generator, n as u64);
        let seeker = Seeker {
            text: format!("{} {}", document.title, document.body),
            profile: document.profile,
            own: None,
            vector: None,
        };
        let top = |config: &MatchConfig| {
            recommend(
                index,
                config,
                &labels,
                &seeker,
                "achievement",
                Scope::Listed,
                5,
            )
            .expect("recommend")
        };
        let budgeted = top(&config);
        let start = Instant::now();
        let full = top(&unlimited);
        seconds += start.elapsed().as_secs_f64();
        same += budgeted
            .iter()
            .filter(|r| full.iter().any(|f| f.id == r.id))
            .count();
        same_first += usize::from(budgeted.first().map(|r| r.id) == full.first().map(|f| f.id));
    }
    (
        same as f64 / (5 * count) as f64,
        same_first as f64 / count as f64,
        seconds * 1000.0 / count as f64,
    )
}

/// SQLite FTS5, trigram tokenizer: the same texts, the same search-box queries (each word a
/// quoted phrase, any of them, ranked by FTS5's bm25, with a snippet).
async fn fts5(path: &Path, generator: &ScaleGenerator, count: u64, queries: &[String]) -> Fts5 {
    let _ = std::fs::remove_file(path);
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Off)
        .synchronous(sqlx::sqlite::SqliteSynchronous::Off);
    let mut connection = sqlx::SqliteConnection::connect_with(&options)
        .await
        .expect("sqlite");
    sqlx::query("CREATE VIRTUAL TABLE docs USING fts5(title, body, tokenize = 'trigram')")
        .execute(&mut connection)
        .await
        .expect("FTS5 with the trigram tokenizer (SQLite 3.34 or later)");
    let start = Instant::now();
    let mut n = 0;
    while n < count {
        let mut tx = connection.begin().await.expect("begin");
        for _ in 0..10_000.min(count - n) {
            let document = achievement_document(generator, n);
            sqlx::query("INSERT INTO docs (rowid, title, body) VALUES (?, ?, ?)")
                .bind(document.id as i64)
                .bind(&document.title)
                .bind(&document.body)
                .execute(&mut *tx)
                .await
                .expect("insert");
            n += 1;
        }
        tx.commit().await.expect("commit");
        if count >= 100_000 && n % (count / 10) == 0 {
            eprint!("\r    FTS5 inserted {n} / {count}");
        }
    }
    eprintln!();
    let index_seconds = start.elapsed().as_secs_f64();
    let size_mib = std::fs::metadata(path)
        .map(|m| m.len() as f64 / (1024.0 * 1024.0))
        .unwrap_or(f64::NAN);
    let expression = |query: &str| {
        query
            .split_whitespace()
            .map(|word| format!("\"{}\"", word.replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(" OR ")
    };
    let mut millis = Vec::with_capacity(queries.len());
    let mut empty = 0;
    for (position, query) in queries.iter().enumerate() {
        let start = Instant::now();
        let rows = sqlx::query(
            "SELECT rowid, title, snippet(docs, 1, '<b>', '</b>', '…', 16) FROM docs \
             WHERE docs MATCH ? ORDER BY rank LIMIT 10",
        )
        .bind(expression(query))
        .fetch_all(&mut connection)
        .await
        .expect("FTS5 query");
        // The first 100 warm the cache, as for our index.
        if position >= 100 {
            millis.push(start.elapsed().as_secs_f64() * 1000.0);
            empty += usize::from(rows.is_empty());
        }
    }
    Fts5 {
        index_seconds,
        size_mib,
        latency: latency(millis),
        empty,
    }
}

struct Fts5 {
    index_seconds: f64,
    size_mib: f64,
    latency: Latency,
    empty: usize,
}

#[derive(serde::Deserialize)]
struct Bm25 {
    index_seconds: f64,
    p50_ms: f64,
    p99_ms: f64,
    mean_ms: f64,
    queries: usize,
    max_rss_mib: f64,
}

/// Python jieba + rank_bm25 over the same documents and queries (`bench/bm25/bm25.py`).
fn python_bm25(
    python: &str,
    work: &Path,
    generator: &ScaleGenerator,
    count: u64,
    queries: &[String],
) -> Bm25 {
    let documents = work.join("bm25-documents.tsv");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&documents).expect("tsv"));
    for n in 0..count {
        let document = achievement_document(generator, n);
        writeln!(
            file,
            "{}\t{}\t{}",
            document.id, document.title, document.body
        )
        .expect("write");
    }
    file.flush().expect("flush");
    let query_file = work.join("bm25-queries.txt");
    std::fs::write(&query_file, queries.join("\n")).expect("queries");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../bench/bm25/bm25.py");
    let output = std::process::Command::new(python)
        .arg(script)
        .arg(&documents)
        .arg(&query_file)
        .stderr(std::process::Stdio::inherit())
        .output()
        .expect("python");
    assert!(output.status.success(), "bm25.py failed");
    serde_json::from_slice(&output.stdout).expect("bm25.py prints JSON")
}

fn main() {
    let documents: u64 = env_or("ZIJIN_BENCH_DOCS", 1_000_000);
    let bm25_documents: u64 = env_or("ZIJIN_BENCH_BM25_DOCS", 100_000);
    let query_count: usize = env_or("ZIJIN_BENCH_QUERIES", 2_000);
    let bm25_queries: usize = env_or("ZIJIN_BENCH_BM25_QUERIES", 300);
    let demands: usize = env_or("ZIJIN_BENCH_DEMANDS", 10_000);
    let work = PathBuf::from(
        std::env::var("ZIJIN_BENCH_DIR")
            .unwrap_or_else(|_| "/var/tmp/zijin-bench/search-scale".into()),
    );
    std::fs::create_dir_all(&work).expect("work directory");
    let generator = ScaleGenerator::new();
    let queries = short_queries(&generator, query_count + 100);
    let demand_texts: Vec<String> = (0..query_count as u64 + 100)
        .map(|n| {
            let d = demand_document(&generator, n);
            format!("{} {}", d.title, d.body)
        })
        .collect();
    println!("search at scale: {documents} achievements from the demo generator, 2 cores");
    println!("  query sample: {:?} / {:?}", queries[0], demand_texts[0]);

    // Ours at full size.
    let directory = work.join("index");
    let seconds = build_index(&directory, &generator, documents);
    println!(
        "  zijin index: {documents} documents in {seconds:.1} s = {:.0} documents/s (generation included); \
         peak resident {:.0} MiB while indexing; index on disk {:.0} MiB",
        documents as f64 / seconds,
        memory_mib("VmHWM:"),
        directory_mib(&directory)
    );
    let full_short = {
        // A fresh open, as a server process starts.
        let (index, _) = SearchIndex::open(&directory).expect("reopen");
        let short = timed_each(&queries, |q| {
            index.run(&request(q, false)).expect("search");
        });
        let faceted = timed_each(&queries, |q| {
            index.run(&request(q, true)).expect("search");
        });
        let long = timed_each(&demand_texts, |q| {
            index.run(&request(q, false)).expect("search");
        });
        println!(
            "  zijin top-10 search ({query_count} queries after 100 warm-up, snippets and matched terms):"
        );
        for (label, l) in [
            ("1–3 words", &short),
            ("1–3 words + facet counts", &faceted),
            ("a demand's whole text", &long),
        ] {
            println!(
                "    {label:<28} p50 {:.2} ms  p99 {:.2} ms  mean {:.2} ms",
                l.p50, l.p99, l.mean
            );
        }
        let (match_seconds, kept) = match_demands(&index, &generator, demands);
        println!(
            "  zijin matching: {demands} demands in {match_seconds:.1} s on 2 threads ({:.1} ms a demand, {kept:.1} recommendations kept each)",
            match_seconds * 1000.0 / demands as f64
        );
        let (same, same_first, unlimited_ms) = budget_agreement(&index, &generator, 500);
        println!(
            "  postings budget {}: of 500 demands' top 5, {:.1} % the same as with no budget ({:.1} % the same first); with no budget {unlimited_ms:.1} ms a demand on one thread",
            match_config().candidates.postings,
            same * 100.0,
            same_first * 100.0
        );
        println!(
            "  zijin resident memory after searching and matching: {:.0} MiB (index, jieba dictionary, process)",
            memory_mib("VmRSS:")
        );
        short
    };

    if std::env::var_os("ZIJIN_BENCH_ONLY_ZIJIN").is_some() {
        println!("  (ZIJIN_BENCH_ONLY_ZIJIN set: the baselines are not run)");
        return;
    }
    // SQLite FTS5 trigram at full size.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let fts = runtime.block_on(fts5(
        &work.join("fts5.sqlite"),
        &generator,
        documents,
        &queries,
    ));
    println!(
        "  SQLite FTS5 trigram: {documents} documents in {:.1} s = {:.0} documents/s; file {:.0} MiB; \
         top-10 p50 {:.2} ms  p99 {:.2} ms  mean {:.2} ms; {} of {query_count} queries found nothing",
        fts.index_seconds,
        documents as f64 / fts.index_seconds,
        fts.size_mib,
        fts.latency.p50,
        fts.latency.p99,
        fts.latency.mean,
        fts.empty
    );
    let _ = std::fs::remove_file(work.join("fts5.sqlite"));

    // Python jieba + rank_bm25 at 100,000, and ours at the same size.
    let small = &queries[..(bm25_queries + 100).min(queries.len())];
    let small_directory = work.join("index-small");
    let small_seconds = build_index(&small_directory, &generator, bm25_documents);
    let (small_index, _) = SearchIndex::open(&small_directory).expect("reopen");
    let ours = timed_each(small, |q| {
        small_index.run(&request(q, false)).expect("search");
    });
    println!(
        "  zijin at {bm25_documents}: indexed in {small_seconds:.1} s; top-10 p50 {:.2} ms  p99 {:.2} ms  mean {:.2} ms",
        ours.p50, ours.p99, ours.mean
    );
    match std::env::var("ZIJIN_BENCH_PYTHON") {
        Ok(python) => {
            let bm25 = python_bm25(&python, &work, &generator, bm25_documents, small);
            println!(
                "  Python jieba + rank_bm25 at {bm25_documents}: indexed in {:.1} s; top-10 p50 {:.2} ms  p99 {:.2} ms  mean {:.2} ms ({} queries); peak resident {:.0} MiB",
                bm25.index_seconds,
                bm25.p50_ms,
                bm25.p99_ms,
                bm25.mean_ms,
                bm25.queries,
                bm25.max_rss_mib
            );
            println!(
                "  ratios at {bm25_documents} (Python ÷ zijin): indexing {:.1}×, p50 {:.0}×, p99 {:.0}×",
                bm25.index_seconds / small_seconds,
                bm25.p50_ms / ours.p50,
                bm25.p99_ms / ours.p99
            );
        }
        Err(_) => println!(
            "  Python jieba + rank_bm25: skipped (ZIJIN_BENCH_PYTHON not set; bench/search-scale sets it)"
        ),
    }
    println!(
        "  ratios at {documents} (FTS5 ÷ zijin): indexing time {:.1}×, p50 {:.1}×, p99 {:.1}×",
        fts.index_seconds / seconds,
        fts.latency.p50 / full_short.p50,
        fts.latency.p99 / full_short.p99
    );
}
