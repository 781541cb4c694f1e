//! Personal data, declared: the fields that identify a person — names, emails, phones,
//! addresses, birthday, a person's tax id, and what a person wrote (conversation subjects and
//! summaries, review comments) — are [`Personal`] values in the events that carry them, and
//! each such event names its data subject ([`Event::data_subject`](crate::event::Event)).
//!
//! In memory a `Personal` value is in clear. A store wrapped in
//! [`crypto::Encrypted`](crate::crypto::Encrypted) seals it before it is written: the value is
//! encrypted with the subject's own data key and only the [`Sealed`] form reaches the store. It
//! is opened again on read while the key exists; once the person is erased and the key
//! destroyed it stays sealed for ever, and [`Personal::get`] answers `None`.
//!
//! On the wire (the JSONL log, a store's payload) a sealed value is
//! `{"sealed": {"subject": …, "key": …, "nonce": …, "ciphertext": …}}` and a clear one is the
//! value itself, as logs written before encryption hold it.

use std::fmt;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize, Serializer};

mod declared;
mod wire;

use crate::ids::CustomerId;

/// A value that identifies a person: in clear, sealed, or both (sealed in the store and
/// opened with the subject's key).
///
/// The clear value is shared, not owned: a view that keeps a person's data (the customer
/// card) holds the event's own copy ([`Personal::shared`]) instead of cloning a name, emails,
/// phones and addresses on every event it folds, and a store that hands out copies of its
/// events copies a pointer.
#[derive(Clone)]
pub struct Personal<T> {
    clear: Option<Arc<T>>,
    sealed: Option<Box<Sealed>>,
}

/// A personal value as the store keeps it: encrypted with the subject's data key
/// (XChaCha20-Poly1305), bound to the subject, the event and the field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sealed {
    /// Whose data it is.
    pub subject: CustomerId,
    /// Which of the subject's keys sealed it.
    pub key: uuid::Uuid,
    /// The random 24-byte nonce.
    #[serde(with = "base64_bytes")]
    pub nonce: Vec<u8>,
    /// The encrypted JSON of the value, with its 16-byte tag.
    #[serde(with = "base64_bytes")]
    pub ciphertext: Vec<u8>,
}

impl<T> Personal<T> {
    /// A value in clear, as a command brings it.
    pub fn new(value: T) -> Self {
        Self {
            clear: Some(Arc::new(value)),
            sealed: None,
        }
    }

    /// The value, if it can be read: `None` once its subject is erased (or while the store
    /// that sealed it does not hold the subject's key).
    pub fn get(&self) -> Option<&T> {
        self.clear.as_deref()
    }

    /// The value, if it can be read, as the handle this event holds: a clone of it shares
    /// the value.
    pub fn shared(&self) -> Option<&Arc<T>> {
        self.clear.as_ref()
    }

    /// The value, if it can be read; cloned only where another holder shares it.
    pub fn into_clear(self) -> Option<T>
    where
        T: Clone,
    {
        self.clear.map(Arc::unwrap_or_clone)
    }

    /// The sealed form, if it has been through a sealing store.
    pub fn sealed(&self) -> Option<&Sealed> {
        self.sealed.as_deref()
    }

    /// Only the sealed form, without the clear value: what a store may keep. `None` for a value
    /// never sealed.
    pub fn sealed_only(&self) -> Option<Self> {
        Some(Self {
            clear: None,
            sealed: Some(self.sealed.clone()?),
        })
    }
}

impl<T> From<T> for Personal<T> {
    fn from(value: T) -> Self {
        Self::new(value)
    }
}

impl From<&str> for Personal<String> {
    fn from(value: &str) -> Self {
        Self::new(value.to_owned())
    }
}

impl<T: Default> Default for Personal<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

/// Equal when both are readable and their values are equal, or when neither is and their
/// sealed forms are: a value read back from a sealing store equals the one written.
impl<T: PartialEq> PartialEq for Personal<T> {
    fn eq(&self, other: &Self) -> bool {
        match (&self.clear, &other.clear) {
            (Some(a), Some(b)) => a == b,
            (None, None) => self.sealed == other.sealed,
            _ => false,
        }
    }
}

impl<T: Eq> Eq for Personal<T> {}

impl<T: fmt::Debug> fmt::Debug for Personal<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.clear, &self.sealed) {
            (Some(value), _) => write!(f, "Personal({value:?})"),
            (None, Some(sealed)) => write!(f, "Personal(sealed for {})", sealed.subject),
            (None, None) => f.write_str("Personal(empty)"),
        }
    }
}

