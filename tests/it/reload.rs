//! Hot reload of the real binary: a rule file replaced as an editor does (rename over it),
//! SIGHUP, broken files that keep the running rules, and a stream opened before a reload that
//! finishes on the rules it started with. Every wait is for an event (a log line) with a
//! deadline, never a sleep.

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::Arc,
    time::Duration,
};

use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::support::{assemble, chat_stream, http_client, ChoiceScript, Reply, Upstream};

const DEADLINE: Duration = Duration::from_secs(120);
const ACME: &str = "acme_Q7f2Lm9Xr4Tb8Wc1Yd6Hk3Pn";
const ZETA: &str = "zeta_R8g3Mn0Ys5Uc9Xd2Ze7Jl4Qo";
/// A key that only ever appears in broken rule files: it must not reach the log.
const PLANTED: &str = "sk-proj-Vb4Hq9Tz2Lx7Nc5Rw8Ym3Kd6Gf1Jp0Sa";

/// A rule file with one rule per `(id, prefix)`: `prefix` and 24 letters or digits.
fn rules(list: &[(&str, &str)]) -> String {
    list.iter()
        .map(|(id, prefix)| {
            format!(
                "[[rules]]\nid = \"{id}\"\ntitle = \"t\"\nregex = '''\\b(?P<secret>{prefix}[A-Za-z0-9]{{24}})\\b'''\n\
                 keywords = [\"{prefix}\"]\nconfidence = \"high\"\nexamples = [\"k = {prefix}Q7f2Lm9Xr4Tb8Wc1Yd6Hk3Pn\"]\n\
                 negative_examples = [\"{prefix}short\"]\n\n"
            )
        })
        .collect()
}

/// Writes `text` to `path` the way editors save: a temporary file renamed over it.
fn save(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp~");
    std::fs::write(&tmp, text).expect("write");
    std::fs::rename(&tmp, path).expect("rename over");
}

/// The binary, serving with a config file and a rule file in a directory of its own; its
/// log lines as they come.
struct Running {
    child: Child,
    base: String,
    dir: tempfile::TempDir,
    lines: mpsc::UnboundedReceiver<String>,
    /// Every log line read so far.
    log: Vec<String>,
}

impl Running {
    /// `config` is the config file's text, where `RULES` stands for the rule file's path.
    async fn start(upstream: &Upstream, config: &str, rule_text: &str) -> Running {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("rules")).expect("mkdir");
        let running_dir = dir.path().to_owned();
        let r = Running::paths(&running_dir);
        std::fs::write(&r.1, rule_text).expect("write rules");
        std::fs::write(&r.0, config.replace("RULES", &r.1.display().to_string())).expect("write config");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_secretgate"));
        cmd.args(["serve", "--upstream", &upstream.url(), "--listen", "127.0.0.1:0", "--config"]).arg(&r.0);
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("SECRETGATE_") {
                cmd.env_remove(k);
            }
        }
        cmd.env("SECRETGATE_LOG", "trace").stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("start secretgate");
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, lines) = mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for l in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        let first = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            line
        });
        let line = tokio::time::timeout(DEADLINE, first).await.expect("secretgate printed nothing").expect("join");
        let Some(addr) = line.trim().strip_prefix("secretgate listening on http://") else {
            let _ = child.kill();
            panic!("secretgate did not start: {line:?}");
        };
        Running { base: format!("http://{addr}"), child, dir, lines, log: Vec::new() }
    }

    fn paths(dir: &Path) -> (PathBuf, PathBuf) {
        (dir.join("secretgate.toml"), dir.join("rules").join("custom.toml"))
    }

    fn config_path(&self) -> PathBuf {
        Running::paths(self.dir.path()).0
    }

    fn rules_path(&self) -> PathBuf {
        Running::paths(self.dir.path()).1
    }

    /// Waits for a JSON log line with this `message` (and these fields); returns it.
    async fn logged(&mut self, message: &str, fields: &[(&str, Value)]) -> Value {
        let wait = async {
            loop {
                let line = self.lines.recv().await.expect("secretgate's log ended");
                self.log.push(line.clone());
                let Ok(v) = serde_json::from_str::<Value>(&line) else { continue };
                if v["message"] == message && fields.iter().all(|(k, want)| v[*k] == *want) {
                    return v;
                }
            }
        };
        match tokio::time::timeout(DEADLINE, wait).await {
            Ok(v) => v,
            Err(_) => panic!("no log line {message:?} {fields:?} in time; the log:\n{}", self.log.join("\n")),
        }
    }

    fn hangup(&self) {
        let status = Command::new("kill").args(["-HUP", &self.child.id().to_string()]).status().expect("kill");
        assert!(status.success());
    }

    /// A whole chat answer's content.
    async fn answer(&self) -> String {
        let v: Value = http_client()
            .post(format!("{}/v1/chat/completions", self.base))
            .json(&json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]}))
            .send()
            .await
            .expect("answer")
            .json()
            .await
            .expect("json");
        v["choices"][0]["message"]["content"].as_str().expect("content").to_owned()
    }

    async fn metrics(&self) -> String {
        http_client().get(format!("{}/metrics", self.base)).send().await.expect("metrics").text().await.expect("text")
    }

    /// Stops the binary; returns its whole log.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        while let Ok(l) = self.lines.try_recv() {
            self.log.push(l);
        }
        self.log.join("\n")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An upstream whose whole answers say both tokens.
