//! How money is represented: integer minor units plus an ISO 4217 currency, never floats.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An ISO 4217 currency code: three ASCII uppercase letters, such as `EUR` or `BRL`.
// Serialized as its code, and read without copying it into a string first (`code_text`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Currency([u8; 3]);

/// A currency code that is not three ASCII letters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid currency code {0:?}: expected three letters such as EUR")]
pub struct InvalidCurrency(pub String);

impl Currency {
    /// Parses a code, accepting lowercase (`eur` becomes `EUR`).
    pub fn new(code: &str) -> Result<Self, InvalidCurrency> {
        let bytes = code.as_bytes();
        if bytes.len() != 3 || !bytes.iter().all(u8::is_ascii_alphabetic) {
            return Err(InvalidCurrency(code.to_owned()));
        }
        Ok(Self([
            bytes[0].to_ascii_uppercase(),
            bytes[1].to_ascii_uppercase(),
            bytes[2].to_ascii_uppercase(),
        ]))
    }

    /// Whether ISO 4217 lists this code (as a current currency, a fund or a precious metal).
    pub fn is_iso(&self) -> bool {
        ISO_4217.split(' ').any(|code| code.as_bytes() == self.0)
    }

    /// The three-letter code.
    pub fn code(&self) -> &str {
        // Constructed from ASCII letters only, so this never falls back.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

impl FromStr for Currency {
    type Err = InvalidCurrency;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl TryFrom<String> for Currency {
    type Error = InvalidCurrency;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::new(&s)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> Self {
        c.code().to_owned()
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        crate::code_text::deserialize(deserializer, "a three-letter currency code", Self::new)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The codes of ISO 4217's list one (current currencies and funds), space-separated.
const ISO_4217: &str = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND \
BOB BOV BRL BSD BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF \
DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR \
IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA \
MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR \
PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB \
TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XAG XAU \
XBA XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XTS XUA XXX YER ZAR ZMW ZWG ZWL";

/// An amount of money in minor units (cents for EUR, centavos for BRL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Money {
    /// Minor units; negative for refunds and credits.
    pub minor: i64,
    /// What the units are of.
    pub currency: Currency,
}

/// Why two amounts could not be combined.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The amounts are in different currencies; sums never mix them.
    #[error("cannot combine {left} with {right}: amounts in different currencies never mix")]
    CurrencyMismatch {
        /// The currency of the left operand.
        left: Currency,
        /// The currency of the right operand.
        right: Currency,
    },
    /// The result does not fit in 64 bits of minor units.
    #[error("amount overflow adding {minor} to a total in {currency}")]
    Overflow {
        /// The amount that overflowed the total.
        minor: i64,
        /// The currency of the total.
        currency: Currency,
    },
}

impl Money {
    /// An amount in minor units.
    pub const fn new(minor: i64, currency: Currency) -> Self {
        Self { minor, currency }
    }

    /// Zero in `currency`.
    pub const fn zero(currency: Currency) -> Self {
        Self::new(0, currency)
    }

    /// The sum, refusing to mix currencies or overflow.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch {
                left: self.currency,
                right: other.currency,
            });
        }
        let minor = self
            .minor
            .checked_add(other.minor)
            .ok_or(MoneyError::Overflow {
                minor: other.minor,
                currency: self.currency,
            })?;
        Ok(Money::new(minor, self.currency))
    }
}

impl fmt::Display for Money {
    /// Two decimal places, which is right for most currencies; exact minor units are always
    /// available in `minor` for the rest.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        write!(f, "{sign}{}.{:02} {}", abs / 100, abs % 100, self.currency)
    }
}

/// Sums of money per currency: what a column of deals or a report adds up to. Amounts in
/// different currencies are kept apart, never converted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Totals(BTreeMap<Currency, i64>);

impl Totals {
    /// No money.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `amount` to its currency's sum. Saturates rather than wraps: a projection must
    /// not fail, and no real total comes near 2⁶³ minor units.
    pub fn add(&mut self, amount: Money) {
        let sum = self.0.entry(amount.currency).or_insert(0);
        *sum = sum.saturating_add(amount.minor);
    }

    /// The sum in `currency` (zero if none).
    pub fn get(&self, currency: Currency) -> Money {
        Money::new(self.0.get(&currency).copied().unwrap_or(0), currency)
    }

