//! SVG charts of reports (feature `charts`): monthly net revenue as bars, and the pipeline
//! funnel. Plain SVG 1.1 with no scripts or external fonts, so a mail client or a browser
//! shows it as it is.

use svg::node::element::{Line, Rectangle, Text};
use svg::Document;

use super::pipeline::PipelineReport;
use super::sales::SalesReport;
use crate::money::Currency;

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 360.0;
const MARGIN: f64 = 48.0;

fn label(x: f64, y: f64, text: impl Into<String>, anchor: &str, size: u32) -> Text {
    Text::new(text)
        .set("x", x)
        .set("y", y)
        .set("text-anchor", anchor)
        .set("font-family", "sans-serif")
        .set("font-size", size)
}

fn document(title: &str) -> Document {
    Document::new()
        .set("xmlns", "http://www.w3.org/2000/svg")
        .set("width", WIDTH)
        .set("height", HEIGHT)
        .set("viewBox", (0, 0, WIDTH, HEIGHT))
        .add(
            Rectangle::new()
                .set("width", WIDTH)
                .set("height", HEIGHT)
                .set("fill", "white"),
        )
        .add(label(WIDTH / 2.0, 28.0, title, "middle", 16))
}

/// Net revenue (payments minus refunds) per bucket of `report`, in `currency`, as bars.
/// Buckets with a negative net show an empty bar and their value.
pub fn revenue_bars(report: &SalesReport, currency: Currency) -> String {
    let rows: Vec<_> = report
        .rows
        .iter()
        .filter(|r| r.currency == currency && r.group == "all")
        .collect();
    let max = rows.iter().map(|r| r.net.minor).max().unwrap_or(0).max(1) as f64;
    let plot_height = HEIGHT - 2.0 * MARGIN - 20.0;
    let slot = (WIDTH - 2.0 * MARGIN) / rows.len().max(1) as f64;
    let base = HEIGHT - MARGIN;
    let mut doc = document(&format!("Net revenue in {currency}, {}", report.period));
    doc = doc.add(
        Line::new()
            .set("x1", MARGIN)
            .set("x2", WIDTH - MARGIN)
            .set("y1", base)
            .set("y2", base)
            .set("stroke", "#444"),
    );
    for (i, row) in rows.iter().enumerate() {
        let height = (row.net.minor.max(0) as f64 / max) * plot_height;
        let x = MARGIN + i as f64 * slot;
        let middle = x + slot / 2.0;
        doc = doc
            .add(
                Rectangle::new()
                    .set("x", x + slot * 0.15)
                    .set("y", base - height)
                    .set("width", slot * 0.7)
                    .set("height", height)
                    .set("fill", "#3b6ea5"),
            )
            .add(label(
                middle,
                base + 16.0,
                row.bucket.as_str(),
                "middle",
                11,
            ))
            .add(label(
                middle,
                base - height - 6.0,
                format!("{:.0}", row.net.minor as f64 / 100.0),
                "middle",
                11,
            ));
    }
    doc.to_string()
}

/// The pipeline funnel: one centred bar per active stage, as wide as the number of deals
/// that entered it in the period, with its conversion to the next.
pub fn funnel(report: &PipelineReport) -> String {
    let stages = &report.conversion;
    let max = stages.iter().map(|s| s.entered).max().unwrap_or(0).max(1) as f64;
    let row_height = (HEIGHT - 2.0 * MARGIN) / stages.len().max(1) as f64;
    let mut doc = document(&format!("Pipeline {}, {}", report.pipeline, report.period));
    for (i, stage) in stages.iter().enumerate() {
        let width = (stage.entered as f64 / max) * (WIDTH - 2.0 * MARGIN - 200.0);
        let y = MARGIN + i as f64 * row_height;
        let rate = stage.rate.map_or_else(String::new, |r| {
            format!(", {:.0} % on to {}", r * 100.0, stage.next)
        });
        doc = doc
            .add(
                Rectangle::new()
                    .set("x", (WIDTH - 200.0 - width) / 2.0)
                    .set("y", y + row_height * 0.1)
                    .set("width", width)
                    .set("height", row_height * 0.8)
                    .set("fill", "#d08c2b"),
            )
            .add(label(
                WIDTH - 200.0,
                y + row_height / 2.0 + 4.0,
                format!("{}: {}{rate}", stage.name, stage.entered),
                "start",
                12,
            ));
    }
    doc.to_string()
}
