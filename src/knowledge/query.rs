//! Purpose: understand what a support member types before it is scored:
//! admin jargon and abbreviations (`kmsi`, `sspr`, `prt`, `whfb`, `obo`),
//! phrases that name a situation (`wrong tenant`), words run together
//! (`keepmesignedin`, `clientsecret`) and typos (`pasword`, `cosnent`).
//! Pure string work; `search` decides how much each reading counts.

use std::borrow::Cow;

/// Abbreviations and jargon -> phrases the entries use for the same thing.
/// The abbreviation itself is still searched as typed.
pub(crate) const EXPANSIONS: &[(&str, &[&str])] = &[
    (
        "mfa",
        &["multifactor", "strong authentication", "second factor"],
    ),
    ("2fa", &["mfa", "multifactor"]),
    ("ca", &["conditional access"]),
    ("kmsi", &["stay signed in", "keep signed in"]),
    ("sspr", &["self service password reset", "password reset"]),
    ("prt", &["primary refresh token"]),
    ("whfb", &["windows hello", "hello for business"]),
    ("ngc", &["windows hello"]),
    (
        "ropc",
        &["resource owner password", "username password grant"],
    ),
    ("obo", &["on behalf of", "behalf"]),
    ("pkce", &["code verifier", "code challenge"]),
    ("spa", &["single page application", "spa"]),
    ("b2b", &["guest", "external user", "cross tenant"]),
    (
        "pta",
        &["pass through authentication", "pass through agent"],
    ),
    ("adfs", &["federation server", "federated", "ad fs"]),
    ("msal", &["library", "silent"]),
    ("saml", &["saml assertion", "federation"]),
    ("oidc", &["openid connect", "identity provider"]),
    ("upn", &["user principal name", "username"]),
    ("tap", &["temporary access pass"]),
    ("fido", &["passkey", "security key"]),
    ("fido2", &["passkey", "security key"]),
    ("sso", &["single sign on", "seamless"]),
    ("aad", &["entra"]),
    ("sp", &["service principal"]),
    ("mi", &["managed identity"]),
    ("cae", &["continuous access evaluation"]),
    ("tls", &["tls"]),
    ("guest", &["external", "b2b", "member or guest"]),
    ("cert", &["certificate"]),
    ("pwd", &["password"]),
    ("creds", &["credentials"]),
    ("perms", &["permissions"]),
    ("signin", &["sign in"]),
    ("login", &["sign in"]),
    ("logon", &["sign in", "logon"]),
];

/// Phrases that name a situation, rewritten to the words entries use.
/// Matched on the lower-cased query as a whole-word substring.
pub(crate) const REWRITES: &[(&str, &str)] = &[
    ("tenant not found", "tenant doesn't exist"),
    ("tenant does not exist", "tenant doesn't exist"),
    ("unknown tenant", "tenant doesn't exist"),
    ("wrong tenant", "different tenant guest"),
    ("keep me signed in", "stay signed in kmsi"),
    ("stay signed in", "stay signed in kmsi"),
    ("no client secret", "client secret or assertion missing"),
    (
        "missing client secret",
        "client secret or assertion missing",
    ),
    ("no redirect uri", "no redirect uri at all"),
    ("secret id", "secret id value"),
];

/// The query with [`REWRITES`] applied (borrowed when none applies).
pub(crate) fn rewrite(query: &str) -> Cow<'_, str> {
    let lower = query.to_lowercase();
    let mut out: Option<String> = None;
    for (from, to) in REWRITES {
        let hay = out.as_deref().unwrap_or(&lower);
        if let Some(at) = find_words(hay, from) {
            let mut s = String::with_capacity(hay.len() + to.len());
            s.push_str(&hay[..at]);
            s.push_str(to);
            s.push_str(&hay[at + from.len()..]);
            out = Some(s);
        }
    }
    match out {
        Some(s) => Cow::Owned(s),
        None => Cow::Borrowed(query),
    }
}

/// Where `phrase` occurs in `hay` as whole words.
fn find_words(hay: &str, phrase: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = hay[from..].find(phrase).map(|i| i + from) {
        let before = hay[..i].chars().next_back();
        let after = hay[i + phrase.len()..].chars().next();
        let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
        if boundary(before) && boundary(after) {
            return Some(i);
        }
        from = i + 1;
        while !hay.is_char_boundary(from) {
            from += 1;
        }
    }
    None
}

/// The expansions of one lower-cased query word.
pub(crate) fn expansions(word: &str) -> &'static [&'static str] {
    EXPANSIONS
        .iter()
        .find(|(w, _)| *w == word)
        .map_or(&[], |(_, e)| e)
}

