//! How names, emails, phones and tax ids are reduced to search keys.
//!
//! The same functions serve validation (a phone that normalizes to nothing is rejected) and
//! the search index (so what was accepted is always findable).

use unicode_normalization::char::{decompose_canonical, is_combining_mark};

/// An ISO 3166-1 alpha-2 country code, uppercase ("ES", "BR").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Country([u8; 2]);

impl serde::Serialize for Country {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> serde::Deserialize<'de> for Country {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        crate::code_text::deserialize(deserializer, "a two-letter country code", Self::new)
    }
}

/// A country code that is not two ASCII letters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid country code {0:?}: expected two letters such as ES")]
pub struct InvalidCountry(pub String);

impl Country {
    /// Parses a two-letter code, accepting lowercase.
    pub fn new(code: &str) -> Result<Self, InvalidCountry> {
        match code.as_bytes() {
            [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
                Ok(Self([a.to_ascii_uppercase(), b.to_ascii_uppercase()]))
            }
            _ => Err(InvalidCountry(code.to_owned())),
        }
    }

    /// The two-letter code.
    pub fn code(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("??")
    }

    /// The international calling code and national trunk prefix, for the countries we know.
    fn dialing(&self) -> Option<(&'static str, &'static str)> {
        DIALING
            .iter()
            .find(|(c, _, _)| c.as_bytes() == self.0)
            .map(|(_, cc, trunk)| (*cc, *trunk))
    }
}

impl TryFrom<String> for Country {
    type Error = InvalidCountry;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::new(&s)
    }
}

impl From<Country> for String {
    fn from(c: Country) -> Self {
        c.code().to_owned()
    }
}

impl std::fmt::Display for Country {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// Country, calling code, trunk prefix dropped from national numbers ("" if none).
///
/// Deliberately short: the countries our users sell in. A number from elsewhere written with
/// `+` is still indexed by its full digits; only national-format numbers need this table.
const DIALING: &[(&str, &str, &str)] = &[
    ("AR", "54", "0"),
    ("AT", "43", "0"),
    ("AU", "61", "0"),
    ("BE", "32", "0"),
    ("BR", "55", "0"),
    ("CA", "1", "1"),
    ("CH", "41", "0"),
    ("CL", "56", ""),
    ("CN", "86", "0"),
    ("CO", "57", ""),
    ("CZ", "420", ""),
    ("DE", "49", "0"),
    ("DK", "45", ""),
    ("ES", "34", ""),
    ("FI", "358", "0"),
    ("FR", "33", "0"),
    ("GB", "44", "0"),
    ("GR", "30", ""),
    ("IE", "353", "0"),
    ("IN", "91", "0"),
    ("IT", "39", ""),
    ("JP", "81", "0"),
    ("MX", "52", ""),
    ("NL", "31", "0"),
    ("NO", "47", ""),
    ("PL", "48", ""),
    ("PT", "351", ""),
    ("RU", "7", "8"),
    ("SE", "46", "0"),
    ("TR", "90", "0"),
    ("UA", "380", "0"),
    ("US", "1", "1"),
];

/// A phone number reduced to digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneKeys {
    /// Country code and national number ("34600123456"), when the country is known.
    pub international: Option<String>,
    /// The national significant number ("600123456"), when it can be told apart.
    pub national: Option<String>,
}

impl PhoneKeys {
    /// Every key to index or look up, most specific first.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.international
            .iter()
            .chain(self.national.iter())
            .map(String::as_str)
    }
}

/// The most digits an E.164 number may have.
const MAX_PHONE_DIGITS: usize = 15;

/// Reduces a phone as typed to its digit keys. `None` when nothing usable is left: no digits,
/// or more than an international number can hold.
///
/// `+34 600-12-34-56` and `0034 600123456` give international `34600123456`; `600123456`
/// with country ES gives the same, and without a country the national `600123456`, which
/// still matches the first two through their national key.
pub fn phone(raw: &str, country: Option<Country>) -> Option<PhoneKeys> {
    let mut digits = PhoneDigits::default();
    let parts = phone_parts(raw, country, &mut digits)?;
    Some(PhoneKeys {
        international: parts.international.map(|pieces| pieces.concat()),
        national: parts.national.map(str::to_owned),
    })
}

