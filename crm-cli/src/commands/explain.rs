//! `crm explain`.

use std::fmt::Write as _;
use std::process::ExitCode;

use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;
use clap::ValueEnum;
use crm::explain::{
    BoardFigure, CardFigure, Explained, Explanation, FulfillmentFigure, SalesFigure,
    SatisfactionFigure, Stage,
};
use crm::money::{Currency, Money};
use crm::report::{Bucket, Period};

use super::Failure;
use crate::session::{Global, Session};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Family {
    Sales,
    Board,
    Satisfaction,
    Fulfillment,
    Card,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Which figures: the sales, satisfaction or fulfillment report's, a board's or a card's.
    #[arg(value_enum)]
    family: Family,
    /// Sales: the report column (placed, delivered, cancelled, booked, gross, refunds, net,
    /// average_order_value, items_per_order). Board: the stage's name. Satisfaction:
    /// reviews, stars_1 … stars_5, average_stars, nps_answers, promoters, passives,
    /// detractors, nps, ces_answers, average_ces. Fulfillment: orders, median or p90 (of
    /// --stage), delivered, late or late_rate (of --carrier). Card: lifetime_value (in
    /// --currency), orders or interactions.
    #[arg(long)]
    column: String,
    /// Card: whose (a name, email address, phone number or tax id that finds one customer).
    #[arg(long, required_if_eq("family", "card"))]
    customer: Option<String>,
    /// Sales, satisfaction: the bucket's label as the report prints it (2018-03, 2018-W09,
    /// 2018-Q1, ...), or `total` for a satisfaction report's whole period. Fulfillment: a
    /// month or a year, for the period when --from and --to are left out.
    #[arg(long, required_if_eq_any([("family", "sales"), ("family", "satisfaction")]))]
    bucket: Option<String>,
    /// Fulfillment: the stage (placed-paid, paid-shipped, shipped-delivered,
    /// placed-delivered) of orders, median or p90.
    #[arg(long, default_value = "placed-delivered")]
    stage: String,
    /// Fulfillment: the carrier of delivered, late or late_rate.
    #[arg(long)]
    carrier: Option<String>,
    /// Sales: the first day of the report's period (YYYY-MM-DD), in the time zone; the
    /// bucket's own first day when left out.
    #[arg(long)]
    from: Option<NaiveDate>,
    /// Sales: the last day of the report's period; the bucket's own last day when left out.
    #[arg(long)]
    to: Option<NaiveDate>,
    /// Sales: how the report is cut: day, week, month, quarter or year.
    #[arg(long, default_value = "month")]
    by: Bucket,
    /// Sales: the time zone buckets are cut in.
    #[arg(long, default_value = "UTC")]
    tz: Tz,
    /// The currency of the figure (a board's count counts every deal whatever its currency).
    #[arg(long, default_value = "EUR")]
    currency: String,
    /// Board: count, total or weighted.
    #[arg(long, default_value = "weighted")]
    figure: String,
    /// Board: the pipeline's name; the only one when left out.
    #[arg(long)]
    pipeline: Option<String>,
    #[arg(long, value_name = "WHEN", help = crate::as_of::HELP)]
    as_of: Option<String>,
}

