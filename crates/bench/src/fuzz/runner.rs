//! The loop that runs one target for a time: generate an input, write it where the supervisor
//! can find it should the process die, run the property, and shrink what fails.

use std::cell::RefCell;
use std::collections::HashSet;
use std::io::{Seek, Write};
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::time::{Duration, Instant};

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use super::Target;

/// One execution longer than this is a finding (a hang in the making).
pub const SLOW: Duration = Duration::from_secs(5);
/// Shrinking stops after this many tries (the input found so far is kept).
const SHRINK_STEPS: usize = 2_000;

/// A failing input, shrunk, with the first failure's signature and message.
#[derive(Debug, Clone)]
pub struct Finding {
    /// What failed, without the input's details: the panic's place or the property's words.
    pub signature: String,
    pub message: String,
    pub input: Vec<u8>,
}

#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub executions: u64,
    pub seconds: f64,
    pub findings: Vec<Finding>,
}

thread_local! {
    static PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Panics are findings, not noise: remember the last one's place and message instead of
/// printing it (the fuzzer provokes thousands).
pub fn quiet_panics() {
    panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let payload = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        PANIC.with(|p| *p.borrow_mut() = Some(format!("panic at {location}: {payload}")));
    }));
}

/// Runs the property on one input: the failure's signature and message, if it fails.
pub fn execute(
    check: fn(&[u8]) -> Result<(), String>,
    input: &[u8],
) -> Result<(), (String, String)> {
    PANIC.with(|p| p.borrow_mut().take());
    match panic::catch_unwind(AssertUnwindSafe(|| check(input))) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(message)) => {
            // The words before the first quoted part: the same property failing on another
            // input is the same finding.
            let signature = message
                .split(['"', '“', '\''])
                .next()
                .unwrap_or_default()
                .trim()
                .to_string();
            Err((signature, message))
        }
        Err(_) => {
            let message = PANIC
                .with(|p| p.borrow_mut().take())
                .unwrap_or_else(|| "panic".to_string());
            let signature = message.split(": ").next().unwrap_or_default().to_string();
            Err((signature, message))
        }
    }
}

/// How long a run lasts: until the time is up or the executions are done, whichever first.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub time: Duration,
    pub executions: u64,
}

impl Limit {
    pub fn time(time: Duration) -> Self {
        Limit {
            time,
            executions: u64::MAX,
        }
    }
}

/// Runs `target` within `limit` from the random `seed`. Each input is written to `current`
/// before it runs (so an abort can be traced to it); `progress` is told the executions so far
/// now and then; `found` hears each new finding at once.
pub fn run(
    target: &Target,
    seeds: Vec<Vec<u8>>,
    limit: Limit,
    seed: u64,
    current: Option<&Path>,
    progress: &mut dyn FnMut(u64),
    found: &mut dyn FnMut(&Finding),
) -> std::io::Result<Summary> {
    let strategy = (target.strategy)(seeds);
    let mut rng_seed = [0u8; 32];
    rng_seed[..8].copy_from_slice(&seed.to_le_bytes());
    let config = Config {
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &rng_seed));
    let mut current = current.map(std::fs::File::create).transpose()?;
    let mut record = |input: &[u8]| -> std::io::Result<()> {
        if let Some(file) = &mut current {
            file.rewind()?;
            file.write_all(input)?;
            file.set_len(input.len() as u64)?;
        }
        Ok(())
    };
    let start = Instant::now();
    let mut summary = Summary::default();
    let mut known: HashSet<String> = HashSet::new();
    let mut last_progress = Instant::now();
    while start.elapsed() < limit.time && summary.executions < limit.executions {
        let Ok(mut tree) = strategy.new_tree(&mut runner) else {
            continue;
        };
        let input = tree.current();
        record(&input)?;
        summary.executions += 1;
        let began = Instant::now();
        let outcome = execute(target.check, &input);
        let took = began.elapsed();
        if last_progress.elapsed() > Duration::from_secs(1) {
            progress(summary.executions);
            last_progress = Instant::now();
        }
        let (signature, message) = match outcome {
            Err(failure) => failure,
            Ok(()) if took > SLOW => (
                "slow".to_string(),
                format!("one execution took {:.1} s", took.as_secs_f64()),
            ),
            Ok(()) => continue,
        };
        if !known.insert(signature.clone()) {
            continue;
        }
        let (input, message) = if signature == "slow" {
            (input, message)
        } else {
            shrink(
                &mut tree,
                target.check,
                &signature,
                input,
                message,
                &mut record,
            )?
        };
        let finding = Finding {
            signature,
            message,
            input,
        };
        found(&finding);
        summary.findings.push(finding);
    }
    progress(summary.executions);
    summary.seconds = start.elapsed().as_secs_f64();
    Ok(summary)
}

/// proptest's shrinking by hand: simplify while the same failure holds, complicate when it
/// goes away.
fn shrink(
    tree: &mut impl ValueTree<Value = Vec<u8>>,
    check: fn(&[u8]) -> Result<(), String>,
    signature: &str,
    input: Vec<u8>,
    message: String,
    record: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
) -> std::io::Result<(Vec<u8>, String)> {
    let mut best = (input, message);
    if !tree.simplify() {
        return Ok(best);
    }
    for _ in 0..SHRINK_STEPS {
        let candidate = tree.current();
        record(&candidate)?;
        let still_fails = match execute(check, &candidate) {
            Err((again, message)) if again == signature => {
                best = (candidate, message);
                true
            }
            _ => false,
        };
        let moved = if still_fails {
            tree.simplify()
        } else {
            tree.complicate()
        };
        if !moved {
            break;
        }
    }
    Ok(best)
}
