//! Orders from CSV: a row per order or per line (the order's cells repeated or left empty on
//! its other rows), with its lines and payments in the same file or in files of their own, and
//! its status history (approval, hand-over to the carrier, delivery, cancellation) from its
//! dates.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};

use super::cells::Cells;
use super::field_map::{Field, FieldMap};
use super::run::{checked, open, ImportOptions, ImportSummary, RowError};
use crate::crm::{Batch, Crm, Executed, Request};
use crate::domain::contact::{Contact, ContactCommand, CreateContact};
use crate::domain::details::Address;
use crate::domain::order::terms::{
    CancelReason, OrderCheck, OrderLine, PaymentMethod, PlaceOrder, SalesChannel,
};
use crate::domain::order::{Order, OrderCommand};
use crate::domain::Aggregate;
use crate::error::Error;
use crate::event::{Actor, ImportRow};
use crate::ids::{CommandId, ContactId, CustomerId};
use crate::money::Money;
use crate::store::EventStore;

/// The files of one orders import: the orders, and their lines and payments where the source
/// exports them apart (each row of those names its order by the map's `key` column).
#[derive(Debug, Clone, Copy, Default)]
pub struct OrderFiles<'a> {
    /// A row per order, or per line of an order.
    pub orders: &'a [u8],
    /// A row per line (or per unit: rows with the same product and price are added up).
    pub lines: Option<&'a [u8]>,
    /// A row per payment.
    pub payments: Option<&'a [u8]>,
}

/// A payment row, read.
struct Payment {
    sequence: u32,
    row: u64,
    amount: Money,
    method: PaymentMethod,
    at: Option<DateTime<Utc>>,
}

/// One order, gathered from its rows in every file.
#[derive(Default)]
struct Draft {
    key: String,
    first_row: u64,
    placed: Option<DateTime<Utc>>,
    customer: Option<String>,
    status: Option<String>,
    approved: Option<DateTime<Utc>>,
    shipped: Option<DateTime<Utc>>,
    delivered: Option<DateTime<Utc>>,
    cancelled: Option<DateTime<Utc>>,
    promised: Option<NaiveDate>,
    carrier: Option<String>,
    tracking: Option<String>,
    shipping: Option<Money>,
    line_shipping: Vec<Money>,
    lines: Vec<OrderLine>,
    payments: Vec<Payment>,
    /// The first thing wrong with it, in whichever file.
    error: Option<RowError>,
}

fn first<T>(slot: &mut Option<T>, value: Option<T>) {
    if slot.is_none() {
        *slot = value;
    }
}

fn method(text: &str) -> Result<PaymentMethod, String> {
    let folded = crate::normalize::words(text).join("_");
    Ok(match folded.as_str() {
        "card" | "credit_card" | "debit_card" | "tarjeta" | "cartao" => PaymentMethod::Card,
        "transfer" | "bank_transfer" | "transferencia" | "wire" => PaymentMethod::BankTransfer,
        "voucher" | "gift_card" | "coupon" => PaymentMethod::Voucher,
        "boleto" => PaymentMethod::Boleto,
        "cash_on_delivery" | "cod" | "contra_reembolso" => PaymentMethod::CashOnDelivery,
        _ => PaymentMethod::Other,
    })
}

/// Adds the line in `cells` (if the row has a product) to `draft`: the same product at the same
/// price and tax adds to the quantity.
fn add_line(draft: &mut Draft, cells: &Cells) -> Result<(), RowError> {
    if let Some(share) = cells.money(&Field::LineShipping)? {
        draft.line_shipping.push(share);
    }
    let Some(product) = cells.text(&Field::Product) else {
        return Ok(());
    };
    let unit_price = cells
        .money(&Field::UnitPrice)?
        .ok_or_else(|| cells.whole("a line without a price: map a unit_price column"))?;
    let tax = cells
        .money(&Field::Tax)?
        .unwrap_or(Money::zero(unit_price.currency));
    let quantity = cells.number(&Field::Quantity)?.unwrap_or(1);
    if let Some(same) = draft
        .lines
        .iter_mut()
        .find(|l| l.product_id == product && l.unit_price == unit_price && l.tax == tax)
    {
        same.quantity = same
            .quantity
            .checked_add(quantity)
            .ok_or_else(|| cells.whole("too large a quantity"))?;
        return Ok(());
    }
    draft.lines.push(OrderLine {
        product_id: product.to_owned(),
        name: cells
            .text(&Field::ProductName)
            .map_or_else(|| format!("Product {product}"), str::to_owned),
        category: cells.text(&Field::Category).map(str::to_owned),
        quantity,
        unit_price,
        tax,
    });
    Ok(())
}

