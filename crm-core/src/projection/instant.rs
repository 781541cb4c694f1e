//! How the views' instants encode: as RFC 3339 text where the format is read by people (JSON,
//! which is also how cards and reports are printed), and as whole seconds and nanoseconds in a
//! binary format (a snapshot of the views). Parsing text was a fifth of decoding the Olist
//! views' snapshot; two integers decode in a few instructions and hold every instant
//! `chrono` does, to the nanosecond.
//!
//! Used as `#[serde(with = "instant")]` on a `DateTime<Utc>` and `#[serde(with =
//! "instant::optional")]` on an `Option<DateTime<Utc>>`.

use chrono::{DateTime, Utc};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub(crate) fn serialize<S: Serializer>(
    at: &DateTime<Utc>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    if serializer.is_human_readable() {
        at.serialize(serializer)
    } else {
        (at.timestamp(), at.timestamp_subsec_nanos()).serialize(serializer)
    }
}

pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<DateTime<Utc>, D::Error> {
    if deserializer.is_human_readable() {
        DateTime::deserialize(deserializer)
    } else {
        let (seconds, nanos) = <(i64, u32)>::deserialize(deserializer)?;
        DateTime::from_timestamp(seconds, nanos).ok_or_else(|| {
            D::Error::custom(format!(
                "{seconds} s and {nanos} ns from 1970 is not an instant"
            ))
        })
    }
}

/// The same for an instant that may be absent.
pub(crate) mod optional {
    use super::*;

    #[derive(Serialize, Deserialize)]
    #[serde(transparent)]
    struct Instant(#[serde(with = "super")] DateTime<Utc>);

    pub(crate) fn serialize<S: Serializer>(
        at: &Option<DateTime<Utc>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        at.map(Instant).serialize(serializer)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        Ok(Option::<Instant>::deserialize(deserializer)?.map(|i| i.0))
    }
}

/// The same for a list of things that happened at an instant each (payments, refunds).
pub(crate) mod timed {
    use super::*;

    #[derive(Serialize)]
    struct Timed<'a, T>(#[serde(with = "super")] &'a DateTime<Utc>, &'a T);

    #[derive(Deserialize)]
    struct Owned<T>(#[serde(with = "super")] DateTime<Utc>, T);

    pub(crate) fn serialize<S: Serializer, T: Serialize>(
        items: &[(DateTime<Utc>, T)],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(items.iter().map(|(at, item)| Timed(at, item)))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        deserializer: D,
    ) -> Result<Vec<(DateTime<Utc>, T)>, D::Error> {
        let items = Vec::<Owned<T>>::deserialize(deserializer)?;
        Ok(items
            .into_iter()
            .map(|Owned(at, item)| (at, item))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Held {
        #[serde(with = "super")]
        at: DateTime<Utc>,
        #[serde(with = "optional", default)]
        until: Option<DateTime<Utc>>,
    }

    fn held() -> Held {
        Held {
            at: DateTime::from_timestamp(-1_234_567_890, 123_456_789).unwrap_or_default(),
            until: Some(DateTime::from_timestamp(1_700_000_000, 1).unwrap_or_default()),
        }
    }

    #[test]
    fn text_for_people_and_integers_for_snapshots_both_round_trip() {
        let json = serde_json::to_string(&held()).unwrap_or_default();
        assert_eq!(
            json,
            r#"{"at":"1930-11-18T00:28:30.123456789Z","until":"2023-11-14T22:13:20.000000001Z"}"#
        );
        assert_eq!(serde_json::from_str::<Held>(&json).ok(), Some(held()));
        let binary = rmp_serde::to_vec_named(&held()).unwrap_or_default();
        assert_eq!(rmp_serde::from_slice::<Held>(&binary).ok(), Some(held()));
        let none = Held {
            until: None,
            ..held()
        };
        let binary = rmp_serde::to_vec_named(&none).unwrap_or_default();
        assert_eq!(rmp_serde::from_slice::<Held>(&binary).ok(), Some(none));
    }

    #[test]
    fn an_instant_out_of_range_is_an_error_not_a_panic() {
        let binary = rmp_serde::to_vec(&(i64::MAX, 0u32)).unwrap_or_default();
        let mut de = rmp_serde::Deserializer::new(binary.as_slice());
        let error = deserialize(&mut de).map(|_| ()).unwrap_err().to_string();
        assert!(error.contains("is not an instant"), "{error}");
    }
}
