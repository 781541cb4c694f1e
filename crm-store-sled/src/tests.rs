//! Opening, refusing, and finding damage: what only the store's own code can reach.

use super::*;
use crm_core::testing::conformance::sample_event;

fn block<F: std::future::Future>(f: F) -> F::Output {
    futures::executor::block_on(f)
}

fn stream(name: &str) -> StreamId {
    crm_core::testing::stream(name)
}

fn filled(dir: &Path) -> SledStore {
    let store = SledStore::open(dir).unwrap();
    for (n, name) in ["a", "b", "a"].iter().enumerate() {
        let s = stream(name);
        let events = vec![
            sample_event(&s, n as u64 * 10),
            sample_event(&s, n as u64 * 10 + 1),
        ];
        block(store.append(&s, ExpectedVersion::Any, events)).unwrap();
    }
    store
}

#[test]
fn events_survive_closing_and_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let before = block(filled(dir.path()).read_all(0, 100)).unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    assert_eq!(block(store.read_all(0, 100)).unwrap(), before);
    assert_eq!(block(store.head_position()).unwrap(), 6);
    let outcome = block(store.append(
        &stream("a"),
        ExpectedVersion::Exact(4),
        vec![sample_event(&stream("a"), 99)],
    ))
    .unwrap();
    assert_eq!(
        (outcome.last_version, outcome.last_position),
        (5, 7),
        "positions continue after reopening"
    );
}

#[test]
fn a_file_or_a_foreign_directory_is_not_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, "hello").unwrap();
    let err = SledStore::open(&file).unwrap_err();
    assert!(matches!(err, OpenError::NotAStore { .. }), "{err}");
    assert!(err.to_string().contains("it is a file"), "{err}");
    let err = SledStore::open(dir.path()).unwrap_err();
    assert!(
        err.to_string()
            .contains("holds other files and no database"),
        "{err}"
    );
}

#[test]
fn a_sled_database_crm_did_not_write_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = sled::open(dir.path()).unwrap();
        db.insert("someone", "else").unwrap();
        db.flush().unwrap();
    }
    let err = SledStore::open(dir.path()).unwrap_err();
    assert!(err.to_string().contains("not one crm wrote"), "{err}");
}

#[test]
fn a_store_from_a_newer_release_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(SledStore::open(dir.path()).unwrap());
    {
        let db = sled::open(dir.path()).unwrap();
        db.insert(FORMAT_KEY, &(FORMAT_VERSION + 1).to_be_bytes())
            .unwrap();
        db.flush().unwrap();
    }
    let err = SledStore::open(dir.path()).unwrap_err();
    assert!(
        matches!(
            err,
            OpenError::NewerFormat {
                found: 2,
                supported: 1,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("upgrade crm"), "{err}");
}

#[test]
fn an_undecodable_record_is_reported_with_its_position() {
    let dir = tempfile::tempdir().unwrap();
    let store = filled(dir.path());
    store
        .inner
        .log
        .insert(keys::event(3), b"\x01garbage".to_vec())
        .unwrap();
    let err = block(store.read_all(0, 100)).unwrap_err();
    assert!(
        matches!(&err, StoreError::Corrupt { location, .. } if location == "position 3"),
        "{err}"
    );
    let report = store.verify().unwrap();
    assert!(
        report
            .faults
            .iter()
            .any(|f| matches!(f, Fault::Undecodable { position: 3, .. })),
        "{report}"
    );
}

#[test]
fn verify_finds_broken_indexes_and_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let store = filled(dir.path());
    assert!(store.verify().unwrap().is_ok());
    let log = &store.inner.log;
    log.remove(keys::stream_entry(&stream("b"), 1)).unwrap();
    log.insert(keys::stream_entry(&stream("b"), 9), &100u64.to_be_bytes())
        .unwrap();
    let first = block(store.read_all(1, 1)).unwrap().remove(0);
    log.remove(keys::id(&first.id)).unwrap();
    log.remove(keys::event(6)).unwrap();
    let report = store.verify().unwrap();
    let text = report.to_string();
    assert_eq!(report.events, 5);
    assert!(
        text.contains(&format!(
            "stream {} version 1: the index does not point at position 3",
            stream("b")
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "stream {} version 9: points at position 100, which holds no event",
            stream("b")
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "event id {}: the index does not point at position 1",
            first.id
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "stream {} version 4: points at position 6, which holds no event",
            stream("a")
        )),
        "{text}"
    );
    assert!(
        report
            .faults
            .iter()
            .all(|f| !matches!(f, Fault::VersionGap { .. })),
        "a missing tail is no gap"
    );
    log.remove(keys::event(2)).unwrap();
    let report = store.verify().unwrap();
    assert!(
        report.faults.iter().any(|f| matches!(
            f,
            Fault::VersionGap {
                expected: 2,
                found: 3,
                ..
            }
        )),
        "{report}"
    );
}

