//! Reports: pure functions from projection state and a period to typed, serializable rows.
//!
//! Every figure is computed from what the projections replayed from the log, so yesterday's
//! report can be recomputed exactly. Each report documents the formula of every figure.

pub mod activity;
pub mod attribution;
#[cfg(feature = "charts")]
pub mod charts;
pub mod customers;
pub mod fulfillment;
mod period;
pub mod pipeline;
pub mod render;
pub mod sales;
pub mod satisfaction;
pub(crate) mod stats;

pub use period::{Bucket, Period, PeriodError, Span};
