//! The `crm` binary, run as a shell user would.
#![allow(clippy::unwrap_used)] // A test that meets an error should fail loudly.

use std::path::Path;
use std::process::{Command, Output};

use crm::domain::company::CompanyCommand;
use crm::domain::contact::{ContactCommand, CreateContact};
use crm::domain::details::CompanyDetails;
use crm::event::Actor;
use crm::ids::{CompanyId, ContactId};
use crm::{Crm, MemoryStore};

fn crm(store: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_crm"))
        .env_remove("CRM_STORE")
        .arg("--store")
        .arg(store)
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A small log: 12 contacts and a company, as JSONL lines.
fn sample_log() -> Vec<String> {
    futures::executor::block_on(async {
        let crm = Crm::new(MemoryStore::new());
        let actor = Actor::System;
        for n in 0..12u128 {
            let id = ContactId::from_uuid(uuid::Uuid::from_u128(n + 1));
            let create = CreateContact::new(id, "Cliente", &format!("Número {n}"))
                .email(&format!("c{n}@example.com"));
            crm.execute(&actor, ContactCommand::Create(create))
                .await
                .unwrap();
        }
        let acme = CompanyCommand::Create {
            company_id: CompanyId::from_uuid(uuid::Uuid::from_u128(99)),
            details: CompanyDetails {
                name: "Acme".into(),
                ..CompanyDetails::default()
            },
            tags: Default::default(),
            owner: None,
        };
        crm.execute(&actor, acme).await.unwrap();
        let mut out = Vec::new();
        crm::log::export(crm.store(), &mut out, 1, 100)
            .await
            .unwrap();
        text(&out).lines().map(str::to_owned).collect()
    })
}

fn write(dir: &Path, name: &str, lines: &[String]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

fn exported(store: &Path) -> Vec<serde_json::Value> {
    let out = crm(store, &["export"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            v.as_object_mut().unwrap().remove("recorded_at");
            v
        })
        .collect()
}

/// `value` with each sealed personal value reduced to whose it is.
fn without_ciphertext(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) => match map.get("sealed") {
            Some(sealed) if map.len() == 1 => sealed["subject"].clone(),
            _ => Value::Object(
                map.into_iter()
                    .map(|(k, v)| (k, without_ciphertext(v)))
                    .collect(),
            ),
        },
        Value::Array(items) => Value::Array(items.into_iter().map(without_ciphertext).collect()),
        other => other,
    }
}

#[test]
fn help_is_there_for_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let help = crm(dir.path(), &["--help"]);
    assert!(help.status.success());
    insta::assert_snapshot!("help", text(&help.stdout));
    for command in [
        "demo",
        "import",
        "export",
        "replay",
        "report",
        "card",
        "audit",
        "verify",
        "migrate",
        "users",
        "erase",
        "subject-export",
    ] {
        let out = crm(dir.path(), &[command, "--help"]);
        assert!(out.status.success(), "{command}");
        insta::assert_snapshot!(format!("help_{command}"), text(&out.stdout));
    }
    let wrong = crm(dir.path(), &["frobnicate"]);
    assert_eq!(wrong.status.code(), Some(2));
}

#[test]
fn a_bad_line_stops_the_import_and_the_fixed_file_completes_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let mut lines = sample_log();
    let good = lines[6].clone();
    lines[6] = "{ broken".into();
    let file = write(dir.path(), "log.jsonl", &lines);
    let out = crm(&store, &["import", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.starts_with("crm: line 7: "), "{err}");
    assert!(
        err.contains("Everything before line 7 is imported"),
        "{err}"
    );
    assert_eq!(exported(&store).len(), 6);
    lines[6] = good;
    let file = write(dir.path(), "log.jsonl", &lines);
    let out = crm(&store, &["import", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout)
            .starts_with("imported 7 events (6 already present, 0 lines set aside) from 13 lines"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(exported(&store).len(), 13, "no duplicates");
    let verify = crm(&store, &["verify"]);
    assert!(verify.status.success());
    assert_eq!(
        text(&verify.stdout).trim(),
        "13 events in 13 streams: no faults"
    );
}

#[test]
fn skip_invalid_writes_the_rejected_lines_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let mut lines = sample_log();
    lines.insert(3, "not json".into());
    let file = write(dir.path(), "log.jsonl", &lines);
    let rejects = dir.path().join("rejected.jsonl");
    let out = crm(
        &store,
        &[
            "import",
            file.to_str().unwrap(),
            "--skip-invalid",
            rejects.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("line 4: set aside: "),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&rejects).unwrap(), "not json\n");
    assert_eq!(exported(&store).len(), 13);
}

#[test]
fn export_then_import_into_an_empty_store_gives_the_same_log() {
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = (dir.path().join("a"), dir.path().join("b"));
    let file = write(dir.path(), "log.jsonl", &sample_log());
    assert!(crm(&first, &["import", file.to_str().unwrap()])
        .status
        .success());
    let out = crm(&first, &["export"]);
    let copy = dir.path().join("copy.jsonl");
    std::fs::write(&copy, &out.stdout).unwrap();
    assert!(crm(&second, &["import", copy.to_str().unwrap()])
        .status
        .success());
    assert_eq!(exported(&second), exported(&first));
}

#[test]
fn a_compressed_import_reads_back_the_same_log_and_stays_compressed() {
    let dir = tempfile::tempdir().unwrap();
    let (plain, compressed) = (dir.path().join("plain"), dir.path().join("zstd"));
    let file = write(dir.path(), "log.jsonl", &sample_log());
    succeeds(&crm(&plain, &["import", file.to_str().unwrap()]));
    succeeds(&crm(
        &compressed,
        &["import", "--compressed", file.to_str().unwrap()],
    ));
    let conf = std::fs::read(compressed.join("conf")).unwrap();
    assert!(String::from_utf8_lossy(&conf).contains("use_compression: true"));
    // Opened later without the flag, by every command, it is still the compressed store.
    succeeds(&crm(&compressed, &["verify"]));
    let card = succeeds(&crm(&compressed, &["card", "c3@example.com"]));
    assert!(card.starts_with("Cliente Número 3"), "{card}");
    assert_eq!(card, succeeds(&crm(&plain, &["card", "c3@example.com"])));
    let replayed = succeeds(&crm(&compressed, &["replay"]));
    assert!(
        replayed.starts_with("replayed 13 events into 13 cards"),
        "{replayed}"
    );

    let url = fails(&crm(
        Path::new("postgres://nobody@127.0.0.1:1/none"),
        &["import", "--compressed", file.to_str().unwrap()],
    ));
    assert!(
        url.contains("--compressed is for a store directory"),
        "{url}"
    );
}

#[test]
fn card_and_report_read_the_imported_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let file = write(dir.path(), "log.jsonl", &sample_log());
    assert!(crm(&store, &["import", file.to_str().unwrap()])
        .status
        .success());
    let card = crm(&store, &["card", "c3@example.com"]);
    assert!(card.status.success(), "{}", text(&card.stderr));
    let orders = succeeds(&crm(
        &store,
        &[
            "explain",
            "card",
            "--customer",
            "c3@example.com",
            "--column",
            "orders",
        ],
    ));
    assert!(orders.starts_with("card contact "), "{orders}");
    assert!(orders.contains(" from "), "{orders}");
    assert!(
        text(&card.stdout).starts_with("Cliente Número 3"),
        "{}",
        text(&card.stdout)
    );
    let missing = crm(&store, &["card", "nobody@example.com"]);
    assert_eq!(missing.status.code(), Some(1));
    let audit = crm(&store, &["audit", "c3@example.com"]);
    assert!(audit.status.success(), "{}", text(&audit.stderr));
    let audit = text(&audit.stdout);
    assert!(audit.starts_with("Cliente Número 3 ("), "{audit}");
    assert!(audit.contains("): 2 changes"), "{audit}");
    assert!(
        audit.contains("name               — → Cliente Número 3  by the system"),
        "{audit}"
    );
    assert!(audit.contains("emails             — → c3@example.com  by the system"));
    let report = crm(
        &store,
        &[
            "report",
            "sales",
            "--from",
            "2026-01-01",
            "--to",
            "2026-01-31",
            "--format",
            "csv",
        ],
    );
    assert!(report.status.success(), "{}", text(&report.stderr));
    assert!(
        text(&report.stdout).starts_with("bucket,group,currency"),
        "{}",
        text(&report.stdout)
    );
    let replay = crm(&store, &["replay"]);
    assert!(
        text(&replay.stdout).starts_with("replayed 13 events into 13 cards"),
        "{}",
        text(&replay.stdout)
    );
}

