//! Scale-out: `docs/deploy/two-replicas.sh` run as a user runs it — two replicas of the real
//! binary behind nginx on loopback, streamed through with the official `openai` SDK (the
//! script and `two_replicas.py` say what is checked: unbuffered and redacted streams, both
//! replicas serving, a drained replica finishing its stream while new requests go to the
//! other one, and exiting 0).
//!
//! nginx is a system package (Debian: `nginx`). Without it the test says it skipped — unless
//! `SECRETGATE_REQUIRE_NGINX=1` (set by `.ci/run`, which installs it), where a missing nginx
//! fails: CI never passes on a test that did not run.

use std::{path::PathBuf, process::Command};

use crate::e2e::{python, root, run};

/// `$NGINX`, `nginx` on the PATH, or Debian's `/usr/sbin/nginx` (not on a user's PATH).
fn nginx() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("NGINX").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/local/sbin")])
        .map(|dir| dir.join("nginx"))
        .find(|p| p.is_file())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_behind_nginx_stream_redacted_and_drain_one_by_one() {
    let Some(nginx) = nginx() else {
        assert!(
            std::env::var("SECRETGATE_REQUIRE_NGINX").as_deref() != Ok("1"),
            "SECRETGATE_REQUIRE_NGINX=1 but nginx is not installed (Debian: apt-get install nginx)"
        );
        eprintln!("SKIPPED two_replicas_behind_nginx: nginx is not installed (Debian: apt-get install nginx)");
        return;
    };
    let script = root().join("docs/deploy/two-replicas.sh");
    // `timeout` signals its whole process group: the script, its client, replicas, nginx and
    // upstream all stop (and the script's trap cleans up) well before `run` gives up and
    // kills only its child.
    let mut cmd = Command::new("timeout");
    cmd.args(["--signal=TERM", "100", "bash"])
        .arg(&script)
        .env("SECRETGATE_BIN", env!("CARGO_BIN_EXE_secretgate"))
        .env("SECRETGATE_PYTHON", python())
        .env("NGINX", &nginx);
    let (status, out, err) = run(cmd, "docs/deploy/two-replicas.sh").await;
    assert!(status.success(), "{} failed: {status}\n{out}\n{err}", script.display());
    assert!(out.lines().any(|l| l == "two-replicas: ok"), "{out}\n{err}");
}
