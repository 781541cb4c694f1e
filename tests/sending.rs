//! The outbox sent: a survey goes out once as an email file, even after a crash before its
//! sending was recorded; a campaign's mailing reaches the consenting members of its segment
//! under the weekly cap; an unsubscribe link withdraws consent, and a message queued before
//! it then stays unsent.
#![allow(clippy::unwrap_used)] // Tests fail loudly.

mod support;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use crm::clock::{Clock, ManualClock, SequentialIds};
use crm::crypto::{Encrypted, Kek, MemoryKeys};
use crm::domain::automation::{builtin, MessageChannel};
use crm::domain::campaign::{CampaignCommand, CampaignCreated};
use crm::domain::contact::{ContactCommand, CreateContact};
use crm::domain::details::{ConsentChannel, LeadSource};
use crm::domain::message::{Recipient, SkipReason};
use crm::event::Actor;
use crm::ids::{CampaignId, ContactId, CustomerId, MessageId};
use crm::outbox::{Composed, FileSender, Mailing, Sender};
use crm::projection::{Delivery, Segment};
use crm::{Crm, CrmOptions, MemoryStore};
use support::automation::{deliver, switch_on};
use support::{contact, shop, start};

/// Sealed, so that a person can be erased.
type Store = Encrypted<Arc<MemoryStore>>;

fn shop_crm(options: CrmOptions) -> (Crm<Store>, Store, ManualClock) {
    let clock = ManualClock::new(start());
    let inner = Arc::new(MemoryStore::with_clock(Arc::new(clock.clone())));
    let kek = Arc::new(Kek::from_bytes(&[7; 32]).unwrap());
    let store = Encrypted::new(inner, Arc::new(MemoryKeys::new()), kek);
    let crm = support::deterministic(store.clone(), &clock, options);
    (crm, store, clock)
}

fn from() -> crm::outbox::Mailbox {
    "Tienda <hola@tienda.example>".parse().unwrap()
}

/// Contact `n`, with an email, living in `city`, consenting to email marketing or not.
async fn person(crm: &Crm<Store>, n: u128, given: &str, city: &str, consent: bool) {
    let mut create = CreateContact::new(contact(n), given, "Test")
        .email(&format!("{}@example.com", given.to_lowercase()));
    create
        .personal
        .addresses
        .push(crm::domain::details::Address {
            city: city.into(),
            ..shop::madrid()
        });
    crm.execute(&Actor::System, ContactCommand::Create(create))
        .await
        .unwrap();
    if consent {
        let grant = ContactCommand::GrantConsent {
            contact_id: contact(n),
            channel: ConsentChannel::Email,
            evidence: Some("newsletter box at checkout".into()),
        };
        crm.execute(&Actor::System, grant).await.unwrap();
    }
}

/// Contact `n` buys order `n` of a `category` thing.
async fn buys(crm: &Crm<Store>, n: u128, category: &str) {
    let customer = CustomerId::Contact(contact(n));
    let place = shop::place(n, customer, category, category, 1, 5_000);
    crm.execute(&Actor::System, place).await.unwrap();
}

