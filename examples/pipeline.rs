//! A small team's month of deals: three managers work 24 leads of a furniture wholesaler
//! through a four-stage pipeline during November 2026. Each stage's next actions land on the
//! deal owner's task list by themselves (the stage-tasks policy); managers do most of them.
//! At the end it prints the board, the month's pipeline report, one manager's task list and
//! one deal's stage history.
//!
//! Run with `cargo run --example pipeline`. The month is generated from a fixed seed, so every
//! run prints the same.

use std::sync::Arc;

use chrono::{DateTime, Days, NaiveDate, TimeDelta, TimeZone, Utc};
use crm::access::Role;
use crm::clock::{ManualClock, SequentialIds};
use crm::domain::company::CompanyCommand;
use crm::domain::deal::{DealCommand, DealTerms};
use crm::domain::details::{CompanyDetails, LeadSource};
use crm::domain::pipeline::{ActionKind, PipelineCommand, StageDefinition};
use crm::domain::task::TaskCommand;
use crm::domain::user::events::UserAdded;
use crm::domain::user::{TeamCommand, UserCommand};
use crm::event::Actor;
use crm::ids::{CompanyId, CustomerId, DealId, PipelineId, StageId, TeamId, UserId};
use crm::money::{Currency, Money};
use crm::report::pipeline::PipelineReport;
use crm::report::Period;
use crm::store::EventStore;
use crm::{Crm, CrmOptions, MemoryStore};

/// A tiny deterministic generator (xorshift64*): the example needs variety, not statistics.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, sides: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % sides
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.roll(100) < percent
    }
}

