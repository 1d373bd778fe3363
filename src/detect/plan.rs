//! What an incremental scan needs to know about a rule set, computed once per [`RuleSet`]:
//! the units whose candidate starts it tracks, and the bounds that say how far back a
//! keyword that has not arrived yet can reach.
//!
//! A *unit* is an anchor group (anchored rules sharing keywords and lead, as in the one-shot
//! engine) or one windowed rule. A keyword hit gives each of its units candidate match starts;
//! the unit's anchored DFA, walked from a start as bytes arrive, says when the start is
//! decided (the walk died) and whether it can match at all.

use regex_automata::hybrid;

use super::RuleSet;
use crate::rules::{lead, ByteSet, Rule};

/// How candidates of a unit arise from a keyword hit.
#[derive(Debug)]
pub(crate) enum UnitKind {
    /// Anchor group `g`: starts from its `Lead`.
    Group(usize),
    /// A windowed rule: any start in `[hit.end - window, hit.start]` whose byte is in `first`.
    Windowed { rule: usize, first: ByteSet },
}

#[derive(Debug)]
pub(crate) struct Unit {
    pub kind: UnitKind,
    /// Walked from each candidate start; `None` when it could not be built (then a start is
    /// decided once `limit` bytes past it have arrived).
    pub dfa: Option<hybrid::dfa::DFA>,
    /// Longest match of any member.
    pub limit: usize,
    /// Rules of the unit.
    pub rules: Vec<usize>,
    /// A candidate can start up to `back` bytes before its keyword, through `class` bytes.
    pub back: usize,
    pub class: ByteSet,
}

/// Secret reach of keywords that have not arrived: up to 64 groups of rules whose secret can
/// begin before their keyword. A secret of group `g` begins on a byte of `first[g]`, with one
/// of `heads[g]`, at most `back[g]` bytes before its keyword, and every byte from there to
/// the end of the text so far (the keyword's arrived part included) is in `class[g]`.
#[derive(Debug)]
pub(crate) struct ReachTable {
    /// Per byte: the groups whose class contains it.
    pub class: Box<[u64; 256]>,
    /// Per byte: the groups whose secrets can begin with it.
    pub first: Box<[u64; 256]>,
    pub back: Vec<usize>,
    /// Per group: its rules (for holdback reports).
    pub rules: Vec<Vec<usize>>,
    /// The groups without heads.
    pub headless: u64,
    /// Per group: how many leading bytes `head_bytes` constrains.
    pub head_len: Vec<usize>,
    /// Per group and offset: the bytes some head allows there (over original bytes, case
    /// folded) — a superset test of "fits a head" that costs one lookup per byte.
    pub head_bytes: Vec<Vec<ByteSet>>,
}

impl ReachTable {
    /// Whether `text` (the original bytes from a candidate start) can begin a head of group `g`.
    #[inline]
    pub fn fits(&self, g: usize, text: &[u8]) -> bool {
        self.head_bytes[g].iter().zip(text).all(|(set, &b)| set.contains(b))
    }
}

impl ReachTable {
    pub fn max_back(&self) -> usize {
        self.back.iter().copied().max().unwrap_or(0)
    }
}

/// Prefixes (up to 3 bytes, lower-case) of keyword stems, each with the earliest offset from
/// the keyword's start at which a secret of one of its rules can begin. Looked up at the end
/// of every push, so direct tables for 1 and 2 bytes and a small hash table for 3.
#[derive(Debug)]
pub(crate) struct HoldTable {
    one: Box<[u8; 256]>,
    two: Box<[u8]>,
    /// Open addressing: `(key + 1, hold)`, 0 = empty.
    three: Box<[(u32, u8)]>,
}

/// "Not a stem prefix".
const NONE: u8 = u8::MAX;

impl Default for HoldTable {
    fn default() -> Self {
        HoldTable { one: Box::new([NONE; 256]), two: vec![NONE; 1 << 16].into_boxed_slice(), three: Box::new([]) }
    }
}

impl HoldTable {
    fn slot3(&self, key: u32) -> usize {
        (key.wrapping_mul(0x9E37_79B1) >> 8) as usize & (self.three.len() - 1)
    }

    fn insert(&mut self, bytes: &[u8], hold: u8) {
        let cell = match bytes {
            [a] => &mut self.one[*a as usize],
            [a, b] => &mut self.two[(*a as usize) << 8 | *b as usize],
            [a, b, c] => {
                let key = u32::from_be_bytes([0, *a, *b, *c]);
                let mut i = self.slot3(key);
                while self.three[i].0 != 0 && self.three[i].0 != key + 1 {
                    i = (i + 1) & (self.three.len() - 1);
                }
                self.three[i].0 = key + 1;
                let cell = &mut self.three[i].1;
                // Stored as `hold + 1` so that 0 means unset.
                let stored = hold.saturating_add(1);
                *cell = if *cell == 0 { stored } else { (*cell).min(stored) };
                return;
            }
            _ => return,
        };
        *cell = (*cell).min(hold);
    }