#[test]
fn an_import_leaves_a_snapshot_and_a_card_is_shown_as_of_a_past_position() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let file = write(dir.path(), "log.jsonl", &sample_log());
    let imported = succeeds(&crm(&store, &["import", file.to_str().unwrap()]));
    assert!(
        imported.contains(
            "snapshots of the views at positions 13: later commands start from the latest"
        ),
        "{imported}"
    );
    // The fourth contact, c3, was created by the fourth event.
    let before = crm(&store, &["card", "c3@example.com", "--as-of", "3"]);
    assert_eq!(before.status.code(), Some(1), "{}", text(&before.stdout));
    assert!(
        text(&before.stderr).contains("as of position 3: the log through position 3 (recorded "),
        "{}",
        text(&before.stderr)
    );
    let then = succeeds(&crm(&store, &["card", "c3@example.com", "--as-of", "4"]));
    assert!(then.starts_with("Cliente Número 3"), "{then}");
    let now = succeeds(&crm(&store, &["card", "c3@example.com"]));
    assert_eq!(then, now, "nothing changed c3 since");
    let ahead = fails(&crm(&store, &["card", "c3@example.com", "--as-of", "99"]));
    assert!(
        ahead.contains("the log ends at position 13: there is no position 99 to go back to"),
        "{ahead}"
    );
    let nonsense = fails(&crm(
        &store,
        &["card", "c3@example.com", "--as-of", "yesterday"],
    ));
    assert!(
        nonsense.contains("--as-of \"yesterday\": not a position, a day"),
        "{nonsense}"
    );
    let report = succeeds(&crm(
        &store,
        &[
            "report",
            "customers",
            "--from",
            "2026-01-01",
            "--to",
            "2026-01-31",
            "--as-of",
            "2000-01-01",
        ],
    ));
    assert!(!report.is_empty());
    let saved = succeeds(&crm(&store, &["snapshot"]));
    assert_eq!(
        saved,
        "saved a snapshot of the views at position 13\nthe store keeps snapshots at positions 13\n"
    );
    let no_board = crm(&store, &["board"]);
    assert_eq!(no_board.status.code(), Some(1));
    assert!(text(&no_board.stderr).contains("no pipeline is defined"));
}

/// The snapshot is a file in the store's `views/` directory: a byte flipped in it is found by
/// its checksum, named, ignored, and the card is the one the events give.
#[test]
fn a_damaged_snapshot_file_is_ignored_with_a_message_and_the_card_is_still_right() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let file = write(dir.path(), "log.jsonl", &sample_log());
    succeeds(&crm(&store, &["import", file.to_str().unwrap()]));
    let right = succeeds(&crm(&store, &["card", "c3@example.com"]));
    let snapshot = store.join("views").join(format!("{:020}.views", 13));
    let mut bytes = std::fs::read(&snapshot).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x20;
    std::fs::write(&snapshot, bytes).unwrap();
    let card = crm(&store, &["card", "c3@example.com"]);
    assert_eq!(text(&card.stdout), right);
    assert_eq!(
        text(&card.stderr),
        "crm: the snapshot at position 13 does not decode: views snapshot 13: its state does not \
         match its checksum: ignored, the views were rebuilt from the events\n"
    );
}

