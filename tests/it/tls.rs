//! Transport security over real sockets, with self-signed certificates made here: the TLS
//! listener (the proxy, health and metrics over HTTPS, HSTS), what it does with plain HTTP and
//! garbage, certificates replaced without a restart (in-process, and the binary on SIGHUP with
//! logs that hold no key), `require_tls` with trusted proxies, and the upstream's certificate
//! always verified (a private CA through `upstream.ca_file`).

use std::{
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Command, Stdio},
    sync::{mpsc, Arc},
    time::{Duration, Instant},
};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{http_client, Gate, Reply, Upstream};

const KEY: &str = "sk-proj-7ku8dr1aRNQPTDZTe1tzT3BlbkFJjD7yqHBEReY65dHmyWR2";
/// How long a test waits for something that should happen at once (a reload, a close).
const PATIENCE: Duration = Duration::from_secs(15);

/// A self-signed certificate for `localhost` and `127.0.0.1`, and its key, as PEM.
struct Pair {
    cert: String,
    key: String,
}

fn self_signed() -> Pair {
    let c = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).expect("certificate");
    Pair { cert: c.cert.pem(), key: c.signing_key.serialize_pem() }
}

/// A certificate and key on disk, replaced the way tools do it (write aside, rename over).
struct CertFiles {
    _dir: tempfile::TempDir,
    cert: PathBuf,
    key: PathBuf,
}

impl CertFiles {
    fn new(pair: &Pair) -> CertFiles {
        let dir = tempfile::tempdir().expect("dir");
        let files = CertFiles { cert: dir.path().join("cert.pem"), key: dir.path().join("key.pem"), _dir: dir };
        files.replace(&pair.cert, &pair.key);
        files
    }

    fn replace(&self, cert: &str, key: &str) {
        for (path, text) in [(&self.cert, cert), (&self.key, key)] {
            let aside = path.with_extension("new");
            std::fs::write(&aside, text).expect("write");
            std::fs::rename(&aside, path).expect("rename");
        }
    }

    /// `[tls]` for these files.
    fn config(&self, reload_secs: f64) -> String {
        format!("[tls]\ncert = {:?}\nkey = {:?}\nreload_secs = {reload_secs}\n", self.cert, self.key)
    }
}

/// A client that trusts only `pair`'s certificate. A new one per call: a new handshake.
fn trusting(pair: &Pair) -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let root = reqwest::Certificate::from_pem(pair.cert.as_bytes()).expect("root");
    reqwest::Client::builder().no_proxy().tls_certs_only([root]).build().expect("client")
}

fn answer(content: &str) -> Value {
    json!({"id": "c", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]})
}

/// An upstream whose answers carry a key, and an HSTS header of its own.
async fn upstream() -> Upstream {
    Upstream::start(|_| {
        let mut r = Reply::json(200, &answer(&format!("key: {KEY}")));
        r.headers.push(("strict-transport-security".into(), "max-age=1; includeSubDomains".into()));
        r
    })
    .await
}

fn chat() -> Value {
    json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]})
}

fn hsts(r: &reqwest::Response) -> Option<&str> {
    r.headers().get("strict-transport-security").and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn https_serves_the_proxy_health_and_metrics_with_hsts() {
    let up = upstream().await;
    let pair = self_signed();
    let files = CertFiles::new(&pair);
    let gate = Gate::start(&up.url(), &files.config(10.0), &[]).await;
    let base = format!("https://127.0.0.1:{}", gate.addr.port());
    let client = trusting(&pair);

    let r = client.post(format!("{base}/v1/chat/completions")).json(&chat()).send().await.expect("answer");
    assert_eq!(r.status(), 200);
    assert_eq!(hsts(&r), Some("max-age=31536000"), "ours, not the upstream's");
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["choices"][0]["message"]["content"], "key: [REDACTED:openai-project-key]");
    for path in ["/healthz", "/readyz", "/metrics"] {
        let r = client.get(format!("{base}{path}")).send().await.expect("answer");
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(hsts(&r), Some("max-age=31536000"), "{path}");
    }
    // A client that does not trust the certificate gets no answer at all.
    assert!(http_client().get(format!("{base}/healthz")).send().await.is_err());
}

/// Reads what the server sends until it closes, or fails the test after `PATIENCE`.
async fn read_to_close(stream: &mut tokio::net::TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let read = tokio::time::timeout(PATIENCE, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    });
    read.await.expect("the server closes the connection");
    got
}

