//! A rule's regex written in hyperscan's (PCRE) syntax, from the syntax tree the rule was
//! compiled from — never by rewriting the pattern text, whose Rust-only forms (`(?P<name>…)`,
//! `\b{start}`, `(?-u:…)`, Unicode-off classes) would each need their own rewrite.
//!
//! The tree is already desugared: case folding is in classes, `.` is a byte class, counted
//! repetitions are explicit. Every literal byte but ASCII letters and digits is written `\xHH`,
//! every class as byte ranges, every group as `(?:…)`, so no PCRE metacharacter or flag can
//! change what the expression means.
//!
//! **What hyperscan matches must include every match of the rule** (same start, same end, same
//! surrounding bytes): the engine confirms every rule with its own regex and only needs
//! hyperscan's end offsets to be a superset. So an assertion hyperscan cannot express exactly
//! is *dropped* (matching more), never approximated the other way; laziness is dropped (it
//! picks among matches, hyperscan reports them all). What cannot be written without losing
//! matches (a class over non-ASCII Unicode scalars, a class that matches nothing) is refused,
//! and the rule stays on the keyword path.

use std::fmt::Write as _;

use hyperscan::PatternFlags;
use regex_syntax::hir::{Class, Hir, HirKind, Look};

/// Counted repetitions longer than this are written open-ended (`{min,}`, the minimum capped
/// too): hyperscan compiles those fast, and the regex still decides.
pub(crate) const REPEAT_CAP: u32 = 64;

/// A rule's expression for hyperscan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Expression {
    pub text: String,
    /// Whether an assertion was dropped, so hyperscan matches more than the rule.
    pub widened: bool,
    anchors: bool,
    cap: u32,
}

/// Writes `hir` in hyperscan syntax, or says why it cannot be written without losing matches.
/// Without `anchors`, start and end anchors (`\A`, `\z`, `(?m:^)`, `(?m:$)`) are dropped:
/// hyperscan rejects them inside a pattern ("Embedded start anchors not supported").
pub(crate) fn expression(hir: &Hir, anchors: bool) -> Result<Expression, String> {
    expression_capped(hir, anchors, REPEAT_CAP)
}

pub(crate) fn expression_capped(hir: &Hir, anchors: bool, cap: u32) -> Result<Expression, String> {
    let mut out = Expression { text: String::new(), widened: false, anchors, cap };
    write(hir, &mut out)?;
    Ok(out)
}

/// A keyword as hyperscan sees it, with its flags: keywords are lower-case and matched ASCII
/// case-insensitively, as the keyword automaton does. An ASCII keyword is a caseless literal
/// (hyperscan's fastest form); one with other bytes spells each letter as a two-case class,
/// so no non-ASCII byte is folded.
pub(crate) fn keyword(bytes: &[u8]) -> (String, PatternFlags) {
    let mut s = String::with_capacity(bytes.len() * 4);
    if bytes.is_ascii() {
        for &b in bytes {
            byte(b, &mut s);
        }
        return (s, PatternFlags::CASELESS);
    }
    for &b in bytes {
        if b.is_ascii_alphabetic() {
            let _ = write!(s, "[{}{}]", b.to_ascii_lowercase() as char, b.to_ascii_uppercase() as char);
        } else {
            byte(b, &mut s);
        }
    }
    (s, PatternFlags::empty())
}

fn byte(b: u8, s: &mut String) {
    if b.is_ascii_alphanumeric() {
        s.push(b as char);
    } else {
        let _ = write!(s, "\\x{b:02x}");
    }
}

fn write(hir: &Hir, out: &mut Expression) -> Result<(), String> {
    match hir.kind() {
        HirKind::Empty => {}
        HirKind::Literal(lit) => {
            for &b in lit.0.iter() {
                byte(b, &mut out.text);
            }
        }
        HirKind::Class(class) => {
            let bytes = match class {
                Class::Bytes(c) => c.clone(),
                Class::Unicode(c) => c.to_byte_class().ok_or("a Unicode class with non-ASCII characters")?,
            };
            if bytes.ranges().is_empty() {
                return Err("a class that matches nothing".into());
            }
            out.text.push('[');
            for r in bytes.ranges() {
                let _ = write!(out.text, "\\x{:02x}", r.start());
                if r.end() != r.start() {
                    let _ = write!(out.text, "-\\x{:02x}", r.end());
                }
            }
            out.text.push(']');
        }
        HirKind::Look(look) => match assertion(*look) {
            Some(a) if out.anchors || !is_anchor(*look) => out.text.push_str(a),
            _ => out.widened = true,
        },
        HirKind::Repetition(rep) => {
            out.text.push_str("(?:");
            write(&rep.sub, out)?;
            out.text.push(')');
            // Greedy or lazy alike: hyperscan reports every match.
            // A long counted repetition costs hyperscan's compiler dearly (seconds, or "Pattern
            // is too large" for PEM bodies): past `cap` it becomes open-ended.
            let (min, max) = match rep.max {
                Some(max) if max <= out.cap => (rep.min, Some(max)),
                _ => {
                    out.widened |= rep.min > out.cap || rep.max.is_some();
                    (rep.min.min(out.cap), None)
                }
            };
            match (min, max) {
                (min, Some(max)) if min == max => {
                    let _ = write!(out.text, "{{{min}}}");
                }
                (min, Some(max)) => {
                    let _ = write!(out.text, "{{{min},{max}}}");
                }
                (min, None) => {
                    let _ = write!(out.text, "{{{min},}}");
                }
            }
        }
        HirKind::Capture(cap) => {
            out.text.push_str("(?:");
            write(&cap.sub, out)?;
            out.text.push(')');
        }
        HirKind::Concat(items) => {
            for item in items {
                write(item, out)?;
            }
        }
        HirKind::Alternation(items) => {
            out.text.push_str("(?:");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.text.push('|');
                }
                write(item, out)?;
            }
            out.text.push(')');
        }
    }
    Ok(())
}

fn is_anchor(look: Look) -> bool {
    matches!(look, Look::Start | Look::End | Look::StartLF | Look::EndLF)
}

/// The hyperscan form of an assertion that means exactly the same at every position, or
/// `None` when there is none (the assertion is dropped). Rules compile with Unicode off, so
/// word boundaries are ASCII ones, which is what hyperscan's `\b` is without `HS_FLAG_UCP`
/// (a test checks every pair of bytes).
fn assertion(look: Look) -> Option<&'static str> {
    match look {
        Look::Start => Some(r"\A"),
        Look::End => Some(r"\z"),
        Look::StartLF => Some("(?m:^)"),
        Look::EndLF => Some("(?m:$)"),
        Look::WordAscii => Some(r"\b"),
        Look::WordAsciiNegate => Some(r"\B"),
        // `\b{start}` and `\b{end}` are word boundaries with a side: `\b` holds wherever they do.
        Look::WordStartAscii | Look::WordEndAscii => Some(r"\b"),
        // CRLF-aware anchors, half boundaries and Unicode word boundaries have no hyperscan
        // form here; dropping them only widens what hyperscan reports.
        Look::StartCRLF
        | Look::EndCRLF
        | Look::WordUnicode
        | Look::WordUnicodeNegate
        | Look::WordStartUnicode
        | Look::WordEndUnicode
        | Look::WordStartHalfAscii
        | Look::WordEndHalfAscii
        | Look::WordStartHalfUnicode
        | Look::WordEndHalfUnicode => None,
    }
}
