//! Each family's figure, read from `crm explain`'s options and explained.

use crm::domain::automation::MessageChannel;
use crm::explain::{
    ActivityFigure, AttributionFigure, BoardFigure, CardFigure, CustomersFigure, DealGroup,
    Explained, FulfillmentFigure, MailingFigure, PipelineFigure, RowFigure, SalesFigure,
    SatisfactionFigure, Stage, Touch,
};
use crm::money::Currency;
use crm::time_travel::AsOf;

use super::period::period_around;
use super::{lookup, Args};
use crate::commands::Failure;
use crate::session::Session;

/// The edges of the customers report's lifetime-value spread, as `--column` names them.
const LTV_EDGES: [&str; 6] = [
    "ltv_min", "ltv_p20", "ltv_p40", "ltv_p60", "ltv_p80", "ltv_max",
];

/// What was asked: the options, and the CRM to ask.
pub(super) struct Asked<'a> {
    pub(super) session: &'a Session,
    pub(super) args: &'a Args,
    pub(super) currency: Currency,
    pub(super) as_of: Option<AsOf>,
}

/// The error for a `--column` the family does not have.
fn no_column(args: &Args, family: &str, names: &[&str]) -> Failure {
    format!(
        "--column {:?}: the {family} has {}",
        args.column,
        names.join(", ")
    )
    .into()
}

/// The messages' channel `--channel` names.
fn message_channel(args: &Args) -> Result<MessageChannel, Failure> {
    match args.channel.as_str() {
        "email" => Ok(MessageChannel::Email),
        "sms" => Ok(MessageChannel::Sms),
        other => Err(format!("--channel {other:?}: messages go by email or sms").into()),
    }
}

