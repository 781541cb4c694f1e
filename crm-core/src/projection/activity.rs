//! What each customer did: orders, conversations, feedback, and where they came from. The
//! complete card, segments and lapsed customers are computed from it.

use std::collections::BTreeMap;

use foldhash::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::Projection;
use crate::domain::campaign::CampaignCreated;
use crate::domain::contact::events::ContactSourceRecorded;
use crate::domain::feedback::Score;
use crate::domain::interaction::{Channel, Direction, Outcome};
use crate::domain::order::terms::SalesChannel;
use crate::domain::order::Fulfillment;
use crate::domain::withdrawal::Withdrawn;
use crate::event::{Event, RecordedEvent};
use crate::ids::{CampaignId, CustomerId, FeedbackId, InteractionId, OrderId, UserId};
use crate::money::Money;

/// An order as a card shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSummary {
    /// The order.
    pub order_id: OrderId,
    /// Who placed it.
    pub customer: CustomerId,
    /// When it was placed.
    #[serde(with = "super::instant")]
    pub placed_at: DateTime<Utc>,
    /// Where.
    pub channel: SalesChannel,
    /// Lines plus shipping.
    pub total: Money,
    /// Payments received.
    pub paid: Money,
    /// Refunds issued.
    pub refunded: Money,
    /// Where the goods are.
    pub fulfillment: Fulfillment,
    /// Units ordered, over all lines.
    pub items: u64,
    /// What was ordered.
    pub lines: Vec<LineSummary>,
    /// Payments received, when and how much.
    #[serde(with = "super::instant::timed")]
    pub payments: Vec<(DateTime<Utc>, Money)>,
    /// Refunds issued, when and how much.
    #[serde(with = "super::instant::timed")]
    pub refunds: Vec<(DateTime<Utc>, Money)>,
    /// When it was cancelled.
    #[serde(with = "super::instant::optional")]
    pub cancelled_at: Option<DateTime<Utc>>,
    /// The delivery date promised.
    pub promised_delivery: Option<NaiveDate>,
    /// When preparation started.
    #[serde(with = "super::instant::optional")]
    pub preparing_at: Option<DateTime<Utc>>,
    /// The carrier, once shipped.
    pub carrier: Option<String>,
    /// When it shipped.
    #[serde(with = "super::instant::optional")]
    pub shipped_at: Option<DateTime<Utc>>,
    /// When it was delivered.
    #[serde(with = "super::instant::optional")]
    pub delivered_at: Option<DateTime<Utc>>,
    /// Whether any goods came back.
    pub returned: bool,
}

impl OrderSummary {
    /// The channel in words.
    pub fn channel_name(&self) -> &'static str {
        match self.channel {
            SalesChannel::WebShop => "web shop",
            SalesChannel::Phone => "phone",
            SalesChannel::Marketplace => "marketplace",
            SalesChannel::Store => "store",
            SalesChannel::Other => "other",
        }
    }

    /// When payments first covered the total.
    pub fn paid_in_full_at(&self) -> Option<DateTime<Utc>> {
        let mut paid = 0i64;
        self.payments.iter().find_map(|(at, amount)| {
            paid = paid.saturating_add(amount.minor);
            (paid >= self.total.minor).then_some(*at)
        })
    }

    /// Paid minus refunded: what the customer has spent on it.
    pub fn net_paid(&self) -> Money {
        Money::new(
            self.paid.minor.saturating_sub(self.refunded.minor),
            self.paid.currency,
        )
    }
}

/// One line of an order, for reports and segments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineSummary {
    /// The product.
    pub product_id: String,
    /// Its category.
    pub category: Option<String>,
    /// Units.
    pub quantity: u32,
    /// `quantity × unit_price + tax`.
    pub total: Money,
}

/// A conversation on a customer's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InteractionView {
    /// The interaction.
    pub interaction_id: InteractionId,
    /// When.
    #[serde(with = "super::instant")]
    pub at: DateTime<Utc>,
    /// How.
    pub channel: Channel,
    /// Who started it.
    pub direction: Direction,
    /// The manager who handled it.
    pub handled_by: Option<UserId>,
    /// How long it took.
    pub duration_seconds: Option<u32>,
    /// What it was about; `None` once the customer is erased.
    pub subject: Option<String>,
    /// What was said.
    pub summary: Option<String>,
    /// How it ended.
    pub outcome: Option<Outcome>,
}

/// A piece of feedback on a card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackView {
    /// The feedback.
    pub feedback_id: FeedbackId,
    /// When it was given.
    #[serde(with = "super::instant")]
    pub at: DateTime<Utc>,
    /// What kind, and the score.
    pub score: Score,
    /// What they wrote.
    pub comment: Option<String>,
}