#[tokio::test]
async fn plain_http_and_garbage_on_the_tls_port_get_an_answer_or_a_close() {
    let up = upstream().await;
    let pair = self_signed();
    let files = CertFiles::new(&pair);
    let gate = Gate::start(&up.url(), &files.config(10.0), &[]).await;

    // Plain HTTP: told to use HTTPS, in OpenAI's error shape.
    let r = http_client()
        .post(format!("http://127.0.0.1:{}/v1/chat/completions", gate.addr.port()))
        .json(&chat())
        .send()
        .await
        .expect("an answer in plain HTTP");
    assert_eq!(r.status(), 400);
    assert!(hsts(&r).is_none());
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["error"]["code"], "tls_required");

    let mut rng = secretgate::corpus::Rng::new(8);
    let mut random: Vec<u8> = (0..3000).map(|_| rng.below(256) as u8).collect();
    random[0] = 0x16;
    let garbage: Vec<Vec<u8>> = vec![
        b"\x00\x01\x02 not a handshake".to_vec(),
        b"\x16\x03\x01\x00\x05hello".to_vec(),
        // A ClientHello record three bytes short: the server waits for the rest only until
        // the handshake timeout.
        b"\x16\x03\x03\x00\x2a\x01\x00\x00\x26\x03\x03garbage-garbage-garbage-garbage!!".to_vec(),
        random,
        b"GET /\r\n\r\n".to_vec(),
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec(),
    ];
    // All at once: each ends in a close (after an alert or a 400), none holds up another.
    let closes = garbage.into_iter().map(|bytes| async move {
        let mut s = tokio::net::TcpStream::connect(gate.addr).await.expect("connect");
        let _ = s.write_all(&bytes).await;
        let got = read_to_close(&mut s).await;
        assert!(
            got.is_empty() || got.starts_with(b"HTTP/1.1 400") || got[0] == 0x15,
            "{:?}",
            &got[..got.len().min(40)]
        );
    });
    futures_util::future::join_all(closes).await;
    // A client that connects and leaves at once.
    drop(tokio::net::TcpStream::connect(gate.addr).await.expect("connect"));

    // Still serving.
    let r = trusting(&pair).get(format!("https://127.0.0.1:{}/healthz", gate.addr.port())).send().await.expect("ok");
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_replaced_certificate_is_served_without_a_restart() {
    let up = upstream().await;
    let (old, new) = (self_signed(), self_signed());
    let files = CertFiles::new(&old);
    let gate = Gate::start(&up.url(), &files.config(0.05), &[]).await;
    let url = format!("https://127.0.0.1:{}/healthz", gate.addr.port());
    assert_eq!(trusting(&old).get(&url).send().await.expect("old").status(), 200);
    assert!(trusting(&new).get(&url).send().await.is_err(), "not yet the new certificate");

    // A broken pair (the new certificate with the old key) is refused: the old one stays.
    files.replace(&new.cert, &old.key);
    files.replace(&new.cert, &new.key);
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Ok(r) = trusting(&new).get(&url).send().await {
            assert_eq!(r.status(), 200);
            break;
        }
        assert!(Instant::now() < deadline, "the new certificate was not served within {PATIENCE:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(trusting(&old).get(&url).send().await.is_err(), "the old certificate is gone");
}

#[tokio::test]
async fn require_tls_refuses_plain_http_unless_a_trusted_proxy_says_https() {
    let up = upstream().await;
    // 127.0.0.1 plays the load balancer; 127.0.0.2 a client on this machine.
    let gate = Gate::start(&up.url(), "trusted_proxies = [\"127.0.0.1\"]\n", &[]).await;
    let lb = http_client();
    let local = reqwest::Client::builder()
        .no_proxy()
        .local_address(Some("127.0.0.2".parse().expect("ip")))
        .build()
        .expect("client");

    // From the load balancer without X-Forwarded-Proto: https — refused before the body is read.
    let r = lb.post(gate.url("/v1/chat/completions")).json(&chat()).send().await.expect("answer");
    assert_eq!(r.status(), 403);
    assert!(hsts(&r).is_none());
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["error"]["code"], "tls_required");
    let r = lb
        .post(gate.url("/v1/chat/completions"))
        .header("x-forwarded-proto", "http")
        .json(&chat())
        .send()
        .await
        .expect("answer");
    assert_eq!(r.status(), 403);
    let r = lb.post(gate.url("/v1/messages")).json(&chat()).send().await.expect("answer");
    let v: Value = r.json().await.expect("json");
    assert_eq!((v["type"].as_str(), v["error"]["type"].as_str()), (Some("error"), Some("permission_error")));
    assert!(up.requests().is_empty(), "nothing refused went upstream");
    // Probes and scrapers are served over plain HTTP.
    for path in ["/healthz", "/readyz", "/metrics"] {
        let r = lb.get(gate.url(path)).send().await.expect("answer");
        assert_eq!((r.status().as_u16(), hsts(&r)), (200, None), "{path}");
    }

    // The load balancer says the client used HTTPS: served, with HSTS.
    let r = lb
        .post(gate.url("/v1/chat/completions"))
        .header("x-forwarded-proto", "https")
        .json(&chat())
        .send()
        .await
        .expect("answer");
    assert_eq!((r.status().as_u16(), hsts(&r)), (200, Some("max-age=31536000")));

    // A client on this machine is served; its X-Forwarded-Proto means nothing, so no HSTS,
    // and the upstream's is not passed on over plain HTTP.
    let r = local
        .post(gate.url("/v1/chat/completions"))
        .header("x-forwarded-proto", "https")
        .json(&chat())
        .send()
        .await
        .expect("answer");
    assert_eq!((r.status().as_u16(), hsts(&r)), (200, None));

    // require_tls = false: the load balancer's plain HTTP is served too.
    let open = Gate::start(&up.url(), "require_tls = false\ntrusted_proxies = [\"127.0.0.1\"]\n", &[]).await;
    let r = lb.post(open.url("/v1/chat/completions")).json(&chat()).send().await.expect("answer");
    assert_eq!((r.status().as_u16(), hsts(&r)), (200, None));
}

