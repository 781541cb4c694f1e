//! `Crm::convert_lead`: a web-form lead becomes the company it named and a deal in the
//! pipeline, in one call, with a map of its form fields; converting again writes nothing; a
//! second lead from a company already there is linked to it, not given a copy; a map that
//! cannot make the deal writes nothing; and the card keeps the lead's history.
#![allow(clippy::unwrap_used)] // Tests fail loudly.

mod support;

use crm::domain::contact::{ContactCommand, UpdateContact};
use crm::domain::details::{LeadSource, Role};
use crm::domain::interaction::Channel;
use crm::ids::{ContactId, CustomerId};
use crm::lead_conversion::ConversionMap;
use crm::store::EventStore;
use crm::{Crm, Error, InboundMessage, MemoryStore, Request};

fn form(id: &str, email: &str, fields: &[(&str, &str)]) -> (InboundMessage, UpdateContact) {
    let message = InboundMessage {
        message_id: id.into(),
        channel: Channel::WebForm,
        from_email: Some(email.into()),
        from_phone: None,
        name: Some(crm::domain::details::PersonName::new("Marta", "Gil")),
        subject: "Quote for 40 chairs".into(),
        summary: Some("For our new office in Valencia".into()),
        handled_by: None,
        outcome: None,
        source: LeadSource::OrganicSearch,
        campaign: None,
    };
    let mut update = UpdateContact::new(message.lead_id());
    update.set_fields = fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    (message, update)
}

/// A lead from the web form: the message logged, the form's fields on the contact.
async fn lead(crm: &Crm<MemoryStore>, id: &str, email: &str, fields: &[(&str, &str)]) -> ContactId {
    let (message, fields) = form(id, email, fields);
    let lead = message.lead_id();
    let captured = crm
        .log_inbound(Request::by(support::manager()), message)
        .await
        .unwrap();
    assert!(captured.new_lead);
    crm.execute(&support::manager(), ContactCommand::Update(fields))
        .await
        .unwrap();
    lead
}

fn map() -> ConversionMap {
    serde_json::from_str(
        r#"{
            "company": {"empresa": "name", "cif": "tax_id", "web": "website"},
            "role": "buyer",
            "pipeline": "wholesale",
            "stage": "Qualified",
            "amount": "presupuesto",
            "currency": "EUR",
            "decimal_separator": ",",
            "title": "{company}: chairs",
            "close_in_days": 14
        }"#,
    )
    .unwrap()
}

async fn log_length(crm: &Crm<MemoryStore>) -> usize {
    crm.store().read_all(1, 10_000).await.unwrap().len()
}

