//! [`FieldMap`]: which column of a CSV file is which field, and how to read its cells — a
//! library type and a small JSON file, guessed from the headers and printed so that it can be
//! saved and edited.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::details::ConsentChannel;
use crate::domain::order::terms::SalesChannel;
use crate::ids::{CampaignId, CompanyId, ContactId, DealId, FeedbackId, InteractionId, OrderId};
use crate::money::Currency;
use crate::normalize::{self, Country};

/// What kind of record each row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// People: customers and leads.
    Contacts,
    /// Orders: a row per order or per order line (the order's cells repeated or left empty),
    /// with their lines, payments and status history, from one file or three.
    Orders,
    /// Deals in a pipeline, its stage named as the pipeline names it.
    Deals,
    /// Reviews, NPS and effort answers.
    Feedback,
    /// Organizations; their representatives come from a contacts file's `company` column.
    Companies,
    /// Conversations with customers: calls, emails, meetings, chats.
    Interactions,
}

impl Kind {
    /// Whether a column of this kind's files may hold `field`.
    pub fn takes(self, field: &Field) -> bool {
        use Field as F;
        match field {
            F::Key | F::Created | F::Ignore => true,
            F::Customer => !matches!(self, Kind::Contacts | Kind::Companies),
            F::Amount => matches!(self, Kind::Orders | Kind::Deals),
            F::Source => matches!(self, Kind::Contacts | Kind::Deals),
            F::Name
            | F::Email
            | F::Phone
            | F::TaxId
            | F::Line1
            | F::Line2
            | F::City
            | F::PostalCode
            | F::Region
            | F::Country
            | F::Tags => matches!(self, Kind::Contacts | Kind::Companies),
            F::GivenName
            | F::FamilyName
            | F::Birthday
            | F::Consent(_)
            | F::Lead
            | F::Campaign
            | F::Company
            | F::Role
            | F::Custom(_) => self == Kind::Contacts,
            F::LegalName | F::Website => self == Kind::Companies,
            F::Channel | F::Direction | F::Duration => self == Kind::Interactions,
            F::Owner => matches!(self, Kind::Deals | Kind::Companies | Kind::Interactions),
            F::Title => matches!(self, Kind::Deals | Kind::Interactions),
            F::Comment => matches!(self, Kind::Feedback | Kind::Interactions),
            F::Status
            | F::Approved
            | F::Shipped
            | F::Delivered
            | F::Cancelled
            | F::PromisedDelivery
            | F::Carrier
            | F::Tracking
            | F::Product
            | F::ProductName
            | F::Category
            | F::Quantity
            | F::UnitPrice
            | F::Tax
            | F::Shipping
            | F::LineShipping
            | F::Sequence
            | F::Method => self == Kind::Orders,
            F::Pipeline | F::Stage | F::ExpectedClose | F::Won | F::Lost | F::LostReason => {
                self == Kind::Deals
            }
            F::Order | F::Score => self == Kind::Feedback,
        }
    }
}

