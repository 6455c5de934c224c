//! A paced (open-loop) load generator for the webhook path: POSTs the payload files of a
//! directory in turn to `URL/extensions/jira-server/issue-updated/TOKEN/` at a fixed rate,
//! whatever the answers' latency (a closed-loop tool like wrk slows down with the server and
//! hides its queueing), and prints the latency percentiles and the non-2xx count.
//!
//! ```text
//! cargo run --release -p jirasync --example paced_load -- \
//!     --url http://127.0.0.1:PORT --token-file token.txt --payloads DIR --rate 500 --duration 10 \
//!     [--warmup 2]
//! ```
//!
//! `--warmup SECONDS` (default 0) sends at the same rate for that long first, without counting
//! it: the measured requests then find the server's connections, caches and prepared statements
//! in use. The payloads follow on from the warm-up's, so none is sent twice.
//!
//! Output, one `key=value` per line: `requests` (measured), `rate` (achieved), `p50_ms`,
//! `p90_ms`, `p99_ms`, `max_ms`, `non2xx`, `errors` (no answer), `late_ms` (the generator's own
//! worst lateness behind its schedule; a latency is measured from the moment its request is
//! sent). It runs on one thread, to leave the machine's other cores to the server.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line tool"
)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

/// What to send, how fast and for how long.
struct Settings {
    target: String,
    payloads: Vec<Vec<u8>>,
    rate: u32,
    duration: Duration,
    warmup: Duration,
}

fn settings() -> Result<Settings, String> {
    let mut url = None;
    let mut token_file = None;
    let mut payloads = None;
    let mut rate = 500_u32;
    let mut duration = 10_u64;
    let mut warmup = 0_u64;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--url" => url = Some(value),
            "--token-file" => token_file = Some(PathBuf::from(value)),
            "--payloads" => payloads = Some(PathBuf::from(value)),
            "--rate" => {
                rate = value
                    .parse()
                    .ok()
                    .filter(|rate| *rate > 0)
                    .ok_or("--rate must be a positive whole number")?;
            }
            "--duration" => {
                duration = value
                    .parse()
                    .ok()
                    .filter(|seconds| *seconds > 0)
                    .ok_or("--duration must be a positive whole number of seconds")?;
            }
            "--warmup" => {
                warmup = value
                    .parse()
                    .map_err(|_| "--warmup must be a whole number of seconds")?;
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    let url = url.ok_or("--url is required")?;
    let token_file = token_file.ok_or("--token-file is required")?;
    let directory = payloads.ok_or("--payloads is required")?;
    let token = std::fs::read_to_string(&token_file)
        .map_err(|error| format!("cannot read {}: {error}", token_file.display()))?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(&directory)
        .map_err(|error| format!("cannot read {}: {error}", directory.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "json")
        })
        .collect();
    files.sort();
    let payloads = files
        .iter()
        .map(|path| {
            std::fs::read(path).map_err(|error| format!("cannot read {}: {error}", path.display()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if payloads.is_empty() {
        return Err(format!("no .json payloads in {}", directory.display()));
    }
    Ok(Settings {
        target: format!(
            "{}/extensions/jira-server/issue-updated/{}/",
            url.trim_end_matches('/'),
            token.trim()
        ),
        payloads,
        rate,
        duration: Duration::from_secs(duration),
        warmup: Duration::from_secs(warmup),
    })
}

/// What the answers were.
#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    non_2xx: u64,
    errors: u64,
}

fn main() -> ExitCode {
    let settings = match settings() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("paced_load: {error}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("paced_load: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(settings))
}

async fn run(settings: Settings) -> ExitCode {
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .pool_max_idle_per_host(256)
        .build()
    {
        Ok(client) => client,
        Err(error) => {
            eprintln!("paced_load: cannot build the HTTP client: {error}");
            return ExitCode::FAILURE;
        }
    };
    let warmup = u64::from(settings.rate) * settings.warmup.as_secs();
    let total = u64::from(settings.rate) * settings.duration.as_secs();
    let interval = Duration::from_secs(1) / settings.rate;
    let tally = Arc::new(Mutex::new(Tally::default()));
    let payloads = Arc::new(settings.payloads);
    let first = Instant::now() + Duration::from_millis(100);
    // The measured part starts where the warm-up ends, on the same schedule.
    let start = first + settings.warmup;
    let mut late = Duration::ZERO;
    let mut requests = Vec::new();
    for n in 0..warmup + total {
        let due = first + interval * u32::try_from(n).unwrap_or(u32::MAX);
        tokio::time::sleep_until(due.into()).await;
        let measured = n >= warmup;
        if measured {
            late = late.max(Instant::now().saturating_duration_since(due));
        }
        let (client, tally, payloads) = (client.clone(), Arc::clone(&tally), Arc::clone(&payloads));
        let target = settings.target.clone();
        requests.push(tokio::spawn(async move {
            let index = usize::try_from(n).unwrap_or(0) % payloads.len();
            let body = payloads.get(index).cloned().unwrap_or_default();
            let sent = Instant::now();
            let answer = client
                .post(&target)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await;
            let status = match answer {
                Ok(answer) => {
                    let status = answer.status();
                    // The whole answer, as a sender waits for it.
                    let _ = answer.bytes().await;
                    Some(status)
                }
                Err(_) => None,
            };
            let latency = sent.elapsed();
            if !measured {
                return;
            }
            let mut tally = tally.lock().await;
            match status {
                Some(status) if status.is_success() => tally.latencies.push(latency),
                Some(_) => {
                    tally.non_2xx += 1;
                    tally.latencies.push(latency);
                }
                None => tally.errors += 1,
            }
        }));
    }
    for request in requests {
        let _ = request.await;
    }
    let elapsed = start.elapsed();
    let mut tally = tally.lock().await;
    tally.latencies.sort();
    // Nearest rank, in whole per mille: the smallest latency at or above `per_mille` of them.
    let percentile = |per_mille: usize| -> f64 {
        let count = tally.latencies.len();
        let rank = (count * per_mille).div_ceil(1000).max(1);
        tally
            .latencies
            .get(rank.min(count).saturating_sub(1))
            .map_or(0.0, |latency| latency.as_secs_f64() * 1000.0)
    };
    println!("requests={total}");
    println!("rate={:.1}", total as f64 / elapsed.as_secs_f64());
    println!("p50_ms={:.3}", percentile(500));
    println!("p90_ms={:.3}", percentile(900));
    println!("p99_ms={:.3}", percentile(990));
    println!("max_ms={:.3}", percentile(1000));
    println!("non2xx={}", tally.non_2xx);
    println!("errors={}", tally.errors);
    println!("late_ms={:.3}", late.as_secs_f64() * 1000.0);
    ExitCode::SUCCESS
}
