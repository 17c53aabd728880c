//! Property tests for the detector: it never panics, every span it reports
//! holds the code it names, a code put into random text is found, and the
//! codes found agree with a naive reading of the text.

use aadsts_bot::detect::{detect, find_codes};
use proptest::prelude::*;

/// Bytes biased towards the letters and separators the detector cares about.
fn tricky_bytes() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        4 => prop::sample::select(b"aAdDsStT0123456789 -%:\\n_x".to_vec()),
        1 => any::<u8>(),
    ];
    prop::collection::vec(byte, 0..300)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn never_panics(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        let _ = detect(&bytes);
    }

    #[test]
    fn never_panics_on_tricky_text(bytes in tricky_bytes()) {
        let d = detect(&bytes);
        prop_assert!(d.codes.len() <= bytes.len() / 7 + 1);
    }

    #[test]
    fn every_span_holds_its_code(bytes in tricky_bytes()) {
        for found in find_codes(&bytes) {
            for span in &found.spans {
                let text = &bytes[span.clone()];
                prop_assert!(text[..6].eq_ignore_ascii_case(b"aadsts"));
                let digits = found.code.number().to_string();
                prop_assert!(text.ends_with(digits.as_bytes()));
                let middle = &text[6..text.len() - digits.len()];
                prop_assert!(matches!(middle, b"" | b" " | b"-" | b"%20"), "{:?}", middle);
            }
        }
    }

    #[test]
    fn spans_are_ordered_and_disjoint(bytes in tricky_bytes()) {
        let mut spans: Vec<_> = find_codes(&bytes).into_iter().flat_map(|f| f.spans).collect();
        spans.sort_by_key(|s| s.start);
        for pair in spans.windows(2) {
            prop_assert!(pair[0].end <= pair[1].start);
        }
    }

    #[test]
    fn inserted_code_is_found(
        before in "[a-zA-Z0-9 .,:;!?'\"()\\n]{0,200}",
        after in "[a-zA-Z0-9 .,:;!?'\"()\\n]{0,200}",
        code in 1u32..=999_999_999,
        upper in any::<bool>(),
    ) {
        let prefix = if upper { "AADSTS" } else { "aadsts" };
        let text = format!("{before} {prefix}{code}: {after}");
        let found = find_codes(text.as_bytes());
        prop_assert!(found.iter().any(|f| f.code.number() == code), "{text}");
    }

    #[test]
    fn first_appearance_order(codes in prop::collection::vec(1u32..100_000, 1..20)) {
        let text: String = codes.iter().map(|c| format!("AADSTS{c} ")).collect();
        let mut distinct = Vec::new();
        for c in &codes {
            if !distinct.contains(c) {
                distinct.push(*c);
            }
        }
        let found: Vec<u32> = find_codes(text.as_bytes()).iter().map(|f| f.code.number()).collect();
        prop_assert_eq!(found, distinct);
    }
}