const COMPANIES: [&str; 24] = [
    "Hotel Sol y Mar",
    "Café Central",
    "Coworking Norte",
    "Clínica Dental Ruiz",
    "Escuela Infantil Arco Iris",
    "Restaurante El Puerto",
    "Gimnasio Titán",
    "Librería Alcalá",
    "Oficinas Grupo Vértice",
    "Hostal La Plaza",
    "Academia Idiomas Babel",
    "Bufete Ortega",
    "Panadería Migas",
    "Estudio Arquitectura Lumen",
    "Residencia Los Olivos",
    "Bar La Esquina",
    "Agencia Viajes Brújula",
    "Colegio San Jorge",
    "Tienda Verde Bio",
    "Hotel Cumbres",
    "Inmobiliaria Habitat",
    "Centro Yoga Loto",
    "Farmacia Serrano",
    "Startup Nubo",
];

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0)
        .single()
        .unwrap_or_default()
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let clock = ManualClock::new(at(2, 9));
    let crm = Crm::with(
        MemoryStore::with_clock(Arc::new(clock.clone())),
        Arc::new(clock.clone()),
        Arc::new(SequentialIds::new(7)),
        CrmOptions::default(),
    );
    let team: Vec<UserId> = (1..=3u128)
        .map(|n| UserId::from_uuid(uuid::Uuid::from_u128(n)))
        .collect();
    let head = Actor::User { user_id: team[0] };
    // The directory first, as the system: a head of sales and two managers in one team.
    let showroom = TeamId::derived("example", "showroom");
    let team_name = "Showroom".to_owned();
    crm.execute(
        &Actor::System,
        TeamCommand::Create {
            team_id: showroom,
            name: team_name,
        },
    )
    .await?;
    let names = ["Elena Vidal", "Jorge Sanz", "Pilar Moreno"];
    for (i, (user_id, name)) in team.iter().zip(names).enumerate() {
        let role = if i == 0 {
            Role::HeadOfSales
        } else {
            Role::Manager
        };
        let email = format!("{}@shop.example", name.to_lowercase().replace(' ', "."));
        let add = UserAdded {
            user_id: *user_id,
            name: name.into(),
            email,
            role,
            team_id: Some(showroom),
        };
        crm.execute(&Actor::System, UserCommand::Add(add)).await?;
    }
    let eur = Currency::new("EUR")?;

    let pipeline_id = PipelineId::derived("example", "furniture");
    let stage = |name: &str| StageId::derived("example", name);
    let stages = vec![
        StageDefinition::new(stage("lead"), "Lead", 10).with_action(ActionKind::Call, 24),
        StageDefinition::new(stage("visit"), "Showroom visit", 30)
            .with_action(ActionKind::Write, 4)
            .with_action(ActionKind::Custom("Prepare samples".into()), 48),
        StageDefinition::new(stage("quote"), "Quote sent", 60)
            .with_action(ActionKind::IssueInvoice, 24),
        StageDefinition::new(stage("negotiation"), "Negotiation", 80)
            .with_action(ActionKind::Call, 8),
    ];
    let open_stages: Vec<StageId> = stages.iter().map(|s| s.stage_id).collect();
    crm.execute(
        &head,
        PipelineCommand::Define {
            pipeline_id,
            name: "Furniture wholesale".into(),
            stages,
            lost_reasons: ["Price", "Competitor", "No budget", "No response"]
                .map(String::from)
                .to_vec(),
        },
    )
    .await?;

    let mut dice = Dice(0x5eed_2026);
    let sources = [
        LeadSource::Web,
        LeadSource::Referral,
        LeadSource::PaidSearch,
        LeadSource::Phone,
    ];
    let mut deals: Vec<(DealId, usize, Actor)> = Vec::new();
    // Each working day: new leads come in, and every open deal may move, close or wait.
    for day in 2..=30u32 {
        clock.set(at(day, 9));
        if day % 7 < 2 {
            continue; // Saturday and Sunday (1 November 2026 is a Sunday).
        }
        for _ in 0..dice.roll(3) {
            let n = deals.len();
            let Some(name) = COMPANIES.get(n) else { break };
            let owner = team[n % team.len()];
            let actor = Actor::User { user_id: owner };
            let company_id = CompanyId::derived("example", name);
            let details = CompanyDetails {
                name: (*name).to_owned(),
                ..CompanyDetails::default()
            };
            crm.execute(
                &actor,
                CompanyCommand::Create {
                    company_id,
                    details,
                    tags: Default::default(),
                    owner: Some(owner),
                },
            )
            .await?;
            let deal_id = DealId::derived("example", name);
            let expected_close = NaiveDate::from_ymd_opt(2026, 11, day)
                .unwrap_or_default()
                .checked_add_days(Days::new(14 + dice.roll(40)))
                .unwrap_or_default();
            crm.execute(
                &actor,
                DealCommand::Open(DealTerms {
                    deal_id,
                    pipeline_id,
                    stage_id: open_stages[0],
                    customer: CustomerId::Company(company_id),
                    title: format!("Furniture for {name}"),
                    amount: Money::new(((20 + dice.roll(280)) * 10_000) as i64, eur),
                    expected_close,
                    owner,
                    source: Some(sources[dice.roll(4) as usize].clone()),
                }),
            )
            .await?;
            deals.push((deal_id, 0, actor));
        }
        for (deal_id, stage_index, actor) in deals.iter_mut() {
            if *stage_index == usize::MAX || !dice.chance(35) {
                continue;
            }
            clock.set(at(day, 10 + dice.roll(7) as u32));
            let command = if *stage_index + 1 < open_stages.len() && dice.chance(70) {
                *stage_index += 1;
                DealCommand::MoveToStage {
                    deal_id: *deal_id,
                    stage_id: open_stages[*stage_index],
                }
            } else if *stage_index >= 2 && dice.chance(60) {
                *stage_index = usize::MAX;
                DealCommand::Win { deal_id: *deal_id }
            } else if dice.chance(35) {
                *stage_index = usize::MAX;
                let reasons = ["Price", "Competitor", "No budget", "No response"];
                DealCommand::Lose {
                    deal_id: *deal_id,
                    reason: reasons[dice.roll(4) as usize].into(),
                    note: None,
                }
            } else {
                continue; // Waiting for the customer.
            };
            crm.execute(actor, command).await?;
        }
        // At the end of the day each manager does some of what is due by now; the third is
        // the least diligent.
        clock.set(at(day, 18));
        for (i, user) in team.iter().enumerate() {
            let due = crm.query_unfiltered(|v| v.tasks.open_for_assignee(*user, at(day, 18)));
            let diligence = 60 - 20 * i as u64;
            for line in due.iter().filter(|l| l.overdue && dice.chance(diligence)) {
                let actor = Actor::User { user_id: *user };
                crm.execute(
                    &actor,
                    TaskCommand::Complete {
                        task_id: line.task.task_id,
                    },
                )
                .await?;
            }
        }
    }

    let month = Period::new(at(1, 0), at(30, 0) + TimeDelta::days(1))?;
    let now = at(30, 18);
    crm.query_unfiltered(|v| -> Result<(), Box<dyn std::error::Error>> {
        let board = v
            .deals
            .board(pipeline_id)
            .ok_or("the pipeline is missing")?;
        println!("{board}");
        let report = PipelineReport::compute(&v.deals, pipeline_id, month)
            .ok_or("the pipeline is missing")?;
        println!("{report}");
        println!("Open tasks on 30 November, 18:00:");
        for (i, user) in team.iter().enumerate() {
            let lines = v.tasks.open_for_assignee(*user, now);
            let overdue = lines.iter().filter(|l| l.overdue).count();
            println!(
                "  manager {}: {} open, {overdue} overdue",
                i + 1,
                lines.len()
            );
            for line in &lines {
                let mark = if line.overdue { "OVERDUE" } else { "" };
                println!(
                    "    {}  {:<22} {:<7}",
                    line.task.due.format("%d %b %H:%M"),
                    line.task.title,
                    mark
                );
            }
        }
        let busiest = deals
            .iter()
            .filter_map(|(id, _, _)| v.deals.deal(*id))
            .max_by_key(|d| d.visits.len());
        if let Some(deal) = busiest {
            let pipeline = v
                .deals
                .pipeline(pipeline_id)
                .ok_or("the pipeline is missing")?;
            println!(
                "\nStage history of \"{}\" ({}):",
                deal.terms.title, deal.status
            );
            for visit in &deal.visits {
                let hours = visit.duration(now).num_hours();
                println!(
                    "  {}  {:<16} {:>4} h",
                    visit.entered_at.format("%d %b %H:%M"),
                    pipeline.stage_name(visit.stage_id),
                    hours
                );
            }
        }
        Ok(())
    })?;
    let events = crm.store().head_position().await?;
    println!("\n{events} events in the log; {} deals.", deals.len());
    Ok(())
}
