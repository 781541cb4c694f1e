//! `crm export`.

use std::io::Write;
use std::process::ExitCode;

use super::Failure;
use crate::store::Location;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Start at this global position (1 is the first event).
    #[arg(long, default_value_t = 1)]
    from: u64,
    /// Also write every live data key, unwrapped, to this new file (readable by its owner
    /// only), for moving the log to another store with `crm import --keys`. Personal data in
    /// the export is sealed; with the keys it can be read, so keep the file as you would the
    /// data. Erased people have no key to write.
    #[arg(long, value_name = "FILE")]
    keys: Option<std::path::PathBuf>,
}

pub async fn run(location: &Location, args: Args) -> Result<ExitCode, Failure> {
    let store = location.open().await?;
    if let Some(path) = &args.keys {
        let written = crate::keys_file::write(&store, path).await?;
        eprintln!("wrote {written} data keys to {}", path.display());
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written = crm::log::export(&store, &mut out, args.from, 1024)
        .await
        .and_then(|_| {
            out.flush()
                .map_err(|e| crm::store::StoreError::Backend(Box::new(e)))
        });
    match written {
        Err(crm::store::StoreError::Backend(e)) if broken_pipe(e.as_ref()) => {
            // The reader went away (`crm export | head`): stop quietly, as SIGPIPE would.
            Ok(ExitCode::from(141))
        }
        other => other.map(|()| ExitCode::SUCCESS).map_err(Into::into),
    }
}

/// Whether writing failed because the reader went away.
fn broken_pipe(e: &(dyn std::error::Error + 'static)) -> bool {
    let kind = e
        .downcast_ref::<std::io::Error>()
        .map(std::io::Error::kind)
        .or_else(|| {
            e.downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind)
        });
    kind == Some(std::io::ErrorKind::BrokenPipe)
}