fn files(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test]
async fn a_survey_goes_out_once_even_when_a_crash_kept_its_sending_unrecorded() {
    let (crm, store, clock) = shop_crm(CrmOptions::default());
    switch_on(&crm, &builtin::survey_after_delivery()).await;
    person(&crm, 1, "Ana", "Madrid", false).await;
    deliver(&crm, &clock, 1, 1, start() + TimeDelta::days(1)).await;
    clock.set(start() + TimeDelta::days(2) + TimeDelta::hours(1));
    assert_eq!(crm.run_due(clock.now()).await.unwrap().queued, 1);
    let id = crm.query_unfiltered(|v| v.outbox.to_send()[0].message.message_id);

    // A run hands the message over and dies before it records so.
    let dir = tempfile::tempdir().unwrap();
    let sender = FileSender::new(dir.path(), from());
    let Some(Composed::Ready(outgoing)) = crm.compose(id).await.unwrap() else {
        panic!("the survey is ready to go")
    };
    sender.send(&outgoing).await.unwrap();
    drop(crm);

    // The next process sends it again — into the same file — and records it once.
    let ids = Arc::new(SequentialIds::new(1_000));
    let crm = Crm::with(store, Arc::new(clock.clone()), ids, CrmOptions::default())
        .with_authorizer(crm::access::AllowAll);
    let run = crm.send(&sender).await.unwrap();
    assert_eq!((run.sent, run.failed, run.skipped), (1, 0, 0));
    assert_eq!(files(dir.path()), [format!("{id}.eml")]);
    let eml = std::fs::read_to_string(dir.path().join(format!("{id}.eml"))).unwrap();
    assert!(eml.contains(&format!("Message-ID: <{id}@crm>")), "{eml}");
    assert!(eml.contains("Subject: How was your order?"), "{eml}");
    assert!(eml.contains("To: \"Ana Test\" <ana@example.com>"), "{eml}");
    assert!(eml.contains("Dear Ana,"), "{eml}");
    assert!(
        !eml.contains("UNSUBSCRIBE"),
        "a transactional survey has no unsubscribe line"
    );
    insta::assert_snapshot!("survey_eml", eml.replace("\r\n", "\n"));
    assert_eq!(crm.send(&sender).await.unwrap().sent, 0, "sent once");
    let delivery = crm.query_unfiltered(|v| v.outbox.entry(id).unwrap().delivery.clone());
    assert!(matches!(delivery, Delivery::Sent { .. }), "{delivery:?}");
    // On the card's timeline, and counted in the activity report.
    let card = crm
        .query_unfiltered(|v| v.contact_card(contact(1), clock.now()))
        .unwrap()
        .to_string();
    assert!(
        card.contains("messages     2026-03-04 09:30 email survey — sent"),
        "{card}"
    );
    let march = crm::report::Period::days(
        NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
        NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
        chrono_tz::UTC,
    )
    .unwrap();
    let activity =
        crm.query_unfiltered(|v| crm::report::activity::ActivityReport::compute(v, march));
    assert_eq!(activity.messages.len(), 1);
    assert_eq!(
        (activity.messages[0].sent, activity.messages[0].failed),
        (1, 0)
    );
    // The figure names its event: the message's MessageSent.
    let channel = activity.messages[0].channel;
    let why = crm
        .explain_activity(march, crm::explain::ActivityFigure::Sent(channel), None)
        .await
        .unwrap();
    let crm::explain::Explained::Sum(sent) = why else {
        panic!("a count is a sum")
    };
    assert_eq!(sent.total, 1);
    assert_eq!(sent.contributions[0].event_type, "MessageSent");
    let failed = crm
        .explain_activity(march, crm::explain::ActivityFigure::Failed(channel), None)
        .await
        .unwrap();
    assert!(matches!(failed, crm::explain::Explained::Sum(e) if e.total == 0));
}

fn campaign(n: u128, name: &str) -> CampaignCommand {
    CampaignCommand::Create(CampaignCreated {
        campaign_id: campaign_id(n),
        name: name.into(),
        channel: LeadSource::Email,
        starts: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
        ends: NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
        cost: shop::eur(10_000),
    })
}

fn campaign_id(n: u128) -> CampaignId {
    CampaignId::from_uuid(uuid::Uuid::from_u128(0x5000 + n))
}

fn madrid_chairs() -> Segment {
    Segment {
        city: Some("madrid".into()),
        bought_category: Some("chairs".into()),
        ..Segment::default()
    }
}

fn mailing(n: u128, segment: Segment, due: DateTime<Utc>) -> Mailing {
    Mailing {
        campaign_id: campaign_id(n),
        segment,
        channel: MessageChannel::Email,
        template: "spring".into(),
        due,
    }
}

fn delivery_of(crm: &Crm<Store>, n: u128, person: ContactId) -> Option<Delivery> {
    let id = MessageId::of_mailing(campaign_id(n), CustomerId::Contact(person));
    crm.query_unfiltered(|v| v.outbox.entry(id).map(|e| e.delivery.clone()))
}