fn add_order_cells(draft: &mut Draft, cells: &Cells) -> Result<(), RowError> {
    first(&mut draft.placed, cells.instant(&Field::Created)?);
    first(
        &mut draft.customer,
        cells.text(&Field::Customer).map(str::to_owned),
    );
    first(
        &mut draft.status,
        cells.text(&Field::Status).map(str::to_lowercase),
    );
    first(&mut draft.approved, cells.instant(&Field::Approved)?);
    first(&mut draft.shipped, cells.instant(&Field::Shipped)?);
    first(&mut draft.delivered, cells.instant(&Field::Delivered)?);
    first(&mut draft.cancelled, cells.instant(&Field::Cancelled)?);
    first(&mut draft.promised, cells.date(&Field::PromisedDelivery)?);
    first(
        &mut draft.carrier,
        cells.text(&Field::Carrier).map(str::to_owned),
    );
    first(
        &mut draft.tracking,
        cells.text(&Field::Tracking).map(str::to_owned),
    );
    first(&mut draft.shipping, cells.money(&Field::Shipping)?);
    add_line(draft, cells)
}

fn add_payment(draft: &mut Draft, cells: &Cells) -> Result<(), RowError> {
    let amount = cells
        .money(&Field::Amount)?
        .ok_or_else(|| cells.whole("a payment without an amount: map an amount column"))?;
    draft.payments.push(Payment {
        sequence: cells
            .number(&Field::Sequence)?
            .unwrap_or(draft.payments.len() as u32 + 1),
        row: cells.row(),
        amount,
        method: cells
            .read(&Field::Method, method)?
            .unwrap_or(PaymentMethod::Other),
        at: cells.instant(&Field::Created)?,
    });
    Ok(())
}

/// Every order of `files`, in the order they were first met, each with its first error.
fn gather(files: &OrderFiles, map: &FieldMap) -> Result<Vec<Draft>, RowError> {
    let mut drafts: Vec<Draft> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    type Add = fn(&mut Draft, &Cells) -> Result<(), RowError>;
    type Part<'b> = (Option<&'static str>, Option<&'b [u8]>, Add);
    let parts: [Part; 3] = [
        (None, Some(files.orders), add_order_cells),
        (Some("lines"), files.lines, add_line),
        (Some("payments"), files.payments, add_payment),
    ];
    for (file, bytes, add) in parts {
        let Some(bytes) = bytes else { continue };
        let (mut reader, headers) = open(bytes).map_err(|e| RowError {
            file: file.map(str::to_owned),
            ..e
        })?;
        for (i, record) in reader.records().enumerate() {
            let row = i as u64 + 2;
            let whole = |reason: String| RowError {
                file: file.map(str::to_owned),
                ..RowError::whole(row, reason)
            };
            let record = checked(record, headers.len(), row).map_err(|e| RowError {
                file: file.map(str::to_owned),
                ..e
            })?;
            let cells = Cells::new(map, file, &headers, &record, row);
            let Some(key) = cells.text(&Field::Key) else {
                return Err(whole("no order key: map a key column".into()));
            };
            let at = match index.get(key) {
                Some(at) => *at,
                None if file.is_some() => {
                    return Err(whole(format!("order {key:?} is not in the orders file")))
                }
                None => {
                    index.insert(key.to_owned(), drafts.len());
                    drafts.push(Draft {
                        key: key.to_owned(),
                        first_row: row,
                        ..Draft::default()
                    });
                    drafts.len() - 1
                }
            };
            let Some(draft) = drafts.get_mut(at) else {
                continue;
            };
            if draft.error.is_none() {
                if let Err(e) = add(draft, &cells) {
                    draft.error = Some(e);
                }
            }
        }
    }
    Ok(drafts)
}

