//! Contacts from a CSV export with the awkward parts of real ones — a byte-order mark, CRLF
//! line ends, `;` separators, a cell with a line break, empty cells, a duplicated row, a
//! second row for the same email, local times, and a bad date on row 4,312 — against
//! hand-computed outcomes; a dry run writes nothing; a real run stops at the bad row with
//! everything before it imported and resumes after it; importing the file again changes
//! nothing.
#![allow(clippy::unwrap_used)] // Tests fail loudly.

mod support;

use crm::csv_import::{headers, Duplicates, Field, FieldMap, ImportOptions, Kind};
use crm::domain::details::ConsentChannel;
use crm::event::Actor;
use crm::ids::{ContactId, ImportId};
use crm::store::EventStore;

const LAST_ROW: u64 = 4_401; // 4 400 data rows under the header

/// Row `r` of the export, as its cells.
fn cells(r: u64) -> Vec<String> {
    let key = if r == 100 { 99 } else { r }; // row 100 repeats row 99
    let email = if r == 200 { 150 } else { key }; // row 200: another key, row 150's email
    let birthday = if r == 4_312 {
        "31/02/1990".to_owned() // no such day
    } else {
        format!(
            "{:02}/{:02}/19{}",
            1 + key % 28,
            1 + key % 12,
            50 + key % 50
        )
    };
    let notes = match key % 10 {
        0 => String::new(),                                  // an empty cell
        3 => format!("llamar \"por la tarde\"\r\nnota {r}"), // quotes and a line break
        _ => format!("nota {key}"),
    };
    vec![
        format!("C{key}"),
        format!("Cliente{key}"),
        format!("García {key}"),
        format!("cliente{email}@example.com"),
        if key % 7 == 0 {
            String::new()
        } else {
            format!("+34 600 {:06}", key)
        },
        birthday,
        if key % 2 == 0 { "sí" } else { "no" }.to_owned(),
        "2026-03-01 10:00:00".to_owned(),
        notes,
    ]
}

fn export() -> Vec<u8> {
    let quote = |c: &str| {
        if c.contains([';', '"', '\n', '\r']) {
            format!("\"{}\"", c.replace('"', "\"\""))
        } else {
            c.to_owned()
        }
    };
    let mut text = String::from("\u{feff}Código;Nombre;Apellidos;E-Mail;Teléfono;Fecha de nacimiento;Newsletter;Fecha alta;Notas\r\n");
    for r in 2..=LAST_ROW {
        let row: Vec<String> = cells(r).iter().map(|c| quote(c)).collect();
        text.push_str(&row.join(";"));
        text.push_str("\r\n");
    }
    text.into_bytes()
}

fn map(file: &[u8]) -> FieldMap {
    let mut map = FieldMap::guess(Kind::Contacts, "old-crm", &headers(file).unwrap());
    map.zone = chrono_tz::Europe::Madrid;
    map
}

fn import_id() -> ImportId {
    ImportId::from_uuid(uuid::Uuid::from_u128(0x1111))
}