/// The shop: Ana (Madrid, chairs, consent), Bea (Madrid, chairs, no consent), Carla (Madrid,
/// chairs, consent, a VIP), Dora (Ana's duplicate, merged into her), Eva (Madrid, chairs,
/// consent, erased), Fran (Barcelona, chairs, consent); a `spring` template.
async fn mailing_shop(options: CrmOptions) -> (Crm<Store>, ManualClock) {
    let (crm, _, clock) = shop_crm(options);
    for (n, name, city, consent) in [
        (1, "Ana", "Madrid", true),
        (2, "Bea", "Madrid", false),
        (3, "Carla", "Madrid", true),
        (4, "Dora", "Madrid", true),
        (5, "Eva", "Madrid", true),
        (6, "Fran", "Barcelona", true),
    ] {
        person(&crm, n, name, city, consent).await;
        if name == "Carla" {
            let mut tag = crm::domain::contact::UpdateContact::new(contact(n));
            tag.add_tags.insert("vip".into());
            crm.execute(&Actor::System, ContactCommand::Update(tag))
                .await
                .unwrap();
        }
        buys(&crm, n, "chairs").await;
    }
    let merge = ContactCommand::Merge {
        contact_id: contact(4),
        survivor: contact(1),
    };
    crm.execute(&Actor::System, merge).await.unwrap();
    let erase = ContactCommand::Erase {
        contact_id: contact(5),
        reason: "request of 1 March".into(),
    };
    crm.execute(&Actor::System, erase).await.unwrap();
    let template =
        crm::domain::template::TemplateCommand::Save(crm::domain::template::TemplateSaved {
            template_id: crm::ids::TemplateId::named("spring"),
            name: "spring".into(),
            channel: MessageChannel::Email,
            subject: Some("Spring chairs".into()),
            body: "<p>Hola {{ customer.given_name }}, new chairs are in. {{ unsubscribe }}</p>"
                .into(),
        });
    crm.execute(&Actor::System, template).await.unwrap();
    crm.execute(&Actor::System, campaign(1, "VIP spring"))
        .await
        .unwrap();
    crm.execute(&Actor::System, campaign(2, "Madrid chairs"))
        .await
        .unwrap();
    (crm, clock)
}

#[tokio::test]
async fn a_mailing_reaches_the_consenting_members_of_its_segment_under_the_weekly_cap() {
    let options = CrmOptions {
        marketing_per_week: Some(1),
        ..CrmOptions::default()
    };
    let (crm, clock) = mailing_shop(options).await;
    let monday = start() + TimeDelta::days(7); // 9 March 2026, 09:30 UTC
    let wednesday = monday + TimeDelta::days(2);
    let vip = Segment {
        tag: Some("vip".into()),
        ..Segment::default()
    };
    let run = crm
        .mail(&Actor::System, mailing(1, vip, monday))
        .await
        .unwrap();
    assert_eq!((run.members, run.scheduled, run.without_consent), (1, 1, 0));
    // Madrid and chairs: Ana (Dora merged into her), Bea, Carla; not Eva (erased, so no
    // longer in Madrid), not Fran (Barcelona). Bea has not consented.
    let run = crm
        .mail(&Actor::System, mailing(2, madrid_chairs(), wednesday))
        .await
        .unwrap();
    assert_eq!((run.members, run.scheduled, run.without_consent), (3, 2, 1));
    let again = crm
        .mail(&Actor::System, mailing(2, madrid_chairs(), wednesday))
        .await
        .unwrap();
    assert_eq!(again.scheduled, 0, "one message per person and campaign");

    clock.set(wednesday + TimeDelta::hours(1));
    let due = crm.run_due(clock.now()).await.unwrap();
    assert_eq!((due.queued, due.skipped), (2, 1));
    assert!(matches!(
        delivery_of(&crm, 1, contact(3)),
        Some(Delivery::Queued { .. })
    ));
    assert!(matches!(
        delivery_of(&crm, 2, contact(1)),
        Some(Delivery::Queued { to: Recipient::Customer(CustomerId::Contact(c)), .. }) if c == contact(1)
    ));
    // Carla already had Monday's VIP mailing this week: the cap of one holds the second.
    assert!(matches!(
        delivery_of(&crm, 2, contact(3)),
        Some(Delivery::Skipped {
            reason: SkipReason::Capped,
            ..
        })
    ));
    for nobody in [contact(2), contact(4), contact(5), contact(6)] {
        assert_eq!(delivery_of(&crm, 2, nobody), None, "{nobody}");
    }
}

