use super::*;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn example() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("secretgate.example.toml")
}

#[test]
fn defaults_redact_both_directions() {
    let s = Settings::load(None, &[], &Overrides::default()).expect("defaults");
    assert_eq!(s.upstream, "https://api.openai.com/v1");
    assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
    assert!(matches!(s.request.map(|p| p.action), Some(Action::Redact(Style::Label))));
    assert!(matches!(s.response.map(|p| p.action), Some(Action::Redact(Style::Label))));
    assert!(s.upstream_key.is_none() && s.scan);
    assert_eq!(s.max_body_bytes, 8 << 20);
}

#[test]
fn the_example_lists_every_key_with_its_default() {
    let text = std::fs::read_to_string(example()).expect("example");
    let table: toml::Table = text.parse().expect("example parses");
    let mut keys = Vec::new();
    for (k, v) in &table {
        match v {
            toml::Value::Table(t) => keys.extend(t.keys().map(|leaf| format!("{k}.{leaf}"))),
            _ => keys.push(k.clone()),
        }
    }
    keys.sort();
    let mut want: Vec<String> = KEYS.iter().map(|k| k.to_string()).collect();
    want.sort();
    assert_eq!(keys, want);
    let from_example = Settings::load(Some(&example()), &[], &Overrides::default()).expect("loads");
    let defaults = Settings::load(None, &[], &Overrides::default()).expect("defaults");
    assert_eq!(format!("{from_example:?}"), format!("{defaults:?}"));
}

#[test]
fn env_overrides_file_and_flags_override_env() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("c.toml");
    std::fs::write(&path, "[upstream]\nurl = \"http://file:1/v1\"\n[limits]\nmax_body_bytes = 10\n").expect("write");
    let e = env(&[
        ("SECRETGATE_LIMITS_MAX_BODY_BYTES", "20"),
        ("SECRETGATE_RESPONSE_ACTION", "block"),
        ("SECRETGATE_REQUEST_ACTION", "off"),
        ("SECRETGATE_UPSTREAM_URL", "http://env:2/v1/"),
        ("SECRETGATE_AUTH_CLIENT_KEY_HASHES", &format!("[\"{}\"]", crate::proxy::auth::hash_key("k"))),
    ]);
    let s = Settings::load(Some(&path), &e, &Overrides::default()).expect("loads");
    assert_eq!(s.max_body_bytes, 20);
    assert_eq!(s.upstream, "http://env:2/v1");
    assert!(matches!(s.response.map(|p| p.action), Some(Action::Block)));
    assert!(s.request.is_none());
    assert_eq!(s.client_keys.len(), 1);
    let o = Overrides { upstream: Some("http://flag:3".into()), ..Overrides::default() };
    assert_eq!(Settings::load(Some(&path), &e, &o).expect("loads").upstream, "http://flag:3");
}

#[test]
fn bad_configs_are_clear_errors() {
    let dir = tempfile::tempdir().expect("dir");
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
    let cases: &[Case] = &[
        ("listen = \"nowhere\"", &[], "listen address"),
        ("[upstream]\nurl = \"ftp://x\"", &[], "upstream URL"),
        ("[upstream]\nurl = \"http://u:p@x\"", &[], "upstream URL"),
        ("[limits]\nmax_body_bytes = 0", &[], "max_body_bytes"),
        ("[upstream]\nread_timeout_secs = -1", &[], "read_timeout_secs"),
        ("[response]\naction = \"drop\"", &[], "invalid configuration"),
        ("[upstream]\nurl_typo = \"x\"", &[], "invalid configuration"),
        ("[upstream]\nkey_env = \"SG_NOT_SET\"", &[], "not set"),
        ("[upstream]\nkey_env = \"K\"", &[("K", "v")], "client_key_hashes"),
        ("[auth]\nclient_key_hashes = [\"md5:abc\"]", &[], "sha256"),
        ("this is not toml", &[], "parsing config"),
    ];
    for (i, (text, vars, want)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("{i}.toml"));
        std::fs::write(&path, text).expect("write");
        let err = Settings::load(Some(&path), &env(vars), &Overrides::default()).expect_err(text);
        assert!(format!("{err:#}").contains(want), "{text}: {err:#}");
    }
}

#[test]
fn the_upstream_key_never_shows_in_debug_output() {
    let hash = crate::proxy::auth::hash_key("client");
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("c.toml");
    std::fs::write(&path, format!("[upstream]\nkey_env = \"K\"\n[auth]\nclient_key_hashes = [\"{hash}\"]\n"))
        .expect("write");
    let s = Settings::load(Some(&path), &env(&[("K", "upstream-key-value")]), &Overrides::default()).expect("loads");
    assert!(s.upstream_key.is_some());
    assert!(!format!("{s:?}").contains("upstream-key-value"));
}

#[test]
fn canaries_from_literal_env_and_file_never_in_errors_or_debug() {
    let dir = tempfile::tempdir().expect("dir");
    let list = dir.path().join("canaries.txt");
    std::fs::write(&list, "FILE-canary-0123456789ab\n\n  second-canary-from-file-xyz  \n").expect("write");
    let path = dir.path().join("c.toml");
    let config = format!(
        "[[canary]]\nliteral = \"LITERAL-canary-98765\"\n[[canary]]\nenv = \"MY_CANARY\"\n[[canary]]\nfile = {:?}\n",
        list.display().to_string()
    );
    std::fs::write(&path, &config).expect("write");
    let s = Settings::load(Some(&path), &env(&[("MY_CANARY", "ENV-canary-abcdefghijk")]), &Overrides::default())
        .expect("loads");
    assert_eq!(s.canaries.as_ref().map(|c| c.len()), Some(4));
    assert!(s.automatic_canaries);
    let debug = format!("{s:?}");
    assert!(!debug.contains("canary-"), "{debug}");

    // A missing variable, two sources in one entry, a too-short canary: errors without values.
    let missing = Settings::load(Some(&path), &[], &Overrides::default()).expect_err("unset");
    assert!(format!("{missing:#}").contains("MY_CANARY"));
    for bad in
        ["[[canary]]\nliteral = \"a-long-enough-value-1\"\nenv = \"X\"\n", "[[canary]]\nliteral = \"short-one\"\n"]
    {
        std::fs::write(&path, bad).expect("write");
        let e = format!("{:#}", Settings::load(Some(&path), &[], &Overrides::default()).expect_err("bad"));
        assert!(e.contains("canary 1") && !e.contains("value-1") && !e.contains("short-one"), "{e}");
    }
    std::fs::write(&path, "[canaries]\nmin_run = 3\n").expect("write");
    assert!(Settings::load(Some(&path), &[], &Overrides::default()).is_err(), "min_run too small");
}
