//! A small deterministic RNG (SplitMix64) and the character-level helpers the generators use.

use base64::Engine as _;

pub const DIGITS: &[u8] = b"0123456789";
pub const HEX: &[u8] = b"0123456789abcdef";
pub const HEX_UPPER: &[u8] = b"0123456789ABCDEF";
pub const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
pub const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
pub const LETTERS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
pub const ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
pub const ALNUM_LOWER: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
pub const ALNUM_UPPER: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
pub const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
pub const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/// RFC 4648 base32 (AWS key ids, Azure DevOps PATs use subsets of it).
pub const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/// bech32 data characters (age keys), upper-cased.
pub const BECH32_UPPER: &[u8] = b"QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L";
/// Password characters: no quotes, backslash, `$`, backtick, `#`, `;`, spaces.
pub const PASSWORD: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.@%^+=~!*";
/// Characters that survive in a URL userinfo without percent-encoding.
pub const URL_SAFE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~";

/// SplitMix64: tiny, fast, and good enough for test data.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5EC2_E7FA_7E00_C0DE)
    }

    /// An independent stream for item `index` of stream `stream` under `seed`.
    pub fn derive(seed: u64, stream: u64, index: u64) -> Rng {
        let mut r = Rng::new(seed ^ stream.wrapping_mul(0xA076_1D64_78BD_642F));
        r.0 ^= index.wrapping_mul(0xE703_7ED1_A0B4_28DB);
        r.next_u64();
        r
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T: ?Sized>(&mut self, items: &'a [&'a T]) -> &'a T {
        items[self.below(items.len())]
    }

    pub fn pick_owned<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }

    /// `n` characters drawn from `alphabet`.
    pub fn string(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n).map(|_| alphabet[self.below(alphabet.len())] as char).collect()
    }

    /// Like [`Rng::string`], but re-drawn until it mixes character classes the way real
    /// random keys do (at least one digit, one lower and one upper letter when the alphabet
    /// has them and `n >= 12`), so it never looks like a word or a number.
    pub fn mixed(&mut self, alphabet: &[u8], n: usize) -> String {
        loop {
            let s = self.string(alphabet, n);
            if n < 12 || classes_ok(alphabet, &s) {
                return s;
            }
        }
    }

    pub fn hex(&mut self, n: usize) -> String {
        loop {
            let s = self.string(HEX, n);
            // Real random hex of length >= 16 virtually always has both digits and letters.
            if n < 16 || (s.bytes().any(|b| b.is_ascii_digit()) && s.bytes().any(|b| b.is_ascii_alphabetic())) {
                return s;
            }
        }
    }

    pub fn alnum(&mut self, n: usize) -> String {
        self.mixed(ALNUM, n)
    }

    pub fn digits(&mut self, n: usize) -> String {
        let mut s = self.string(DIGITS, n);
        if n > 1 && s.starts_with('0') {
            s.replace_range(0..1, "7");
        }
        s
    }

    pub fn uuid(&mut self) -> String {
        let h = self.hex(32);
        let v = ["8", "9", "a", "b"][self.below(4)];
        format!("{}-{}-4{}-{}{}-{}", &h[..8], &h[8..12], &h[13..16], v, &h[17..20], &h[20..])
    }

    /// Standard base64 (with padding) of `n` random bytes.
    pub fn b64_bytes(&mut self, n: usize) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.bytes(n))
    }

    /// URL-safe base64 (no padding) of `n` random bytes.
    pub fn b64url_bytes(&mut self, n: usize) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.bytes(n))
    }

    /// Fisher-Yates shuffle.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

fn classes_ok(alphabet: &[u8], s: &str) -> bool {
    let has = |f: fn(&u8) -> bool| alphabet.iter().any(f);
    let want_digit = has(u8::is_ascii_digit);
    let want_lower = has(u8::is_ascii_lowercase);
    let want_upper = has(u8::is_ascii_uppercase);
    (!want_digit || s.bytes().any(|b| b.is_ascii_digit()))
        && (!want_lower || s.bytes().any(|b| b.is_ascii_lowercase()))
        && (!want_upper || s.bytes().any(|b| b.is_ascii_uppercase()))
}

pub fn b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

pub fn b64url(data: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data)
}

/// `OPENAI_API_KEY` → the same words in another convention.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Case {
    Env,
    Snake,
    Camel,
    Pascal,
    Kebab,
}

pub fn case(name: &str, c: Case) -> String {
    let words: Vec<String> =
        name.split(['_', '-', '.']).filter(|w| !w.is_empty()).map(str::to_ascii_lowercase).collect();
    let cap = |w: &str| {
        let mut cs = w.chars();
        cs.next().map(|f| f.to_ascii_uppercase().to_string() + cs.as_str()).unwrap_or_default()
    };
    match c {
        Case::Env => words.join("_").to_ascii_uppercase(),
        Case::Snake => words.join("_"),
        Case::Kebab => words.join("-"),
        Case::Camel => {
            words.iter().enumerate().map(|(i, w)| if i == 0 { w.clone() } else { cap(w) }).collect::<String>()
        }
        Case::Pascal => words.iter().map(|w| cap(w)).collect::<String>(),
    }
}
