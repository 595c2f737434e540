//! The search box's quality (issues 5 and 15): the 9,740 real patents of
//! `../shared/data/cn-patents/` as achievements; a patent's title is the query (the patent itself
//! left out of its results); a hit is relevant when it shares an IPC subclass with the query's
//! patent (the examiners' judgement, not ours). precision@10 and nDCG@10 of plain BM25 over
//! jieba's search cut (the named baseline), Zijin's search by text, and Zijin's search box as
//! the platform runs it with the semantic model (text and nearest records fused), on 150
//! random queries for each of 3 seeds, in one run. Run with `bench/search-quality`; vectors
//! are cached in `/var/tmp/zijin-bench/`.

use std::collections::HashMap;
use std::time::Instant;

use zijin_bench::eval::Bm25;
use zijin_bench::{Patent, patents};
use zijin_embed::{Embedder, Role};
use zijin_search::{Document, MatchConfig, SearchIndex, SearchRequest, Vectors};

const QUERIES: usize = 150;

/// A method: the ranked patent positions for a query patent's position.
type Ranking<'a> = Box<dyn Fn(usize) -> Vec<u64> + 'a>;
const SEEDS: [u64; 3] = [1, 2, 3];

#[derive(Default, Clone, Copy)]
struct Quality {
    precision: f64,
    ndcg: f64,
}

/// precision@10 and nDCG@10 of a ranking (ids = patent positions) for query patent `query`.
fn quality(patents: &[Patent], relevant_count: usize, query: usize, ranked: &[u64]) -> Quality {
    let gains: Vec<f64> = ranked
        .iter()
        .map(|id| *id as usize)
        .filter(|id| *id != query)
        .take(10)
        .map(|id| {
            if patents[id].classes.is_disjoint(&patents[query].classes) {
                0.0
            } else {
                1.0
            }
        })
        .collect();
    let dcg: f64 = gains
        .iter()
        .enumerate()
        .map(|(rank, gain)| gain / ((rank + 2) as f64).log2())
        .sum();
    let ideal: f64 = (0..relevant_count.min(10))
        .map(|rank| 1.0 / ((rank + 2) as f64).log2())
        .sum();
    Quality {
        precision: gains.iter().sum::<f64>() / 10.0,
        ndcg: if ideal > 0.0 { dcg / ideal } else { 0.0 },
    }
}

/// `count` distinct positions below `n`, from `seed` (xorshift: the same every run).
fn sample(seed: u64, n: usize, count: usize) -> Vec<usize> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut chosen = Vec::with_capacity(count);
    while chosen.len() < count.min(n) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let pick = (state % n as u64) as usize;
        if !chosen.contains(&pick) {
            chosen.push(pick);
        }
    }
    chosen
}

fn main() {
    let patents = patents();
    println!(
        "search-box quality on {} real patents (a title as the query; relevant = shares an IPC subclass); {QUERIES} random queries per seed",
        patents.len()
    );
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
    let index = SearchIndex::in_memory().expect("index");
    index.upsert(&documents).expect("add");
    index.commit(None).expect("commit");
    // Titles have no punctuation to speak of: the two baselines coincide here.
    let bm25 = Bm25::new(&documents);
    let config = MatchConfig::shipped();
    let embedder = std::env::var("ZIJIN_E5_MODEL")
        .ok()
        .map(|path| Embedder::load(std::path::Path::new(&path)).expect("the semantic model loads"));
    let mut vectors_of_queries: HashMap<usize, Vec<f32>> = HashMap::new();
    if let Some(embedder) = &embedder {
        let start = Instant::now();
        let titles: Vec<&str> = patents.iter().map(|p| p.title.as_str()).collect();
        let passages = embedder.embed_all(&titles, Role::Passage, 2);
        let mut stored = Vectors::new(embedder.dimension(), 0, config.semantic.vector_settings());
        for (document, vector) in documents.iter().zip(&passages) {
            stored.insert("achievement", document.id, 0, vector);
        }
        *index.vectors_mut() = Some(stored);
        println!(
            "  ({} titles embedded in {:.0} s)",
            titles.len(),
            start.elapsed().as_secs_f64()
        );
        for seed in SEEDS {
            for query in sample(seed, patents.len(), QUERIES) {
                vectors_of_queries
                    .entry(query)
                    .or_insert_with(|| embedder.embed(&patents[query].title, Role::Query));
            }
        }
    }
    let relevant_count = |query: usize| {
        patents
            .iter()
            .enumerate()
            .filter(|(i, p)| *i != query && !p.classes.is_disjoint(&patents[query].classes))
            .count()
    };
    let zijin = |query: usize, semantic: bool| -> Vec<u64> {
        let mut request = SearchRequest::new(patents[query].title.clone());
        request.limit = 11;
        if semantic {
            request.vector = vectors_of_queries.get(&query).cloned();
            request.similarity_floor = config.semantic.floor;
            request.similarity_margin = config.semantic.margin;
        }
        index
            .run(&request)
            // Near-identical records are shown folded under the first: in the ranking, right
            // after it.
            .map(|found| {
                found
                    .hits
                    .into_iter()
                    .flat_map(|h| std::iter::once(h.id).chain(h.similar.into_iter().map(|s| s.id)))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut methods: Vec<(&str, Ranking)> = vec![
        (
            "baseline: BM25 over jieba's search cut",
            Box::new(|q| bm25.search(&patents[q].title, 11)),
        ),
        ("zijin search box, text only", Box::new(|q| zijin(q, false))),
    ];
    if embedder.is_some() {
        methods.push((
            "zijin search box, with the model",
            Box::new(|q| zijin(q, true)),
        ));
    }
    let mut totals: Vec<Quality> = vec![Quality::default(); methods.len()];
    for seed in SEEDS {
        let queries = sample(seed, patents.len(), QUERIES);
        let counts: Vec<usize> = queries.iter().map(|q| relevant_count(*q)).collect();
        println!(" seed {seed}:");
        for (m, (label, rank)) in methods.iter().enumerate() {
            let mut sum = Quality::default();
            for (query, count) in queries.iter().zip(&counts) {
                let q = quality(&patents, *count, *query, &rank(*query));
                sum.precision += q.precision;
                sum.ndcg += q.ndcg;
            }
            let n = queries.len() as f64;
            println!(
                "  {label:<42} precision@10 {:.4}  nDCG@10 {:.4}",
                sum.precision / n,
                sum.ndcg / n
            );
            totals[m].precision += sum.precision / n / SEEDS.len() as f64;
            totals[m].ndcg += sum.ndcg / n / SEEDS.len() as f64;
        }
    }
    println!(" mean of the seeds:");
    for (m, (label, _)) in methods.iter().enumerate() {
        println!(
            "  {label:<42} precision@10 {:.4}  nDCG@10 {:.4}  ({:.2}× the baseline's precision)",
            totals[m].precision,
            totals[m].ndcg,
            totals[m].precision / totals[0].precision
        );
    }
}
