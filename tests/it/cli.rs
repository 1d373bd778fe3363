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

/// `scan --engine`: with the `hyperscan` feature both engines report the same findings on the
/// generated corpus (its default is hyperscan); without it, asking for hyperscan is a clear
/// error and the regex engine still scans.
#[test]
fn scan_engines_agree_or_say_what_is_missing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let corpus = dir.path().join("corpus");
    let made = sg()
        .args(["corpus", "--positives", "60", "--negatives", "30", "--seed", "9", "--out"])
        .arg(&corpus)
        .output()
        .expect("runs");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let scan =
        |engine: &str| sg().args(["scan", "--format", "json", "--engine", engine]).arg(&corpus).output().expect("runs");
    let regex = scan("regex");
    assert_eq!(regex.status.code(), Some(1), "{}", String::from_utf8_lossy(&regex.stderr));
    let hyperscan = scan("hyperscan");
    if cfg!(feature = "hyperscan") {
        assert_eq!(hyperscan.status.code(), Some(1));
        assert!(regex.stdout.len() > 1000);
        assert_eq!(String::from_utf8_lossy(&hyperscan.stdout), String::from_utf8_lossy(&regex.stdout));
        let default = sg().args(["scan", "--format", "json"]).arg(&corpus).output().expect("runs");
        assert_eq!(default.stdout, regex.stdout);
    } else {
        assert_eq!(hyperscan.status.code(), Some(2));
        assert!(hyperscan.stdout.is_empty());
        assert!(String::from_utf8_lossy(&hyperscan.stderr).contains("--features hyperscan"));
    }
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