#[tokio::test]
async fn an_awkward_export_is_checked_imported_up_to_its_bad_row_resumed_and_reimported_as_a_no_op()
{
    let file = export();
    let map = map(&file);
    assert_eq!(map.columns["Código"], Field::Key);
    assert_eq!(map.columns["Fecha de nacimiento"], Field::Birthday);
    assert_eq!(
        map.columns["Newsletter"],
        Field::Consent(ConsentChannel::Email)
    );
    assert_eq!(map.columns["Fecha alta"], Field::Created);
    assert_eq!(map.columns["Notas"], Field::Custom("notas".into()));
    let (crm, _) = support::fresh();

    // The dry run: every row read, one bad, nothing written.
    let dry = ImportOptions {
        dry_run: true,
        ..ImportOptions::new(import_id())
    };
    let checked = crm.import_csv(&file, &map, &dry).await.unwrap();
    assert_eq!(checked.rows, 4_400);
    assert_eq!(checked.errors.len(), 1);
    assert_eq!(
        checked.errors[0].to_string(),
        "row 4312, column \"Fecha de nacimiento\", value \"31/02/1990\": not a date (YYYY-MM-DD or DD/MM/YYYY; say another form in the map)"
    );
    // 4 400 rows: one bad, one repeating row 99, one with row 150's email.
    assert_eq!(
        (
            checked.created,
            checked.unchanged,
            checked.duplicates_skipped
        ),
        (4_397, 1, 1)
    );
    assert_eq!(
        crm.store().read_all(0, 10).await.unwrap().len(),
        0,
        "a dry run writes nothing"
    );

    // The real run stops at row 4 312 with everything before it in.
    let run = crm
        .import_csv(&file, &map, &ImportOptions::new(import_id()))
        .await
        .unwrap();
    assert_eq!(run.stopped_at, Some(4_312));
    assert_eq!(
        (run.created, run.unchanged, run.duplicates_skipped),
        (4_308, 1, 1)
    );
    let before = crm.query_unfiltered(|v| v.cards.len());
    assert_eq!(before, 4_308);
    let resume = ImportOptions {
        from_row: 4_313,
        ..ImportOptions::new(import_id())
    };
    let rest = crm.import_csv(&file, &map, &resume).await.unwrap();
    assert_eq!((rest.created, rest.stopped_at), (4_401 - 4_313 + 1, None));
    assert_eq!(crm.query_unfiltered(|v| v.cards.len()), 4_397);

    // What a row became: its cells, its consent, its local time, its row in the metadata.
    let id = ContactId::derived("csv:old-crm", "C13");
    let card = crm.query_unfiltered(|v| v.cards.contact(id)).unwrap();
    assert_eq!(card.personal.emails, ["cliente13@example.com"]);
    assert_eq!(
        card.custom_fields["notas"],
        "llamar \"por la tarde\"\r\nnota 13"
    );
    assert!(card.consent.is_empty(), "13 said no");
    let log = crm.store().read_all(0, usize::MAX).await.unwrap();
    let created = log.iter().find(|e| e.stream == id.into()).unwrap();
    assert_eq!(
        created.occurred_at.to_rfc3339(),
        "2026-03-01T09:00:00+00:00",
        "10:00 in Madrid"
    );
    let from = created.metadata.import.unwrap();
    assert_eq!((from.import_id, from.row), (import_id(), 13));
    assert!(matches!(&created.metadata.actor, Actor::Import { source } if source == "csv:old-crm"));
    let twelve = crm
        .query_unfiltered(|v| v.cards.contact(ContactId::derived("csv:old-crm", "C12")))
        .unwrap();
    assert!(
        twelve.consent.contains(&ConsentChannel::Email),
        "12 said sí"
    );

    // The same file again, bad row set aside: nothing new.
    let events = log.len();
    let again = ImportOptions {
        set_aside_bad_rows: true,
        ..ImportOptions::new(ImportId::from_uuid(uuid::Uuid::from_u128(0x2222)))
    };
    let second = crm.import_csv(&file, &map, &again).await.unwrap();
    assert_eq!(
        (
            second.created,
            second.updated,
            second.unchanged,
            second.duplicates_skipped,
            second.errors.len()
        ),
        (0, 0, 4_398, 1, 1)
    );
    assert_eq!(
        crm.store().read_all(0, usize::MAX).await.unwrap().len(),
        events
    );
}

#[tokio::test]
async fn a_duplicate_is_skipped_updates_the_existing_card_or_is_created_as_asked() {
    let file = "id,name,email,phone\n\
                A1,Ana Silva,ana@example.com,+34600111222\n"
        .as_bytes();
    let mut map = map(file);
    map.source = "shop".into();
    for (duplicates, cards, phones) in [
        (Duplicates::Skip, 1, 0),
        (Duplicates::Update, 1, 1),
        (Duplicates::Create, 2, 0),
    ] {
        let (crm, _) = support::fresh();
        let ana = ContactId::from_uuid(uuid::Uuid::from_u128(1));
        let existing =
            crm::domain::contact::CreateContact::new(ana, "Ana", "Silva").email("ANA@example.com");
        crm.execute(
            &Actor::System,
            crm::domain::contact::ContactCommand::Create(existing),
        )
        .await
        .unwrap();
        let options = ImportOptions {
            duplicates,
            ..ImportOptions::new(import_id())
        };
        let done = crm.import_csv(file, &map, &options).await.unwrap();
        assert_eq!(
            crm.query_unfiltered(|v| v.cards.len()),
            cards,
            "{duplicates:?}"
        );
        let on_ana = crm.query_unfiltered(|v| v.cards.contact(ana).unwrap().personal.phones.len());
        assert_eq!(on_ana, phones, "{duplicates:?}");
        let counted = match duplicates {
            Duplicates::Skip => done.duplicates_skipped,
            Duplicates::Update => done.duplicates_updated,
            Duplicates::Create => done.duplicates_created,
        };
        assert_eq!(counted, 1, "{duplicates:?}: {done:?}");
    }
}

