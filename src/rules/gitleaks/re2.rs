//! Go's regexp syntax (RE2, as gitleaks compiles it) rewritten for our engine, and what the
//! rewritten regex says about a rule's secret and keywords.
//!
//! Most of Go's syntax means the same here: `\d`, `\w`, `\b` and `(?i)` are ASCII in Go, and
//! our rules compile with Unicode off. What differs is rewritten so it means what it meant in
//! Go: `\s` (Go's has no `\v`), `\Q…\E`, `\<` and `\>` (literal in Go, word boundaries here),
//! a `{` that does not start a repetition (literal in Go, an error here), `[`, `&&`, `--` and
//! `~~` inside a class (literal in Go, set syntax here), octal and `\x` escapes (code points in
//! Go: above 0x7F they become the character itself). What cannot mean the same is refused
//! with a reason: Unicode classes (`\p…`) and non-ASCII characters inside a class, which Go
//! matches as one character and our byte-oriented classes cannot.
//!
//! Capture groups keep their numbers; names are dropped, and the group gitleaks takes the
//! secret from is named `secret`, which is how our rules mark it.

use regex_syntax::hir::{Class, Hir, HirKind};

/// `pattern` in our syntax; the capture group `secret` (numbered as in Go, 1-based) is named
/// `secret` and every other name is dropped. Errors say which construct cannot be carried
/// over and where, never quoting the pattern.
pub(super) fn translate(pattern: &str, secret: Option<usize>) -> Result<String, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut group = 0;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => i = escape(&chars, i, &mut out)?,
            '[' => i = class(&chars, i, &mut out)?,
            '(' if chars.get(i + 1) != Some(&'?') => {
                group += 1;
                out.push_str(if secret == Some(group) { "(?P<secret>" } else { "(" });
                i += 1;
            }
            '(' => match named_group_end(&chars, i) {
                Some(end) => {
                    group += 1;
                    out.push_str(if secret == Some(group) { "(?P<secret>" } else { "(" });
                    i = end + 1;
                }
                None => {
                    out.push_str("(?");
                    i += 2;
                }
            },
            '{' => match repetition_end(&chars, i) {
                Some(end) => {
                    out.extend(&chars[i..=end]);
                    i = end + 1;
                }
                None => {
                    out.push_str("\\{");
                    i += 1;
                }
            },
            '}' | ']' => {
                out.push('\\');
                out.push(c);
                i += 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(out)
}

/// The index of the `>` closing `(?P<name>` or `(?<name>` starting at `i` (not a look-behind).
fn named_group_end(chars: &[char], i: usize) -> Option<usize> {
    let name_start = match chars.get(i + 2..i + 4)? {
        ['P', '<'] => i + 4,
        ['<', c] if *c != '=' && *c != '!' => i + 3,
        _ => return None,
    };
    chars[name_start..].iter().position(|&c| c == '>').map(|p| name_start + p)
}

/// The index of the `}` closing a Go repetition `{n}`, `{n,}` or `{n,m}` starting at `i`;
/// anything else is a literal `{` in Go.
fn repetition_end(chars: &[char], i: usize) -> Option<usize> {
    let mut j = i + 1;
    let digits = |j: &mut usize| {
        let start = *j;
        while chars.get(*j).is_some_and(char::is_ascii_digit) {
            *j += 1;
        }
        *j > start
    };
    if !digits(&mut j) {
        return None;
    }
    if chars.get(j) == Some(&',') {
        j += 1;
        digits(&mut j);
    }
    (chars.get(j) == Some(&'}')).then_some(j)
}