#[tokio::test]
async fn the_unsubscribe_link_withdraws_consent_and_what_was_queued_for_them_stays_unsent() {
    let options = CrmOptions {
        unsubscribe_url: Some("https://tienda.example/baja/{token}".into()),
        ..CrmOptions::default()
    };
    let (crm, clock) = mailing_shop(options).await;
    let due = start() + TimeDelta::days(1);
    crm.mail(&Actor::System, mailing(2, madrid_chairs(), due))
        .await
        .unwrap();
    clock.set(due);
    assert_eq!(crm.run_due(clock.now()).await.unwrap().queued, 2);
    let ana = MessageId::of_mailing(campaign_id(2), CustomerId::Contact(contact(1)));
    let carla = MessageId::of_mailing(campaign_id(2), CustomerId::Contact(contact(3)));
    let Some(Composed::Ready(outgoing)) = crm.compose(ana).await.unwrap() else {
        panic!("Ana's message is ready")
    };
    let link = format!("https://tienda.example/baja/{ana}");
    assert_eq!(
        outgoing.body,
        format!(
            "<p>Hola Ana, new chairs are in. {}</p>",
            link.replace('/', "&#x2f;")
        ),
        "the template placed the link itself (HTML-escaped: it is text there)"
    );
    assert_eq!(outgoing.campaign, Some(campaign_id(2)));
    let eml =
        String::from_utf8(crm::outbox::email(&outgoing, &from()).unwrap().formatted()).unwrap();
    assert!(
        eml.contains(&format!("List-Unsubscribe: <{link}>")),
        "{eml}"
    );

    // Carla follows the link in her copy before the sender gets to it.
    assert_eq!(crm.unsubscribe(carla).await.unwrap(), Some(contact(3)));
    let consent = crm.query_unfiltered(|v| v.cards.contact(contact(3)).unwrap().consent);
    assert!(!consent.contains(&ConsentChannel::Email));
    let dir = tempfile::tempdir().unwrap();
    let run = crm
        .send(&FileSender::new(dir.path(), from()))
        .await
        .unwrap();
    assert_eq!((run.sent, run.skipped), (1, 1));
    assert_eq!(files(dir.path()), [format!("{ana}.eml")]);
    assert!(matches!(
        crm.query_unfiltered(|v| v.outbox.entry(carla).unwrap().delivery.clone()),
        Delivery::Skipped {
            reason: SkipReason::NoConsent,
            ..
        }
    ));
    // Ana orders two days after her message: the mailing is credited with it.
    clock.set(due + TimeDelta::days(2));
    let place = shop::place(
        7,
        CustomerId::Contact(contact(1)),
        "table",
        "tables",
        1,
        9_000,
    );
    crm.execute(&Actor::System, place).await.unwrap();
    // And her copy comes back a day later: still sent, and bounced.
    let bounce = crm::domain::message::MessageCommand::Bounced {
        message_id: ana,
        at: due + TimeDelta::days(3),
        reason: "550 mailbox full".into(),
    };
    crm.execute(&Actor::System, bounce).await.unwrap();
    let march = crm::report::Period::days(
        NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
        NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
        chrono_tz::UTC,
    )
    .unwrap();
    let attribution = crm.query_unfiltered(|v| {
        crm::report::attribution::AttributionReport::compute(
            &v.activity,
            &v.deals,
            &v.outbox,
            march,
        )
    });
    let row = &attribution.mailings[0];
    assert_eq!(
        (
            row.name.as_str(),
            row.sent,
            row.bounced,
            row.recipients,
            row.ordered
        ),
        ("Madrid chairs", 1, 1, 1, 1)
    );
    // Each figure of the row names its events: her message's MessageSent and MessageBounced,
    // her order.
    use crm::explain::{Explained, MailingFigure as M};
    let mut types = Vec::new();
    for (figure, total) in [
        (M::Sent, row.sent),
        (M::Bounced, row.bounced),
        (M::Recipients, row.recipients),
        (M::Ordered, row.ordered),
    ] {
        let why = crm
            .explain_mailings(march, campaign_id(2), figure, None)
            .await
            .unwrap();
        let Explained::Sum(sum) = why else {
            panic!("{figure:?} is a count")
        };
        assert_eq!(sum.total, i64::try_from(total).unwrap(), "{figure:?}");
        types.extend(sum.contributions.iter().map(|c| c.event_type));
    }
    assert_eq!(
        types,
        [
            "MessageSent",
            "MessageBounced",
            "MessageSent",
            "OrderPlaced"
        ]
    );
    let rate = crm
        .explain_mailings(march, campaign_id(2), M::OrderRate, None)
        .await
        .unwrap();
    let Explained::Rate {
        numerator,
        denominator,
    } = rate
    else {
        panic!("the order rate is a rate")
    };
    assert_eq!((numerator.total, denominator.total), (1, 1));
    // A later mailing leaves her out.
    let later = crm
        .mail(&Actor::System, mailing(1, madrid_chairs(), due))
        .await
        .unwrap();
    assert_eq!((later.scheduled, later.without_consent), (1, 2));
}

