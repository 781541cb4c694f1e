//! [`Crm::compose`]: a queued message as it goes out now — to the address on the card, from
//! the shop's template (or the built-in one of that name), with the unsubscribe line for
//! marketing and the report attached for a report rule.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use super::defaults;
use crate::crm::Crm;
use crate::domain::automation::{MessageChannel, ReportFamily, Trigger};
use crate::domain::message::{Cause, MessageScheduled, Recipient, SkipReason};
use crate::domain::template::render::{Compiled, Context, CustomerContext};
use crate::domain::template::Template;
use crate::error::Error;
use crate::event::Actor;
use crate::ids::{CampaignId, CustomerId, MessageId, TemplateId};
use crate::projection::Views;
use crate::report::render::{render as render_report, Format};
use crate::report::{Bucket, Period};
use crate::store::EventStore;

/// The templates one sending run has looked up, by name and channel, compiled: loaded and
/// compiled once per run, so a template saved meanwhile is used from the next run on.
pub(crate) type Templates =
    std::collections::HashMap<(String, MessageChannel), Option<Arc<Result<Compiled, String>>>>;

/// A file sent with a message: a report, as `crm report` prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Its name (`sales-2026-03-16-to-2026-03-22.txt`).
    pub file_name: String,
    /// Its text.
    pub content: String,
}

/// A message ready for a sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// The message: also the email's `Message-ID` and the unsubscribe token.
    pub message_id: MessageId,
    /// Email or SMS.
    pub channel: MessageChannel,
    /// Whom it is for, as the card or the directory names them.
    pub to_name: String,
    /// The email address or the phone number (E.164 where the card's country tells it).
    pub address: String,
    /// The subject line (email).
    pub subject: Option<String>,
    /// The body: HTML for email, plain text for SMS; with the unsubscribe line for marketing.
    pub body: String,
    /// Marketing: the unsubscribe link (or the keyword to reply with).
    pub unsubscribe: Option<String>,
    /// A report rule's report.
    pub attachment: Option<Attachment>,
    /// The campaign a mailing's message belongs to.
    pub campaign: Option<CampaignId>,
    /// When it was composed (the CRM's clock): an email's `Date`.
    pub date: DateTime<Utc>,
}

/// What became of composing a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Composed {
    /// Ready to send.
    Ready(Box<Outgoing>),
    /// Must not go any more (consent withdrawn, erased, rule off since it was queued).
    Skip(SkipReason),
    /// Cannot go as things stand (no address on the card, no such template, a template that
    /// fails on this card): a failed try, with the reason.
    Undeliverable(String),
}

/// What the views tell of a message's recipient.
struct Addressee {
    name: String,
    given_name: String,
    email: Option<String>,
    phone: Option<String>,
}

fn addressee(views: &Views, to: Recipient) -> Option<Addressee> {
    match to {
        Recipient::User(user) => {
            let profile = views.directory.user(user)?;
            Some(Addressee {
                name: profile.name.clone(),
                given_name: profile.name.split_whitespace().next()?.to_owned(),
                email: Some(profile.email.clone()),
                phone: None,
            })
        }
        Recipient::Customer(CustomerId::Contact(id)) => {
            let card = views.cards.reach(id)?;
            let phone = card.personal.phones.first().map(|p| {
                crate::normalize::phone(&p.number, p.country)
                    .and_then(|keys| keys.international)
                    .map_or_else(|| p.number.clone(), |digits| format!("+{digits}"))
            });
            Some(Addressee {
                name: card.personal.name.full(),
                given_name: card.personal.name.given.clone(),
                email: card.personal.emails.first().cloned(),
                phone,
            })
        }
        Recipient::Customer(CustomerId::Company(id)) => {
            // A company without an address of its own is written to through its first
            // representative who has one (an erased one has none).
            let card = views.cards.company(id)?;
            let people: Vec<Addressee> = card
                .representatives
                .iter()
                .filter_map(|r| {
                    addressee(
                        views,
                        Recipient::Customer(CustomerId::Contact(r.contact_id)),
                    )
                })
                .collect();
            let email = card
                .details
                .emails
                .first()
                .cloned()
                .or_else(|| people.iter().find_map(|p| p.email.clone()));
            let phone = card
                .details
                .phones
                .first()
                .map(|p| p.number.clone())
                .or_else(|| people.iter().find_map(|p| p.phone.clone()));
            Some(Addressee {
                name: card.details.name.clone(),
                given_name: card.details.name.clone(),
                email,
                phone,
            })
        }
    }
}

/// The unsubscribe line of a marketing message: the link for email where the shop has one,
/// otherwise the keyword to reply with.
fn unsubscribe_line(url: Option<&str>, channel: MessageChannel, id: MessageId) -> String {
    match (channel, url) {
        (MessageChannel::Email, Some(url)) if url.contains("{token}") => {
            url.replace("{token}", &id.to_string())
        }
        // A page without the placeholder still gets the token, or every link would be one.
        (MessageChannel::Email, Some(url)) => {
            let join = if url.contains('?') { '&' } else { '?' };
            format!("{url}{join}token={id}")
        }
        (MessageChannel::Email, None) => "Reply UNSUBSCRIBE to stop these emails.".into(),
        (MessageChannel::Sms, _) => "Reply STOP to opt out.".into(),
    }
}

