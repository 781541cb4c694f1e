//! Feedback and deals from CSV: a row is one record, turned into its commands, each with an id
//! derived from the row's key so that importing the file again changes nothing.

use chrono::{DateTime, Utc};

use super::cells::Cells;
use super::field_map::{Field, FieldMap, Kind};
use super::run::{checked, open, ImportOptions, ImportSummary, RowError};
use crate::crm::{Command, Crm, Rehearsal, Request};
use crate::domain::deal::{DealCommand, DealTerms};
use crate::domain::details::LeadSource;
use crate::domain::feedback::{FeedbackCommand, FeedbackGiven, Score};
use crate::error::Error;
use crate::event::{Actor, ImportRow};
use crate::ids::{CommandId, CustomerId, UserId};
use crate::projection::Views;
use crate::store::EventStore;

/// What a row becomes: its record's key, when, and its commands (each with its step's name).
pub(super) struct Planned {
    pub key: String,
    pub at: Option<DateTime<Utc>>,
    pub exists: bool,
    pub commands: Vec<(String, Option<DateTime<Utc>>, Command)>,
}

/// The user a deals file's owner cell names: a user's email, as `crm users add` derives it,
/// or the source's own key for a salesperson.
pub(super) fn owner(map: &FieldMap, cell: &str) -> UserId {
    if cell.contains('@') {
        UserId::derived("crm users", &cell.trim().to_lowercase())
    } else {
        UserId::derived(&map.namespace(), cell.trim())
    }
}

fn feedback(map: &FieldMap, cells: &Cells, views: &Views) -> Result<Planned, RowError> {
    let key = cells
        .text(&Field::Key)
        .ok_or_else(|| cells.whole("no key: map a key column"))?;
    let order_key = cells.text(&Field::Order);
    let order = order_key.map(|k| map.order_id(k));
    let customer = match (cells.text(&Field::Customer), order) {
        (Some(c), _) => CustomerId::Contact(map.contact_id(c)),
        (None, Some(order_id)) => views
            .activity
            .order(order_id)
            .map(|o| o.customer)
            .ok_or_else(|| {
                cells.whole(format!(
                    "order {:?} was not imported",
                    order_key.unwrap_or_default()
                ))
            })?,
        (None, None) => return Err(cells.whole("no customer and no order: map one")),
    };
    let stars = cells
        .read(&Field::Score, |v| {
            v.parse::<u8>().map_err(|_| "not a score".to_owned())
        })?
        .ok_or_else(|| cells.whole("no score: map a score column"))?;
    let score = match order {
        Some(order_id) => Score::Review { order_id, stars },
        None => Score::Nps { score: stars },
    };
    // Sources key reviews within their order (Olist reuses a review's id across orders).
    let key = match order_key {
        Some(o) => format!("{o}/{key}"),
        None => key.to_owned(),
    };
    let feedback_id = map.feedback_id(&key);
    let give = FeedbackGiven {
        feedback_id,
        customer,
        score,
        comment: cells.text(&Field::Comment).map(|c| c.to_owned().into()),
    };
    Ok(Planned {
        key,
        at: cells.instant(&Field::Created)?,
        exists: views
            .activity
            .of(customer)
            .is_some_and(|a| a.feedback.iter().any(|f| f.feedback_id == feedback_id)),
        commands: vec![("give".to_owned(), None, FeedbackCommand::Give(give).into())],
    })
}

fn deal(map: &FieldMap, cells: &Cells, views: &Views) -> Result<Planned, RowError> {
    let key = cells
        .text(&Field::Key)
        .ok_or_else(|| cells.whole("no key: map a key column"))?;
    // Without a customer column, the deal's contact has the deal's key: a lead's deal.
    let customer_key = cells.text(&Field::Customer).unwrap_or(key);
    let customer = CustomerId::Contact(map.contact_id(customer_key));
    let pipeline_name = cells
        .text(&Field::Pipeline)
        .or(map.pipeline.as_deref())
        .ok_or_else(|| cells.whole("no pipeline: map a pipeline column or name one in the map"))?;
    let (pipeline_id, stage_id) = views
        .deals
        .stage_named(pipeline_name, cells.text(&Field::Stage))
        .map_err(|reason| cells.whole(reason))?;
    if views.cards.contact(map.contact_id(customer_key)).is_none() {
        return Err(cells.whole(format!("customer {customer_key:?} was not imported")));
    }
    let opened = cells.instant(&Field::Created)?;
    let won = cells.instant(&Field::Won)?;
    let lost = cells.instant(&Field::Lost)?;
    let closed = won.or(lost);
    let deal_id = map.deal_id(key);
    let Some(currency) = map.currency else {
        return Err(cells.whole("amounts need the map's currency"));
    };
    let expected_close = match cells.date(&Field::ExpectedClose)? {
        Some(d) => d,
        None => closed
            .or(opened)
            .map(|t| t.with_timezone(&map.zone).date_naive())
            .ok_or_else(|| cells.whole("no expected close, won, lost or created date"))?,
    };
    let terms = DealTerms {
        deal_id,
        pipeline_id,
        stage_id,
        customer,
        title: cells
            .text(&Field::Title)
            .map_or_else(|| format!("Deal {key}"), str::to_owned),
        amount: cells
            .money(&Field::Amount)?
            .unwrap_or(crate::money::Money::zero(currency)),
        expected_close,
        owner: cells
            .text(&Field::Owner)
            .map_or(UserId::derived(&map.namespace(), "unassigned"), |o| {
                owner(map, o)
            }),
        source: cells.text(&Field::Source).and_then(LeadSource::from_name),
    };
    // A deal the source opened after closing it (a won date before the lead's first
    // contact) opens when it closed.
    let opened = match (opened, closed) {
        (Some(o), Some(c)) if c < o => Some(c),
        (o, c) => o.or(c),
    };
    let mut commands: Vec<(String, Option<DateTime<Utc>>, Command)> =
        vec![("open".to_owned(), opened, DealCommand::Open(terms).into())];
    if let Some(won) = won {
        commands.push((
            "win".to_owned(),
            Some(won),
            DealCommand::Win { deal_id }.into(),
        ));
    } else if let Some(lost) = lost {
        let reason = cells
            .text(&Field::LostReason)
            .map(str::to_owned)
            .ok_or_else(|| cells.whole("a lost deal without its reason: map lost_reason"))?;
        commands.push((
            "lose".to_owned(),
            Some(lost),
            DealCommand::Lose {
                deal_id,
                reason,
                note: None,
            }
            .into(),
        ));
    }
    Ok(Planned {
        key: key.to_owned(),
        at: opened,
        exists: views.deals.deal(deal_id).is_some(),
        commands,
    })
}

