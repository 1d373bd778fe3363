use super::*;

const PLANTED: &str = "sk-proj-Zq8rT2mVx9LpW4cY7bN3kJ6hF1dS5aG0";

fn source(dir: &Path, config: &str) -> Source {
    let path = dir.join("secretgate.toml");
    std::fs::write(&path, config).expect("write config");
    Source { config: Some(path), env: Vec::new(), overrides: Overrides::default() }
}

fn rule_file(id: &str, prefix: &str) -> String {
    format!(
        "[[rules]]\nid = \"{id}\"\ntitle = \"t\"\nregex = '''\\b(?P<secret>{prefix}[A-Za-z0-9]{{24}})\\b'''\nkeywords = [\"{prefix}\"]\nconfidence = \"high\"\nexamples = [\"k = {prefix}Q7f2Lm9Xr4Tb8Wc1Yd6Hk3Pn\"]\nnegative_examples = [\"{prefix}short\"]\n"
    )
}

/// Loads `config` (with `rules` as `r.toml` beside it) and returns what the log would say.
fn failure(config: &str, rules: &str) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("r.toml"), rules).expect("write rules");
    let config = config.replace("RULES", &dir.path().join("r.toml").display().to_string());
    let e = source(dir.path(), &config).load().expect_err("a broken configuration");
    let said = loggable(&e);
    eprintln!("logged: {said}");
    assert!(!said.contains(&PLANTED[8..20]), "a planted value is in {said:?}");
    assert!(!said.contains('\n'), "one line: {said:?}");
    said
}

#[test]
fn failures_name_the_file_and_kind_but_quote_no_value() {
    let good = rule_file("acme-token", "acme_");
    let with_rules = "[rules]\nbuiltin = false\npaths = [\"RULES\"]\n";
    // TOML syntax error on the line of a canary literal.
    let said = failure(&format!("[[canary]]\nliteral = \"{PLANTED}\nx"), &good);
    assert!(said.contains("parsing config") && said.contains("secretgate.toml"), "{said}");
    assert!(said.contains("TOML parse error at line 2"), "{said}");
    // A value of the wrong type, which serde quotes.
    let said = failure(&format!("[rules]\npaths = \"{PLANTED}\"\n"), &good);
    assert!(said.contains("invalid configuration") && said.contains("invalid type"), "{said}");
    // A rule file: broken TOML, an invalid regex holding the value, examples not found.
    let said = failure(with_rules, &format!("[[rules]]\nid = \"x\"\nexamples = [\"{PLANTED}\"\n"));
    assert!(said.contains("r.toml: invalid rule file"), "{said}");
    let broken_regex = good.replace("[A-Za-z0-9]{24})", &format!("{PLANTED}[a-")).replace("{24}", "");
    let said = failure(with_rules, &broken_regex);
    assert!(said.contains("r.toml: rule `acme-token`: invalid regex"), "{said}");
    let said = failure(with_rules, &good.replace("Q7f2Lm9Xr4Tb8Wc1Yd6Hk3Pn", &PLANTED[8..]));
    assert!(said.contains("r.toml") && said.contains("acme-token"), "{said}");
    // A rules path that is not there.
    let said = failure(&with_rules.replace("RULES", "/no/such/rules.toml"), &good);
    assert_eq!(said, "/no/such/rules.toml: cannot read: not found");
}

#[test]
fn quiet_empties_quoted_runs() {
    assert_eq!(
        quiet(r#"invalid type: string "a\"b", expected a sequence"#),
        r#"invalid type: string "…", expected a sequence"#
    );
    assert_eq!(quiet("regex parse error:\n    sk-abc[\n    ^\nerror: unclosed"), "regex parse error");
    assert_eq!(quiet("one line:\n    \"x\"\n"), "one line");
    assert_eq!(quiet(r#"open "quote"#), r#"open "…"#);
}

#[test]
fn a_good_load_fingerprints_what_it_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).expect("mkdir");
    std::fs::write(rules.join("a.toml"), rule_file("acme-token", "acme_")).expect("write");
    let src = source(dir.path(), &format!("[rules]\nbuiltin = false\npaths = [{:?}]\n", rules.display().to_string()));
    let loaded = src.load().expect("load");
    assert_eq!(loaded.rules.len(), 1);
    assert_eq!(fingerprint(src.config.as_deref(), &loaded.settings), loaded.fingerprint);
    // An editor's save: a new file renamed over the old one.
    std::fs::write(rules.join(".a.toml.swp"), rule_file("acme-token", "acmf_")).expect("write");
    std::fs::rename(rules.join(".a.toml.swp"), rules.join("a.toml")).expect("rename");
    assert_ne!(fingerprint(src.config.as_deref(), &loaded.settings), loaded.fingerprint);
    // A new file in the directory is read too; a missing rules path is a change as well.
    std::fs::write(rules.join("b.toml"), rule_file("zeta-token", "zeta_")).expect("write");
    let again = src.load().expect("load");
    assert_eq!(again.rules.len(), 2);
    std::fs::remove_dir_all(&rules).expect("rm");
    assert_ne!(fingerprint(src.config.as_deref(), &again.settings), again.fingerprint);
}

#[test]
fn restart_only_settings_keep_their_running_values() {
    let dir = tempfile::tempdir().expect("tempdir");
    let old = source(dir.path(), "").load().expect("load").settings;
    let mut new = source(
        dir.path(),
        "listen = \"127.0.0.1:9\"\n[limits]\nmax_concurrent = 3\nmax_body_bytes = 7\n[upstream]\nread_timeout_secs = 1\n",
    )
    .load()
    .expect("load")
    .settings;
    let changed = keep_restart_only(&old, &mut new);
    assert_eq!(changed, ["listen", "upstream.read_timeout_secs", "limits.max_concurrent"]);
    assert!(changed.iter().all(|c| RESTART_ONLY.contains(c)));
    assert_eq!((new.listen, new.max_concurrent, new.read_timeout), (old.listen, old.max_concurrent, old.read_timeout));
    // A live setting changes.
    assert_eq!(new.max_body_bytes, 7);
}

#[test]
fn watches_are_on_directories_and_wake_for_what_a_load_reads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).expect("mkdir");
    std::fs::write(rules.join("a.toml"), rule_file("acme-token", "acme_")).expect("write");
    let src = source(dir.path(), &format!("[rules]\npaths = [{:?}]\n", rules.display().to_string()));
    let s = src.load().expect("load").settings;
    let (dirs, relevant) = watch_plan(src.config.as_deref(), &s);
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    assert_eq!(dirs.get(&root), Some(&RecursiveMode::NonRecursive));
    assert_eq!(dirs.get(&root.join("rules")), Some(&RecursiveMode::Recursive));
    assert_eq!(dirs.len(), 2);
    for yes in ["secretgate.toml", "rules", "rules/a.toml", "rules/new.toml", "rules/sub/b.toml", "..data"] {
        assert!(relevant.matches(&root.join(yes)), "{yes}");
    }
    for no in ["secretgate.log", "secretgate.toml.swp", "other/a.toml"] {
        assert!(!relevant.matches(&root.join(no)), "{no}");
    }
}