/// What a column holds. Which fields a kind of file takes: [`Kind::takes`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// The source system's key for the row's record: its id derives from it. In an orders
    /// file, the order's key (on every line of it).
    Key,
    /// When the source made the record (a contact's sign-up, an order's purchase, a deal's
    /// opening, a review's date): the business time of the events it becomes.
    Created,
    /// The key of the row's customer among the contacts imported from the same source (an
    /// order's buyer, a deal's contact, a review's author). A deals file without it names each
    /// deal's contact by the deal's own key (a lead's deal, keyed by the lead).
    Customer,
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
    /// Where the contact or deal came from: one of crm's sources (`organic_search`,
    /// `paid_search`, `social`, `email`, `referral`, `web`, `phone`, `marketplace`) or else
    /// the source system's own name for it, kept as it is.
    Source,
    /// Yes or no: the contact is a lead (not yet a customer).
    Lead,
    /// The key of the campaign (of the same source) the contact came through.
    Campaign,
    /// Kept as a custom field of this name.
    Custom(String),
    /// The company a contact represents: its key among the companies imported from the same
    /// source, or its name (a company of that name is created if there is none).
    Company,
    /// The contact's role at the company: `director`, `accountant`, `lawyer`, `buyer`, or any
    /// other word, kept.
    Role,
    /// A company's registered name.
    LegalName,
    /// A company's website.
    Website,
    /// How a conversation happened: `call`, `email`, `meeting`, `chat`, `messenger`,
    /// `social`, `sms` or `web_form`.
    Channel,
    /// Who started it: `inbound` (the customer) or `outbound` (the shop).
    Direction,
    /// How long it lasted, in seconds or as `h:mm:ss` / `m:ss`.
    Duration,
    /// An order's status in the source (`cancelled`/`canceled`, `unavailable`, …): an order
    /// cancelled or unavailable before it shipped is cancelled.
    Status,
    /// When the order was approved: its checks passed (and, paid in full, its preparation
    /// started); a payment without a time of its own is received then.
    Approved,
    /// When the order was handed to the carrier.
    Shipped,
    /// When it reached the customer.
    Delivered,
    /// When it was cancelled.
    Cancelled,
    /// The delivery date promised to the customer.
    PromisedDelivery,
    /// The carrier's name.
    Carrier,
    /// The carrier's tracking number.
    Tracking,
    /// A line's product id (SKU).
    Product,
    /// A line's product name.
    ProductName,
    /// A line's product category.
    Category,
    /// A line's quantity (1 if absent): lines of one order with the same product and price
    /// are added up.
    Quantity,
    /// A line's unit price.
    UnitPrice,
    /// A line's tax.
    Tax,
    /// The order's shipping charge, once per order (the first row that has it).
    Shipping,
    /// A line's share of the shipping charge: the order's is their sum.
    LineShipping,
    /// A payment's place among the order's payments.
    Sequence,
    /// An amount: a payment of an order, or a deal's value.
    Amount,
    /// How a payment was made (`card`, `credit_card`, `boleto`, `voucher`, `transfer`, …).
    Method,
    /// A deal's title, or a conversation's subject.
    Title,
    /// A deal's pipeline, by name.
    Pipeline,
    /// A deal's stage, by its name in the pipeline.
    Stage,
    /// A deal's or a company's owner, or who handled a conversation: a user's email or the
    /// source's key for the salesperson.
    Owner,
    /// When a deal is expected to close.
    ExpectedClose,
    /// When a deal was won.
    Won,
    /// When a deal was lost.
    Lost,
    /// Why a deal was lost: one of the pipeline's reasons.
    LostReason,
    /// The key of the order (of the same source) a review is of.
    Order,
    /// A review's stars (1 to 5).
    Score,
    /// What the customer wrote, or what a conversation was about.
    Comment,
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
    pub columns: BTreeMap<String, Field>,
    /// The source's time zone: a date and time without an offset is its local time.
    #[serde(default = "utc")]
    pub zone: chrono_tz::Tz,
    /// How dates are written (a chrono format such as `%m/%d/%Y`); day-first or ISO if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_format: Option<String>,
    /// The country phone numbers without an international prefix are in, and addresses
    /// without a country column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<Country>,
    /// What separates tags in one cell.
    #[serde(default = "comma")]
    pub tag_separator: char,
    /// The currency of amounts (an ISO 4217 code), for orders and deals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
    /// What separates the units from the cents in amounts: `.` (`1234.50`, the default;
    /// `,` is then a thousands separator) or `,` (`1.234,50`).
    #[serde(default = "point")]
    pub decimal_separator: char,
    /// Where an orders file's orders were sold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sales_channel: Option<SalesChannel>,
    /// Every row of a contacts file is a lead (a file of marketing-qualified leads).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub leads: bool,
    /// The pipeline, by name, of a deals file's deals whose row names none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline: Option<String>,
}

fn utc() -> chrono_tz::Tz {
    chrono_tz::UTC
}

fn comma() -> char {
    ','
}

fn point() -> char {
    '.'
}