/// Built with the hyperscan engine, `rules check` names the rules it cannot take (they fall
/// back to the regex engine's keyword search) as notes: no problem, even under `--strict`.
#[test]
#[cfg(feature = "hyperscan")]
fn rules_check_notes_the_rules_hyperscan_cannot_take() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("accents.toml");
    let rule = |id: &str, regex: &str, keyword: &str, example: &str, negative: &str| {
        format!(
            "[[rules]]\nid = {id:?}\ntitle = \"t\"\nregex = '''{regex}'''\nkeywords = [{keyword:?}]\nconfidence = \"low\"\nexamples = [{example:?}]\nnegative_examples = [{negative:?}]\n\n"
        )
    };
    let rules = rule("accented-token", "(?u)acc_[à-ÿ]{4}", "acc_", "acc_éèêë", "acc_abcd")
        + &rule("plain-token", "pln_[a-z]{4}", "pln_", "pln_abcd", "pln_ABCD");
    std::fs::write(&path, rules).expect("write");
    let out = sg().args(["rules", "check", "--strict", "--no-builtin", "--rules"]).arg(&path).output().expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr).replace(&path.display().to_string(), "accents.toml");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    insta::assert_snapshot!(stderr, @r"
    note: accents.toml: rule `accented-token`: hyperscan engine: searched through its keywords, as by the regex engine: the regex has a Unicode class with non-ASCII characters
    checked 2 rules, 2 examples, 2 negative examples: 0 problems (0 warnings, strict)
    ");
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

/// `tests/data/gitleaks.toml` (a gitleaks config) as `--rules`: planted secrets, and what
/// its allowlists let through.
mod gitleaks_import {
    use super::*;

    const ZQ: &str = "zq_live_8fK2mQ9vLr4TxB7nWc3Hy6Ps";
    const ORBIT: &str = "9f3c7a1e5b8d2f6a4c0e9b7d3a5f1c8e";
    const LUMEN: &str = "lmn_Zt8Kq2Wv5Xn9Bc4Hr7Jm3Pd6Ls1FgY";
    const LUMEN_COMMENTED: &str = "lmn_Rq8Wt3Ey6Ui9Op2As5Df7Gh4Jk1LzN";

    /// One planted secret per line; the allowlisted ones say which allowlist lets them through.
    fn document() -> String {
        [
            format!("ZQ_TOKEN={ZQ}"),
            "ZQ_TEST=zq_test_Gh5Jk8Lm2Nq4Rs6Tv9Wx3YzA".into(), // global regex
            "ZQ_OTHER=zq_live_notreal7Qp3Vw9Ks2Bd5Hm8F".into(), // global stopword
            format!("orbit_service_key = \"{ORBIT}\""),
            "ORBIT_KEY: c0ffee4b9a2d7e1f3c8b5a6d0e9f2a7c".into(), // rule regex, old form
            "orbit-key=3a9deadbeef17c5e2b8f4a6d0c9e1b7f".into(),  // rule stopword, old form
            format!("Authorization: Bearer {LUMEN}"),
            "docs: lmn_D0csQw7Er4Ty9Ui2Op5As8Df3Gh6Jk".into(), // regex on the match, new form
            "lmn_fixtureMn4Bv7Cx2Zl9Kj5Hg8Fd3Sa".into(),       // stopword, new form
            format!("# old: {LUMEN_COMMENTED}"),               // line regex: cannot apply, reported
            "kite_Motley_48201937".into(),                     // its rule is skipped
        ]
        .join("\n")
    }

    fn run(args: &[&str], stdin: &str) -> (i32, String, String) {
        let out = sg()
            .args(args)
            .args(["--no-builtin", "--rules", &data("gitleaks.toml")])
            .write_stdin(stdin)
            .output()
            .expect("runs");
        (
            out.status.code().expect("exit code"),
            String::from_utf8(out.stdout).expect("utf-8 stdout"),
            String::from_utf8(out.stderr).expect("utf-8 stderr").replace(&data("gitleaks.toml"), "gitleaks.toml"),
        )
    }

    #[test]
    fn scan_finds_planted_secrets_and_honours_allowlists() {
        let doc = document();
        let (code, stdout, stderr) = run(&["scan", "--format", "json"], &doc);
        assert_eq!(code, 1, "{stderr}");
        let found: Vec<(String, &str)> = stdout
            .lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).expect("json line");
                let (start, end) =
                    (v["start"].as_u64().expect("start") as usize, v["end"].as_u64().expect("end") as usize);
                (v["rule_id"].as_str().expect("rule_id").to_string(), &doc[start..end])
            })
            .collect();
        // The orbit secret is group 2 (`secretGroup = 2`), not the whole assignment.
        let want = [
            ("gitleaks-zq-api-token", ZQ),
            ("gitleaks-orbit-service-key", ORBIT),
            ("gitleaks-lumen-bearer", LUMEN),
            ("gitleaks-lumen-bearer", LUMEN_COMMENTED),
        ];
        assert_eq!(found, want.map(|(id, s)| (id.to_string(), s)));
        assert_eq!(
            stderr,
            "secretgate: warning: gitleaks.toml: 3 gitleaks rules skipped (`secretgate rules check` says why)\n"
        );
    }

    #[test]
    fn rules_check_lists_skipped_rules_with_reasons() {
        let (code, _, stderr) = run(&["rules", "check"], "");
        assert_eq!(code, 0, "skipped rules are warnings: {stderr}");
        insta::assert_snapshot!(stderr, @r#"
        note: gitleaks.toml: read as a gitleaks config: 3 of 6 rules loaded
        note: gitleaks.toml: `[extend]` is not followed: only this file's rules are loaded (the built-in rules stand in for gitleaks' defaults)
        note: gitleaks.toml: global allowlist 1: `paths` ignored: streamed text has no path
        note: gitleaks.toml: gitleaks rule `lumen-bearer`: allowlist 3: regexes on the line (`regexTarget = "line"`) ignored: filters never look outside the match
        warning: gitleaks.toml: gitleaks rule `kite-word-key`: skipped: regex: Unicode class (`\p…`) at character 5: rules here match bytes with Unicode off
        warning: gitleaks.toml: gitleaks rule `keystore-file`: skipped: path-only rule: it matches file names, and streamed text has none
        warning: gitleaks.toml: gitleaks rule `loose-hex`: skipped: regex can match the empty string
        checked 3 rules, 0 examples, 0 negative examples: 3 problems (3 warnings)
        "#);
        // No allowlist value or stopword is ever quoted.
        for value in ["notreal", "deadbeef", "c0ffee", "D0cs", "fixture", "zq_test_", "testdata"] {
            assert!(!stderr.contains(value), "{value} in:\n{stderr}");
        }
        let (strict, _, _) = run(&["rules", "check", "--strict"], "");
        assert_eq!(strict, 1, "--strict fails on skipped rules");
    }

    #[test]
    fn rules_list_shows_the_gitleaks_ids() {
        let (code, stdout, _) = run(&["rules", "list"], "");
        assert_eq!(code, 0);
        assert_eq!(
            stdout,
            "gitleaks-zq-api-token\tZQ API token (gitleaks rule `zq-api-token`)\tmedium\n\
             gitleaks-orbit-service-key\tOrbit service key assignment (gitleaks rule `Orbit_Service_Key`)\tmedium\n\
             gitleaks-lumen-bearer\tLumen bearer token (gitleaks rule `lumen-bearer`)\tmedium\n"
        );
    }

    /// The same text streamed in small deltas gives the one-shot redaction (the imported
    /// rules go through the same engine, secret groups included).
    #[test]
    fn redact_stream_equals_one_shot() {
        let doc = document();
        let (code, one_shot, _) = run(&["redact"], &doc);
        assert_eq!(code, 0);
        assert!(one_shot.contains("orbit_service_key = \"[REDACTED:gitleaks-orbit-service-key]\""), "{one_shot}");
        for n in ["1", "3", "7"] {
            assert_eq!(run(&["redact", "--stream-chunk", n], &doc).1, one_shot, "--stream-chunk {n}");
        }
    }
}