/// Base64 of a MIME part, decoded: the part of `eml` after the header naming `file_name`.
fn attachment(eml: &str, file_name: &str) -> String {
    use base64::Engine;
    let start = eml
        .find(&format!("\"{file_name}\""))
        .unwrap_or_else(|| panic!("{eml}"));
    let body = &eml[start..];
    let body = &body[body.find("\r\n\r\n").unwrap_or_else(|| panic!("{body}")) + 4..];
    let encoded: String = body
        .lines()
        .take_while(|l| !l.starts_with("--"))
        .collect::<Vec<_>>()
        .concat();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .unwrap();
    String::from_utf8(bytes).unwrap()
}

#[tokio::test]
async fn the_weekly_report_arrives_with_the_weeks_sales_report_as_its_reader_sees_it() {
    use crm::access::Role;
    use crm::domain::user::events::UserAdded;
    use crm::domain::user::{TeamCommand, UserCommand};
    use crm::ids::TeamId;
    use crm::report::render::{render, Format};
    use crm::report::sales::{SalesBy, SalesReport};
    use crm::report::{Bucket, Period};

    let (_, store, clock) = shop_crm(CrmOptions::default());
    // The access rules in force (not the fixtures' allow-all): a head sees her team's.
    let ids = Arc::new(SequentialIds::new(1));
    let crm = Crm::with(store, Arc::new(clock.clone()), ids, CrmOptions::default());
    let team = TeamId::from_uuid(uuid::Uuid::from_u128(0x7001));
    crm.execute(
        &Actor::System,
        TeamCommand::Create {
            team_id: team,
            name: "Madrid".into(),
        },
    )
    .await
    .unwrap();
    let (head, manager) = (support::user(1), support::user(2));
    for (user_id, name, role) in [
        (head, "Hugo Head", Role::HeadOfSales),
        (manager, "Marta Manager", Role::Manager),
    ] {
        let add = UserAdded {
            user_id,
            name: name.into(),
            email: format!("{}@tienda.example", name.to_lowercase().replace(' ', ".")),
            role,
            team_id: Some(team),
        };
        crm.execute(&Actor::System, UserCommand::Add(add))
            .await
            .unwrap();
    }
    switch_on(&crm, &builtin::weekly_sales_report(head)).await;
    // In the week of Monday 2 March: Ana (Marta's) and Bea (nobody's) order; Ana twice.
    person(&crm, 1, "Ana", "Madrid", false).await;
    person(&crm, 2, "Bea", "Madrid", false).await;
    let own = crm::domain::contact::ContactCommand::AssignOwner {
        contact_id: contact(1),
        owner: Some(manager),
    };
    crm.execute(&Actor::System, own).await.unwrap();
    for (n, who, day) in [(1, 1, 1), (2, 2, 2), (3, 1, 4)] {
        clock.set(start() + TimeDelta::days(day));
        let customer = CustomerId::Contact(contact(who));
        let place = shop::place(n, customer, "chair", "chairs", 1, 5_000 * n as i64);
        crm.execute(&Actor::System, place).await.unwrap();
        for step in shop::fulfil(n, 6_545 + 6_050 * (n as i64 - 1))
            .into_iter()
            .take(1)
        {
            crm.execute(&Actor::System, step).await.unwrap();
        }
    }
    // Monday 9 March, 09:00 in Madrid (08:00 UTC), a minute after.
    let monday = DateTime::parse_from_rfc3339("2026-03-09T08:01:00Z")
        .unwrap()
        .to_utc();
    clock.set(monday);
    assert_eq!(crm.run_due(monday).await.unwrap().queued, 1);
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        crm.send(&FileSender::new(dir.path(), from()))
            .await
            .unwrap()
            .sent,
        1
    );
    let eml_name = &files(dir.path())[0];
    let eml = std::fs::read_to_string(dir.path().join(eml_name)).unwrap();
    assert!(
        eml.contains("To: \"Hugo Head\" <hugo.head@tienda.example>"),
        "{eml}"
    );
    assert!(
        eml.contains("Subject: Sales report, the week to 2026-03-09"),
        "{eml}"
    );
    let name = "sales-2026-03-02-to-2026-03-08.txt";
    let attached = attachment(&eml, name);

    // What `crm --as hugo report sales --from 2026-03-02 --to 2026-03-08 --by week
    // --tz Europe/Madrid` prints: Hugo's team's figures, so Ana's orders and not Bea's.
    let reader = crm.reader(&Actor::User { user_id: head }).await.unwrap();
    let week = Period::days(
        NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
        NaiveDate::from_ymd_opt(2026, 3, 8).unwrap(),
        chrono_tz::Europe::Madrid,
    )
    .unwrap()
    .by(Bucket::Week);
    let printed = render(
        &SalesReport::compute(&reader.report_views().activity, week, SalesBy::Bucket),
        Format::Table,
    )
    .unwrap();
    // MIME carries text with CRLF line ends; a mail client shows the same lines.
    assert_eq!(attached.replace("\r\n", "\n"), printed);
    let everyone = SalesReport::compute(
        &crm.query_unfiltered(|v| v.activity.clone()),
        week,
        SalesBy::Bucket,
    );
    let hugos = SalesReport::compute(&reader.report_views().activity, week, SalesBy::Bucket);
    assert_ne!(everyone, hugos, "Bea's order is not in Hugo's report");
    // A read handle holds only the messages its reader may see: Hugo's report is his.
    assert_eq!(reader.views().outbox.all().len(), 1);
    let marta = crm.reader(&Actor::User { user_id: manager }).await.unwrap();
    assert!(marta.views().outbox.all().is_empty());
}

