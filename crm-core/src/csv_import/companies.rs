//! Companies from CSV, and the company a contacts file's row represents.

use std::collections::BTreeSet;

use super::cells::Cells;
use super::field_map::{Field, FieldMap};
use super::records::{owner, Planned};
use super::run::RowError;
use crate::domain::company::CompanyCommand;
use crate::domain::details::{Address, CompanyDetails, Phone, Role};
use crate::ids::{CompanyId, CustomerId};
use crate::normalize::{self, Country};
use crate::projection::Views;

/// A companies file's row: created once, its details and tags brought up to date after.
pub(super) fn company(map: &FieldMap, cells: &Cells, views: &Views) -> Result<Planned, RowError> {
    let key = cells
        .text(&Field::Key)
        .or_else(|| cells.text(&Field::TaxId))
        .ok_or_else(|| cells.whole("no key: map a key or a tax id column"))?;
    let name = cells
        .text(&Field::Name)
        .ok_or_else(|| cells.whole("no name: map the company's name column"))?;
    let details = CompanyDetails {
        name: name.to_owned(),
        legal_name: cells.text(&Field::LegalName).map(str::to_owned),
        tax_id: cells.text(&Field::TaxId).map(str::to_owned),
        website: cells.text(&Field::Website).map(str::to_owned),
        emails: cells
            .read(&Field::Email, |v| match normalize::email_problem(v) {
                Some(problem) => Err(format!("not an email address: {problem}")),
                None => Ok(v.to_owned()),
            })?
            .into_iter()
            .collect(),
        phones: cells
            .read(&Field::Phone, |v| match normalize::phone(v, map.country) {
                Some(_) => Ok(Phone {
                    number: v.to_owned(),
                    country: map.country,
                }),
                None => Err("not a phone number".to_owned()),
            })?
            .into_iter()
            .collect(),
        addresses: address(map, cells)?.into_iter().collect(),
    };
    let tags: BTreeSet<String> = cells
        .text(&Field::Tags)
        .map(|t| {
            t.split(map.tag_separator)
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let company_id = map.company_id(key);
    let existing = views.cards.company(company_id);
    let commands = match &existing {
        None => vec![(
            "create".to_owned(),
            None,
            CompanyCommand::Create {
                company_id,
                details,
                tags,
                owner: cells.text(&Field::Owner).map(|o| owner(map, o)),
            }
            .into(),
        )],
        Some(card) => {
            let mut commands = Vec::new();
            if card.details != details {
                // Named by what they set, so a file changed since runs again and the same
                // file does not.
                let step = format!(
                    "details {}",
                    serde_json::to_string(&details).unwrap_or_default()
                );
                commands.push((
                    step,
                    None,
                    CompanyCommand::UpdateDetails {
                        company_id,
                        details,
                    }
                    .into(),
                ));
            }
            let add: BTreeSet<String> = tags.difference(&card.tags).cloned().collect();
            if !add.is_empty() {
                let step = format!("tags {}", add.iter().cloned().collect::<Vec<_>>().join(","));
                commands.push((
                    step,
                    None,
                    CompanyCommand::ChangeTags {
                        company_id,
                        add,
                        remove: BTreeSet::new(),
                    }
                    .into(),
                ));
            }
            commands
        }
    };
    Ok(Planned {
        key: key.to_owned(),
        at: cells.instant(&Field::Created)?,
        exists: existing.is_some(),
        commands,
    })
}

fn address(map: &FieldMap, cells: &Cells) -> Result<Option<Address>, RowError> {
    let text = |f: &Field| cells.text(f).map(str::to_owned);
    let country = cells.read(&Field::Country, |v| {
        Country::new(v).map_err(|e| format!("not a country code: {e}"))
    })?;
    let address = Address {
        line1: text(&Field::Line1).unwrap_or_default(),
        line2: text(&Field::Line2),
        city: text(&Field::City).unwrap_or_default(),
        postal_code: text(&Field::PostalCode),
        region: text(&Field::Region),
        country: country.or(map.country),
    };
    let any =
        !address.line1.is_empty() || !address.city.is_empty() || address.postal_code.is_some();
    Ok(any.then_some(address))
}

/// The company a contacts file's `company` cell names, and whether it is there: one imported
/// from the same source under that key, else one of that name, else the one to create under
/// the cell as its key.
pub(super) fn represented(map: &FieldMap, cell: &str, views: &Views) -> (CompanyId, bool) {
    let by_key = map.company_id(cell);
    if views.cards.company(by_key).is_some() {
        return (by_key, true);
    }
    let folded = |s: &str| normalize::words(s).join(" ");
    let by_name = views
        .search
        .by_name(cell)
        .into_iter()
        .filter(|hit| folded(&hit.name) == folded(cell))
        .find_map(|hit| match hit.customer {
            CustomerId::Company(id) => Some(id),
            CustomerId::Contact(_) => None,
        });
    match by_name {
        Some(id) => (id, true),
        None => (by_key, false),
    }
}

/// A role as a source writes it.
pub(super) fn role(cell: &str) -> Role {
    match normalize::words(cell).join(" ").as_str() {
        "director" | "owner" | "ceo" | "founder" | "gerente" | "directora" => Role::Director,
        "accountant" | "accounting" | "finance" | "contable" | "contador" => Role::Accountant,
        "lawyer" | "legal" | "abogado" | "abogada" => Role::Lawyer,
        "buyer" | "purchasing" | "procurement" | "compras" | "comprador" | "compradora" => {
            Role::Buyer
        }
        _ => Role::Other(cell.trim().to_owned()),
    }
}
