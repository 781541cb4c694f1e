//! Progress bars on standard error (hidden when it is not a terminal).

use indicatif::{ProgressBar, ProgressStyle};

/// A spinner counting events, with their rate.
pub fn events(what: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} {prefix} {pos} events ({per_sec}) {elapsed}")
    {
        bar.set_style(style);
    }
    bar.set_prefix(what.to_owned());
    bar
}

/// A spinner counting a file's rows, with their rate.
pub fn rows(what: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} {prefix} row {pos} ({per_sec}) {elapsed}")
    {
        bar.set_style(style);
    }
    bar.set_prefix(what.to_owned());
    bar
}
