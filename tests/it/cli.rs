//! The `secretgate` binary as a user runs it: exit codes, stdout, stderr.

use assert_cmd::Command;
use serde_json::Value;

const TOKEN: &str = "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";
const TOKEN2: &str = "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";

fn sg() -> Command {
    Command::cargo_bin("secretgate").expect("binary built")
}

fn data(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// `secretgate <args> --no-builtin --rules tests/data/rules.toml` with `stdin`.
fn run_fixture(args: &[&str], stdin: &str) -> (i32, String, String) {
    let out = sg()
        .args(args)
        .args(["--no-builtin", "--rules", &data("rules.toml")])
        .write_stdin(stdin)
        .output()
        .expect("runs");
    (
        out.status.code().expect("exit code"),
        String::from_utf8(out.stdout).expect("utf-8 stdout"),
        String::from_utf8(out.stderr).expect("utf-8 stderr"),
    )
}

fn document() -> String {
    format!("# Config\n\nUse `{TOKEN}` for the API.\nDB: password = \"Tr0ub4dor&3xyz\"\nnext {TOKEN2} é\n")
}

#[test]
fn scan_text_masks_secrets_and_exits_1() {
    let (code, stdout, stderr) = run_fixture(&["scan"], &document());
    assert_eq!(code, 1, "{stderr}");
    insta::assert_snapshot!(stdout, @r"
    <stdin>:3:6: demo-github-pat (high) ghp_… fingerprint=4ef0700d4b6cabd8
    <stdin>:4:17: demo-password (medium) Tr0… fingerprint=03a70faf4b7e67f7
    <stdin>:5:6: demo-github-pat (high) ghp_… fingerprint=35259cdef90b5817
    ");
    assert!(!stdout.contains(&TOKEN[..5]) && !stdout.contains("Tr0u"));
}

#[test]
fn scan_json_offsets_point_at_the_secret() {
    let doc = document();
    let (code, stdout, _) = run_fixture(&["scan", "--format", "json"], &doc);
    assert_eq!(code, 1);
    let lines: Vec<Value> = stdout.lines().map(|l| serde_json::from_str(l).expect("json line")).collect();
    assert_eq!(lines.len(), 3);
    let secrets: Vec<&str> = lines
        .iter()
        .map(|v| &doc[v["start"].as_u64().expect("start") as usize..v["end"].as_u64().expect("end") as usize])
        .collect();
    assert_eq!(secrets, [TOKEN, "Tr0ub4dor&3xyz", TOKEN2]);
    let first = &lines[0];
    for key in ["path", "rule_id", "kind", "start", "end", "line", "column", "confidence", "fingerprint"] {
        assert!(first.get(key).is_some(), "missing {key}");
    }
    assert_eq!(first["kind"], "secret");
    assert_eq!((first["line"].as_u64(), first["column"].as_u64()), (Some(3), Some(6)));
    assert_eq!(first["fingerprint"].as_str().map(str::len), Some(16));
    assert!(!stdout.contains(TOKEN), "json output must not carry the secret");
}

#[test]
fn scan_sarif_is_structurally_valid() {
    let (code, stdout, _) = run_fixture(&["scan", "--format", "sarif"], &document());
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&stdout).expect("sarif json");
    assert_eq!(v["version"], "2.1.0");
    assert!(v["$schema"].as_str().is_some_and(|s| s.contains("sarif-2.1.0")));
    let run = &v["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "secretgate");
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    let results = run["results"].as_array().expect("results");
    assert_eq!(results.len(), 3);
    for r in results {
        let idx = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[idx]["id"], r["ruleId"]);
        assert!(r["message"]["text"].as_str().is_some_and(|t| !t.contains(TOKEN)));
        let region = &r["locations"][0]["physicalLocation"]["region"];
        for k in ["startLine", "startColumn", "endLine", "endColumn"] {
            assert!(region[k].as_u64().is_some_and(|n| n >= 1), "{k}");
        }
        assert!(["error", "warning", "note"].contains(&r["level"].as_str().expect("level")));
    }
    assert_eq!(results[0]["locations"][0]["physicalLocation"]["region"]["endColumn"], 6 + TOKEN.len() as u64);
}

#[test]
fn scan_clean_input_exits_0() {
    let (code, stdout, _) = run_fixture(&["scan"], "nothing to see: password = '${DB_PASSWORD}'\n");
    assert_eq!((code, stdout.as_str()), (0, ""));
}

#[test]
fn scan_walks_directories_and_skips_binary_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("sub/.git")).expect("mkdir");
    std::fs::write(dir.path().join("a.env"), format!("T={TOKEN}\n")).expect("write");
    std::fs::write(dir.path().join("sub/b.md"), format!("x {TOKEN2}\n")).expect("write");
    std::fs::write(dir.path().join("sub/.git/config"), format!("x {TOKEN2}\n")).expect("write");
    std::fs::write(dir.path().join("sub/c.bin"), format!("\0\x01{TOKEN}")).expect("write");
    let out = sg()
        .args(["scan", "--format", "json", "--no-builtin", "--rules", &data("rules.toml")])
        .arg(dir.path())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let paths: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("json")["path"].as_str().expect("path").to_string())
        .collect();
    assert_eq!(paths.len(), 2, "{paths:?}");
    assert!(paths[0].ends_with("a.env") && paths[1].ends_with("b.md"), "{paths:?}");
}