#[tokio::test]
async fn upstream_certificates_are_verified_and_a_ca_file_is_trusted() {
    let pair = self_signed();
    let files = CertFiles::new(&pair);
    let settings = secretgate::proxy::tls::TlsSettings {
        cert: files.cert.clone(),
        key: files.key.clone(),
        reload_every: Duration::from_secs(60),
    };
    let cert = Arc::new(secretgate::proxy::tls::ServerCert::load(&settings).expect("upstream certificate"));
    let up = Upstream::start_tls(
        |_| Reply::json(200, &answer(&format!("key: {KEY}"))),
        cert.server_config().expect("config"),
    )
    .await;
    assert!(up.url().starts_with("https://127.0.0.1:"));

    // Not trusted by the system roots: a clear 502, and nothing reached the upstream.
    let gate = Gate::start(&up.url(), "", &[]).await;
    let r = http_client().post(gate.url("/v1/chat/completions")).json(&chat()).send().await.expect("answer");
    assert_eq!(r.status(), 502);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["error"]["code"], "upstream_certificate", "{v}");
    assert!(up.requests().is_empty());

    // Its CA in upstream.ca_file: verified and used.
    let config = format!("[upstream]\nca_file = {:?}\n", files.cert);
    let gate = Gate::start(&up.url(), &config, &[]).await;
    let r = http_client().post(gate.url("/v1/chat/completions")).json(&chat()).send().await.expect("answer");
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["choices"][0]["message"]["content"], "key: [REDACTED:openai-project-key]");
    assert_eq!(up.requests().len(), 1);

    // A CA file for another certificate: refused like no CA at all.
    let other = CertFiles::new(&self_signed());
    let gate = Gate::start(&up.url(), &format!("[upstream]\nca_file = {:?}\n", other.cert), &[]).await;
    let r = http_client().post(gate.url("/v1/chat/completions")).json(&chat()).send().await.expect("answer");
    assert_eq!(r.status(), 502);
}

