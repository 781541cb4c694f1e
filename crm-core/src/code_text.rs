//! Reading a short code (a currency, a country) from its text without first copying the text
//! into a `String` of its own, as `#[serde(try_from = "String")]` does: codes sit in most
//! events and view records, and that allocation was a noticeable part of reading them.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, Visitor};

struct Code<T, E> {
    expecting: &'static str,
    parse: fn(&str) -> Result<T, E>,
    made: PhantomData<fn() -> T>,
}

impl<T, E: fmt::Display> Visitor<'_> for Code<T, E> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<Er: de::Error>(self, text: &str) -> Result<T, Er> {
        (self.parse)(text).map_err(Er::custom)
    }
}

/// Reads text and parses it with `parse`, whose error is reported as the decoder's.
pub(crate) fn deserialize<'de, D, T, E>(
    deserializer: D,
    expecting: &'static str,
    parse: fn(&str) -> Result<T, E>,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    E: fmt::Display,
{
    deserializer.deserialize_str(Code {
        expecting,
        parse,
        made: PhantomData,
    })
}
