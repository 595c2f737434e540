//! Issue 5, quality (a): the 9,740 real patents of `../shared/data/cn-patents/` loaded as
//! achievements; each title is a query; a hit is relevant when it shares an IPC subclass with
//! the query's patent (the examiners' judgement, not ours). precision@10 and nDCG@10 of the full
//! matcher (domain dictionary, synonyms) beside plain BM25 over jieba's own tokens, same index
//! engine, same queries, same run. Run with `bench/search-quality`.

use std::time::Instant;

use zijin_bench::{Patent, patents};
use zijin_search::{Analyzer, Document, SearchIndex};

struct Quality {
    precision: f64,
    ndcg: f64,
    seconds: f64,
    queries: usize,
}

fn measure(analyzer: &'static Analyzer, patents: &[Patent]) -> Quality {
    let index = SearchIndex::in_memory_with(analyzer).expect("index");
    let documents: Vec<Document> = patents
        .iter()
        .enumerate()
        .map(|(i, p)| Document {
            kind: "achievement".into(),
            id: i as u64,
            title: p.title.clone(),
            status: "published".into(),
            ..Document::default()
        })
        .collect();
    index.upsert(&documents).expect("add");
    index.commit(None).expect("commit");
    // How many other patents are relevant to each (for the ideal DCG).
    let relevant_count = |query: usize| {
        patents
            .iter()
            .enumerate()
            .filter(|(i, p)| *i != query && !p.classes.is_disjoint(&patents[query].classes))
            .count()
    };
    // The full search (snippets, matched terms) on the first 500 titles, for its latency.
    let start = Instant::now();
    for patent in patents.iter().take(500) {
        let _ = index.search(&patent.title, None, 10);
    }
    let full_ms = start.elapsed().as_secs_f64() * 1000.0 / 500.0;
    let start = Instant::now();
    for patent in patents.iter().take(500) {
        let _ = index.search_ids(&patent.title, 10);
    }
    let ids_ms = start.elapsed().as_secs_f64() * 1000.0 / 500.0;
    println!("    mean per query: search {full_ms:.2} ms, search_ids {ids_ms:.2} ms");
    let start = Instant::now();
    let (mut precision, mut ndcg, mut queries) = (0.0, 0.0, 0);
    for (query, patent) in patents.iter().enumerate() {
        let Ok(hits) = index.search_ids(&patent.title, 11) else {
            continue;
        };
        let ranked: Vec<usize> = hits
            .iter()
            .map(|(id, _)| *id as usize)
            .filter(|id| *id != query)
            .take(10)
            .collect();
        let gains: Vec<f64> = ranked
            .iter()
            .map(|id| {
                if patents[*id].classes.is_disjoint(&patent.classes) {
                    0.0
                } else {
                    1.0
                }
            })
            .collect();
        precision += gains.iter().sum::<f64>() / 10.0;
        let dcg: f64 = gains
            .iter()
            .enumerate()
            .map(|(rank, gain)| gain / ((rank + 2) as f64).log2())
            .sum();
        let ideal: f64 = (0..relevant_count(query).min(10))
            .map(|rank| 1.0 / ((rank + 2) as f64).log2())
            .sum();
        if ideal > 0.0 {
            ndcg += dcg / ideal;
        }
        queries += 1;
    }
    Quality {
        precision: precision / queries as f64,
        ndcg: ndcg / queries as f64,
        seconds: start.elapsed().as_secs_f64(),
        queries,
    }
}

fn main() {
    let patents = patents();
    println!(
        "search quality on {} real patents (titles as queries; relevant = shares an IPC subclass)",
        patents.len()
    );
    for (label, analyzer) in [
        ("baseline: BM25 over jieba's own tokens", Analyzer::plain()),
        ("zijin: domain dictionary + synonyms", Analyzer::shared()),
    ] {
        let quality = measure(analyzer, &patents);
        println!(
            "  {label:<40} precision@10 {:.4}  nDCG@10 {:.4}  ({} queries, {:.1} s)",
            quality.precision, quality.ndcg, quality.queries, quality.seconds
        );
    }
}
