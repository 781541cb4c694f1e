//! How a customer card reads in a terminal or an email: aligned label / value rows.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

use super::cards::{CompanyCard, ContactCard, OpenDeal, Stamp};
use super::{ActivitySummary, TaskLine};
use crate::domain::details::{Address, DocumentKind, DocumentRef, Phone};
use crate::domain::feedback::Score;
use crate::domain::interaction::{Direction, Outcome};
use crate::domain::order::Fulfillment;
use crate::event::Actor;
use crate::ids::UserId;

fn row(out: &mut String, label: &str, value: impl fmt::Display) {
    let _ = writeln!(out, "  {label:<12} {value}");
}

fn rows<T: fmt::Display>(out: &mut String, label: &str, values: impl IntoIterator<Item = T>) {
    for (i, value) in values.into_iter().enumerate() {
        row(out, if i == 0 { label } else { "" }, value);
    }
}

fn address_line(a: &Address) -> String {
    let mut parts = vec![a.line1.clone()];
    parts.extend(a.line2.clone());
    let city = match &a.postal_code {
        Some(code) => format!("{code} {}", a.city),
        None => a.city.clone(),
    };
    parts.push(city);
    parts.extend(a.region.clone());
    parts.extend(a.country.map(|c| c.to_string()));
    parts.retain(|p| !p.trim().is_empty());
    parts.join(", ")
}

fn document_line(d: &DocumentRef) -> String {
    let kind = match &d.kind {
        DocumentKind::Invoice => "invoice",
        DocumentKind::Quote => "quote",
        DocumentKind::Contract => "contract",
        DocumentKind::Other(k) => k.as_str(),
    };
    format!("[{kind}] {} <{}>", d.title, d.uri)
}

fn joined<T: fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    items
        .into_iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn stamp_line(s: &Stamp, users: &BTreeMap<UserId, String>) -> String {
    format!(
        "{} by {}",
        s.at.format("%Y-%m-%d %H:%M UTC"),
        actor(users, &s.by)
    )
}

/// An actor, a user by name.
fn actor(users: &BTreeMap<UserId, String>, actor: &Actor) -> String {
    match actor {
        Actor::User { user_id } => user(users, *user_id),
        other => other.to_string(),
    }
}

/// A user by name, or `user <uuid>` when the directory does not know them.
fn user(users: &BTreeMap<UserId, String>, id: UserId) -> String {
    users
        .get(&id)
        .cloned()
        .unwrap_or_else(|| format!("user {id}"))
}

/// How many orders a card lists (the rest are in the count and the totals).
const CARD_ORDERS: usize = 5;

