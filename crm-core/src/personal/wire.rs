//! Reading a [`Personal`] value: either `{"sealed": {…}}` or the clear value itself.
//!
//! An untagged enum would do it in two lines, but serde buffers an untagged value whole (into
//! its private `Content` tree) before trying each variant, and a person's data is most of a
//! `ContactCreated`: that buffering was half of decoding one. Here the value is read once. A
//! map is told apart by its first key — `sealed` is the envelope, anything else begins the
//! clear value, which is then read from the rest of the same map with that key put back in
//! front. Other values (strings, lists, …) are the clear value as they are. One difference
//! from the enum, on purpose: a map that starts with `sealed` but is no envelope is an error,
//! where the enum fell back to reading it as a clear value that ignores unknown keys.
//!
//! This needs a self-describing format (JSON, MessagePack), as the untagged enum did.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{
    BoolDeserializer, BorrowedStrDeserializer, F64Deserializer, I64Deserializer,
    MapAccessDeserializer, SeqAccessDeserializer, StrDeserializer, StringDeserializer,
    U64Deserializer, UnitDeserializer,
};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::{Personal, Sealed};

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Personal<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(PersonalVisitor(PhantomData))
    }
}

struct PersonalVisitor<T>(PhantomData<T>);

/// The clear value, read from a value the visitor was given whole.
fn clear<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    value: D,
) -> Result<Personal<T>, D::Error> {
    T::deserialize(Plain(value)).map(Personal::new)
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for PersonalVisitor<T> {
    type Value = Personal<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a personal value, in clear or as {\"sealed\": …}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let first: Option<Key<'de>> = map.next_key()?;
        if first.as_ref().is_some_and(|key| key.as_str() == "sealed") {
            let sealed: Box<Sealed> = map.next_value()?;
            if let Some(extra) = map.next_key::<Key<'de>>()? {
                return Err(de::Error::unknown_field(extra.as_str(), &["sealed"]));
            }
            return Ok(Personal {
                clear: None,
                sealed: Some(sealed),
            });
        }
        let rest = Replay { first, map };
        clear(MapAccessDeserializer::new(rest))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        clear(SeqAccessDeserializer::new(seq))
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        clear(BorrowedStrDeserializer::new(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        clear(StrDeserializer::new(v))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        clear(StringDeserializer::new(v))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        clear(BoolDeserializer::new(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        clear(I64Deserializer::new(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        clear(U64Deserializer::new(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        clear(F64Deserializer::new(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        T::deserialize(UnitDeserializer::new()).map(Personal::new)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        T::deserialize(deserializer).map(Personal::new)
    }
}

/// A value that is present: what serde's buffered form tells an `Option` and the value
/// deserializers alone do not (they would read `"Ana"` as no option at all). Everything
/// else goes to the value's own deserializer.
struct Plain<D>(D);

macro_rules! forward {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {$(
        fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
            self.0.$method($($arg,)* visitor)
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Plain<D> {
    type Error = D::Error;

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        visitor.visit_some(self.0)
    }

    forward! {
        deserialize_any();
        deserialize_bool();
        deserialize_i8();
        deserialize_i16();
        deserialize_i32();
        deserialize_i64();
        deserialize_u8();
        deserialize_u16();
        deserialize_u32();
        deserialize_u64();
        deserialize_f32();
        deserialize_f64();
        deserialize_char();
        deserialize_str();
        deserialize_string();
        deserialize_bytes();
        deserialize_byte_buf();
        deserialize_unit();
        deserialize_unit_struct(name: &'static str);
        deserialize_newtype_struct(name: &'static str);
        deserialize_seq();
        deserialize_tuple(len: usize);
        deserialize_tuple_struct(name: &'static str, len: usize);
        deserialize_map();
        deserialize_struct(name: &'static str, fields: &'static [&'static str]);
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
        deserialize_identifier();
        deserialize_ignored_any();
    }
}

/// A map key, borrowed from the input where the format allows.
enum Key<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl Key<'_> {
    fn as_str(&self) -> &str {
        match self {
            Self::Borrowed(s) => s,
            Self::Owned(s) => s,
        }
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key::Borrowed(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key::Owned(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key::Owned(v))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// The rest of a map, with the key already read put back in front.
struct Replay<'de, A> {
    first: Option<Key<'de>>,
    map: A,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Replay<'de, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        match self.first.take() {
            Some(Key::Borrowed(key)) => seed
                .deserialize(BorrowedStrDeserializer::new(key))
                .map(Some),
            Some(Key::Owned(key)) => seed.deserialize(StringDeserializer::new(key)).map(Some),
            None => self.map.next_key_seed(seed),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.map.next_value_seed(seed)
    }

    fn size_hint(&self) -> Option<usize> {
        self.map
            .size_hint()
            .map(|rest| rest + usize::from(self.first.is_some()))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::de::DeserializeOwned;
    use serde::Deserialize;

    use super::*;

    /// What this reader replaced: serde's untagged enum, which buffers the value first.
    fn reference<T: DeserializeOwned>(json: &str) -> Result<Personal<T>, serde_json::Error> {
        #[derive(Deserialize)]
        #[serde(untagged, deny_unknown_fields)]
        enum Wire<T> {
            Sealed { sealed: Box<Sealed> },
            Clear(T),
        }
        Ok(match serde_json::from_str::<Wire<T>>(json)? {
            Wire::Sealed { sealed } => Personal {
                clear: None,
                sealed: Some(sealed),
            },
            Wire::Clear(value) => Personal::new(value),
        })
    }

    fn agree<T: DeserializeOwned + PartialEq + fmt::Debug>(json: &str) {
        let new = serde_json::from_str::<Personal<T>>(json);
        let old = reference::<T>(json);
        match (&new, &old) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{json}"),
            (Err(_), Err(_)) => {}
            _ => panic!("{json}: new {new:?}, reference {old:?}"),
        }
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Strict {
        name: String,
        #[serde(default)]
        emails: Vec<String>,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Lenient {
        #[serde(default)]
        name: String,
        #[serde(default)]
        age: Option<u32>,
    }

    const SEALED: &str = r#"{"subject":{"contact":"00000000-0000-0000-0000-000000000007"},"key":"00000000-0000-0000-0000-000000000009","nonce":"AAE=","ciphertext":""}"#;

    #[test]
    fn reads_what_the_untagged_enum_read_and_refuses_what_it_refused() {
        let sealed = format!(r#"{{"sealed":{SEALED}}}"#);
        let sealed_later = format!(r#"{{"name":"Ana","sealed":{SEALED}}}"#);
        for json in [
            r#""Ana""#,
            r#""A\"na \u00e9""#,
            "17",
            "null",
            "[]",
            r#"["a","b"]"#,
            "{}",
            r#"{"name":"Ana"}"#,
            r#"{"emails":["a@b.c"],"name":"Ana"}"#,
            r#"{"name":"Ana","other":1}"#,
            r#"{"na\u006de":"Ana"}"#,
            r#"{"age":3,"name":"Ana","x":[1,{"y":2}]}"#,
            &sealed,
            &sealed_later,
            "true",
            "1.5",
        ] {
            agree::<String>(json);
            agree::<Option<String>>(json);
            agree::<Vec<String>>(json);
            agree::<BTreeMap<String, String>>(json);
            agree::<Strict>(json);
            agree::<Lenient>(json);
            agree::<u32>(json);
        }
    }

    /// Where this reader is stricter than the enum was: a map that starts with `sealed` is an
    /// envelope or an error, never a clear value that happens to ignore the key.
    #[test]
    fn a_damaged_envelope_is_an_error_even_for_a_lenient_value() {
        let error = serde_json::from_str::<Personal<Lenient>>(r#"{"sealed":1}"#)
            .unwrap_err()
            .to_string();
        assert!(error.contains("expected struct Sealed"), "{error}");
        assert!(reference::<Lenient>(r#"{"sealed":1}"#).is_ok());
    }

    #[test]
    fn an_envelope_with_anything_beside_it_is_refused() {
        let padded = format!(r#"{{"sealed":{SEALED},"name":"Ana"}}"#);
        let error = serde_json::from_str::<Personal<Lenient>>(&padded)
            .unwrap_err()
            .to_string();
        assert!(error.contains("unknown field `name`"), "{error}");
    }
}