#[tokio::test]
async fn a_reply_that_is_only_the_keyword_unsubscribes_and_any_other_reply_does_not() {
    let (crm, _clock) = mailing_shop(CrmOptions::default()).await;
    let consent =
        |crm: &Crm<Store>| crm.query_unfiltered(|v| v.cards.contact(contact(1)).unwrap().consent);
    let thanks = crm
        .unsubscribe_reply(
            MessageChannel::Email,
            "ana@example.com",
            "Thanks, lovely chairs!",
        )
        .await
        .unwrap();
    assert!(thanks.is_empty());
    assert!(consent(&crm).contains(&ConsentChannel::Email));
    let stop = crm
        .unsubscribe_reply(MessageChannel::Email, "Ana@Example.com", " stop. ")
        .await
        .unwrap();
    assert_eq!(stop, [contact(1)]);
    assert!(!consent(&crm).contains(&ConsentChannel::Email));
}

#[tokio::test]
async fn a_shop_whose_rule_is_consent_for_transactional_messages_too_skips_the_survey() {
    let options = CrmOptions {
        transactional: crm::outbox::Transactional::WithConsent,
        ..CrmOptions::default()
    };
    let (crm, _, clock) = shop_crm(options);
    switch_on(&crm, &builtin::survey_after_delivery()).await;
    person(&crm, 1, "Ana", "Madrid", false).await;
    person(&crm, 2, "Bea", "Madrid", true).await;
    for n in [1, 2] {
        deliver(&crm, &clock, n, n, start() + TimeDelta::days(1)).await;
    }
    clock.set(start() + TimeDelta::days(3));
    let due = crm.run_due(clock.now()).await.unwrap();
    assert_eq!(
        (due.queued, due.skipped),
        (1, 1),
        "Bea's goes, Ana's does not"
    );
    let reasons = crm.query_unfiltered(|v| {
        v.outbox
            .all()
            .into_iter()
            .map(|e| e.delivery.to_string())
            .collect::<Vec<_>>()
    });
    assert!(
        reasons.contains(&"skipped: no marketing consent on the channel".to_owned()),
        "{reasons:?}"
    );
}