/// An escape outside a class at `i`; returns the index after it.
fn escape(chars: &[char], i: usize, out: &mut String) -> Result<usize, String> {
    let Some(&d) = chars.get(i + 1) else {
        return Err("the regex ends with a lone backslash".into());
    };
    match d {
        'Q' => {
            // Literal text up to `\E` or the end.
            let mut j = i + 2;
            while j < chars.len() {
                if chars[j] == '\\' && chars.get(j + 1) == Some(&'E') {
                    return Ok(j + 2);
                }
                literal(chars[j], out);
                j += 1;
            }
            Ok(j)
        }
        's' => {
            out.push_str(r"[\t\n\f\r ]");
            Ok(i + 2)
        }
        'S' => {
            out.push_str(r"[^\t\n\f\r ]");
            Ok(i + 2)
        }
        'p' | 'P' => Err(unicode_class(i)),
        '<' | '>' => {
            out.push(d);
            Ok(i + 2)
        }
        'x' | '0'..='7' => {
            let (code, next) = code_point(chars, i)?;
            literal(code, out);
            Ok(next)
        }
        '8' | '9' => Err(format!("back-reference at character {i} (Go rejects it too)")),
        _ => {
            out.push('\\');
            out.push(d);
            Ok(i + 2)
        }
    }
}

fn unicode_class(at: usize) -> String {
    format!("Unicode class (`\\p…`) at character {at}: rules here match bytes with Unicode off")
}

/// The character of a `\x` or octal escape at `i`, and the index after the escape.
fn code_point(chars: &[char], i: usize) -> Result<(char, usize), String> {
    let bad = || format!("malformed escape at character {i}");
    let (value, next) = if chars[i + 1] == 'x' {
        if chars.get(i + 2) == Some(&'{') {
            let close = chars[i + 3..].iter().position(|&c| c == '}').ok_or_else(bad)? + i + 3;
            let hex: String = chars[i + 3..close].iter().collect();
            (u32::from_str_radix(&hex, 16).map_err(|_| bad())?, close + 1)
        } else {
            let hex: String = chars.get(i + 2..i + 4).ok_or_else(bad)?.iter().collect();
            (u32::from_str_radix(&hex, 16).map_err(|_| bad())?, i + 4)
        }
    } else {
        // Go: `\0` and `\1`–`\7` followed by another octal digit are octal (at most three
        // digits); a lone `\1`–`\7` is a back-reference, which Go rejects.
        let octal = |j: usize| chars.get(j).is_some_and(|c| ('0'..='7').contains(c));
        if chars[i + 1] != '0' && !octal(i + 2) {
            return Err(format!("back-reference at character {i} (Go rejects it too)"));
        }
        let mut j = i + 1;
        while j < i + 4 && octal(j) {
            j += 1;
        }
        let digits: String = chars[i + 1..j].iter().collect();
        (u32::from_str_radix(&digits, 8).map_err(|_| bad())?, j)
    };
    Ok((char::from_u32(value).ok_or_else(bad)?, next))
}

/// `c` as a literal outside a class.
fn literal(c: char, out: &mut String) {
    match c {
        '<' | '>' => out.push(c),
        _ if c.is_ascii_punctuation() => {
            out.push('\\');
            out.push(c);
        }
        _ if c.is_ascii_alphanumeric() || !c.is_ascii() => out.push(c),
        _ => out.push_str(&format!("\\x{{{:02X}}}", c as u32)),
    }
}

