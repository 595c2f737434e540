//! Shared helpers of the benchmarks.

use std::time::Instant;

pub mod eval;
pub mod fuzz;
pub mod scale;

/// Runs a future and returns its output with the seconds it took.
pub async fn timed<T>(future: impl std::future::Future<Output = T>) -> (T, f64) {
    let start = Instant::now();
    let output = future.await;
    (output, start.elapsed().as_secs_f64())
}

/// A real Chinese patent from `../shared/data/cn-patents/`: its title and IPC subclasses.
pub struct Patent {
    pub title: String,
    pub classes: std::collections::HashSet<String>,
    /// The first subclass listed (the main classification).
    pub main_class: String,
}

/// The real patents of `../shared/data/cn-patents/` (or `ZIJIN_SHARED_DIR`).
pub fn patents() -> Vec<Patent> {
    let shared = std::env::var("ZIJIN_SHARED_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared").to_string());
    let path = format!("{shared}/data/cn-patents/patents.tsv");
    let data = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{path}: {error} (set ZIJIN_SHARED_DIR)"));
    data.lines()
        .skip(1)
        .filter_map(|line| {
            let mut columns = line.split('\t');
            let _number = columns.next()?;
            let title = columns.next()?.to_string();
            let listed = columns.next()?;
            let main_class = listed.split('|').next().unwrap_or_default().to_string();
            let classes = listed.split('|').map(str::to_string).collect();
            Some(Patent {
                title,
                classes,
                main_class,
            })
        })
        .collect()
}

/// Real Chinese patent titles (for realistic text only).
pub fn patent_titles() -> Vec<String> {
    patents().into_iter().map(|patent| patent.title).collect()
}