#[test]
fn the_board_is_shown_now_and_as_of_the_start_of_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    succeeds(&crm(&store, &["demo", "--seed", "7", "--customers", "12"]));
    let board = succeeds(&crm(&store, &["board"]));
    assert!(board.starts_with("Pipeline "), "{board}");
    let empty = crm(&store, &["board", "--as-of", "0"]);
    assert_eq!(
        empty.status.code(),
        Some(1),
        "no pipeline had been defined at position 0"
    );
    let other = crm(&store, &["board", "--pipeline", "no such pipeline"]);
    assert!(text(&other.stderr).contains("no pipeline is named \"no such pipeline\""));

    // The events behind a board column and a sales figure, which add up to them.
    let column = succeeds(&crm(
        &store,
        &["explain", "board", "--column", "negotiation"],
    ));
    let refunds = succeeds(&crm(
        &store,
        &[
            "explain",
            "sales",
            "--bucket",
            "2026-08",
            "--column",
            "refunds",
            "--tz",
            "Europe/Madrid",
        ],
    ));
    insta::assert_snapshot!("explain_demo_seed_7", format!("{column}\n{refunds}"));
    let year = ["--from", "2026-01-01", "--to", "2026-12-31"];
    let median = succeeds(&crm(
        &store,
        &[&["explain", "fulfillment", "--column", "median"], &year[..]].concat(),
    ));
    let stars = succeeds(&crm(
        &store,
        &[
            &["explain", "satisfaction", "--bucket", "total"],
            &year[..],
            &["--column", "average_stars"],
        ]
        .concat(),
    ));
    insta::assert_snapshot!(
        "explain_fulfillment_and_satisfaction_demo_seed_7",
        format!("{median}\n{stars}")
    );
    // The other families, each adding up to its figure in the report.
    for (family, column) in [
        ("customers", "repeat_rate"),
        ("customers", "ltv_p40"),
        ("activity", "inbound"),
        ("activity", "response_median"),
        ("activity", "sent"),
        ("pipeline", "won"),
        ("pipeline", "win_rate"),
        ("pipeline", "opened --row 2026-06"),
    ] {
        let (column, row) = column.split_once(' ').unwrap_or((column, ""));
        let out = succeeds(&crm(
            &store,
            &[
                &["explain", family, "--column", column],
                &row.split_whitespace().collect::<Vec<_>>()[..],
                &year[..],
            ]
            .concat(),
        ));
        assert!(out.contains(" from "), "{family} {column} {row}: {out}");
    }
    let unnamed = fails(&crm(
        &store,
        &[&["explain", "attribution", "--column", "leads"], &year[..]].concat(),
    ));
    assert!(unnamed.contains("--source or --campaign"), "{unnamed}");
    // Every option that names something says what it did not find.
    for (args, said) in [
        (
            &["fulfillment", "--column", "speed"][..],
            "--column \"speed\": the fulfillment report has orders",
        ),
        (
            &["fulfillment", "--column", "median", "--stage", "nowhere"],
            "--stage \"nowhere\": the stages are placed-paid",
        ),
        (
            &["fulfillment", "--column", "late"],
            "name the carrier with --carrier",
        ),
        (
            &["activity", "--column", "calls", "--manager", "Nobody Here"],
            "--manager \"Nobody Here\": no user has that name or email",
        ),
        (
            &["activity", "--column", "tasks_overdue"],
            "name a user with --manager",
        ),
        (
            &["activity", "--column", "sent", "--channel", "fax"],
            "--channel \"fax\": messages go by email or sms",
        ),
        (
            &["pipeline", "--column", "conversion", "--stage", "nowhere"],
            "--stage \"nowhere\": the pipeline has no such stage",
        ),
        (
            &["mailings", "--column", "sent"],
            "name the mailing's campaign with --campaign",
        ),
        (
            &["mailings", "--column", "opened", "--campaign", "Any"],
            "the attribution report's mailings table has sent, bounced",
        ),
        (
            &["pipeline", "--column", "win_rate", "--row", "2026-06"],
            "count only opened, won, lost and won_amount",
        ),
        (
            &["pipeline", "--column", "won", "--manager", "unassigned"],
            "every deal has an owner",
        ),
        (
            &["attribution", "--column", "leads", "--campaign", "No such"],
            "--campaign \"No such\": no campaign has that name",
        ),
        (
            &[
                "card",
                "--column",
                "orders",
                "--customer",
                "nobody@example.com",
            ],
            "--customer \"nobody@example.com\": no customer matches",
        ),
        (
            &["customers", "--column", "loyalty"],
            "the customers report has new, active",
        ),
    ] {
        let wrong = fails(&crm(&store, &[&["explain"][..], args, &year[..]].concat()));
        assert!(wrong.contains(said), "{args:?}: {wrong}");
    }
    let web = succeeds(&crm(
        &store,
        &[
            &[
                "explain",
                "attribution",
                "--column",
                "leads",
                "--source",
                "web",
            ],
            &year[..],
        ]
        .concat(),
    ));
    assert!(web.starts_with("attribution source web, leads"), "{web}");
    let wrong = fails(&crm(
        &store,
        &[
            "explain", "sales", "--bucket", "2026-08", "--column", "profit",
        ],
    ));
    assert!(
        wrong.contains("--column \"profit\": the sales report has placed, delivered"),
        "{wrong}"
    );
}

/// `crm` with `--as who` before the rest of `args`.
fn crm_as(store: &Path, who: &str, args: &[&str]) -> Output {
    let mut all = vec!["--as", who];
    all.extend_from_slice(args);
    crm(store, &all)
}

fn succeeds(out: &Output) -> String {
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

fn fails(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    text(&out.stderr)
}

#[test]
fn users_are_bootstrapped_by_the_system_and_then_managed_by_an_admin() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let log = write(dir.path(), "log.jsonl", &sample_log());
    succeeds(&crm(&store, &["import", log.to_str().unwrap()]));

    // The first admin comes from whoever holds the store; the others from that admin.
    let add = [
        "users",
        "add",
        "Ana Gil",
        "ana@shop.example",
        "--role",
        "admin",
    ];
    assert_eq!(succeeds(&crm(&store, &add)), "added Ana Gil as admin\n");
    assert!(succeeds(&crm(&store, &add)).starts_with("nothing to change"));
    let marta = [
        "users",
        "add",
        "Marta Ruiz",
        "marta@shop.example",
        "--role",
        "manager",
        "--team",
        "Madrid",
    ];
    succeeds(&crm_as(&store, "ana@shop.example", &marta));
    let web = [
        "users",
        "add",
        "Web shop",
        "web@shop.example",
        "--role",
        "integration:order.place,interaction.log",
    ];
    succeeds(&crm_as(&store, "Ana Gil", &web));
    let listed = succeeds(&crm_as(&store, "ana", &["users", "list"]));
    insta::assert_snapshot!("users_list", listed);

    // A manager may not add users, and nothing is written.
    let before = exported(&store).len();
    let viewer = [
        "users",
        "add",
        "Vera",
        "vera@shop.example",
        "--role",
        "viewer",
    ];
    let denied = fails(&crm_as(&store, "marta", &viewer));
    assert!(
        denied.contains("Marta Ruiz") && denied.contains("user.add"),
        "{denied}"
    );
    assert_eq!(exported(&store).len(), before);

    // A manager sees no card she does not own (the imported customers have no owner, so she
    // sees them as the pool she may pick up), and no whole-log command.
    let card = succeeds(&crm_as(&store, "marta", &["card", "Acme"]));
    assert!(card.contains("Acme"), "{card}");
    let export = fails(&crm_as(&store, "marta", &["export"]));
    assert!(export.contains("only an admin"), "{export}");
    succeeds(&crm_as(&store, "ana", &["export"]));
    let demo = fails(&crm_as(&store, "ana", &["demo"]));
    assert!(demo.contains("without --as"), "{demo}");

    // A role change and a deactivation take effect at once.
    let promoted = crm_as(&store, "ana", &["users", "role", "marta", "head_of_sales"]);
    assert_eq!(succeeds(&promoted), "Marta Ruiz is now head_of_sales\n");
    succeeds(&crm_as(
        &store,
        "ana",
        &["users", "deactivate", "marta@shop.example"],
    ));
    let gone = fails(&crm_as(&store, "marta", &["card", "Acme"]));
    assert!(gone.contains("deactivated"), "{gone}");
    let unknown = fails(&crm_as(&store, "nobody", &["card", "Acme"]));
    assert!(unknown.contains("no user"), "{unknown}");
    let bad_role = crm(&store, &["users", "role", "marta", "boss"]);
    assert_eq!(
        bad_role.status.code(),
        Some(2),
        "a wrong argument, from clap"
    );
    succeeds(&crm_as(&store, "ana", &["users", "reactivate", "marta"]));
    succeeds(&crm_as(&store, "marta", &["card", "Acme"]));
}

