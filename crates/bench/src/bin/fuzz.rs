//! Issue 14: fuzzing of the importer, the policy language and the identifier parsers, each
//! target for a bounded time. Run with `bench/fuzz [SECONDS_PER_TARGET] [TARGET…]`.
//!
//! Each target runs in a worker process of its own (this binary with `--worker`), under a
//! virtual-memory limit, so that an input which makes the code abort — an allocation that
//! fails, a stack overflow — is a finding rather than the end of the run: the supervisor keeps
//! the input the worker was running (the worker writes each one before running it) and starts
//! a new worker for the time left. A worker silent for longer than `HANG` is a hang.
//!
//! Findings land in `$ZIJIN_FUZZ_OUT` (default `$CARGO_TARGET_DIR/fuzz`, else the system's
//! temporary directory) under the target's name; copy the ones you fix into
//! `crates/bench/tests/fuzz-regressions/TARGET/`.

use std::hash::{BuildHasher, Hasher};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use zijin_bench::fuzz::{self, Finding, Target};

/// Address space of a worker: far more than any honest input needs, far less than the
/// machine has, so a runaway allocation fails in the worker instead of swapping the machine.
const WORKER_MEMORY_KB: u64 = 4 * 1024 * 1024;
/// A worker whose current input has not changed for this long is hung.
const HANG: Duration = Duration::from_secs(30);
/// Workers started per target at most (each abort starts a new one).
const MAX_WORKERS: usize = 25;
/// The stack of the thread that runs the checks: a server's worker threads get 2 MiB.
const STACK_BYTES: usize = 2 * 1024 * 1024;

fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    match arguments.first().map(String::as_str) {
        Some("--worker") => worker(&arguments[1..]),
        Some("--list") => {
            for target in fuzz::targets() {
                println!("{:<20} {}", target.name, target.about);
            }
            ExitCode::SUCCESS
        }
        Some("--help" | "-h") => {
            println!("usage: bench/fuzz [SECONDS_PER_TARGET] [TARGET…]   (targets: --list)");
            ExitCode::SUCCESS
        }
        _ => supervise(&arguments),
    }
}

fn random_seed() -> u64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    hasher.finish()
}

fn output_directory() -> PathBuf {
    if let Ok(directory) = std::env::var("ZIJIN_FUZZ_OUT") {
        return PathBuf::from(directory);
    }
    match std::env::var("CARGO_TARGET_DIR") {
        Ok(target) => Path::new(&target).join("fuzz"),
        Err(_) => std::env::temp_dir().join("zijin-fuzz"),
    }
}

fn short_hash(bytes: &[u8]) -> String {
    let mut hasher = std::hash::DefaultHasher::new();
    hasher.write(bytes);
    format!("{:016x}", hasher.finish())
}

/// Keeps a finding: the input, and a note with what failed.
fn keep(directory: &Path, finding: &Finding) -> PathBuf {
    let _ = std::fs::create_dir_all(directory);
    let path = directory.join(format!("crash-{}", short_hash(&finding.input)));
    let _ = std::fs::write(&path, &finding.input);
    let _ = std::fs::write(
        path.with_extension("txt"),
        format!("{}\n{}\n", finding.signature, finding.message),
    );
    path
}

