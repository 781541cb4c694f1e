//! [`FieldMap`]: which column of a CSV file is which field, and how to read its cells — a
//! library type and a small JSON file, guessed from the headers and printed so that it can be
//! saved and edited.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::details::ConsentChannel;
use crate::normalize::{self, Country};

/// What kind of record each row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// People.
    Contacts,
}

/// What a column of a contacts file holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactField {
    /// The source system's key for the row: the contact's id derives from it.
    Key,
    /// Given name.
    GivenName,
    /// Family name.
    FamilyName,
    /// The whole name in one cell: the last word is the family name.
    Name,
    /// An email address.
    Email,
    /// A phone number (read in the map's `country` without an international prefix).
    Phone,
    /// The date of birth.
    Birthday,
    /// The tax id.
    TaxId,
    /// Street and number.
    Line1,
    /// Floor, door, building.
    Line2,
    /// City.
    City,
    /// Postal code.
    PostalCode,
    /// Region, state or province.
    Region,
    /// Country, as its two-letter code.
    Country,
    /// Tags, separated by the map's `tag_separator`.
    Tags,
    /// Yes or no: consent to marketing on the channel.
    Consent(ConsentChannel),
    /// When the contact was created in the source: the business time of the import's events.
    Created,
    /// Kept as a custom field of this name.
    Custom(String),
    /// Not imported.
    Ignore,
}

/// How to read one CSV file. Field names are the file format: rename nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldMap {
    /// What the rows are.
    pub kind: Kind,
    /// The source system's name ("shopify", "old-crm"): ids derive from it and the row key.
    pub source: String,
    /// Each column, by its header, and what it holds.
    pub columns: BTreeMap<String, ContactField>,
    /// The source's time zone: a date and time without an offset is its local time.
    #[serde(default = "utc")]
    pub zone: chrono_tz::Tz,
    /// How dates are written (a chrono format such as `%m/%d/%Y`); day-first or ISO if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_format: Option<String>,
    /// The country phone numbers without an international prefix are in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<Country>,
    /// What separates tags in one cell.
    #[serde(default = "comma")]
    pub tag_separator: char,
}

fn utc() -> chrono_tz::Tz {
    chrono_tz::UTC
}

fn comma() -> char {
    ','
}

/// The headers shops' exports use for each field, folded (lowercase, no accents, `_` for any
/// run of other characters).
const SYNONYMS: &[(&str, &[&str])] = &[
    (
        "key",
        &[
            "id",
            "key",
            "customer_id",
            "client_id",
            "contact_id",
            "external_id",
            "codigo",
            "code",
            "customer_unique_id",
        ],
    ),
    (
        "email",
        &[
            "email",
            "e_mail",
            "mail",
            "email_address",
            "correo",
            "correo_electronico",
            "courriel",
        ],
    ),
    (
        "phone",
        &[
            "phone",
            "phone_number",
            "telephone",
            "tel",
            "telefono",
            "movil",
            "mobile",
            "cell",
            "celular",
            "telefone",
        ],
    ),
    (
        "given_name",
        &[
            "first_name",
            "firstname",
            "given_name",
            "nombre",
            "vorname",
            "prenom",
            "nome",
        ],
    ),
    (
        "family_name",
        &[
            "last_name",
            "lastname",
            "surname",
            "family_name",
            "apellido",
            "apellidos",
            "nachname",
            "sobrenome",
        ],
    ),
    (
        "name",
        &[
            "name",
            "full_name",
            "customer_name",
            "contact_name",
            "nombre_completo",
            "nome_completo",
        ],
    ),
    (
        "birthday",
        &[
            "birthday",
            "birth_date",
            "birthdate",
            "date_of_birth",
            "dob",
            "fecha_nacimiento",
            "fecha_de_nacimiento",
            "cumpleanos",
        ],
    ),
    (
        "tax_id",
        &[
            "tax_id",
            "vat",
            "vat_number",
            "vat_id",
            "nif",
            "cif",
            "dni",
            "cpf",
            "tax_number",
        ],
    ),
    (
        "line1",
        &[
            "address",
            "address1",
            "address_1",
            "address_line_1",
            "street",
            "direccion",
            "calle",
            "endereco",
        ],
    ),
    ("line2", &["address2", "address_2", "address_line_2"]),
    (
        "city",
        &[
            "city",
            "town",
            "ciudad",
            "localidad",
            "municipio",
            "cidade",
            "customer_city",
        ],
    ),
    (
        "postal_code",
        &[
            "zip",
            "zip_code",
            "zipcode",
            "postal_code",
            "postcode",
            "codigo_postal",
            "cp",
            "cep",
            "customer_zip_code_prefix",
        ],
    ),
    (
        "region",
        &[
            "state",
            "region",
            "province",
            "provincia",
            "estado",
            "customer_state",
        ],
    ),
    ("country", &["country", "country_code", "pais"]),
    ("tags", &["tags", "labels", "etiquetas"]),
    (
        "consent_email",
        &[
            "newsletter",
            "email_consent",
            "accepts_marketing",
            "marketing_consent",
            "accepts_email_marketing",
            "acepta_publicidad",
        ],
    ),
    (
        "consent_sms",
        &["sms_consent", "accepts_sms", "accepts_sms_marketing"],
    ),
    (
        "created",
        &[
            "created",
            "created_at",
            "date_created",
            "signup_date",
            "registered",
            "registered_at",
            "fecha_alta",
        ],
    ),
];

