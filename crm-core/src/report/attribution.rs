//! The attribution report: leads, customers, orders and revenue by first-touch source and by
//! campaign, and each campaign's return on its cost.
//!
//! Formulas, for the contacts whose first touch (source, campaign) was recorded in the period:
//! - `leads`: how many such contacts.
//! - `converted`: those with at least one order placed (cancelled orders excluded) before the
//!   period's end.
//! - `orders`: their orders placed in the period, cancelled ones excluded.
//! - `revenue`: their payments received minus refunds issued in the period, per currency.
//! - `deals_won`: their deals won in the period (each win counts); `won_value` the amounts
//!   won; `win_rate = contacts with a deal won in the period / leads`.
//! - `roi` (campaigns): `(revenue − cost) / cost`, in the cost's currency; none when the cost
//!   is zero.
//!
//! Mailings, per campaign, over its messages to customers handed over in the period:
//! `sent`; `bounced` (of those); `ordered`: recipients with an order (not cancelled) placed
//! within [`MAILING_WINDOW_DAYS`] days after their message was sent; `order_rate = ordered /
//! recipients`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::render::{Cell, Table, Tabular};
use super::stats::ratio;
use super::Period;
use crate::domain::message::{Cause, Recipient};
use crate::domain::order::Fulfillment;
use crate::ids::CampaignId;
use crate::ids::CustomerId;
use crate::money::{Money, Totals};
use crate::projection::{
    Activity, CustomerActivity, Deals, Delivery, OrderSummary, Outbox, OutboxEntry, StageExit,
};

/// How long after a mailing's message an order counts as answering it.
pub const MAILING_WINDOW_DAYS: i64 = 7;

/// A campaign's mailings over the period.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MailingRow {
    /// The campaign's name.
    pub name: String,
    /// Messages handed over in the period.
    pub sent: usize,
    /// Of those, bounced.
    pub bounced: usize,
    /// People they went to.
    pub recipients: usize,
    /// Of those, the ones who ordered within the window after their message.
    pub ordered: usize,
    /// `ordered / recipients`.
    pub order_rate: Option<f64>,
}

/// One source's or campaign's results.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AttributionRow {
    /// The source (`web`, `paid search`, ...) or the campaign's name.
    pub name: String,
    /// Contacts first touched in the period.
    pub leads: usize,
    /// Of those, the ones who have ordered.
    pub converted: usize,
    /// Their orders placed in the period.
    pub orders: usize,
    /// Their payments minus refunds in the period.
    pub revenue: Totals,
    /// Their deals won in the period.
    pub deals_won: usize,
    /// The amounts of those deals.
    pub won_value: Totals,
    /// Leads with a deal won in the period, over leads.
    pub win_rate: Option<f64>,
    #[serde(skip)]
    winners: usize,
    /// The campaign's cost.
    pub cost: Option<Money>,
    /// `(revenue − cost) / cost`.
    pub roi: Option<f64>,
}

/// Attribution over a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttributionReport {
    /// The period.
    pub period: Period,
    /// One row per first-touch source, by name.
    pub by_source: Vec<AttributionRow>,
    /// One row per campaign, by name (campaigns with no leads included).
    pub by_campaign: Vec<AttributionRow>,
    /// One row per campaign whose mailing sent messages in the period, by name.
    pub mailings: Vec<MailingRow>,
}

/// A mailing's message the report counts: handed over in the period, to a customer the
/// reader may see.
pub(crate) struct Mailed<'a> {
    /// The campaign it was mailed for.
    pub(crate) campaign: CampaignId,
    /// The message.
    pub(crate) entry: &'a OutboxEntry,
    /// Its recipient.
    pub(crate) customer: CustomerId,
    /// The first order (not cancelled) its recipient placed within the window after it.
    pub(crate) answer: Option<&'a OrderSummary>,
}

