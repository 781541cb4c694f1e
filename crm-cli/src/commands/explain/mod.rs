//! `crm explain`: the events behind a report's figure, a board column or a card total.

mod families;
mod lookup;
mod period;
mod print;

use std::process::ExitCode;

use chrono::NaiveDate;
use chrono_tz::Tz;
use clap::ValueEnum;
use crm::money::Currency;
use crm::report::Bucket;

use super::Failure;
use crate::session::{Global, Session};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Family {
    Sales,
    Board,
    Satisfaction,
    Fulfillment,
    Customers,
    Activity,
    Pipeline,
    Attribution,
    /// The attribution report's mailings table.
    Mailings,
    Card,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Which figures: a report's (sales, satisfaction, fulfillment, customers, activity,
    /// pipeline, attribution, and attribution's mailings table), a board's or a card's.
    #[arg(value_enum)]
    family: Family,
    /// Sales: the report column (placed, delivered, cancelled, booked, gross, refunds, net,
    /// average_order_value, items_per_order). Board: the stage's name. Satisfaction:
    /// reviews, stars_1 … stars_5, average_stars, nps_answers, promoters, passives,
    /// detractors, nps, ces_answers, average_ces. Fulfillment: orders, median or p90 (of
    /// --stage), delivered, late or late_rate (of --carrier). Customers: new, active or
    /// churn (of --bucket), repeat_rate, recency (in seconds), frequency or monetary (of
    /// --customer), the lifetime-value spread's ltv_min, ltv_p20, ltv_p40, ltv_p60, ltv_p80,
    /// ltv_max (in --currency). Activity: interactions, calls, tasks_completed or
    /// tasks_overdue (of --manager), inbound,
    /// answered, first_contact_resolution, response_median, response_p90, sent, failed,
    /// bounced or skipped (of --channel). Pipeline: opened, won, lost, win_rate,
    /// won_amount (opened, won, lost and won_amount also of a --row or a --manager),
    /// conversion or stage_time (of --stage), cycle_mean, cycle_median,
    /// lost_deals or lost_amount (of --reason),
    /// forecast_deals, forecast_total or forecast_weighted (of --month). Attribution: leads,
    /// converted, orders, revenue, deals_won, won_value, win_rate, roi (of --source or
    /// --campaign). Mailings: sent, bounced, recipients, ordered or order_rate (of
    /// --campaign). Card: lifetime_value, orders or interactions.
    #[arg(long)]
    column: String,
    /// Card, customers: whose (a name, email address, phone number or tax id that finds one
    /// customer).
    #[arg(long, required_if_eq("family", "card"))]
    customer: Option<String>,
    /// Activity: the messages' channel (email or sms) of sent, failed, bounced or skipped.
    #[arg(long, default_value = "email")]
    channel: String,
    /// Pipeline: the lost reason of lost_deals or lost_amount, as the report spells it.
    #[arg(long)]
    reason: Option<String>,
    /// Pipeline: the month (YYYY-MM) of forecast_deals, forecast_total or forecast_weighted.
    #[arg(long)]
    month: Option<String>,
    /// Activity: the manager (a user's name or email, or `unassigned`). Pipeline: the owner
    /// whose row of the per-owner table to explain (opened, won, lost or won_amount).
    #[arg(long, conflicts_with = "row")]
    manager: Option<String>,
    /// Pipeline: the bucket whose row of the per-bucket table to explain (opened, won, lost
    /// or won_amount), by its label (2018-03).
    #[arg(long)]
    row: Option<String>,
    /// Attribution: the first-touch source's row, as the report names it (web, email, ...).
    #[arg(long, conflicts_with = "campaign")]
    source: Option<String>,
    /// Attribution, mailings: the campaign's row, by the campaign's name.
    #[arg(long)]
    campaign: Option<String>,
    /// Sales, satisfaction: the bucket's label as the report prints it (2018-03, 2018-W09,
    /// 2018-Q1, ...); for satisfaction also `total`, or a manager's row (their user id, or
    /// `unassigned`). The other reports: a month or a year, for the period when --from and
    /// --to are left out.
    #[arg(long, required_if_eq_any([("family", "sales"), ("family", "satisfaction")]))]
    bucket: Option<String>,
    /// Fulfillment: the stage (placed-paid, paid-shipped, shipped-delivered,
    /// placed-delivered) of orders, median or p90. Pipeline: the stage of conversion or
    /// stage_time, by its name.
    #[arg(long, default_value = "placed-delivered")]
    stage: String,
    /// Fulfillment: the carrier of delivered, late or late_rate.
    #[arg(long)]
    carrier: Option<String>,
    /// The first day of the report's period (YYYY-MM-DD), in the time zone; the bucket's own
    /// first day (a month's or a year's) when left out.
    #[arg(long)]
    from: Option<NaiveDate>,
    /// The last day of the report's period; the bucket's own last day when left out.
    #[arg(long)]
    to: Option<NaiveDate>,
    /// How the report is cut in buckets: day, week, month, quarter or year.
    #[arg(long, default_value = "month")]
    by: Bucket,
    /// The time zone days and buckets are cut in.
    #[arg(long, default_value = "UTC")]
    tz: Tz,
    /// The currency of the figure (a board's count counts every deal whatever its currency).
    #[arg(long, default_value = "EUR")]
    currency: String,
    /// Board: count, total or weighted.
    #[arg(long, default_value = "weighted")]
    figure: String,
    /// Board, pipeline: the pipeline's name; the only one when left out.
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
    let asked = families::Asked {
        session: &session,
        args: &args,
        currency,
        as_of,
    };
    let explained = match args.family {
        Family::Sales => asked.sales().await?,
        Family::Board => asked.board().await?,
        Family::Satisfaction => asked.satisfaction().await?,
        Family::Fulfillment => asked.fulfillment().await?,
        Family::Customers => asked.customers().await?,
        Family::Activity => asked.activity().await?,
        Family::Pipeline => asked.pipeline().await?,
        Family::Attribution => asked.attribution().await?,
        Family::Mailings => asked.mailings().await?,
        Family::Card => asked.card().await?,
    };
    say!("{}", print::shown(&explained));
    Ok(ExitCode::SUCCESS)
}