#[test]
fn snapshots_keep_the_newest_and_checkpoints_persist() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = SledStore::open(dir.path()).unwrap();
        let s = stream("snap");
        block(store.save_snapshot(
            &s,
            Snapshot {
                version: 9,
                schema: 1,
                state: vec![9],
            },
        ))
        .unwrap();
        block(store.save_snapshot(
            &s,
            Snapshot {
                version: 4,
                schema: 1,
                state: vec![4],
            },
        ))
        .unwrap();
        block(store.save_checkpoint("cards", 41)).unwrap();
    }
    let store = SledStore::open(dir.path()).unwrap();
    let snapshot = block(store.load_snapshot(&stream("snap")))
        .unwrap()
        .unwrap();
    assert_eq!((snapshot.version, snapshot.state), (9, vec![9]));
    assert_eq!(block(store.load_checkpoint("cards")).unwrap(), Some(41));
}

#[test]
fn a_closed_store_can_be_opened_again_at_once() {
    let dir = tempfile::tempdir().unwrap();
    for _ in 0..3 {
        let store = filled(dir.path());
        block(store.read_all(0, 10)).unwrap();
        drop(store);
    }
}

#[test]
fn a_store_held_elsewhere_is_reported_as_locked() {
    let dir = tempfile::tempdir().unwrap();
    let _held = SledStore::open(dir.path()).unwrap();
    let err = SledStore::open(dir.path()).unwrap_err();
    assert!(matches!(err, OpenError::Locked { .. }), "{err}");
}

#[test]
fn a_snapshot_left_half_written_by_a_crash_does_not_stop_the_store_opening() {
    let dir = tempfile::tempdir().unwrap();
    let before = block(filled(dir.path()).read_all(0, 100)).unwrap();
    // What a kill in the middle of sled's snapshot writing leaves behind.
    std::fs::write(
        dir.path().join("snap.FFFFFFFFFFFFFFFF.generating"),
        b"\x01\x02",
    )
    .unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    assert_eq!(block(store.read_all(0, 100)).unwrap(), before);
    assert!(!dir.path().join("snap.FFFFFFFFFFFFFFFF.generating").exists());
}

#[test]
fn a_durable_append_of_a_one_mebibyte_event_syncs_its_blob_and_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut big = sample_event(&stream("big"), 1);
    if let crm_core::event::Event::ContactTagsChanged(e) = &mut big.event {
        e.added = ["x".repeat(1 << 20)].into();
    }
    {
        let store = SledStore::open(dir.path()).unwrap();
        block(store.append(&stream("big"), ExpectedVersion::NoStream, vec![big.clone()])).unwrap();
        assert!(
            store.inner.disk.synced_blobs() >= 1,
            "sled wrote no blob, or the flush did not sync it"
        );
    }
    let store = SledStore::open(dir.path()).unwrap();
    let back = block(store.read_stream(&stream("big"), 1, 10)).unwrap();
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].event, big.event);
    assert!(store.verify().unwrap().is_ok());
}

/// A store of 60 events, closed.
fn closed_store(dir: &Path) {
    let store = SledStore::open(dir).unwrap();
    for n in 0..30u64 {
        let s = stream(&n.to_string());
        let events = vec![sample_event(&s, 2 * n), sample_event(&s, 2 * n + 1)];
        block(store.append(&s, ExpectedVersion::NoStream, events)).unwrap();
    }
}

fn assert_damaged(result: Result<SledStore, OpenError>, what: &str) {
    match result {
        Err(e @ OpenError::Damaged { .. }) => {
            let text = e.to_string();
            assert!(text.contains("Restore the directory"), "{what}: {text}");
        }
        Err(other) => panic!("{what}: expected Damaged, got {other}"),
        Ok(store) => panic!(
            "{what}: opened as healthy, with {} events",
            block(store.head_position()).unwrap()
        ),
    }
}

