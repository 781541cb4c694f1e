//! What a mailing costs from segment to sent (see docs/performance.md): `Crm::mail` to 2 000
//! consenting customers, `run_due` queueing them (consent, erasure and the weekly cap checked
//! for each), and `Crm::send` rendering each template for its card and recording it sent —
//! beside the limit of executing the same three message commands per person directly, in the
//! same run.
#![allow(clippy::unwrap_used, missing_docs)] // Benchmarks fail loudly.

use async_trait::async_trait;
use chrono::{TimeDelta, Utc};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use crm::domain::automation::MessageChannel;
use crm::domain::campaign::{CampaignCommand, CampaignCreated};
use crm::domain::contact::{ContactCommand, CreateContact};
use crm::domain::details::{ConsentChannel, LeadSource};
use crm::domain::message::{Cause, MessageCommand, MessageQueued, MessageScheduled, Recipient};
use crm::domain::template::{TemplateCommand, TemplateSaved};
use crm::event::Actor;
use crm::ids::{CampaignId, ContactId, CustomerId, MessageId, TemplateId};
use crm::money::{Currency, Money};
use crm::outbox::{Mailing, Outgoing, SendError, Sender};
use crm::projection::Segment;
use crm::{Crm, MemoryStore};
use futures::executor::block_on;

const PEOPLE: u64 = 2_000;

/// Takes every message and keeps nothing: the cost measured is the CRM's.
struct Nowhere;

#[async_trait]
impl Sender for Nowhere {
    fn channels(&self) -> &[MessageChannel] {
        &[MessageChannel::Email]
    }

    async fn send(&self, message: &Outgoing) -> Result<(), SendError> {
        std::hint::black_box(message);
        Ok(())
    }
}

fn campaign() -> CampaignId {
    CampaignId::derived("bench", "spring")
}

fn shop() -> (Crm<MemoryStore>, Vec<ContactId>) {
    let crm = Crm::new(MemoryStore::new());
    let people = block_on(async {
        let template = TemplateCommand::Save(TemplateSaved {
            template_id: TemplateId::named("spring"),
            name: "spring".into(),
            channel: MessageChannel::Email,
            subject: Some("Spring, {{ customer.given_name }}".into()),
            body: "<p>Hola {{ customer.given_name }}: new chairs. {{ unsubscribe }}</p>".into(),
        });
        crm.execute(&Actor::System, template).await.unwrap();
        let created = CampaignCreated {
            campaign_id: campaign(),
            name: "Spring".into(),
            channel: LeadSource::Email,
            starts: Utc::now().date_naive(),
            ends: Utc::now().date_naive(),
            cost: Money::new(0, Currency::new("EUR").unwrap()),
        };
        crm.execute(&Actor::System, CampaignCommand::Create(created))
            .await
            .unwrap();
        let mut people = Vec::new();
        for n in 0..PEOPLE {
            let id = ContactId::derived("bench", &n.to_string());
            let mut create = CreateContact::new(id, "María", &format!("García {n}"))
                .email(&format!("customer{n}@example.com"));
            create.tags.insert("newsletter".into());
            crm.execute(&Actor::System, ContactCommand::Create(create))
                .await
                .unwrap();
            let grant = ContactCommand::GrantConsent {
                contact_id: id,
                channel: ConsentChannel::Email,
                evidence: None,
            };
            crm.execute(&Actor::System, grant).await.unwrap();
            people.push(id);
        }
        people
    });
    (crm, people)
}

fn mailing(c: &mut Criterion) {
    let mut group = c.benchmark_group("mailing_2000_people");
    group.sample_size(10);
    group.bench_function("mail_run_due_send", |b| {
        b.iter_batched(
            shop,
            |(crm, _)| {
                block_on(async {
                    let now = Utc::now();
                    let mailing = Mailing {
                        campaign_id: campaign(),
                        segment: Segment {
                            tag: Some("newsletter".into()),
                            ..Segment::default()
                        },
                        channel: MessageChannel::Email,
                        template: "spring".into(),
                        due: now,
                    };
                    crm.mail(&Actor::System, mailing).await.unwrap();
                    crm.run_due(now + TimeDelta::seconds(1)).await.unwrap();
                    let sent = crm.send(&Nowhere).await.unwrap().sent;
                    assert_eq!(sent as u64, PEOPLE);
                    crm
                })
            },
            BatchSize::PerIteration,
        );
    });
    // The limit: the same three commands per person, decided with nothing to look up.
    group.bench_function("limit_three_commands_each", |b| {
        b.iter_batched(
            shop,
            |(crm, people)| {
                block_on(async {
                    let now = Utc::now();
                    for id in people {
                        let to = Recipient::Customer(CustomerId::Contact(id));
                        let message_id = MessageId::of_mailing(campaign(), to.customer().unwrap());
                        let schedule = MessageCommand::Schedule(MessageScheduled {
                            message_id,
                            rule_id: None,
                            to,
                            channel: MessageChannel::Email,
                            template: "spring".into(),
                            marketing: true,
                            report: None,
                            due: now,
                            cause: Cause::Mailing(campaign()),
                        });
                        let queue = MessageCommand::Queue(MessageQueued { message_id, to });
                        let sent = MessageCommand::Sent {
                            message_id,
                            at: now,
                        };
                        for command in [schedule, queue, sent] {
                            crm.execute(&Actor::System, command).await.unwrap();
                        }
                    }
                    crm
                })
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

criterion_group!(benches, mailing);
criterion_main!(benches);