#[test]
fn reading_as_a_manager_shows_her_customers_only_and_their_audit_trail() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    succeeds(&crm(&store, &["demo", "--seed", "7", "--customers", "12"]));
    let users = succeeds(&crm(&store, &["users", "list"]));
    assert!(
        users.contains("Jorge Sanz") && users.contains("Pilar Moreno"),
        "{users}"
    );

    const SALES: [&str; 8] = [
        "report",
        "sales",
        "--from",
        "2026-06-01",
        "--to",
        "2026-08-31",
        "--format",
        "csv",
    ];
    let mine = |who: &str| succeeds(&crm_as(&store, who, &SALES));
    // The system's report is the whole shop; each manager's is her own customers', and the
    // two managers' together with the unowned rest add up to it (checked on the total rows).
    let placed = |csv: &str| -> u64 {
        csv.lines()
            .filter(|l| l.starts_with("total,"))
            .map(|l| l.split(',').nth(3).unwrap().parse::<u64>().unwrap())
            .sum()
    };
    let all = placed(&succeeds(&crm(&store, &SALES)));
    let jorge = placed(&mine("jorge"));
    let pilar = placed(&mine("pilar"));
    let elena = placed(&mine("elena"));
    assert!(jorge > 0 && pilar > 0, "{jorge} {pilar}");
    assert!(jorge + pilar <= all);
    assert!(elena >= jorge + pilar, "the head sees her team's");

    // Jorge's customer: her audit trail for him, nothing for Pilar.
    let trail = succeeds(&crm_as(
        &store,
        "jorge",
        &["audit", "Elena Castro", "--limit", "3"],
    ));
    assert!(
        trail.contains("showing 1–3") && trail.contains("by Jorge Sanz"),
        "{trail}"
    );
    let hidden = fails(&crm_as(&store, "pilar", &["audit", "Elena Castro"]));
    assert!(hidden.contains("no customer matches"), "{hidden}");
}

#[test]
fn an_erased_person_stays_erased_through_export_and_import_and_keys_move_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first");
    let log = write(dir.path(), "log.jsonl", &sample_log());
    succeeds(&crm(&first, &["import", log.to_str().unwrap()]));

    // What the CRM holds about c3, then c3 forgotten.
    let held = succeeds(&crm(&first, &["subject-export", "c3@example.com"]));
    let held: serde_json::Value = serde_json::from_str(&held).unwrap();
    assert_eq!(held["card"]["personal"]["emails"][0], "c3@example.com");
    let erase = [
        "erase",
        "c3@example.com",
        "--reason",
        "request of 2026-03-09",
    ];
    let erased = succeeds(&crm(&first, &erase));
    assert!(erased.starts_with("erased Cliente Número 3"), "{erased}");
    fails(&crm(&first, &["card", "c3@example.com"]));
    let ambiguous = fails(&crm(&first, &["erase", "Cliente", "--reason", "x"]));
    assert!(ambiguous.contains("people match"), "{ambiguous}");

    // Moved with its keys: the others read there, c3 stays erased.
    let exported_log = dir.path().join("exported.jsonl");
    let keys = dir.path().join("keys.jsonl");
    let out = crm(&first, &["export", "--keys", keys.to_str().unwrap()]);
    std::fs::write(&exported_log, succeeds(&out)).unwrap();
    assert!(
        text(&out.stderr).contains("wrote 11 data keys"),
        "{}",
        text(&out.stderr)
    );
    let log_text = std::fs::read_to_string(&exported_log).unwrap();
    assert!(!log_text.contains("c3@example.com") && !log_text.contains("c4@example.com"));
    assert!(log_text.contains("ContactErased"));
    let second = dir.path().join("second");
    let import = [
        "import",
        exported_log.to_str().unwrap(),
        "--keys",
        keys.to_str().unwrap(),
    ];
    succeeds(&crm(&second, &import));
    assert!(succeeds(&crm(&second, &["card", "c4@example.com"])).contains("c4@example.com"));
    fails(&crm(&second, &["card", "c3@example.com"]));

    // Without the keys, the log still imports whole, but nobody's personal data reads.
    let third = dir.path().join("third");
    succeeds(&crm(&third, &["import", exported_log.to_str().unwrap()]));
    fails(&crm(&third, &["card", "c4@example.com"]));
    assert_eq!(exported(&third).len(), exported(&first).len());
    // Only an admin erases.
    succeeds(&crm(
        &first,
        &[
            "users",
            "add",
            "Marta",
            "marta@shop.example",
            "--role",
            "manager",
        ],
    ));
    let denied = fails(&crm_as(
        &first,
        "marta",
        &["erase", "c4@example.com", "--reason", "x"],
    ));
    assert!(denied.contains("only an admin erases"), "{denied}");
}

#[test]
fn automation_rules_are_added_switched_and_listed_by_a_head_of_sales() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    succeeds(&crm(&store, &["demo", "--seed", "7", "--customers", "12"]));
    let elena = |args: &[&str]| crm_as(&store, "elena", args);
    // The demo's head of sales switched the survey on; the others are added here.
    let again = succeeds(&elena(&["automation", "add", "survey"]));
    assert_eq!(
        again,
        "Satisfaction survey the day after delivery: nothing to change\n"
    );
    assert_eq!(
        succeeds(&elena(&["automation", "add", "unpaid", "--days", "5"])),
        "Payment reminder after 5 days: done\n"
    );
    succeeds(&elena(&[
        "automation",
        "add",
        "weekly-report",
        "--to",
        "elena",
    ]));
    succeeds(&elena(&[
        "automation",
        "enable",
        "weekly sales report, mondays 09:00",
    ]));
    let denied = fails(&crm_as(
        &store,
        "jorge",
        &["automation", "disable", "Payment reminder after 5 days"],
    ));
    assert!(
        denied.contains("only an admin or a head of sales"),
        "{denied}"
    );
    let unknown = fails(&elena(&["automation", "enable", "no such rule"]));
    assert!(unknown.contains("no rule named"), "{unknown}");
    insta::assert_snapshot!(
        "automation_list",
        succeeds(&crm(&store, &["automation", "list"]))
    );
}