#[test]
fn a_store_whose_db_file_was_deleted_is_damaged_not_empty() {
    let dir = tempfile::tempdir().unwrap();
    closed_store(dir.path());
    std::fs::remove_file(dir.path().join("db")).unwrap();
    assert_damaged(SledStore::open(dir.path()), "db deleted");
    // And stays so: the failed open did not make the empty store the truth.
    assert_damaged(SledStore::open(dir.path()), "db deleted, opened again");
}

#[test]
fn a_store_whose_db_file_was_truncated_is_damaged() {
    for keep in [0u64, 4096, 20_000] {
        let dir = tempfile::tempdir().unwrap();
        closed_store(dir.path());
        let db = std::fs::OpenOptions::new()
            .write(true)
            .open(dir.path().join("db"))
            .unwrap();
        db.set_len(keep.min(db.metadata().unwrap().len() / 2))
            .unwrap();
        drop(db);
        assert_damaged(
            SledStore::open(dir.path()),
            &format!("db cut to {keep} bytes"),
        );
    }
}

#[test]
fn a_store_whose_sled_files_are_gone_is_damaged() {
    let dir = tempfile::tempdir().unwrap();
    closed_store(dir.path());
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name() != "committed" {
            let path = entry.path();
            if path.is_dir() {
                std::fs::remove_dir_all(path).unwrap();
            } else {
                std::fs::remove_file(path).unwrap();
            }
        }
    }
    assert_damaged(SledStore::open(dir.path()), "only the record left");
}

#[test]
fn verify_reports_committed_events_the_log_lost() {
    let dir = tempfile::tempdir().unwrap();
    let store = filled(dir.path());
    store.flush().unwrap();
    let last = block(store.head_position()).unwrap();
    store.inner.log.remove(keys::event(last)).unwrap();
    let report = store.verify().unwrap();
    assert!(
        report
            .faults
            .iter()
            .any(|f| matches!(f, Fault::LostCommitted { committed, .. } if *committed == last)),
        "{report}"
    );
}

#[test]
fn a_store_whose_db_file_holds_garbage_is_refused_without_a_panic() {
    for (n, pattern) in [0u8, 0xff, 0x5a].into_iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        closed_store(dir.path());
        let path = dir.path().join("db");
        let mut bytes = std::fs::read(&path).unwrap();
        // Keep sled's header, overwrite what follows.
        let from = (512 * (n + 1)).min(bytes.len());
        for b in &mut bytes[from..] {
            *b = pattern;
        }
        std::fs::write(&path, &bytes).unwrap();
        let opened = std::panic::catch_unwind(|| SledStore::open(dir.path()));
        match opened {
            Ok(Err(_)) => {}
            Ok(Ok(store)) => panic!(
                "pattern {pattern:#x}: opened with {} events",
                block(store.head_position()).unwrap()
            ),
            Err(_) => panic!("pattern {pattern:#x}: the panic escaped the store"),
        }
    }
}

fn compressed() -> SledOptions {
    SledOptions {
        compression: true,
        ..SledOptions::default()
    }
}

/// A store keeps the compression it was created with: reopening it with the default options
/// reads it (sled alone would refuse a changed setting), and so does asking again.
#[cfg(feature = "compression")]
#[test]
fn a_compressed_store_is_reopened_compressed_whatever_the_options_say() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open_with(dir.path(), compressed()).unwrap();
    let s = stream("a");
    let events = vec![sample_event(&s, 1), sample_event(&s, 2)];
    block(store.append(&s, ExpectedVersion::NoStream, events)).unwrap();
    let before = block(store.read_all(0, 100)).unwrap();
    drop(store);
    assert_eq!(open_checks::created_compressed(dir.path()), Some(true));
    let plain = SledStore::open(dir.path()).unwrap();
    assert_eq!(block(plain.read_all(0, 100)).unwrap(), before);
    drop(plain);
    let again = SledStore::open_with(dir.path(), compressed()).unwrap();
    assert_eq!(block(again.read_all(0, 100)).unwrap(), before);
    drop(again);

    let uncompressed = tempfile::tempdir().unwrap();
    drop(filled(uncompressed.path()));
    assert_eq!(
        open_checks::created_compressed(uncompressed.path()),
        Some(false)
    );
    let reopened = SledStore::open_with(uncompressed.path(), compressed()).unwrap();
    assert_eq!(block(reopened.head_position()).unwrap(), 6);
}