fn activity_rows(out: &mut String, a: &ActivitySummary, converted: bool) {
    if let Some(src) = &a.source {
        let campaign = a
            .campaign
            .as_ref()
            .map(|c| format!(", campaign {c:?}"))
            .unwrap_or_default();
        let lead = if src.lead && a.orders.is_empty() && !converted {
            ", still a lead"
        } else {
            ""
        };
        row(out, "source", format!("{}{campaign}{lead}", src.source));
    }
    if !a.orders.is_empty() {
        let cancelled = a
            .orders
            .iter()
            .filter(|o| o.fulfillment == Fulfillment::Cancelled)
            .count();
        let mut line = format!("{} orders", a.orders.len());
        if cancelled > 0 {
            let _ = write!(line, " ({cancelled} cancelled)");
        }
        let _ = write!(line, ", lifetime value {}", a.lifetime_value);
        if let (Some(first), Some(last)) = (a.first_order, a.last_order) {
            let _ = write!(
                line,
                "; first {}, last {}",
                first.format("%Y-%m-%d"),
                last.format("%Y-%m-%d")
            );
        }
        if let Some(gap) = a.average_days_between_orders {
            let _ = write!(line, ", every {gap:.1} days on average");
        }
        row(out, "orders", line);
        rows(
            out,
            "order",
            a.orders.iter().take(CARD_ORDERS).map(|o| {
                let refunded = if o.refunded.minor > 0 {
                    format!(", refunded {}", o.refunded)
                } else {
                    String::new()
                };
                let plural = if o.items == 1 { "" } else { "s" };
                format!(
                    "{} {} {} item{plural}, {} {}, paid {}{refunded}",
                    o.placed_at.format("%Y-%m-%d"),
                    o.channel_name(),
                    o.items,
                    o.total,
                    o.fulfillment,
                    o.paid
                )
            }),
        );
    }
    if let Some(last) = a.last_contact {
        let per_channel = joined(
            a.interactions_per_channel
                .iter()
                .map(|(channel, n)| format!("{channel} {n}")),
        );
        let total: usize = a.interactions_per_channel.values().sum();
        row(
            out,
            "contacted",
            format!(
                "{total} time{} ({per_channel}); last {}",
                if total == 1 { "" } else { "s" },
                last.format("%Y-%m-%d %H:%M UTC")
            ),
        );
        rows(
            out,
            "timeline",
            a.interactions.iter().map(|i| {
                let arrow = match i.direction {
                    Direction::Inbound => "in ",
                    Direction::Outbound => "out",
                };
                let outcome = match i.outcome {
                    Some(Outcome::Resolved) => " — resolved",
                    Some(Outcome::FollowUpNeeded) => " — follow-up needed",
                    Some(Outcome::NoAnswer) => " — no answer",
                    None => "",
                };
                format!(
                    "{} {arrow} {:<9} {}{outcome}",
                    i.at.format("%Y-%m-%d %H:%M"),
                    i.channel.to_string(),
                    i.subject.as_deref().unwrap_or("(erased)")
                )
            }),
        );
    }
    rows(
        out,
        "messages",
        a.messages.iter().map(|m| {
            let campaign = m
                .campaign
                .as_ref()
                .map(|c| format!(" ({c})"))
                .unwrap_or_default();
            format!(
                "{} {:<5} {}{campaign} — {}",
                m.due.format("%Y-%m-%d %H:%M"),
                m.channel.to_string(),
                m.template,
                m.outcome
            )
        }),
    );
    if let Some(f) = &a.latest_feedback {
        let score = match f.score {
            Score::Review { stars, .. } => format!("review {stars}/5"),
            Score::Nps { score } => format!("NPS {score}/10"),
            Score::Ces { score } => format!("CES {score}/7"),
        };
        let comment = f
            .comment
            .as_ref()
            .map(|c| format!(": {c:?}"))
            .unwrap_or_default();
        row(
            out,
            "feedback",
            format!("{score}{comment} ({})", f.at.format("%Y-%m-%d")),
        );
    }
}

fn work_rows(
    out: &mut String,
    deals: &[OpenDeal],
    tasks: &[TaskLine],
    users: &BTreeMap<UserId, String>,
) {
    rows(
        out,
        "open deal",
        deals.iter().map(|d| {
            format!(
                "{} — {}, {} / {}, closes {}",
                d.title, d.amount, d.pipeline, d.stage, d.expected_close
            )
        }),
    );
    rows(
        out,
        "open task",
        tasks.iter().map(|t| {
            let overdue = if t.overdue { "  OVERDUE" } else { "" };
            format!(
                "[{}] {}, due {} for {}{overdue}",
                t.task.kind,
                t.task.title,
                t.task.due.format("%Y-%m-%d %H:%M UTC"),
                user(users, t.task.assignee)
            )
        }),
    );
}

fn common_rows(out: &mut String, emails: &[String], phones: &[Phone], addresses: &[Address]) {
    rows(out, "email", emails);
    rows(out, "phone", phones.iter().map(|p| &p.number));
    rows(out, "address", addresses.iter().map(address_line));
}