impl Draft {
    fn place(&self, map: &FieldMap, customer: ContactId) -> Result<PlaceOrder, RowError> {
        let whole = |reason: String| RowError::whole(self.first_row, reason);
        let currency = map
            .currency
            .ok_or_else(|| whole("amounts need the map's currency".into()))?;
        let mut shipping = self.shipping.unwrap_or(Money::zero(currency));
        for share in &self.line_shipping {
            shipping = shipping
                .checked_add(*share)
                .map_err(|e| whole(e.to_string()))?;
        }
        Ok(PlaceOrder {
            order_id: map.order_id(&self.key),
            customer: CustomerId::Contact(customer),
            lines: self.lines.clone(),
            shipping,
            // The source's addresses are the customer's (see the contacts import).
            shipping_address: Address::default().into(),
            billing_address: None,
            channel: map.sales_channel.unwrap_or(SalesChannel::Other),
            promised_delivery: self.promised,
        })
    }

    /// Cancelled (or found unavailable) before it shipped.
    fn cancelled_unshipped(&self) -> Option<CancelReason> {
        if self.shipped.is_some() && self.cancelled.is_none() {
            return None;
        }
        match self.status.as_deref() {
            Some("unavailable") => Some(CancelReason::Inventory),
            Some("canceled" | "cancelled" | "voided" | "cancelado" | "cancelada") => {
                Some(CancelReason::Other)
            }
            _ => self.cancelled.map(|_| CancelReason::Other),
        }
    }
}

impl<S: EventStore> Crm<S> {
    /// Imports orders from `files` as `map` (of kind orders) says: each order placed with its
    /// lines (none is an order too: one cancelled before its lines were recorded), its payments
    /// received (at their own time, or else the order's approval or placement; never more than
    /// the order still owes — what is above is counted in `amounts_capped`), its checks passed
    /// and its preparation started at its approval when it is paid in full, handed to the
    /// carrier, delivered, or cancelled. A customer not imported yet is created, named after
    /// the key, at their first order's time. Orders go in the order of their purchase, so
    /// every projection sees a customer's first order first; a stop names the order's first
    /// row, and `from_row` resumes at that order. Every command has an id derived from the
    /// order's key, so importing the files again changes nothing.
    pub async fn import_orders_csv(
        &self,
        files: OrderFiles<'_>,
        map: &FieldMap,
        options: &ImportOptions,
        mut on_row: impl FnMut(u64),
    ) -> Result<ImportSummary, Error> {
        map.check().map_err(|reason| Error::FieldMap { reason })?;
        let mut summary = ImportSummary::default();
        let mut drafts = match gather(&files, map) {
            Ok(drafts) => drafts,
            Err(e) => return Ok(ImportSummary::unreadable(e)),
        };
        drafts.sort_by_key(|d| (d.placed, d.first_row));
        let resume = drafts
            .iter()
            .find(|d| d.first_row >= options.from_row)
            .map(|d| (d.placed, d.first_row));
        self.catch_up().await?;
        let mut customers_seen: HashSet<ContactId> = HashSet::new();
        let mut batch = Pending::default();
        for draft in &drafts {
            if resume.is_some_and(|r| (draft.placed, draft.first_row) < r) {
                continue;
            }
            on_row(draft.first_row);
            summary.rows += 1;
            let outcome = match &draft.error {
                Some(e) => Err(e.clone()),
                None => {
                    let mut counted = ImportSummary::default();
                    let start = batch.batch.len();
                    let outcome = self
                        .order_of(
                            draft,
                            map,
                            options,
                            &mut customers_seen,
                            &mut counted,
                            Some(&mut batch.batch),
                        )
                        .await?;
                    if outcome.is_ok() {
                        batch
                            .drafts
                            .push((draft, counted, start..batch.batch.len()));
                    } else {
                        summary.absorb(&counted);
                    }
                    outcome
                }
            };
            if let Err(e) = outcome {
                // Everything before the bad order is committed before it is reported.
                self.commit_orders(&mut batch, map, options, &mut customers_seen, &mut summary)
                    .await?;
                if !summary.refuse(e, draft.first_row, options) {
                    break;
                }
            }
            if batch.batch.len() >= BATCH {
                self.commit_orders(&mut batch, map, options, &mut customers_seen, &mut summary)
                    .await?;
            }
        }
        self.commit_orders(&mut batch, map, options, &mut customers_seen, &mut summary)
            .await?;
        Ok(summary)
    }

