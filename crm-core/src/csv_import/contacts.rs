//! A row of a contacts file read into the commands it becomes.

use chrono::{DateTime, Utc};

use super::field_map::{Field, FieldMap};
use super::run::RowError;
use super::values::{parse_date, parse_instant, parse_yes};
use crate::domain::contact::{CreateContact, UpdateContact};
use crate::domain::details::{
    Address, ConsentChannel, LeadSource, PersonName, PersonalData, Phone, Role,
};
use crate::ids::{CampaignId, ContactId};
use crate::normalize::{self, Country};

/// A contacts row, read.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ContactRow {
    /// The contact, its id derived from the source and the row's key.
    pub create: CreateContact,
    /// The channels the row says yes to.
    pub consents: Vec<ConsentChannel>,
    /// When the source created it.
    pub created: Option<DateTime<Utc>>,
    /// Where it came from, whether as a lead, and through which campaign.
    pub source: Option<(LeadSource, bool, Option<CampaignId>)>,
    /// The company it represents (its key or name, as the cell says) and in what role.
    pub company: Option<(String, Role)>,
}

/// `record` (row `row` of a file with `headers`) read as `map` says.
pub(crate) fn read(
    map: &FieldMap,
    headers: &[String],
    record: &csv::StringRecord,
    row: u64,
) -> Result<ContactRow, RowError> {
    let bad = |column: &str, value: &str, reason: String| RowError {
        file: None,
        row,
        column: Some(column.to_owned()),
        value: Some(value.to_owned()),
        reason,
    };
    let mut personal = PersonalData::default();
    let mut address = Address::default();
    let mut has_address = false;
    let mut create = CreateContact::default();
    let mut key = None;
    let mut consents = Vec::new();
    let mut created = None;
    let mut full_name = None;
    let mut source = None;
    let mut lead = false;
    let mut campaign = None;
    let mut company = None;
    let mut role = None;
    for (header, cell) in headers.iter().zip(record.iter()) {
        let value = cell.trim();
        if value.is_empty() {
            continue;
        }
        let Some(field) = map.columns.get(header) else {
            continue;
        };
        match field {
            Field::Key => key = Some(value.to_owned()),
            Field::GivenName => personal.name.given = value.to_owned(),
            Field::FamilyName => personal.name.family = value.to_owned(),
            Field::Name => full_name = Some(value.to_owned()),
            Field::Email => {
                if let Some(problem) = normalize::email_problem(value) {
                    return Err(bad(
                        header,
                        value,
                        format!("not an email address: {problem}"),
                    ));
                }
                personal.emails.push(value.to_owned());
            }
            Field::Phone => {
                if normalize::phone(value, map.country).is_none() {
                    return Err(bad(header, value, "not a phone number".into()));
                }
                personal.phones.push(Phone {
                    number: value.to_owned(),
                    country: map.country,
                });
            }
            Field::Birthday => {
                let day = parse_date(value, map.date_format.as_deref())
                    .map_err(|reason| bad(header, value, reason))?;
                personal.birthday = Some(day);
            }
            Field::TaxId => personal.tax_id = Some(value.to_owned()),
            Field::Line1 => (address.line1, has_address) = (value.to_owned(), true),
            Field::Line2 => (address.line2, has_address) = (Some(value.to_owned()), true),
            Field::City => (address.city, has_address) = (value.to_owned(), true),
            Field::PostalCode => {
                (address.postal_code, has_address) = (Some(value.to_owned()), true);
            }
            Field::Region => (address.region, has_address) = (Some(value.to_owned()), true),
            Field::Country => {
                let country = Country::new(value)
                    .map_err(|e| bad(header, value, format!("not a country code: {e}")))?;
                (address.country, has_address) = (Some(country), true);
            }
            Field::Tags => create.tags.extend(
                value
                    .split(map.tag_separator)
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned),
            ),
            Field::Consent(channel) => {
                let yes = parse_yes(value).map_err(|reason| bad(header, value, reason))?;
                consents.extend(yes.then_some(*channel));
            }
            Field::Created => {
                created = Some(parse_instant(value, map.zone).map_err(|r| bad(header, value, r))?);
            }
            Field::Custom(name) => {
                create.custom_fields.insert(name.clone(), value.to_owned());
            }
            Field::Source => source = LeadSource::from_name(value),
            Field::Lead => lead = parse_yes(value).map_err(|reason| bad(header, value, reason))?,
            Field::Campaign => campaign = Some(map.campaign_id(value)),
            Field::Company => company = Some(value.to_owned()),
            Field::Role => role = Some(super::companies::role(value)),
            // Not a contact's: `FieldMap::check` keeps them out of a contacts map.
            _ => {}
        }
    }
    if let Some(full) =
        full_name.filter(|_| personal.name.given.is_empty() && personal.name.family.is_empty())
    {
        // "Ana María García": the last word is the family name.
        let (given, family) = full.rsplit_once(' ').unwrap_or(("", full.as_str()));
        personal.name = PersonName::new(given.trim(), family.trim());
    }
    if has_address {
        address.country = address.country.or(map.country);
        personal.addresses.push(address);
    }
    let key = key
        .or_else(|| personal.emails.first().map(|e| normalize::email(e)))
        .ok_or_else(|| RowError::whole(row, "the row has no key and no email: map a key column"))?;
    if normalize::words(&personal.name.full()).is_empty() {
        // A source without names (a marketplace's anonymised buyers): named after the email,
        // or else the key, so the card can be found and told apart.
        let local = personal.emails.first().and_then(|e| e.split('@').next());
        personal.name = PersonName::new("Customer", local.unwrap_or(&key));
    }
    create.contact_id = map.contact_id(&key);
    create.personal = personal;
    let lead = lead || map.leads;
    let source = match (source, lead, campaign) {
        (Some(s), lead, campaign) => Some((s, lead, campaign)),
        (None, false, None) => None,
        (None, lead, campaign) => Some((LeadSource::Other, lead, campaign)),
    };
    Ok(ContactRow {
        create,
        consents,
        created,
        source,
        company: company.map(|c| (c, role.unwrap_or(Role::Other("contact".into())))),
    })
}

