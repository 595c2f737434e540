//! Issue 6, figures at scale: the search box with the semantic signal over 1,000,000
//! achievements — query latency (the query embedded by the model, the text search, the vector
//! search and the fusion, as `zijin search` runs them), the memory of a million 8-bit vectors
//! with the index, and the approximate search's recall@10 against exact search (sign codes, then the best compared exactly), side by side with exact
//! search (the baseline) in the same run.
//!
//! Embedding a million records at about ten texts a second would take more than a day on two
//! cores, so the vectors of the million are made from real ones: the titles of the first
//! `ZIJIN_BENCH_BASE` generated records are embedded by the model, and record n beyond them gets
//! the normalised mix of two of those vectors (random, weights 1 and 0.2–0.7) plus Gaussian
//! noise. Recall is therefore also measured on the real vectors alone (codes forced on them).
//!
//! Two steps, two processes (`bench/semantic-scale` runs both): `prepare` builds the index (or
//! reuses it) and the vectors file; `measure` opens both as a server does, so the memory it
//! reports is a searching process's.

use std::path::{Path, PathBuf};
use std::time::Instant;

use zijin_app::demo::scale::ScaleGenerator;
use zijin_bench::scale::{
    achievement_document, build_index, env_or, latency, memory_mib, short_queries,
};
use zijin_embed::{Embedder, Role};
use zijin_search::{MatchConfig, Scope, SearchIndex, SearchRequest, VectorSettings, Vectors};

const LAY: &str = include_str!("../../../../bench/eval/matching-set-lay.txt");

struct Setup {
    documents: u64,
    base: usize,
    work: PathBuf,
    embedder: Embedder,
    settings: VectorSettings,
}

fn setup() -> Setup {
    let model = std::env::var("ZIJIN_E5_MODEL").expect("ZIJIN_E5_MODEL (scripts/fetch-model)");
    let work = PathBuf::from(
        std::env::var("ZIJIN_BENCH_DIR")
            .unwrap_or_else(|_| "/var/tmp/zijin-bench/semantic-scale".into()),
    );
    std::fs::create_dir_all(&work).expect("work directory");
    Setup {
        documents: env_or("ZIJIN_BENCH_DOCS", 1_000_000),
        base: env_or("ZIJIN_BENCH_BASE", 5_000),
        work,
        embedder: Embedder::load(Path::new(&model)).expect("the model loads"),
        settings: MatchConfig::shipped().semantic.vector_settings(),
    }
}

/// xorshift64*: the mix is the same on every run.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// A standard normal number (Box–Muller).
    fn normal(&mut self) -> f32 {
        let u = self.unit().max(1e-7);
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f32::consts::TAU * v).cos()
    }
}

fn normalised(mut v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    v.iter_mut().for_each(|x| *x /= norm);
    v
}

fn prepare(setup: &Setup) {
    let generator = ScaleGenerator::new();
    let directory = setup.work.join("index");
    let have = SearchIndex::open(&directory)
        .map(|(index, _)| index.len())
        .unwrap_or(0);
    if have != setup.documents {
        let seconds = build_index(&directory, &generator, setup.documents);
        println!(
            "  text index: {} documents built in {seconds:.1} s",
            setup.documents
        );
    } else {
        println!(
            "  text index: {} documents (kept from an earlier run)",
            setup.documents
        );
    }
    let dimension = setup.embedder.dimension();
    let base = match read_base(setup) {
        Some(base) => {
            println!("  real vectors: {} (kept from an earlier run)", base.len());
            base
        }
        None => {
            let start = Instant::now();
            let titles: Vec<String> = (0..setup.base as u64)
                .map(|n| achievement_document(&generator, n).title)
                .collect();
            let refs: Vec<&str> = titles.iter().map(String::as_str).collect();
            let base = setup.embedder.embed_all(&refs, Role::Passage, 2);
            println!(
                "  real vectors: {} generated titles embedded in {:.1} s ({:.0} titles/s on 2 threads)",
                base.len(),
                start.elapsed().as_secs_f64(),
                base.len() as f64 / start.elapsed().as_secs_f64()
            );
            base
        }
    };
    let mut vectors = Vectors::new(dimension, setup.embedder.fingerprint(), setup.settings);
    let mut random = Random(0x5eed_1234_abcd_ef01);
    let start = Instant::now();
    for n in 0..setup.documents {
        let id = n + 1;
        if (n as usize) < base.len() {
            vectors.insert("achievement", id, 0, &base[n as usize]);
            continue;
        }
        let a = &base[(random.next() % base.len() as u64) as usize];
        let b = &base[(random.next() % base.len() as u64) as usize];
        let w = 0.2 + 0.5 * random.unit();
        let mixed: Vec<f32> = a
            .iter()
            .zip(b)
            .map(|(x, y)| x + w * y + 0.02 * random.normal())
            .collect();
        vectors.insert("achievement", id, 0, &normalised(mixed));
    }
    println!(
        "  {} vectors stored (8-bit) in {:.1} s",
        setup.documents,
        start.elapsed().as_secs_f64()
    );
    let start = Instant::now();
    vectors.maintain();
    println!(
        "  sign codes made in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    let start = Instant::now();
    let file = directory.join("vectors.bin");
    vectors.save(&file).expect("save");
    println!(
        "  vectors file {:.0} MiB written in {:.1} s",
        std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0) as f64 / 1048576.0,
        start.elapsed().as_secs_f64()
    );
    // The real vectors alone, for the recall check on real data (and the next run).
    let mut bytes = Vec::with_capacity(base.len() * dimension * 4);
    for v in &base {
        for x in v {
            bytes.extend_from_slice(&x.to_le_bytes());
        }
    }
    std::fs::write(setup.work.join("base.f32"), bytes).expect("base vectors");
    std::fs::write(
        setup.work.join("base.model"),
        setup.embedder.fingerprint().to_le_bytes(),
    )
    .expect("base vectors' model");
}