    /// Writes the orders decided so far in one store round trip, and counts them; if another
    /// writer got in the way, carries them out again one by one.
    async fn commit_orders(
        &self,
        pending: &mut Pending<'_>,
        map: &FieldMap,
        options: &ImportOptions,
        customers_seen: &mut HashSet<ContactId>,
        summary: &mut ImportSummary,
    ) -> Result<(), Error> {
        let Pending { batch, drafts } = std::mem::take(pending);
        let written = self.commit(batch).await?;
        for (draft, counted, appends) in drafts {
            if appends.end <= written {
                summary.absorb(&counted);
                continue;
            }
            // Cut short by another writer: carried out again, alone. A customer it created
            // in the part that was written is counted here; the rest counts itself.
            if appends.start < written {
                summary.customers_created += counted.customers_created;
            }
            if let Some(key) = &draft.customer {
                customers_seen.remove(&map.contact_id(key));
            }
            if let Err(e) = self
                .order_of(draft, map, options, customers_seen, summary, None)
                .await?
            {
                summary.refuse(e, draft.first_row, options);
            }
        }
        Ok(())
    }

    /// One order through the commands (or, for a dry run, through the order's decider).
    async fn order_of(
        &self,
        draft: &Draft,
        map: &FieldMap,
        options: &ImportOptions,
        customers_seen: &mut HashSet<ContactId>,
        summary: &mut ImportSummary,
        mut batch: Option<&mut Batch>,
    ) -> Result<Result<(), RowError>, Error> {
        let row = draft.first_row;
        let whole = |reason: String| RowError::whole(row, reason);
        let Some(customer_key) = &draft.customer else {
            return Ok(Err(whole("no customer: map a customer column".into())));
        };
        let Some(placed) = draft.placed else {
            return Ok(Err(whole("no purchase time: map a created column".into())));
        };
        let customer = map.contact_id(customer_key);
        let place = match draft.place(map, customer) {
            Ok(place) => place,
            Err(e) => return Ok(Err(e)),
        };
        let order_id = place.order_id;
        let exists = self.query_unfiltered(|v| v.activity.order(order_id).is_some());
        let new_customer = !customers_seen.contains(&customer)
            && self.query_unfiltered(|v| v.cards.reach(customer).is_none());
        let at = ImportRow {
            import_id: options.import_id,
            row,
        };
        let step = |name: &str, when: DateTime<Utc>| {
            Request::by(Actor::Import {
                source: map.namespace(),
            })
            .from_row(at)
            .at(when)
            .with_command_id(CommandId::derived(
                &map.namespace(),
                &format!("order/{}/{name}", draft.key),
            ))
        };
        let total = match crate::validate::place_order(&place) {
            Ok(total) => total,
            Err(e) => return Ok(Err(whole(e.to_string()))),
        };
        let mut steps: Vec<(String, DateTime<Utc>, OrderCommand)> =
            vec![("place".into(), placed, OrderCommand::Place(Box::new(place)))];
        let mut payments: Vec<&Payment> = draft.payments.iter().collect();
        payments.sort_by_key(|p| (p.sequence, p.row));
        let mut owed = total.minor;
        for payment in payments {
            let amount = payment.amount.minor.min(owed);
            if amount < payment.amount.minor {
                summary.amounts_capped += 1;
            }
            if amount <= 0 {
                continue;
            }
            owed -= amount;
            let when = payment.at.or(draft.approved).unwrap_or(placed);
            steps.push((
                format!("payment/{}", payment.sequence),
                when,
                OrderCommand::ReceivePayment {
                    order_id,
                    amount: Money::new(amount, total.currency),
                    method: payment.method,
                },
            ));
        }
        if let Some(approved) = draft.approved {
            for check in [OrderCheck::CustomerData, OrderCheck::Stock] {
                steps.push((
                    format!("check/{check:?}"),
                    approved,
                    OrderCommand::PassCheck { order_id, check },
                ));
            }
            if owed == 0 {
                steps.push((
                    "prepare".into(),
                    approved,
                    OrderCommand::StartPreparation { order_id },
                ));
            }
        }
        if let Some(reason) = draft.cancelled_unshipped() {
            let when = draft.cancelled.or(draft.approved).unwrap_or(placed);
            let note = draft
                .status
                .as_ref()
                .map(|s| format!("status in {}: {s}", map.source));
            steps.push((
                "cancel".into(),
                when,
                OrderCommand::Cancel {
                    order_id,
                    reason,
                    note,
                },
            ));
        } else if let Some(shipped) = draft.shipped {
            steps.push((
                "ship".into(),
                shipped,
                OrderCommand::Ship {
                    order_id,
                    carrier: draft.carrier.clone().unwrap_or_else(|| map.source.clone()),
                    tracking_number: draft.tracking.clone(),
                    estimated_delivery: None,
                },
            ));
            if let Some(delivered) = draft.delivered {
                steps.push((
                    "deliver".into(),
                    delivered,
                    OrderCommand::Deliver { order_id },
                ));
            }
        }
        // The whole order is decided before anything is written: an order the rules refuse at
        // any step (shipped though not paid in full) is set aside whole, never half imported.
        let mut order = Order::default();
        for (name, _, command) in &steps {
            match order.decide(command) {
                Ok(events) => events.iter().for_each(|e| order.evolve(e)),
                Err(e) => return Ok(Err(whole(format!("{name}: {e}")))),
            }
        }
        // Known from here on: a customer whose first order was set aside is created with the
        // next one.
        customers_seen.insert(customer);
        if options.dry_run {
            summary.customers_created += u64::from(new_customer);
            if exists {
                summary.unchanged += 1;
            } else {
                summary.created += 1;
            }
            return Ok(Ok(()));
        }
        let mut wrote = false;
        if new_customer {
            let create = CreateContact::new(customer, "Customer", customer_key);
            let request = step("customer", placed).with_command_id(CommandId::derived(
                &map.namespace(),
                &format!("customer/{customer_key}"),
            ));
            let steps = vec![(request, ContactCommand::Create(create))];
            let done = match batch.as_deref_mut() {
                Some(batch) => self.decide_into::<Contact>(batch, customer, steps).await,
                None => self.execute_together::<Contact>(customer, steps).await,
            };
            match done {
                Ok(done) if done.iter().any(Executed::wrote) => summary.customers_created += 1,
                Ok(_) => {}
                Err(Error::Domain(e)) => return Ok(Err(whole(e.to_string()))),
                Err(e) => return Err(e),
            }
        }
        // One append for the whole order: a crash leaves all of it or none.
        let steps = steps
            .into_iter()
            .map(|(name, when, command)| (step(&name, when), command))
            .collect();
        let done = match batch {
            Some(batch) => self.decide_into::<Order>(batch, order_id, steps).await,
            None => self.execute_together::<Order>(order_id, steps).await,
        };
        match done {
            Ok(done) => wrote |= done.iter().any(Executed::wrote),
            Err(Error::Domain(e)) => return Ok(Err(whole(e.to_string()))),
            Err(e) => return Err(e),
        }
        if exists && !wrote {
            summary.unchanged += 1;
        } else if exists {
            summary.updated += 1;
        } else {
            summary.created += 1;
        }
        Ok(Ok(()))
    }
}

/// Orders decided and not yet written: each whole, several hundred in one store round trip.
const BATCH: usize = 512;

/// What [`Crm::commit_orders`] writes and counts: the batch, and each order in it with what
/// it will count once written and which of the batch's appends are its own.
#[derive(Default)]
struct Pending<'a> {
    batch: Batch,
    drafts: Vec<(&'a Draft, ImportSummary, std::ops::Range<usize>)>,
}
