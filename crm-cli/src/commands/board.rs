//! `crm board`.

use std::process::ExitCode;

use super::Failure;
use crate::session::{Global, Session};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only the pipeline of this name (any case); every pipeline without it.
    #[arg(long)]
    pipeline: Option<String>,
    #[arg(long, value_name = "WHEN", help = crate::as_of::HELP)]
    as_of: Option<String>,
}

pub async fn run(global: &Global, args: Args) -> Result<ExitCode, Failure> {
    let as_of = crate::as_of::given(args.as_of.as_deref(), chrono_tz::UTC)?;
    let reader = Session::open(global).await?.into_reader(as_of).await?;
    let deals = &reader.views().deals;
    let boards: Vec<String> = deals
        .pipelines()
        .into_iter()
        .filter(|p| {
            args.pipeline
                .as_ref()
                .is_none_or(|name| p.name.to_lowercase() == name.to_lowercase())
        })
        .filter_map(|p| deals.board(p.pipeline_id))
        .map(|board| board.to_string())
        .collect();
    if boards.is_empty() {
        match &args.pipeline {
            Some(name) => eprintln!("crm: no pipeline is named {name:?}"),
            None => eprintln!("crm: no pipeline is defined"),
        }
        return Ok(ExitCode::FAILURE);
    }
    say!("{}", boards.join("\n"));
    crate::session::leave(reader);
    Ok(ExitCode::SUCCESS)
}
