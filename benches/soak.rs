//! Load and soak of `secretgate serve` (issue 8): many streamed answers held open for a long
//! time through the real binary, counting every failed stream and watching the proxy's
//! resident memory.
//!
//! `SECRETGATE_SOAK_STREAMS` (default 2000) clients each stream one answer after another —
//! `SECRETGATE_SOAK_EVENTS` events (default 100) one every `SECRETGATE_SOAK_INTERVAL_MS`
//! (default 100 ms: 10 tokens a second, and 20,000 events a second in all, the paced load of
//! the `proxy` bench with twice its streams), then a new request on a new connection — for
//! `SECRETGATE_SOAK_SECS` (default 60 s), so there are that many streams open at every moment
//! and connections keep coming and going. The load generator runs on one thread: when it
//! cannot keep up (latency in seconds), the figures describe the generator, not the proxy. The proxy's RSS is sampled every second. Reported: failed streams (with
//! the first reasons), events, the proxy's CPU time per event, latency, and RSS idle, peak,
//! by tenth of the run and once every stream has closed.
//!
//! The same load runs first through the proxy with `--scan off` (the baseline: what
//! forwarding alone costs) and then scanning; `SECRETGATE_SOAK_SCAN=on` runs only the
//! scanning proxy (for the 10-minute soak: `SECRETGATE_SOAK_SECS=600`), and
//! `SECRETGATE_SOAK_ROUNDS=N` runs its load N times on the same proxy. The proxy's `/metrics`
//! are scraped every 10 s: heap allocated (jemalloc's count of bytes in use: a leak shows
//! there even when RSS hides it) and the rule set's spare regex caches; and once every stream
//! of a round has closed in the proxy too.
//!
//! `cargo bench --bench soak`

#[path = "support/load.rs"]
mod load;

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use load::{env_usize, epoch, one_stream, start_upstream, Proxy};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

#[derive(Default)]
struct Tally {
    streams: usize,
    failed: usize,
    reasons: Vec<String>,
    latencies: Vec<f64>,
}

struct Report {
    tally: Tally,
    secs: f64,
    cpu_us: f64,
    /// (seconds since start, RSS KiB), one a second.
    rss: Vec<(f64, u64)>,
    /// (seconds since start, regex caches kept, bytes they hold, heap bytes allocated), from
    /// `/metrics` every 10 s.
    caches: Vec<(f64, f64, f64, f64)>,
}

/// One scrape of the proxy's `/metrics`.
async fn scrape(addr: &str) -> Option<String> {
    let mut tcp = TcpStream::connect(addr).await.ok()?;
    tcp.write_all(b"GET /metrics HTTP/1.1\r\nHost: soak\r\nConnection: close\r\n\r\n").await.ok()?;
    let mut body = Vec::new();
    tcp.read_to_end(&mut body).await.ok()?;
    String::from_utf8(body).ok()
}

/// The proxy's heap bytes allocated, now (NaN without the `jemalloc` feature).
async fn heap_now(addr: &str) -> f64 {
    let m = scrape(addr).await.unwrap_or_default();
    gauge(&m, "secretgate_heap_bytes{state=\"allocated\"}").unwrap_or(f64::NAN)
}