#[tokio::test]
async fn a_dry_run_refuses_what_the_deciders_would_refuse_in_the_real_run() {
    // A tax id with no letters or digits: the reader takes the cell, the decider refuses it.
    let file = "id,email,vat\nX1,ana@example.com,---\n".as_bytes();
    let map = map(file);
    let (crm, _) = support::fresh();
    let dry = ImportOptions {
        dry_run: true,
        ..ImportOptions::new(import_id())
    };
    let checked = crm.import_csv(file, &map, &dry).await.unwrap();
    let real = crm
        .import_csv(file, &map, &ImportOptions::new(import_id()))
        .await
        .unwrap();
    assert_eq!(checked.errors.len(), 1, "{checked:?}");
    assert_eq!(
        checked.errors, real.errors,
        "the same refusal, the same row"
    );
    assert_eq!(real.stopped_at, Some(2));
    assert_eq!(crm.query_unfiltered(|v| v.cards.len()), 0);
}

#[tokio::test]
async fn a_row_with_a_cell_too_many_or_an_unclosed_quote_is_named_by_its_row() {
    let file = "id,name,email\n\
                A1,Ana Silva,ana@example.com\n\
                A2,Bea Ruiz,bea@example.com,extra\n\
                A3,\"Carla Díaz,carla@example.com\n"
        .as_bytes();
    let map = map(file);
    let (crm, _) = support::fresh();
    let dry = ImportOptions {
        dry_run: true,
        ..ImportOptions::new(import_id())
    };
    let checked = crm.import_csv(file, &map, &dry).await.unwrap();
    let errors: Vec<String> = checked.errors.iter().map(ToString::to_string).collect();
    assert_eq!(errors[0], "row 3: it has 4 cells, the header 3");
    assert!(errors[1].starts_with("row 4: "), "{errors:?}");
    assert_eq!(checked.created, 1);
    let stopped = crm
        .import_csv(file, &map, &ImportOptions::new(import_id()))
        .await
        .unwrap();
    assert_eq!((stopped.created, stopped.stopped_at), (1, Some(3)));
}

/// Every error's text, for one import.
fn said(summary: &crm::csv_import::ImportSummary) -> Vec<String> {
    summary.errors.iter().map(ToString::to_string).collect()
}

#[tokio::test]
async fn a_bad_cell_in_an_orders_lines_file_is_named_by_file_row_and_column_and_nothing_is_written()
{
    let (crm, _) = support::fresh();
    let orders =
        b"order_id,customer_id,order_date\nO1,C1,2026-03-01 10:00:00\nO2,C1,2026-03-02 10:00:00\n";
    let mut map = FieldMap::guess(
        Kind::Orders,
        "shop",
        &["order_id", "customer_id", "order_date", "sku", "price"].map(String::from),
    );
    map.currency = Some(crm::money::Currency::new("EUR").unwrap());
    let options = ImportOptions::new(import_id());
    let import = |lines: &'static [u8]| {
        let files = crm::csv_import::OrderFiles {
            orders,
            lines: Some(lines),
            payments: None,
        };
        let (crm, map, options) = (&crm, &map, &options);
        async move {
            crm.import_orders_csv(files, map, options, |_| {})
                .await
                .unwrap()
        }
    };
    let three_decimals = import(b"order_id,sku,price\nO2,TEA,1.00\nO1,MUG,12.345\n").await;
    assert_eq!(
        said(&three_decimals),
        ["lines file, row 3, column \"price\", value \"12.345\": more than two decimals"]
    );
    assert_eq!(three_decimals.stopped_at, Some(2), "the order's first row");
    let stranger = import(b"order_id,sku,price\nO1,MUG,12.00\nO9,TEA,1.00\n").await;
    assert_eq!(
        said(&stranger),
        ["lines file, row 3: order \"O9\" is not in the orders file"]
    );
    assert_eq!(crm.store().read_all(1, 100).await.unwrap().len(), 0);
}

