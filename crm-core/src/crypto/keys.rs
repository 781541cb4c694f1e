//! Data keys and the key-encryption key that wraps them.
//!
//! Every data subject gets a random 256-bit data key when their first personal value is
//! sealed. It is never derived from anything: a derived key could always be derived again,
//! which would make erasure a promise instead of a fact. The key is kept beside the log by a
//! [`KeyStore`], wrapped (encrypted) by a [`KeyWrapping`], and destroying it is what erasure
//! is.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use chacha20poly1305::aead::{Aead, Generate, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};

use crate::ids::CustomerId;

/// Why a key could not be had, kept or destroyed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The system's random number generator failed.
    #[error("no random bytes for a key or nonce: {0}")]
    Random(String),
    /// A wrapped key did not unwrap: the key-encryption key is not the one that wrapped it,
    /// or the stored key is damaged.
    #[error("the data key of {subject} does not unwrap: wrong key-encryption key, or a damaged key store")]
    Unwrap {
        /// Whose key.
        subject: CustomerId,
    },
    /// The key store failed (I/O, connection, a damaged file).
    #[error("key store: {0}")]
    Backend(String),
    /// A key-encryption key given in the wrong form.
    #[error("key-encryption key: {0}")]
    BadKek(String),
}

/// A subject's data key as the key store keeps it: its id and its wrapped bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrappedKey {
    /// Which key: sealed values name it.
    pub id: uuid::Uuid,
    /// The key, encrypted by the key-encryption key.
    pub wrapped: Vec<u8>,
}

/// What the key store holds for a subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyState {
    /// No key yet: nothing of theirs was sealed here.
    Missing,
    /// Their key.
    Live(WrappedKey),
    /// Their key was destroyed: they are erased, and no new key is made for them.
    Destroyed,
}

/// Where wrapped data keys are kept: beside the log, never in it.
///
/// Implementations: [`MemoryKeys`]; [`super::FileKeys`] for a store on disk (the sled
/// store), which rewrites its file without a destroyed key so that its bytes leave the disk's
/// files; a table for PostgreSQL.
#[async_trait]
pub trait KeyStore: Send + Sync {
    /// What is kept for `subject`.
    async fn get(&self, subject: CustomerId) -> Result<KeyState, KeyError>;
    /// Keeps `key` as `subject`'s unless something is kept already; returns what is kept
    /// afterwards (another writer's key, or `Destroyed`, if one got there first). It need not
    /// be durable until [`KeyStore::sync`].
    async fn insert(&self, subject: CustomerId, key: WrappedKey) -> Result<KeyState, KeyError>;
    /// Makes every inserted key durable. Called before any event sealed with a new key is
    /// written, so an acknowledged event never outlives its key.
    async fn sync(&self) -> Result<(), KeyError> {
        Ok(())
    }
    /// Destroys `subject`'s key for good, keeping only the fact that it was destroyed.
    async fn destroy(&self, subject: CustomerId) -> Result<(), KeyError>;
    /// Every live key: for moving a log to another store, on explicit request only.
    async fn live_keys(&self) -> Result<Vec<(CustomerId, WrappedKey)>, KeyError>;
}

/// Wraps and unwraps data keys: a key-encryption key in this process ([`Kek`]), or a KMS
/// that someone adds behind the same trait.
#[async_trait]
pub trait KeyWrapping: Send + Sync {
    /// `key` encrypted, bound to `context` (the subject and the key id).
    async fn wrap(&self, key: &[u8], context: &[u8]) -> Result<Vec<u8>, KeyError>;
    /// The key back, if `wrapped` was made by [`KeyWrapping::wrap`] with this `context`.
    async fn unwrap(&self, wrapped: &[u8], context: &[u8]) -> Result<Option<Vec<u8>>, KeyError>;
}

/// A 256-bit key-encryption key held in this process (from a file, an environment variable,
/// or made at random), wrapping with XChaCha20-Poly1305.
#[derive(Clone)]
pub struct Kek {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for Kek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Kek(..)")
    }
}

const KEK_LEN: usize = 32;