#[test]
fn the_demo_shops_surveys_are_queued_once_when_due_and_each_manager_sees_her_own() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    succeeds(&crm(&store, &["demo", "--seed", "7", "--customers", "12"]));
    assert_eq!(succeeds(&crm(&store, &["outbox"])), "the outbox is empty\n");
    let pending = succeeds(&crm(&store, &["outbox", "--all"]));
    let surveys = pending.lines().count();
    assert!(
        surveys > 0 && pending.lines().all(|l| l.contains(" pending ")),
        "{pending}"
    );
    // Before the first one is due: nothing. At the end of the summer: every one, once.
    let early = succeeds(&crm(&store, &["run-due", "--now", "2026-06-01T00:00:00Z"]));
    assert_eq!(
        early,
        "as of 2026-06-01 00:00 UTC: 0 messages queued, 0 skipped\n"
    );
    let late = ["run-due", "--now", "2026-09-30T00:00:00+02:00"];
    let ran = succeeds(&crm(&store, &late));
    assert_eq!(
        ran,
        format!("as of 2026-09-29 22:00 UTC: {surveys} messages queued, 0 skipped\n")
    );
    assert!(succeeds(&crm(&store, &late)).contains(": 0 messages queued"));
    let queued = succeeds(&crm(&store, &["outbox"]));
    assert_eq!(queued.lines().count(), surveys);
    let jorge = succeeds(&crm_as(&store, "jorge", &["outbox"]));
    let pilar = succeeds(&crm_as(&store, "pilar", &["outbox"]));
    let theirs = jorge.lines().count() + pilar.lines().count();
    assert!(theirs > 0 && theirs < surveys, "{jorge}{pilar}");
    assert!(jorge.lines().all(|l| !pilar.contains(l)));
}

#[test]
fn a_template_is_saved_refused_with_its_line_when_broken_and_previewed_for_a_customer() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    succeeds(&crm(&store, &["demo", "--seed", "7", "--customers", "12"]));
    let body = write(
        dir.path(),
        "survey.html",
        &[
            "<p>Dear {{ customer.given_name }},</p>".to_owned(),
            "<p>How was it?</p>".to_owned(),
        ],
    );
    let save = [
        "template",
        "save",
        "survey",
        "--subject",
        "How did we do?",
        "--body-file",
        body.to_str().unwrap(),
    ];
    assert_eq!(
        succeeds(&crm_as(&store, "elena", &save)),
        "template \"survey\": saved\n"
    );
    let preview = succeeds(&crm(
        &store,
        &["template", "preview", "survey", "Elena Castro"],
    ));
    assert_eq!(
        preview,
        "Subject: How did we do?\n\n<p>Dear Elena,</p>\n<p>How was it?</p>\n"
    );
    let broken = write(
        dir.path(),
        "broken.html",
        &["Hi".to_owned(), "{{ customer.name }".to_owned()],
    );
    let refused = fails(&crm(
        &store,
        &[
            "template",
            "save",
            "survey",
            "--body-file",
            broken.to_str().unwrap(),
        ],
    ));
    assert!(refused.contains("refused at line 2"), "{refused}");
    let denied = fails(&crm_as(&store, "jorge", &save));
    assert!(denied.contains("template.save"), "{denied}");
}

#[test]
fn a_bad_key_encryption_key_or_keys_file_is_refused_and_names_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let log = write(dir.path(), "log.jsonl", &sample_log());
    let with_key = |key: &str, args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_crm"))
            .env_remove("CRM_STORE")
            .env("CRM_KEY", key)
            .arg("--store")
            .arg(&store)
            .args(args)
            .output()
            .unwrap()
    };
    let not_base64 = fails(&with_key("not base64!", &["import", log.to_str().unwrap()]));
    assert!(
        not_base64.contains("CRM_KEY") && not_base64.contains("base64"),
        "{not_base64}"
    );
    let short = fails(&with_key("AAAA", &["import", log.to_str().unwrap()]));
    assert!(short.contains("CRM_KEY") && short.contains("32"), "{short}");

    succeeds(&crm(&store, &["import", log.to_str().unwrap()]));
    let keys = write(
        dir.path(),
        "keys.jsonl",
        &["{\"subject\":{\"contact\":\"00000000-0000-0000-0000-000000000001\"}}".to_owned()],
    );
    let other = dir.path().join("other");
    let import = [
        "import",
        log.to_str().unwrap(),
        "--keys",
        keys.to_str().unwrap(),
    ];
    let damaged = fails(&crm(&other, &import));
    assert!(damaged.contains("keys.jsonl line 1"), "{damaged}");
    let wrong_length = write(
        dir.path(),
        "short-keys.jsonl",
        &["{\"subject\":{\"contact\":\"00000000-0000-0000-0000-000000000001\"},\"key\":\"00000000-0000-0000-0000-000000000009\",\"data_key\":\"AAAA\"}".to_owned()],
    );
    let import = [
        "import",
        log.to_str().unwrap(),
        "--keys",
        wrong_length.to_str().unwrap(),
    ];
    let refused = fails(&crm(&other, &import));
    assert!(refused.contains("short-keys.jsonl line 1"), "{refused}");
}

#[test]
fn the_demo_writes_a_shop_and_reads_it_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let out = crm(&store, &["demo", "--seed", "7", "--customers", "12"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let (report, timings): (Vec<&str>, Vec<&str>) =
        stdout.lines().partition(|l| !l.contains("events/s"));
    assert!(timings[0].starts_with("wrote "), "{stdout}");
    assert!(timings[1].starts_with("replayed "), "{stdout}");
    insta::assert_snapshot!("demo_seed_7", report.join("\n"));
    let again = crm(&store, &["demo", "--seed", "7", "--customers", "12"]);
    assert!(
        text(&again.stdout).starts_with("The store in "),
        "{}",
        text(&again.stdout)
    );
    assert!(crm(&store, &["verify"]).status.success());
}

#[test]
fn reading_commands_on_a_path_without_a_store_fail_and_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-store-here");
    for args in [
        &["verify"][..],
        &["export"],
        &["replay"],
        &["card", "Ana"],
        &[
            "report",
            "sales",
            "--from",
            "2026-01-01",
            "--to",
            "2026-02-01",
        ],
    ] {
        let out = crm(&missing, args);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains("holds no crm store"),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(!missing.exists(), "{args:?} created a store");
    }
}

#[test]
fn a_report_of_several_tables_is_csv_one_table_per_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let file = write(dir.path(), "log.jsonl", &sample_log());
    assert!(crm(&store, &["import", file.to_str().unwrap()])
        .status
        .success());
    let period = [
        "--from",
        "2026-01-01",
        "--to",
        "2026-12-31",
        "--format",
        "csv",
    ];
    let report = |extra: &[&str]| {
        let mut args = vec!["report", "fulfillment"];
        args.extend(period);
        args.extend(extra);
        crm(&store, &args)
    };
    let mixed = report(&[]);
    assert_eq!(mixed.status.code(), Some(1));
    assert!(
        text(&mixed.stderr)
            .contains("has 3 tables (stages, carriers, stuck): choose one with --table NAME"),
        "{}",
        text(&mixed.stderr)
    );
    let one = report(&["--table", "carriers"]);
    assert!(one.status.success(), "{}", text(&one.stderr));
    assert!(
        text(&one.stdout).starts_with("carrier,"),
        "{}",
        text(&one.stdout)
    );
    let out = dir.path().join("csv");
    std::fs::create_dir(&out).unwrap();
    let each = report(&["--csv-dir", out.to_str().unwrap()]);
    assert!(each.status.success(), "{}", text(&each.stderr));
    for name in ["stages", "carriers", "stuck"] {
        assert!(
            out.join(format!("fulfillment-{name}.csv")).is_file(),
            "{name}"
        );
    }
}

