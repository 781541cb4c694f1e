//! Conversations from CSV: a call log, a helpdesk's tickets, a mailbox's threads — each row one
//! conversation on an imported customer's timeline.

use super::cells::Cells;
use super::field_map::{Field, FieldMap};
use super::records::{owner, Planned};
use super::run::RowError;
use crate::domain::interaction::{Channel, Direction, InteractionCommand, InteractionLogged};
use crate::ids::CustomerId;
use crate::normalize;
use crate::projection::Views;

pub(super) fn interaction(
    map: &FieldMap,
    cells: &Cells,
    views: &Views,
) -> Result<Planned, RowError> {
    let key = cells
        .text(&Field::Key)
        .ok_or_else(|| cells.whole("no key: map a key column"))?;
    let customer_key = cells
        .text(&Field::Customer)
        .ok_or_else(|| cells.whole("no customer: map the customer's key column"))?;
    let contact = map.contact_id(customer_key);
    let customer = if views.cards.contact(contact).is_some() {
        CustomerId::Contact(contact)
    } else if views.cards.company(map.company_id(customer_key)).is_some() {
        CustomerId::Company(map.company_id(customer_key))
    } else {
        return Err(cells.whole(format!("customer {customer_key:?} was not imported")));
    };
    let at = cells
        .instant(&Field::Created)?
        .ok_or_else(|| cells.whole("no date: map when the conversation happened"))?;
    let channel = cells
        .read(&Field::Channel, channel)?
        .unwrap_or(Channel::Call);
    let direction = cells
        .read(&Field::Direction, direction)?
        .unwrap_or(Direction::Outbound);
    let subject = cells
        .text(&Field::Title)
        .map_or_else(|| format!("{channel}"), str::to_owned);
    let interaction_id = map.interaction_id(key);
    let log = InteractionLogged {
        interaction_id,
        customer,
        channel,
        direction,
        handled_by: cells.text(&Field::Owner).map(|o| owner(map, o)),
        duration_seconds: cells.read(&Field::Duration, seconds)?,
        subject: subject.into(),
        summary: cells.text(&Field::Comment).map(|c| c.to_owned().into()),
        outcome: None,
        source_message_id: None,
    };
    Ok(Planned {
        key: key.to_owned(),
        at: Some(at),
        exists: views.activity.of(customer).is_some_and(|a| {
            a.interactions
                .iter()
                .any(|i| i.interaction_id == interaction_id)
        }),
        commands: vec![("log".to_owned(), None, InteractionCommand::Log(log).into())],
    })
}

fn channel(cell: &str) -> Result<Channel, String> {
    Ok(match normalize::words(cell).join("_").as_str() {
        "call" | "phone" | "phone_call" | "llamada" | "telefono" | "ligacao" => Channel::Call,
        "email" | "e_mail" | "mail" | "correo" => Channel::Email,
        "meeting" | "visit" | "reunion" | "visita" | "reuniao" => Channel::Meeting,
        "chat" | "live_chat" => Channel::Chat,
        "messenger" | "whatsapp" | "telegram" => Channel::Messenger,
        "social" | "facebook" | "instagram" | "twitter" | "linkedin" => Channel::Social,
        "sms" | "text" => Channel::Sms,
        "web_form" | "form" | "formulario" => Channel::WebForm,
        _ => {
            return Err(
                "not a channel (call, email, meeting, chat, messenger, social, sms, web_form)"
                    .into(),
            )
        }
    })
}

fn direction(cell: &str) -> Result<Direction, String> {
    match normalize::words(cell).join("_").as_str() {
        "inbound" | "in" | "incoming" | "entrante" | "recibida" => Ok(Direction::Inbound),
        "outbound" | "out" | "outgoing" | "saliente" | "realizada" => Ok(Direction::Outbound),
        _ => Err("not a direction (inbound or outbound)".into()),
    }
}

/// Seconds, or `h:mm:ss` / `m:ss` as call logs write them.
fn seconds(cell: &str) -> Result<u32, String> {
    let bad = || "not a duration (seconds, m:ss or h:mm:ss)".to_owned();
    let parts: Vec<&str> = cell.split(':').collect();
    let numbers: Vec<u32> = parts
        .iter()
        .map(|p| p.trim().parse::<u32>().map_err(|_| bad()))
        .collect::<Result<_, _>>()?;
    let total = match numbers.as_slice() {
        [s] => Some(*s),
        [m, s] if *s < 60 => m.checked_mul(60).and_then(|m| m.checked_add(*s)),
        [h, m, s] if *m < 60 && *s < 60 => {
            h.checked_mul(3600).and_then(|h| h.checked_add(m * 60 + s))
        }
        _ => None,
    };
    total.ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_logs_write_durations_three_ways() {
        assert_eq!(seconds("95"), Ok(95));
        assert_eq!(seconds("1:35"), Ok(95));
        assert_eq!(seconds("1:01:35"), Ok(3695));
        assert!(seconds("1:75").is_err());
        assert!(seconds("ten").is_err());
        assert!(
            seconds("99999999:00:00").is_err(),
            "overflow is refused, not wrapped"
        );
    }
}