/// A header folded for matching: `E-Mail ` → `e_mail`, `Teléfono` → `telefono`.
pub(crate) fn fold_header(header: &str) -> String {
    normalize::words(header).join("_")
}

fn field_named(name: &str) -> Option<ContactField> {
    Some(match name {
        "key" => ContactField::Key,
        "email" => ContactField::Email,
        "phone" => ContactField::Phone,
        "given_name" => ContactField::GivenName,
        "family_name" => ContactField::FamilyName,
        "name" => ContactField::Name,
        "birthday" => ContactField::Birthday,
        "tax_id" => ContactField::TaxId,
        "line1" => ContactField::Line1,
        "line2" => ContactField::Line2,
        "city" => ContactField::City,
        "postal_code" => ContactField::PostalCode,
        "region" => ContactField::Region,
        "country" => ContactField::Country,
        "tags" => ContactField::Tags,
        "consent_email" => ContactField::Consent(ConsentChannel::Email),
        "consent_sms" => ContactField::Consent(ConsentChannel::Sms),
        "created" => ContactField::Created,
        _ => return None,
    })
}

impl FieldMap {
    /// The map the headers suggest: the usual names in English, Spanish, Portuguese, French
    /// and German for each field; any other column kept as a custom field of its folded name.
    /// Each field is taken once, by the first column that names it.
    pub fn guess(kind: Kind, source: &str, headers: &[String]) -> Self {
        let mut columns = BTreeMap::new();
        let mut taken: Vec<ContactField> = Vec::new();
        for header in headers {
            let folded = fold_header(header);
            let known = SYNONYMS
                .iter()
                .find(|(_, names)| names.contains(&folded.as_str()))
                .and_then(|(name, _)| field_named(name))
                .filter(|f| !taken.contains(f));
            let field = match known {
                Some(f) => {
                    taken.push(f.clone());
                    f
                }
                None if folded.is_empty() => ContactField::Ignore,
                None => ContactField::Custom(folded),
            };
            columns.insert(header.clone(), field);
        }
        Self {
            kind,
            source: source.to_owned(),
            columns,
            zone: chrono_tz::UTC,
            date_format: None,
            country: None,
            tag_separator: ',',
        }
    }

    /// The map as the JSON file it is saved as.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_in_several_languages_are_mapped_and_the_rest_kept_as_custom_fields() {
        let headers: Vec<String> = [
            "Nombre",
            "Apellidos",
            "E-Mail",
            "Teléfono",
            "CP",
            "Notas internas",
            "Correo",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let map = FieldMap::guess(Kind::Contacts, "old-crm", &headers);
        let field = |h: &str| map.columns.get(h).cloned();
        assert_eq!(field("Nombre"), Some(ContactField::GivenName));
        assert_eq!(field("Apellidos"), Some(ContactField::FamilyName));
        assert_eq!(field("E-Mail"), Some(ContactField::Email));
        assert_eq!(field("Teléfono"), Some(ContactField::Phone));
        assert_eq!(field("CP"), Some(ContactField::PostalCode));
        assert_eq!(
            field("Notas internas"),
            Some(ContactField::Custom("notas_internas".into()))
        );
        assert_eq!(
            field("Correo"),
            Some(ContactField::Custom("correo".into())),
            "email is taken"
        );
        let saved: FieldMap =
            serde_json::from_str(&map.to_json()).unwrap_or_else(|_| unreachable!());
        assert_eq!(saved, map);
    }
}
