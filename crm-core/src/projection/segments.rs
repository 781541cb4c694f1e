//! Segments: which customers match a set of conditions, and which have lapsed.
//!
//! Both are queries over the cards and the customers' activity as they stand, evaluated at an
//! instant the caller gives (so "not contacted for 30 days" means 30 days before `at`).
//! Contacts merged into another are not listed; their activity counts for the survivor.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{ActivitySummary, Views};
use crate::domain::details::{Address, ConsentChannel};
use crate::domain::order::Fulfillment;
use crate::ids::{CustomerId, UserId};
use crate::money::{Money, Totals};
use crate::normalize::{self, Country};

/// Conditions a customer must all meet; `None` means "any". Build one with struct update
/// syntax: `Segment { tag: Some("vip".into()), ..Segment::default() }`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    /// An address in this city (ignoring case and accents).
    pub city: Option<String>,
    /// An address in this region.
    pub region: Option<String>,
    /// An address in this country.
    pub country: Option<Country>,
    /// Has this tag.
    pub tag: Option<String>,
    /// Owned by this manager.
    pub owner: Option<UserId>,
    /// Lifetime value in this amount's currency at least this.
    pub min_spent: Option<Money>,
    /// Lifetime value in this amount's currency at most this.
    pub max_spent: Option<Money>,
    /// At least this many orders (cancelled ones do not count).
    pub min_orders: Option<usize>,
    /// At most this many orders.
    pub max_orders: Option<usize>,
    /// Ordered this product (by product id).
    pub bought_product: Option<String>,
    /// Ordered something in this category.
    pub bought_category: Option<String>,
    /// Last order placed before this instant (customers without orders do not match).
    pub last_order_before: Option<DateTime<Utc>>,
    /// Last order placed at or after this instant.
    pub last_order_after: Option<DateTime<Utc>>,
    /// No conversation for at least this many days before `at` (or never).
    pub not_contacted_for_days: Option<i64>,
    /// Birthday within the next this many days from `at`'s date, today included.
    pub birthday_within_days: Option<i64>,
    /// Has given marketing consent on this channel.
    pub marketing_consent: Option<ConsentChannel>,
}

/// A customer in a segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentRow {
    /// The customer.
    pub customer: CustomerId,
    /// Their name.
    pub name: String,
    /// Orders, cancelled ones excluded.
    pub orders: usize,
    /// Paid minus refunded, per currency.
    pub lifetime_value: Totals,
    /// When they last ordered.
    pub last_order: Option<DateTime<Utc>>,
    /// When they were last contacted.
    pub last_contact: Option<DateTime<Utc>>,
}

/// A customer who has gone quiet: silent for longer than `k` times their own usual gap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LapsedCustomer {
    /// The customer.
    pub customer: CustomerId,
    /// Their name.
    pub name: String,
    /// Orders, cancelled ones excluded (at least two: a gap needs two).
    pub orders: usize,
    /// Their mean days between consecutive orders.
    pub average_gap_days: f64,
    /// Days from their last order to `at`.
    pub days_since_last_order: f64,
    /// `days_since_last_order / average_gap_days`: how many usual gaps they have been silent.
    pub silence: f64,
}

/// What a segment condition looks at, for a person or an organization.
struct Profile<'a> {
    customer: CustomerId,
    name: String,
    addresses: &'a [Address],
    tags: &'a super::tag_list::TagList,
    owner: Option<UserId>,
    birthday: Option<NaiveDate>,
    consent: Option<&'a std::collections::BTreeSet<ConsentChannel>>,
}

fn same(a: &str, b: &str) -> bool {
    normalize::fold(a.trim()) == normalize::fold(b.trim())
}

/// Days from `today` to the next `birthday` (0 if it is today). 29 February counts as
/// 28 February in years without it.
fn days_to_birthday(birthday: NaiveDate, today: NaiveDate) -> i64 {
    let in_year = |year: i32| {
        NaiveDate::from_ymd_opt(year, birthday.month(), birthday.day())
            .or_else(|| NaiveDate::from_ymd_opt(year, 2, 28))
    };
    let this_year = in_year(today.year()).filter(|d| *d >= today);
    this_year
        .or_else(|| in_year(today.year() + 1))
        .map_or(i64::MAX, |next| (next - today).num_days())
}

fn orders_placed(a: &ActivitySummary) -> usize {
    a.orders
        .iter()
        .filter(|o| o.fulfillment != Fulfillment::Cancelled)
        .count()
}