async fn upstream() -> Upstream {
    let answer = json!({"id": "c", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": format!("a {ACME} z {ZETA}")}, "finish_reason": "stop"}]});
    Upstream::start(move |_| Reply::json(200, &answer)).await
}

const OWN_RULES_ONLY: &str = "[rules]\nbuiltin = false\npaths = [\"RULES\"]\n";

fn no_piece_of(secret: &str, log: &str) {
    for i in 0..=secret.len() - 12 {
        assert!(!log.contains(&secret[i..i + 12]), "a piece of {secret:?} is in the log");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_file_saved_by_an_editor_takes_effect_without_a_restart() {
    let up = upstream().await;
    let mut gate = Running::start(&up, OWN_RULES_ONLY, &rules(&[("acme-token", "acme_")])).await;
    assert_eq!(gate.answer().await, format!("a [REDACTED:acme-token] z {ZETA}"));

    save(&gate.rules_path(), &rules(&[("acme-token", "acme_"), ("zeta-token", "zeta_")]));
    gate.logged("configuration reloaded", &[("trigger", json!("file change")), ("generation", json!(2))]).await;
    assert_eq!(gate.answer().await, "a [REDACTED:acme-token] z [REDACTED:zeta-token]");
    let m = gate.metrics().await;
    assert!(m.contains("secretgate_config_generation 2\n"), "{m}");
    assert!(m.contains("secretgate_config_reloads_total{result=\"ok\"} 1\n"), "{m}");
    assert!(m.contains("secretgate_config_reloads_total{result=\"failed\"} 0\n"), "{m}");
    let log = gate.stop();
    no_piece_of(ACME, &log);
    no_piece_of(ZETA, &log);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_changed_files_and_keeps_restart_only_settings() {
    let up = upstream().await;
    let config = format!("{OWN_RULES_ONLY}[reload]\nwatch = false\n");
    let mut gate = Running::start(&up, &config, &rules(&[("acme-token", "acme_")])).await;
    // Nothing changed: SIGHUP reloads nothing (and does not stop the server).
    gate.hangup();
    gate.logged("configuration files unchanged; nothing to reload", &[("trigger", json!("sighup"))]).await;

    save(&gate.rules_path(), &rules(&[("zeta-token", "zeta_")]));
    let rules_path = gate.rules_path().display().to_string();
    save(&gate.config_path(), &format!("{}[limits]\nmax_concurrent = 7\n", config.replace("RULES", &rules_path)));
    gate.hangup();
    gate.logged(
        "this setting changes only on a restart; the running value is kept",
        &[("setting", json!("limits.max_concurrent"))],
    )
    .await;
    gate.logged("configuration reloaded", &[("trigger", json!("sighup")), ("generation", json!(2))]).await;
    assert_eq!(gate.answer().await, format!("a {ACME} z [REDACTED:zeta-token]"));
    assert!(gate.metrics().await.contains("secretgate_config_generation 2\n"));
    gate.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_file_keeps_the_running_rules_and_says_why() {
    let up = upstream().await;
    let mut gate = Running::start(&up, OWN_RULES_ONLY, &rules(&[("acme-token", "acme_")])).await;
    let custom = gate.rules_path();
    let failed = "reload failed; the running configuration stays in force";

    // An invalid regex with a key in it, and examples that hold one.
    let broken = rules(&[("acme-token", "acme_")]).replace("[A-Za-z0-9]{24})", &format!("{PLANTED}[a-)"));
    save(&custom, &format!("{broken}\n# {PLANTED}\n"));
    let v = gate.logged(failed, &[("trigger", json!("file change"))]).await;
    let error = v["error"].as_str().expect("error");
    assert!(error.contains("custom.toml") && error.contains("invalid regex"), "{error}");
    assert_eq!(gate.answer().await, format!("a [REDACTED:acme-token] z {ZETA}"));

    // A rule whose example its own regex does not find (the example is a key of another kind).
    save(&custom, &rules(&[("acme-token", "acme_")]).replace("k = acme_Q7f2Lm9Xr4Tb8Wc1Yd6Hk3Pn", PLANTED));
    let v = gate.logged(failed, &[]).await;
    assert!(v["error"].as_str().is_some_and(|e| e.contains("custom.toml") && e.contains("acme-token")), "{v}");

    // Fixed: reloads.
    save(&custom, &rules(&[("acme-token", "acme_"), ("zeta-token", "zeta_")]));
    gate.logged("configuration reloaded", &[("generation", json!(2))]).await;
    assert_eq!(gate.answer().await, "a [REDACTED:acme-token] z [REDACTED:zeta-token]");

    // A config that is not TOML (a canary literal cut short), then a rules path gone.
    let good_config = std::fs::read_to_string(gate.config_path()).expect("read config");
    save(&gate.config_path(), &format!("[[canary]]\nliteral = \"{PLANTED}\n"));
    let v = gate.logged(failed, &[]).await;
    assert!(v["error"].as_str().is_some_and(|e| e.contains("parsing config") && e.contains("secretgate.toml")), "{v}");
    std::fs::remove_file(&custom).expect("rm");
    save(&gate.config_path(), &good_config);
    let v = gate.logged(failed, &[]).await;
    assert!(v["error"].as_str().is_some_and(|e| e.contains("custom.toml: cannot read: not found")), "{v}");
    assert_eq!(gate.answer().await, "a [REDACTED:acme-token] z [REDACTED:zeta-token]");

    let m = gate.metrics().await;
    assert!(m.contains("secretgate_config_generation 2\n"), "{m}");
    assert!(m.contains("secretgate_config_reloads_total{result=\"failed\"} 4\n"), "{m}");
    no_piece_of(PLANTED, &gate.stop());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_opened_before_a_reload_finishes_on_its_rules() {
    let hold = Arc::new(tokio::sync::Notify::new());
    let h2 = hold.clone();
    let text = ["One, ", "key ", ACME, " end."];
    let stream = chat_stream(
        &[ChoiceScript {
            content: text.iter().map(|t| t.to_string()).collect(),
            finish_reason: "stop",
            ..Default::default()
        }],
        false,
    );
    let answer = json!({"id": "c", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": format!("a {ACME} z {ZETA}")}, "finish_reason": "stop"}]});
    let up = Upstream::start(move |seen| {
        if seen.body.windows(13).any(|w| w == b"\"stream\":true") {
            // The role chunk and "One, " go out; the rest waits for the test's go.
            let mut at = 0;
            for _ in 0..2 {
                at += stream[at..].windows(2).position(|w| w == b"\n\n").expect("an event") + 2;
            }
            let mut r = Reply::sse(vec![stream[..at].to_vec(), stream[at..].to_vec()]);
            r.hold = Some(h2.clone());
            r
        } else {
            Reply::json(200, &answer)
        }
    })
    .await;
    let mut gate = Running::start(&up, OWN_RULES_ONLY, &rules(&[("acme-token", "acme_")])).await;
    let mut open = http_client()
        .post(format!("{}/v1/chat/completions", gate.base))
        .json(&json!({"model": "m", "stream": true, "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .expect("stream");
    let mut got = open.chunk().await.expect("read").expect("first bytes").to_vec();

    // The new rules know zeta tokens only.
    save(&gate.rules_path(), &rules(&[("zeta-token", "zeta_")]));
    gate.logged("configuration reloaded", &[("generation", json!(2))]).await;
    assert_eq!(gate.answer().await, format!("a {ACME} z [REDACTED:zeta-token]"), "new requests: new rules");

    // The open stream still redacts with the rules it started on, and ends.
    hold.notify_one();
    while let Some(c) = open.chunk().await.expect("read") {
        got.extend_from_slice(&c);
    }
    let (choices, _, done) = assemble(&got);
    assert!(done, "the stream ran to [DONE]");
    assert_eq!(choices[0].content, "One, key [REDACTED:acme-token] end.");
    let log = gate.stop();
    let audits: Vec<Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["target"] == "secretgate::audit" && v["direction"] == "response")
        .collect();
    assert!(audits.iter().any(|a| a["rule"] == "acme-token"), "the stream's finding is named by its own rules");
    assert!(audits.iter().any(|a| a["rule"] == "zeta-token"));
    no_piece_of(ACME, &log);
}