/// The headers shops' exports use for each field, folded (lowercase, no accents, `_` for any
/// run of other characters).
const SYNONYMS: &[(&str, &[&str])] = &[
    // References to other records come first: in a file whose kind takes no such reference,
    // the same header falls through to the row's own key (an orders file's `order_id`).
    (
        "order",
        &["order_id", "order", "order_number", "order_key", "pedido"],
    ),
    (
        "company",
        &[
            "company",
            "company_name",
            "company_id",
            "account",
            "account_name",
            "organization",
            "organisation",
            "empresa",
            "compania",
        ],
    ),
    (
        "customer",
        &[
            "customer_id",
            "customer",
            "client_id",
            "contact_id",
            "customer_key",
            "cliente",
        ],
    ),
    (
        "key",
        &[
            "id",
            "key",
            "order_id",
            "order_number",
            "deal_id",
            "review_id",
            "company_id",
            "interaction_id",
            "activity_id",
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
            "company_name",
            "company",
            "account_name",
            "organization",
            "organisation",
            "empresa",
            "compania",
        ],
    ),
    (
        "legal_name",
        &["legal_name", "registered_name", "razon_social"],
    ),
    (
        "website",
        &[
            "website",
            "web",
            "url",
            "site",
            "homepage",
            "sitio_web",
            "pagina_web",
        ],
    ),
    (
        "role",
        &["role", "job_title", "position", "cargo", "puesto"],
    ),
    (
        "channel",
        &[
            "channel",
            "type",
            "activity_type",
            "medium",
            "canal",
            "tipo",
        ],
    ),
    ("direction", &["direction", "sentido"]),
    (
        "duration",
        &["duration", "duration_seconds", "call_duration", "duracion"],
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
        "source",
        &["source", "lead_source", "origin", "origen", "origem"],
    ),
    ("lead", &["lead", "is_lead"]),
    (
        "campaign",
        &["campaign", "campaign_id", "campana", "utm_campaign"],
    ),
    (
        "status",
        &[
            "status",
            "order_status",
            "estado_pedido",
            "financial_status",
        ],
    ),
    ("approved", &["approved_at", "order_approved_at", "paid_at"]),
    (
        "shipped",
        &["shipped_at", "fulfilled_at", "order_delivered_carrier_date"],
    ),
    (
        "delivered",
        &["delivered_at", "order_delivered_customer_date"],
    ),
    ("cancelled", &["cancelled_at", "canceled_at"]),
    (
        "promised_delivery",
        &[
            "estimated_delivery",
            "order_estimated_delivery_date",
            "promised_delivery",
        ],
    ),
    ("carrier", &["carrier", "shipping_carrier", "transportista"]),
    (
        "tracking",
        &["tracking", "tracking_number", "tracking_code"],
    ),
    (
        "product",
        &["product_id", "sku", "lineitem_sku", "product", "referencia"],
    ),
    (
        "product_name",
        &["product_name", "lineitem_name", "item_name", "producto"],
    ),
    ("category", &["category", "product_category", "categoria"]),
    (
        "quantity",
        &[
            "quantity",
            "qty",
            "lineitem_quantity",
            "cantidad",
            "quantidade",
        ],
    ),
    (
        "unit_price",
        &["price", "unit_price", "lineitem_price", "precio", "preco"],
    ),
    ("tax", &["tax", "taxes", "vat_amount", "iva", "impuestos"]),
    ("shipping", &["shipping", "shipping_cost", "envio", "frete"]),
    ("line_shipping", &["freight_value", "line_shipping"]),
    ("sequence", &["payment_sequential", "payment_sequence"]),
    (
        "amount",
        &[
            "amount",
            "payment_value",
            "value",
            "importe",
            "valor",
            "deal_value",
        ],
    ),
    (
        "method",
        &["payment_method", "payment_type", "method", "forma_de_pago"],
    ),
    (
        "title",
        &[
            "title",
            "deal_name",
            "subject",
            "titulo",
            "asunto",
            "assunto",
        ],
    ),
    ("pipeline", &["pipeline", "embudo"]),
    ("stage", &["stage", "deal_stage", "etapa", "fase"]),
    (
        "owner",
        &[
            "owner",
            "sales_rep",
            "salesperson",
            "sr_id",
            "comercial",
            "handled_by",
            "agent",
            "assigned_to",
        ],
    ),
    (
        "expected_close",
        &["expected_close", "close_date", "fecha_cierre"],
    ),
    ("won", &["won_at", "won_date", "date_won"]),
    ("lost", &["lost_at", "lost_date", "date_lost"]),
    (
        "lost_reason",
        &["lost_reason", "reason_lost", "motivo_perdida"],
    ),
    (
        "score",
        &[
            "score",
            "rating",
            "stars",
            "review_score",
            "puntuacion",
            "nota",
        ],
    ),
    (
        "comment",
        &[
            "comment",
            "review",
            "review_comment_message",
            "comentario",
            "summary",
            "notes",
            "description",
            "resumen",
        ],
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
            "order_date",
            "placed_at",
            "order_purchase_timestamp",
            "review_creation_date",
            "first_contact_date",
            "date",
            "fecha",
        ],
    ),
];