    /// The hold of lower-cased `bytes` (1 to 3 of them) if they are a stem prefix.
    #[inline]
    pub fn get(&self, bytes: &[u8]) -> Option<usize> {
        let h = match bytes {
            [a] => self.one[*a as usize],
            [a, b] => self.two[(*a as usize) << 8 | *b as usize],
            [a, b, c] => {
                // A 3-byte stem prefix starts with a 2-byte one.
                if self.two[(*a as usize) << 8 | *b as usize] == NONE || self.three.is_empty() {
                    return None;
                }
                let key = u32::from_be_bytes([0, *a, *b, *c]);
                let mut i = self.slot3(key);
                loop {
                    match self.three[i] {
                        (0, _) => return None,
                        (k, h) if k == key + 1 => return Some(h as usize - 1),
                        _ => i = (i + 1) & (self.three.len() - 1),
                    }
                }
            }
            _ => NONE,
        };
        (h != NONE).then_some(h as usize)
    }
}

/// Per keyword-automaton state: how many trailing bytes may begin a keyword (`depth`) and how
/// far back from the end a secret of such a keyword can begin (`back`), read off the state
/// instead of looking up the last bytes on every push.
#[derive(Debug, Default)]
pub(crate) struct StateHolds {
    /// Indexed by `state id >> shift`: `(depth, back)`.
    table: Vec<(u8, u8)>,
    shift: u32,
}

impl StateHolds {
    fn new(set: &RuleSet, hold: &HoldTable) -> StateHolds {
        let states = set.keywords.stream_states();
        let ids: Vec<usize> = states.iter().map(|(sid, _)| sid.as_usize()).collect();
        let gcd = ids.iter().fold(0usize, |g, &id| gcd(g, id));
        let shift = if gcd == 0 { 0 } else { gcd.trailing_zeros() };
        let size = ids.iter().map(|&id| (id >> shift) + 1).max().unwrap_or(0);
        // Dense only when state ids are multiples of one power of two (they index a
        // transition table); otherwise every lookup falls back to the byte tables.
        if gcd != 0 && gcd != 1 << shift || size > 1 << 22 {
            return StateHolds::default();
        }
        let mut table = vec![(u8::MAX, 0); size];
        for (sid, path) in &states {
            let (mut depth, mut back) = (0usize, 0usize);
            for d in 1..=3.min(path.len()) {
                if let Some(h) = hold.get(&path[path.len() - d..]) {
                    depth = d;
                    back = back.max(d.saturating_sub(h));
                }
            }
            table[sid.as_usize() >> shift] = (depth as u8, back as u8);
        }
        StateHolds { table, shift }
    }

    /// Whether states are looked up in the table (else the byte tables are used).
    #[cfg(test)]
    pub fn is_dense(&self) -> bool {
        !self.table.is_empty()
    }

