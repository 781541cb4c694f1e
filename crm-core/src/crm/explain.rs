//! `Crm::explain_*`: the events behind a report's figure, a board column or a card total (see
//! [`crate::explain`]).

use std::collections::{HashMap, HashSet};

use super::Crm;
use crate::error::Error;
use crate::event::RecordedEvent;
use crate::explain::traced::{Find, Selection, Side};
use crate::explain::{
    activity, attribution, card, customers, fulfillment, mailings, pipeline, satisfaction,
    ActivityFigure, AttributionFigure, BoardFigure, CardFigure, CustomersFigure, Explained,
    Explanation, FulfillmentFigure, MailingFigure, PipelineFigure, SalesExplainer, SalesFigure,
    SatisfactionFigure, Touch,
};
use crate::ids::{CampaignId, CustomerId, EventId, PipelineId, StageId, StreamId};
use crate::money::{weighted, Currency};
use crate::projection::Views;
use crate::report::Period;
use crate::store::EventStore;
use crate::time_travel::AsOf;

impl<S: EventStore> Crm<S> {
    /// The events behind a sales figure of `bucket` (a label of `period`, as the report
    /// prints it) in `currency`, in the log as it is or as it was at `as_of`.
    pub async fn explain_sales(
        &self,
        period: Period,
        bucket: &str,
        currency: Currency,
        figure: SalesFigure,
        as_of: Option<AsOf>,
    ) -> Result<Explained, Error> {
        if let Some(as_of) = as_of {
            self.check_reached(as_of).await?;
        }
        let mut explainer = SalesExplainer::new(period, bucket, currency, figure);
        let batch = self.options.read_batch;
        let mut next = 1;
        loop {
            let events = self.store.read_all(next, batch).await?;
            for event in &events {
                if as_of.is_some_and(|t| t.excludes(event)) {
                    return Ok(explainer.finish());
                }
                explainer.apply(event);
                next = event.position + 1;
            }
            if events.len() < batch {
                return Ok(explainer.finish());
            }
        }
    }

    /// The deals behind a figure of a board's column (the stage `stage_id` of `pipeline_id`)
    /// in `currency` (a count counts every deal, whatever its currency): each open deal in
    /// it, with the deal's latest event — the one that left it in this stage at this amount —
    /// as of now or `as_of`. `None` when the board has no such column.
    pub async fn explain_board(
        &self,
        pipeline_id: PipelineId,
        stage_id: StageId,
        figure: BoardFigure,
        currency: Currency,
        as_of: Option<AsOf>,
    ) -> Result<Option<Explanation>, Error> {
        let (board, position) = match as_of {
            Some(as_of) => {
                let past = self.as_of(as_of).await?;
                (past.views.deals.board(pipeline_id), past.position)
            }
            None => {
                let live = self.views.read();
                (live.projection.deals.board(pipeline_id), live.position)
            }
        };
        let Some((board_name, column)) = board.and_then(|b| {
            let name = b.name;
            b.columns
                .into_iter()
                .find(|c| c.stage_id == stage_id)
                .map(|c| (name, c))
        }) else {
            return Ok(None);
        };
        let money = figure != BoardFigure::Count;
        let mut explanation = Explanation::new(
            format!("board {board_name}, {}, {figure:?}", column.name).to_lowercase(),
            money.then_some(currency),
        );
        for deal in &column.deals {
            let amount = match figure {
                BoardFigure::Count => 1,
                _ if deal.amount.currency != currency => continue,
                BoardFigure::Total => deal.amount.minor,
                BoardFigure::Weighted => weighted(deal.amount, column.probability).minor,
            };
            let stream = StreamId::from(deal.deal_id);
            let history = self.store.read_stream(&stream, 1, usize::MAX).await?;
            if let Some(latest) = history.iter().rev().find(|e| e.position <= position) {
                explanation.add(latest, amount);
            }
        }
        explanation.contributions.sort_by_key(|c| c.position);
        Ok(Some(explanation))
    }

    /// The feedback behind a figure of the satisfaction report's row `group` (a bucket's
    /// label as the report prints it, `total`, or a manager's row: their user id or
    /// `unassigned`) over `period`, now or as of `as_of`.
    pub async fn explain_satisfaction(
        &self,
        period: Period,
        group: &str,
        figure: SatisfactionFigure,
        as_of: Option<AsOf>,
    ) -> Result<Explained, Error> {
        let selected = self
            .select(as_of, |v| satisfaction::select(v, &period, group, figure))
            .await?;
        self.trace(selected).await
    }

    /// The order events behind a figure of the fulfillment report over `period`, now or as
    /// of `as_of`.
    pub async fn explain_fulfillment(
        &self,
        period: Period,
        figure: &FulfillmentFigure,
        as_of: Option<AsOf>,
    ) -> Result<Explained, Error> {
        let selected = self
            .select(as_of, |v| fulfillment::select(v, &period, figure))
            .await?;
        self.trace(selected).await
    }