/// A Go class at `i` (its `[`), rewritten item by item; returns the index after its `]`.
fn class(chars: &[char], i: usize, out: &mut String) -> Result<usize, String> {
    let unclosed = || format!("class at character {i} is not closed");
    let mut j = i + 1;
    let negated = chars.get(j) == Some(&'^');
    if negated {
        j += 1;
    }
    let mut items = String::new();
    let mut first = true;
    loop {
        let c = *chars.get(j).ok_or_else(unclosed)?;
        if c == ']' && !first {
            j += 1;
            break;
        }
        first = false;
        if c == '[' && chars.get(j + 1) == Some(&':') {
            if let Some(end) = posix_class_end(chars, j) {
                items.extend(&chars[j..=end]);
                j = end + 1;
                continue;
            }
        }
        if c == '\\' {
            match chars.get(j + 1) {
                Some('p' | 'P') => return Err(unicode_class(j)),
                Some(&d @ ('d' | 'D' | 'w' | 'W')) => {
                    items.push('\\');
                    items.push(d);
                    j += 2;
                    continue;
                }
                Some('s') => {
                    items.push_str(r"\t\n\f\r ");
                    j += 2;
                    continue;
                }
                Some('S') => {
                    // Every byte but Go's five spaces (non-ASCII characters are not spaces).
                    items.push_str(r"\x00-\x08\x0B\x0E-\x1F\x21-\xFF");
                    j += 2;
                    continue;
                }
                _ => {}
            }
        }
        let (lo, next) = class_char(chars, j)?;
        j = next;
        let mut hi = lo;
        if chars.get(j) == Some(&'-') && chars.get(j + 1).is_some_and(|&c| c != ']') {
            let (h, next) = class_char(chars, j + 1)?;
            if h < lo {
                return Err(format!("class range out of order at character {j}"));
            }
            hi = h;
            j = next;
        }
        if !hi.is_ascii() {
            return Err(format!(
                "non-ASCII character in the class at character {i}: Go matches it as one character, rules here match bytes"
            ));
        }
        class_literal(lo, &mut items);
        if hi != lo {
            items.push('-');
            class_literal(hi, &mut items);
        }
    }
    out.push('[');
    if negated {
        out.push('^');
    }
    out.push_str(&items);
    out.push(']');
    Ok(j)
}

/// The index of the `]` of a POSIX class `[:name:]` or `[:^name:]` at `i`.
fn posix_class_end(chars: &[char], i: usize) -> Option<usize> {
    const NAMES: [&str; 14] = [
        "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print", "punct", "space", "upper",
        "word", "xdigit",
    ];
    let close = chars[i + 2..].windows(2).position(|w| w == [':', ']'])? + i + 2;
    let name: String = chars[i + 2..close].iter().collect();
    NAMES.contains(&name.strip_prefix('^').unwrap_or(&name)).then_some(close + 1)
}

/// One character of a class (a literal or an escape) at `i`, and the index after it.
fn class_char(chars: &[char], i: usize) -> Result<(char, usize), String> {
    let c = chars[i];
    if c != '\\' {
        return Ok((c, i + 1));
    }
    let Some(&d) = chars.get(i + 1) else {
        return Err("the regex ends with a lone backslash".into());
    };
    let simple = match d {
        'a' => '\x07',
        'f' => '\x0C',
        't' => '\t',
        'n' => '\n',
        'r' => '\r',
        'v' => '\x0B',
        'x' | '0'..='7' => return code_point(chars, i),
        _ if d.is_ascii_punctuation() => d,
        _ => return Err(format!("escape at character {i} is not valid in a class (Go rejects it too)")),
    };
    Ok((simple, i + 2))
}

/// An ASCII character inside a class: punctuation escaped (so `[`, `&`, `-`, `~` never form
/// set syntax), controls as `\x`.
fn class_literal(c: char, out: &mut String) {
    match c {
        '<' | '>' => out.push(c),
        _ if c.is_ascii_punctuation() => {
            out.push('\\');
            out.push(c);
        }
        _ if c.is_ascii_alphanumeric() => out.push(c),
        _ => out.push_str(&format!("\\x{{{:02X}}}", c as u32)),
    }
}

/// Whether capture group `index` takes part in every match of `hir`, and never empty: then
/// gitleaks' "first non-empty group" is always that group.
pub(super) fn always_captures(hir: &Hir, index: u32) -> bool {
    match hir.kind() {
        HirKind::Capture(cap) if cap.index == index => cap.sub.properties().minimum_len().is_some_and(|n| n > 0),
        HirKind::Capture(cap) => always_captures(&cap.sub, index),
        HirKind::Concat(items) => items.iter().any(|item| always_captures(item, index)),
        HirKind::Repetition(rep) => rep.min >= 1 && always_captures(&rep.sub, index),
        _ => false,
    }
}