/// How many typos a word of `len` characters may carry: 1 for 5-7, 2 for 8+.
pub(crate) fn max_typos(len: usize) -> usize {
    match len {
        0..=4 => 0,
        5..=7 => 1,
        _ => 2,
    }
}

/// Optimal-string-alignment distance between `a` and `b` (a swap of two
/// neighbours counts as one edit), or `None` when it is over `max`. Bytes
/// are compared, so this is meant for ASCII words; work is bounded by the
/// two lengths.
pub(crate) fn distance_within(a: &str, b: &str, max: usize) -> Option<usize> {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len().abs_diff(b.len()) > max || a.len() > 64 || b.len() > 64 {
        return None;
    }
    let w = b.len() + 1;
    let mut rows = vec![0usize; 3 * w];
    let (mut prev2, mut prev, mut cur) = (0, w, 2 * w);
    for j in 0..w {
        rows[prev + j] = j;
    }
    for i in 1..=a.len() {
        rows[cur] = i;
        let mut row_min = i;
        for j in 1..w {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[prev + j] + 1)
                .min(rows[cur + j - 1] + 1)
                .min(rows[prev + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[prev2 + j - 2] + 1);
            }
            rows[cur + j] = d;
            row_min = row_min.min(d);
        }
        if row_min > max {
            return None;
        }
        (prev2, prev, cur) = (prev, cur, prev2);
    }
    let d = rows[prev + b.len()];
    (d <= max).then_some(d)
}

/// Splits a word typed without spaces (`keepmesignedin`) into known words,
/// fewest pieces first; `known` says whether a piece is a word the base
/// uses (or a stop word). At most four pieces of two or more letters.
pub(crate) fn split_compound(word: &str, known: impl Fn(&str) -> bool) -> Option<Vec<String>> {
    let n = word.len();
    if !(5..=40).contains(&n) || !word.is_ascii() {
        return None;
    }
    // best[i]: fewest pieces covering word[..i], and where the last began.
    let mut best: Vec<Option<(usize, usize)>> = vec![None; n + 1];
    best[0] = Some((0, 0));
    for end in 2..=n {
        for start in 0..=end - 2 {
            let Some((pieces, _)) = best[start] else {
                continue;
            };
            // The whole word is not a split of itself.
            if pieces >= 4 || end - start == n || !known(&word[start..end]) {
                continue;
            }
            if best[end].is_none_or(|(p, _)| pieces + 1 < p) {
                best[end] = Some((pieces + 1, start));
            }
        }
    }
    let (pieces, _) = best[n]?;
    if pieces < 2 {
        return None;
    }
    let mut out = Vec::with_capacity(pieces);
    let mut end = n;
    while end > 0 {
        let (_, start) = best[end]?;
        out.push(word[start..end].to_owned());
        end = start;
    }
    out.reverse();
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_whole_phrases_only() {
        assert_eq!(rewrite("Tenant not found!"), "tenant doesn't exist!");
        assert_eq!(rewrite("the wrong tenant"), "the different tenant guest");
        assert_eq!(rewrite("wrong tenantx"), "wrong tenantx");
        assert!(matches!(rewrite("consent"), Cow::Borrowed(_)));
    }

    #[test]
    fn typo_budget_by_length() {
        assert_eq!(max_typos(4), 0);
        assert_eq!(max_typos(5), 1);
        assert_eq!(max_typos(7), 1);
        assert_eq!(max_typos(8), 2);
    }

    #[test]
    fn distance_counts_swaps_as_one() {
        assert_eq!(distance_within("cosnent", "consent", 1), Some(1));
        assert_eq!(distance_within("pasword", "password", 1), Some(1));
        assert_eq!(distance_within("tenent", "tenant", 1), Some(1));
        assert_eq!(distance_within("abc", "abc", 0), Some(0));
        assert_eq!(distance_within("consent", "content", 0), None);
        assert_eq!(distance_within("kitten", "sitting", 2), None);
        assert_eq!(distance_within("kitten", "sitting", 3), Some(3));
        assert_eq!(distance_within("a", "abcd", 2), None);
    }

    #[test]
    fn compounds_split_into_known_words() {
        let known =
            |w: &str| ["keep", "me", "sign", "signed", "in", "client", "secret"].contains(&w);
        assert_eq!(
            split_compound("keepmesignedin", known).unwrap(),
            ["keep", "me", "signed", "in"]
        );
        assert_eq!(
            split_compound("clientsecret", known).unwrap(),
            ["client", "secret"]
        );
        assert!(split_compound("client", known).is_none());
        assert!(split_compound("clientxsecret", known).is_none());
        assert!(split_compound(&"a".repeat(100), known).is_none());
    }

    #[test]
    fn expansions_of_jargon() {
        assert!(expansions("kmsi").contains(&"stay signed in"));
        assert!(expansions("words").is_empty());
    }
}
