//! The templates the built-in rules name, used until the shop saves its own of that name.

use crate::domain::automation::MessageChannel;
use crate::domain::template::TemplateSaved;
use crate::ids::TemplateId;

fn template(name: &str, channel: MessageChannel, subject: &str, body: &str) -> TemplateSaved {
    TemplateSaved {
        template_id: TemplateId::named(name),
        name: name.to_owned(),
        channel,
        subject: Some(subject.to_owned()),
        body: body.to_owned(),
    }
}

/// The built-in template called `name`, for `channel`, if there is one.
pub(crate) fn builtin(name: &str, channel: MessageChannel) -> Option<TemplateSaved> {
    let (subject, body) = match name {
        "survey" => (
            "How was your order?",
            "<p>Dear {{ customer.given_name }},</p>\n<p>your order has arrived. How did we do? Answer in one click.</p>",
        ),
        "birthday" => (
            "Happy birthday, {{ customer.given_name }}!",
            "<p>Dear {{ customer.given_name }},</p>\n<p>happy birthday from all of us: this week, 10 % off everything.</p>",
        ),
        "reactivation" => (
            "We miss you, {{ customer.given_name }}",
            "<p>Dear {{ customer.given_name }},</p>\n<p>it has been a while. Here is what is new since your last order.</p>",
        ),
        "unpaid-reminder" => (
            "Your order is waiting for payment",
            "<p>Dear {{ customer.given_name }},</p>\n<p>we have not received the payment for your order yet.</p>",
        ),
        "report-sales" => (
            "Sales report, the week to {{ due_date }}",
            "<p>Dear {{ customer.given_name }},</p>\n<p>the sales report of last week is attached.</p>",
        ),
        "report-customers" => (
            "Customers report, the week to {{ due_date }}",
            "<p>Dear {{ customer.given_name }},</p>\n<p>the customers report of last week is attached.</p>",
        ),
        "report-pipeline" => (
            "Pipeline report, the week to {{ due_date }}",
            "<p>Dear {{ customer.given_name }},</p>\n<p>the pipeline report of last week is attached.</p>",
        ),
        _ => return None,
    };
    Some(match channel {
        MessageChannel::Email => template(name, channel, subject, body),
        // An SMS is one short line: the subject says it.
        MessageChannel::Sms => TemplateSaved {
            subject: None,
            ..template(name, channel, "", subject)
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::template::render;

    #[test]
    fn every_built_in_template_renders_on_both_channels() {
        let names = [
            "survey",
            "birthday",
            "reactivation",
            "unpaid-reminder",
            "report-sales",
            "report-customers",
            "report-pipeline",
        ];
        for name in names {
            for channel in [MessageChannel::Email, MessageChannel::Sms] {
                let template = builtin(name, channel);
                let checked = template.as_ref().map(render::check);
                assert_eq!(checked, Some(Ok(())), "{name} by {channel}");
            }
        }
        assert_eq!(builtin("no such", MessageChannel::Email), None);
    }
}
