//! Purpose: rank entries for what people type: a code or code prefix, an
//! enum name, or plain words ("client secret expired", "admin consent").
//!
//! Words are lower-cased and lightly stemmed on both sides, weighted by the
//! field they appear in (name and title count most) and by how rare they are
//! across the base, and entries matching every word of the query beat those
//! matching a few. The last word also matches as a prefix, so the same search
//! serves Discord's autocomplete while someone is still typing.

use std::collections::HashMap;

use rustc_hash::FxHashMap;

use super::{query, Entry, Source};
use crate::code::AadstsCode;

/// One search result.
#[derive(Debug, Clone, Copy)]
pub struct Hit<'a> {
    /// The entry found.
    pub entry: &'a Entry,
    /// Higher is better; only comparable within one search.
    pub score: f32,
}

/// Inverted index over the entries' words.
#[derive(Debug, Default)]
pub(crate) struct Index {
    /// term -> (entry position, field weight), one pair per entry.
    postings: FxHashMap<String, Vec<(usize, f32)>>,
    /// Every term, sorted, for prefix matches.
    terms: Vec<String>,
    /// Lower-cased titles, for the phrase bonus.
    titles: Vec<String>,
    /// How often other entries point at each entry (`related`): codes people
    /// meet a lot are linked a lot, so this breaks ties towards them.
    prior: Vec<f32>,
    /// Each entry's enum name as terms, for the name bonus.
    name_terms: Vec<Vec<String>>,
    /// Every term by its length in bytes, for typo matching.
    by_len: Vec<Vec<String>>,
}

const NAME_WEIGHT: f32 = 2.5;
const TITLE_WEIGHT: f32 = 3.0;
const CATEGORY_WEIGHT: f32 = 1.5;
const MEANING_WEIGHT: f32 = 1.0;
const CAUSE_WEIGHT: f32 = 0.6;
const FIX_WEIGHT: f32 = 0.4;

/// Words too common in questions to say anything. (A `match` on strings
/// compiles to a switch on length and a few compares.)
fn is_stopword(word: &str) -> bool {
    matches!(
        word,
        "a" | "aadsts"
            | "after"
            | "an"
            | "and"
            | "any"
            | "are"
            | "aren"
            | "at"
            | "be"
            | "been"
            | "by"
            | "can"
            | "couldn"
            | "do"
            | "does"
            | "doesn"
            | "don"
            | "error"
            | "for"
            | "from"
            | "get"
            | "getting"
            | "got"
            | "how"
            | "i"
            | "in"
            | "is"
            | "isn"
            | "it"
            | "its"
            | "me"
            | "message"
            | "my"
            | "not"
            | "of"
            | "on"
            | "or"
            | "our"
            | "s"
            | "says"
            | "t"
            | "that"
            | "the"
            | "this"
            | "to"
            | "try"
            | "trying"
            | "was"
            | "wasn"
            | "we"
            | "what"
            | "when"
            | "while"
            | "why"
            | "with"
            | "won"
            | "you"
            | "your"
    )
}

/// Query words that should also find these entry words.
const SYNONYMS: &[(&str, &[&str])] = &[
    (
        "mfa",
        &["multifactor", "multi", "factor", "strong", "second"],
    ),
    ("2fa", &["mfa", "multifactor"]),
    ("multifactor", &["mfa"]),
    ("multi", &["mfa"]),
    ("factor", &["mfa"]),
    ("ca", &["conditional"]),
    ("uri", &["url"]),
    ("url", &["uri"]),
    ("reply", &["redirect"]),
    ("redirect", &["reply"]),
    ("cert", &["certificate"]),
    ("pwd", &["password"]),
    ("app", &["application"]),
    ("application", &["app"]),
    ("tenant", &["directory"]),
    ("directory", &["tenant"]),
    ("locked", &["lockout", "lock"]),
    ("lockout", &["lock"]),
    ("guest", &["external", "b2b"]),
    ("sso", &["single", "seamless"]),
    ("adfs", &["federation", "federated"]),
    ("saml", &["federation"]),
    ("disabled", &["disable"]),
    ("admin", &["administrator"]),
    ("administrator", &["admin"]),
    ("user", &["account"]),
    ("account", &["user"]),
    ("found", &["exist"]),
    ("exist", &["found"]),
    ("wrong", &["invalid", "incorrect"]),
    ("invalid", &["wrong"]),
    ("blocked", &["block"]),
];