/// A header folded for matching: `E-Mail ` → `e_mail`, `Teléfono` → `telefono`.
pub(crate) fn fold_header(header: &str) -> String {
    normalize::words(header).join("_")
}

fn field_named(name: &str) -> Option<Field> {
    Some(match name {
        "key" => Field::Key,
        "email" => Field::Email,
        "phone" => Field::Phone,
        "given_name" => Field::GivenName,
        "family_name" => Field::FamilyName,
        "name" => Field::Name,
        "birthday" => Field::Birthday,
        "tax_id" => Field::TaxId,
        "line1" => Field::Line1,
        "line2" => Field::Line2,
        "city" => Field::City,
        "postal_code" => Field::PostalCode,
        "region" => Field::Region,
        "country" => Field::Country,
        "tags" => Field::Tags,
        "consent_email" => Field::Consent(ConsentChannel::Email),
        "consent_sms" => Field::Consent(ConsentChannel::Sms),
        "created" => Field::Created,
        "order" => Field::Order,
        "customer" => Field::Customer,
        "source" => Field::Source,
        "lead" => Field::Lead,
        "campaign" => Field::Campaign,
        "status" => Field::Status,
        "approved" => Field::Approved,
        "shipped" => Field::Shipped,
        "delivered" => Field::Delivered,
        "cancelled" => Field::Cancelled,
        "promised_delivery" => Field::PromisedDelivery,
        "carrier" => Field::Carrier,
        "tracking" => Field::Tracking,
        "product" => Field::Product,
        "product_name" => Field::ProductName,
        "category" => Field::Category,
        "quantity" => Field::Quantity,
        "unit_price" => Field::UnitPrice,
        "tax" => Field::Tax,
        "shipping" => Field::Shipping,
        "line_shipping" => Field::LineShipping,
        "sequence" => Field::Sequence,
        "amount" => Field::Amount,
        "method" => Field::Method,
        "title" => Field::Title,
        "pipeline" => Field::Pipeline,
        "stage" => Field::Stage,
        "owner" => Field::Owner,
        "expected_close" => Field::ExpectedClose,
        "won" => Field::Won,
        "lost" => Field::Lost,
        "lost_reason" => Field::LostReason,
        "score" => Field::Score,
        "comment" => Field::Comment,
        "company" => Field::Company,
        "role" => Field::Role,
        "legal_name" => Field::LegalName,
        "website" => Field::Website,
        "channel" => Field::Channel,
        "direction" => Field::Direction,
        "duration" => Field::Duration,
        _ => return None,
    })
}