/// The messages of every mailing that the report counts over `period`, in the outbox's order.
pub(crate) fn mailed<'a>(
    customers: &'a CustomerActivity,
    outbox: &'a Outbox,
    period: &'a Period,
) -> impl Iterator<Item = Mailed<'a>> + 'a {
    outbox.all().into_iter().filter_map(move |entry| {
        let Cause::Mailing(campaign) = entry.message.cause else {
            return None;
        };
        let sent = entry.delivery.sent_at().filter(|at| period.contains(*at))?;
        let customer = entry.delivery.to().and_then(Recipient::customer)?;
        // A reader counts the customers they may see.
        let activity = customers.of(customer)?;
        let window = sent + chrono::Duration::days(MAILING_WINDOW_DAYS);
        let answer = activity
            .orders
            .iter()
            .filter_map(|id| customers.order(*id))
            .filter(|o| {
                o.fulfillment != Fulfillment::Cancelled
                    && o.placed_at >= sent
                    && o.placed_at < window
            })
            .min_by_key(|o| (o.placed_at, o.order_id));
        Some(Mailed {
            campaign,
            entry,
            customer,
            answer,
        })
    })
}

fn mailings(customers: &CustomerActivity, outbox: &Outbox, period: &Period) -> Vec<MailingRow> {
    use std::collections::BTreeSet;
    let mut rows: BTreeMap<CampaignId, (MailingRow, BTreeSet<CustomerId>, BTreeSet<CustomerId>)> =
        BTreeMap::new();
    for mailed in mailed(customers, outbox, period) {
        let (row, people, buyers) = rows.entry(mailed.campaign).or_insert_with(|| {
            let name = customers
                .campaign(mailed.campaign)
                .map_or_else(|| mailed.campaign.to_string(), |c| c.name.clone());
            (
                MailingRow {
                    name,
                    ..MailingRow::default()
                },
                BTreeSet::new(),
                BTreeSet::new(),
            )
        });
        row.sent += 1;
        row.bounced += usize::from(matches!(mailed.entry.delivery, Delivery::Bounced { .. }));
        people.insert(mailed.customer);
        if mailed.answer.is_some() {
            buyers.insert(mailed.customer);
        }
    }
    let mut out: Vec<MailingRow> = rows
        .into_values()
        .map(|(mut row, people, buyers)| {
            row.recipients = people.len();
            row.ordered = buyers.len();
            row.order_rate = ratio(row.ordered, row.recipients);
            row
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

impl AttributionRow {
    fn add(
        &mut self,
        customer: CustomerId,
        activity: &Activity,
        customers: &CustomerActivity,
        deals: &Deals,
        period: &Period,
    ) {
        self.leads += 1;
        let mut won_any = false;
        for deal in deals.for_customer(customer) {
            for visit in &deal.visits {
                if let Some((at, StageExit::Won)) = visit.left {
                    if period.contains(at) {
                        self.deals_won += 1;
                        self.won_value
                            .add(visit.amount_on_leaving.unwrap_or(visit.amount));
                        won_any = true;
                    }
                }
            }
        }
        self.winners += usize::from(won_any);
        let orders: Vec<_> = activity
            .orders
            .iter()
            .filter_map(|id| customers.order(*id))
            .filter(|o| o.fulfillment != Fulfillment::Cancelled && o.placed_at < period.to)
            .collect();
        if !orders.is_empty() {
            self.converted += 1;
        }
        self.orders += orders
            .iter()
            .filter(|o| period.contains(o.placed_at))
            .count();
        for order in activity.orders.iter().filter_map(|id| customers.order(*id)) {
            for (at, amount) in &order.payments {
                if period.contains(*at) {
                    self.revenue.add(*amount);
                }
            }
            for (at, amount) in &order.refunds {
                if period.contains(*at) {
                    self.revenue.add(Money::new(-amount.minor, amount.currency));
                }
            }
        }
    }
}

impl AttributionReport {
    /// The report of the contacts first touched during `period`.
    pub fn compute(
        customers: &CustomerActivity,
        deals: &Deals,
        outbox: &Outbox,
        period: Period,
    ) -> Self {
        let mut by_source: BTreeMap<String, AttributionRow> = BTreeMap::new();
        let mut by_campaign: BTreeMap<CampaignId, AttributionRow> = customers
            .campaigns()
            .map(|c| {
                let row = AttributionRow {
                    name: c.name.clone(),
                    cost: Some(c.cost),
                    ..AttributionRow::default()
                };
                (c.campaign_id, row)
            })
            .collect();
        for (customer, activity) in customers.customers() {
            let (Some(source), Some(at)) = (&activity.source, activity.source_at) else {
                continue;
            };
            if !period.contains(at) {
                continue;
            }
            let name = source.source.to_string();
            by_source
                .entry(name.clone())
                .or_insert_with(|| AttributionRow {
                    name,
                    ..AttributionRow::default()
                })
                .add(*customer, activity, customers, deals, &period);
            if let Some(row) = source.campaign.and_then(|c| by_campaign.get_mut(&c)) {
                row.add(*customer, activity, customers, deals, &period);
            }
        }
        let mut by_campaign: Vec<AttributionRow> = by_campaign.into_values().collect();
        let mut by_source: Vec<AttributionRow> = by_source.into_values().collect();
        for row in by_source.iter_mut().chain(by_campaign.iter_mut()) {
            row.win_rate = ratio(row.winners, row.leads);
        }
        for row in &mut by_campaign {
            if let Some(cost) = row.cost.filter(|c| c.minor > 0) {
                let revenue = row.revenue.get(cost.currency).minor;
                row.roi = Some((revenue - cost.minor) as f64 / cost.minor as f64);
            }
        }
        by_campaign.sort_by(|a, b| a.name.cmp(&b.name));
        Self {
            mailings: mailings(customers, outbox, &period),
            period,
            by_source,
            by_campaign,
        }
    }
}

fn cells(r: &AttributionRow) -> Vec<Cell> {
    vec![
        Cell::text(&r.name),
        Cell::count(r.leads),
        Cell::count(r.converted),
        Cell::count(r.orders),
        Cell::text(r.revenue.to_string()),
        Cell::count(r.deals_won),
        Cell::text(r.won_value.to_string()),
        Cell::percent(r.win_rate),
        r.cost.map_or(Cell::Empty, |c| Cell::text(c.to_string())),
        Cell::percent(r.roi),
    ]
}

impl Tabular for AttributionReport {
    fn tables(&self) -> Vec<Table> {
        let headers = vec![
            "name",
            "leads",
            "converted",
            "orders",
            "revenue",
            "deals won",
            "won value",
            "win rate %",
            "cost",
            "roi %",
        ];
        let mut tables = vec![
            Table {
                name: "sources",
                title: format!("Attribution by source, {}", self.period),
                headers: headers.clone(),
                rows: self.by_source.iter().map(cells).collect(),
            },
            Table {
                name: "campaigns",
                title: "Attribution by campaign".into(),
                headers,
                rows: self.by_campaign.iter().map(cells).collect(),
            },
        ];
        if !self.mailings.is_empty() {
            tables.push(Table {
                name: "mailings",
                title: format!(
                    "Mailings: messages sent, and recipients who ordered within {MAILING_WINDOW_DAYS} days"
                ),
                headers: vec!["campaign", "sent", "bounced", "recipients", "ordered", "order rate %"],
                rows: self
                    .mailings
                    .iter()
                    .map(|m| {
                        vec![
                            Cell::text(&m.name),
                            Cell::count(m.sent),
                            Cell::count(m.bounced),
                            Cell::count(m.recipients),
                            Cell::count(m.ordered),
                            Cell::percent(m.order_rate),
                        ]
                    })
                    .collect(),
            });
        }
        tables
    }
}
