#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub use crm_core::*;

/// The in-process store (feature `memory`, on by default).
#[cfg(feature = "memory")]
pub use crm_store_memory::MemoryStore;

/// The durable embedded store (feature `sled`; `sled-compression` adds zstd-compressed stores).
#[cfg(feature = "sled")]
pub use crm_store_sled::{Durability, SledOptions, SledStore};

/// The store shared by many processes, in PostgreSQL (feature `postgres`).
#[cfg(feature = "postgres")]
pub use crm_store_postgres::{sqlx, PostgresOptions, PostgresStore};