#[tokio::test]
async fn deals_and_reviews_that_name_what_is_not_there_are_refused_by_row() {
    let (crm, _) = support::fresh();
    let deals = b"deal_id,customer_id,title,pipeline,stage,amount\n\
                  D1,C1,Chairs,Nowhere,Won,10.00\n";
    let mut map = FieldMap::guess(Kind::Deals, "old-crm", &headers(deals).unwrap());
    map.currency = Some(crm::money::Currency::new("EUR").unwrap());
    let options = ImportOptions {
        set_aside_bad_rows: true,
        ..ImportOptions::new(import_id())
    };
    let done = crm.import_csv(deals, &map, &options).await.unwrap();
    assert_eq!(said(&done), ["row 2: there is no pipeline \"Nowhere\""]);
    let reviews = b"review_id,order_id,score\nR1,O404,5\nR2,O404,five\n";
    let map = FieldMap::guess(Kind::Feedback, "shop", &headers(reviews).unwrap());
    let done = crm.import_csv(reviews, &map, &options).await.unwrap();
    assert_eq!(
        said(&done),
        [
            "row 2: order \"O404\" was not imported",
            "row 3: order \"O404\" was not imported"
        ]
    );
    let map_without_currency = FieldMap::guess(Kind::Deals, "old-crm", &headers(deals).unwrap());
    let refused = crm.import_csv(deals, &map_without_currency, &options).await;
    assert!(refused.is_err_and(|e| e.to_string().contains("currency")));
    assert_eq!(crm.store().read_all(1, 100).await.unwrap().len(), 0);
}