/// `secretgate bench`: pattern sets side by side on one corpus, in every output format.
mod bench {
    use super::*;

    fn bench(args: &[&str]) -> (i32, String, String) {
        let out = sg().arg("bench").args(args).output().expect("runs");
        (
            out.status.code().expect("exit code"),
            String::from_utf8(out.stdout).expect("utf-8 stdout"),
            String::from_utf8(out.stderr).expect("utf-8 stderr"),
        )
    }

    #[test]
    fn two_sets_side_by_side_in_json() {
        let gitleaks = data("gitleaks.toml");
        let (code, stdout, stderr) = bench(&[
            "--set",
            "builtin",
            "--set",
            &gitleaks,
            "--generate",
            "30",
            "--delta",
            "4,64",
            "--repeat",
            "1",
            "--format",
            "json",
        ]);
        assert_eq!(code, 0, "{stderr}");
        assert!(!stderr.contains('\r'), "no progress bar when stderr is not a terminal");
        let v: Value = serde_json::from_str(&stdout).expect("JSON");
        assert_eq!(v["schema"], "secretgate-bench/1");
        assert_eq!(v["corpus"]["documents"], 30);
        assert_eq!(v["corpus"]["labeled"], true);
        let results = v["results"].as_array().expect("results");
        assert_eq!(results.len(), 2);
        let (builtin, imported) = (&results[0], &results[1]);
        assert_eq!((builtin["set"].as_str(), imported["set"].as_str()), (Some("builtin"), Some("gitleaks")));
        // The generated secrets are formats the built-in rules know, and the fixture's
        // made-up providers are not.
        assert!(builtin["quality"]["recall"].as_f64().expect("recall") > 0.95, "{}", builtin["quality"]);
        assert_eq!(imported["quality"]["found"], 0);
        assert_eq!(
            imported["misses"].as_array().map(Vec::len),
            imported["quality"]["labels"].as_u64().map(|n| n.min(50) as usize)
        );
        assert!(
            imported["notices"].as_array().is_some_and(|n| !n.is_empty()),
            "the import's notes travel with the set"
        );
        assert_eq!(builtin["streaming"].as_array().map(Vec::len), Some(2));
        assert!(builtin["one_shot"]["mb_per_s"].as_f64().is_some_and(|x| x > 0.0));
        assert_eq!(builtin["rule_cost"].as_array().map(Vec::len), Some(10));
        // Misses show at most a quarter of a secret.
        for m in imported["misses"].as_array().into_iter().flatten() {
            let p = m["preview"].as_str().expect("preview");
            assert!(p.ends_with('…') && p.chars().count() <= 5, "{p}");
        }
    }