/// `--worker TARGET SECONDS SEED DIRECTORY`: runs one target in this process.
fn worker(arguments: &[String]) -> ExitCode {
    let [name, seconds, seed, directory] = arguments else {
        eprintln!("usage: fuzz --worker TARGET SECONDS SEED DIRECTORY");
        return ExitCode::from(2);
    };
    let Some(target) = fuzz::target(name) else {
        eprintln!("unknown target {name}");
        return ExitCode::from(2);
    };
    let (Ok(seconds), Ok(seed)) = (seconds.parse::<f64>(), seed.parse::<u64>()) else {
        eprintln!("SECONDS and SEED are numbers");
        return ExitCode::from(2);
    };
    let directory = PathBuf::from(directory);
    let runner = std::thread::Builder::new()
        .stack_size(STACK_BYTES)
        .spawn(move || {
            fuzz::quiet_panics();
            let seeds = fuzz::all_seeds(&target);
            let progress_file = directory.join("executions");
            let mut progress = |executions: u64| {
                let _ = std::fs::write(&progress_file, executions.to_string());
            };
            let mut found = |finding: &Finding| {
                keep(&directory, finding);
            };
            fuzz::run(
                &target,
                seeds,
                fuzz::Limit::time(Duration::from_secs_f64(seconds)),
                seed,
                Some(&directory.join("current")),
                &mut progress,
                &mut found,
            )
        });
    match runner.map(|handle| handle.join()) {
        Ok(Ok(Ok(_))) => ExitCode::SUCCESS,
        Ok(Ok(Err(error))) => {
            eprintln!("{error}");
            ExitCode::from(2)
        }
        _ => ExitCode::from(3),
    }
}

struct TargetReport {
    executions: u64,
    seconds: f64,
    findings: Vec<(String, PathBuf)>,
}