/// Lower-cases, drops punctuation and stop words, and stems; calls `f` with
/// each term. One buffer serves every word, so indexing allocates only for
/// terms it keeps.
pub(crate) fn for_each_term(text: &str, mut f: impl FnMut(&str)) {
    let mut buf = String::new();
    for word in text.split(|c: char| !c.is_alphanumeric()) {
        if word.is_empty() {
            continue;
        }
        buf.clear();
        if word.is_ascii() {
            buf.push_str(word);
            buf.make_ascii_lowercase();
        } else {
            buf.extend(word.chars().flat_map(char::to_lowercase));
        }
        if is_stopword(&buf) {
            continue;
        }
        stem_in_place(&mut buf);
        f(&buf);
    }
}

/// The terms of `text` (see [`for_each_term`]).
pub(crate) fn terms(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_term(text, |t| out.push(t.to_owned()));
    out
}

/// Splits `UserStrongAuthClientAuthNRequired` into its words.
fn camel_words(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 8);
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_uppercase() && prev_lower {
            out.push(' ');
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        out.push(c);
    }
    out
}

/// A light stemmer: `expired`, `expires`, `expiry` and `expiration` all
/// become `expir`; `policies` and `policy` become `polic`.
pub(crate) fn stem(word: &str) -> String {
    let mut w = word.to_owned();
    stem_in_place(&mut w);
    w
}

fn stem_in_place(w: &mut String) {
    if w.len() > 4 && w.ends_with("ies") {
        w.truncate(w.len() - 3);
        w.push('y');
    }
    for suffix in ["ations", "ation", "ing", "ed", "es", "s", "y"] {
        if let Some(base) = w.strip_suffix(suffix) {
            if base.len() >= 4 && !(suffix == "s" && base.ends_with('s')) {
                w.truncate(base.len());
                break;
            }
        }
    }
}