#[test]
fn a_store_with_lost_sled_files_is_reported_damaged_never_healthy() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let file = write(dir.path(), "log.jsonl", &sample_log());
    assert!(crm(&store, &["import", file.to_str().unwrap()])
        .status
        .success());
    std::fs::remove_file(store.join("db")).unwrap();
    for args in [&["verify"][..], &["replay"], &["export"]] {
        let out = crm(&store, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = text(&out.stderr);
        assert!(err.contains("is damaged"), "{args:?}: {err}");
        assert!(err.contains("Restore the directory from a backup"), "{err}");
        assert!(
            !err.contains("panicked") && !err.contains("backtrace"),
            "{err}"
        );
    }
}

/// The server's URL (`scripts/postgres-dev.sh` exports it); skips without one, but not in CI.
fn postgres_url() -> Option<String> {
    match std::env::var("CRM_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI=true but CRM_POSTGRES_URL is not set: .ci/run starts the server")
        }
        _ => {
            eprintln!("skipped: no PostgreSQL server (run under scripts/postgres-dev.sh run -- …)");
            None
        }
    }
}

#[test]
fn every_command_runs_on_a_postgres_url_and_an_unmigrated_one_says_what_to_do() {
    let Some(url) = postgres_url() else { return };
    let schema = format!("cli_{}", uuid::Uuid::new_v4().simple());
    let location = format!("{url}?schema={schema}");
    let store = Path::new(&location);

    let refused = crm(store, &["card", "c3@example.com"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused.stderr).contains("no crm tables; migrate it first (`crm migrate`"),
        "{}",
        text(&refused.stderr)
    );
    let migrated = crm(store, &["migrate"]);
    assert!(migrated.status.success(), "{}", text(&migrated.stderr));
    assert_eq!(
        text(&migrated.stdout).trim(),
        format!("the PostgreSQL schema {schema}: at schema version 3")
    );

    let dir = tempfile::tempdir().unwrap();
    let lines = sample_log();
    let file = write(dir.path(), "log.jsonl", &lines);
    let imported = crm(store, &["import", file.to_str().unwrap()]);
    assert!(imported.status.success(), "{}", text(&imported.stderr));
    assert!(text(&imported.stdout).starts_with("imported 13 events (0 already present"));
    let again = crm(store, &["import", file.to_str().unwrap()]);
    assert!(text(&again.stdout).starts_with("imported 0 events (13 already present"));

    let card = crm(store, &["card", "c3@example.com"]);
    assert!(card.status.success(), "{}", text(&card.stderr));
    assert!(text(&card.stdout).starts_with("Cliente Número 3"));
    let verify = crm(store, &["verify"]);
    assert_eq!(
        text(&verify.stdout).trim(),
        "13 events in 13 streams: no faults"
    );

    // What went in comes out, but for the time the server recorded it and the ciphertexts:
    // each store sealed the personal data with keys of its own.
    let sled_store = dir.path().join("sled");
    assert!(crm(&sled_store, &["import", file.to_str().unwrap()])
        .status
        .success());
    let shape = |store: &Path| -> Vec<serde_json::Value> {
        exported(store)
            .into_iter()
            .map(without_ciphertext)
            .collect()
    };
    assert_eq!(shape(store), shape(&sled_store));
}

#[test]
fn the_demo_shops_surveys_are_sent_as_files_once_and_a_mailing_respects_consent() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let outbox = dir.path().join("sent");
    succeeds(&crm(&store, &["demo", "--seed", "7", "--customers", "12"]));
    let late = ["run-due", "--now", "2026-09-30T00:00:00+02:00"];
    succeeds(&crm(&store, &late));
    let listed = succeeds(&crm(&store, &["outbox"]));
    let queued = listed.lines().count();
    // The demo's companies have no email address and no representative with one.
    let to_companies = listed.lines().filter(|l| l.contains("(company ")).count();
    let to_people = queued - to_companies;
    let send = [
        "send",
        "--sender",
        "files",
        "--dir",
        outbox.to_str().unwrap(),
        "--from",
        "Tienda <hola@tienda.example>",
    ];
    assert_eq!(
        succeeds(&crm(&store, &send)),
        format!(
            "{to_people} sent, {to_companies} failed (tried again next time, three times in all), 0 no longer to be sent\n"
        )
    );
    let files = std::fs::read_dir(&outbox).unwrap().count();
    assert_eq!(files, to_people, "one file per message sent");
    let again = succeeds(&crm(&store, &send));
    assert!(
        again.starts_with(&format!("0 sent, {to_companies} failed")),
        "{again}"
    );
    let left = succeeds(&crm(&store, &["outbox"]));
    assert!(
        left.lines().all(|l| l.contains("has no email address")),
        "{left}"
    );
    // A bounce reported for one of the files' messages; reporting it again changes nothing,
    // and a message that never was is refused.
    let first = std::fs::read_dir(&outbox).unwrap().next().unwrap().unwrap();
    let id = first.file_name().to_string_lossy().replace(".eml", "");
    let bounce = ["bounce", id.as_str(), "--reason", "550 mailbox unavailable"];
    assert_eq!(
        succeeds(&crm(&store, &bounce)),
        format!("message {id}: bounced\n")
    );
    assert!(succeeds(&crm(&store, &bounce)).contains("already recorded"));
    let all = succeeds(&crm(&store, &["outbox", "--all"]));
    assert!(
        all.contains(&format!("{id}  bounced: 550 mailbox unavailable")),
        "{all}"
    );
    let nowhere = "00000000-0000-0000-0000-000000000001";
    let unknown = fails(&crm(&store, &["bounce", nowhere, "--reason", "550"]));
    assert!(unknown.contains("was never scheduled"), "{unknown}");

    let mail = [
        "mail",
        "summer newsletter",
        "--template",
        "survey",
        "--min-orders",
        "1",
        "--due",
        "2026-10-01T09:00:00+02:00",
    ];
    let mailed = succeeds(&crm(&store, &mail));
    assert!(mailed.starts_with("Summer newsletter: "), "{mailed}");
    let again = succeeds(&crm(&store, &mail));
    assert!(again.contains(" 0 messages scheduled"), "{again}");
    let unknown = fails(&crm(
        &store,
        &["mail", "winter", "--template", "survey", "--tag", "x"],
    ));
    assert!(unknown.contains("no campaign is called"), "{unknown}");
    let not_a_token = fails(&crm(
        &store,
        &["unsubscribe", "00000000-0000-0000-0000-000000000000"],
    ));
    assert!(not_a_token.contains("is not the token"), "{not_a_token}");
}