/// One customer's activity, in the order it happened.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    /// Orders, oldest first.
    pub orders: Vec<OrderId>,
    /// Conversations, oldest first.
    pub interactions: Vec<InteractionView>,
    /// Feedback, oldest first.
    pub feedback: Vec<FeedbackView>,
    /// Where they first came from.
    pub source: Option<ContactSourceRecorded>,
    /// When that was recorded.
    #[serde(with = "super::instant::optional")]
    pub source_at: Option<DateTime<Utc>>,
}

/// Every customer's activity, folded from the log.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomerActivity {
    // Boxed, like the cards' records: a table keeps up to twice as many slots as entries.
    orders: HashMap<OrderId, Box<OrderSummary>>,
    customers: HashMap<CustomerId, Box<Activity>>,
    campaigns: HashMap<CampaignId, CampaignCreated>,
    /// Whose each conversation and each piece of feedback is: what a withdrawal of one
    /// needs to find it without looking through every customer.
    interaction_of: HashMap<InteractionId, CustomerId>,
    feedback_of: HashMap<FeedbackId, CustomerId>,
}

impl CustomerActivity {
    /// Keeps only the customers `keep` says yes to, and their orders; without
    /// `conversations`, drops every logged conversation (a read handle's copy).
    pub(crate) fn retain(&mut self, keep: &dyn Fn(CustomerId) -> bool, conversations: bool) {
        self.customers.retain(|id, _| keep(*id));
        self.orders.retain(|_, order| keep(order.customer));
        self.interaction_of.retain(|_, customer| keep(*customer));
        self.feedback_of.retain(|_, customer| keep(*customer));
        if !conversations {
            for activity in self.customers.values_mut() {
                activity.interactions.clear();
            }
        }
    }

    /// A customer's own activity (not that of contacts merged into them).
    pub fn of(&self, customer: CustomerId) -> Option<&Activity> {
        self.customers.get(&customer).map(|a| &**a)
    }

    /// An order.
    pub fn order(&self, order_id: OrderId) -> Option<&OrderSummary> {
        self.orders.get(&order_id).map(|o| &**o)
    }

    /// Every campaign, in no particular order.
    pub fn campaigns(&self) -> impl Iterator<Item = &CampaignCreated> {
        self.campaigns.values()
    }

    /// A campaign.
    pub fn campaign(&self, campaign_id: CampaignId) -> Option<&CampaignCreated> {
        self.campaigns.get(&campaign_id)
    }

    /// Every order, in no particular order.
    pub fn orders(&self) -> impl Iterator<Item = &OrderSummary> {
        self.orders.values().map(|o| &**o)
    }

    /// Every customer with any activity.
    pub fn customers(&self) -> impl Iterator<Item = (&CustomerId, &Activity)> {
        self.customers.iter().map(|(id, a)| (id, &**a))
    }

    fn order_mut(&mut self, order_id: OrderId) -> Option<&mut OrderSummary> {
        self.orders.get_mut(&order_id).map(|o| &mut **o)
    }
}