#[tokio::test]
async fn companies_their_representatives_and_conversations_come_in_and_go_again() {
    let (crm, _) = support::fresh();
    let companies = "código;empresa;CIF;web;teléfono;ciudad;etiquetas\n\
                     E1;Oficinas Gil;B12345678;oficinas.example;+34 961 000 111;Valencia;mayorista\n"
        .as_bytes();
    let people = "id,name,email,company,role\n\
                  P1,Marta Gil,marta@oficinas.example,E1,Compras\n\
                  P2,Luis Vera,luis@hotel.example,Hotel Vera,director\n"
        .as_bytes();
    let calls = "id,customer,date,type,direction,duration,subject,notes\n\
                 L1,P1,2026-03-03 10:15:00,llamada,saliente,4:05,Quote,\"Wants 40 chairs,\nby April\"\n\
                 L2,E1,2026-03-04 09:00:00,email,inbound,,Invoice,\n\
                 L3,P9,2026-03-04 09:30:00,call,inbound,,Who?,\n"
        .as_bytes();
    let guess = |kind, file: &[u8]| {
        let mut map = FieldMap::guess(kind, "old-crm", &headers(file).unwrap());
        map.zone = chrono_tz::Europe::Madrid;
        map
    };
    let companies_map = guess(Kind::Companies, companies);
    assert_eq!(companies_map.columns["empresa"], Field::Name);
    assert_eq!(companies_map.columns["CIF"], Field::TaxId);
    let people_map = guess(Kind::Contacts, people);
    assert_eq!(people_map.columns["company"], Field::Company);
    let calls_map = guess(Kind::Interactions, calls);
    assert_eq!(calls_map.columns["type"], Field::Channel);
    assert_eq!(calls_map.columns["notes"], Field::Comment);
    let options = |n: u128| ImportOptions {
        set_aside_bad_rows: true,
        ..ImportOptions::new(ImportId::from_uuid(uuid::Uuid::from_u128(0x2000 + n)))
    };

    let done = crm
        .import_csv(companies, &companies_map, &options(1))
        .await
        .unwrap();
    assert_eq!((done.created, done.errors.len()), (1, 0));
    let done = crm
        .import_csv(people, &people_map, &options(2))
        .await
        .unwrap();
    assert_eq!((done.created, done.errors.len()), (2, 0));
    let done = crm
        .import_csv(calls, &calls_map, &options(3))
        .await
        .unwrap();
    assert_eq!(said(&done), ["row 4: customer \"P9\" was not imported"]);
    assert_eq!(done.created, 2);

    let gil = companies_map.company_id("E1");
    let views = crm.query_unfiltered(crm::projection::Views::clone);
    let card = views.company_card(gil, support::start()).unwrap();
    assert_eq!(card.details.tax_id.as_deref(), Some("B12345678"));
    assert_eq!(card.details.addresses[0].city, "Valencia");
    assert!(card.tags.contains("mayorista"));
    assert_eq!(card.representatives.len(), 1);
    assert_eq!(
        card.representatives[0].role,
        crm::domain::details::Role::Buyer
    );
    assert_eq!(card.activity.interactions.len(), 1, "the inbound email");
    let marta = views
        .contact_card(people_map.contact_id("P1"), support::start())
        .unwrap();
    let call = &marta.activity.interactions[0];
    assert_eq!(call.duration_seconds, Some(245));
    assert_eq!(
        call.direction,
        crm::domain::interaction::Direction::Outbound
    );
    assert_eq!(call.summary.as_deref(), Some("Wants 40 chairs,\nby April"));
    assert_eq!(
        call.at.to_rfc3339(),
        "2026-03-03T09:15:00+00:00",
        "10:15 in Madrid"
    );
    let luis = views
        .contact_card(people_map.contact_id("P2"), support::start())
        .unwrap();
    assert_eq!(
        luis.companies[0].name, "Hotel Vera",
        "a company of that name, created"
    );

    // Again: nothing changes. A changed file updates the company's details.
    let length = crm.store().read_all(1, 1000).await.unwrap().len();
    for (file, map, n) in [
        (companies, &companies_map, 4),
        (people, &people_map, 5),
        (calls, &calls_map, 6),
    ] {
        let again = crm.import_csv(file, map, &options(n)).await.unwrap();
        assert_eq!(again.created, 0, "{again:?}");
    }
    assert_eq!(crm.store().read_all(1, 1000).await.unwrap().len(), length);
    let moved = String::from_utf8(companies.to_vec())
        .unwrap()
        .replace("Valencia", "Alicante");
    let done = crm
        .import_csv(moved.as_bytes(), &companies_map, &options(7))
        .await
        .unwrap();
    assert_eq!(done.updated, 1);

    // The conversations, then the people (and the company a row named), taken back.
    let by = support::manager();
    crm.revert_import(options(3).import_id, by.clone(), false)
        .await
        .unwrap();
    let people_back = crm
        .revert_import(options(2).import_id, by, false)
        .await
        .unwrap();
    assert_eq!(
        people_back.withdrawn.get(&crm::ids::Category::Company),
        Some(&1),
        "Hotel Vera"
    );
    let views = crm.query_unfiltered(crm::projection::Views::clone);
    assert_eq!(views.cards.len(), 1, "only the company imported on its own");
    assert!(views
        .company_card(gil, support::start())
        .unwrap()
        .representatives
        .is_empty());
}

#[tokio::test]
async fn a_dry_run_of_deals_refuses_by_row_exactly_what_the_real_run_refuses() {
    let (crm, _) = support::fresh();
    crm.execute(&support::manager(), crm::testing::sales::define_pipeline())
        .await
        .unwrap();
    let people = b"id,name\nC1,Ana Silva\n";
    let people_map = FieldMap::guess(Kind::Contacts, "old-crm", &headers(people).unwrap());
    crm.import_csv(people, &people_map, &ImportOptions::new(import_id()))
        .await
        .unwrap();
    let deals = b"deal_id,customer_id,title,pipeline,stage,amount,created,lost_at,lost_reason\n\
                  D1,C1,Chairs,Wholesale,New,10.00,2026-03-01,2026-03-05,Too expensive\n\
                  D2,C1,Tables,Wholesale,,20.00,2026-03-01,,\n\
                  D2,C1,Tables,Wholesale,,20.00,2026-03-01,,\n\
                  D3,C404,Lamps,Wholesale,,5.00,2026-03-01,,\n\
                  D4,C1,Desks,Wholesale,Proposal,-3.00,2026-03-01,,\n";
    let mut map = FieldMap::guess(Kind::Deals, "old-crm", &headers(deals).unwrap());
    map.currency = Some(crm::money::Currency::new("EUR").unwrap());
    let run = |dry_run| ImportOptions {
        dry_run,
        set_aside_bad_rows: true,
        ..ImportOptions::new(ImportId::from_uuid(uuid::Uuid::from_u128(0x3000)))
    };
    let length = crm.store().read_all(1, 1000).await.unwrap().len();
    let dry = crm.import_csv(deals, &map, &run(true)).await.unwrap();
    assert_eq!(crm.store().read_all(1, 1000).await.unwrap().len(), length);
    let real = crm.import_csv(deals, &map, &run(false)).await.unwrap();
    assert_eq!(said(&dry), said(&real));
    assert_eq!(said(&real).len(), 3, "{:?}", said(&real));
    assert!(said(&real)[0].starts_with("row 2: "), "{:?}", said(&real));
    assert!(said(&real)[1].starts_with("row 5: "), "{:?}", said(&real));
    assert!(said(&real)[1].contains("customer \"C404\" was not imported"));
    assert!(
        said(&real)[2].starts_with("row 6, column \"amount\""),
        "{:?}",
        said(&real)
    );
    assert_eq!((dry.created, dry.unchanged), (real.created, real.unchanged));
    assert_eq!(
        (real.created, real.unchanged),
        (1, 1),
        "D2, then D2 again: {real:?}"
    );
    let d1 = map.deal_id("D1");
    assert!(
        crm.query_unfiltered(|v| v.deals.deal(d1).is_none()),
        "a row the rules refuse half-way writes nothing, not its opening"
    );
}

