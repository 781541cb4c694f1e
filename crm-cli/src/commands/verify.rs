//! `crm verify`.

use std::path::Path;
use std::process::ExitCode;

use super::{open, Failure};

pub fn run(dir: &Path) -> Result<ExitCode, Failure> {
    let report = open(dir)?.verify()?;
    say!("{report}");
    Ok(if report.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
