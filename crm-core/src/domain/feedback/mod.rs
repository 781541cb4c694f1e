//! The feedback aggregate: what a customer thinks — a review score for an order, an NPS
//! answer, or a CES answer — each with an optional comment. Feedback is given once; giving
//! the same again (a re-imported survey) changes nothing.

use crate::personal::Personal;
use serde::{Deserialize, Serialize};

use super::details::personal_text;
use super::{Aggregate, DomainError, Requirement};
use crate::event::Event;
use crate::ids::{CustomerId, FeedbackId, OrderId};

/// What kind of answer, with its score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", deny_unknown_fields)]
pub enum Score {
    /// A review of an order, 1 (worst) to 5 stars.
    Review {
        /// The order reviewed.
        order_id: OrderId,
        /// 1 to 5.
        stars: u8,
    },
    /// "How likely are you to recommend us?", 0 to 10.
    Nps {
        /// 0 to 10.
        score: u8,
    },
    /// "How easy was it?", 1 (very hard) to 7 (very easy).
    Ces {
        /// 1 to 7.
        score: u8,
    },
}

impl Score {
    pub(crate) fn check(&self) -> Result<(), DomainError> {
        let (value, range, what) = match *self {
            Self::Review { stars, .. } => (stars, 1..=5, "a review"),
            Self::Nps { score } => (score, 0..=10, "an NPS answer"),
            Self::Ces { score } => (score, 1..=7, "a CES answer"),
        };
        if range.contains(&value) {
            Ok(())
        } else {
            Err(DomainError::ScoreOutOfRange {
                what,
                score: value,
                min: *range.start(),
                max: *range.end(),
            })
        }
    }
}

/// A customer gave feedback. Field names are wire format: rename nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedbackGiven {
    /// The feedback (derived from the survey's answer id on import).
    pub feedback_id: FeedbackId,
    /// Who gave it.
    pub customer: CustomerId,
    /// What kind, and the score.
    pub score: Score,
    /// What they wrote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<Personal<String>>,
}

/// A command for one piece of feedback.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FeedbackCommand {
    /// Record feedback.
    Give(FeedbackGiven),
}

impl FeedbackCommand {
    /// The feedback whose stream this command writes to.
    pub fn feedback_id(&self) -> FeedbackId {
        match self {
            Self::Give(f) => f.feedback_id,
        }
    }

    /// What must hold elsewhere: the customer, and the order a review is about.
    pub fn requirements(&self) -> Vec<Requirement> {
        let Self::Give(f) = self;
        let mut needs = vec![Requirement::CustomerExists(f.customer)];
        if let Score::Review { order_id, .. } = f.score {
            needs.push(Requirement::OrderExists(order_id));
        }
        needs
    }
}

/// Everything a feedback decision needs to know.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Feedback {
    /// The feedback as given.
    pub given: Option<FeedbackGiven>,
}

impl Aggregate for Feedback {
    type Id = FeedbackId;
    type Command = FeedbackCommand;
    const SNAPSHOT_SCHEMA: u32 = 1;

    fn owned_by(&self) -> Option<crate::access::OwnedBy> {
        use crate::access::OwnedBy;
        self.given.as_ref().map(|f| OwnedBy::Customer(f.customer))
    }

    fn decide(&self, command: &FeedbackCommand) -> Result<Vec<Event>, DomainError> {
        let FeedbackCommand::Give(f) = command;
        let wanted = FeedbackGiven {
            comment: personal_text(f.comment.as_ref(), "comment")?,
            ..f.clone()
        };
        match &self.given {
            Some(existing) if *existing == wanted => Ok(Vec::new()),
            Some(_) => Err(DomainError::FeedbackAlreadyGiven {
                feedback_id: f.feedback_id,
            }),
            None => {
                f.score.check()?;
                Ok(vec![wanted.into()])
            }
        }
    }

    fn evolve(&mut self, event: &Event) {
        if let Event::FeedbackGiven(e) = event {
            self.given = Some(e.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ContactId;
    use crate::testing::given;

    fn give(score: Score, comment: Option<&str>) -> FeedbackCommand {
        FeedbackCommand::Give(FeedbackGiven {
            feedback_id: FeedbackId::from_uuid(uuid::Uuid::from_u128(3)),
            customer: CustomerId::Contact(ContactId::from_uuid(uuid::Uuid::from_u128(1))),
            score,
            comment: comment.map(str::to_owned).map(Into::into),
        })
    }

    #[test]
    fn scores_are_checked_against_their_scale() {
        let order_id = OrderId::from_uuid(uuid::Uuid::from_u128(9));
        given::<Feedback>([])
            .when(give(Score::Review { order_id, stars: 6 }, None))
            .then_error_text("a review scores from 1 to 5, not 6");
        given::<Feedback>([])
            .when(give(Score::Nps { score: 11 }, None))
            .then_error_text("an NPS answer scores from 0 to 10, not 11");
        given::<Feedback>([])
            .when(give(Score::Ces { score: 0 }, None))
            .then_error_text("a CES answer scores from 1 to 7, not 0");
        let FeedbackCommand::Give(expected) = give(Score::Nps { score: 9 }, None);
        given::<Feedback>([])
            .when(give(Score::Nps { score: 9 }, Some("  ")))
            .then_events([expected.into()]);
    }

    #[test]
    fn feedback_is_given_once() {
        let FeedbackCommand::Give(first) = give(Score::Nps { score: 9 }, Some("great"));
        given::<Feedback>([first.clone().into()])
            .when(give(Score::Nps { score: 9 }, Some(" great ")))
            .then_nothing();
        given::<Feedback>([first.into()])
            .when(give(Score::Nps { score: 3 }, None))
            .then_error_text(
                "feedback 00000000-0000-0000-0000-000000000003 was already given with other answers",
            );
    }
}
