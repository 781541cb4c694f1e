//! `crm report`.

use std::path::Path;
use std::process::ExitCode;

use chrono::NaiveDate;
use chrono_tz::Tz;
use clap::ValueEnum;
use crm::report::render::{render, Format, Tabular};
use crm::report::{self, Bucket, Period};

use super::{open_crm, Failure};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Family {
    Sales,
    Customers,
    Pipeline,
    Activity,
    Fulfillment,
    Satisfaction,
    Attribution,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Which report.
    #[arg(value_enum)]
    family: Family,
    /// First day (YYYY-MM-DD), in the time zone.
    #[arg(long)]
    from: NaiveDate,
    /// Last day, included.
    #[arg(long)]
    to: NaiveDate,
    /// Bucket: day, week, month, quarter or year.
    #[arg(long, default_value = "month")]
    by: Bucket,
    /// Time zone buckets are cut in (an IANA name such as Europe/Madrid).
    #[arg(long, default_value = "UTC")]
    tz: Tz,
    /// table, csv or json.
    #[arg(long, default_value = "table")]
    format: Format,
    /// Sales: group rows by channel or category as well.
    #[arg(long, value_parser = ["bucket", "channel", "category"], default_value = "bucket")]
    group: String,
}

fn shown<R: Tabular>(report: &R, format: Format) -> Result<String, Failure> {
    Ok(render(report, format)?)
}

pub async fn run(dir: &Path, args: Args) -> Result<ExitCode, Failure> {
    let crm = open_crm(dir).await?;
    let period = Period::days(args.from, args.to, args.tz)?.by(args.by);
    let text = crm.query(|v| -> Result<String, Failure> {
        match args.family {
            Family::Sales => {
                let by = match args.group.as_str() {
                    "channel" => report::sales::SalesBy::Channel,
                    "category" => report::sales::SalesBy::Category,
                    _ => report::sales::SalesBy::Bucket,
                };
                shown(
                    &report::sales::SalesReport::compute(&v.activity, period, by),
                    args.format,
                )
            }
            Family::Customers => shown(
                &report::customers::CustomersReport::compute(v, period, 2.0),
                args.format,
            ),
            Family::Pipeline => {
                let mut out = Vec::new();
                for p in v.deals.pipelines() {
                    if let Some(r) =
                        report::pipeline::PipelineReport::compute(&v.deals, p.pipeline_id, period)
                    {
                        out.push(shown(&r, args.format)?);
                    }
                }
                Ok(out.join("\n"))
            }
            Family::Activity => shown(
                &report::activity::ActivityReport::compute(v, period),
                args.format,
            ),
            Family::Fulfillment => shown(
                &report::fulfillment::FulfillmentReport::compute(&v.activity, period, 7),
                args.format,
            ),
            Family::Satisfaction => shown(
                &report::satisfaction::SatisfactionReport::compute(v, period),
                args.format,
            ),
            Family::Attribution => shown(
                &report::attribution::AttributionReport::compute(&v.activity, &v.deals, period),
                args.format,
            ),
        }
    })?;
    say!("{}", text.trim_end_matches('\n'));
    Ok(ExitCode::SUCCESS)
}
