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

use std::{
    net::SocketAddr,
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, OnceLock,
    },
    time::{Duration, Instant},
};

use secretgate::corpus;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

fn epoch() -> Instant {
    static E: OnceLock<Instant> = OnceLock::new();
    *E.get_or_init(Instant::now)
}

fn now_ns() -> u64 {
    epoch().elapsed().as_nanos() as u64
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The prose deltas every stream sends (in turn, from a per-stream offset).
fn deltas() -> &'static [String] {
    static D: OnceLock<Vec<String>> = OnceLock::new();
    D.get_or_init(|| {
        let text = corpus::prose(3, 200_000);
        let mut rng = corpus::Rng::new(1);
        let chars: Vec<char> = text.chars().collect();
        let mut out = Vec::new();
        let mut at = 0;
        while at < chars.len() {
            let n = 3 + rng.below(3);
            out.push(chars[at..(at + n).min(chars.len())].iter().collect());
            at += n;
        }
        out
    })
}

fn chunk(delta: &str, finish: Option<&str>) -> String {
    let delta = match finish {
        None => serde_json::json!({ "content": delta }),
        Some(_) => serde_json::json!({}),
    };
    let v = serde_json::json!({
        "id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 1_764_400_000,
        "model": "gpt-4o-mini-2024-07-18", "system_fingerprint": "fp_560af6e559",
        "choices": [{ "index": 0, "delta": delta, "logprobs": null, "finish_reason": finish }],
        "x_sent": now_ns(),
    });
    format!("data: {v}\n\n")
}

/// Writes `data` as one HTTP/1.1 chunk.
async fn write_chunk(w: &mut TcpStream, data: &[u8]) -> std::io::Result<()> {
    let mut frame = format!("{:x}\r\n", data.len()).into_bytes();
    frame.extend_from_slice(data);
    frame.extend_from_slice(b"\r\n");
    w.write_all(&frame).await
}

/// Reads one request head (and its body, by `Content-Length`); returns the head.
async fn read_request(r: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = memchr::memmem::find(&buf, b"\r\n\r\n") {
            break at + 4;
        }
        let n = r.read(&mut tmp).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&tmp[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let length = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap_or(0))
        })
        .unwrap_or(0);
    let mut have = buf.len() - head_end;
    while have < length {
        let n = r.read(&mut tmp).await.ok()?;
        if n == 0 {
            return None;
        }
        have += n;
    }
    Some(head)
}

/// One upstream connection: streams `events` chunks, one every `interval` on an absolute
/// schedule (none: as fast as the connection takes them), then closes.
async fn upstream_answer(mut tcp: TcpStream) {
    let Some(head) = read_request(&mut tcp).await else { return };
    let target = head.split_whitespace().nth(1).unwrap_or("");
    let q = target.split_once('?').map_or("", |(_, q)| q).to_owned();
    let param =
        |k: &str| q.split('&').find_map(|p| p.strip_prefix(&format!("{k}="))).and_then(|v| v.parse::<u64>().ok());
    let events = param("events").unwrap_or(100) as usize;
    let interval = Duration::from_micros(param("interval_us").unwrap_or(0));
    let start = param("offset").unwrap_or(0) as usize;
    // Independent streams do not tick together: each starts at its own phase of the interval.
    let phase = Duration::from_micros(param("phase_us").unwrap_or(0));
    let head =
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n";
    if tcp.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    let t0 = tokio::time::Instant::now() + phase;
    let d = deltas();
    for i in 0..=events {
        if !interval.is_zero() {
            tokio::time::sleep_until(t0 + interval * i as u32).await;
        }
        let text = if i == events {
            chunk("", Some("stop")) + "data: [DONE]\n\n"
        } else {
            chunk(&d[(start + i) % d.len()], None)
        };
        if write_chunk(&mut tcp, text.as_bytes()).await.is_err() {
            return;
        }
    }
    let _ = tcp.write_all(b"0\r\n\r\n").await;
}

/// The upstream: plain HTTP/1.1 over tokio sockets, so that the load generator costs as
/// little as possible and its own latency (the "direct" row) stays small beside the proxy's.
async fn start_upstream() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let _ = tcp.set_nodelay(true);
            tokio::spawn(upstream_answer(tcp));
        }
    });
    addr
}

/// The real binary, listening on a free port.
struct Proxy {
    child: Child,
    addr: String,
}

