//! Converting a lead: the person who wrote in becomes a customer being sold to — the company
//! they named (found, or created) and a deal in a pipeline — in one call.
//!
//! A lead is a contact whose first touch says it arrived as one (a web form, an inbound message
//! from an unknown address: [`crate::InboundMessage`]). What the form asked (the company's name,
//! its tax id, a budget) sits in the lead's custom fields; a [`ConversionMap`] says which field
//! becomes what, as a CSV field map does for a file. The lead stays the same contact, so its
//! card keeps everything it did before — the messages, the source, the campaign — and gains the
//! company and the deal.
//!
//! Every id involved derives from the lead's, and every command carries an id derived from it:
//! converting again (a double click, a retried request, a run that failed half-way) finishes
//! what is missing and writes nothing twice.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::crm::{Crm, Request};
use crate::domain::company::CompanyCommand;
use crate::domain::contact::{Contact, ContactCommand};
use crate::domain::deal::{DealCommand, DealTerms};
use crate::domain::details::{CompanyDetails, Phone, Role};
use crate::error::Error;
use crate::event::Actor;
use crate::ids::{CommandId, CompanyId, ContactId, CustomerId, DealId, UserId};
use crate::money::{Currency, Money};
use crate::store::EventStore;

/// A company field a lead's custom field can fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CompanyField {
    /// The name people use; without one there is no company.
    Name,
    /// The registered name.
    LegalName,
    /// The tax id: an existing company with the same one is the lead's.
    TaxId,
    /// The website.
    Website,
    /// An email address.
    Email,
    /// A phone number.
    Phone,
}

/// Which of a lead's fields become its company and its deal (a small JSON file for
/// `crm convert-lead --map`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConversionMap {
    /// Custom field → company field, e.g. `{"empresa": "name", "cif": "tax_id"}`.
    #[serde(default)]
    pub company: BTreeMap<String, CompanyField>,
    /// The lead's role at the company.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// The pipeline the deal opens in, by name; no deal without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline: Option<String>,
    /// Its stage, by name; the pipeline's first active stage if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// The custom field holding the deal's amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    /// The deal's currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
    /// How the amount writes its decimals: `.` or `,`.
    #[serde(default = "dot")]
    pub decimal_separator: char,
    /// The deal's title; `{company}` and `{name}` stand for the company's and the lead's
    /// names. The company's name (else the lead's) if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Days from the conversion to the deal's expected close.
    #[serde(default = "thirty")]
    pub close_in_days: u32,
}

fn dot() -> char {
    '.'
}

fn thirty() -> u32 {
    30
}

/// What converting a lead did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Converted {
    /// The lead.
    pub contact_id: ContactId,
    /// The company they represent.
    pub company_id: Option<CompanyId>,
    /// Whether this conversion created it (else it was there: same tax id or name).
    pub company_created: bool,
    /// The deal opened for them.
    pub deal_id: Option<DealId>,
}

impl<S: EventStore> Crm<S> {
    /// Converts lead `contact_id` into the company and the deal `map` makes of its fields;
    /// the deal is `owner`'s (else the lead's owner's, else the acting user's). Converting a
    /// lead again returns what the first conversion made.
    pub async fn convert_lead(
        &self,
        request: Request,
        contact_id: ContactId,
        map: &ConversionMap,
        owner: Option<UserId>,
    ) -> Result<Converted, Error> {
        let (lead, _) = self.load::<Contact>(contact_id).await?;
        lead.require_active(contact_id)?;
        if !lead.first_touch.as_ref().is_some_and(|t| t.lead) {
            return Err(crate::domain::DomainError::NotALead { contact_id }.into());
        }
        if let Some(done) = &lead.converted {
            return Ok(Converted {
                contact_id,
                company_id: done.company_id,
                company_created: false,
                deal_id: done.deal_id,
            });
        }
        let step = |name: &str| Request {
            command_id: Some(CommandId::derived(
                "lead conversion",
                &format!("{contact_id}/{name}"),
            )),
            ..request.clone()
        };
        // Everything is decided before anything is written: a map that cannot make the deal
        // leaves no company behind.
        let details = company_details(&lead, map);
        let company = details
            .as_ref()
            .map(|d| (self.company_for(contact_id, d), d));
        let company_id = company.as_ref().map(|((id, _), _)| *id);
        let terms = match &map.pipeline {
            Some(pipeline) => {
                let owner = owner
                    .or(lead.owner)
                    .or(match &request.actor {
                        Actor::User { user_id } => Some(*user_id),
                        _ => None,
                    })
                    .ok_or_else(|| invalid("a deal needs an owner: name one"))?;
                let customer =
                    company_id.map_or(CustomerId::Contact(contact_id), CustomerId::Company);
                let name = details.as_ref().map(|d| d.name.as_str());
                Some(self.deal_terms(&lead, map, pipeline, customer, name, owner, &request)?)
            }
            None => None,
        };
        let mut company_created = false;
        if let Some(((id, create), details)) = company {
            if create {
                let create = CompanyCommand::Create {
                    company_id: id,
                    details: details.clone(),
                    tags: Default::default(),
                    owner: lead.owner,
                };
                company_created = self
                    .execute_request(step("company"), create.into())
                    .await?
                    .wrote();
            }
            let link = ContactCommand::LinkToCompany {
                contact_id,
                company_id: id,
                role: map.role.clone().unwrap_or(Role::Other("contact".into())),
            };
            self.execute_request(step("link"), link.into()).await?;
        }
        let deal_id = terms.as_ref().map(|t| t.deal_id);
        if let Some(terms) = terms {
            self.execute_request(step("deal"), DealCommand::Open(terms).into())
                .await?;
        }
        let convert = ContactCommand::ConvertLead {
            contact_id,
            company_id,
            deal_id,
        };
        self.execute_request(step("convert"), convert.into())
            .await?;
        Ok(Converted {
            contact_id,
            company_id,
            company_created,
            deal_id,
        })
    }