#[tokio::test]
async fn a_web_form_lead_becomes_its_company_and_a_deal_and_keeps_its_history() {
    let (crm, _) = support::fresh();
    support::sales::setup(&crm).await;
    let marta = lead(
        &crm,
        "form-1",
        "marta@oficinas.example",
        &[
            ("empresa", "Oficinas Gil"),
            ("cif", "B12345678"),
            ("presupuesto", "2.400,50"),
            ("web", "oficinas.example"),
        ],
    )
    .await;
    let request = || Request::by(support::manager());
    let converted = crm
        .convert_lead(request(), marta, &map(), None)
        .await
        .unwrap();
    assert!(converted.company_created);
    let (company, deal) = (converted.company_id.unwrap(), converted.deal_id.unwrap());
    let views = crm.query_unfiltered(crm::projection::Views::clone);
    let record = views.deals.deal(deal).unwrap();
    assert_eq!(record.terms.customer, CustomerId::Company(company));
    assert_eq!(record.terms.amount, support::sales::money(240_050, "EUR"));
    assert_eq!(record.terms.title, "Oficinas Gil: chairs");
    assert_eq!(record.terms.owner, support::user(1), "the acting user");
    assert_eq!(record.terms.source, Some(LeadSource::OrganicSearch));
    assert_eq!(record.terms.stage_id, crm::testing::sales::stage_ids()[1]);
    assert_eq!(
        record.terms.expected_close,
        chrono::NaiveDate::from_ymd_opt(2026, 3, 16).unwrap(),
        "14 days after 2 March"
    );
    let card = views.contact_card(marta, support::start()).unwrap();
    assert_eq!(card.companies[0].name, "Oficinas Gil");
    assert_eq!(card.companies[0].role, Role::Buyer);
    assert_eq!(
        card.activity.interactions.len(),
        1,
        "the form's message stays"
    );
    let text = card.to_string();
    assert!(
        text.contains("source       organic search\n"),
        "no longer \"still a lead\": {text}"
    );
    assert!(
        text.contains("into company \"Oficinas Gil\" and deal \"Oficinas Gil: chairs\""),
        "{text}"
    );
    let company_card = views.company_card(company, support::start()).unwrap();
    assert_eq!(company_card.details.tax_id.as_deref(), Some("B12345678"));
    assert_eq!(company_card.open_deals.len(), 1);

    // Again: the same conversion, nothing written.
    let length = log_length(&crm).await;
    let again = crm
        .convert_lead(request(), marta, &map(), None)
        .await
        .unwrap();
    assert_eq!(
        (again.company_id, again.deal_id),
        (Some(company), Some(deal))
    );
    assert_eq!(log_length(&crm).await, length);

    // A colleague writes in: the company is the one already there, by its tax id.
    let pablo = lead(
        &crm,
        "form-2",
        "pablo@oficinas.example",
        &[("empresa", "Oficinas Gil S.L."), ("cif", "b-12345678")],
    )
    .await;
    let second = crm
        .convert_lead(request(), pablo, &map(), None)
        .await
        .unwrap();
    assert_eq!(second.company_id, Some(company));
    assert!(!second.company_created);
    let reps = crm.query_unfiltered(|v| {
        v.company_card(company, support::start())
            .unwrap()
            .representatives
            .len()
    });
    assert_eq!(reps, 2);
}

#[tokio::test]
async fn a_conversion_the_map_cannot_make_writes_nothing() {
    let (crm, _) = support::fresh();
    support::sales::setup(&crm).await;
    let marta = lead(
        &crm,
        "form-1",
        "marta@oficinas.example",
        &[("empresa", "Oficinas Gil")],
    )
    .await;
    let length = log_length(&crm).await;
    let nowhere = ConversionMap {
        pipeline: Some("Retail".into()),
        ..map()
    };
    let refused = crm
        .convert_lead(Request::by(support::manager()), marta, &nowhere, None)
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::Conversion { .. }), "{refused}");
    assert!(
        refused.to_string().contains("no pipeline \"Retail\""),
        "{refused}"
    );
    assert_eq!(log_length(&crm).await, length, "no company left behind");

    // Someone who did not arrive as a lead is not converted.
    let refused = crm
        .convert_lead(
            Request::by(support::manager()),
            support::contact(1),
            &map(),
            None,
        )
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("did not arrive as a lead"),
        "{refused}"
    );
}

#[tokio::test]
async fn an_amount_that_does_not_read_or_a_deal_without_a_currency_is_refused_with_nothing_written()
{
    let (crm, _) = support::fresh();
    support::sales::setup(&crm).await;
    let marta = lead(
        &crm,
        "form-1",
        "marta@oficinas.example",
        &[("empresa", "Oficinas Gil"), ("presupuesto", "dos mil")],
    )
    .await;
    let length = log_length(&crm).await;
    let convert = |map: ConversionMap| {
        let crm = &crm;
        async move {
            crm.convert_lead(Request::by(support::manager()), marta, &map, None)
                .await
                .unwrap_err()
                .to_string()
        }
    };
    let unreadable = convert(map()).await;
    assert!(
        unreadable.contains("the amount \"dos mil\""),
        "{unreadable}"
    );
    let no_currency = convert(ConversionMap {
        currency: None,
        ..map()
    })
    .await;
    assert!(
        no_currency.contains("needs the map's currency"),
        "{no_currency}"
    );
    assert_eq!(log_length(&crm).await, length);
}
