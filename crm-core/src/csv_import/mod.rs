//! Bringing a shop's records in from CSV files: a [`FieldMap`] says which column is which
//! field and how to read dates and the source's time zone; every row becomes commands, decided
//! by the same deciders as a person's commands, under [`Actor::Import`](crate::event::Actor)
//! with the import's id and the row's number in each event's metadata.
//!
//! **Ids derive from the source key** (the map's `key` column, or else the row's first email),
//! so importing the same file again changes nothing. **Duplicates**: a row whose email, phone
//! or tax id matches another customer is skipped, updates that customer, or is created anyway,
//! as [`Duplicates`] says; the summary counts each outcome. **Bad rows**: a dry run reads the
//! whole file and reports every bad row (row, column, value, reason) without writing; a real
//! run stops at the first bad row with every row before it committed and says where to resume
//! (or, asked to, sets bad rows aside and goes on). Rows are numbered as a spreadsheet numbers
//! them: the header is row 1, so a cell's quoted line breaks do not shift the numbers.
//!
//! Kinds: contacts (customers and leads, with their source, campaign, and the company they
//! represent), companies, orders (with lines, payments and status history, from one file or
//! three: [`Crm::import_orders_csv`](crate::Crm::import_orders_csv)), deals (pipeline and
//! stage by name), interactions (calls, emails, meetings on a customer's timeline) and
//! feedback. What an export spreads over two files (an order and its buyer) [`join`] puts back
//! together.
//!
//! **Undo**: [`Crm::revert_import`](crate::Crm::revert_import) takes back everything one
//! import did and nothing else, in events (docs/importing.md says what it refuses).

mod cells;
mod companies;
mod contact_rows;
mod contacts;
mod field_map;
mod interactions;
mod join;
mod orders;
mod records;
mod revert;
mod run;
mod values;

pub use field_map::{Field, FieldMap, Kind};
pub use join::join;
pub use orders::OrderFiles;
pub use revert::{RevertConflict, RevertSummary, REVERT_ROW};
pub use run::{headers, Duplicates, ImportOptions, ImportSummary, RowError};
pub use values::{parse_amount, parse_date, parse_instant};