    /// Each currency's sum, in currency order.
    pub fn iter(&self) -> impl Iterator<Item = Money> + '_ {
        self.0.iter().map(|(c, minor)| Money::new(*minor, *c))
    }

    /// Whether nothing was added.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Totals {
    /// `1200.00 EUR + 50.00 USD`, or `0` when empty.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("0");
        }
        for (i, amount) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(" + ")?;
            }
            write!(f, "{amount}")?;
        }
        Ok(())
    }
}

/// `amount` weighted by a probability in percent, rounded to the nearest minor unit (halves
/// away from zero): the expected value of a deal.
pub fn weighted(amount: Money, percent: u8) -> Money {
    let product = i128::from(amount.minor) * i128::from(percent);
    let rounded = (product + 50 * product.signum()) / 100;
    // |amount × percent / 100| ≤ |amount| for percent ≤ 100; saturate above that.
    Money::new(
        i64::try_from(rounded).unwrap_or(if rounded < 0 { i64::MIN } else { i64::MAX }),
        amount.currency,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur() -> Currency {
        Currency::new("eur").unwrap()
    }

    #[test]
    fn currency_codes_are_normalized_and_validated() {
        assert_eq!(eur().code(), "EUR");
        assert!(Currency::new("EURO").is_err());
        assert!(Currency::new("E1R").is_err());
        assert!(serde_json::from_str::<Currency>("\"xx\"").is_err());
    }

    #[test]
    fn sums_never_mix_currencies() {
        let brl = Currency::new("BRL").unwrap();
        let err = Money::new(1, eur()).checked_add(Money::new(1, brl));
        assert!(matches!(err, Err(MoneyError::CurrencyMismatch { .. })));
        assert_eq!(
            Money::new(150, eur()).checked_add(Money::new(-50, eur())),
            Ok(Money::new(100, eur()))
        );
    }

    #[test]
    fn a_currency_is_its_code_in_json_and_in_binary_and_a_bad_one_is_named() {
        let money = Money::new(6513, Currency::new("brl").unwrap());
        let text = serde_json::to_string(&money).unwrap();
        assert_eq!(text, r#"{"minor":6513,"currency":"BRL"}"#);
        assert_eq!(serde_json::from_str::<Money>(&text).unwrap(), money);
        let binary = rmp_serde::to_vec_named(&money).unwrap();
        assert_eq!(rmp_serde::from_slice::<Money>(&binary).unwrap(), money);
        // Escaped text reaches the visitor as a transient string, not a borrowed one.
        assert_eq!(
            serde_json::from_str::<Currency>(r#""\u0045UR""#).unwrap(),
            eur()
        );
        let bad = serde_json::from_str::<Money>(r#"{"minor":1,"currency":"EURO"}"#);
        let message = bad.unwrap_err().to_string();
        assert!(
            message.starts_with(r#"invalid currency code "EURO": expected three letters"#),
            "{message}"
        );
        assert!(serde_json::from_str::<Currency>("7").is_err());
    }

    #[test]
    fn overflow_is_an_error_not_a_wrap() {
        let err = Money::new(i64::MAX, eur()).checked_add(Money::new(1, eur()));
        assert!(matches!(err, Err(MoneyError::Overflow { .. })));
    }

    #[test]
    fn display_shows_major_units() {
        assert_eq!(Money::new(-1999, eur()).to_string(), "-19.99 EUR");
        assert_eq!(Money::new(5, eur()).to_string(), "0.05 EUR");
    }

    #[test]
    fn totals_keep_currencies_apart() {
        let usd = Currency::new("USD").unwrap();
        let mut t = Totals::new();
        assert_eq!(t.to_string(), "0");
        t.add(Money::new(1050, eur()));
        t.add(Money::new(5, usd));
        t.add(Money::new(-50, eur()));
        assert_eq!(t.get(eur()), Money::new(1000, eur()));
        assert_eq!(t.to_string(), "10.00 EUR + 0.05 USD");
    }

    #[test]
    fn weighting_rounds_halves_away_from_zero() {
        assert_eq!(weighted(Money::new(1001, eur()), 50).minor, 501);
        assert_eq!(weighted(Money::new(-1001, eur()), 50).minor, -501);
        assert_eq!(weighted(Money::new(999, eur()), 10).minor, 100);
        assert_eq!(weighted(Money::new(i64::MAX, eur()), 100).minor, i64::MAX);
    }
}