impl FieldMap {
    /// The map the headers suggest: the usual names in English, Spanish, Portuguese, French
    /// and German for each field; any other column kept as a custom field of its folded name.
    /// Each field is taken once, by the first column that names it; a header met again (an
    /// orders file's key in its lines and payments files) is the same column. A column a
    /// contacts file does not recognise is kept as a custom field; in other kinds it is
    /// ignored.
    pub fn guess(kind: Kind, source: &str, headers: &[String]) -> Self {
        let mut columns = BTreeMap::new();
        let mut taken: Vec<Field> = Vec::new();
        for header in headers {
            if columns.contains_key(header) {
                continue;
            }
            let folded = fold_header(header);
            let known = SYNONYMS
                .iter()
                .filter(|(_, names)| names.contains(&folded.as_str()))
                .filter_map(|(name, _)| field_named(name))
                .find(|f| kind.takes(f) && !taken.contains(f));
            let field = match known {
                Some(f) => {
                    taken.push(f.clone());
                    f
                }
                None if folded.is_empty() || kind != Kind::Contacts => Field::Ignore,
                None => Field::Custom(folded),
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
            currency: None,
            decimal_separator: '.',
            sales_channel: None,
            leads: false,
            pipeline: None,
        }
    }

    /// Whether this map can be used: every field is one its kind takes, the decimal separator
    /// is `.` or `,`, and a kind with amounts names their currency.
    pub fn check(&self) -> Result<(), String> {
        if let Some((header, field)) = self.columns.iter().find(|(_, f)| !self.kind.takes(f)) {
            return Err(format!(
                "column {header:?}: a {:?} file has no field {field:?}",
                self.kind
            ));
        }
        if !matches!(self.decimal_separator, '.' | ',') {
            return Err("the decimal separator is `.` or `,`".into());
        }
        if matches!(self.kind, Kind::Orders | Kind::Deals) && self.currency.is_none() {
            return Err("amounts need their currency: set the map's \"currency\"".into());
        }
        Ok(())
    }

    /// The contact that the key `key` names in this map's source: an import's ids derive
    /// from the source and the key, so other files (and programs) can name the same records.
    pub fn contact_id(&self, key: &str) -> ContactId {
        ContactId::derived(&self.namespace(), key.trim())
    }

    /// The campaign that `key` names in this map's source.
    pub fn campaign_id(&self, key: &str) -> CampaignId {
        CampaignId::derived(&self.namespace(), key.trim())
    }

    /// The order that `key` names in this map's source.
    pub fn order_id(&self, key: &str) -> OrderId {
        OrderId::derived(&self.namespace(), key.trim())
    }

    /// The deal that `key` names in this map's source.
    pub fn deal_id(&self, key: &str) -> DealId {
        DealId::derived(&self.namespace(), key.trim())
    }

    /// The company that `key` names in this map's source.
    pub fn company_id(&self, key: &str) -> CompanyId {
        CompanyId::derived(&self.namespace(), key.trim())
    }

    /// The conversation that `key` names in this map's source.
    pub fn interaction_id(&self, key: &str) -> InteractionId {
        InteractionId::derived(&self.namespace(), key.trim())
    }

    /// The review or answer that `key` names in this map's source.
    pub fn feedback_id(&self, key: &str) -> FeedbackId {
        FeedbackId::derived(&self.namespace(), key.trim())
    }

    /// What ids derive from, and the import's actor names: `csv:<source>`.
    pub(crate) fn namespace(&self) -> String {
        format!("csv:{}", self.source)
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
        assert_eq!(field("Nombre"), Some(Field::GivenName));
        assert_eq!(field("Apellidos"), Some(Field::FamilyName));
        assert_eq!(field("E-Mail"), Some(Field::Email));
        assert_eq!(field("Teléfono"), Some(Field::Phone));
        assert_eq!(field("CP"), Some(Field::PostalCode));
        assert_eq!(
            field("Notas internas"),
            Some(Field::Custom("notas_internas".into()))
        );
        assert_eq!(
            field("Correo"),
            Some(Field::Custom("correo".into())),
            "email is taken"
        );
        let saved: FieldMap =
            serde_json::from_str(&map.to_json()).unwrap_or_else(|_| unreachable!());
        assert_eq!(saved, map);
    }
}
