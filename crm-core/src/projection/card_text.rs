//! How a customer card reads in a terminal or an email: aligned label / value rows.

use std::fmt::{self, Write as _};

use super::cards::{CompanyCard, ContactCard, OpenDeal, Stamp};
use super::TaskLine;
use crate::domain::details::{Address, DocumentKind, DocumentRef, Phone};

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

fn stamp_line(s: &Stamp) -> String {
    format!("{} by {}", s.at.format("%Y-%m-%d %H:%M UTC"), s.by)
}

fn work_rows(out: &mut String, deals: &[OpenDeal], tasks: &[TaskLine]) {
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
                "[{}] {}, due {} for user {}{overdue}",
                t.task.kind,
                t.task.title,
                t.task.due.format("%Y-%m-%d %H:%M UTC"),
                t.task.assignee
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
        let mut out = format!("{}  (contact {})\n", p.name.full(), self.contact_id);
        if let Some(survivor) = self.merged_into {
            row(
                &mut out,
                "MERGED INTO",
                format!("contact {survivor}: see that card"),
            );
        }
        if let Some(owner) = self.owner {
            row(&mut out, "owner", format!("user {owner}"));
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
        work_rows(&mut out, &self.open_deals, &self.open_tasks);
        row(&mut out, "created", stamp_line(&self.created));
        row(&mut out, "updated", stamp_line(&self.updated));
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
            row(&mut out, "owner", format!("user {owner}"));
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
        work_rows(&mut out, &self.open_deals, &self.open_tasks);
        row(&mut out, "created", stamp_line(&self.created));
        row(&mut out, "updated", stamp_line(&self.updated));
        f.write_str(&out)
    }
}