impl<S: EventStore> Crm<S> {
    /// Imports a feedback, deals, companies or interactions file, a row at a time (see
    /// [`Crm::import_csv`]).
    pub(super) async fn import_records(
        &self,
        bytes: &[u8],
        map: &FieldMap,
        options: &ImportOptions,
        mut on_row: impl FnMut(u64),
    ) -> Result<ImportSummary, Error> {
        let mut summary = ImportSummary::default();
        let (mut reader, headers) = match open(bytes) {
            Ok(opened) => opened,
            Err(e) => return Ok(ImportSummary::unreadable(e)),
        };
        self.catch_up().await?;
        let rehearsal = Rehearsal::default();
        for (index, record) in reader.records().enumerate() {
            let row = index as u64 + 2;
            if row < options.from_row {
                continue;
            }
            on_row(row);
            summary.rows += 1;
            let planned = checked(record, headers.len(), row).and_then(|r| {
                let cells = Cells::new(map, None, &headers, &r, row);
                self.query_unfiltered(|v| match map.kind {
                    Kind::Deals => deal(map, &cells, v),
                    Kind::Companies => super::companies::company(map, &cells, v),
                    Kind::Interactions => super::interactions::interaction(map, &cells, v),
                    _ => feedback(map, &cells, v),
                })
            });
            let outcome = match planned {
                Ok(planned) => {
                    self.carry_out(planned, map, options, row, &mut summary, &rehearsal)
                        .await?
                }
                Err(e) => Err(e),
            };
            if let Err(e) = outcome {
                if !summary.refuse(e, row, options) {
                    break;
                }
            }
        }
        Ok(summary)
    }

    /// Carries out a row's commands, or rehearses them for a dry run. A real run rehearses
    /// them first, so that a row whose second command the rules refuse (a deal lost for a
    /// reason its pipeline does not know) writes nothing rather than half of itself.
    async fn carry_out(
        &self,
        planned: Planned,
        map: &FieldMap,
        options: &ImportOptions,
        row: u64,
        summary: &mut ImportSummary,
        rehearsal: &Rehearsal,
    ) -> Result<Result<(), RowError>, Error> {
        let requests: Vec<(Request, Command)> = planned
            .commands
            .into_iter()
            .map(|(step, at, command)| {
                let mut request = Request::by(Actor::Import {
                    source: map.namespace(),
                })
                .from_row(ImportRow {
                    import_id: options.import_id,
                    row,
                })
                .with_command_id(CommandId::derived(
                    &map.namespace(),
                    &format!("{:?}/{}/{step}", map.kind, planned.key),
                ));
                if let Some(at) = at.or(planned.at) {
                    request = request.at(at);
                }
                (request, command)
            })
            .collect();
        let this_row = Rehearsal::default();
        let passes: &[Option<&Rehearsal>] = match options.dry_run {
            // A dry run meets the same deciders, on what it decided for the rows before.
            true => &[Some(rehearsal)],
            false => &[Some(&this_row), None],
        };
        let (mut wrote, mut repeated) = (false, false);
        for pass in passes {
            for (index, (request, command)) in requests.iter().enumerate() {
                let (request, command) = (request.clone(), command.clone());
                let done = match pass {
                    Some(rehearsal) => self.rehearse_request(request, command, rehearsal).await,
                    None => self.execute_request(request, command).await,
                };
                match done {
                    Ok(done) => {
                        // A real run's rehearsal pass writes nothing; its second pass counts.
                        wrote |= done.wrote() && (pass.is_none() || options.dry_run);
                        repeated |= index == 0 && done.repeated;
                    }
                    Err(Error::Domain(e)) => return Ok(Err(RowError::whole(row, e.to_string()))),
                    Err(e) => return Err(e),
                }
            }
        }
        match (planned.exists || repeated, wrote) {
            (false, _) => summary.created += 1,
            (true, true) => summary.updated += 1,
            (true, false) => summary.unchanged += 1,
        }
        Ok(Ok(()))
    }
}