impl fmt::Display for ContactCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &self.personal;
        let name = match self.erased {
            Some(_) => super::cards::ERASED_NAME.to_owned(),
            None => p.name.full(),
        };
        let mut out = format!("{name}  (contact {})\n", self.contact_id);
        if let Some(erased) = &self.erased {
            row(
                &mut out,
                "ERASED",
                format!(
                    "{} by {}: {}",
                    erased.at.format("%Y-%m-%d"),
                    actor(&self.users, &erased.by),
                    erased.reason
                ),
            );
        }
        if let Some(survivor) = self.merged_into {
            row(
                &mut out,
                "MERGED INTO",
                format!("contact {survivor}: see that card"),
            );
        }
        if let Some(owner) = self.owner {
            row(&mut out, "owner", user(&self.users, owner));
        }
        common_rows(&mut out, &p.emails, &p.phones, &p.addresses);
        if let Some(birthday) = p.birthday {
            row(&mut out, "birthday", birthday);
        }
        if let Some(tax_id) = &p.tax_id {
            row(&mut out, "tax id", tax_id);
        }
        rows(
            &mut out,
            "works for",
            self.companies
                .iter()
                .map(|c| format!("{} ({})", c.name, c.role)),
        );
        if !self.tags.is_empty() {
            row(&mut out, "tags", joined(&self.tags));
        }
        rows(
            &mut out,
            "field",
            self.custom_fields.iter().map(|(k, v)| format!("{k}: {v}")),
        );
        rows(
            &mut out,
            "document",
            self.documents.iter().map(document_line),
        );
        let consent = if self.consent.is_empty() {
            "none".to_owned()
        } else {
            joined(&self.consent)
        };
        row(&mut out, "marketing", format!("consent: {consent}"));
        rows(
            &mut out,
            "merged from",
            self.merged_from.iter().map(|id| format!("contact {id}")),
        );
        activity_rows(&mut out, &self.activity, self.converted.is_some());
        if let Some(c) = &self.converted {
            let into: Vec<String> = c
                .company
                .iter()
                .map(|(_, name)| format!("company {name:?}"))
                .chain(c.deal.iter().map(|(_, title)| format!("deal {title:?}")))
                .collect();
            let into = match into.is_empty() {
                true => String::new(),
                false => format!(" into {}", into.join(" and ")),
            };
            row(
                &mut out,
                "converted",
                format!("{}{into}", stamp_line(&c.stamp, &self.users)),
            );
        }
        work_rows(&mut out, &self.open_deals, &self.open_tasks, &self.users);
        row(&mut out, "created", stamp_line(&self.created, &self.users));
        row(&mut out, "updated", stamp_line(&self.updated, &self.users));
        f.write_str(&out)
    }
}

impl fmt::Display for CompanyCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.details;
        let mut out = format!("{}  (company {})\n", d.name, self.company_id);
        if let Some(legal) = &d.legal_name {
            row(&mut out, "legal name", legal);
        }
        if let Some(tax_id) = &d.tax_id {
            row(&mut out, "tax id", tax_id);
        }
        if let Some(owner) = self.owner {
            row(&mut out, "owner", user(&self.users, owner));
        }
        if let Some(web) = &d.website {
            row(&mut out, "website", web);
        }
        common_rows(&mut out, &d.emails, &d.phones, &d.addresses);
        rows(
            &mut out,
            "people",
            self.representatives
                .iter()
                .map(|r| format!("{} ({})", r.name, r.role)),
        );
        if !self.tags.is_empty() {
            row(&mut out, "tags", joined(&self.tags));
        }
        rows(
            &mut out,
            "document",
            self.documents.iter().map(document_line),
        );
        activity_rows(&mut out, &self.activity, false);
        work_rows(&mut out, &self.open_deals, &self.open_tasks, &self.users);
        row(&mut out, "created", stamp_line(&self.created, &self.users));
        row(&mut out, "updated", stamp_line(&self.updated, &self.users));
        f.write_str(&out)
    }
}