    /// `(depth, back)` of keyword-automaton state `sid`, if known.
    #[inline]
    pub fn get(&self, sid: aho_corasick::automaton::StateID) -> Option<(usize, usize)> {
        match self.table.get(sid.as_usize() >> self.shift) {
            Some(&(d, b)) if d != u8::MAX => Some((d as usize, b as usize)),
            _ => None,
        }
    }
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

#[derive(Debug)]
pub(crate) struct StreamPlan {
    pub units: Vec<Unit>,
    /// Per keyword: the units it gives candidates to.
    pub units_of_keyword: Vec<Vec<usize>>,
    /// Units of rules without keywords: every position is a candidate.
    pub keywordless: Vec<usize>,
    /// Per keyword: offset from its start where a secret of one of its rules can begin.
    pub hold_of_keyword: Vec<usize>,
    pub hold: HoldTable,
    pub state_holds: StateHolds,
    pub reach: ReachTable,
    /// The largest `back` of any unit.
    pub max_back: usize,
}

/// Leading positions of a secret checked against a candidate start.
const HEAD_POSITIONS: usize = 8;

/// Most reach groups tracked separately; the rest share the last one.
const REACH_GROUPS: usize = 64;

impl StreamPlan {
    pub fn new(set: &RuleSet) -> StreamPlan {
        let rules = &set.rules;
        let mut units = Vec::new();
        let mut unit_of = vec![usize::MAX; rules.len()];
        for (g, group) in set.groups.iter().enumerate() {
            let dfa = match &group.dfa {
                Some(d) => Some(d.clone()),
                None => rules[group.rules[0]].anchored.clone(),
            };
            let mut class = ByteSet::default();
            for head in group.lead.offsets.iter().flat_map(|(_, h)| h) {
                for &b in head {
                    if b == 0 {
                        class = ByteSet::ALL;
                    } else {
                        class.insert_folded(b);
                    }
                }
            }
            for &r in &group.rules {
                unit_of[r] = units.len();
            }
            units.push(Unit {
                kind: UnitKind::Group(g),
                dfa,
                limit: group.limit,
                rules: group.rules.clone(),
                back: group.lead.max(),
                class,
            });
        }
        for (i, r) in rules.iter().enumerate() {
            if set.group_of[i].is_some() {
                continue;
            }
            let dfa = crate::rules::build_anchored_many(&[r.pattern.as_str()]);
            let first = dfa.as_ref().map_or(ByteSet::ALL, first_bytes);
            let class = crate::rules::hir_of(&r.pattern).map_or(ByteSet::ALL, |h| lead::bytes_of(&h));
            let shortest = r.keywords.iter().map(String::len).min().unwrap_or(0);
            unit_of[i] = units.len();
            units.push(Unit {
                kind: UnitKind::Windowed { rule: i, first },
                dfa,
                limit: set.window[i],
                rules: vec![i],
                back: set.window[i].saturating_sub(shortest),
                class,
            });
        }
        let mut units_of_keyword = vec![Vec::new(); set.keywords.count()];
        let mut hold_of_keyword = vec![usize::MAX; set.keywords.count()];
        let mut keywordless = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            if r.keywords.is_empty() {
                keywordless.push(unit_of[i]);
            }
        }
        for (kid, (units_k, hold)) in units_of_keyword.iter_mut().zip(hold_of_keyword.iter_mut()).enumerate() {
            for &r in set.keywords.rules_of(kid) {
                if !units_k.contains(&unit_of[r]) {
                    units_k.push(unit_of[r]);
                }
                *hold = (*hold).min(rules[r].lead.as_ref().map_or(0, |l| l.secret_after));
            }
        }
        let hold = hold_table(set, &hold_of_keyword);
        let state_holds = StateHolds::new(set, &hold);
        let reach = reach_table(rules);
        let max_back = units.iter().map(|u| u.back).max().unwrap_or(0);
        StreamPlan { units, units_of_keyword, keywordless, hold_of_keyword, hold, state_holds, reach, max_back }
    }
}

/// Bytes an anchored match can begin with: those that lead somewhere from any start state.
fn first_bytes(dfa: &hybrid::dfa::DFA) -> ByteSet {
    use regex_automata::{Anchored, Input};
    let mut cache = dfa.create_cache();
    let mut set = ByteSet::default();
    // One haystack per look-behind context: text start, after `\n`, `\r`, a word byte, other.
    for before in [None, Some(b'\n'), Some(b'\r'), Some(b'a'), Some(b' ')] {
        for b in 0..=255u8 {
            if set.contains(b) {
                continue;
            }
            let hay: Vec<u8> = before.into_iter().chain([b]).collect();
            let at = hay.len() - 1;
            let input = Input::new(&hay).span(at..hay.len()).anchored(Anchored::Yes);
            let alive = match dfa.start_state_forward(&mut cache, &input) {
                Ok(sid) => match dfa.next_state(&mut cache, sid, b) {
                    Ok(next) => !next.is_dead(),
                    Err(_) => true,
                },
                Err(_) => true,
            };
            if alive {
                set.insert(b);
            }
        }
    }
    set
}

fn hold_table(set: &RuleSet, hold_of_keyword: &[usize]) -> HoldTable {
    let mut table = HoldTable::default();
    let mut prefixes3 = 0;
    for kid in 0..hold_of_keyword.len() {
        let kw = set.keywords.keyword(kid);
        prefixes3 += usize::from(kw.len().min(super::prefilter::STEM) > 3);
    }
    table.three = vec![(0, 0); (prefixes3 * 2).next_power_of_two().max(16)].into_boxed_slice();
    for (kid, &hold) in hold_of_keyword.iter().enumerate() {
        let kw = set.keywords.keyword(kid);
        let stem = &kw[..kw.len().min(super::prefilter::STEM)];
        for d in 1..stem.len() {
            table.insert(&stem[..d], hold.min(NONE as usize - 1) as u8);
        }
    }
    table
}