impl Index {
    pub(crate) fn build(entries: &[Entry]) -> Self {
        let mut postings: FxHashMap<String, Vec<(usize, f32)>> = FxHashMap::default();
        for (i, e) in entries.iter().enumerate() {
            // A term counts once per field, and fields add up: an entry whose
            // title, meaning and causes all talk about "tenant" is more about
            // tenants than one that mentions it once.
            // term -> (weight so far, last field that counted it)
            let mut weights: FxHashMap<String, (f32, u8)> = FxHashMap::default();
            let mut field = 0u8;
            let mut add = |text: &str, weight: f32| {
                field += 1;
                for_each_term(text, |t| match weights.get_mut(t) {
                    Some((w, last)) if *last != field => {
                        *w += weight;
                        *last = field;
                    }
                    Some(_) => {}
                    None => {
                        weights.insert(t.to_owned(), (weight, field));
                    }
                });
            };
            if let Some(name) = &e.name {
                add(&camel_words(name), NAME_WEIGHT);
                add(name, NAME_WEIGHT);
            }
            add(&e.title, TITLE_WEIGHT);
            add(e.category.label(), CATEGORY_WEIGHT);
            add(&e.meaning, MEANING_WEIGHT);
            add(&e.causes.join(" "), CAUSE_WEIGHT);
            // Skip the role word: "admin" in every fix says nothing.
            let fixes: Vec<&str> = e.fixes.iter().map(|f| f.step.as_str()).collect();
            add(&fixes.join(" "), FIX_WEIGHT);
            for (t, (w, _)) in weights {
                postings.entry(t).or_default().push((i, w));
            }
        }
        let mut terms: Vec<String> = postings.keys().cloned().collect();
        terms.sort_unstable();
        let titles = entries.iter().map(|e| e.title.to_lowercase()).collect();
        let position: HashMap<_, _> = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.code, i))
            .collect();
        let mut links = vec![0u32; entries.len()];
        for e in entries {
            for r in &e.related {
                if let Some(&i) = position.get(r) {
                    links[i] += 1;
                }
            }
        }
        // Codes in Microsoft's table are the ones people meet most.
        let prior = links
            .iter()
            .zip(entries)
            .map(|(&n, e)| {
                let listed = if e.source == Source::Learn { 1.1 } else { 1.0 };
                listed * (1.0 + 0.15 * (1.0 + n as f32).ln())
            })
            .collect();
        let name_terms = entries
            .iter()
            .map(|e| {
                e.name
                    .as_deref()
                    .map(|n| self::terms(&camel_words(n)))
                    .unwrap_or_default()
            })
            .collect();
        let mut by_len: Vec<Vec<String>> = Vec::new();
        for t in terms.iter().filter(|t| t.is_ascii()) {
            if by_len.len() <= t.len() {
                by_len.resize(t.len() + 1, Vec::new());
            }
            by_len[t.len()].push(t.clone());
        }
        Self {
            postings,
            terms,
            titles,
            prior,
            name_terms,
            by_len,
        }
    }

    pub(crate) fn search<'a>(&self, entries: &'a [Entry], raw: &str, limit: usize) -> Vec<Hit<'a>> {
        let query = raw.trim();
        if query.is_empty() || limit == 0 {
            return Vec::new();
        }
        if let Some(digits) = code_digits(query) {
            return by_code_prefix(entries, digits, limit);
        }
        let mut scores: HashMap<usize, f32> = HashMap::new();
        // An exact enum name, or the start of one, outranks any word match.
        let lower = query.to_lowercase();
        if !lower.contains(' ') && lower.len() >= 3 {
            for (i, e) in entries.iter().enumerate() {
                if let Some(name) = &e.name {
                    let name = name.to_lowercase();
                    if name == lower {
                        *scores.entry(i).or_default() += 1000.0;
                    } else if name.starts_with(&lower) {
                        *scores.entry(i).or_default() += 200.0;
                    }
                }
            }
        }
        // The raw query: a trailing space means the last word is finished.
        self.score_words(raw.trim_start(), &mut scores);
        let hits = scores
            .into_iter()
            .filter(|&(_, s)| s > 0.0)
            .map(|(i, score)| Hit {
                entry: &entries[i],
                score,
            })
            .collect();
        best_first(hits, limit)
    }

    fn score_words(&self, raw_query: &str, scores: &mut HashMap<usize, f32>) {
        let rewritten = query::rewrite(raw_query);
        let query = rewritten.as_ref();
        let raw_words = lower_words(query);
        let words = terms(query);
        if words.is_empty() {
            return;
        }
        let still_typing = !query.ends_with(char::is_whitespace);
        let n = self.titles.len().max(1) as f32;
        // The score of one term for every entry holding it.
        let term_scores = |term: &str, factor: f32, out: &mut HashMap<usize, f32>| {
            if let Some(list) = self.postings.get(term) {
                let idf = (1.0 + n / list.len() as f32).ln();
                for &(i, w) in list {
                    let s = w * idf * factor;
                    let b = out.entry(i).or_insert(0.0);
                    *b = b.max(s);
                }
            }
        };
        // A phrase (several terms) read in place of one query word: the
        // terms' scores add up, scaled by how many of them the entry has.
        let phrase_scores = |phrase: &[String], factor: f32, best: &mut HashMap<usize, f32>| {
            let mut acc: HashMap<usize, (f32, usize)> = HashMap::new();
            for t in phrase {
                let mut one = HashMap::new();
                term_scores(t, 1.0, &mut one);
                for (i, s) in one {
                    let a = acc.entry(i).or_insert((0.0, 0));
                    a.0 += s;
                    a.1 += 1;
                }
            }
            let len = phrase.len().max(1) as f32;
            for (i, (sum, matched)) in acc {
                let coverage = matched as f32 / len;
                let s = factor * sum * coverage * coverage / len.sqrt();
                let b = best.entry(i).or_insert(0.0);
                *b = b.max(s);
            }
        };
        // entry -> (score, number of query words matched)
        let mut acc: HashMap<usize, (f32, usize)> = HashMap::new();
        for (k, word) in words.iter().enumerate() {
            let mut best: HashMap<usize, f32> = HashMap::new();
            let known = self.postings.contains_key(word.as_str());
            term_scores(word, 1.0, &mut best);
            let typed = raw_words
                .iter()
                .find(|w| stem(w) == *word)
                .map_or(word.as_str(), String::as_str);
            if let Some((_, more)) = SYNONYMS.iter().find(|(w, _)| w == word) {
                for m in *more {
                    term_scores(&stem(m), 0.8, &mut best);
                }
            }
            for phrase in query::expansions(typed) {
                phrase_scores(&terms(phrase), 0.9, &mut best);
            }
            let last = still_typing && k + 1 == words.len();
            let mut prefixed = false;
            if last && word.len() >= 2 {
                let start = self.terms.partition_point(|t| t.as_str() < word.as_str());
                for t in self.terms[start..]
                    .iter()
                    .take_while(|t| t.starts_with(word.as_str()))
                    .take(64)
                {
                    if t != word {
                        prefixed = true;
                        term_scores(t, 0.7, &mut best);
                    }
                }
            }
            if query::expansions(typed).is_empty() && !prefixed {
                self.read_unknown_word(typed, word, known, &phrase_scores, &term_scores, &mut best);
            }
            for (i, s) in best {
                let a = acc.entry(i).or_insert((0.0, 0));
                a.0 += s;
                a.1 += 1;
            }
        }
        let phrase = query.to_lowercase();
        for (i, (score, matched)) in acc {
            let coverage = matched as f32 / words.len() as f32;
            let mut s = score * coverage * coverage * self.prior[i];
            if phrase.len() >= 4 && self.titles[i].contains(&phrase) {
                s *= 1.5;
            }
            s *= self.name_bonus(i, &words);
            *scores.entry(i).or_default() += s;
        }
    }

    /// Words run together (`clientsecret`, even when the base has the
    /// rare term `redirecturi` too), else, for a word the base never uses, a
    /// typo of a word it does use.
    fn read_unknown_word(
        &self,
        typed: &str,
        word: &str,
        known_word: bool,
        phrase_scores: &impl Fn(&[String], f32, &mut HashMap<usize, f32>),
        term_scores: &impl Fn(&str, f32, &mut HashMap<usize, f32>),
        best: &mut HashMap<usize, f32>,
    ) {
        let known = |piece: &str| is_stopword(piece) || self.postings.contains_key(&stem(piece));
        if let Some(pieces) = query::split_compound(typed, known) {
            let phrase: Vec<String> = pieces
                .iter()
                .filter(|p| !is_stopword(p))
                .map(|p| stem(p))
                .collect();
            if !phrase.is_empty() {
                phrase_scores(&phrase, 0.9, best);
                return;
            }
        }
        if known_word {
            return;
        }
        let max = query::max_typos(typed.chars().count());
        if max == 0 || !typed.is_ascii() {
            return;
        }
        let mut found = 0;
        for t in &self.by_len
            [word.len().saturating_sub(max)..(word.len() + max + 1).min(self.by_len.len())]
        {
            for term in t {
                let near = query::distance_within(word, term, max).is_some()
                    || (term.len() >= 5
                        && typed.len() > term.len()
                        && typed.len() - term.len() <= 5
                        && query::distance_within(&typed[..term.len()], term, max.min(1))
                            .is_some());
                if near {
                    term_scores(term, 0.6, best);
                    found += 1;
                    if found >= 16 {
                        return;
                    }
                }
            }
        }
    }

    /// Up to 1.5x when the query's words are most of the entry's enum name
    /// (`invalid client secret` fits `InvalidClientSecretProvided` better
    /// than `InvalidClientSecretExpiredKeysProvided`).
    fn name_bonus(&self, i: usize, words: &[String]) -> f32 {
        let name = &self.name_terms[i];
        if name.is_empty() || words.len() < 2 {
            return 1.0;
        }
        let shared = name.iter().filter(|t| words.contains(t)).count();
        if shared < 2 {
            return 1.0;
        }
        1.0 + 0.5 * shared as f32 / name.len() as f32
    }
}

