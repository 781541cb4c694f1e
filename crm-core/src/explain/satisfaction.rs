//! The satisfaction report's figures ([`crate::report::satisfaction`]) of a bucket, or of the
//! whole period, traced to the `FeedbackGiven` events behind them.

use serde::Serialize;

use super::traced::Selection;
use crate::domain::feedback::Score;
use crate::ids::StreamId;
use crate::projection::Views;
use crate::report::Period;

/// A figure of a row of the satisfaction report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SatisfactionFigure {
    /// Reviews.
    Reviews,
    /// Reviews with this many stars (1 to 5).
    Stars(u8),
    /// Mean stars: stars over reviews.
    AverageStars,
    /// NPS answers.
    NpsAnswers,
    /// Answers of 9 or 10.
    Promoters,
    /// Answers of 7 or 8.
    Passives,
    /// Answers of 0 to 6.
    Detractors,
    /// `(promoters − detractors) × 100 / answers`: each promoter adds 100 to the numerator,
    /// each detractor takes 100 away, each answer adds 1 to the denominator.
    Nps,
    /// CES answers.
    CesAnswers,
    /// The mean CES answer: answers' scores over answers.
    AverageCes,
}

impl SatisfactionFigure {
    /// Every figure, by its name.
    pub const ALL: [(&'static str, Self); 14] = [
        ("reviews", Self::Reviews),
        ("stars_1", Self::Stars(1)),
        ("stars_2", Self::Stars(2)),
        ("stars_3", Self::Stars(3)),
        ("stars_4", Self::Stars(4)),
        ("stars_5", Self::Stars(5)),
        ("average_stars", Self::AverageStars),
        ("nps_answers", Self::NpsAnswers),
        ("promoters", Self::Promoters),
        ("passives", Self::Passives),
        ("detractors", Self::Detractors),
        ("nps", Self::Nps),
        ("ces_answers", Self::CesAnswers),
        ("average_ces", Self::AverageCes),
    ];

    /// The figure a name names.
    pub fn named(name: &str) -> Option<Self> {
        super::named_in(&Self::ALL, name)
    }

    fn name(self) -> &'static str {
        super::name_in(&Self::ALL, self)
    }

    /// A rate's numerator and denominator, in words.
    fn rate_of(self) -> Option<(&'static str, &'static str)> {
        match self {
            Self::AverageStars => Some(("stars", "reviews")),
            Self::Nps => Some(("100 per promoter less 100 per detractor", "nps answers")),
            Self::AverageCes => Some(("ces scores", "ces answers")),
            _ => None,
        }
    }

    /// What one answer adds to the numerator and to the denominator.
    fn parts(self, score: Score) -> (Option<i64>, Option<i64>) {
        use SatisfactionFigure as F;
        match (self, score) {
            (F::Reviews, Score::Review { .. }) => (Some(1), None),
            (F::Stars(k), Score::Review { stars, .. }) if stars.clamp(1, 5) == k => (Some(1), None),
            (F::AverageStars, Score::Review { stars, .. }) => {
                (Some(i64::from(stars.clamp(1, 5))), Some(1))
            }
            (F::NpsAnswers, Score::Nps { .. }) => (Some(1), None),
            (F::Promoters, Score::Nps { score: 9.. }) => (Some(1), None),
            (F::Passives, Score::Nps { score: 7..=8 }) => (Some(1), None),
            (F::Detractors, Score::Nps { score: ..=6 }) => (Some(1), None),
            (F::Nps, Score::Nps { score }) => {
                let part = match score {
                    9.. => 100,
                    7..=8 => 0,
                    _ => -100,
                };
                (Some(part), Some(1))
            }
            (F::CesAnswers, Score::Ces { .. }) => (Some(1), None),
            (F::AverageCes, Score::Ces { score }) => (Some(i64::from(score)), Some(1)),
            _ => (None, None),
        }
    }
}

/// The feedback behind `figure` of the row `group` of the satisfaction report over `period`,
/// as `views` hold it: a bucket's label, `total`, or (as the report's rows per manager name
/// them) a manager's user id or `unassigned`, the manager who owns the customer now.
pub(crate) fn select(
    views: &Views,
    period: &Period,
    group: &str,
    figure: SatisfactionFigure,
) -> Selection {
    let what = format!("satisfaction {}, {group}", figure.name());
    let mut selection = match figure.rate_of() {
        Some((numerator, denominator)) => Selection::rate(&what, numerator, denominator),
        None => Selection::sum(what),
    };
    let by_bucket = period.spans().iter().any(|s| s.label == group);
    for (customer, activity) in views.activity.customers() {
        let manager = || {
            let owner = views.cards.owner(views.cards.survivor(*customer));
            owner.map_or_else(|| "unassigned".to_owned(), |u| u.to_string())
        };
        if !by_bucket && group != "total" && manager() != group {
            continue;
        }
        for feedback in &activity.feedback {
            let Some(label) = period.label_of(feedback.at) else {
                continue;
            };
            if by_bucket && label != group {
                continue;
            }
            let (numerator, denominator) = figure.parts(feedback.score);
            let stream = StreamId::from(feedback.feedback_id);
            selection.add_to_sides(
                &stream,
                "FeedbackGiven",
                feedback.at,
                (numerator, denominator),
            );
        }
    }
    selection
}