#[test]
fn bad_tls_files_stop_the_start_with_a_clear_error() {
    let (one, two) = (self_signed(), self_signed());
    let files = CertFiles::new(&one);
    let bin = env!("CARGO_BIN_EXE_secretgate");
    let serve = |args: &[&str], env: &[(&str, &str)]| {
        let out = Command::new(bin)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .output()
            .expect("run");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let cert = files.cert.to_str().expect("path");
    let key = files.key.to_str().expect("path");

    // Both or neither.
    let (code, _, err) = serve(&["--tls-cert", cert], &[]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--tls-key"), "{err}");
    let (code, _, err) = serve(&[], &[("SECRETGATE_TLS_KEY", key)]);
    assert_eq!(code, Some(2));
    assert!(err.contains("go together"), "{err}");

    let cases: &[(&str, &str, &str)] = &[
        (&one.cert, &two.key, "does not match the certificate"),
        ("not a certificate", &one.key, "no PEM certificate"),
        (&one.cert, "not a key", "no PEM private key"),
    ];
    for (cert_text, key_text, want) in cases {
        files.replace(cert_text, key_text);
        let (code, out, err) = serve(&["--tls-cert", cert, "--tls-key", key], &[]);
        assert_eq!(code, Some(2), "{err}");
        assert!(out.is_empty(), "nothing listens: {out}");
        assert!(err.contains(want), "{err:?} should say {want:?}");
        assert!(!err.contains("-----") && !err.contains(&one.key[40..70]) && !err.contains(&two.key[40..70]), "{err}");
    }
    let missing = files.cert.with_extension("missing");
    let (code, _, err) = serve(&["--tls-cert", missing.to_str().expect("path"), "--tls-key", key], &[]);
    assert_eq!(code, Some(2));
    assert!(err.contains("reading TLS certificate") && err.contains("cert.missing"), "{err}");

    // The upstream's CA file is checked at the start too.
    let (code, _, err) = serve(&[], &[("SECRETGATE_UPSTREAM_CA_FILE", key)]);
    assert_eq!(code, Some(2));
    assert!(err.contains("no PEM certificate"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_https_reloads_on_sighup_and_logs_no_key() {
    let up = upstream().await;
    let (old, new) = (self_signed(), self_signed());
    let files = CertFiles::new(&old);
    let mut child = Command::new(env!("CARGO_BIN_EXE_secretgate"))
        .args(["serve", "--upstream", &up.url(), "--listen", "127.0.0.1:0"])
        .arg("--tls-cert")
        .arg(&files.cert)
        .arg("--tls-key")
        .arg(&files.key)
        .env("SECRETGATE_LOG", "trace")
        // Only SIGHUP reloads here.
        .env("SECRETGATE_TLS_RELOAD_SECS", "3600")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start secretgate");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("address line");
    let addr = line.trim().rsplit("https://").next().expect("address").to_owned();
    assert!(line.contains("https://"), "{line}");
    let (tx, rx) = mpsc::channel::<String>();
    let stderr = child.stderr.take().expect("stderr");
    std::thread::spawn(move || {
        for l in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    let logs = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    // Waits for a log line containing `what`, keeping every line.
    let wait_for = |what: &'static str| {
        let (rx, logs) = (&rx, logs.clone());
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let l = rx.recv_timeout(left).unwrap_or_else(|_| panic!("no log line with {what:?}"));
            let hit = l.contains(what);
            logs.lock().expect("lock").push(l);
            if hit {
                return;
            }
        }
    };
    let hup = |pid: u32| {
        assert!(Command::new("kill").args(["-HUP", &pid.to_string()]).status().expect("kill").success());
    };
    let url = format!("https://{addr}/v1/chat/completions");
    let r = trusting(&old).post(&url).json(&chat()).send().await.expect("answer");
    assert_eq!((r.status().as_u16(), hsts(&r)), (200, Some("max-age=31536000")));

    // A broken pair: refused, logged, the old certificate stays.
    files.replace(&new.cert, &old.key);
    hup(child.id());
    wait_for("cannot be used");
    assert_eq!(trusting(&old).get(format!("https://{addr}/healthz")).send().await.expect("old").status(), 200);
    // The whole new pair.
    files.replace(&new.cert, &new.key);
    hup(child.id());
    wait_for("TLS certificate reloaded");
    let r = trusting(&new).post(&url).json(&chat()).send().await.expect("new certificate");
    assert_eq!(r.status(), 200);
    assert!(trusting(&old).get(format!("https://{addr}/healthz")).send().await.is_err());

    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill").success());
    let status = tokio::task::spawn_blocking(move || child.wait()).await.expect("join").expect("wait");
    assert!(status.success(), "{status:?}");
    let mut all = logs.lock().expect("lock").join("\n");
    all.extend(rx.try_iter().map(|l| format!("\n{l}")));
    assert!(all.contains("shutting down"), "{all}");
    for pem in [&old.key, &new.key] {
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        for i in 0..body.len().saturating_sub(16) {
            assert!(!all.contains(&body[i..i + 16]), "a piece of a private key is in the log");
        }
    }
    assert!(!all.contains("-----BEGIN"));
}
