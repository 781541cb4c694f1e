//! `crm export`.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use super::{open, Failure};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Start at this global position (1 is the first event).
    #[arg(long, default_value_t = 1)]
    from: u64,
}

pub async fn run(dir: &Path, args: Args) -> Result<ExitCode, Failure> {
    let store = open(dir)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    crm::log::export(&store, &mut out, args.from, 1024).await?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
