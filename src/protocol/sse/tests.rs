use proptest::prelude::*;

use super::*;

fn decode_all(chunks: &[&[u8]]) -> Result<Vec<Item>, Error> {
    let mut d = Decoder::new(1 << 16);
    let mut out = Vec::new();
    for c in chunks {
        d.push(c);
        while let Some(item) = d.next_item()? {
            out.push(item);
        }
    }
    d.finish()?;
    Ok(out)
}

/// Events only, without raw bytes: what a client sees.
fn events(items: &[Item]) -> Vec<Result<Event, String>> {
    items
        .iter()
        .filter_map(|i| match i {
            Item::Event { event, .. } => Some(Ok(event.clone())),
            Item::Comment { text, .. } => Some(Err(text.clone())),
            Item::Blank { .. } => None,
        })
        .collect()
}

fn data(s: &str) -> Event {
    Event { data: s.to_owned(), has_data: true, ..Event::default() }
}

#[test]
fn decodes_the_grammar() {
    let cases: &[(&str, Vec<Result<Event, String>>)] = &[
        ("data: a\n\n", vec![Ok(data("a"))]),
        ("data:a\r\n\r\n", vec![Ok(data("a"))]),
        ("data: a\r\rdata: b\r\r", vec![Ok(data("a")), Ok(data("b"))]),
        ("data: a\ndata: b\n\n", vec![Ok(data("a\nb"))]),
        ("data:  two spaces\n\n", vec![Ok(data(" two spaces"))]),
        ("data\n\n", vec![Ok(data(""))]),
        (": keep-alive\n\ndata: x\n\n", vec![Err(" keep-alive".into()), Ok(data("x"))]),
        (
            "event: delta\nid: 7\nretry: 100\ndata: {}\n\n",
            vec![Ok(Event {
                event: Some("delta".into()),
                id: Some("7".into()),
                retry: Some("100".into()),
                ..data("{}")
            })],
        ),
        ("\n\n\ndata: late\n\n", vec![Ok(data("late"))]),
        ("unknown: field\ndata: x\n\n", vec![Ok(data("x"))]),
        ("event: ping\n\n", vec![Ok(Event { event: Some("ping".into()), ..Event::default() })]),
        ("data: é✓\n\n", vec![Ok(data("é✓"))]),
    ];
    for (input, want) in cases {
        let got = events(&decode_all(&[input.as_bytes()]).expect("decodes"));
        assert_eq!(&got, want, "input {input:?}");
    }
}

#[test]
fn limits_and_bad_bytes_are_errors() {
    let mut d = Decoder::new(8);
    d.push(b"data: 0123456789");
    assert_eq!(d.next_item(), Err(Error::LineTooLong { limit: 8 }));
    let mut d = Decoder::new(8);
    d.push(b"data: 0123456789\n");
    assert_eq!(d.next_item(), Err(Error::LineTooLong { limit: 8 }));
    assert_eq!(decode_all(&[b"data: \xff\n\n"]), Err(Error::InvalidUtf8));
}

/// The body ending inside an event or a line is an error of its own, never an event: a cut
/// event is cut text (the proxy used to check at the end whether such an event was whole).
#[test]
fn a_body_ending_inside_an_event_is_incomplete() {
    for body in
        ["data: no blank line at end", "data: {\"a\":1}\n", "data: [DONE]", "event: x\r", ": ping", "data: a\n\ndata"]
    {
        let mut d = Decoder::default();
        d.push(body.as_bytes());
        while d.next_item().expect("decodes").is_some() {}
        assert_eq!(d.finish(), Err(Error::Incomplete), "body {body:?}");
        assert_eq!(d.finish(), Ok(()), "the decoder is empty afterwards");
    }
    for body in ["", "data: a\n\n", "data: a\r\n\r\n", "data: a\r\r", ": ping\n", "\n\n"] {
        let mut d = Decoder::default();
        d.push(body.as_bytes());
        while d.next_item().expect("decodes").is_some() {}
        assert_eq!(d.finish(), Ok(()), "body {body:?}");
    }
}

#[test]
fn encode_round_trips() {
    let evs = [
        data("{\"a\":1}"),
        data("two\nlines"),
        Event { event: Some("x".into()), id: Some("1".into()), ..data("") },
        Event { event: Some("ping".into()), ..Event::default() },
    ];
    for ev in evs {
        let mut out = Vec::new();
        encode(&ev, &mut out);
        assert_eq!(events(&decode_all(&[&out]).expect("decodes")), vec![Ok(ev)]);
    }
}

fn stream_text() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        Just("data: {\"x\":\"é\"}".to_owned()),
        Just("data: [DONE]".to_owned()),
        Just("data:".to_owned()),
        Just(": ping".to_owned()),
        Just("event: message".to_owned()),
        Just("id: 42".to_owned()),
        Just(String::new()),
        "[a-z:✓ ]{0,12}",
    ];
    let end = prop_oneof![Just("\n"), Just("\r\n"), Just("\r")];
    // Ended by a blank line: a body that ends inside an event is an error (see
    // `a_body_ending_inside_an_event_is_incomplete`; the `sse_decoder` fuzz target covers both).
    proptest::collection::vec((line, end), 0..24)
        .prop_map(|lines| lines.into_iter().map(|(l, e)| l + e).collect::<String>() + "\n\n")
}

fn cases() -> u32 {
    std::env::var("SECRETGATE_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    /// Any fragmentation of the bytes gives the same items, and re-decoding the items' raw
    /// bytes gives them again (raw forwarding changes nothing a client sees).
    #[test]
    fn fragmentation_changes_nothing(text in stream_text(), cuts in proptest::collection::vec(0usize..64, 0..16)) {
        let bytes = text.as_bytes();
        let whole = decode_all(&[bytes]).expect("decodes");
        let mut points: Vec<usize> = cuts.iter().map(|c| c * bytes.len() / 64).collect();
        points.sort_unstable();
        let mut chunks = Vec::new();
        let mut at = 0;
        for p in points {
            chunks.push(&bytes[at..p]);
            at = p;
        }
        chunks.push(&bytes[at..]);
        let pieces = decode_all(&chunks).expect("decodes");
        prop_assert_eq!(events(&pieces), events(&whole));
        let raw: Vec<u8> = pieces.iter().flat_map(|i| match i {
            Item::Event { raw, .. } | Item::Comment { raw, .. } | Item::Blank { raw } => raw.clone(),
        }).collect();
        prop_assert_eq!(events(&decode_all(&[&raw]).expect("decodes")), events(&whole));
    }
}

#[test]
fn lines_a_client_does_not_read_are_not_in_an_events_bytes() {
    // A comment inside an event and an unknown field: the event's bytes are its canonical
    // encoding, so forwarding them forwards only what was read.
    let mut d = Decoder::default();
    d.push(b"event: x\n: sk-hidden-in-a-comment\nfoo: sk-hidden-in-a-field\ndata: {\"a\":1}\n\nfoo: only\n\ndata: plain\n\n");
    let Some(Item::Event { event, raw }) = d.next_item().expect("decodes") else { panic!("an event") };
    assert_eq!(event.data, "{\"a\":1}");
    assert_eq!(raw, b"event: x\ndata: {\"a\":1}\n\n");
    // Unknown fields alone make no event.
    assert!(matches!(d.next_item().expect("decodes"), Some(Item::Blank { raw }) if raw == b"\n"));
    // An ordinary event keeps its bytes as they came.
    let Some(Item::Event { raw, .. }) = d.next_item().expect("decodes") else { panic!("an event") };
    assert_eq!(raw, b"data: plain\n\n");
}
