//! Load benchmark of `secretgate serve`: many concurrent streamed answers through the real
//! binary, beside the same streams straight from the upstream and through the proxy with
//! scanning off (`--scan off`), all in one run.
//!
//! The upstream (in this process) streams Chat Completions chunks whose content is prose cut
//! into 3–5 character deltas; each chunk carries the time it was sent (`x_sent`, an extra
//! field the proxy forwards untouched). The client (in this process too) notes when each
//! event arrives, so an event's latency is arrival − sending, and the proxy's added latency
//! is the proxy run's percentile minus the direct run's. Client and upstream speak plain
//! HTTP/1.1 over tokio sockets (chunked bodies, no HTTP library): the load generator's own
//! cost is what the "direct" row measures, and it must stay small beside the proxy's.
//!
//! - **paced**: `SECRETGATE_BENCH_STREAMS` (default 1000) streams at once, each sending an
//!   event every `SECRETGATE_BENCH_INTERVAL_MS` (default 50 ms, i.e. 20 tokens/s per stream)
//!   for `SECRETGATE_BENCH_EVENTS` events (default 200, so 10 s); the streams arrive spread
//!   over the first fifth of that, and every one is open for most of the run: per-event
//!   latency p50/p99, and the proxy's resident memory per open stream.
//! - **flood**: 64 streams of 2,000 events sent as fast as possible: events per second and
//!   the proxy's CPU time per event (user + system, from `/proc`).
//!
//! `cargo bench --bench proxy` (the proxy binary is built by cargo for the bench).
//! `SECRETGATE_BENCH_PROXY_CPUS=1 taskset -c 0 cargo bench --bench proxy` gives the proxy
//! core 1 and the load generator core 0, so neither steals the other's CPU.

#[path = "support/load.rs"]
mod load;

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use load::{env_usize, epoch, one_stream, start_upstream, Proxy};

/// Counts streams that have their first event.
struct Opened {
    count: AtomicUsize,
    want: usize,
    all: tokio::sync::Notify,
}

struct Run {
    p50: f64,
    p99: f64,
    events: usize,
    secs: f64,
    rss_open_kib: Option<u64>,
    /// The proxy's CPU time (user + system) per event, in µs.
    cpu_us: Option<f64>,
}

async fn run(base: &str, streams: usize, events: usize, interval_us: u64, proxy: Option<&Proxy>) -> Run {
    let opened = Arc::new(Opened { count: AtomicUsize::new(0), want: streams, all: tokio::sync::Notify::new() });
    let started = Instant::now();
    let cpu_before = proxy.map(Proxy::cpu);
    // Arrivals spread over a fifth of a stream's life: every stream is open for most of it.
    let ramp = Duration::from_micros(interval_us * events as u64 / 5);
    let tasks: Vec<_> = (0..streams)
        .map(|i| {
            let after = ramp.mul_f64(i as f64 / streams as f64);
            let (base, opened) = (base.to_owned(), opened.clone());
            tokio::spawn(async move {
                // Streams arrive one after another, as independent clients do.
                tokio::time::sleep(after).await;
                let all_open = || {
                    if opened.count.fetch_add(1, Ordering::SeqCst) + 1 == opened.want {
                        opened.all.notify_one();
                    }
                };
                one_stream(&base, events, interval_us, i * 97, all_open).await.expect("a stream")
            })
        })
        .collect();
    // Memory is read once every stream has its first event (and none has ended).
    opened.all.notified().await;
    let rss_open_kib = proxy.map(Proxy::rss_kib);
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("task"));
    }
    let secs = started.elapsed().as_secs_f64();
    let cpu_us = proxy.zip(cpu_before).map(|(p, (u0, s0))| {
        let (u1, s1) = p.cpu();
        (u1 + s1 - u0 - s0) / all.len() as f64 * 1e6
    });
    all.sort_by(f64::total_cmp);
    let pct = |p: f64| all[((all.len() - 1) as f64 * p).round() as usize];
    Run { p50: pct(0.5), p99: pct(0.99), events: all.len(), secs, rss_open_kib, cpu_us }
}

