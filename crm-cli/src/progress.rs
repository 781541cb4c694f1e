//! Progress bars on standard error (hidden when it is not a terminal).

use indicatif::{ProgressBar, ProgressStyle};

fn spinner(what: &str, counted: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    let template = format!("{{spinner}} {{prefix}} {counted} ({{per_sec}}) {{elapsed}}");
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    bar.set_prefix(what.to_owned());
    bar
}

/// A spinner counting events, with their rate.
pub fn events(what: &str) -> ProgressBar {
    spinner(what, "{pos} events")
}

/// A spinner counting a file's rows, with their rate.
pub fn rows(what: &str) -> ProgressBar {
    spinner(what, "row {pos}")
}