pub async fn run(global: &Global, args: Args) -> Result<ExitCode, Failure> {
    let currency = Currency::new(&args.currency)
        .map_err(|e| format!("--currency {:?}: {e}", args.currency))?;
    let as_of = crate::as_of::given(args.as_of.as_deref(), args.tz)?;
    let session = Session::open(global).await?;
    let explained = match args.family {
        Family::Sales => {
            let figure = SalesFigure::named(&args.column).ok_or_else(|| {
                let names: Vec<&str> = SalesFigure::ALL.iter().map(|(n, _)| *n).collect();
                format!(
                    "--column {:?}: the sales report has {}",
                    args.column,
                    names.join(", ")
                )
            })?;
            let bucket = args.bucket.as_deref().unwrap_or_default();
            let period = period_around(&args, bucket)?;
            session
                .crm
                .explain_sales(period, bucket, currency, figure, as_of)
                .await?
        }
        Family::Board => {
            let figure = BoardFigure::named(&args.figure).ok_or_else(|| {
                format!(
                    "--figure {:?}: a board column has count, total and weighted",
                    args.figure
                )
            })?;
            let (pipeline_id, stage_id) = session.crm.query_unfiltered(|v| {
                let pipelines = v.deals.pipelines();
                let pipeline = match &args.pipeline {
                    Some(name) => pipelines
                        .into_iter()
                        .find(|p| p.name.eq_ignore_ascii_case(name))
                        .ok_or_else(|| format!("no pipeline is named {name:?}")),
                    None if pipelines.len() == 1 => Ok(pipelines[0]),
                    None => Err(format!(
                        "{} pipelines are defined: name one with --pipeline",
                        pipelines.len()
                    )),
                }?;
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
                Ok::<_, String>((pipeline.pipeline_id, stage.stage_id))
            })?;
            let explanation = session
                .crm
                .explain_board(pipeline_id, stage_id, figure, currency, as_of)
                .await?
                .ok_or_else(|| format!("the board shows no column {:?}", args.column))?;
            Explained::Sum(explanation)
        }
        Family::Satisfaction => {
            let figure = SatisfactionFigure::named(&args.column).ok_or_else(|| {
                let names: Vec<&str> = SatisfactionFigure::ALL.iter().map(|(n, _)| *n).collect();
                format!(
                    "--column {:?}: the satisfaction report has {}",
                    args.column,
                    names.join(", ")
                )
            })?;
            let bucket = args.bucket.as_deref().unwrap_or_default();
            let period = period_around(&args, bucket)?;
            session
                .crm
                .explain_satisfaction(period, bucket, figure, as_of)
                .await?
        }
        Family::Fulfillment => {
            let figure = fulfillment_figure(&args)?;
            let period = period_around(&args, args.bucket.as_deref().unwrap_or_default())?;
            session
                .crm
                .explain_fulfillment(period, &figure, as_of)
                .await?
        }
        Family::Card => {
            let figure = match args.column.as_str() {
                "lifetime_value" => CardFigure::LifetimeValue(currency),
                "orders" => CardFigure::Orders,
                "interactions" => CardFigure::Interactions,
                other => {
                    return Err(format!(
                        "--column {other:?}: a card has lifetime_value, orders and interactions"
                    )
                    .into())
                }
            };
            let query = args.customer.as_deref().unwrap_or_default();
            let found = session.crm.query_unfiltered(|v| v.search.find(query));
            let customer = match found.as_slice() {
                [hit] => hit.customer,
                [] => return Err(format!("--customer {query:?}: no customer matches").into()),
                hits => {
                    return Err(format!(
                        "--customer {query:?}: {} customers match; give an email or a tax id",
                        hits.len()
                    )
                    .into())
                }
            };
            session.crm.explain_card(customer, figure, as_of).await?
        }
    };
    say!("{}", shown(&explained));
    Ok(ExitCode::SUCCESS)
}

/// The fulfillment figure `--column` names, of `--stage` or `--carrier`.
fn fulfillment_figure(args: &Args) -> Result<FulfillmentFigure, Failure> {
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
    Ok(match args.column.as_str() {
        "orders" => FulfillmentFigure::Orders(stage()?),
        "median" => FulfillmentFigure::Median(stage()?),
        "p90" => FulfillmentFigure::P90(stage()?),
        "delivered" => FulfillmentFigure::Delivered(carrier()?),
        "late" => FulfillmentFigure::Late(carrier()?),
        "late_rate" => FulfillmentFigure::LateRate(carrier()?),
        other => {
            return Err(format!(
                "--column {other:?}: the fulfillment report has orders, median, p90, delivered, late and late_rate"
            )
            .into())
        }
    })
}

/// The report's period: `--from`/`--to`, or the bucket's own days.
fn period_around(args: &Args, bucket: &str) -> Result<Period, Failure> {
    let (from, to) = match (args.from, args.to) {
        (Some(from), Some(to)) => (from, to),
        _ => bucket_days(bucket).ok_or_else(|| {
            format!(
                "--bucket {bucket:?}: give --from and --to, or a month (2018-03) or a year (2018)"
            )
        })?,
    };
    Ok(Period::days(from, to, args.tz)?.by(args.by))
}

/// The first and last day of a month (`2018-03`) or a year (`2018`) label.
fn bucket_days(label: &str) -> Option<(NaiveDate, NaiveDate)> {
    let first = NaiveDate::parse_from_str(&format!("{label}-01"), "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(&format!("{label}-01-01"), "%Y-%m-%d"))
        .ok()?;
    let next = if label.len() == 4 {
        first.with_year(first.year() + 1)?
    } else {
        first.checked_add_months(chrono::Months::new(1))?
    };
    Some((first, next.pred_opt()?))
}

fn shown(explained: &Explained) -> String {
    match explained {
        Explained::Sum(e) => listed(e),
        Explained::Rate {
            numerator,
            denominator,
        } => format!(
            "a rate: {} ÷ {}\n\n{}\n{}",
            numerator.figure,
            denominator.figure,
            listed(numerator),
            listed(denominator)
        ),
    }
}

fn listed(e: &Explanation) -> String {
    let amount = |minor: i64| match e.currency {
        Some(currency) => Money::new(minor, currency).to_string(),
        None => minor.to_string(),
    };
    let mut out = format!(
        "{}: {} from {} events\n",
        e.figure,
        amount(e.total),
        e.contributions.len()
    );
    for c in &e.contributions {
        let _ = writeln!(
            out,
            "{:>9}  {}  {:<22} {:>14}  {}  {}",
            c.position,
            c.occurred_at.format("%Y-%m-%d %H:%M:%S"),
            c.event_type,
            amount(c.amount),
            c.stream,
            c.event_id
        );
    }
    out
}