/// Groups the rules whose secret can begin before their keyword by the bytes it can span
/// and begin with.
fn reach_table(rules: &[Rule]) -> ReachTable {
    let mut groups: Vec<(ByteSet, ByteSet, usize, Vec<ByteSet>)> = Vec::new();
    let mut members: Vec<Vec<usize>> = Vec::new();
    for (ri, r) in rules.iter().enumerate() {
        let window = r.max_len.unwrap_or(super::UNBOUNDED_WINDOW);
        let Some(hir) = crate::rules::hir_of(&r.pattern) else {
            groups.push((ByteSet::ALL, ByteSet::ALL, window, Vec::new()));
            members.push(vec![ri]);
            continue;
        };
        let secret = lead::secret_hir(&hir).unwrap_or(&hir);
        let (class, first, back) = match &r.lead {
            Some(l) if l.secret_reach.back == 0 => continue,
            Some(l) => {
                let mut class = l.secret_reach.class;
                class.intersect(&lead::bytes_of(secret));
                (class, lead::first_bytes(secret).0, l.secret_reach.back)
            }
            None => match lead::secret_reach_of_windowed(&hir, &r.keywords) {
                None => continue,
                Some((class, first)) => {
                    let shortest = r.keywords.iter().map(String::len).min().unwrap_or(0);
                    (class, first, window.saturating_sub(shortest))
                }
            },
        };
        // The keyword's arrived part lies between the secret's start and the end of the text.
        let mut class = class;
        for b in r.keywords.iter().flat_map(|k| k.bytes()) {
            class.insert_folded(b);
        }
        // Bytes per leading position of the secret: a cheap test that a start can be one.
        // Trailing positions the class already implies test nothing.
        // (Dropping a position only loosens the test, so it is always safe; these cost more
        // per push than they hold back.)
        let mut heads = lead::positions(secret).0;
        heads.truncate(HEAD_POSITIONS);
        while heads.last().is_some_and(|h| class.is_subset(h)) {
            heads.pop();
        }
        match groups.iter().position(|(c, f, _, h)| *c == class && *f == first && *h == heads) {
            Some(g) => {
                groups[g].2 = groups[g].2.max(back);
                members[g].push(ri);
            }
            None => {
                groups.push((class, first, back, heads));
                members.push(vec![ri]);
            }
        }
    }
    // A group whose every possible start is also one of another's, no further back, adds
    // nothing to the bound: drop it (fewer groups to follow per byte).
    let dominated = |a: &(ByteSet, ByteSet, usize, Vec<ByteSet>), b: &(ByteSet, ByteSet, usize, Vec<ByteSet>)| {
        a.0.is_subset(&b.0)
            && a.1.is_subset(&b.1)
            && a.2 <= b.2
            && b.3.len() <= a.3.len()
            && b.3.iter().zip(&a.3).all(|(hb, ha)| ha.is_subset(hb))
    };
    let mut keep = vec![true; groups.len()];
    for i in 0..groups.len() {
        for j in 0..groups.len() {
            // Of two equal groups, keep the first.
            if i != j && keep[j] && dominated(&groups[i], &groups[j]) && !(j > i && dominated(&groups[j], &groups[i])) {
                keep[i] = false;
                break;
            }
        }
    }
    let mut kept = keep.iter();
    groups.retain(|_| kept.next().copied().unwrap_or(true));
    let mut kept = keep.iter();
    members.retain(|_| kept.next().copied().unwrap_or(true));
    // Groups without heads and with the longest reach first: they usually set the bound at
    // the start of the current run, and the rest are skipped (see `Frontier::reach_bound`).
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by_key(|&i| (groups[i].3.len() >= 2, std::cmp::Reverse(groups[i].2)));
    let (mut sorted_groups, mut sorted_members) = (Vec::new(), Vec::new());
    for i in order {
        sorted_groups.push(std::mem::take(&mut groups[i]));
        sorted_members.push(std::mem::take(&mut members[i]));
    }
    let (mut groups, mut members) = (sorted_groups, sorted_members);
    // Merge the overflow into the last group: wider classes and a longer reach only hold more.
    while groups.len() > REACH_GROUPS {
        let Some((c, f, b, _)) = groups.pop() else { break };
        let m = members.pop().unwrap_or_default();
        if let Some(last) = members.last_mut() {
            last.extend(m);
        }
        if let Some(last) = groups.last_mut() {
            last.0.union(&c);
            last.1.union(&f);
            last.2 = last.2.max(b);
            // Merged groups accept any head.
            last.3.clear();
        }
    }
    let mut class = Box::new([0u64; 256]);
    let mut first = Box::new([0u64; 256]);
    for (g, (c, f, _, _)) in groups.iter().enumerate() {
        for b in 0..=255u8 {
            if c.contains(b) {
                class[b as usize] |= 1 << g;
            }
            if f.contains(b) {
                first[b as usize] |= 1 << g;
            }
        }
    }
    let back = groups.iter().map(|g| g.2).collect();
    let head_bytes: Vec<Vec<ByteSet>> = groups.iter().map(|g| g.3.clone()).collect();
    let headless = head_bytes.iter().enumerate().filter(|(_, h)| h.len() < 2).fold(0u64, |m, (i, _)| m | 1 << i);
    let head_len = head_bytes.iter().map(Vec::len).collect();
    ReachTable { class, first, back, rules: members, headless, head_len, head_bytes }
}
