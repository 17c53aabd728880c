//! Purpose: the `AadstsCode` value type: one Microsoft Entra ID sign-in error
//! code, parsed from `AADSTS50076`, `aadsts-50076`, `AADSTS 50076` or `50076`.

use std::fmt;
use std::str::FromStr;

/// Codes have 1 to 9 digits after the `AADSTS` prefix.
pub const MAX_DIGITS: usize = 9;

/// One AADSTS error code, stored as its number (`AADSTS50076` is `50076`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AadstsCode(u32);

/// Why a string is not an AADSTS code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseCodeError {
    /// Nothing but white space (or the bare prefix) was given.
    #[error("no code given")]
    Empty,
    /// Something other than digits follows the prefix.
    #[error("expected digits after AADSTS, found {0:?}")]
    NotDigits(String),
    /// More than [`MAX_DIGITS`] digits.
    #[error("an AADSTS code has at most {MAX_DIGITS} digits")]
    TooLong,
    /// `0` is not a code.
    #[error("0 is not an AADSTS code")]
    Zero,
}

impl AadstsCode {
    /// Wraps a number; `None` for 0 or numbers of more than nine digits.
    pub fn new(number: u32) -> Option<Self> {
        (number != 0 && number <= 999_999_999).then_some(Self(number))
    }

    /// The number after the prefix.
    pub fn number(self) -> u32 {
        self.0
    }

    /// How many digits the number has (used by the family table).
    pub fn digits(self) -> usize {
        self.0.checked_ilog10().map_or(1, |d| d as usize + 1)
    }
}

impl fmt::Display for AadstsCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AADSTS{}", self.0)
    }
}

impl FromStr for AadstsCode {
    type Err = ParseCodeError;

    /// Accepts `AADSTS50076`, `aadsts50076`, `AADSTS 50076`, `AADSTS-50076`
    /// and a bare `50076`, with white space around.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let digits = match s.get(..6) {
            Some(prefix) if prefix.eq_ignore_ascii_case("aadsts") => {
                let rest = &s[6..];
                rest.strip_prefix([' ', '-']).unwrap_or(rest)
            }
            _ => s,
        };
        if digits.is_empty() {
            return Err(ParseCodeError::Empty);
        }
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParseCodeError::NotDigits(digits.chars().take(20).collect()));
        }
        if digits.len() > MAX_DIGITS {
            return Err(ParseCodeError::TooLong);
        }
        let number: u32 = digits.parse().map_err(|_| ParseCodeError::TooLong)?;
        Self::new(number).ok_or(ParseCodeError::Zero)
    }
}

impl serde::Serialize for AadstsCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<u32, ParseCodeError> {
        s.parse::<AadstsCode>().map(AadstsCode::number)
    }

    #[test]
    fn parses_prefixed_and_bare_forms() {
        assert_eq!(parse("AADSTS50076"), Ok(50076));
        assert_eq!(parse("aadsts50076"), Ok(50076));
        assert_eq!(parse("AaDsTs50076"), Ok(50076));
        assert_eq!(parse("AADSTS 50076"), Ok(50076));
        assert_eq!(parse("AADSTS-50076"), Ok(50076));
        assert_eq!(parse("  50076 "), Ok(50076));
        assert_eq!(parse("7000215"), Ok(7000215));
        assert_eq!(parse("999999999"), Ok(999_999_999));
    }

    #[test]
    fn rejects_non_codes() {
        assert_eq!(parse(""), Err(ParseCodeError::Empty));
        assert_eq!(parse("AADSTS"), Err(ParseCodeError::Empty));
        assert_eq!(parse("0"), Err(ParseCodeError::Zero));
        assert_eq!(parse("1234567890"), Err(ParseCodeError::TooLong));
        assert!(matches!(
            parse("AADSTS5007x"),
            Err(ParseCodeError::NotDigits(_))
        ));
        assert!(matches!(parse("mfa"), Err(ParseCodeError::NotDigits(_))));
        assert!(matches!(parse("-5"), Err(ParseCodeError::NotDigits(_))));
    }

    #[test]
    fn displays_with_prefix() {
        assert_eq!(AadstsCode::new(50076).unwrap().to_string(), "AADSTS50076");
    }

    #[test]
    fn counts_digits() {
        assert_eq!(AadstsCode::new(1).unwrap().digits(), 1);
        assert_eq!(AadstsCode::new(50076).unwrap().digits(), 5);
        assert_eq!(AadstsCode::new(7000215).unwrap().digits(), 7);
    }

    #[test]
    fn new_rejects_zero_and_ten_digits() {
        assert!(AadstsCode::new(0).is_none());
        assert!(AadstsCode::new(1_000_000_000).is_none());
    }
}