/// The lower-cased words of a query, before stemming.
fn lower_words(query: &str) -> Vec<String> {
    query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// `50076`, `AADSTS5007`, `aadsts 500` -> the digits, if the query is a code
/// or the start of one.
fn code_digits(query: &str) -> Option<&str> {
    let rest = match query.get(..6) {
        Some(p) if p.eq_ignore_ascii_case("aadsts") => query[6..].trim_start_matches([' ', '-']),
        _ => query,
    };
    (!rest.is_empty()
        && rest.len() <= crate::code::MAX_DIGITS
        && rest.bytes().all(|b| b.is_ascii_digit()))
    .then_some(rest)
}

/// Exact code first, then codes starting with the digits, shortest first.
fn by_code_prefix<'a>(entries: &'a [Entry], digits: &str, limit: usize) -> Vec<Hit<'a>> {
    let exact = digits.parse().ok().and_then(AadstsCode::new);
    let hits = entries
        .iter()
        .filter(|e| e.code.number().to_string().starts_with(digits))
        .map(|e| Hit {
            entry: e,
            score: if Some(e.code) == exact {
                1000.0
            } else {
                100.0 - e.code.digits() as f32
            },
        })
        .collect();
    best_first(hits, limit)
}

/// Highest score first (ties: lower code first), at most `limit`.
fn best_first(mut hits: Vec<Hit<'_>>, limit: usize) -> Vec<Hit<'_>> {
    hits.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.entry.code.cmp(&b.entry.code))
    });
    hits.truncate(limit);
    hits
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::Knowledge;

    fn kb() -> Knowledge {
        let entry = |code: u32, name: &str, title: &str, category: &str, meaning: &str| {
            format!(
                "[[error]]\ncode = {code}\nname = \"{name}\"\ntitle = \"{title}\"\nseverity = \"high\"\ncategory = \"{category}\"\nmeaning = \"{meaning}\"\ncauses = [\"c\"]\nfixes = [\"Admin: do the thing.\"]\nsource = \"learn\"\n"
            )
        };
        let text = [
            entry(
                50011,
                "InvalidReplyTo",
                "Redirect URI does not match the app registration",
                "app-config",
                "The reply address sent differs.",
            ),
            entry(
                50076,
                "UserStrongAuthClientAuthNRequired",
                "MFA required by a policy",
                "mfa",
                "A second factor is needed.",
            ),
            entry(
                50079,
                "UserStrongAuthEnrollmentRequired",
                "User must register for MFA",
                "mfa",
                "Registration is required.",
            ),
            entry(
                65001,
                "DelegationDoesNotExist",
                "Consent missing for the app",
                "consent",
                "Nobody consented to the permissions.",
            ),
            entry(
                7000222,
                "InvalidClientSecretExpiredKeysProvided",
                "Client secret has expired",
                "client-auth",
                "The secret's end date passed.",
            ),
        ]
        .concat();
        Knowledge::from_sources(&[("k.toml", &text)], None).unwrap()
    }

    fn top(k: &Knowledge, q: &str) -> Vec<u32> {
        k.search(q, 10)
            .iter()
            .map(|h| h.entry.code.number())
            .collect()
    }

    #[test]
    fn exact_code_and_prefix() {
        let k = kb();
        assert_eq!(top(&k, "50076"), [50076]);
        assert_eq!(top(&k, "AADSTS5007"), [50076, 50079]);
        assert_eq!(top(&k, "aadsts 700"), [7000222]);
        assert!(top(&k, "12345").is_empty());
    }

    #[test]
    fn enum_name_any_case_and_prefix() {
        let k = kb();
        assert_eq!(top(&k, "delegationdoesnotexist")[0], 65001);
        assert_eq!(top(&k, "UserStrongAuthEnroll")[0], 50079);
    }

    #[test]
    fn words_with_stems_and_synonyms() {
        let k = kb();
        assert_eq!(top(&k, "client secret expired")[0], 7000222);
        assert_eq!(top(&k, "consent")[0], 65001);
        assert_eq!(top(&k, "reply url")[0], 50011);
        assert_eq!(top(&k, "multi-factor")[0..2], [50076, 50079]);
    }

    #[test]
    fn last_word_matches_as_prefix_while_typing() {
        let k = kb();
        assert_eq!(top(&k, "cons")[0], 65001);
        assert!(top(&k, "cons ").is_empty());
    }

    #[test]
    fn limit_and_empty_query() {
        let k = kb();
        assert!(top(&k, "   ").is_empty());
        assert_eq!(k.search("mfa", 1).len(), 1);
        assert!(top(&k, "the of and").is_empty());
    }

    #[test]
    fn stems() {
        for (a, b) in [
            ("expired", "expires"),
            ("expiry", "expiration"),
            ("policies", "policy"),
            ("secrets", "secret"),
        ] {
            assert_eq!(stem(a), stem(b), "{a} {b}");
        }
        assert_eq!(stem("access"), "access");
    }

    #[test]
    fn stopwords_are_dropped() {
        assert_eq!(terms("The error is NOT in my app"), ["app"]);
    }

    #[test]
    fn camel_case_split() {
        assert_eq!(camel_words("InvalidReplyTo"), "Invalid Reply To");
        assert_eq!(
            camel_words("UserStrongAuthClientAuthNRequired"),
            "User Strong Auth Client Auth NRequired"
        );
    }
}
