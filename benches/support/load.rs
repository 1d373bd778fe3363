//! The load generator the proxy benches share (`proxy`, `soak`): an upstream that streams
//! Chat Completions chunks on a schedule, the real `secretgate` binary as a child process
//! (with its CPU time and resident memory read from `/proc`), and a client that reads one
//! streamed answer and notes each event's latency.
//!
//! The upstream streams prose cut into 3–5 character deltas; each chunk carries the time it
//! was sent (`x_sent`, an extra field the proxy forwards untouched), so an event's latency is
//! arrival − sending. Client and upstream speak plain HTTP/1.1 over tokio sockets (chunked
//! bodies, no HTTP library), so the generator's own cost stays small beside the proxy's.
#![allow(dead_code)]

use std::{
    net::SocketAddr,
    process::{Child, Command, Stdio},
    sync::OnceLock,
    time::{Duration, Instant},
};

use secretgate::corpus;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

pub fn epoch() -> Instant {
    static E: OnceLock<Instant> = OnceLock::new();
    *E.get_or_init(Instant::now)
}

pub fn now_ns() -> u64 {
    epoch().elapsed().as_nanos() as u64
}

pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The prose deltas every stream sends (in turn, from a per-stream offset).
pub fn deltas() -> &'static [String] {
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
pub async fn start_upstream() -> SocketAddr {
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
pub struct Proxy {
    child: Child,
    pub addr: String,
}

impl Proxy {
    pub fn start(upstream: SocketAddr, scan: bool) -> Proxy {
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
    pub fn cpu(&self) -> (f64, f64) {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        let rest = stat.rsplit(')').next().unwrap_or("");
        let f: Vec<&str> = rest.split_whitespace().collect();
        let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0) / 100.0;
        (ticks(11), ticks(12))
    }

    pub fn rss_kib(&self) -> u64 {
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

/// One streamed request over a fresh connection: each event's latency in µs, or what went
/// wrong (a refused connection, a status other than 200, an answer cut short). `first` is
/// called when the first event arrives.
pub async fn one_stream(
    addr: &str,
    events: usize,
    interval_us: u64,
    offset: usize,
    first: impl FnOnce(),
) -> Result<Vec<f64>, String> {
    let phase = (offset as u64 * 7919) % interval_us.max(1);
    let body = r#"{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}"#;
    let request = format!(
        "POST /v1/chat/completions?events={events}&interval_us={interval_us}&offset={offset}&phase_us={phase} HTTP/1.1\r\n\
         host: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut tcp = TcpStream::connect(addr).await.map_err(|e| format!("connect: {e}"))?;
    let _ = tcp.set_nodelay(true);
    tcp.write_all(request.as_bytes()).await.map_err(|e| format!("send request: {e}"))?;
    let mut raw = Vec::new();
    let mut tmp = vec![0u8; 16 * 1024];
    let head_end = loop {
        if let Some(at) = memchr::memmem::find(&raw, b"\r\n\r\n") {
            break at + 4;
        }
        let n = tcp.read(&mut tmp).await.map_err(|e| format!("read head: {e}"))?;
        if n == 0 {
            return Err("connection closed before the response head".into());
        }
        raw.extend_from_slice(&tmp[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..head_end]).to_ascii_lowercase();
    if !head.starts_with("http/1.1 200") {
        return Err(format!("status line {:?}", head.lines().next()));
    }
    if !head.contains("transfer-encoding: chunked") {
        return Err("a streamed answer is chunked".into());
    }
    let mut chunked = Chunked::default();
    let mut sse = Vec::new();
    chunked.feed(&raw[head_end..], &mut sse);
    let mut out = Vec::with_capacity(events + 1);
    let mut first = Some(first);
    let mut done = false;
    loop {
        let now = now_ns();
        while let Some(end) = memchr::memmem::find(&sse, b"\n\n") {
            let event = &sse[..end];
            if event == b"data: [DONE]" {
                done = true;
            }
            if let Some(at) = memchr::memmem::find(event, b"\"x_sent\":") {
                let digits: String =
                    event[at + 9..].iter().take_while(|b| b.is_ascii_digit()).map(|&b| b as char).collect();
                if let Ok(sent) = digits.parse::<u64>() {
                    out.push(now.saturating_sub(sent) as f64 / 1e3);
                }
            }
            sse.drain(..end + 2);
        }
        if !out.is_empty() {
            if let Some(f) = first.take() {
                f();
            }
        }
        if chunked.done {
            break;
        }
        let n = tcp.read(&mut tmp).await.map_err(|e| format!("read body: {e}"))?;
        if n == 0 {
            break;
        }
        chunked.feed(&tmp[..n], &mut sse);
    }
    if out.len() != events + 1 || !done {
        return Err(format!(
            "{} of {} events, [DONE] {}",
            out.len(),
            events + 1,
            if done { "seen" } else { "missing" }
        ));
    }
    Ok(out)
}