/// Whether every match of `hir` contains one of `keywords` (lower-case), compared ASCII
/// case-insensitively — our keyword contract. Conservative: `false` means "not shown".
pub(super) fn always_contains(hir: &Hir, keywords: &[String]) -> bool {
    let has_keyword =
        |s: &Vec<u8>| keywords.iter().any(|k| !k.is_empty() && s.windows(k.len()).any(|w| w == k.as_bytes()));
    if let Some(set) = strings(hir) {
        return set.iter().all(has_keyword);
    }
    match hir.kind() {
        HirKind::Capture(cap) => always_contains(&cap.sub, keywords),
        HirKind::Repetition(rep) => rep.min >= 1 && always_contains(&rep.sub, keywords),
        HirKind::Alternation(branches) => branches.iter().all(|b| always_contains(b, keywords)),
        HirKind::Concat(items) => {
            if items.iter().any(|item| always_contains(item, keywords)) {
                return true;
            }
            // Runs of neighbouring items with few spellings: every match spells one of the
            // run's strings.
            let mut run: Vec<Vec<u8>> = vec![Vec::new()];
            for item in items {
                run = match strings(item) {
                    Some(set) => cross(&run, &set).unwrap_or(set),
                    None => vec![Vec::new()],
                };
                if run.iter().all(has_keyword) {
                    return true;
                }
            }
            false
        }
        _ => false,
    }
}

/// Most strings [`strings`] lists, and the longest.
const MAX_STRINGS: usize = 256;
const MAX_STRING_LEN: usize = 128;

/// The lower-cased strings one of which every match of `hir` is, lower-cased, when they are
/// few and short (a class counts when it holds at most 8 bytes after lower-casing).
fn strings(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Some(vec![Vec::new()]),
        HirKind::Literal(lit) => Some(vec![lit.0.to_ascii_lowercase()]),
        HirKind::Class(class) => {
            let mut bytes = Vec::new();
            match class {
                Class::Bytes(c) => {
                    for r in c.iter() {
                        bytes.extend((r.start()..=r.end()).take(64).map(|b| b.to_ascii_lowercase()));
                    }
                }
                Class::Unicode(c) => {
                    for r in c.iter() {
                        for ch in (u32::from(r.start())..=u32::from(r.end())).take(64) {
                            bytes.push(u8::try_from(ch).ok().filter(u8::is_ascii)?.to_ascii_lowercase());
                        }
                    }
                }
            }
            bytes.sort_unstable();
            bytes.dedup();
            (bytes.len() <= 8).then(|| bytes.into_iter().map(|b| vec![b]).collect())
        }
        HirKind::Capture(cap) => strings(&cap.sub),
        HirKind::Concat(items) => items.iter().try_fold(vec![Vec::new()], |acc, item| cross(&acc, &strings(item)?)),
        HirKind::Alternation(branches) => {
            let mut all = Vec::new();
            for b in branches {
                all.extend(strings(b)?);
                if all.len() > MAX_STRINGS {
                    return None;
                }
            }
            all.sort_unstable();
            all.dedup();
            Some(all)
        }
        // A short counted repetition (`x{4}`, `(?:or)?`): every count, each a string.
        HirKind::Repetition(rep) if rep.max.is_some_and(|max| max <= 16 && max - rep.min <= 4) => {
            let one = strings(&rep.sub)?;
            let mut power = (0..rep.min).try_fold(vec![Vec::new()], |acc, _| cross(&acc, &one))?;
            let mut all = power.clone();
            for _ in rep.min..rep.max.unwrap_or(rep.min) {
                power = cross(&power, &one)?;
                all.extend(power.iter().cloned());
                if all.len() > MAX_STRINGS {
                    return None;
                }
            }
            all.sort_unstable();
            all.dedup();
            Some(all)
        }
        HirKind::Repetition(_) => None,
    }
}

/// Every string of `a` followed by every string of `b`, if few and short enough.
fn cross(a: &[Vec<u8>], b: &[Vec<u8>]) -> Option<Vec<Vec<u8>>> {
    if a.len() * b.len() > MAX_STRINGS {
        return None;
    }
    let mut out = Vec::with_capacity(a.len() * b.len());
    for x in a {
        for y in b {
            if x.len() + y.len() > MAX_STRING_LEN {
                return None;
            }
            out.push([x.as_slice(), y.as_slice()].concat());
        }
    }
    out.sort_unstable();
    out.dedup();
    Some(out)
}
