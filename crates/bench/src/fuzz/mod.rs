//! Fuzzing of the parsers that read what people send: the spreadsheet importer (.csv and
//! .xlsx bytes, with its zip-bomb guard), the policy expression language (parser, type checker,
//! evaluation against facts) and the identifier parsers (unified social credit codes, patent
//! numbers).
//!
//! The engine is proptest, run as a time-bounded loop rather than as a test: generators that
//! know each input's structure (an .xlsx is built from its XML parts, an expression from its
//! grammar) beside byte-level mutations of a seed corpus, and proptest's shrinking to make a
//! failing input small. It is not coverage-guided (libFuzzer would need a nightly compiler
//! and an instrumented build of the whole dependency tree, which CI and two cores cannot
//! afford); it runs on the stable compiler everywhere the tests run.
//!
//! A target's `check` states the property for one input: `Ok` when the input was handled as it
//! must be (accepted, or refused with a Chinese message), `Err` with what went wrong
//! otherwise. A panic is a crash. An abort (an allocation that fails, a stack overflow) ends
//! the worker process; `bench/fuzz` runs every target in its own worker for that reason.
//! Inputs that once failed are kept under `tests/fuzz-regressions/TARGET/` and re-run by
//! `cargo test -p zijin-bench --test fuzz_regressions`, with the seeds of `tests/fuzz-corpus/`.

pub mod identifiers;
pub mod import;
pub mod policy;
mod runner;
pub mod xlsx;

use std::path::{Path, PathBuf};

use proptest::prelude::*;

pub use runner::{Finding, Limit, Summary, execute, quiet_panics, run};

/// One fuzz target.
pub struct Target {
    pub name: &'static str,
    pub about: &'static str,
    /// The property for one input; a panic is a crash.
    pub check: fn(&[u8]) -> Result<(), String>,
    /// Inputs to try, given the seeds of the corpus (which the strategy may mutate).
    pub strategy: fn(Vec<Vec<u8>>) -> BoxedStrategy<Vec<u8>>,
    /// Seeds made in code (in addition to the files of the corpus directory).
    pub seeds: fn() -> Vec<Vec<u8>>,
}

pub fn targets() -> Vec<Target> {
    vec![
        identifiers::credit_code(),
        identifiers::patent_number(),
        policy::expression(),
        policy::facts(),
        import::csv(),
        xlsx::xlsx(),
    ]
}

pub fn target(name: &str) -> Option<Target> {
    targets().into_iter().find(|t| t.name == name)
}

/// `crates/bench/tests/` of this checkout (read at run time when cargo tells where it is).
pub fn tests_dir() -> PathBuf {
    let manifest = std::env::var("CARGO_MANIFEST_DIR")
        .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string());
    Path::new(&manifest).join("tests")
}

/// The files of `tests/DIRECTORY/TARGET/`, sorted by name, with their names.
pub fn stored_inputs(directory: &str, target: &str) -> Vec<(String, Vec<u8>)> {
    let path = tests_dir().join(directory).join(target);
    let Ok(entries) = std::fs::read_dir(&path) else {
        return Vec::new();
    };
    let mut files: Vec<(String, Vec<u8>)> = entries
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().is_file())
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            // Notes beside an input say why it is kept; they are not inputs.
            if name.ends_with(".md") {
                return None;
            }
            std::fs::read(entry.path()).ok().map(|bytes| (name, bytes))
        })
        .collect();
    files.sort();
    files
}

/// Every seed of a target: made in code, the corpus files, and the kept regressions.
pub fn all_seeds(target: &Target) -> Vec<Vec<u8>> {
    let mut seeds = (target.seeds)();
    for directory in ["fuzz-corpus", "fuzz-regressions"] {
        seeds.extend(
            stored_inputs(directory, target.name)
                .into_iter()
                .map(|(_, bytes)| bytes),
        );
    }
    seeds
}

/// Whether a message speaks Chinese (every message a user can cause must).
pub fn is_chinese(message: &str) -> bool {
    message
        .chars()
        .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// Checks that a message is Chinese.
pub fn chinese(what: &str, message: &str) -> Result<(), String> {
    if is_chinese(message) {
        Ok(())
    } else {
        Err(format!(
            "{what}: a message that is not Chinese: {message:?}"
        ))
    }
}

/// A seed changed by a few byte-level edits, libFuzzer's usual ones: flip, replace with an
/// interesting byte, insert, delete, duplicate a run, splice in a word of the target's
/// dictionary.
pub fn mutated(
    seeds: Vec<Vec<u8>>,
    dictionary: &'static [&'static [u8]],
) -> BoxedStrategy<Vec<u8>> {
    let seeds = if seeds.is_empty() {
        vec![Vec::new()]
    } else {
        seeds
    };
    let edit = (
        0u8..7,
        any::<prop::sample::Index>(),
        any::<u8>(),
        1usize..64,
    );
    (
        prop::sample::select(seeds),
        prop::collection::vec(edit, 0..8),
    )
        .prop_map(move |(mut bytes, edits)| {
            for (kind, at, byte, length) in edits {
                let position = if bytes.is_empty() {
                    0
                } else {
                    at.index(bytes.len() + 1)
                };
                match kind {
                    0 if position < bytes.len() => bytes[position] ^= 1 << (byte % 8),
                    1 if position < bytes.len() => {
                        const INTERESTING: [u8; 12] = [
                            0, 0x7f, 0x80, 0xff, b'"', b',', b'\n', b'\r', b'0', b'9', b'-', b'.',
                        ];
                        bytes[position] = INTERESTING[byte as usize % INTERESTING.len()];
                    }
                    2 => bytes.insert(position, byte),
                    3 => {
                        let end = (position + length).min(bytes.len());
                        bytes.drain(position.min(end)..end);
                    }
                    4 => {
                        let end = (position + length).min(bytes.len());
                        let run: Vec<u8> = bytes[position.min(end)..end].to_vec();
                        let repeat = 1 + byte as usize % 16;
                        for _ in 0..repeat {
                            bytes.splice(position..position, run.iter().copied());
                        }
                    }
                    _ if !dictionary.is_empty() => {
                        let word = dictionary[byte as usize % dictionary.len()];
                        bytes.splice(position..position, word.iter().copied());
                    }
                    _ => {}
                }
            }
            bytes
        })
        .boxed()
}
