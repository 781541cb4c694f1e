//! Forgetting a person in an immutable log: crypto-shredding.
//!
//! Every [`Personal`](crate::personal::Personal) value is sealed with its subject's own random
//! data key before the store sees it ([`Encrypted`] wraps any [`EventStore`](crate::store::EventStore)),
//! and opened when it is read back while the key exists. Erasing the person
//! ([`ContactCommand::Erase`](crate::domain::contact::ContactCommand::Erase)) destroys the key,
//! so their values in the log — and in every copy and backup of it — can never be opened
//! again, while the events themselves, their amounts and dates, stay.
//!
//! - **Cipher**: XChaCha20-Poly1305 from RustCrypto's `chacha20poly1305` (audited, pure Rust,
//!   and its 192-bit nonces can be drawn at random without counting). The associated data binds
//!   each ciphertext to its subject, its event id and its field, so a value copied into another
//!   person's event, another event or another field does not open.
//! - **Data keys** are random, one per subject, never derived (a derived key can be derived
//!   again); they are kept by a [`KeyStore`] beside the log, never in it and never in a
//!   snapshot, each wrapped by a [`KeyWrapping`] ([`Kek`], or a KMS behind the same trait).
//! - **Snapshots** of a stream holding personal data are sealed whole with the subject's key;
//!   once it is destroyed they no longer open and the state is rebuilt from the (sealed) events.

mod file_keys;
mod keys;
mod sealer;
mod store;

pub use file_keys::FileKeys;
pub use keys::{Kek, KeyError, KeyState, KeyStore, KeyWrapping, MemoryKeys, WrappedKey};
pub use store::Encrypted;
