//! How old event payloads become current ones: a list of upcasters, each naming the event
//! type and the schema version it upgrades from.
//!
//! An upcaster is a pure function on the JSON payload. Chains run one step at a time
//! (v1 -> v2 -> v3), so each step is written once, against the version that came right
//! before it, and never changes afterwards.

use serde_json::Value;

/// One step of schema evolution: `event_type` at `from_version` becomes `from_version + 1`.
#[derive(Debug, Clone, Copy)]
pub struct Upcaster {
    /// The stable type name.
    pub event_type: &'static str,
    /// The version this step reads.
    pub from_version: u32,
    /// The transformation.
    pub apply: fn(Value) -> Result<Value, String>,
}

/// Every upcaster this release knows.
pub const UPCASTERS: &[Upcaster] = &[Upcaster {
    event_type: "OrderCancelled",
    from_version: 1,
    apply: order_cancelled_v1,
}];

/// `OrderCancelled` v1 → v2: a reason outside the list was `{"other": "text"}`; it becomes
/// `"other"` with the text as the note. Listed reasons pass through unchanged.
fn order_cancelled_v1(mut data: Value) -> Result<Value, String> {
    let obj = data.as_object_mut().ok_or("payload is not an object")?;
    let reason = obj.remove("reason").ok_or("missing reason")?;
    let (reason, note) = match reason {
        Value::Object(mut other) => match other.remove("other") {
            Some(text) => (Value::from("other"), Some(text)),
            None => return Err("reason is an object without \"other\"".into()),
        },
        listed => (listed, None),
    };
    obj.insert("reason".into(), reason);
    if let Some(note) = note {
        obj.insert("note".into(), note);
    }
    Ok(data)
}

/// Upgrades `data` from version `from` to `to` of `event_type`, one step at a time.
pub fn upcast(event_type: &str, from: u32, to: u32, data: Value) -> Result<Value, String> {
    run(UPCASTERS, event_type, from, to, data)
}

fn run(
    upcasters: &[Upcaster],
    event_type: &str,
    from: u32,
    to: u32,
    mut data: Value,
) -> Result<Value, String> {
    for version in from..to {
        let step = upcasters
            .iter()
            .find(|u| u.event_type == event_type && u.from_version == version)
            .ok_or_else(|| {
                format!(
                    "no upcaster for {event_type} v{version} -> v{}",
                    version + 1
                )
            })?;
        data = (step.apply)(data)
            .map_err(|why| format!("upcasting {event_type} v{version}: {why}"))?;
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rename_name(mut v: Value) -> Result<Value, String> {
        let obj = v.as_object_mut().ok_or("payload is not an object")?;
        let name = obj.remove("name").ok_or("missing name")?;
        obj.insert("display_name".into(), name);
        Ok(v)
    }

    fn add_flag(mut v: Value) -> Result<Value, String> {
        v.as_object_mut()
            .ok_or("payload is not an object")?
            .insert("flag".into(), json!(false));
        Ok(v)
    }

    const CHAIN: &[Upcaster] = &[
        Upcaster {
            event_type: "X",
            from_version: 1,
            apply: rename_name,
        },
        Upcaster {
            event_type: "X",
            from_version: 2,
            apply: add_flag,
        },
    ];

    #[test]
    fn chains_run_step_by_step() {
        let out = run(CHAIN, "X", 1, 3, json!({"name": "a"})).unwrap();
        assert_eq!(out, json!({"display_name": "a", "flag": false}));
    }

    #[test]
    fn a_missing_step_is_named() {
        let err = run(CHAIN, "Y", 1, 2, json!({})).unwrap_err();
        assert_eq!(err, "no upcaster for Y v1 -> v2");
        let err = run(CHAIN, "X", 1, 2, json!([])).unwrap_err();
        assert_eq!(err, "upcasting X v1: payload is not an object");
    }
}