#[tokio::test]
async fn orders_written_in_batches_are_carried_out_one_by_one_when_another_writer_gets_in_the_way()
{
    let clock = crm::clock::ManualClock::new(support::start());
    let bystander: crm::ids::StreamId = support::contact(77).into();
    let crm = racing(
        &clock,
        crm::MemoryStore::with_clock(std::sync::Arc::new(clock.clone())),
        crm::ids::Category::Order,
        &bystander,
    );
    let orders = b"order_id,customer_id,order_date,sku,price\n\
                   O1,C1,2026-03-01 10:00:00,MUG,12.00\n\
                   O2,C2,2026-03-01 11:00:00,TEA,3.50\n\
                   O3,C1,2026-03-02 09:00:00,TEA,3.50\n";
    let mut map = FieldMap::guess(Kind::Orders, "shop", &headers(orders).unwrap());
    map.currency = Some(crm::money::Currency::new("EUR").unwrap());
    let files = crm::csv_import::OrderFiles {
        orders,
        lines: None,
        payments: None,
    };
    let done = crm
        .import_orders_csv(files, &map, &ImportOptions::new(import_id()), |_| {})
        .await
        .unwrap();
    assert_eq!((done.created, done.customers_created), (3, 2), "{done:?}");
    assert!(done.errors.is_empty(), "{:?}", done.errors);
    let log = crm.store().read_all(1, 1000).await.unwrap();
    let placed = log
        .iter()
        .filter(|e| e.event.type_name() == "OrderPlaced")
        .count();
    assert_eq!(placed, 3, "each order once, though the batch was cut short");
    assert!(
        log.iter().any(|e| e.stream == bystander),
        "the other writer's event stands"
    );

    // Cut after the first order was written: C1 is there already, C2's creation is refused.
    let memory = crm::MemoryStore::with_clock(std::sync::Arc::new(clock.clone()));
    let before = support::deterministic(memory.clone(), &clock, crm::CrmOptions::default());
    let c1 = crm::domain::contact::CreateContact::new(map.contact_id("C1"), "Customer", "C1");
    before
        .execute(
            &support::manager(),
            crm::domain::contact::ContactCommand::Create(c1),
        )
        .await
        .unwrap();
    let crm = racing(&clock, memory, crm::ids::Category::Contact, &bystander);
    let files = crm::csv_import::OrderFiles {
        orders,
        lines: None,
        payments: None,
    };
    let done = crm
        .import_orders_csv(files, &map, &ImportOptions::new(import_id()), |_| {})
        .await
        .unwrap();
    assert_eq!((done.created, done.customers_created), (3, 1), "{done:?}");
    let placed = crm
        .store()
        .read_all(1, 1000)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.event.type_name() == "OrderPlaced")
        .count();
    assert_eq!(placed, 3);
}