impl<T: Serialize> Serialize for Personal<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Wire<'a> {
            sealed: &'a Sealed,
        }
        match (&self.sealed, &self.clear) {
            (Some(sealed), _) => Wire { sealed }.serialize(serializer),
            (None, Some(value)) => value.serialize(serializer),
            (None, None) => Err(serde::ser::Error::custom(
                "a personal value with neither a clear nor a sealed form",
            )),
        }
    }
}

/// A personal field as a sealing store sees it, whatever its type.
pub trait PersonalField: Send {
    /// The clear value as JSON, if it is in clear and not sealed yet.
    fn clear_json(&self) -> Option<Result<Vec<u8>, serde_json::Error>>;
    /// The sealed form, if any.
    fn sealed_form(&self) -> Option<&Sealed>;
    /// Keeps only `sealed`, dropping the clear value.
    fn set_sealed(&mut self, sealed: Sealed);
    /// Puts back the clear value from its decrypted JSON, keeping the sealed form.
    fn open(&mut self, json: &[u8]) -> Result<(), serde_json::Error>;
    /// Drops the clear value (the subject is erased), keeping the sealed form.
    fn forget(&mut self);
}

impl<T: Serialize + DeserializeOwned + Send + Sync> PersonalField for Personal<T> {
    fn clear_json(&self) -> Option<Result<Vec<u8>, serde_json::Error>> {
        if self.sealed.is_some() {
            return None;
        }
        self.clear.as_deref().map(serde_json::to_vec)
    }

    fn sealed_form(&self) -> Option<&Sealed> {
        self.sealed.as_deref()
    }

    fn set_sealed(&mut self, sealed: Sealed) {
        self.clear = None;
        self.sealed = Some(Box::new(sealed));
    }

    fn open(&mut self, json: &[u8]) -> Result<(), serde_json::Error> {
        self.clear = Some(Arc::new(serde_json::from_slice(json)?));
        Ok(())
    }

    fn forget(&mut self) {
        if self.sealed.is_some() {
            self.clear = None;
        }
    }
}

mod base64_bytes {
    use base64::engine::general_purpose::STANDARD as BASE64;
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&BASE64.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        BASE64
            .decode(text.as_bytes())
            .map_err(|e| serde::de::Error::custom(format!("not base64: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ContactId;

    fn sealed() -> Sealed {
        Sealed {
            subject: CustomerId::Contact(ContactId::from_uuid(uuid::Uuid::from_u128(7))),
            key: uuid::Uuid::from_u128(9),
            nonce: vec![1; 24],
            ciphertext: vec![2; 20],
        }
    }

    #[test]
    fn a_clear_value_is_written_as_itself_and_a_sealed_one_as_its_envelope() {
        let clear: Personal<String> = "Ana".into();
        assert_eq!(serde_json::to_string(&clear).unwrap(), r#""Ana""#);
        let mut sealed = clear.clone();
        sealed.set_sealed(self::sealed());
        let json = serde_json::to_string(&sealed).unwrap();
        assert!(
            json.starts_with(r#"{"sealed":{"subject":{"contact":"#),
            "{json}"
        );
        let back: Personal<String> = serde_json::from_str(&json).unwrap();
        assert_eq!(back.get(), None);
        assert_eq!(back.sealed(), Some(&self::sealed()));
        let old: Personal<String> = serde_json::from_str(r#""Ana""#).unwrap();
        assert_eq!(old.get().map(String::as_str), Some("Ana"));
    }

    #[test]
    fn an_opened_value_equals_the_one_written_and_forgetting_keeps_the_envelope() {
        let written: Personal<String> = "Ana".into();
        let mut read = written.clone();
        read.set_sealed(sealed());
        read.open(br#""Ana""#).unwrap();
        assert_eq!(read, written);
        assert!(read.clear_json().is_none(), "already sealed");
        read.forget();
        assert_eq!(read.get(), None);
        assert!(read.sealed().is_some());
        assert!(written.sealed_only().is_none());
    }

    #[test]
    fn a_damaged_or_padded_envelope_is_refused() {
        let subject = r#""subject":{"contact":"00000000-0000-0000-0000-000000000007"},"key":"00000000-0000-0000-0000-000000000009""#;
        let bad = format!(r#"{{"sealed":{{{subject},"nonce":"%%%","ciphertext":""}}}}"#);
        assert!(serde_json::from_str::<Personal<String>>(&bad).is_err());
        let padded = format!(r#"{{"sealed":{{{subject},"nonce":"","ciphertext":""}},"more":1}}"#);
        assert!(serde_json::from_str::<Personal<String>>(&padded).is_err());
        let good = format!(r#"{{"sealed":{{{subject},"nonce":"","ciphertext":""}}}}"#);
        assert!(serde_json::from_str::<Personal<String>>(&good).is_ok());
    }
}