impl Projection for CustomerActivity {
    fn apply(&mut self, recorded: &RecordedEvent) {
        let at = recorded.occurred_at;
        match &recorded.event {
            Event::OrderPlaced(e) => {
                let o = &e.order;
                let zero = Money::zero(e.total.currency);
                self.orders.insert(
                    o.order_id,
                    Box::new(OrderSummary {
                        order_id: o.order_id,
                        customer: o.customer,
                        placed_at: at,
                        channel: o.channel,
                        total: e.total,
                        paid: zero,
                        refunded: zero,
                        fulfillment: Fulfillment::Placed,
                        items: o
                            .lines
                            .iter()
                            .fold(0u64, |n, l| n.saturating_add(u64::from(l.quantity))),
                        lines: o
                            .lines
                            .iter()
                            .map(|l| LineSummary {
                                product_id: l.product_id.clone(),
                                category: l.category.clone(),
                                quantity: l.quantity,
                                // Validated when the order was placed, so this adds up.
                                total: l.total().unwrap_or(zero),
                            })
                            .collect(),
                        payments: Vec::new(),
                        refunds: Vec::new(),
                        cancelled_at: None,
                        promised_delivery: o.promised_delivery,
                        preparing_at: None,
                        carrier: None,
                        shipped_at: None,
                        delivered_at: None,
                        returned: false,
                    }),
                );
                self.customers
                    .entry(o.customer)
                    .or_default()
                    .orders
                    .push(o.order_id);
            }
            Event::PaymentReceived(e) => {
                if let Some(o) = self.order_mut(e.order_id) {
                    o.paid.minor = o.paid.minor.saturating_add(e.amount.minor);
                    o.payments.push((at, e.amount));
                }
            }
            Event::RefundIssued(e) => {
                if let Some(o) = self.order_mut(e.order_id) {
                    o.refunded.minor = o.refunded.minor.saturating_add(e.amount.minor);
                    o.refunds.push((at, e.amount));
                }
            }
            Event::OrderPreparationStarted(e) => {
                if let Some(o) = self.order_mut(e.order_id) {
                    o.fulfillment = Fulfillment::InPreparation;
                    o.preparing_at = Some(at);
                }
            }
            Event::OrderShipped(e) => {
                if let Some(o) = self.order_mut(e.order_id) {
                    o.fulfillment = Fulfillment::Shipped;
                    o.carrier = Some(e.carrier.clone());
                    o.shipped_at = Some(at);
                }
            }
            Event::OrderDelivered(e) => {
                if let Some(o) = self.order_mut(e.order_id) {
                    o.fulfillment = Fulfillment::Delivered;
                    o.delivered_at = Some(at);
                }
            }
            Event::OrderCancelled(e) => {
                if let Some(o) = self.order_mut(e.order_id) {
                    o.fulfillment = Fulfillment::Cancelled;
                    o.cancelled_at = Some(at);
                }
            }
            Event::OrderReturned(e) => {
                if let Some(o) = self.order_mut(e.order_id) {
                    o.returned = true;
                }
            }
            Event::InteractionLogged(e) => {
                let view = InteractionView {
                    interaction_id: e.interaction_id,
                    at,
                    channel: e.channel,
                    direction: e.direction,
                    handled_by: e.handled_by,
                    duration_seconds: e.duration_seconds,
                    subject: e.subject.get().cloned(),
                    summary: e.summary.as_ref().and_then(|s| s.get().cloned()),
                    outcome: e.outcome,
                };
                self.interaction_of.insert(e.interaction_id, e.customer);
                let timeline = &mut self.customers.entry(e.customer).or_default().interactions;
                // Imports may log older conversations late: keep the timeline in time order.
                let place = timeline.partition_point(|i| i.at <= at);
                timeline.insert(place, view);
            }
            Event::FeedbackGiven(e) => {
                self.feedback_of.insert(e.feedback_id, e.customer);
                self.customers
                    .entry(e.customer)
                    .or_default()
                    .feedback
                    .push(FeedbackView {
                        feedback_id: e.feedback_id,
                        at,
                        score: e.score,
                        comment: e.comment.as_ref().and_then(|c| c.get().cloned()),
                    });
            }
            Event::ContactSourceRecorded(e) => {
                let activity = self
                    .customers
                    .entry(CustomerId::Contact(e.contact_id))
                    .or_default();
                activity.source = Some(e.clone());
                activity.source_at = Some(at);
            }
            Event::CampaignCreated(e) => {
                self.campaigns.insert(e.campaign_id, e.clone());
            }
            Event::ContactErased(e) => {
                // What they said and wrote goes; that they were contacted, and when, stays.
                if let Some(activity) = self.customers.get_mut(&CustomerId::Contact(e.contact_id)) {
                    for interaction in &mut activity.interactions {
                        interaction.subject = None;
                        interaction.summary = None;
                    }
                    for feedback in &mut activity.feedback {
                        feedback.comment = None;
                    }
                }
            }
            Event::RecordWithdrawn(e) => {
                if let Some(record) = e.record() {
                    self.withdraw(record);
                }
            }
            _ => {}
        }
    }
}

impl CustomerActivity {
    /// Takes back everything `record` added, so the views are as if it had never been.
    fn withdraw(&mut self, record: Withdrawn) {
        let (customer, changed) = match record {
            Withdrawn::Contact(id) => (CustomerId::Contact(id), None),
            Withdrawn::Company(id) => (CustomerId::Company(id), None),
            Withdrawn::Order(id) => match self.orders.remove(&id) {
                Some(order) => (order.customer, Some(Changed::Order(id))),
                None => return,
            },
            Withdrawn::Interaction(id) => match self.interaction_of.remove(&id) {
                Some(customer) => (customer, Some(Changed::Interaction(id))),
                None => return,
            },
            Withdrawn::Feedback(id) => match self.feedback_of.remove(&id) {
                Some(customer) => (customer, Some(Changed::Feedback(id))),
                None => return,
            },
            Withdrawn::Campaign(id) => {
                self.campaigns.remove(&id);
                return;
            }
            Withdrawn::Deal(_) => return,
        };
        let Some(activity) = self.customers.get_mut(&customer) else {
            return;
        };
        match changed {
            // A customer withdrawn: their orders and conversations were withdrawn before them
            // (a revert takes back what depends on a record first), so what is left is theirs.
            None => **activity = Activity::default(),
            Some(Changed::Order(id)) => activity.orders.retain(|o| *o != id),
            Some(Changed::Interaction(id)) => {
                activity.interactions.retain(|i| i.interaction_id != id)
            }
            Some(Changed::Feedback(id)) => activity.feedback.retain(|f| f.feedback_id != id),
        }
        if **activity == Activity::default() {
            self.customers.remove(&customer);
        }
    }
}

