//! `crm import` on PostgreSQL takes the batched path (`append_many`): it must keep every
//! promise of the careful one — stop at a bad line with everything before it committed and
//! nothing after, resume without duplicates, tell a repeat from a conflict.
#![allow(clippy::unwrap_used)]

mod support;

use crm_core::log::{export, import, ImportError, ImportOptions};
use crm_core::store::{EventStore, ExpectedVersion};
use crm_core::testing::conformance::sample_event;
use crm_store_memory::MemoryStore;

/// A log of `streams` streams whose events interleave, as a shop's history does.
async fn log(streams: u64, per_stream: u64) -> Vec<String> {
    let source = MemoryStore::new();
    let ids: Vec<_> = (0..streams)
        .map(|n| crm_core::testing::stream(format!("import-{n}")))
        .collect();
    for v in 0..per_stream {
        for (n, s) in ids.iter().enumerate() {
            let event = sample_event(s, v * 1000 + n as u64);
            source
                .append(s, ExpectedVersion::Exact(v), vec![event])
                .await
                .unwrap();
        }
    }
    let mut out = Vec::new();
    export(&source, &mut out, 0, 1000).await.unwrap();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

async fn run(
    store: &impl EventStore,
    lines: &[String],
) -> Result<crm_core::log::ImportReport, ImportError> {
    let text = lines.join("\n");
    let options = ImportOptions {
        batch: 50,
        ..ImportOptions::default()
    };
    import(store, text.as_bytes(), options, |_| {}, |_| {}).await
}

#[test]
fn a_batched_import_stops_at_a_bad_line_resumes_and_tells_a_repeat_from_a_conflict() {
    let Some(url) = support::url() else { return };
    support::runtime().block_on(async {
        let store = support::fresh_store(&url).await;
        let lines = log(30, 10).await;
        assert_eq!(lines.len(), 300);

        // Line 171 breaks the rules (a version with a gap): 1..=170 land, nothing after.
        let mut broken = lines.clone();
        broken[170] = broken[170].replacen("\"version\":6", "\"version\":9", 1);
        match run(&store, &broken).await {
            Err(ImportError::Invalid { line, .. }) => assert_eq!(line, 171),
            other => panic!("the gap must stop the import: {other:?}"),
        }
        assert_eq!(store.head_position().await.unwrap(), 170);

        // The file fixed: the rest lands, what was there is recognized.
        let report = run(&store, &lines).await.unwrap();
        assert_eq!((report.imported, report.already_present), (130, 170));
        assert_eq!(store.head_position().await.unwrap(), 300);
        let report = run(&store, &lines).await.unwrap();
        assert_eq!((report.imported, report.already_present), (0, 300));

        // The same id at the same place with another payload is a conflict, not a repeat.
        let mut changed = lines.clone();
        changed[10] = changed[10].replacen("tag-", "gat-", 1);
        match run(&store, &changed).await {
            Err(ImportError::Invalid { line, reason, .. }) => {
                assert_eq!(line, 11);
                assert!(reason.contains("conflict"), "{reason}");
            }
            other => panic!("a changed line must be a conflict: {other:?}"),
        }
        let report = store.verify().await.unwrap();
        assert!(report.is_ok(), "{report}");
        assert_eq!(report.events, 300);
    });
}