/// What a row changes on an existing contact whose data is `existing`: its name, birthday and
/// tax id where the row has them; its emails, phones and addresses added to those there; its
/// tags added; its custom fields set.
pub(crate) fn update(existing: &PersonalData, row: &ContactRow, id: ContactId) -> UpdateContact {
    let new = &row.create.personal;
    let mut update = UpdateContact::new(id);
    if !new.name.given.is_empty() || !new.name.family.is_empty() {
        update.name = Some(new.name.clone());
    }
    let mut emails = existing.emails.clone();
    for e in &new.emails {
        if !emails
            .iter()
            .any(|x| normalize::email(x) == normalize::email(e))
        {
            emails.push(e.clone());
        }
    }
    update.emails = Some(emails);
    let mut phones = existing.phones.clone();
    for p in &new.phones {
        let keys = normalize::phone(&p.number, p.country);
        if !phones
            .iter()
            .any(|x| normalize::phone(&x.number, x.country) == keys)
        {
            phones.push(p.clone());
        }
    }
    update.phones = Some(phones);
    let mut addresses = existing.addresses.clone();
    for a in &new.addresses {
        if !addresses.contains(a) {
            addresses.push(a.clone());
        }
    }
    update.addresses = Some(addresses);
    if new.birthday.is_some() {
        update.birthday = Some(new.birthday);
    }
    if new.tax_id.is_some() {
        update.tax_id = Some(new.tax_id.clone());
    }
    update.add_tags = row.create.tags.clone();
    update.set_fields = row.create.custom_fields.clone();
    update
}
