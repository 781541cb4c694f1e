//! `crm report`.

use std::process::ExitCode;

use chrono::NaiveDate;
use chrono_tz::Tz;
use clap::ValueEnum;
use crm::report::render::{render, render_table, write_csv_tables, Format, RenderError, Tabular};
use crm::report::{self, Bucket, Period};

use super::Failure;
use crate::session::{Global, Session};

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
    /// Show only this table of the report (for a report of several, such as fulfillment's
    /// stages, carriers and stuck).
    #[arg(long, value_name = "NAME")]
    table: Option<String>,
    /// Write each table as its own CSV file, `<report>-<table>.csv`, into this directory.
    #[arg(long, value_name = "DIR", conflicts_with = "table")]
    csv_dir: Option<std::path::PathBuf>,
    #[arg(long, value_name = "WHEN", help = crate::as_of::HELP)]
    as_of: Option<String>,
}

/// The report as `args` asks: printed, one table of it, or one CSV file per table.
fn shown<R: Tabular>(report: &R, args: &Args, name: &str) -> Result<String, Failure> {
    if let Some(dir) = &args.csv_dir {
        let files = write_csv_tables(report, dir, name)?;
        let listed: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        return Ok(format!("wrote {}", listed.join(", ")));
    }
    let rendered = match &args.table {
        Some(table) => render_table(report, args.format, table),
        None => render(report, args.format),
    };
    rendered.map_err(|e| match e {
        RenderError::SeveralTables { names } => format!(
            "the {name} report has {} tables ({}): choose one with --table NAME, or write each to its own CSV file with --csv-dir DIR",
            names.len(),
            names.join(", ")
        )
        .into(),
        other => other.into(),
    })
}

pub async fn run(global: &Global, args: Args) -> Result<ExitCode, Failure> {
    let as_of = crate::as_of::given(args.as_of.as_deref(), args.tz)?;
    let reader = Session::open(global).await?.into_reader(as_of).await?;
    let period = Period::days(args.from, args.to, args.tz)?.by(args.by);
    // A manager's figures are their own customers', a head's their team's.
    let v = reader.report_views();
    let text = (|| -> Result<String, Failure> {
        match args.family {
            Family::Sales => {
                let by = match args.group.as_str() {
                    "channel" => report::sales::SalesBy::Channel,
                    "category" => report::sales::SalesBy::Category,
                    _ => report::sales::SalesBy::Bucket,
                };
                shown(
                    &report::sales::SalesReport::compute(&v.activity, period, by),
                    &args,
                    "sales",
                )
            }
            Family::Customers => shown(
                &report::customers::CustomersReport::compute(v, period, 2.0),
                &args,
                "customers",
            ),
            Family::Pipeline => {
                let mut out = Vec::new();
                for p in v.deals.pipelines() {
                    if let Some(r) =
                        report::pipeline::PipelineReport::compute(&v.deals, p.pipeline_id, period)
                    {
                        out.push(shown(&r, &args, &format!("pipeline-{}", p.pipeline_id))?);
                    }
                }
                Ok(out.join("\n"))
            }
            Family::Activity => shown(
                &report::activity::ActivityReport::compute(v, period),
                &args,
                "activity",
            ),
            Family::Fulfillment => shown(
                &report::fulfillment::FulfillmentReport::compute(&v.activity, period, 7),
                &args,
                "fulfillment",
            ),
            Family::Satisfaction => shown(
                &report::satisfaction::SatisfactionReport::compute(v, period),
                &args,
                "satisfaction",
            ),
            Family::Attribution => shown(
                &report::attribution::AttributionReport::compute(
                    &v.activity,
                    &v.deals,
                    &v.outbox,
                    period,
                ),
                &args,
                "attribution",
            ),
        }
    })()?;
    say!("{}", text.trim_end_matches('\n'));
    crate::session::leave(reader);
    Ok(ExitCode::SUCCESS)
}
