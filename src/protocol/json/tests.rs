use proptest::prelude::*;
use serde_json::Value;

use super::*;

/// Every leaf as (path, kind, decoded value), from the walker.
fn leaves(text: &str) -> Result<Vec<(String, Leaf, String)>, Unsupported> {
    let mut out = Vec::new();
    walk(text, |path, leaf, span| {
        let p = path.iter().map(|s| match s {
            Seg::Key(k) => format!(".{k}"),
            Seg::Index(i) => format!("[{i}]"),
        });
        let raw = &text[span];
        let value = match leaf {
            Leaf::String => {
                let mut s = String::new();
                unescape(raw, &mut s)?;
                s
            }
            _ => raw.to_owned(),
        };
        out.push((p.collect(), leaf, value));
        Ok(())
    })?;
    Ok(out)
}

/// The same from serde_json's tree.
fn tree_leaves(v: &Value, path: &mut String, out: &mut Vec<(String, Leaf, String)>) {
    let len = path.len();
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                path.push('.');
                path.push_str(k);
                tree_leaves(v, path, out);
                path.truncate(len);
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                path.push_str(&format!("[{i}]"));
                tree_leaves(v, path, out);
                path.truncate(len);
            }
        }
        Value::String(s) => out.push((path.clone(), Leaf::String, s.clone())),
        Value::Number(n) => out.push((path.clone(), Leaf::Number, n.to_string())),
        Value::Bool(b) => out.push((path.clone(), Leaf::Bool, b.to_string())),
        Value::Null => out.push((path.clone(), Leaf::Null, "null".into())),
    }
}

#[test]
fn reports_leaves_like_serde() {
    let docs = [
        r#"{"id":"x","choices":[{"index":0,"delta":{"content":"a\"b\\c\n\u00e9\ud83d\ude00/"},"logprobs":null,"finish_reason":null}],"n":-1.5,"t":true}"#,
        " [ 1 , [ ] , { } , \"\" , false ] ",
        r#"{"nested":{"deep":[[{"x":"\t"}]]}}"#,
    ];
    for d in docs {
        let v: Value = serde_json::from_str(d).expect("valid");
        let mut want = Vec::new();
        tree_leaves(&v, &mut String::new(), &mut want);
        assert_eq!(leaves(d).expect("walks"), want, "{d}");
    }
}

#[test]
fn rejects_what_it_does_not_handle() {
    for d in [
        "",
        "{",
        "[1,]",
        "{\"a\" 1}",
        "{\"a\":1,}",
        "01x",
        "\"\\x\"",
        "\"\\ud800\"",
        "\"\\udc00\"",
        "\"tab\there\"",
        "nul",
        "{\"k\\\"ey\":1}",
        "1 2",
        "-",
        "1.",
        "1e",
    ] {
        assert_eq!(leaves(d), Err(Unsupported), "{d:?}");
    }
    let deep = "[".repeat(MAX_DEPTH + 2) + &"]".repeat(MAX_DEPTH + 2);
    assert_eq!(leaves(&deep), Err(Unsupported));
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        "[a-z\"\\\\/\n\t é😀\u{1}]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec(("[a-z_]{1,6}", inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Compact and pretty serde output: the walker sees exactly serde's leaves.
    #[test]
    fn agrees_with_serde(v in json_value(), pretty in any::<bool>()) {
        let text = if pretty { serde_json::to_string_pretty(&v) } else { serde_json::to_string(&v) }.expect("serialises");
        let mut want = Vec::new();
        tree_leaves(&v, &mut String::new(), &mut want);
        prop_assert_eq!(leaves(&text).expect("walks"), want);
    }
}

/// A key twice in one object: parsers disagree on which counts, so neither the walker nor
/// `parse` reads the document (found by `adapter_chat`: the fast path scanned both values,
/// the tree path only the last, and forwarding the unchanged bytes would have forwarded the
/// first unscanned).
#[test]
fn a_key_twice_in_an_object_is_not_read() {
    for doc in [
        r#"{"delta":{"content":"a","content":"b"}}"#,
        r#"{"a":1,"b":{"c":[{"d":1,"d":2}]}}"#,
        r#"[{"x":"1","y":2,"x":3}]"#,
    ] {
        assert_eq!(walk(doc, |_, _, _| Ok(())), Err(Unsupported), "{doc}");
        assert_eq!(parse(doc), None, "{doc}");
    }
    for doc in [r#"{"a":{"k":1},"b":{"k":2}}"#, r#"[{"k":1},{"k":2}]"#, r#"{"n":1.5e300,"s":"x","t":true,"u":null}"#] {
        assert!(walk(doc, |_, _, _| Ok(())).is_ok(), "{doc}");
        assert!(parse(doc).is_some(), "{doc}");
    }
}

/// Numbers the walker takes are the ones JSON allows: an integer part with a leading zero is
/// refused, as serde_json refuses it (found by `adapter_completions`: `"index":00` took the
/// fast path while the tree path treated the event as not JSON).
#[test]
fn numbers_with_a_leading_zero_are_not_read() {
    for doc in [r#"{"index":00}"#, r#"{"index":01}"#, r#"{"n":-012}"#, r#"[00.5]"#] {
        assert_eq!(walk(doc, |_, _, _| Ok(())), Err(Unsupported), "{doc}");
        assert!(serde_json::from_str::<serde_json::Value>(doc).is_err(), "{doc}");
    }
    for doc in [r#"{"index":0}"#, r#"{"n":-0.5}"#, r#"[10,0e5,0.25,-0]"#] {
        assert!(walk(doc, |_, _, _| Ok(())).is_ok(), "{doc}");
        assert!(serde_json::from_str::<serde_json::Value>(doc).is_ok(), "{doc}");
    }
}