/// Room for a phone's digits, so that reading its keys allocates nothing.
#[derive(Default)]
pub(crate) struct PhoneDigits([u8; MAX_PHONE_DIGITS]);

/// [`phone`]'s keys as borrowed pieces: the international key as a calling code (or `""`)
/// and the digits that follow it, the national key as it is.
pub(crate) struct PhoneParts<'a> {
    international: Option<[&'a str; 2]>,
    national: Option<&'a str>,
}

impl<'a> PhoneParts<'a> {
    /// Each key as the pieces to write one after the other, most specific first.
    pub(crate) fn keys(&self) -> impl Iterator<Item = [&'a str; 2]> + '_ {
        self.international
            .into_iter()
            .chain(self.national.map(|n| ["", n]))
    }
}

/// What [`phone`] computes, without allocating: the digits go to `room`.
pub(crate) fn phone_parts<'a>(
    raw: &str,
    country: Option<Country>,
    room: &'a mut PhoneDigits,
) -> Option<PhoneParts<'a>> {
    let mut len = 0;
    // An ASCII digit is one byte, and no byte of a wider character is one.
    for digit in raw.bytes().filter(u8::is_ascii_digit) {
        *room.0.get_mut(len)? = digit;
        len += 1;
    }
    let digits = std::str::from_utf8(&room.0[..len]).ok()?;
    if digits.is_empty() {
        return None;
    }
    let trimmed = raw.trim_start();
    let international = if trimmed.starts_with('+') {
        Some(digits)
    } else {
        digits
            .strip_prefix("00")
            .filter(|_| trimmed.starts_with("00"))
    };
    if let Some(international) = international {
        if international.is_empty() {
            return None;
        }
        let national = DIALING
            .iter()
            .filter_map(|(_, cc, _)| international.strip_prefix(cc))
            .find(|rest| !rest.is_empty());
        return Some(PhoneParts {
            international: Some(["", international]),
            national,
        });
    }
    let dialing = country.and_then(|c| c.dialing());
    let national = match dialing {
        Some((_, trunk)) if !trunk.is_empty() => digits.strip_prefix(trunk).unwrap_or(digits),
        _ => digits,
    };
    if national.is_empty() {
        return None;
    }
    Some(PhoneParts {
        international: dialing.map(|(cc, _)| [cc, national]),
        national: Some(national),
    })
}

/// Lowercases an email address for matching. Validation lives in [`email_problem`].
pub fn email(raw: &str) -> String {
    raw.trim().to_lowercase()
}

/// [`email`], written to the end of `out`.
pub(crate) fn email_into(raw: &str, out: &mut String) {
    let trimmed = raw.trim();
    if trimmed.is_ascii() {
        let start = out.len();
        out.push_str(trimmed);
        out[start..].make_ascii_lowercase();
    } else {
        out.push_str(&trimmed.to_lowercase());
    }
}

/// Why `raw` is not a plausible email address, or `None` if it is.
///
/// Deliberately structural (one `@`, a local part, a dotted domain of letters, digits and
/// hyphens, no spaces): the only proof an address works is a delivered message.
pub fn email_problem(raw: &str) -> Option<&'static str> {
    let s = raw.trim();
    if s.is_empty() {
        return Some("it is empty");
    }
    if s.chars().any(char::is_whitespace) {
        return Some("it contains spaces");
    }
    let Some((local, domain)) = s.split_once('@') else {
        return Some("it has no @");
    };
    if domain.contains('@') {
        return Some("it has more than one @");
    }
    if local.is_empty() || local.len() > 64 {
        return Some("the part before @ must have 1 to 64 characters");
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return Some("the domain has no dot");
    }
    let label_ok = |l: &&str| {
        !l.is_empty()
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    if !labels.iter().all(label_ok) {
        return Some("the domain is malformed");
    }
    None
}

/// A tax id reduced to uppercase letters and digits ("b-1234 5678" -> "B12345678").
pub fn tax_id(raw: &str) -> String {
    raw.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect()
}

/// Folds text for name matching: lowercase, accents removed ("José" -> "jose").
pub fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    fold_into(text, &mut folded);
    folded
}