/// A gauge's value in a scrape (the metric's name with its labels, as written).
fn gauge(metrics: &str, name: &str) -> Option<f64> {
    metrics.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

/// One client: streams answers back to back until `until`.
async fn client(addr: String, events: usize, interval_us: u64, id: usize, until: Instant, tally: Arc<Mutex<Tally>>) {
    let mut n = 0;
    while Instant::now() < until {
        let got = one_stream(&addr, events, interval_us, id * 97 + n * 13, || {}).await;
        let mut t = tally.lock().expect("tally");
        t.streams += 1;
        match got {
            // Every fourth stream's latencies: enough for percentiles, less to sort.
            Ok(l) if n % 4 == 0 => t.latencies.extend(l),
            Ok(_) => {}
            Err(why) => {
                t.failed += 1;
                if t.reasons.len() < 5 {
                    t.reasons.push(why);
                }
            }
        }
        n += 1;
    }
}

async fn run(proxy: &Proxy, streams: usize, events: usize, interval_us: u64, secs: u64) -> Report {
    let tally = Arc::new(Mutex::new(Tally::default()));
    let started = Instant::now();
    let until = started + Duration::from_secs(secs);
    let (u0, s0) = proxy.cpu();
    // Clients arrive over one stream's life, so streams end (and new ones start) spread out.
    let ramp = Duration::from_micros(interval_us * events as u64);
    let tasks: Vec<_> = (0..streams)
        .map(|i| {
            let (addr, tally) = (proxy.addr.clone(), tally.clone());
            let after = ramp.mul_f64(i as f64 / streams as f64);
            tokio::spawn(async move {
                tokio::time::sleep(after).await;
                client(addr, events, interval_us, i, until, tally).await;
            })
        })
        .collect();
    let (mut rss, mut caches) = (Vec::new(), Vec::new());
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    while Instant::now() < until {
        tick.tick().await;
        let at = started.elapsed().as_secs_f64();
        rss.push((at, proxy.rss_kib()));
        if rss.len() % 10 == 0 {
            if let Some(m) = scrape(&proxy.addr).await {
                let heap = gauge(&m, "secretgate_heap_bytes{state=\"allocated\"}").unwrap_or(f64::NAN);
                if let (Some(n), Some(bytes)) =
                    (gauge(&m, "secretgate_regex_spare_caches"), gauge(&m, "secretgate_regex_cache_bytes"))
                {
                    caches.push((at, n, bytes, heap));
                }
            }
        }
    }
    for t in tasks {
        t.await.expect("client task");
    }
    let secs = started.elapsed().as_secs_f64();
    let (u1, s1) = proxy.cpu();
    let mut tally = Arc::try_unwrap(tally).ok().expect("clients done").into_inner().expect("tally");
    let events_seen = tally.streams.saturating_sub(tally.failed) * (events + 1);
    tally.latencies.sort_by(f64::total_cmp);
    Report { tally, secs, cpu_us: (u1 + s1 - u0 - s0) / events_seen.max(1) as f64 * 1e6, rss, caches }
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Prints one run; returns the proxy's CPU µs per event.
fn print(name: &str, idle_kib: u64, settled_kib: u64, r: &Report, streams: usize, events: usize) -> f64 {
    let t = &r.tally;
    let ok = t.streams - t.failed;
    println!("\n{name}: {} streams in {:.0} s, {} failed", t.streams, r.secs, t.failed);
    for why in &t.reasons {
        println!("  failed: {why}");
    }
    println!(
        "  {} events, {:.0} events/s; proxy CPU {:.1} µs per event; latency p50 {:.0} µs, p99 {:.0} µs",
        ok * (events + 1),
        (ok * (events + 1)) as f64 / r.secs,
        r.cpu_us,
        pct(&t.latencies, 0.5),
        pct(&t.latencies, 0.99)
    );
    let peak = r.rss.iter().map(|&(_, k)| k).max().unwrap_or(0);
    println!(
        "  RSS: idle {:.1} MiB, peak {:.1} MiB ({:.1} KiB per open stream), after every stream closed {:.1} MiB",
        mib(idle_kib),
        mib(peak),
        peak.saturating_sub(idle_kib) as f64 / streams as f64,
        mib(settled_kib)
    );
    // By tenth of the run: the mean of the samples in each tenth.
    let tenths = |samples: &[(f64, f64)]| -> String {
        (0..10)
            .filter_map(|k| {
                let (lo, hi) = (r.secs * k as f64 / 10.0, r.secs * (k + 1) as f64 / 10.0);
                let inside: Vec<f64> = samples.iter().filter(|&&(s, _)| s >= lo && s < hi).map(|&(_, v)| v).collect();
                (!inside.is_empty()).then(|| format!("{:.1}", inside.iter().sum::<f64>() / inside.len() as f64))
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let rss: Vec<(f64, f64)> = r.rss.iter().map(|&(s, k)| (s, mib(k))).collect();
    println!("  RSS MiB by tenth of the run: {}", tenths(&rss));
    let heap: Vec<(f64, f64)> = r.caches.iter().map(|&(s, _, _, h)| (s, h / 1048576.0)).collect();
    let kept: Vec<(f64, f64)> = r.caches.iter().map(|&(s, n, _, _)| (s, n)).collect();
    let held: Vec<(f64, f64)> = r.caches.iter().map(|&(s, _, b, _)| (s, b / 1048576.0)).collect();
    println!("  heap allocated MiB by tenth: {}", tenths(&heap));
    println!("  regex caches kept by tenth:  {}", tenths(&kept));
    println!("  regex cache MiB by tenth:    {}", tenths(&held));
    r.cpu_us
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        epoch();
        let streams = env_usize("SECRETGATE_SOAK_STREAMS", 2000);
        let events = env_usize("SECRETGATE_SOAK_EVENTS", 100);
        let interval_us = env_usize("SECRETGATE_SOAK_INTERVAL_MS", 100) as u64 * 1000;
        let secs = env_usize("SECRETGATE_SOAK_SECS", 60) as u64;
        let only_scanning = std::env::var("SECRETGATE_SOAK_SCAN").is_ok_and(|v| v == "on");
        // Rounds of the scanning load on one proxy: what stays allocated after a round's
        // streams have closed should not grow from round to round.
        let rounds = env_usize("SECRETGATE_SOAK_ROUNDS", 1).max(1);
        println!(
            "{streams} concurrent streams, each {events} events one every {} ms, back to back for {secs} s",
            interval_us / 1000
        );
        let upstream = start_upstream().await;
        let mut cpu_off = None;
        for scan in [false, true] {
            if only_scanning && !scan {
                continue;
            }
            let proxy = Proxy::start(upstream, scan);
            let (idle, idle_heap) = (proxy.rss_kib(), heap_now(&proxy.addr).await);
            let idle_tasks = gauge(&scrape(&proxy.addr).await.unwrap_or_default(), "secretgate_runtime_tasks");
            let mut cpu = 0.0;
            for round in 1..=if scan { rounds } else { 1 } {
                let r = run(&proxy, streams, events, interval_us, secs).await;
                // Settled: every stream and connection the load opened has ended in the proxy
                // too (its runtime back to the tasks it had idle, give or take the scrape).
                let waited = Instant::now();
                while waited.elapsed() < Duration::from_secs(60) {
                    let m = scrape(&proxy.addr).await.unwrap_or_default();
                    let done = gauge(&m, "secretgate_active_streams") == Some(0.0)
                        && gauge(&m, "secretgate_runtime_tasks") <= idle_tasks.map(|t| t + 1.0);
                    if done {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                let (settled, settled_heap) = (proxy.rss_kib(), heap_now(&proxy.addr).await);
                let name = match (scan, rounds) {
                    (false, _) => "proxy, scan off".to_owned(),
                    (true, 1) => "proxy, scanning".to_owned(),
                    (true, _) => format!("proxy, scanning, round {round} of {rounds}"),
                };
                cpu = print(&name, idle, settled, &r, streams, events);
                println!(
                    "  heap allocated: idle {:.1} MiB, after every stream closed {:.1} MiB",
                    idle_heap / 1048576.0,
                    settled_heap / 1048576.0
                );
            }
            match cpu_off {
                None => cpu_off = Some(cpu),
                Some(off) => println!("  CPU per event, scanning / scan off: {:.2}×", cpu / off),
            }
        }
    });
}