impl Proxy {
    fn start(upstream: SocketAddr, scan: bool) -> Proxy {
        // `SECRETGATE_BENCH_PROXY_CPUS=1` (with the bench itself under `taskset -c 0`) gives
        // the proxy a core of its own, as in a deployment where it does not share its cores
        // with the load generator.
        let cpus = std::env::var("SECRETGATE_BENCH_PROXY_CPUS").ok();
        let mut cmd = match &cpus {
            Some(list) => {
                let mut c = Command::new("taskset");
                c.args(["-c", list, env!("CARGO_BIN_EXE_secretgate")]);
                c
            }
            None => Command::new(env!("CARGO_BIN_EXE_secretgate")),
        };
        let mut child = cmd
            .args(["serve", "--upstream", &format!("http://{upstream}/v1"), "--listen", "127.0.0.1:0"])
            .args(["--scan", if scan { "on" } else { "off" }])
            .env("SECRETGATE_LOG", "warn")
            .envs(std::env::var("SECRETGATE_BENCH_PROXY_THREADS").ok().map(|t| ("TOKIO_WORKER_THREADS", t)))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start secretgate");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("stdout");
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).expect("read address");
        let addr = line.trim().rsplit("http://").next().expect("address").to_owned();
        Proxy { child, addr }
    }

    /// CPU time (user, system) the process has used, in seconds.
    fn cpu(&self) -> (f64, f64) {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        let rest = stat.rsplit(')').next().unwrap_or("");
        let f: Vec<&str> = rest.split_whitespace().collect();
        let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0) / 100.0;
        (ticks(11), ticks(12))
    }

    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP/1.1 chunked body decoder, enough for the proxy's and the upstream's answers.
#[derive(Default)]
struct Chunked {
    raw: Vec<u8>,
    /// Bytes of the current chunk still to come (`None`: a size line is next).
    left: Option<usize>,
    done: bool,
}

impl Chunked {
    /// Feeds raw bytes; appends decoded body bytes to `out`.
    fn feed(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        self.raw.extend_from_slice(bytes);
        let mut at = 0;
        loop {
            match self.left {
                None => {
                    let Some(eol) = memchr::memmem::find(&self.raw[at..], b"\r\n") else { break };
                    let line = std::str::from_utf8(&self.raw[at..at + eol]).unwrap_or("0");
                    let size = usize::from_str_radix(line.split(';').next().unwrap_or("0").trim(), 16).unwrap_or(0);
                    at += eol + 2;
                    if size == 0 {
                        self.done = true;
                        break;
                    }
                    self.left = Some(size);
                }
                Some(0) => {
                    if self.raw.len() - at < 2 {
                        break;
                    }
                    at += 2; // the CRLF after a chunk's data
                    self.left = None;
                }
                Some(n) => {
                    let take = n.min(self.raw.len() - at);
                    if take == 0 {
                        break;
                    }
                    out.extend_from_slice(&self.raw[at..at + take]);
                    at += take;
                    self.left = Some(n - take);
                }
            }
        }
        self.raw.drain(..at);
    }
}

/// One streamed request over a fresh connection; returns each event's latency in µs.
async fn one_stream(
    addr: String,
    events: usize,
    interval_us: u64,
    offset: usize,
    start_after: Duration,
    opened: Arc<Opened>,
) -> Vec<f64> {
    // Streams arrive one after another, as independent clients do, not all in one instant.
    tokio::time::sleep(start_after).await;
    let phase = (offset as u64 * 7919) % interval_us.max(1);
    let body = r#"{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}"#;
    let request = format!(
        "POST /v1/chat/completions?events={events}&interval_us={interval_us}&offset={offset}&phase_us={phase} HTTP/1.1\r\n\
         host: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut tcp = TcpStream::connect(&addr).await.expect("connect");
    let _ = tcp.set_nodelay(true);
    tcp.write_all(request.as_bytes()).await.expect("send request");
    let mut raw = Vec::new();
    let mut tmp = vec![0u8; 16 * 1024];
    let head_end = loop {
        if let Some(at) = memchr::memmem::find(&raw, b"\r\n\r\n") {
            break at + 4;
        }
        let n = tcp.read(&mut tmp).await.expect("read head");
        assert!(n > 0, "connection closed before the response head");
        raw.extend_from_slice(&tmp[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..head_end]).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 200"), "status line {:?}", head.lines().next());
    assert!(head.contains("transfer-encoding: chunked"), "a streamed answer is chunked");
    let mut chunked = Chunked::default();
    let mut sse = Vec::new();
    chunked.feed(&raw[head_end..], &mut sse);
    let mut out = Vec::with_capacity(events + 1);
    let mut first = true;
    loop {
        let now = now_ns();
        while let Some(end) = memchr::memmem::find(&sse, b"\n\n") {
            let event = &sse[..end];
            if let Some(at) = memchr::memmem::find(event, b"\"x_sent\":") {
                let digits: String =
                    event[at + 9..].iter().take_while(|b| b.is_ascii_digit()).map(|&b| b as char).collect();
                if let Ok(sent) = digits.parse::<u64>() {
                    out.push(now.saturating_sub(sent) as f64 / 1e3);
                }
            }
            sse.drain(..end + 2);
        }
        if first && !out.is_empty() {
            first = false;
            if opened.count.fetch_add(1, Ordering::SeqCst) + 1 == opened.want {
                opened.all.notify_one();
            }
        }
        if chunked.done {
            break;
        }
        let n = tcp.read(&mut tmp).await.expect("read body");
        if n == 0 {
            break;
        }
        chunked.feed(&tmp[..n], &mut sse);
    }
    assert_eq!(out.len(), events + 1, "every event arrived");
    out
}

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
            tokio::spawn(one_stream(base.to_owned(), events, interval_us, i * 97, after, opened.clone()))
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