#[test]
fn unreadable_path_is_one_error_line_and_exit_2() {
    let out = sg()
        .args(["scan", "--no-builtin", "--rules", &data("rules.toml"), "/definitely/not/here.txt"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("/definitely/not/here.txt"), "{stderr}");
}

#[test]
fn broken_rule_file_names_file_and_rule() {
    for cmd in [&["scan"][..], &["redact"], &["rules", "check"], &["rules", "list"]] {
        let out = sg().args(cmd).args(["--rules", &data("broken-regex.toml")]).write_stdin("x").output().expect("runs");
        assert_eq!(out.status.code(), Some(2), "{cmd:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("broken-regex.toml: rule `broken-one`: invalid regex"), "{stderr}");
    }
}

#[test]
fn redact_replaces_only_secrets() {
    let doc = document();
    let (code, stdout, _) = run_fixture(&["redact"], &doc);
    assert_eq!(code, 0);
    let expected = doc
        .replace(TOKEN, "[REDACTED:demo-github-pat]")
        .replace(TOKEN2, "[REDACTED:demo-github-pat]")
        .replace("Tr0ub4dor&3xyz", "[REDACTED:demo-password]");
    assert_eq!(stdout, expected);
    let (_, masked, _) = run_fixture(&["redact", "--style", "mask"], &doc);
    assert_eq!(masked.len(), doc.len());
    assert!(!masked.contains(TOKEN) && masked.contains(&"*".repeat(TOKEN.len())));
    let (_, hashed, _) = run_fixture(&["redact", "--style", "hash"], &doc);
    assert!(hashed.contains("[REDACTED:demo-github-pat:4ef0700d4b6cabd8]"), "{hashed}");
}

#[test]
fn redact_keeps_invalid_utf8_bytes() {
    let mut input = b"\xff\xfe before ".to_vec();
    input.extend_from_slice(TOKEN.as_bytes());
    input.extend_from_slice(b" after \xc3");
    let out = sg()
        .args(["redact", "--no-builtin", "--rules", &data("rules.toml")])
        .write_stdin(input)
        .output()
        .expect("runs");
    assert_eq!(out.stdout, b"\xff\xfe before [REDACTED:demo-github-pat] after \xc3");
}

#[test]
fn rules_list_and_check_on_fixture() {
    let (code, stdout, _) = run_fixture(&["rules", "list"], "");
    assert_eq!(code, 0);
    assert_eq!(
        stdout,
        "demo-github-pat\tDemo GitHub classic token\thigh\ndemo-password\tDemo password assignment\tmedium\n"
    );
    let (code, _, stderr) = run_fixture(&["rules", "check", "--strict"], "");
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("checked 2 rules, 2 examples, 2 negative examples: 0 problems"), "{stderr}");
}

#[test]
fn rules_check_reports_a_negative_example_that_matches() {
    let out =
        sg().args(["rules", "check", "--no-builtin", "--rules", &data("bad-negative.toml")]).output().expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("rule `greedy-demo`: negative example 1: matched by `greedy-demo`"), "{stderr}");
}

#[test]
fn rules_check_warns_on_unbounded_rules_and_fails_in_strict_mode() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("unbounded.toml");
    let text = std::fs::read_to_string(data("bad-negative.toml"))
        .expect("read")
        .replace("{3,10}", "+")
        .replace("tok_zzzq", "nothing here");
    std::fs::write(&path, text).expect("write");
    let run = |strict: bool| {
        let mut c = sg();
        c.args(["rules", "check", "--no-builtin", "--rules"]).arg(&path);
        if strict {
            c.arg("--strict");
        }
        c.output().expect("runs")
    };
    let lax = run(false);
    assert_eq!(lax.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&lax.stderr).contains("unbounded repetition"));
    assert_eq!(run(true).status.code(), Some(1));
}

#[test]
fn builtin_rules_pass_rules_check_strict() {
    let out = sg().args(["rules", "check", "--strict"]).output().expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

/// `redact --stream-chunk N` releases exactly what one-shot `redact` writes, for every N,
/// with the built-in rules on documents full of secrets (PEM blocks, URLs, assignments).
#[test]
fn redact_stream_chunks_equal_one_shot() {
    let corpus = secretgate::corpus::generate(5, 12, 3);
    let text: String = corpus.positives.iter().chain(&corpus.negatives).map(|d| d.text.as_str()).collect();
    let run = |extra: &[&str]| {
        let out = sg().arg("redact").args(extra).write_stdin(text.clone()).output().expect("runs");
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).expect("utf-8")
    };
    let one_shot = run(&[]);
    assert_ne!(one_shot, text, "the documents hold secrets");
    for n in ["1", "2", "3", "5", "8", "64", "100000"] {
        assert_eq!(run(&["--stream-chunk", n]), one_shot, "--stream-chunk {n}");
    }
    assert_eq!(run(&["--stream-chunk", "3", "--style", "hash"]), run(&["--style", "hash"]));
}

#[test]
fn redact_stream_needs_utf8_and_a_positive_chunk() {
    let out = sg().args(["redact", "--stream-chunk", "4"]).write_stdin(&b"ok \xff"[..]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not UTF-8"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = sg().args(["redact", "--stream-chunk", "0"]).write_stdin("x").output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
}