/// [`fold`], written to the end of `out`.
pub(crate) fn fold_into(text: &str, out: &mut String) {
    if text.is_ascii() {
        let start = out.len();
        out.push_str(text);
        out[start..].make_ascii_lowercase();
        return;
    }
    // Each character decomposed on its own: NFD's only other step, reordering combining
    // marks, cannot change a result that drops them; and the ASCII letters of "María García"
    // skip the decomposition tables.
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            decompose_canonical(c, |d| {
                if !is_combining_mark(d) {
                    out.extend(d.to_lowercase());
                }
            });
        }
    }
}

/// The folded words of a name, split on anything that is not a letter or digit.
pub fn words(text: &str) -> Vec<String> {
    fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_country_reads_as_its_code_and_a_bad_one_is_named() {
        let es: Country = serde_json::from_str(r#""es""#).unwrap();
        assert_eq!(serde_json::to_string(&es).unwrap(), r#""ES""#);
        let binary = rmp_serde::to_vec(&es).unwrap();
        assert_eq!(rmp_serde::from_slice::<Country>(&binary).unwrap(), es);
        let bad = serde_json::from_str::<Country>(r#""ESP""#).unwrap_err();
        assert!(
            bad.to_string()
                .starts_with(r#"invalid country code "ESP": expected two letters"#),
            "{bad}"
        );
        assert!(serde_json::from_str::<Country>("34").is_err());
    }

    proptest! {
        /// Folding a character at a time is the whole-string NFD it replaced, marks dropped.
        #[test]
        fn folding_char_by_char_is_nfd_without_marks(text in "\\PC{0,24}") {
            use unicode_normalization::UnicodeNormalization;
            let reference: String = text
                .nfd()
                .filter(|c| !is_combining_mark(*c))
                .flat_map(char::to_lowercase)
                .collect();
            prop_assert_eq!(fold(&text), reference);
        }
    }

    fn es() -> Option<Country> {
        Country::new("es").ok()
    }

    #[test]
    fn one_spanish_mobile_written_three_ways_shares_a_key() {
        let a = phone("+34 600-12-34-56", None).unwrap();
        let b = phone("600123456", es()).unwrap();
        let c = phone("0034 600 123 456", None).unwrap();
        assert_eq!(a.international.as_deref(), Some("34600123456"));
        assert_eq!(a, b);
        assert_eq!(a, c);
        let bare = phone("600 12 34 56", None).unwrap();
        assert_eq!(bare.national.as_deref(), Some("600123456"));
        assert_eq!(bare.international, None);
    }

    #[test]
    fn trunk_prefixes_are_dropped_in_national_form() {
        let uk = phone("07700 900123", Country::new("GB").ok()).unwrap();
        assert_eq!(uk.international.as_deref(), Some("447700900123"));
        assert_eq!(phone("+44 7700 900123", None).unwrap(), uk);
    }

    #[test]
    fn phones_without_digits_normalize_to_nothing() {
        assert_eq!(phone("call me", None), None);
        assert_eq!(phone("+", None), None);
        assert_eq!(phone("1234567890123456", None), None);
    }

    #[test]
    fn emails_are_checked_for_shape() {
        assert_eq!(email_problem("ana@example.com"), None);
        assert_eq!(email_problem("ana.example.com"), Some("it has no @"));
        assert_eq!(
            email_problem("ana@localhost"),
            Some("the domain has no dot")
        );
        assert_eq!(email_problem("a b@x.com"), Some("it contains spaces"));
        assert_eq!(email_problem("a@@x.com"), Some("it has more than one @"));
        assert_eq!(
            email_problem("@x.com"),
            Some("the part before @ must have 1 to 64 characters")
        );
        assert_eq!(email_problem("a@x..com"), Some("the domain is malformed"));
        assert_eq!(email(" Ana@Example.COM "), "ana@example.com");
    }

    #[test]
    fn names_fold_case_and_accents() {
        assert_eq!(words("José  Müller-Ñúñez"), ["jose", "muller", "nunez"]);
        assert_eq!(tax_id("b-1234 5678"), "B12345678");
    }
}