fn supervise(arguments: &[String]) -> ExitCode {
    let seconds: f64 = match arguments.first().map(|s| s.parse::<f64>()) {
        None => 60.0,
        Some(Ok(seconds)) if seconds > 0.0 => seconds,
        Some(_) => {
            eprintln!("usage: bench/fuzz [SECONDS_PER_TARGET] [TARGET…]");
            return ExitCode::from(2);
        }
    };
    let all = fuzz::targets();
    let wanted: Vec<&Target> = if arguments.len() > 1 {
        let mut chosen = Vec::new();
        for name in &arguments[1..] {
            match all.iter().find(|t| t.name == name.as_str()) {
                Some(target) => chosen.push(target),
                None => {
                    eprintln!("unknown target {name} (see --list)");
                    return ExitCode::from(2);
                }
            }
        }
        chosen
    } else {
        all.iter().collect()
    };
    if Command::new("sh")
        .args(["-c", "ulimit -v 1000000"])
        .status()
        .map(|s| !s.success())
        .unwrap_or(true)
    {
        eprintln!(
            "bench/fuzz cannot run here: it needs a POSIX shell (sh) with `ulimit -v` to bound each worker's memory"
        );
        return ExitCode::from(2);
    }
    let Ok(executable) = std::env::current_exe() else {
        eprintln!("bench/fuzz cannot find its own executable");
        return ExitCode::from(2);
    };
    let out = output_directory();
    println!(
        "fuzzing {} target(s), {seconds} s each, on {} core(s); findings in {}",
        wanted.len(),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        out.display()
    );
    let mut total_findings = 0;
    for target in wanted {
        let report = supervise_target(&executable, target, seconds, &out.join(target.name));
        println!(
            "{:<18} executions {:>10}   time {:>6.1} s   crashes found {}",
            target.name,
            report.executions,
            report.seconds,
            report.findings.len()
        );
        for (what, path) in &report.findings {
            println!("    {what}\n      input: {}", path.display());
        }
        total_findings += report.findings.len();
    }
    if total_findings > 0 {
        println!("{total_findings} finding(s): fix them, then keep each input as a regression");
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn supervise_target(executable: &Path, target: &Target, seconds: f64, out: &Path) -> TargetReport {
    let _ = std::fs::create_dir_all(out);
    let started = Instant::now();
    let mut report = TargetReport {
        executions: 0,
        seconds: 0.0,
        findings: Vec::new(),
    };
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    for _ in 0..MAX_WORKERS {
        let left = seconds - started.elapsed().as_secs_f64();
        if left <= 0.5 {
            break;
        }
        let work = out.join(format!("worker-{}", random_seed()));
        let _ = std::fs::create_dir_all(&work);
        let seed = random_seed();
        let stderr = std::fs::File::create(work.join("stderr")).ok();
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(format!(
                "ulimit -v {WORKER_MEMORY_KB} && exec \"$0\" \"$@\""
            ))
            .arg(executable)
            .args(["--worker", target.name])
            .arg(format!("{left:.3}"))
            .arg(seed.to_string())
            .arg(&work)
            .stdout(Stdio::null())
            .stderr(stderr.map(Stdio::from).unwrap_or_else(Stdio::null));
        let Ok(mut child) = command.spawn() else {
            eprintln!("cannot start a worker for {}", target.name);
            break;
        };
        let current = work.join("current");
        let mut last_change = Instant::now();
        let mut last_input: Option<std::time::SystemTime> = None;
        let (status, hung) = loop {
            std::thread::sleep(Duration::from_millis(100));
            match child.try_wait() {
                Ok(Some(status)) => break (Some(status), false),
                Ok(None) => {}
                Err(_) => break (None, false),
            }
            let modified = std::fs::metadata(&current).and_then(|m| m.modified()).ok();
            if modified != last_input {
                last_input = modified;
                last_change = Instant::now();
            }
            if last_change.elapsed() > HANG {
                let _ = child.kill();
                let _ = child.wait();
                break (None, true);
            }
        };
        report.executions += std::fs::read_to_string(work.join("executions"))
            .ok()
            .and_then(|text| text.trim().parse::<u64>().ok())
            .unwrap_or(0);
        // Findings the worker caught itself (panics, properties, slow inputs).
        if let Ok(entries) = std::fs::read_dir(&work) {
            let mut notes: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "txt"))
                .collect();
            notes.sort();
            for note in notes {
                let text = std::fs::read_to_string(&note).unwrap_or_default();
                let signature = text.lines().next().unwrap_or_default().to_string();
                if seen.insert(signature.clone()) {
                    let message = text.lines().nth(1).unwrap_or_default();
                    report
                        .findings
                        .push((shorten(message), note.with_extension("")));
                }
            }
        }
        // Status 2 is the worker's own trouble (it could not write its files), not the code's.
        if !hung && status.and_then(|s| s.code()) == Some(2) {
            let stderr = std::fs::read_to_string(work.join("stderr")).unwrap_or_default();
            eprintln!(
                "{}: a worker could not run: {}",
                target.name,
                stderr.lines().next().unwrap_or_default()
            );
            break;
        }
        let died = hung || !status.is_some_and(|s| s.success());
        if died {
            let input = std::fs::read(&current).unwrap_or_default();
            let stderr = std::fs::read_to_string(work.join("stderr")).unwrap_or_default();
            // The runtime's own words (a failed allocation, a stack overflow), not the
            // backtrace after them.
            let last = stderr
                .lines()
                .find(|l| {
                    [
                        "memory allocation",
                        "overflow",
                        "panicked",
                        "fatal",
                        "error",
                    ]
                    .iter()
                    .any(|w| l.contains(w))
                })
                .or_else(|| stderr.lines().find(|l| !l.trim().is_empty()))
                .unwrap_or("");
            let what = if hung {
                format!("hang: no new input for {} s", HANG.as_secs())
            } else {
                format!("abort ({}): {last}", describe(status))
            };
            // The same abort with other numbers in it is the same finding.
            let signature: String = what.chars().filter(|c| !c.is_ascii_digit()).collect();
            let finding = Finding {
                signature: signature.clone(),
                message: what.clone(),
                input,
            };
            let path = keep(&work, &finding);
            if seen.insert(signature) {
                report.findings.push((shorten(&what), path));
            }
        }
    }
    report.seconds = started.elapsed().as_secs_f64();
    report
}

fn describe(status: Option<std::process::ExitStatus>) -> String {
    match status {
        Some(status) => status.to_string(),
        None => "killed".to_string(),
    }
}

fn shorten(text: &str) -> String {
    let mut short: String = text.chars().take(300).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}