/// The seven local days before a weekly rule's occurrence on `day`, in its zone.
fn week_before(views: &Views, message: &MessageScheduled, zone: chrono_tz::Tz) -> Option<Period> {
    let Cause::Week(day) = message.cause else {
        return None;
    };
    let zone = message
        .rule_id
        .and_then(|r| views.automations.rule(r))
        .and_then(|r| match r.definition.trigger {
            Trigger::Weekly { zone, .. } => Some(zone),
            _ => None,
        })
        .unwrap_or(zone);
    let first = day.checked_sub_signed(Duration::days(7))?;
    let last = day.checked_sub_signed(Duration::days(1))?;
    Some(Period::days(first, last, zone).ok()?.by(Bucket::Week))
}

/// `family`'s report over `period` as `crm report FAMILY --by week` prints it, from `views`.
fn report_text(views: &Views, family: ReportFamily, period: Period) -> Result<String, String> {
    let rendered = match family {
        ReportFamily::Sales => render_report(
            &crate::report::sales::SalesReport::compute(
                &views.activity,
                period,
                crate::report::sales::SalesBy::Bucket,
            ),
            Format::Table,
        ),
        ReportFamily::Customers => render_report(
            &crate::report::customers::CustomersReport::compute(views, period, 2.0),
            Format::Table,
        ),
        ReportFamily::Pipeline => views
            .deals
            .pipelines()
            .into_iter()
            .filter_map(|p| {
                crate::report::pipeline::PipelineReport::compute(
                    &views.deals,
                    p.pipeline_id,
                    period,
                )
            })
            .map(|r| render_report(&r, Format::Table))
            .collect::<Result<Vec<_>, _>>()
            .map(|tables| tables.join("\n")),
    };
    rendered.map_err(|e| format!("the {family} report cannot be rendered: {e}"))
}

impl<S: EventStore> Crm<S> {
    /// The queued message `message_id` as it would go out now (see the [module
    /// docs](crate::outbox)); `None` if there is no such message or nothing left to send.
    pub async fn compose(&self, message_id: MessageId) -> Result<Option<Composed>, Error> {
        self.compose_with(message_id, &mut Templates::new()).await
    }

    /// [`Crm::compose`], with the templates already looked up in this run.
    pub(crate) async fn compose_with(
        &self,
        message_id: MessageId,
        templates: &mut Templates,
    ) -> Result<Option<Composed>, Error> {
        let zone = self.options().zone;
        let transactional = self.options().transactional;
        let prepared = self.query_unfiltered(|v| {
            let entry = v.outbox.entry(message_id)?;
            if !entry.delivery.to_send() {
                return None;
            }
            let message = entry.message.clone();
            Some(
                match super::super::run_due::recipient(v, &message, transactional) {
                    Err(reason) => Err(Composed::Skip(reason)),
                    Ok(to) => match addressee(v, to) {
                        None => Err(Composed::Skip(SkipReason::NoCustomer)),
                        Some(a) => Ok((message, to, a, week_before(v, &entry.message, zone))),
                    },
                },
            )
        });
        let (message, to, addressee, period) = match prepared {
            None => return Ok(None),
            Some(Err(composed)) => return Ok(Some(composed)),
            Some(Ok(prepared)) => prepared,
        };
        let address = match message.channel {
            MessageChannel::Email => addressee.email.clone(),
            MessageChannel::Sms => addressee.phone.clone(),
        };
        let Some(address) = address else {
            return Ok(Some(Composed::Undeliverable(format!(
                "{} has no {} on the card",
                addressee.name,
                match message.channel {
                    MessageChannel::Email => "email address",
                    MessageChannel::Sms => "phone number",
                }
            ))));
        };
        let key = (message.template.clone(), message.channel);
        let template = match templates.get(&key) {
            Some(found) => found.clone(),
            None => {
                let (template, _) = self
                    .load::<Template>(TemplateId::named(&message.template))
                    .await?;
                let found = template
                    .saved
                    .filter(|t| t.channel == message.channel)
                    .or_else(|| defaults::builtin(&message.template, message.channel))
                    .map(|t| Arc::new(Compiled::new(&t).map_err(|e| e.to_string())));
                templates.insert(key, found.clone());
                found
            }
        };
        let Some(template) = template else {
            return Ok(Some(Composed::Undeliverable(format!(
                "there is no {} template named {:?}",
                message.channel, message.template
            ))));
        };
        let unsubscribe = message.marketing.then(|| {
            unsubscribe_line(
                self.options().unsubscribe_url.as_deref(),
                message.channel,
                message_id,
            )
        });
        let context = addressee.context(message.due, zone, unsubscribe.clone().unwrap_or_default());
        let compiled = match template.as_ref() {
            Ok(compiled) => compiled,
            Err(reason) => return Ok(Some(Composed::Undeliverable(reason.clone()))),
        };
        let rendered = match compiled.render(&context) {
            Ok(rendered) => rendered,
            Err(e) => return Ok(Some(Composed::Undeliverable(e.to_string()))),
        };
        let mut body = rendered.body;
        if let Some(line) = unsubscribe.as_deref() {
            body = with_unsubscribe(body, line, message.channel);
        }
        let attachment = match (message.report, period, to) {
            (Some(family), Some(period), Recipient::User(user_id)) => {
                // The report as its reader may see it: a head of sales gets their teams'.
                let reader = self.reader(&Actor::User { user_id }).await?;
                match report_text(reader.report_views(), family, period) {
                    Ok(content) => Some(Attachment {
                        file_name: format!(
                            "{family}-{}-to-{}.txt",
                            period.from.with_timezone(&period.zone).format("%Y-%m-%d"),
                            (period.to - Duration::seconds(1))
                                .with_timezone(&period.zone)
                                .format("%Y-%m-%d")
                        ),
                        content,
                    }),
                    Err(reason) => return Ok(Some(Composed::Undeliverable(reason))),
                }
            }
            _ => None,
        };
        Ok(Some(Composed::Ready(Box::new(Outgoing {
            message_id,
            channel: message.channel,
            to_name: addressee.name,
            address,
            subject: rendered.subject,
            body,
            unsubscribe,
            attachment,
            campaign: match message.cause {
                Cause::Mailing(campaign) => Some(campaign),
                _ => None,
            },
            date: self.clock_now(),
        }))))
    }
}