/// The attachment `file_name` of the email `eml`, decoded (lettre sends it in base64, with
/// the CRLF line ends of MIME text).
fn attachment(eml: &str, file_name: &str) -> String {
    use base64::Engine;
    let start = eml.find(&format!("\"{file_name}\"")).unwrap();
    let body = &eml[start..];
    let body = &body[body.find("\r\n\r\n").unwrap() + 4..];
    let encoded: String = body.lines().take_while(|l| !l.starts_with("--")).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .unwrap();
    String::from_utf8(bytes).unwrap().replace("\r\n", "\n")
}

#[test]
fn the_weekly_report_arrives_as_an_email_whose_attachment_is_crm_report_sales_for_the_week() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let sent = dir.path().join("sent");
    succeeds(&crm(&store, &["demo", "--seed", "7", "--customers", "12"]));
    let add = ["automation", "add", "weekly-report", "--to", "Elena Vidal"];
    succeeds(&crm(&store, &add));
    let on = ["automation", "enable", "Weekly sales report, Mondays 09:00"];
    succeeds(&crm(&store, &on));
    // A week and a day from now: exactly one Monday 09:00 has passed since it was switched on.
    let now = (chrono::Utc::now() + chrono::TimeDelta::days(8)).to_rfc3339();
    succeeds(&crm(&store, &["run-due", "--now", &now]));
    let reports = succeeds(&crm(&store, &["outbox"]));
    let reports: Vec<&str> = reports
        .lines()
        .filter(|l| l.contains("report-sales"))
        .collect();
    assert_eq!(reports.len(), 1, "{reports:?}");
    let send = ["send", "--sender", "files", "--dir", sent.to_str().unwrap()];
    succeeds(&crm(&store, &send));
    let emls: Vec<String> = std::fs::read_dir(&sent)
        .unwrap()
        .map(|f| std::fs::read_to_string(f.unwrap().path()).unwrap())
        .filter(|eml| eml.contains("\"sales-"))
        .collect();
    assert_eq!(emls.len(), 1, "one report");
    let eml = &emls[0];
    assert!(eml.contains("To: \"Elena Vidal\""), "{eml}");
    let name_at = eml.find("\"sales-").unwrap() + 1;
    let name = &eml[name_at..name_at + "sales-2026-11-30-to-2026-12-06.txt".len()];
    let (from, to) = (&name[6..16], &name[20..30]);
    let report = succeeds(&crm_as(
        &store,
        "Elena Vidal",
        &[
            "report",
            "sales",
            "--from",
            from,
            "--to",
            to,
            "--by",
            "week",
            "--tz",
            "Europe/Madrid",
        ],
    ));
    assert_eq!(attachment(eml, name), report);
}

#[test]
fn import_csv_guesses_a_map_checks_imports_stops_at_a_bad_row_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let csv = dir.path().join("clientes.csv");
    std::fs::write(
        &csv,
        "\u{feff}Código;Nombre;Apellidos;Correo;Fecha alta\r\n\
         A1;Ana;Silva;ana@example.com;2026-03-01 10:00\r\n\
         A2;Bea;Ruiz;bea@example;2026-03-01 11:00\r\n\
         A3;Carla;Díaz;carla@example.com;2026-03-02 09:00\r\n",
    )
    .unwrap();
    let file = csv.to_str().unwrap();
    let printed = succeeds(&crm(
        &store,
        &[
            "import-csv",
            "--kind",
            "contacts",
            "--source",
            "old",
            "--tz",
            "Europe/Madrid",
            "--print-map",
            file,
        ],
    ));
    let map: serde_json::Value = serde_json::from_str(&printed).unwrap();
    assert_eq!(map["columns"]["Correo"], "email");
    assert_eq!(map["zone"], "Europe/Madrid");
    let saved = dir.path().join("map.json");
    let broken = dir.path().join("broken-map.json");
    std::fs::write(&broken, printed.replace("\"email\"", "\"e-mail\"")).unwrap();
    let refused = fails(&crm(
        &store,
        &[
            "import-csv",
            "--kind",
            "contacts",
            "--map",
            broken.to_str().unwrap(),
            file,
        ],
    ));
    assert!(
        refused.contains("broken-map.json: not a field map"),
        "{refused}"
    );
    std::fs::write(&saved, &printed).unwrap();
    let with_map = [
        "import-csv",
        "--kind",
        "contacts",
        "--map",
        saved.to_str().unwrap(),
    ];

    let mut dry = with_map.to_vec();
    dry.extend(["--dry-run", file]);
    let checked = crm(&store, &dry);
    assert!(!checked.status.success(), "a bad row fails the check");
    assert_eq!(
        text(&checked.stdout),
        "3 rows: would create 2, updated 0, unchanged 0; duplicates: 0 skipped, 0 updated, 0 created; 1 bad\n  \
         row 3, column \"Correo\", value \"bea@example\": not an email address: the domain has no dot\n"
    );

    let mut real = with_map.to_vec();
    real.push(file);
    let stopped = crm(&store, &real);
    let said = text(&stopped.stdout);
    assert!(!stopped.status.success());
    assert!(said.starts_with("2 rows: created 1, "), "{said}");
    assert!(
        said.contains("stopped at row 3; everything before it is imported"),
        "{said}"
    );
    assert!(said.contains("--from-row 4"), "{said}");
    let mut resume = with_map.to_vec();
    resume.extend(["--from-row", "4", file]);
    assert!(succeeds(&crm(&store, &resume)).starts_with("1 rows: created 1, "));
    let mut again = with_map.to_vec();
    again.extend(["--set-aside", file]);
    let second = text(&crm(&store, &again).stdout);
    assert!(
        second.starts_with("3 rows: created 0, updated 0, unchanged 2; "),
        "{second}"
    );
    let card = succeeds(&crm(&store, &["card", "carla@example.com"]));
    assert!(
        card.contains("created      2026-03-02 08:00 UTC by the import of csv:old"),
        "09:00 in Madrid: {card}"
    );
}

