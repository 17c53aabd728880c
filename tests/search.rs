//! The words people type find the right code: a table of real queries
//! against the shipped knowledge base, each with the code that must come
//! first or within the first three (what autocomplete shows at a glance).

use std::path::Path;

use aadsts_bot::Knowledge;

/// (query, expected code, rank it must reach: 1 = first; 5 = on the first
/// page of `/aadsts` results).
const TABLE: &[(&str, u32, usize)] = &[
    ("consent", 65001, 1),
    ("client secret expired", 7000222, 1),
    ("invalid client secret", 7000215, 5),
    ("MFA", 50076, 1),
    ("MFA", 50079, 3),
    ("conditional access", 53003, 1),
    ("redirect uri", 50011, 1),
    ("reply url mismatch", 50011, 1),
    ("app not found", 700016, 1),
    ("application not found in tenant", 700016, 1),
    ("admin consent", 90094, 3),
    ("account locked", 50053, 1),
    ("smart lockout", 50053, 1),
    ("password expired", 50055, 1),
    ("password must be changed", 50055, 1),
    ("wrong password", 50126, 1),
    ("user not found", 50034, 1),
    ("disabled account", 50057, 3),
    ("guest user", 50020, 1),
    ("refresh token expired", 700082, 1),
    ("authorization code expired", 70008, 1),
    ("code already redeemed", 54005, 1),
    ("device not compliant", 53000, 1),
    ("device code expired", 70019, 1),
    ("silent sign-in", 50058, 1),
    ("interaction required", 50076, 3),
    ("seamless sso", 81004, 3),
    ("pass-through authentication", 80001, 3),
    ("scope invalid", 70011, 1),
    ("invalid resource", 70011, 3),
    ("resource principal not found", 500011, 1),
    ("app disabled", 500014, 1),
    ("user not assigned to app", 50105, 1),
    ("assignment required", 50105, 1),
    ("throttled", 90055, 1),
    ("saml", 75005, 3),
    ("certificate thumbprint", 700027, 3),
    ("client assertion", 700027, 3),
    ("browser not supported", 530001, 1),
    ("hybrid join", 53001, 3),
    ("password change upn", 120011, 1),
    ("upn", 120011, 3),
    ("blocked by policy", 53003, 1),
    ("ropc", 7000218, 3),
    ("national cloud", 90038, 3),
    ("multi-factor", 50076, 3),
    ("UserStrongAuthClientAuthNRequired", 50076, 1),
    ("invalidclientsecretexpiredkeysprovided", 7000222, 1),
    ("AADSTS700016", 700016, 1),
    ("7000215", 7000215, 1),
];

#[test]
fn queries_people_type_find_the_right_code() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
    let k = Knowledge::load(&dir, None).expect("knowledge loads");
    let mut failures = Vec::new();
    for &(query, code, rank) in TABLE {
        let got: Vec<u32> = k
            .search(query, 10)
            .iter()
            .map(|h| h.entry.code.number())
            .collect();
        if !got.iter().take(rank).any(|&c| c == code) {
            failures.push(format!("{query:?}: want {code} in top {rank}, got {got:?}"));
        }
    }
    assert!(TABLE.len() >= 30);
    assert!(
        failures.is_empty(),
        "{} of {} queries failed:\n{}",
        failures.len(),
        TABLE.len(),
        failures.join("\n")
    );
}

#[test]
fn autocomplete_prefixes_while_typing() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
    let k = Knowledge::load(&dir, None).expect("knowledge loads");
    let first = |q: &str| k.search(q, 25).first().map(|h| h.entry.code.number());
    let typed = k.search("5007", 25);
    assert!(typed.len() >= 5);
    assert!(typed
        .iter()
        .all(|h| h.entry.code.number().to_string().starts_with("5007")));
    // Shorter codes first: 50074 before 500711.
    assert_eq!(typed[0].entry.code.digits(), 5);
    assert_eq!(k.search("AADSTS7000", 25).len(), 25);
    assert_eq!(first("conditional acc"), Some(53003));
    assert_eq!(first("cons"), Some(65001));
}
