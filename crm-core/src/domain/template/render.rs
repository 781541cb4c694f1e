//! Rendering a template for a customer, sandboxed: minijinja with no loader (a template cannot
//! read files or include others), a fuel limit (a loop cannot run away), output HTML-escaped
//! for email and plain for SMS. The context is the customer's name and email, the message's
//! due time and day and its unsubscribe line — nothing else of the CRM is reachable from a
//! template.

use chrono::{DateTime, Utc};
use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::Serialize;

use super::TemplateSaved;
use crate::domain::automation::MessageChannel;
use crate::domain::DomainError;

/// How many instructions one rendering may run: generous for any real message, small enough
/// that a runaway loop stops in milliseconds.
pub const FUEL: u64 = 50_000;

/// What a template sees of the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomerContext {
    /// Their full name.
    pub name: String,
    /// Their given name.
    pub given_name: String,
    /// Their first email, if any.
    pub email: Option<String>,
}

/// Everything a template sees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Context {
    /// The customer.
    pub customer: CustomerContext,
    /// When the message is due.
    pub due: DateTime<Utc>,
    /// Its day, `YYYY-MM-DD`, in the shop's time zone.
    pub due_date: String,
    /// For marketing, the unsubscribe link or the keyword to reply with; empty otherwise.
    pub unsubscribe: String,
}

/// A rendered message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rendered {
    /// The subject line (email).
    pub subject: Option<String>,
    /// The body: HTML-escaped values for email, plain for SMS.
    pub body: String,
}

fn environment(channel: MessageChannel) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_fuel(Some(FUEL));
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    let escape = match channel {
        MessageChannel::Email => AutoEscape::Html,
        MessageChannel::Sms => AutoEscape::None,
    };
    env.set_auto_escape_callback(move |_| escape);
    env
}

fn broken(template: &TemplateSaved, part: &str, error: &minijinja::Error) -> DomainError {
    DomainError::BrokenTemplate {
        name: template.name.clone(),
        line: error.line(),
        reason: format!(
            "{part}: {}",
            error
                .detail()
                .map_or_else(|| error.kind().to_string(), str::to_owned)
        ),
    }
}

/// A template compiled once, to render for many customers.
#[derive(Debug)]
pub struct Compiled {
    template: TemplateSaved,
    // One environment per part, each holding only that part: nothing else to include.
    body: Environment<'static>,
    subject: Option<Environment<'static>>,
}

impl Compiled {
    /// `template` compiled, or why not (with the line).
    pub fn new(template: &TemplateSaved) -> Result<Self, DomainError> {
        let part =
            |channel, name: &str, source: &str| -> Result<Environment<'static>, DomainError> {
                let mut env = environment(channel);
                env.add_template_owned(name.to_owned(), source.to_owned())
                    .map_err(|e| broken(template, name, &e))?;
                Ok(env)
            };
        let body = part(template.channel, "body", &template.body)?;
        // A subject is one line of plain text, whatever the channel's escaping.
        let subject = match &template.subject {
            Some(subject) => Some(part(MessageChannel::Sms, "subject", subject)?),
            None => None,
        };
        Ok(Self {
            template: template.clone(),
            body,
            subject,
        })
    }

    /// Rendered with `context`, or why not (with the line).
    pub fn render(&self, context: &Context) -> Result<Rendered, DomainError> {
        let run = |env: &Environment<'static>, name: &str| {
            env.get_template(name)
                .and_then(|t| t.render(context))
                .map_err(|e| broken(&self.template, name, &e))
        };
        let body = run(&self.body, "body")?;
        let subject = match &self.subject {
            Some(env) => Some(run(env, "subject")?),
            None => None,
        };
        Ok(Rendered { subject, body })
    }
}

/// `template` rendered with `context`, or why not (with the line).
pub fn render(template: &TemplateSaved, context: &Context) -> Result<Rendered, DomainError> {
    Compiled::new(template)?.render(context)
}

/// A customer to try a template on when it is saved.
pub fn sample() -> Context {
    Context {
        customer: CustomerContext {
            name: "Ana García".into(),
            given_name: "Ana".into(),
            email: Some("ana@example.com".into()),
        },
        due: DateTime::from_timestamp(1_780_000_000, 0).unwrap_or_default(),
        due_date: "2026-05-28".into(),
        unsubscribe: "https://shop.example/unsubscribe/0190e7a0-0000-7000-8000-000000000001".into(),
    }
}

/// Refuses a template that does not compile, names something a template cannot see, or runs
/// out of fuel, for the sample customer.
pub fn check(template: &TemplateSaved) -> Result<(), DomainError> {
    if template.body.trim().is_empty() {
        return Err(DomainError::BrokenTemplate {
            name: template.name.clone(),
            line: None,
            reason: "the body is empty".into(),
        });
    }
    render(template, &sample()).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::TemplateId;

    fn template(channel: MessageChannel, body: &str) -> TemplateSaved {
        TemplateSaved {
            template_id: TemplateId::named("t"),
            name: "t".into(),
            channel,
            subject: Some("Hello {{ customer.given_name }}".into()),
            body: body.into(),
        }
    }

    #[test]
    fn email_values_are_html_escaped_and_sms_values_are_not() {
        let mut context = sample();
        context.customer.name = "<b>Ana & co</b>".into();
        let email = render(
            &template(MessageChannel::Email, "Dear {{ customer.name }}"),
            &context,
        );
        assert_eq!(
            email.unwrap().body,
            "Dear &lt;b&gt;Ana &amp; co&lt;&#x2f;b&gt;"
        );
        let sms = render(
            &template(MessageChannel::Sms, "Dear {{ customer.name }}"),
            &context,
        );
        assert_eq!(sms.unwrap().body, "Dear <b>Ana & co</b>");
    }

    #[test]
    fn a_broken_template_is_refused_with_its_line_and_reason() {
        let broken = template(MessageChannel::Email, "Hi\n{{ customer.name }\nBye");
        let error = check(&broken).unwrap_err().to_string();
        assert!(error.contains("line 2"), "{error}");
        let unknown = template(MessageChannel::Email, "Hi {{ customer.address }}");
        assert!(check(&unknown).is_err(), "a value a template cannot see");
    }

    #[test]
    fn a_runaway_loop_runs_out_of_fuel_and_no_file_can_be_read() {
        let runaway = template(
            MessageChannel::Sms,
            "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
        );
        let error = check(&runaway).unwrap_err().to_string();
        assert!(error.contains("fuel"), "{error}");
        let include = template(MessageChannel::Sms, "{% include '/etc/passwd' %}");
        assert!(check(&include).is_err(), "no loader: nothing to include");
    }
}
