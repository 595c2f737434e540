//! Issue 14 figures (holes 1 and 4): login throttling and the bound on password hashes.
//!
//! Starts `zijin serve --demo` (release build, SQLite, `--trusted-proxy 127.0.0.1` so the bench
//! can speak for many client addresses through `X-Forwarded-For`) and measures, in one run:
//! - the public list page (`/lists/{id}`, the demo's published issue) under 8 readers: latency
//!   p50/p99 and requests per second, alone (the baseline) and while 32 connections flood the
//!   login with unknown user names — each attempt from a new address (nothing throttles them:
//!   only the bound on hashes in flight protects the pages), and all from one address (the
//!   per-address throttle answers them without a hash);
//! - 64 parallel wrong guesses at one account from one address: how many passwords were
//!   checked (answered 401) before the throttle answered the rest (429).
//!
//! Run with `bench/login-flood` (SECONDS per phase, default 20).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Server {
    child: Child,
    base: String,
    _data: std::path::PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(bin: &str) -> Server {
    let data = std::env::temp_dir().join(format!("zijin-login-flood-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    std::fs::create_dir_all(&data).expect("data dir");
    let mut child = Command::new(bin)
        .args(["serve", "--demo", "--addr", "127.0.0.1:0", "--no-semantic"])
        .args(["--trusted-proxy", "127.0.0.1"])
        .arg("--data-dir")
        .arg(&data)
        .arg("--database-url")
        .arg(format!("sqlite:{}", data.join("zijin.db").display()))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("zijin serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let base = loop {
        let line = lines
            .next()
            .expect("the server printed its address")
            .expect("read line");
        if let Some(at) = line.find("http://") {
            break line[at..].trim().to_string();
        }
    };
    // Keep reading so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server {
        child,
        base,
        _data: data,
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

struct Phase {
    p50: f64,
    p99: f64,
    per_second: f64,
    flood_answers: Vec<(u16, u64)>,
}

/// Readers on `page` for `seconds`, with `flooders` logging in as unknown users meanwhile.
async fn phase(
    base: &str,
    page: &str,
    seconds: u64,
    flooders: usize,
    new_address_each: bool,
) -> Phase {
    let stop = Arc::new(AtomicBool::new(false));
    let counts: Arc<[AtomicU64; 600]> = Arc::new(std::array::from_fn(|_| AtomicU64::new(0)));
    let mut flood = Vec::new();
    for worker in 0..flooders {
        let (stop, counts, base) = (stop.clone(), counts.clone(), base.to_string());
        flood.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let address = if new_address_each {
                    format!("10.{}.{}.{}", worker, (n / 250) % 250, n % 250 + 1)
                } else {
                    "203.0.113.200".to_string()
                };
                let response = client
                    .post(format!("{base}/api/v1/auth/login"))
                    .header("x-forwarded-for", address)
                    .json(&serde_json::json!({"username": format!("nobody-{worker}-{n}"), "password": "Wrong-password-1"}))
                    .send()
                    .await;
                if let Ok(response) = response {
                    counts[usize::from(response.status().as_u16()).min(599)]
                        .fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    let mut readers = Vec::new();
    let started = Instant::now();
    for _ in 0..8 {
        let (stop, url) = (stop.clone(), format!("{base}{page}"));
        readers.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut latencies = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let at = Instant::now();
                let response = client.get(&url).send().await.expect("page answers");
                assert!(response.status().is_success(), "{}", response.status());
                let _ = response.bytes().await;
                latencies.push(at.elapsed());
            }
            latencies
        }));
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for reader in readers {
        all.extend(reader.await.expect("reader"));
    }
    for worker in flood {
        worker.await.expect("flooder");
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort();
    Phase {
        p50: percentile(&all, 0.50),
        p99: percentile(&all, 0.99),
        per_second: all.len() as f64 / elapsed,
        flood_answers: (0..600)
            .filter_map(|s| {
                let n = counts[s].load(Ordering::Relaxed);
                (n > 0).then_some((s as u16, n))
            })
            .collect(),
    }
}

#[tokio::main]
async fn main() {
    let bin = std::env::var("ZIJIN_BIN").expect("ZIJIN_BIN names the zijin binary");
    let seconds: u64 = env_or("SECONDS", 20);
    let server = start_server(&bin);
    let base = server.base.clone();
    let client = reqwest::Client::new();
    // The demo's published issue.
    let issues: serde_json::Value = client
        .get(format!("{base}/api/v1/lists"))
        .send()
        .await
        .expect("issues")
        .json()
        .await
        .expect("issues json");
    let issue = issues["items"][0]["id"]
        .as_i64()
        .or_else(|| issues[0]["id"].as_i64())
        .expect("a published issue");
    let page = format!("/lists/{issue}");
    println!("zijin serve --demo (SQLite, release), page {page}, {seconds} s per phase, 8 readers");
    // Warm up.
    phase(&base, &page, 3, 0, false).await;

    let baseline = phase(&base, &page, seconds, 0, false).await;
    let spread = phase(&base, &page, seconds, 32, true).await;
    let one_address = phase(&base, &page, seconds, 32, false).await;
    println!("| list page | p50 ms | p99 ms | req/s | login answers |");
    println!("|---|---|---|---|---|");
    for (name, phase) in [
        ("alone (baseline)", &baseline),
        (
            "32 connections flooding, each attempt from a new address",
            &spread,
        ),
        ("32 connections flooding from one address", &one_address),
    ] {
        println!(
            "| {name} | {:.2} | {:.2} | {:.0} | {:?} |",
            phase.p50, phase.p99, phase.per_second, phase.flood_answers
        );
    }
    println!(
        "p99 under the flood / alone: {:.2}× (new addresses), {:.2}× (one address); target ≤ 2×",
        spread.p99 / baseline.p99,
        one_address.p99 / baseline.p99
    );

    // 64 parallel wrong guesses at the admin from one new address.
    let mut guesses = Vec::new();
    for _ in 0..64 {
        let base = base.clone();
        guesses.push(tokio::spawn(async move {
            reqwest::Client::new()
                .post(format!("{base}/api/v1/auth/login"))
                .header("x-forwarded-for", "198.51.100.123")
                .json(&serde_json::json!({"username": "admin", "password": "Not-the-password-9"}))
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        }));
    }
    let (mut checked, mut throttled, mut other) = (0, 0, 0);
    for guess in guesses {
        match guess.await.expect("guess") {
            401 => checked += 1,
            429 => throttled += 1,
            _ => other += 1,
        }
    }
    println!(
        "64 parallel guesses at one account from one address: {checked} checked (401), \
         {throttled} throttled (429), {other} other; target ≤ 5 checked"
    );
    drop(server);
}