/// The body with the unsubscribe line added at the end, unless the template placed it.
fn with_unsubscribe(body: String, line: &str, channel: MessageChannel) -> String {
    match channel {
        MessageChannel::Sms if body.contains(line) => body,
        MessageChannel::Sms => format!("{body} {line}"),
        MessageChannel::Email => {
            // Escaped as the email templates' own auto-escaping does it.
            let escaped = minijinja::HtmlEscape(line).to_string();
            if body.contains(&escaped) || body.contains(line) {
                body
            } else if line.starts_with("http") {
                format!("{body}\n<p><a href=\"{escaped}\">Unsubscribe</a></p>")
            } else {
                format!("{body}\n<p>{escaped}</p>")
            }
        }
    }
}

impl Addressee {
    /// What a template sees of them, for a message due at `due` (its day in the shop's
    /// `zone`) with the unsubscribe line `unsubscribe`.
    fn context(&self, due: DateTime<Utc>, zone: chrono_tz::Tz, unsubscribe: String) -> Context {
        Context {
            customer: CustomerContext {
                name: self.name.clone(),
                given_name: self.given_name.clone(),
                email: self.email.clone(),
            },
            due,
            due_date: due.with_timezone(&zone).format("%Y-%m-%d").to_string(),
            unsubscribe,
        }
    }
}

/// What a template sees of `contact` for a message due at `due`, as a preview shows it;
/// `None` for a contact the views do not have, or who was erased.
pub(crate) fn preview_context(
    views: &Views,
    contact: crate::ids::ContactId,
    due: DateTime<Utc>,
    zone: chrono_tz::Tz,
) -> Option<Context> {
    if views.cards.reach(contact)?.erased {
        return None;
    }
    let to = Recipient::Customer(CustomerId::Contact(contact));
    Some(addressee(views, to)?.context(due, zone, String::new()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unsubscribe_line_is_added_unless_the_template_placed_it() {
        let link = "https://shop.example/u/1";
        assert_eq!(
            with_unsubscribe("<p>Hi</p>".into(), link, MessageChannel::Email),
            "<p>Hi</p>\n<p><a href=\"https:&#x2f;&#x2f;shop.example&#x2f;u&#x2f;1\">Unsubscribe</a></p>"
        );
        let keyword = unsubscribe_line(
            None,
            MessageChannel::Email,
            MessageId::from_uuid(uuid::Uuid::nil()),
        );
        assert_eq!(
            with_unsubscribe("<p>Hi</p>".into(), &keyword, MessageChannel::Email),
            "<p>Hi</p>\n<p>Reply UNSUBSCRIBE to stop these emails.</p>"
        );
        let page = unsubscribe_line(
            Some("https://shop.example/baja?lang=es"),
            MessageChannel::Email,
            MessageId::from_uuid(uuid::Uuid::nil()),
        );
        assert_eq!(
            page,
            "https://shop.example/baja?lang=es&token=00000000-0000-0000-0000-000000000000"
        );
        let stop = unsubscribe_line(
            Some(link),
            MessageChannel::Sms,
            MessageId::from_uuid(uuid::Uuid::nil()),
        );
        assert_eq!(
            with_unsubscribe("20 % off today.".into(), &stop, MessageChannel::Sms),
            "20 % off today. Reply STOP to opt out."
        );
        assert_eq!(
            with_unsubscribe(
                "Hi. Reply STOP to opt out.".into(),
                &stop,
                MessageChannel::Sms
            ),
            "Hi. Reply STOP to opt out."
        );
    }
}