impl Asked<'_> {
    fn bucket(&self) -> &str {
        self.args.bucket.as_deref().unwrap_or_default()
    }

    fn query<T>(
        &self,
        f: impl FnOnce(&crm::projection::Views) -> Result<T, String>,
    ) -> Result<T, Failure> {
        Ok(self.session.crm.query_unfiltered(f)?)
    }

    pub(super) async fn sales(&self) -> Result<Explained, Failure> {
        let figure = SalesFigure::named(&self.args.column).ok_or_else(|| {
            let names: Vec<&str> = SalesFigure::ALL.iter().map(|(n, _)| *n).collect();
            no_column(self.args, "sales report", &names)
        })?;
        let period = period_around(self.args, self.bucket())?;
        let crm = &self.session.crm;
        Ok(crm
            .explain_sales(period, self.bucket(), self.currency, figure, self.as_of)
            .await?)
    }

    pub(super) async fn board(&self) -> Result<Explained, Failure> {
        let args = self.args;
        let figure = BoardFigure::named(&args.figure).ok_or_else(|| {
            format!(
                "--figure {:?}: a board column has count, total and weighted",
                args.figure
            )
        })?;
        let (pipeline_id, stage_id) = self.query(|v| {
            let pipeline = lookup::pipeline(v, args.pipeline.as_deref())?;
            let stage = pipeline
                .stages
                .iter()
                .find(|s| s.name.eq_ignore_ascii_case(&args.column))
                .ok_or_else(|| {
                    format!(
                        "pipeline {} has no stage named {:?}",
                        pipeline.name, args.column
                    )
                })?;
            Ok((pipeline.pipeline_id, stage.stage_id))
        })?;
        let explanation = self
            .session
            .crm
            .explain_board(pipeline_id, stage_id, figure, self.currency, self.as_of)
            .await?
            .ok_or_else(|| format!("the board shows no column {:?}", args.column))?;
        Ok(Explained::Sum(explanation))
    }

    pub(super) async fn satisfaction(&self) -> Result<Explained, Failure> {
        let figure = SatisfactionFigure::named(&self.args.column).ok_or_else(|| {
            let names: Vec<&str> = SatisfactionFigure::ALL.iter().map(|(n, _)| *n).collect();
            no_column(self.args, "satisfaction report", &names)
        })?;
        let period = period_around(self.args, self.bucket())?;
        let crm = &self.session.crm;
        Ok(crm
            .explain_satisfaction(period, self.bucket(), figure, self.as_of)
            .await?)
    }

    pub(super) async fn fulfillment(&self) -> Result<Explained, Failure> {
        let args = self.args;
        let stage = || {
            Stage::named(&args.stage).ok_or_else(|| {
                let names: Vec<&str> = Stage::ALL.iter().map(|(n, _)| *n).collect();
                format!(
                    "--stage {:?}: the stages are {}",
                    args.stage,
                    names.join(", ")
                )
            })
        };
        let carrier = || {
            args.carrier
                .clone()
                .ok_or_else(|| format!("--column {}: name the carrier with --carrier", args.column))
        };
        let figure = match args.column.as_str() {
            "orders" => FulfillmentFigure::Orders(stage()?),
            "median" => FulfillmentFigure::Median(stage()?),
            "p90" => FulfillmentFigure::P90(stage()?),
            "delivered" => FulfillmentFigure::Delivered(carrier()?),
            "late" => FulfillmentFigure::Late(carrier()?),
            "late_rate" => FulfillmentFigure::LateRate(carrier()?),
            _ => {
                let names = ["orders", "median", "p90", "delivered", "late", "late_rate"];
                return Err(no_column(args, "fulfillment report", &names));
            }
        };
        let period = period_around(args, self.bucket())?;
        Ok(self
            .session
            .crm
            .explain_fulfillment(period, &figure, self.as_of)
            .await?)
    }

    pub(super) async fn customers(&self) -> Result<Explained, Failure> {
        let args = self.args;
        let bucket = || self.bucket().to_owned();
        let customer = || {
            let query = args.customer.as_deref().unwrap_or_default();
            self.query(|v| lookup::customer(v, query))
        };
        let edge = LTV_EDGES.iter().position(|e| *e == args.column);
        let figure = match (args.column.as_str(), edge) {
            (_, Some(at)) => CustomersFigure::ValueEdge(self.currency, at),
            ("new", _) => CustomersFigure::New(bucket()),
            ("active", _) => CustomersFigure::Active(bucket()),
            ("churn", _) => CustomersFigure::Churn(bucket()),
            ("repeat_rate", _) => CustomersFigure::RepeatRate,
            ("recency", _) => CustomersFigure::Recency(customer()?),
            ("frequency", _) => CustomersFigure::Frequency(customer()?),
            ("monetary", _) => CustomersFigure::Monetary(customer()?),
            _ => {
                let mut names = vec![
                    "new",
                    "active",
                    "churn",
                    "repeat_rate",
                    "recency",
                    "frequency",
                    "monetary",
                ];
                names.extend(LTV_EDGES);
                return Err(no_column(args, "customers report", &names));
            }
        };
        let period = period_around(args, self.bucket())?;
        Ok(self
            .session
            .crm
            .explain_customers(period, &figure, self.as_of)
            .await?)
    }

    pub(super) async fn activity(&self) -> Result<Explained, Failure> {
        let args = self.args;
        let manager = || {
            let who = args.manager.as_deref().unwrap_or("unassigned");
            self.query(|v| lookup::manager(v, who))
        };
        let user = || {
            manager()?.ok_or_else(|| {
                Failure::from(format!(
                    "--column {}: name a user with --manager",
                    args.column
                ))
            })
        };
        let figure = match args.column.as_str() {
            "interactions" => ActivityFigure::Interactions(manager()?),
            "calls" => ActivityFigure::Calls(manager()?),
            "tasks_completed" => ActivityFigure::TasksCompleted(user()?),
            "tasks_overdue" => ActivityFigure::TasksOverdue(user()?),
            "inbound" => ActivityFigure::Inbound,
            "answered" => ActivityFigure::Answered,
            "first_contact_resolution" => ActivityFigure::FirstContactResolution,
            "response_median" => ActivityFigure::ResponseMedian,
            "response_p90" => ActivityFigure::ResponseP90,
            "sent" => ActivityFigure::Sent(message_channel(args)?),
            "failed" => ActivityFigure::Failed(message_channel(args)?),
            "bounced" => ActivityFigure::Bounced(message_channel(args)?),
            "skipped" => ActivityFigure::Skipped(message_channel(args)?),
            _ => {
                let names = [
                    "interactions",
                    "calls",
                    "tasks_completed",
                    "tasks_overdue",
                    "inbound",
                    "answered",
                    "first_contact_resolution",
                    "response_median",
                    "response_p90",
                    "sent",
                    "failed",
                    "bounced",
                    "skipped",
                ];
                return Err(no_column(args, "activity report", &names));
            }
        };
        let period = period_around(args, self.bucket())?;
        Ok(self
            .session
            .crm
            .explain_activity(period, figure, self.as_of)
            .await?)
    }

    pub(super) async fn pipeline(&self) -> Result<Explained, Failure> {
        let args = self.args;
        let (pipeline, stage) = self.query(|v| {
            let pipeline = lookup::pipeline(v, args.pipeline.as_deref())?;
            let stage = pipeline
                .stages
                .iter()
                .find(|s| s.name.eq_ignore_ascii_case(&args.stage))
                .map(|s| s.stage_id);
            Ok((pipeline.pipeline_id, stage))
        })?;
        let stage = || {
            stage.ok_or_else(|| format!("--stage {:?}: the pipeline has no such stage", args.stage))
        };
        let currency = self.currency;
        let reason = || args.reason.clone().unwrap_or_default();
        let month = || args.month.clone().unwrap_or_default();
        let figure = match args.column.as_str() {
            "opened" => PipelineFigure::Opened,
            "won" => PipelineFigure::Won,
            "lost" => PipelineFigure::Lost,
            "win_rate" => PipelineFigure::WinRate,
            "won_amount" => PipelineFigure::WonAmount(currency),
            "conversion" => PipelineFigure::Conversion(stage()?),
            "stage_time" => PipelineFigure::StageTime(stage()?),
            "cycle_mean" => PipelineFigure::CycleMean,
            "cycle_median" => PipelineFigure::CycleMedian,
            "lost_deals" => PipelineFigure::LostDeals(reason()),
            "lost_amount" => PipelineFigure::LostAmount(reason(), currency),
            "forecast_deals" => PipelineFigure::ForecastDeals(month()),
            "forecast_total" => PipelineFigure::ForecastTotal(month(), currency),
            "forecast_weighted" => PipelineFigure::ForecastWeighted(month(), currency),
            _ => {
                let names = [
                    "opened",
                    "won",
                    "lost",
                    "win_rate",
                    "won_amount",
                    "conversion",
                    "stage_time",
                    "cycle_mean",
                    "cycle_median",
                    "lost_deals",
                    "lost_amount",
                    "forecast_deals",
                    "forecast_total",
                    "forecast_weighted",
                ];
                return Err(no_column(args, "pipeline report", &names));
            }
        };
        let figure = self.pipeline_row(figure)?;
        let period = period_around(args, self.bucket())?;
        Ok(self
            .session
            .crm
            .explain_pipeline(pipeline, period, &figure, self.as_of)
            .await?)
    }

    /// `figure` of the row `--row` or `--manager` names, if one does.
    fn pipeline_row(&self, figure: PipelineFigure) -> Result<PipelineFigure, Failure> {
        let args = self.args;
        let group = match (&args.row, &args.manager) {
            (Some(label), _) => DealGroup::Bucket(label.clone()),
            (None, Some(who)) => {
                let owner = self.query(|v| lookup::manager(v, who))?;
                DealGroup::Owner(owner.ok_or_else(|| {
                    format!("--manager {who:?}: every deal has an owner; name a user")
                })?)
            }
            (None, None) => return Ok(figure),
        };
        let row = match figure {
            PipelineFigure::Opened => RowFigure::Opened,
            PipelineFigure::Won => RowFigure::Won,
            PipelineFigure::Lost => RowFigure::Lost,
            PipelineFigure::WonAmount(currency) => RowFigure::WonAmount(currency),
            _ => {
                return Err(format!(
                    "--column {}: the per-bucket and per-owner tables (--row, --manager) count only opened, won, lost and won_amount",
                    args.column
                )
                .into())
            }
        };
        Ok(PipelineFigure::Row(group, row))
    }

    pub(super) async fn attribution(&self) -> Result<Explained, Failure> {
        let args = self.args;
        let figure = match args.column.as_str() {
            "leads" => AttributionFigure::Leads,
            "converted" => AttributionFigure::Converted,
            "orders" => AttributionFigure::Orders,
            "revenue" => AttributionFigure::Revenue(self.currency),
            "deals_won" => AttributionFigure::DealsWon,
            "won_value" => AttributionFigure::WonValue(self.currency),
            "win_rate" => AttributionFigure::WinRate,
            "roi" => AttributionFigure::Roi,
            _ => {
                let names = [
                    "leads",
                    "converted",
                    "orders",
                    "revenue",
                    "deals_won",
                    "won_value",
                    "win_rate",
                    "roi",
                ];
                return Err(no_column(args, "attribution report", &names));
            }
        };
        let touch = match (&args.source, &args.campaign) {
            (Some(source), _) => Touch::Source(source.clone()),
            (None, Some(name)) => Touch::Campaign(self.query(|v| lookup::campaign(v, name))?),
            (None, None) => return Err("name the row with --source or --campaign".into()),
        };
        let period = period_around(args, self.bucket())?;
        Ok(self
            .session
            .crm
            .explain_attribution(period, &touch, figure, self.as_of)
            .await?)
    }

    pub(super) async fn mailings(&self) -> Result<Explained, Failure> {
        let args = self.args;
        let figure = match args.column.as_str() {
            "sent" => MailingFigure::Sent,
            "bounced" => MailingFigure::Bounced,
            "recipients" => MailingFigure::Recipients,
            "ordered" => MailingFigure::Ordered,
            "order_rate" => MailingFigure::OrderRate,
            _ => {
                let names = ["sent", "bounced", "recipients", "ordered", "order_rate"];
                return Err(no_column(
                    args,
                    "attribution report's mailings table",
                    &names,
                ));
            }
        };
        let name = args
            .campaign
            .as_deref()
            .ok_or("name the mailing's campaign with --campaign")?;
        let campaign = self.query(|v| lookup::campaign(v, name))?;
        let period = period_around(args, self.bucket())?;
        Ok(self
            .session
            .crm
            .explain_mailings(period, campaign, figure, self.as_of)
            .await?)
    }

    pub(super) async fn card(&self) -> Result<Explained, Failure> {
        let figure = match self.args.column.as_str() {
            "lifetime_value" => CardFigure::LifetimeValue(self.currency),
            "orders" => CardFigure::Orders,
            "interactions" => CardFigure::Interactions,
            _ => {
                let names = ["lifetime_value", "orders", "interactions"];
                return Err(no_column(self.args, "card", &names));
            }
        };
        let query = self.args.customer.as_deref().unwrap_or_default();
        let customer = self.query(|v| lookup::customer(v, query))?;
        Ok(self
            .session
            .crm
            .explain_card(customer, figure, self.as_of)
            .await?)
    }
}
