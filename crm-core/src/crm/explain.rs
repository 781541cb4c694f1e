//! `Crm::explain_sales` and `Crm::explain_board` (see [`crate::explain`]).

use super::Crm;
use crate::error::Error;
use crate::explain::{BoardFigure, Explained, Explanation, SalesExplainer, SalesFigure};
use crate::ids::{PipelineId, StageId, StreamId};
use crate::money::{weighted, Currency};
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
}