/// The real vectors of an earlier run, when they are for this model and size.
fn read_base(setup: &Setup) -> Option<Vec<Vec<f32>>> {
    let dimension = setup.embedder.dimension();
    let bytes = std::fs::read(setup.work.join("base.f32")).ok()?;
    let fingerprint = std::fs::read(setup.work.join("base.model")).ok()?;
    if bytes.len() != setup.base * dimension * 4
        || fingerprint != setup.embedder.fingerprint().to_le_bytes()
    {
        return None;
    }
    Some(
        bytes
            .chunks_exact(dimension * 4)
            .map(|v| {
                v.chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .collect()
            })
            .collect(),
    )
}

fn recall(vectors: &Vectors, queries: &[Vec<f32>]) -> (f64, f64, f64) {
    let mut same = 0usize;
    let mut exact_ms = Vec::new();
    let mut ivf_ms = Vec::new();
    for query in queries {
        let start = Instant::now();
        let exact = vectors.nearest_exact("achievement", query, 10);
        exact_ms.push(start.elapsed().as_secs_f64() * 1000.0);
        let start = Instant::now();
        let found = vectors.nearest("achievement", query, 10);
        ivf_ms.push(start.elapsed().as_secs_f64() * 1000.0);
        same += found
            .iter()
            .filter(|(id, _)| exact.iter().any(|(e, _)| e == id))
            .count();
    }
    (
        same as f64 / (queries.len() * 10) as f64,
        latency(exact_ms).p50,
        latency(ivf_ms).p50,
    )
}