    #[test]
    fn labeled_jsonl_table_and_html() {
        let dir = tempfile::tempdir().expect("tempdir");
        let corpus = dir.path().join("c.jsonl");
        let lines = [
            serde_json::json!({"text": format!("token: {TOKEN}"), "secrets": [{"value": TOKEN, "rule": "github-pat"}]}),
            serde_json::json!({"text": "nothing to see here", "secrets": []}),
        ];
        std::fs::write(&corpus, lines.iter().map(|l| format!("{l}\n")).collect::<String>()).expect("write");
        let corpus = corpus.display().to_string();
        let (code, table, _) = bench(&["--corpus", &corpus, "--repeat", "1"]);
        assert_eq!(code, 0);
        let row = table.lines().find(|l| l.starts_with("builtin × regex")).expect("a row for the set");
        assert!(row.contains("1.000"), "precision, recall and F1 of 1: {row}");
        assert!(!table.contains(TOKEN), "no secret in the report");
        let html = dir.path().join("r.html");
        let (code, stdout, _) =
            bench(&["--corpus", &corpus, "--repeat", "1", "--format", "html", "-o", &html.display().to_string()]);
        assert_eq!((code, stdout.as_str()), (0, ""));
        let page = std::fs::read_to_string(&html).expect("written");
        assert!(page.contains("<svg") && page.contains("builtin × regex"));
        assert!(!page.contains(TOKEN));
    }

    #[test]
    fn bad_input_is_a_clear_error() {
        let (code, _, stderr) = bench(&["--corpus", "/nonexistent/corpus.jsonl"]);
        assert_eq!(code, 2);
        assert!(stderr.contains("/nonexistent/corpus.jsonl"), "{stderr}");
        let (code, _, stderr) = bench(&["--generate", "5", "--delta", "0"]);
        assert_eq!(code, 2);
        assert!(stderr.contains("--delta"), "{stderr}");
        // A build without the hyperscan engine says which feature it lacks.
        let (code, _, stderr) = bench(&["--generate", "5", "--repeat", "1", "--engine", "hyperscan"]);
        if cfg!(feature = "hyperscan") {
            assert_eq!(code, 0, "{stderr}");
        } else {
            assert_eq!(code, 2);
            assert!(stderr.contains("--features hyperscan"), "{stderr}");
        }
        let (code, _, stderr) = bench(&["--generate", "5", "--engine", "regex,nonesuch"]);
        assert_eq!(code, 2);
        assert!(stderr.contains("nonesuch"), "{stderr}");
    }

    /// Both engines on one generated corpus: the same findings, so the same quality; every
    /// row names its engine; streams are measured on the regex row only.
    #[test]
    #[cfg(feature = "hyperscan")]
    fn both_engines_agree_in_json() {
        for engines in ["both", "regex,hyperscan"] {
            let (code, stdout, stderr) =
                bench(&["--generate", "60", "--engine", engines, "--repeat", "1", "--format", "json"]);
            assert_eq!(code, 0, "{stderr}");
            let v: Value = serde_json::from_str(&stdout).expect("JSON");
            assert_eq!(v["config"]["engines"], serde_json::json!(["regex", "hyperscan"]));
            let results = v["results"].as_array().expect("results");
            let names: Vec<&str> = results.iter().map(|r| r["engine"].as_str().expect("engine")).collect();
            assert_eq!(names, ["regex", "hyperscan"]);
            let (regex, hs) = (&results[0], &results[1]);
            assert!(regex["quality"]["findings"].as_u64().is_some_and(|n| n > 20), "{}", regex["quality"]);
            assert_eq!(regex["quality"], hs["quality"], "same findings, same recall and precision");
            assert_eq!(regex["one_shot"]["findings"], hs["one_shot"]["findings"]);
            assert_eq!(regex["false_positives"], hs["false_positives"]);
            assert_eq!(regex["misses"], hs["misses"]);
            assert_eq!(regex["streaming"].as_array().map(Vec::len), Some(1));
            assert_eq!(hs["streaming"], serde_json::json!([]), "streams run on the regex engine");
            assert!(regex["build"]["hyperscan"].is_null());
            assert!(hs["build"]["hyperscan"]["database_bytes"].as_u64().is_some_and(|n| n > 0));
            assert_eq!(hs["build"]["hyperscan"]["fallbacks"], serde_json::json!([]));
            assert_eq!(hs["rule_cost"].as_array().map(Vec::len), Some(10));
        }
    }
}