#[test]
fn import_csv_takes_orders_with_their_lines_and_payments_in_files_of_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    };
    // Decimal commas and `;`, as a Spanish shop's export writes them.
    let orders = write(
        "pedidos.csv",
        "order_id;customer_id;order_date;order_status;paid_at;shipped_at\n\
         P1;C1;2026-03-31 23:30:00;shipped;2026-03-31 23:31:00;2026-04-01 10:00:00\n\
         P2;C1;2026-04-02 09:00:00;cancelled;;\n",
    );
    let lines = write(
        "lineas.csv",
        "order_id;sku;quantity;price\nP1;MUG;2;12,50\nP1;TEA;1;5,00\n",
    );
    let payments = write(
        "pagos.csv",
        "order_id;payment_method;amount\nP1;card;30,00\n",
    );
    let args = |extra: &[&str]| {
        let mut all = vec![
            "import-csv",
            "--kind",
            "orders",
            "--source",
            "tienda",
            "--tz",
            "Europe/Madrid",
            "--lines",
            &lines,
            "--payments",
            &payments,
        ];
        all.extend_from_slice(extra);
        all.push(&orders);
        all.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let printed = succeeds(&crm(
        &store,
        &args(&["--print-map"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    ));
    let mut map: serde_json::Value = serde_json::from_str(&printed).unwrap();
    assert_eq!(map["columns"]["order_id"], "key");
    assert_eq!(map["columns"]["customer_id"], "customer");
    assert_eq!(map["columns"]["sku"], "product");
    assert_eq!(map["columns"]["amount"], "amount");
    let without_currency = dir.path().join("no-currency.json");
    std::fs::write(&without_currency, &printed).unwrap();
    let with = |path: &std::path::Path| {
        let mut all = args(&[]);
        all.splice(
            1..1,
            ["--map".to_owned(), path.to_str().unwrap().to_owned()],
        );
        all
    };
    let refused = fails(&crm(
        &store,
        &with(&without_currency)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    ));
    assert!(refused.contains("currency"), "{refused}");
    map["currency"] = "EUR".into();
    map["decimal_separator"] = ",".into();
    let saved = dir.path().join("map.json");
    std::fs::write(&saved, map.to_string()).unwrap();
    let run = with(&saved);
    let run: Vec<&str> = run.iter().map(String::as_str).collect();
    let done = succeeds(&crm(&store, &run));
    assert!(
        done.starts_with("2 rows: created 2, updated 0, unchanged 0"),
        "{done}"
    );
    assert!(done.contains("customers created: 1"), "{done}");
    let card = succeeds(&crm(&store, &["card", "Customer C1"]));
    assert!(card.contains("30.00 EUR"), "{card}");
    let again = succeeds(&crm(&store, &run));
    assert!(
        again.starts_with("2 rows: created 0, updated 0, unchanged 2"),
        "{again}"
    );

    // Taken back: the orders and the customer they brought, and the import runs anew.
    let import_id = done
        .lines()
        .find_map(|l| l.strip_prefix("import "))
        .and_then(|l| l.split(' ').next())
        .unwrap()
        .to_owned();
    assert!(
        done.contains(&format!("`crm revert-import {import_id}`")),
        "{done}"
    );
    let dry = succeeds(&crm(&store, &["revert-import", "--dry-run", &import_id]));
    assert!(
        dry.starts_with(&format!("would take back 9 events of import {import_id}: would withdraw 1 contact, 2 orders; 0 existing contacts")),
        "{dry}"
    );
    let reverted = succeeds(&crm(&store, &["revert-import", &import_id]));
    assert!(reverted.starts_with("took back 9 events"), "{reverted}");
    let gone = fails(&crm(&store, &["card", "Customer C1"]));
    assert!(gone.contains("no customer matches"), "{gone}");
    let unknown = fails(&crm(
        &store,
        &["revert-import", "01900000-0000-7000-8000-000000000000"],
    ));
    assert!(unknown.contains("no import"), "{unknown}");
    let anew = succeeds(&crm(&store, &run));
    assert!(anew.starts_with("2 rows: created 2, "), "{anew}");
    assert!(succeeds(&crm(&store, &["card", "Customer C1"])).contains("30.00 EUR"));
}

#[test]
fn convert_lead_makes_a_web_form_lead_a_company_and_a_deal_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    succeeds(&crm(&store, &["demo", "--seed", "7", "--customers", "6"]));
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    };
    // Web-form leads as a form tool exports them: every row a lead, the form's fields.
    let form = write(
        "form.csv",
        "id,name,email,empresa,presupuesto\nF1,Marta Gil,marta@oficinas.example,Oficinas Gil,\"2.400,50\"\n",
    );
    let leads = write(
        "leads.json",
        r#"{"kind":"contacts","source":"form","columns":{"id":"key","name":"name","email":"email","empresa":{"custom":"empresa"},"presupuesto":{"custom":"presupuesto"}},"zone":"Europe/Madrid","leads":true}"#,
    );
    succeeds(&crm(
        &store,
        &["import-csv", "--kind", "contacts", "--map", &leads, &form],
    ));
    let map = write(
        "convert.json",
        r#"{"company":{"empresa":"name"},"role":"buyer","pipeline":"Offices and hotels","amount":"presupuesto","currency":"EUR","decimal_separator":","}"#,
    );
    let nowhere = write(
        "nowhere.json",
        r#"{"company":{"empresa":"name"},"pipeline":"Nowhere","currency":"EUR"}"#,
    );
    let refused = fails(&crm(
        &store,
        &[
            "convert-lead",
            "marta@oficinas.example",
            "--map",
            &nowhere,
            "--owner",
            "Jorge Sanz",
        ],
    ));
    assert!(
        refused.contains("there is no pipeline \"Nowhere\""),
        "{refused}"
    );
    let args = [
        "convert-lead",
        "marta@oficinas.example",
        "--map",
        &map,
        "--owner",
        "Jorge Sanz",
    ];
    let done = succeeds(&crm(&store, &args));
    assert!(
        done.starts_with("converted Marta Gil (contact ")
            && done.contains(
                ") into new company \"Oficinas Gil\" and deal \"Oficinas Gil\" (2400.50 EUR)"
            ),
        "{done}"
    );
    let again = succeeds(&crm(&store, &args));
    assert!(
        again.contains("into existing company \"Oficinas Gil\""),
        "{again}"
    );
    let broken = write(
        "broken.json",
        r#"{"pipeline": "Offices and hotels", "stage": 3}"#,
    );
    let refused = fails(&crm(
        &store,
        &["convert-lead", "marta@oficinas.example", "--map", &broken],
    ));
    assert!(
        refused.contains("broken.json: not a conversion map"),
        "{refused}"
    );
    let not_an_id = crm(&store, &["revert-import", "last-tuesday"]);
    assert_eq!(not_an_id.status.code(), Some(2), "a wrong command line");
    assert!(
        text(&not_an_id.stderr).contains("IMPORT_ID"),
        "{}",
        text(&not_an_id.stderr)
    );
    let card = succeeds(&crm(&store, &["card", "marta@oficinas.example"]));
    assert!(card.contains("Oficinas Gil"), "{card}");
    assert!(!card.contains("still a lead"), "{card}");
}