fn measure(setup: &Setup) {
    let generator = ScaleGenerator::new();
    let directory = setup.work.join("index");
    let baseline_rss = memory_mib("VmRSS:");
    let (index, _) = SearchIndex::open(&directory).expect("index");
    let start = Instant::now();
    let vectors = Vectors::load(
        &directory.join("vectors.bin"),
        setup.embedder.dimension(),
        setup.embedder.fingerprint(),
        setup.settings,
    )
    .expect("vectors file")
    .expect("vectors of this model (run prepare)");
    println!(
        "  vectors read back (sign codes made again) in {:.1} s: {} vectors, {:.0} MiB in memory (8-bit values, ids, text hashes, sign codes)",
        start.elapsed().as_secs_f64(),
        vectors.len("achievement"),
        vectors.memory_bytes() as f64 / 1048576.0
    );
    let query_count: usize = env_or("ZIJIN_BENCH_QUERIES", 1_000);
    let queries = short_queries(&generator, query_count + 50);
    let lay: Vec<String> = LAY
        .lines()
        .filter(|l| l.starts_with('D'))
        .filter_map(|l| l.split_once(' ').map(|(_, text)| text.replace(" | ", " ")))
        .collect();
    // Recall of the approximate search against exact search, on the query vectors users would send.
    let start = Instant::now();
    let embedded: Vec<Vec<f32>> = queries
        .iter()
        .take(400)
        .chain(lay.iter())
        .map(|q| setup.embedder.embed(q, Role::Query))
        .collect();
    println!(
        "  {} query vectors embedded in {:.1} s",
        embedded.len(),
        start.elapsed().as_secs_f64()
    );
    let (r, exact_p50, approximate_p50) = recall(&vectors, &embedded);
    println!(
        "  vector search top-10 over {} vectors, sign codes rescoring {}: recall@10 {r:.4} against exact; p50 {approximate_p50:.2} ms (exact: {exact_p50:.2} ms)",
        vectors.len("achievement"),
        setup.settings.rescore
    );
    let mut vectors = vectors;
    for rescore in [2_000, 4_000, 8_000, 16_000] {
        vectors.set_settings(VectorSettings {
            rescore,
            ..setup.settings
        });
        let (r, _, p50) = recall(&vectors, &embedded);
        println!("    rescore {rescore:>5}: recall@10 {r:.4}, p50 {p50:.2} ms");
    }
    vectors.set_settings(setup.settings);
    // On the real vectors alone, with the codes forced (exact limit a tenth of them).
    let bytes = std::fs::read(setup.work.join("base.f32")).expect("base vectors");
    let dimension = setup.embedder.dimension();
    let mut real = Vectors::new(
        dimension,
        0,
        VectorSettings {
            exact_limit: setup.base / 10,
            rescore: 50,
        },
    );
    for (n, chunk) in bytes.chunks_exact(dimension * 4).enumerate() {
        let v: Vec<f32> = chunk
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        real.insert("achievement", n as u64 + 1, 0, &v);
    }
    real.maintain();
    for rescore in [50, 100, 250, 500] {
        real.set_settings(VectorSettings {
            rescore,
            ..real.settings()
        });
        let (r, _, _) = recall(&real, &embedded);
        println!(
            "  on the {} real vectors alone (codes forced), {rescore} rescored: recall@10 {r:.4}",
            setup.base
        );
    }
    *index.vectors_mut() = Some(vectors);
    // The search box as `zijin search` runs it: embed, search both ways, fuse.
    let config = MatchConfig::shipped();
    let request = |text: &str, vector: Option<Vec<f32>>| SearchRequest {
        kind: Some("achievement".into()),
        scope: Scope::Public,
        limit: 10,
        vector,
        similarity_floor: config.semantic.floor,
        similarity_margin: config.semantic.margin,
        ..SearchRequest::new(text)
    };
    let run_all = |texts: &[String], semantic: bool| {
        for text in texts.iter().take(50) {
            let vector = semantic.then(|| setup.embedder.embed(text, Role::Query));
            index.run(&request(text, vector)).expect("search");
        }
        let mut embed_ms = Vec::new();
        let millis: Vec<f64> = texts
            .iter()
            .skip(50)
            .map(|text| {
                let start = Instant::now();
                let vector = semantic.then(|| setup.embedder.embed(text, Role::Query));
                embed_ms.push(start.elapsed().as_secs_f64() * 1000.0);
                index.run(&request(text, vector)).expect("search");
                start.elapsed().as_secs_f64() * 1000.0
            })
            .collect();
        (latency(millis), latency(embed_ms))
    };
    let (text_only, _) = run_all(&queries, false);
    let (hybrid, embedding) = run_all(&queries, true);
    println!(
        "  search box top-10 over {} achievements, {query_count} queries of 1–3 words after 50 warm-up:",
        setup.documents
    );
    println!(
        "    text only (baseline)         p50 {:.2} ms  p99 {:.2} ms  mean {:.2} ms",
        text_only.p50, text_only.p99, text_only.mean
    );
    println!(
        "    with the semantic signal     p50 {:.2} ms  p99 {:.2} ms  mean {:.2} ms (of which embedding the query p50 {:.2} / p99 {:.2} ms)",
        hybrid.p50, hybrid.p99, hybrid.mean, embedding.p50, embedding.p99
    );
    let mut lay_cycle: Vec<String> = lay.clone();
    lay_cycle.extend(lay.iter().take(50).cloned());
    let (lay_text, _) = run_all(&lay_cycle, false);
    let (lay_hybrid, lay_embedding) = run_all(&lay_cycle, true);
    println!(
        "    {} lay-language demands (whole sentences): text only p50 {:.2} / p99 {:.2} ms; with the semantic signal p50 {:.2} / p99 {:.2} ms (embedding p50 {:.2} / p99 {:.2} ms)",
        lay.len(),
        lay_text.p50,
        lay_text.p99,
        lay_hybrid.p50,
        lay_hybrid.p99,
        lay_embedding.p50,
        lay_embedding.p99
    );
    println!(
        "  resident memory of this searching process: {:.0} MiB now, peak {:.0} MiB (index opened from disk, {} vectors, the model {:.0} MiB, jieba dictionary; {:.0} MiB before opening)",
        memory_mib("VmRSS:"),
        memory_mib("VmHWM:"),
        setup.documents,
        std::fs::metadata(std::env::var("ZIJIN_E5_MODEL").unwrap_or_default())
            .map(|m| m.len())
            .unwrap_or(0) as f64
            / 1048576.0,
        baseline_rss
    );
}

fn main() {
    let step = std::env::args().nth(1).unwrap_or_default();
    let setup = setup();
    println!(
        "semantic search at scale ({step}): {} achievements, 2 cores",
        setup.documents
    );
    match step.as_str() {
        "prepare" => prepare(&setup),
        "measure" => measure(&setup),
        _ => panic!("usage: semantic_scale prepare|measure"),
    }
}