#[cfg(not(feature = "compression"))]
#[test]
fn compression_without_the_feature_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let error = SledStore::open_with(dir.path(), compressed())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(error.contains("`compression` feature"), "{error}");
    assert!(!dir.path().join("db").exists(), "nothing was created");
}

/// sled's `conf` is read before sled opens the store, to learn its compression: garbage or a
/// setting that cannot be parsed there is an error to report, never a panic; an empty one
/// (sled writes it anew) leaves a plain store readable.
#[test]
fn a_damaged_sled_conf_is_reported_and_an_empty_one_rewritten() {
    for garbage in [&b"\xff\xfe not text"[..], b"use_compression: maybe\n", b""] {
        let dir = tempfile::tempdir().unwrap();
        closed_store(dir.path());
        std::fs::write(dir.path().join("conf"), garbage).unwrap();
        assert_eq!(open_checks::created_compressed(dir.path()), None);
        let opened = std::panic::catch_unwind(|| SledStore::open(dir.path()));
        let Ok(result) = opened else {
            panic!("a damaged conf ({garbage:?}) made opening panic");
        };
        match result {
            Ok(store) if garbage.is_empty() => {
                assert_eq!(block(store.head_position()).unwrap(), 60);
            }
            Ok(_) => panic!("a damaged conf ({garbage:?}) was trusted"),
            Err(_) => assert!(!garbage.is_empty(), "an empty conf stopped the store"),
        }
    }
}

/// A store from before views snapshots moved out of sled keeps them: the first open moves
/// them into files and drops the tree; one with a damaged header is dropped, not trusted.
#[test]
fn views_snapshots_an_earlier_release_kept_in_sled_move_into_files() {
    let dir = tempfile::tempdir().unwrap();
    drop(filled(dir.path()));
    {
        let db = sled::open(dir.path()).unwrap();
        let tree = db.open_tree("views").unwrap();
        let recorded = chrono::DateTime::from_timestamp_micros(1_700_000_000_000_000).unwrap();
        let mut header = recorded.timestamp_micros().to_be_bytes().to_vec();
        header.extend_from_slice(&2u32.to_be_bytes());
        tree.insert(b"I\x00\x00\x00\x00\x00\x00\x00\x05", header)
            .unwrap();
        tree.insert(b"S\x00\x00\x00\x00\x00\x00\x00\x05", &b"state"[..])
            .unwrap();
        tree.insert(b"I\x00\x00\x00\x00\x00\x00\x00\x06", &b"short"[..])
            .unwrap();
        db.flush().unwrap();
    }
    let store = SledStore::open(dir.path()).unwrap();
    let held = block(store.views_snapshots()).unwrap();
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!((held[0].position, held[0].schema), (5, 2));
    let loaded = block(store.load_views_snapshot(5)).unwrap().unwrap();
    assert_eq!(loaded.state, b"state");
    drop(store);
    let store = SledStore::open(dir.path()).unwrap();
    assert_eq!(block(store.views_snapshots()).unwrap(), held);
}

#[test]
fn the_newest_views_snapshot_is_read_without_opening_the_store() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(SledStore::newest_views_snapshot(dir.path()).unwrap(), None);
    let store = filled(dir.path());
    for position in [2, 5, 3] {
        let info = SnapshotInfo {
            position,
            recorded_at: chrono::DateTime::UNIX_EPOCH,
            schema: 2,
        };
        let state = position.to_string().into_bytes();
        block(store.save_views_snapshot(ViewsSnapshot { info, state })).unwrap();
    }
    // While the store is open (and holds its lock) as after it closed.
    let newest = SledStore::newest_views_snapshot(dir.path())
        .unwrap()
        .unwrap();
    assert_eq!((newest.info.position, newest.state), (5, b"5".to_vec()));
    drop(store);
    let newest = SledStore::newest_views_snapshot(dir.path())
        .unwrap()
        .unwrap();
    assert_eq!(newest.info.position, 5);
}