    /// The company a lead's details name: one already there with the same tax id or name,
    /// else the one derived from the lead (and whether it is still to be created).
    fn company_for(&self, lead: ContactId, details: &CompanyDetails) -> (CompanyId, bool) {
        let derived = CompanyId::derived("lead", &lead.to_string());
        let folded = |s: &str| crate::normalize::words(s).join(" ");
        let existing = self.query_unfiltered(|v| {
            let by_tax = details
                .tax_id
                .as_deref()
                .map(|t| v.search.by_tax_id(t))
                .unwrap_or_default();
            let by_name = v
                .search
                .by_name(&details.name)
                .into_iter()
                .filter(|hit| folded(&hit.name) == folded(&details.name));
            by_tax
                .into_iter()
                .chain(by_name)
                .find_map(|hit| match hit.customer {
                    CustomerId::Company(id) => Some(id),
                    CustomerId::Contact(_) => None,
                })
        });
        match existing {
            Some(id) => (id, false),
            // Created by an earlier, interrupted conversion of this lead: not found by name
            // only if its name changed since.
            None => (
                derived,
                !self.query_unfiltered(|v| v.cards.company(derived).is_some()),
            ),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn deal_terms(
        &self,
        lead: &Contact,
        map: &ConversionMap,
        pipeline: &str,
        customer: CustomerId,
        company: Option<&str>,
        owner: UserId,
        request: &Request,
    ) -> Result<DealTerms, Error> {
        let currency = map
            .currency
            .ok_or_else(|| invalid("a deal needs the map's currency"))?;
        let (pipeline_id, stage_id) = self
            .query_unfiltered(|v| v.deals.stage_named(pipeline, map.stage.as_deref()))
            .map_err(invalid)?;
        let amount = match map.amount.as_ref().and_then(|f| lead.custom_fields.get(f)) {
            Some(text) => crate::csv_import::parse_amount(text, map.decimal_separator)
                .map_err(|e| invalid(format!("the amount {text:?}: {e}")))?,
            None => 0,
        };
        let person = lead.personal.name.full();
        let title = match (&map.title, company) {
            (Some(t), _) => t
                .replace("{company}", company.unwrap_or(&person))
                .replace("{name}", &person),
            (None, Some(c)) => c.to_owned(),
            (None, None) => person,
        };
        let today = request
            .occurred_at
            .unwrap_or_else(|| self.now())
            .with_timezone(&self.options().zone)
            .date_naive();
        Ok(DealTerms {
            deal_id: DealId::derived(
                "lead",
                &lead.id.map(|id| id.to_string()).unwrap_or_default(),
            ),
            pipeline_id,
            stage_id,
            customer,
            title,
            amount: Money::new(amount, currency),
            expected_close: today + chrono::Days::new(u64::from(map.close_in_days)),
            owner,
            source: lead.first_touch.as_ref().map(|t| t.source.clone()),
        })
    }
}

fn invalid(reason: impl Into<String>) -> Error {
    Error::Conversion {
        reason: reason.into(),
    }
}

/// The company the lead's fields name, if they name one.
fn company_details(lead: &Contact, map: &ConversionMap) -> Option<CompanyDetails> {
    let mut details = CompanyDetails::default();
    for (key, field) in &map.company {
        let Some(value) = lead.custom_fields.get(key).map(|v| v.trim()) else {
            continue;
        };
        if value.is_empty() {
            continue;
        }
        let value = value.to_owned();
        match field {
            CompanyField::Name => details.name = value,
            CompanyField::LegalName => details.legal_name = Some(value),
            CompanyField::TaxId => details.tax_id = Some(value),
            CompanyField::Website => details.website = Some(value),
            CompanyField::Email => details.emails.push(value),
            CompanyField::Phone => details.phones.push(Phone::new(value)),
        }
    }
    (!details.name.is_empty()).then_some(details)
}