impl Segment {
    fn matches(&self, p: &Profile<'_>, a: &ActivitySummary, at: DateTime<Utc>) -> bool {
        let address = |f: &dyn Fn(&Address) -> bool| p.addresses.iter().any(f);
        let orders = orders_placed(a);
        let spent = |m: &Money| a.lifetime_value.get(m.currency).minor;
        self.city
            .as_ref()
            .is_none_or(|c| address(&|x| same(&x.city, c)))
            && self
                .region
                .as_ref()
                .is_none_or(|r| address(&|x| x.region.as_deref().is_some_and(|xr| same(xr, r))))
            && self
                .country
                .is_none_or(|c| address(&|x| x.country == Some(c)))
            && self
                .tag
                .as_ref()
                .is_none_or(|t| p.tags.iter().any(|x| same(x, t)))
            && self.owner.is_none_or(|o| p.owner == Some(o))
            && self.min_spent.as_ref().is_none_or(|m| spent(m) >= m.minor)
            && self.max_spent.as_ref().is_none_or(|m| spent(m) <= m.minor)
            && self.min_orders.is_none_or(|n| orders >= n)
            && self.max_orders.is_none_or(|n| orders <= n)
            && self.bought_product.as_ref().is_none_or(|x| {
                a.orders
                    .iter()
                    .any(|o| o.lines.iter().any(|l| l.product_id == *x))
            })
            && self.bought_category.as_ref().is_none_or(|c| {
                a.orders.iter().any(|o| {
                    o.lines
                        .iter()
                        .filter_map(|l| l.category.as_deref())
                        .any(|oc| same(oc, c))
                })
            })
            && self
                .last_order_before
                .is_none_or(|t| a.last_order.is_some_and(|l| l < t))
            && self
                .last_order_after
                .is_none_or(|t| a.last_order.is_some_and(|l| l >= t))
            && self
                .not_contacted_for_days
                .is_none_or(|n| a.last_contact.is_none_or(|l| (at - l).num_days() >= n))
            && self.birthday_within_days.is_none_or(|n| {
                p.birthday
                    .is_some_and(|b| days_to_birthday(b, at.date_naive()) <= n)
            })
            && self
                .marketing_consent
                .is_none_or(|c| p.consent.is_some_and(|set| set.contains(&c)))
    }
}

impl Views {
    fn for_each_profile(&self, mut f: impl FnMut(&Profile<'_>)) {
        for card in self.cards.active_contacts() {
            f(&Profile {
                customer: CustomerId::Contact(card.0),
                name: card.1.display_name(),
                addresses: &card.1.personal.addresses,
                tags: &card.1.tags,
                owner: card.1.owner,
                birthday: card.1.personal.birthday,
                consent: Some(&card.1.consent),
            });
        }
        for card in self.cards.companies() {
            f(&Profile {
                customer: CustomerId::Company(card.0),
                name: card.1.details.name.clone(),
                addresses: &card.1.details.addresses,
                tags: &card.1.tags,
                owner: card.1.owner,
                birthday: None,
                consent: None,
            });
        }
    }

    /// The customers that meet every condition of `segment` at `at`, by name.
    pub fn segment(&self, segment: &Segment, at: DateTime<Utc>) -> Vec<SegmentRow> {
        let mut rows = Vec::new();
        self.for_each_profile(|p| {
            let activity = self.summary(p.customer);
            if segment.matches(p, &activity, at) {
                rows.push(SegmentRow {
                    customer: p.customer,
                    name: p.name.clone(),
                    orders: orders_placed(&activity),
                    lifetime_value: activity.lifetime_value,
                    last_order: activity.last_order,
                    last_contact: activity.last_contact,
                });
            }
        });
        rows.sort_by(|a, b| (&a.name, a.customer).cmp(&(&b.name, b.customer)));
        rows
    }

    /// Customers with at least two orders whose silence since their last order, at `at`,
    /// exceeds `k` times their own mean gap between orders; the longest silences first.
    pub fn lapsed(&self, k: f64, at: DateTime<Utc>) -> Vec<LapsedCustomer> {
        let mut lapsed = Vec::new();
        self.for_each_profile(|p| {
            let a = self.summary(p.customer);
            let (Some(gap), Some(last)) = (a.average_days_between_orders, a.last_order) else {
                return;
            };
            let since = (at - last).num_seconds() as f64 / 86_400.0;
            if gap > 0.0 && since > k * gap {
                lapsed.push(LapsedCustomer {
                    customer: p.customer,
                    name: p.name.clone(),
                    orders: orders_placed(&a),
                    average_gap_days: gap,
                    days_since_last_order: since,
                    silence: since / gap,
                });
            }
        });
        lapsed.sort_by(|a, b| b.silence.total_cmp(&a.silence).then(a.name.cmp(&b.name)));
        lapsed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn birthdays_count_days_ahead_and_wrap_the_year() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(days_to_birthday(d(1990, 11, 22), d(2026, 11, 22)), 0);
        assert_eq!(days_to_birthday(d(1990, 11, 30), d(2026, 11, 22)), 8);
        assert_eq!(days_to_birthday(d(1990, 1, 2), d(2026, 12, 30)), 3);
        assert_eq!(days_to_birthday(d(2000, 2, 29), d(2026, 2, 20)), 8);
    }
}
