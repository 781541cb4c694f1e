//! For random histories and a random contacts file (rows matching earlier customers by email,
//! repeated rows, consents, tags, companies named by the rows, each duplicates policy), an
//! import followed by its revert leaves views equal to those of a store that never saw the
//! import — and a rebuild from the log agrees.
#![allow(clippy::unwrap_used)] // Tests fail loudly.

mod support;

use std::collections::BTreeSet;

use crm::csv_import::{headers, Duplicates, FieldMap, ImportOptions, Kind};
use crm::ids::{ContactId, ImportId};
use crm::projection::Views;
use crm::testing::strategies;
use crm::{Crm, MemoryStore};
use futures::executor::block_on;
use proptest::prelude::*;
use proptest::sample::select;

/// One row of the file: key, name, email, newsletter, tag, company.
type Row = (
    u8,
    &'static str,
    &'static str,
    bool,
    Option<&'static str>,
    Option<&'static str>,
);

fn row() -> impl Strategy<Value = Row> {
    (
        0u8..6,
        select(vec!["Ana García", "José Silva", "Zoë Müller", "Bruno"]),
        // The addresses the random history's contacts use, so that rows find them.
        select(vec![
            "ana@example.com",
            "jose.g@shop.es",
            "buyer@Mail.COM.br",
            "new@example.org",
        ]),
        any::<bool>(),
        proptest::option::of(select(vec!["vip", "wholesale"])),
        proptest::option::of(select(vec!["Oficinas Gil", "Hotel Vera"])),
    )
}

fn file(rows: &[Row]) -> Vec<u8> {
    let mut text = String::from("id,name,email,newsletter,tags,company\n");
    for (key, name, email, yes, tag, company) in rows {
        text.push_str(&format!(
            "K{key},{name},{email},{},{},{}\n",
            if *yes { "yes" } else { "no" },
            tag.unwrap_or(""),
            company.unwrap_or("")
        ));
    }
    text.into_bytes()
}

async fn history(commands: &[crm::Command]) -> Crm<MemoryStore> {
    let (crm, clock) = support::fresh();
    for command in commands {
        clock.advance(chrono::TimeDelta::minutes(7));
        // Refused commands are part of a random history too: they write nothing.
        let _ = crm.execute(&support::manager(), command.clone()).await;
    }
    crm
}

fn views(crm: &Crm<MemoryStore>) -> Views {
    crm.query_unfiltered(Views::clone)
}

/// Every card of `b`'s contacts equals `a`'s but for its last change, which in `a` may be
/// the revert that gave it back its fields.
fn same_cards(a: &Views, b: &Views, contacts: &BTreeSet<ContactId>) -> Result<(), TestCaseError> {
    prop_assert_eq!(a.cards.len(), b.cards.len());
    let at = support::start();
    for id in contacts {
        let (mut left, right) = (a.contact_card(*id, at), b.contact_card(*id, at));
        if let (Some(l), Some(r)) = (&mut left, &right) {
            l.updated = r.updated.clone();
        }
        prop_assert_eq!(left, right, "contact {}", id);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if std::env::var_os("CI").is_some() { 48 } else { 192 }))]

    #[test]
    fn an_import_and_its_revert_leave_the_views_of_a_store_that_never_saw_it(
        commands in strategies::commands(16),
        rows in proptest::collection::vec(row(), 1..8),
        duplicates in select(vec![Duplicates::Skip, Duplicates::Update, Duplicates::Create]),
    ) {
        block_on(async {
            let reverted = history(&commands).await;
            let untouched = history(&commands).await;
            let bytes = file(&rows);
            let map = FieldMap::guess(Kind::Contacts, "shop", &headers(&bytes).unwrap());
            let import_id = ImportId::from_uuid(uuid::Uuid::from_u128(0x7000));
            let options = ImportOptions {
                duplicates,
                set_aside_bad_rows: true,
                ..ImportOptions::new(import_id)
            };
            let done = reverted.import_csv(&bytes, &map, &options).await.unwrap();
            let contacts: BTreeSet<ContactId> = strategies::contact_pool()
                .into_iter()
                .chain((0..6).map(|k| map.contact_id(&format!("K{k}"))))
                .collect();
            match reverted.revert_import(import_id, support::manager(), false).await {
                Ok(_) => {}
                // An import that wrote nothing (every row skipped or refused) is no import.
                Err(crm::Error::UnknownImport { .. }) => prop_assert_eq!(done.created + done.updated + done.duplicates_updated + done.duplicates_created, 0),
                Err(e) => return Err(TestCaseError::fail(format!("{e}"))),
            }
            let (a, b) = (views(&reverted), views(&untouched));
            prop_assert_eq!(&a.activity, &b.activity);
            prop_assert_eq!(&a.search, &b.search);
            prop_assert_eq!(&a.deals, &b.deals);
            same_cards(&a, &b, &contacts)?;
            let rebuilt = support::fresh_on(reverted.store().clone());
            rebuilt.catch_up().await.unwrap();
            prop_assert_eq!(views(&rebuilt), a);
            Ok(())
        })?;
    }
}