enum Changed {
    Order(OrderId),
    Interaction(InteractionId),
    Feedback(FeedbackId),
}

/// The sums a card and a segment need, over a set of activities (a customer and the contacts
/// merged into them).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ActivitySummary {
    /// Orders, newest first.
    pub orders: Vec<OrderSummary>,
    /// Per currency: payments received minus refunds issued, over all orders. This is the
    /// lifetime value: what the customer has actually spent, whatever became of the goods.
    pub lifetime_value: crate::money::Totals,
    /// When the first order was placed.
    #[serde(with = "super::instant::optional")]
    pub first_order: Option<DateTime<Utc>>,
    /// When the last order was placed.
    #[serde(with = "super::instant::optional")]
    pub last_order: Option<DateTime<Utc>>,
    /// Mean days between consecutive orders (cancelled ones excluded); `None` below two.
    pub average_days_between_orders: Option<f64>,
    /// Conversations, newest first.
    pub interactions: Vec<InteractionView>,
    /// How many conversations per channel.
    pub interactions_per_channel: BTreeMap<Channel, usize>,
    /// The latest conversation's time.
    #[serde(with = "super::instant::optional")]
    pub last_contact: Option<DateTime<Utc>>,
    /// The latest feedback.
    pub latest_feedback: Option<FeedbackView>,
    /// Where they first came from.
    pub source: Option<ContactSourceRecorded>,
    /// The first-touch campaign's name.
    pub campaign: Option<String>,
    /// Messages queued for them (automations' and mailings'), newest first, and what became
    /// of each; filled by [`Views::summary`](crate::projection::Views::summary).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<MessageLine>,
}

/// A message on a card: what went (or was to go) and what came of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageLine {
    /// The message.
    pub message_id: crate::ids::MessageId,
    /// When it was due.
    #[serde(with = "super::instant")]
    pub due: DateTime<Utc>,
    /// Email or SMS.
    pub channel: crate::domain::automation::MessageChannel,
    /// Its template.
    pub template: String,
    /// The campaign, for a mailing.
    pub campaign: Option<String>,
    /// Queued, sent, failed, bounced or skipped, with the reason.
    pub outcome: String,
}

impl CustomerActivity {
    /// The summary over `customers`' activities together.
    pub fn summary(&self, customers: &[CustomerId]) -> ActivitySummary {
        let mut s = ActivitySummary::default();
        for activity in customers.iter().filter_map(|c| self.customers.get(c)) {
            s.orders.extend(
                activity
                    .orders
                    .iter()
                    .filter_map(|id| self.orders.get(id).map(|o| &**o))
                    .cloned(),
            );
            s.interactions.extend(activity.interactions.iter().cloned());
            if let Some(f) = activity.feedback.last() {
                if s.latest_feedback.as_ref().is_none_or(|l| l.at <= f.at) {
                    s.latest_feedback = Some(f.clone());
                }
            }
            if s.source.is_none() {
                s.source.clone_from(&activity.source);
            }
        }
        s.orders
            .sort_by_key(|o| std::cmp::Reverse((o.placed_at, o.order_id)));
        s.interactions
            .sort_by_key(|i| std::cmp::Reverse((i.at, i.interaction_id)));
        for o in &s.orders {
            s.lifetime_value.add(o.net_paid());
        }
        let placed: Vec<DateTime<Utc>> = s
            .orders
            .iter()
            .filter(|o| o.fulfillment != Fulfillment::Cancelled)
            .map(|o| o.placed_at)
            .collect();
        s.first_order = placed.last().copied();
        s.last_order = placed.first().copied();
        s.average_days_between_orders = average_gap_days(&placed);
        for i in &s.interactions {
            *s.interactions_per_channel.entry(i.channel).or_default() += 1;
        }
        s.last_contact = s.interactions.first().map(|i| i.at);
        s.campaign = s
            .source
            .as_ref()
            .and_then(|src| src.campaign)
            .and_then(|c| self.campaigns.get(&c))
            .map(|c| c.name.clone());
        s
    }
}

/// Mean days between consecutive instants (in any order); `None` for fewer than two.
pub(crate) fn average_gap_days(instants: &[DateTime<Utc>]) -> Option<f64> {
    let (first, last) = (instants.iter().min()?, instants.iter().max()?);
    (instants.len() >= 2)
        .then(|| (*last - *first).num_seconds() as f64 / 86_400.0 / (instants.len() - 1) as f64)
}
