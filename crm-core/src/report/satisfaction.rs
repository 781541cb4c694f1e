//! The satisfaction report: review scores, NPS and CES, per bucket and per manager.
//!
//! Formulas, over the feedback given in the period (by the time it was given):
//! - `stars[k]`: reviews with k + 1 stars; `average_stars`: their mean.
//! - NPS: answers of 9–10 are promoters, 7–8 passives, 0–6 detractors;
//!   `nps = (promoters − detractors) × 100 / answers`, in points from −100 to 100.
//! - `average_ces`: the mean CES answer (1 = very hard, 7 = very easy).
//!
//! Per manager means per the manager who owns the customer now ("unassigned" for none); a
//! contact merged into another counts under the survivor's owner.

use std::collections::BTreeMap;

use serde::Serialize;

use super::render::{Cell, Table, Tabular};
use super::Period;
use crate::domain::feedback::Score;
use crate::projection::Views;

/// Feedback of one group.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SatisfactionRow {
    /// The bucket's label, the manager's id, or `total`.
    pub group: String,
    /// Reviews.
    pub reviews: usize,
    /// Reviews with 1, 2, 3, 4 and 5 stars.
    pub stars: [usize; 5],
    /// Mean stars.
    pub average_stars: Option<f64>,
    /// NPS answers.
    pub nps_answers: usize,
    /// Answers of 9 or 10.
    pub promoters: usize,
    /// Answers of 7 or 8.
    pub passives: usize,
    /// Answers of 0 to 6.
    pub detractors: usize,
    /// `(promoters − detractors) × 100 / answers`.
    pub nps: Option<f64>,
    /// CES answers.
    pub ces_answers: usize,
    /// Mean CES answer.
    pub average_ces: Option<f64>,
    #[serde(skip)]
    ces_sum: u64,
}

impl SatisfactionRow {
    fn named(group: impl Into<String>) -> Self {
        Self {
            group: group.into(),
            ..Self::default()
        }
    }

    fn add(&mut self, score: Score) {
        match score {
            Score::Review { stars, .. } => {
                self.reviews += 1;
                if let Some(slot) = self.stars.get_mut(usize::from(stars.clamp(1, 5)) - 1) {
                    *slot += 1;
                }
            }
            Score::Nps { score } => {
                self.nps_answers += 1;
                match score {
                    9.. => self.promoters += 1,
                    7..=8 => self.passives += 1,
                    _ => self.detractors += 1,
                }
            }
            Score::Ces { score } => {
                self.ces_answers += 1;
                self.ces_sum += u64::from(score);
            }
        }
    }

    fn finish(&mut self) {
        let stars: usize = self
            .stars
            .iter()
            .enumerate()
            .map(|(i, n)| (i + 1) * n)
            .sum();
        if self.reviews > 0 {
            self.average_stars = Some(stars as f64 / self.reviews as f64);
        }
        if self.nps_answers > 0 {
            let net = self.promoters as f64 - self.detractors as f64;
            self.nps = Some(net * 100.0 / self.nps_answers as f64);
        }
        if self.ces_answers > 0 {
            self.average_ces = Some(self.ces_sum as f64 / self.ces_answers as f64);
        }
    }

    fn cells(&self) -> Vec<Cell> {
        let mut cells = vec![Cell::text(&self.group), Cell::count(self.reviews)];
        cells.extend(self.stars.iter().map(|n| Cell::count(*n)));
        cells.extend([
            Cell::decimal(self.average_stars),
            Cell::count(self.nps_answers),
            Cell::count(self.promoters),
            Cell::count(self.passives),
            Cell::count(self.detractors),
            Cell::decimal(self.nps),
            Cell::count(self.ces_answers),
            Cell::decimal(self.average_ces),
        ]);
        cells
    }
}

/// Satisfaction over a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SatisfactionReport {
    /// The period.
    pub period: Period,
    /// One row per bucket, in order (empty buckets included).
    pub by_bucket: Vec<SatisfactionRow>,
    /// One row per manager, by id (`unassigned` last).
    pub by_manager: Vec<SatisfactionRow>,
    /// The whole period.
    pub total: SatisfactionRow,
}

impl SatisfactionReport {
    /// The report of all feedback in `views` given during `period`.
    pub fn compute(views: &Views, period: Period) -> Self {
        let mut by_bucket: Vec<SatisfactionRow> = period
            .spans()
            .into_iter()
            .map(|s| SatisfactionRow::named(s.label))
            .collect();
        let mut by_manager: BTreeMap<(bool, String), SatisfactionRow> = BTreeMap::new();
        let mut total = SatisfactionRow::named("total");
        for (customer, activity) in views.activity.customers() {
            let owner = views.cards.owner(views.cards.survivor(*customer));
            let manager = owner.map_or_else(|| "unassigned".to_owned(), |u| u.to_string());
            for feedback in &activity.feedback {
                let Some(label) = period.label_of(feedback.at) else {
                    continue;
                };
                if let Some(row) = by_bucket.iter_mut().find(|r| r.group == label) {
                    row.add(feedback.score);
                }
                by_manager
                    .entry((owner.is_none(), manager.clone()))
                    .or_insert_with(|| SatisfactionRow::named(manager.clone()))
                    .add(feedback.score);
                total.add(feedback.score);
            }
        }
        let mut by_manager: Vec<SatisfactionRow> = by_manager.into_values().collect();
        by_bucket
            .iter_mut()
            .chain(by_manager.iter_mut())
            .chain(std::iter::once(&mut total))
            .for_each(SatisfactionRow::finish);
        Self {
            period,
            by_bucket,
            by_manager,
            total,
        }
    }
}

impl Tabular for SatisfactionReport {
    fn tables(&self) -> Vec<Table> {
        let headers = vec![
            "group",
            "reviews",
            "1★",
            "2★",
            "3★",
            "4★",
            "5★",
            "avg stars",
            "nps answers",
            "promoters",
            "passives",
            "detractors",
            "nps",
            "ces answers",
            "avg ces",
        ];
        vec![
            Table {
                name: "buckets",
                title: format!("Satisfaction by bucket, {}", self.period),
                headers: headers.clone(),
                rows: self
                    .by_bucket
                    .iter()
                    .chain(std::iter::once(&self.total))
                    .map(SatisfactionRow::cells)
                    .collect(),
            },
            Table {
                name: "managers",
                title: "Satisfaction by manager".into(),
                headers,
                rows: self.by_manager.iter().map(SatisfactionRow::cells).collect(),
            },
        ]
    }
}