    /// The events behind a figure of the attribution report's row `touch` (a first-touch
    /// source or a campaign) over `period`, now or as of `as_of`.
    pub async fn explain_attribution(
        &self,
        period: Period,
        touch: &Touch,
        figure: AttributionFigure,
        as_of: Option<AsOf>,
    ) -> Result<Explained, Error> {
        let selected = self
            .select(as_of, |v| attribution::select(v, &period, touch, figure))
            .await?;
        self.trace(selected).await
    }

    /// The messages and orders behind a figure of `campaign`'s row of the attribution
    /// report's mailings table over `period`, now or as of `as_of`.
    pub async fn explain_mailings(
        &self,
        period: Period,
        campaign: CampaignId,
        figure: MailingFigure,
        as_of: Option<AsOf>,
    ) -> Result<Explained, Error> {
        let selected = self
            .select(as_of, |v| mailings::select(v, &period, campaign, figure))
            .await?;
        self.trace(selected).await
    }

    /// The deal events behind a figure of `pipeline_id`'s report over `period`,
    /// now or as of `as_of`.
    pub async fn explain_pipeline(
        &self,
        pipeline_id: PipelineId,
        period: Period,
        figure: &PipelineFigure,
        as_of: Option<AsOf>,
    ) -> Result<Explained, Error> {
        let selected = self
            .select(as_of, |v| pipeline::select(v, pipeline_id, &period, figure))
            .await?;
        self.trace(selected).await
    }

    /// The conversations and tasks behind a figure of the activity report over `period`,
    /// now or as of `as_of`.
    pub async fn explain_activity(
        &self,
        period: Period,
        figure: ActivityFigure,
        as_of: Option<AsOf>,
    ) -> Result<Explained, Error> {
        let selected = self
            .select(as_of, |v| activity::select(v, &period, figure))
            .await?;
        self.trace(selected).await
    }

    /// The orders, payments and refunds behind a figure of the customers report over
    /// `period`, now or as of `as_of`.
    pub async fn explain_customers(
        &self,
        period: Period,
        figure: &CustomersFigure,
        as_of: Option<AsOf>,
    ) -> Result<Explained, Error> {
        let selected = self
            .select(as_of, |v| customers::select(v, &period, figure))
            .await?;
        self.trace(selected).await
    }

    /// The events behind a total on `customer`'s card (the contacts merged into them
    /// included), now or as of `as_of`.
    pub async fn explain_card(
        &self,
        customer: CustomerId,
        figure: CardFigure,
        as_of: Option<AsOf>,
    ) -> Result<Explained, Error> {
        let selected = self
            .select(as_of, |v| card::select(v, customer, figure))
            .await?;
        self.trace(selected).await
    }

    /// What `select` picks of the views now or as of `as_of`, and the position they hold.
    async fn select(
        &self,
        as_of: Option<AsOf>,
        select: impl FnOnce(&Views) -> Selection,
    ) -> Result<(Selection, u64), Error> {
        Ok(match as_of {
            Some(as_of) => {
                let past = self.as_of(as_of).await?;
                (select(&past.views), past.position)
            }
            None => {
                let live = self.views.read();
                (select(&live.projection), live.position)
            }
        })
    }

    /// Finds each selected part's event on its stream, at or before `position` (as the part
    /// says: the oldest of its type and business time not used yet, or the latest one) and
    /// adds it to its side.
    async fn trace(&self, (selection, position): (Selection, u64)) -> Result<Explained, Error> {
        let mut numerator = Explanation::new(selection.figure.clone(), selection.currency);
        let mut denominator = Explanation::new(
            selection.denominator.clone().unwrap_or_default(),
            selection.denominator_currency,
        );
        let mut streams: HashMap<StreamId, Vec<RecordedEvent>> = HashMap::new();
        let mut used: HashSet<(Side, EventId)> = HashSet::new();
        for part in &selection.parts {
            if !streams.contains_key(&part.stream) {
                let history = self.store.read_stream(&part.stream, 1, usize::MAX).await?;
                streams.insert(part.stream.clone(), history);
            }
            // Several events can fit a part (two payments of one order in the same second):
            // each is used once, oldest first, in the order the views took them in.
            let found = streams.get(&part.stream).and_then(|history| {
                let fits = |e: &&RecordedEvent| {
                    e.position <= position
                        && !used.contains(&(part.side, e.id))
                        && match part.find {
                            Find::Typed(event_type, at) => {
                                e.occurred_at == at && e.event.type_name() == event_type
                            }
                            Find::Latest => true,
                            Find::LatestOf(event_type) => e.event.type_name() == event_type,
                        }
                };
                match part.find {
                    Find::Typed(..) => history.iter().find(fits),
                    Find::Latest | Find::LatestOf(_) => history.iter().rev().find(fits),
                }
            });
            let Some(event) = found else {
                tracing::warn!(stream = %part.stream, find = ?part.find, "an explained figure's event is not in the log");
                continue;
            };
            used.insert((part.side, event.id));
            match part.side {
                Side::Numerator => numerator.add(event, part.amount),
                Side::Denominator => denominator.add(event, part.amount),
            }
        }
        for side in [&mut numerator, &mut denominator] {
            side.contributions.sort_by_key(|c| c.position);
        }
        Ok(if selection.denominator.is_some() {
            Explained::Rate {
                numerator,
                denominator,
            }
        } else {
            Explained::Sum(numerator)
        })
    }
}
