//! Reading an [`Actor`] by hand: the same form serde's derive reads (a map tagged by `kind`,
//! no unknown fields), without its buffering. An internally tagged enum's derive copies every
//! field into a buffer of its own before it knows which variant it is reading; actors are in
//! every event and in most records of the views, so that buffer was a good part of reading a
//! snapshot of them.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use super::Actor;
use crate::ids::UserId;

const KINDS: &[&str] = &["user", "import", "api", "automation", "system"];
const FIELDS: &[&str] = &["kind", "user_id", "source", "client", "policy"];

#[derive(Clone, Copy, PartialEq)]
enum Field {
    Kind,
    UserId,
    Source,
    Client,
    Policy,
}

impl Field {
    fn name(self) -> &'static str {
        FIELDS[self as usize]
    }
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Name;
        impl Visitor<'_> for Name {
            type Value = Field;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field of an actor")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<Field, E> {
                match name {
                    "kind" => Ok(Field::Kind),
                    "user_id" => Ok(Field::UserId),
                    "source" => Ok(Field::Source),
                    "client" => Ok(Field::Client),
                    "policy" => Ok(Field::Policy),
                    other => Err(E::unknown_field(other, FIELDS)),
                }
            }
        }
        deserializer.deserialize_identifier(Name)
    }
}

#[derive(Clone, Copy)]
enum Kind {
    User,
    Import,
    Api,
    Automation,
    System,
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Name;
        impl Visitor<'_> for Name {
            type Value = Kind;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a kind of actor")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<Kind, E> {
                match name {
                    "user" => Ok(Kind::User),
                    "import" => Ok(Kind::Import),
                    "api" => Ok(Kind::Api),
                    "automation" => Ok(Kind::Automation),
                    "system" => Ok(Kind::System),
                    other => Err(E::unknown_variant(other, KINDS)),
                }
            }
        }
        deserializer.deserialize_identifier(Name)
    }
}

struct ActorVisitor;

impl<'de> Visitor<'de> for ActorVisitor {
    type Value = Actor;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an actor: a map with its `kind`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Actor, A::Error> {
        let mut kind = None;
        let mut user_id: Option<UserId> = None;
        // The one text field an actor has, and which one it was.
        let mut text: Option<(Field, String)> = None;
        while let Some(field) = map.next_key::<Field>()? {
            match field {
                Field::Kind if kind.is_some() => return Err(de::Error::duplicate_field("kind")),
                Field::Kind => kind = Some(map.next_value::<Kind>()?),
                Field::UserId if user_id.is_some() => {
                    return Err(de::Error::duplicate_field("user_id"))
                }
                Field::UserId => user_id = Some(map.next_value()?),
                _ => match &text {
                    Some((seen, _)) if *seen == field => {
                        return Err(de::Error::duplicate_field(field.name()))
                    }
                    Some((seen, _)) => {
                        return Err(de::Error::custom(format_args!(
                            "an actor has one of `source`, `client` and `policy`, not both `{}` and `{}`",
                            seen.name(),
                            field.name()
                        )))
                    }
                    None => text = Some((field, map.next_value()?)),
                },
            }
        }
        let kind = kind.ok_or_else(|| de::Error::missing_field("kind"))?;
        let (wanted, expected): (Option<Field>, &'static [&'static str]) = match kind {
            Kind::User => (Some(Field::UserId), &["user_id"]),
            Kind::Import => (Some(Field::Source), &["source"]),
            Kind::Api => (Some(Field::Client), &["client"]),
            Kind::Automation => (Some(Field::Policy), &["policy"]),
            Kind::System => (None, &[]),
        };
        if user_id.is_some() && wanted != Some(Field::UserId) {
            return Err(de::Error::unknown_field("user_id", expected));
        }
        if let Some((field, _)) = &text {
            if Some(*field) != wanted {
                return Err(de::Error::unknown_field(field.name(), expected));
            }
        }
        let text = text.map(|(_, value)| value);
        let missing = || de::Error::missing_field(expected.first().copied().unwrap_or("kind"));
        Ok(match kind {
            Kind::User => Actor::User {
                user_id: user_id.ok_or_else(missing)?,
            },
            Kind::Import => Actor::Import {
                source: text.ok_or_else(missing)?,
            },
            Kind::Api => Actor::Api {
                client: text.ok_or_else(missing)?,
            },
            Kind::Automation => Actor::Automation {
                policy: text.ok_or_else(missing)?,
            },
            Kind::System => Actor::System,
        })
    }
}

impl<'de> Deserialize<'de> for Actor {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ActorVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Result<Actor, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    #[test]
    fn every_kind_reads_back_in_json_and_in_the_snapshots_binary_form() {
        let actors = [
            Actor::User {
                user_id: UserId::from_uuid(uuid::Uuid::from_u128(7)),
            },
            Actor::Import {
                source: "olist export".into(),
            },
            Actor::Api {
                client: "shop".into(),
            },
            Actor::Automation {
                policy: "welcome".into(),
            },
            Actor::System,
        ];
        for actor in actors {
            let text = serde_json::to_string(&actor).unwrap_or_default();
            assert_eq!(json(&text), Ok(actor.clone()), "{text}");
            let binary = rmp_serde::to_vec_named(&actor).unwrap_or_default();
            assert_eq!(rmp_serde::from_slice::<Actor>(&binary).ok(), Some(actor));
        }
        assert_eq!(
            json(r#"{"source":"late tag","kind":"import"}"#),
            Ok(Actor::Import {
                source: "late tag".into()
            })
        );
    }

    #[test]
    fn what_the_derive_refused_is_still_refused_by_name() {
        for (text, says) in [
            (r#"{"kind":"robot"}"#, "unknown variant `robot`"),
            (
                r#"{"kind":"system","source":"x"}"#,
                "unknown field `source`",
            ),
            (
                r#"{"kind":"import","client":"x"}"#,
                "unknown field `client`, expected `source`",
            ),
            (
                r#"{"kind":"user","user_id":"00000000-0000-0000-0000-000000000007","source":"x"}"#,
                "unknown field `source`",
            ),
            (
                r#"{"kind":"system","user_id":"00000000-0000-0000-0000-000000000007"}"#,
                "unknown field `user_id`",
            ),
            (r#"{"kind":"api"}"#, "missing field `client`"),
            (r#"{"kind":"user"}"#, "missing field `user_id`"),
            (
                r#"{"user_id":"00000000-0000-0000-0000-000000000007"}"#,
                "missing field `kind`",
            ),
            (
                r#"{"kind":"api","client":"a","client":"b"}"#,
                "duplicate field `client`",
            ),
            (
                r#"{"kind":"api","kind":"api","client":"a"}"#,
                "duplicate field `kind`",
            ),
            (r#"{"kind":"api","colour":"red"}"#, "unknown field `colour`"),
            (r#""system""#, "expected an actor"),
        ] {
            let error = json(text).unwrap_err();
            assert!(error.contains(says), "{text}: {error}");
        }
    }
}