#[tokio::test]
async fn contacts_written_in_batches_are_carried_out_one_by_one_when_another_writer_gets_in_the_way(
) {
    let clock = crm::clock::ManualClock::new(support::start());
    let bystander: crm::ids::StreamId = support::contact(77).into();
    let crm = racing(
        &clock,
        crm::MemoryStore::with_clock(std::sync::Arc::new(clock.clone())),
        crm::ids::Category::Contact,
        &bystander,
    );
    // Row 4 repeats row 2's email: it waits for the batch, and finds the contact row 2 made.
    let file = b"id,name,email,newsletter\n\
                 K1,Ana Silva,ana@example.com,yes\n\
                 K2,Bea Ruiz,bea@example.com,no\n\
                 K3,Ana S.,ana@example.com,no\n";
    let map = FieldMap::guess(Kind::Contacts, "shop", &headers(file).unwrap());
    let done = crm
        .import_csv(file, &map, &ImportOptions::new(import_id()))
        .await
        .unwrap();
    assert_eq!((done.created, done.duplicates_skipped), (2, 1), "{done:?}");
    let created = crm
        .store()
        .read_all(1, 1000)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.event.type_name() == "ContactCreated")
        .count();
    assert_eq!(
        created, 2,
        "each contact once, though the batch was cut short"
    );
    let ana = map.contact_id("K1");
    assert!(crm.query_unfiltered(|v| v.cards.reach(ana).is_some_and(|r| !r.consent.is_empty())));
}

/// A CRM on `store` where another writer gets in first, once: the first append to a stream
/// of `category` finds `bystander` changed and is refused as a conflict.
fn racing(
    clock: &crm::clock::ManualClock,
    store: crm::MemoryStore,
    category: crm::ids::Category,
    bystander: &crm::ids::StreamId,
) -> crm::Crm<crm::testing::faults::Interleaved<crm::MemoryStore>> {
    let sneak = crm::testing::conformance::sample_event(bystander, 1);
    let store =
        crm::testing::faults::Interleaved::new(store, category, (bystander.clone(), vec![sneak]));
    support::deterministic(store, clock, crm::CrmOptions::default())
}

#[tokio::test]
async fn bad_cells_of_companies_and_conversations_are_named_by_row_and_column() {
    let (crm, _) = support::fresh();
    let companies = "id,name,email,phone\n\
                     E1,,info@gil.example,\n\
                     E2,Hotel Vera,info@vera,\n\
                     E3,Café Sol,,n/a\n\
                     E4,Oficinas Gil,info@gil.example,\n"
        .as_bytes();
    let map = FieldMap::guess(Kind::Companies, "old-crm", &headers(companies).unwrap());
    let options = ImportOptions {
        set_aside_bad_rows: true,
        ..ImportOptions::new(import_id())
    };
    let done = crm.import_csv(companies, &map, &options).await.unwrap();
    assert_eq!(
        said(&done),
        [
            "row 2: no name: map the company's name column",
            "row 3, column \"email\", value \"info@vera\": not an email address: the domain has no dot",
            "row 4, column \"phone\", value \"n/a\": not a phone number",
        ]
    );
    assert_eq!(done.created, 1);
    let calls = "id,customer,date,channel,direction,duration\n\
                 L1,E4,2026-03-03 10:15:00,pigeon,inbound,\n\
                 L2,E4,2026-03-03 10:15:00,call,sideways,\n\
                 L3,E4,2026-03-03 10:15:00,call,inbound,1:75\n\
                 L4,E4,,call,inbound,\n\
                 L5,E4,2026-03-03 10:15:00,call,inbound,95\n"
        .as_bytes();
    let map = FieldMap::guess(Kind::Interactions, "old-crm", &headers(calls).unwrap());
    let done = crm.import_csv(calls, &map, &options).await.unwrap();
    let errors = said(&done);
    assert_eq!(errors.len(), 4, "{errors:?}");
    assert!(errors[0].starts_with("row 2, column \"channel\", value \"pigeon\": not a channel"));
    assert!(
        errors[1].starts_with("row 3, column \"direction\", value \"sideways\": not a direction")
    );
    assert!(errors[2].starts_with("row 4, column \"duration\", value \"1:75\": not a duration"));
    assert_eq!(
        errors[3],
        "row 5: no date: map when the conversation happened"
    );
    assert_eq!(done.created, 1);
}