fn main() {
    // One thread for the load generator (client and upstream): the proxy under test gets the
    // other core rather than competing with two busy generator threads.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        epoch();
        let upstream = start_upstream().await;
        let scanning = Proxy::start(upstream, true);
        let plain = Proxy::start(upstream, false);
        let direct = upstream.to_string();
        let via = |p: &Proxy| p.addr.clone();

        let streams = env_usize("SECRETGATE_BENCH_STREAMS", 1000);
        let events = env_usize("SECRETGATE_BENCH_EVENTS", 200);
        let interval_us = env_usize("SECRETGATE_BENCH_INTERVAL_MS", 50) as u64 * 1000;
        println!("paced: {streams} concurrent streams × {events} events, one every {} ms", interval_us / 1000);
        println!("{:<22} {:>10} {:>10} {:>14} {:>14} {:>16}", "path", "p50 µs", "p99 µs", "added p50 µs", "added p99 µs", "proxy CPU µs/ev");
        let idle_kib = scanning.rss_kib();
        let base = run(&direct, streams, events, interval_us, None).await;
        println!("{:<22} {:>10.0} {:>10.0} {:>14} {:>14}", "direct", base.p50, base.p99, "-", "-");
        let plain_idle_kib = plain.rss_kib();
        let off = run(&via(&plain), streams, events, interval_us, Some(&plain)).await;
        let cpu = |r: &Run| r.cpu_us.unwrap_or(0.0);
        println!(
            "{:<22} {:>10.0} {:>10.0} {:>14.0} {:>14.0} {:>16.1}",
            "proxy, scan off", off.p50, off.p99, off.p50 - base.p50, off.p99 - base.p99, cpu(&off)
        );
        let on = run(&via(&scanning), streams, events, interval_us, Some(&scanning)).await;
        println!(
            "{:<22} {:>10.0} {:>10.0} {:>14.0} {:>14.0} {:>16.1}",
            "proxy, scanning", on.p50, on.p99, on.p50 - base.p50, on.p99 - base.p99, cpu(&on)
        );
        for (name, idle, r) in [("scanning", idle_kib, &on), ("scan off", plain_idle_kib, &off)] {
            if let Some(open) = r.rss_open_kib {
                let per = open.saturating_sub(idle) as f64 / streams as f64;
                println!("proxy RSS, {name}: {idle} KiB idle, {open} KiB with {streams} streams open: {per:.1} KiB per open stream");
            }
        }

        let (fs, fe) = (64, 2000);
        println!("\nflood: {fs} concurrent streams × {fe} events, unpaced");
        let d = run(&direct, fs, fe, 0, None).await;
        let cpu0 = plain.cpu();
        let off = run(&via(&plain), fs, fe, 0, None).await;
        let cpu1 = plain.cpu();
        let cpu_off = (cpu1.0 + cpu1.1 - cpu0.0 - cpu0.1) / off.events as f64 * 1e6;
        let sys_off = (cpu1.1 - cpu0.1) / off.events as f64 * 1e6;
        let cpu0 = scanning.cpu();
        let on = run(&via(&scanning), fs, fe, 0, None).await;
        let cpu1 = scanning.cpu();
        let cpu_on = (cpu1.0 + cpu1.1 - cpu0.0 - cpu0.1) / on.events as f64 * 1e6;
        let sys_on = (cpu1.1 - cpu0.1) / on.events as f64 * 1e6;
        let rate = |r: &Run| r.events as f64 / r.secs;
        println!("{:<22} {:>12} {:>10} {:>22}", "path", "events/s", "vs off", "proxy CPU µs/event (sys)");
        println!("{:<22} {:>12.0} {:>10} {:>22}", "direct", rate(&d), "-", "-");
        println!("{:<22} {:>12.0} {:>10.2} {:>15.2} ({:.2})", "proxy, scan off", rate(&off), 1.0, cpu_off, sys_off);
        println!("{:<22} {:>12.0} {:>10.2} {:>15.2} ({:.2})", "proxy, scanning", rate(&on), rate(&on) / rate(&off), cpu_on, sys_on);
    });
}