impl Kek {
    /// A key-encryption key from its 32 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        let key = Key::try_from(bytes).map_err(|_| {
            KeyError::BadKek(format!("{} bytes; it must be {KEK_LEN}", bytes.len()))
        })?;
        Ok(Self {
            cipher: XChaCha20Poly1305::new(&key),
        })
    }

    /// A key-encryption key from its 32 bytes in standard base64 (as `CRM_KEY` holds it).
    pub fn from_base64(text: &str) -> Result<Self, KeyError> {
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|e| KeyError::BadKek(format!("not base64: {e}")))?;
        Self::from_bytes(&bytes)
    }

    /// New random key bytes, for a new key-encryption key.
    pub fn generate_bytes() -> Result<Vec<u8>, KeyError> {
        Ok(random_key()?.to_vec())
    }

    /// The key-encryption key in `path`, made at random (and written, readable by the owner
    /// only) if the file does not exist.
    pub fn load_or_create(path: &std::path::Path) -> Result<Self, KeyError> {
        let io = |e: std::io::Error| KeyError::Backend(format!("{}: {e}", path.display()));
        match std::fs::read(path) {
            Ok(bytes) => Self::from_bytes(&bytes)
                .map_err(|e| KeyError::BadKek(format!("{}: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let bytes = Self::generate_bytes()?;
                super::file_keys::write_private(path, &bytes).map_err(io)?;
                Self::from_bytes(&bytes)
            }
            Err(e) => Err(io(e)),
        }
    }
}

#[async_trait]
impl KeyWrapping for Kek {
    async fn wrap(&self, key: &[u8], context: &[u8]) -> Result<Vec<u8>, KeyError> {
        seal_bytes(&self.cipher, key, context)
    }

    async fn unwrap(&self, wrapped: &[u8], context: &[u8]) -> Result<Option<Vec<u8>>, KeyError> {
        Ok(open_bytes(&self.cipher, wrapped, context))
    }
}

/// A fresh random 256-bit key.
pub(crate) fn random_key() -> Result<Key, KeyError> {
    Key::try_generate().map_err(|e| KeyError::Random(e.to_string()))
}

/// `nonce ‖ ciphertext` of `plain` under `cipher` with a random nonce, bound to `aad`.
pub(crate) fn seal_bytes(
    cipher: &XChaCha20Poly1305,
    plain: &[u8],
    aad: &[u8],
) -> Result<Vec<u8>, KeyError> {
    let nonce = XNonce::try_generate().map_err(|e| KeyError::Random(e.to_string()))?;
    let sealed = cipher
        .encrypt(&nonce, Payload { msg: plain, aad })
        .map_err(|_| KeyError::Random("encryption failed".into()))?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// The plain bytes of `nonce ‖ ciphertext`, if it was sealed under `cipher` bound to `aad`.
pub(crate) fn open_bytes(cipher: &XChaCha20Poly1305, sealed: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
    const NONCE: usize = 24;
    if sealed.len() < NONCE {
        return None;
    }
    let (nonce, ciphertext) = sealed.split_at(NONCE);
    open_parts(cipher, nonce, ciphertext, aad)
}

/// The plain bytes of `ciphertext` (with its tag) sealed under `cipher` with `nonce`, bound
/// to `aad`.
pub(crate) fn open_parts(
    cipher: &XChaCha20Poly1305,
    nonce: &[u8],
    ciphertext: &[u8],
    aad: &[u8],
) -> Option<Vec<u8>> {
    let nonce = XNonce::try_from(nonce).ok()?;
    cipher
        .decrypt(
            &nonce,
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .ok()
}

/// Keys in this process's memory: for [`crate::MemoryStore`]-backed CRMs and tests.
#[derive(Debug, Default)]
pub struct MemoryKeys {
    keys: Mutex<HashMap<CustomerId, KeyState>>,
}

impl MemoryKeys {
    /// No keys.
    pub fn new() -> Self {
        Self::default()
    }

    fn locked(&self) -> std::sync::MutexGuard<'_, HashMap<CustomerId, KeyState>> {
        self.keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Every key state, for tests that look at what is left after an erasure.
    pub fn snapshot(&self) -> Vec<(CustomerId, KeyState)> {
        self.locked().iter().map(|(s, k)| (*s, k.clone())).collect()
    }
}

#[async_trait]
impl KeyStore for MemoryKeys {
    async fn get(&self, subject: CustomerId) -> Result<KeyState, KeyError> {
        Ok(self
            .locked()
            .get(&subject)
            .cloned()
            .unwrap_or(KeyState::Missing))
    }

    async fn insert(&self, subject: CustomerId, key: WrappedKey) -> Result<KeyState, KeyError> {
        Ok(self
            .locked()
            .entry(subject)
            .or_insert(KeyState::Live(key))
            .clone())
    }

    async fn destroy(&self, subject: CustomerId) -> Result<(), KeyError> {
        self.locked().insert(subject, KeyState::Destroyed);
        Ok(())
    }

    async fn live_keys(&self) -> Result<Vec<(CustomerId, WrappedKey)>, KeyError> {
        Ok(self
            .locked()
            .iter()
            .filter_map(|(subject, state)| match state {
                KeyState::Live(key) => Some((*subject, key.clone())),
                _ => None,
            })
            .collect())
    }
}
