//! Sealing and opening personal values and snapshots with their subjects' data keys.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chacha20poly1305::aead::KeyInit;
use chacha20poly1305::{Key, XChaCha20Poly1305};

use super::keys::{
    open_parts, random_key, seal_bytes, KeyError, KeyState, KeyStore, KeyWrapping, WrappedKey,
};
use crate::event::Event;
use crate::ids::{CustomerId, EventId};
use crate::personal::Sealed;

/// A subject's key as this process holds it.
#[derive(Clone)]
enum Held {
    Live(uuid::Uuid, XChaCha20Poly1305),
    Gone,
}

/// Why a value could not be sealed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SealError {
    #[error("{0}")]
    Key(#[from] KeyError),
    #[error("{subject} is erased: their personal data can no longer be written")]
    Erased { subject: CustomerId },
    #[error("the value of `{field}` cannot be encoded: {reason}")]
    Encode { field: &'static str, reason: String },
    #[error("the sealed `{field}` belongs to {found}, not to the event's subject {expected}")]
    WrongSubject {
        field: &'static str,
        found: CustomerId,
        expected: CustomerId,
    },
    #[error("the sealed `{field}` does not open with {subject}'s key: it was moved from another event or field, or damaged")]
    DoesNotOpen {
        field: &'static str,
        subject: CustomerId,
    },
    #[error("`{field}` carries personal data but the event names no data subject")]
    NoSubject { field: &'static str },
}

/// The data keys of the subjects this process has met, and where to get the others.
pub(crate) struct Sealer {
    keys: Arc<dyn KeyStore>,
    wrapping: Arc<dyn KeyWrapping>,
    held: Mutex<HashMap<CustomerId, Held>>,
}

/// The associated data of a personal value: it cannot be moved to another subject, event or
/// field and still open.
fn field_aad(subject: CustomerId, event: EventId, field: &str) -> Vec<u8> {
    format!("crm-personal/v1\0{subject}\0{event}\0{field}").into_bytes()
}

fn key_context(subject: CustomerId, key: uuid::Uuid) -> Vec<u8> {
    format!("crm-data-key/v1\0{subject}\0{key}").into_bytes()
}

impl Sealer {
    pub(crate) fn new(keys: Arc<dyn KeyStore>, wrapping: Arc<dyn KeyWrapping>) -> Self {
        Self {
            keys,
            wrapping,
            held: Mutex::new(HashMap::new()),
        }
    }

    fn cached(&self, subject: CustomerId) -> Option<Held> {
        self.held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&subject)
            .cloned()
    }

    fn remember(&self, subject: CustomerId, held: Held) {
        self.held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(subject, held);
    }

    async fn unwrap(&self, subject: CustomerId, key: &WrappedKey) -> Result<Held, KeyError> {
        let plain = self
            .wrapping
            .unwrap(&key.wrapped, &key_context(subject, key.id))
            .await?
            .ok_or(KeyError::Unwrap { subject })?;
        let key_bytes =
            Key::try_from(plain.as_slice()).map_err(|_| KeyError::Unwrap { subject })?;
        Ok(Held::Live(key.id, XChaCha20Poly1305::new(&key_bytes)))
    }

    /// The subject's key as the key store has it now (cached after the first time).
    async fn held(&self, subject: CustomerId) -> Result<Option<Held>, KeyError> {
        if let Some(held) = self.cached(subject) {
            return Ok(Some(held));
        }
        let held = match self.keys.get(subject).await? {
            KeyState::Missing => return Ok(None),
            KeyState::Destroyed => Held::Gone,
            KeyState::Live(key) => self.unwrap(subject, &key).await?,
        };
        self.remember(subject, held.clone());
        Ok(Some(held))
    }

    /// The key to seal the subject's values with, made if they have none yet.
    async fn sealing_key(
        &self,
        subject: CustomerId,
    ) -> Result<(uuid::Uuid, XChaCha20Poly1305), SealError> {
        let held = match self.held(subject).await? {
            Some(held) => held,
            None => {
                let id = uuid::Uuid::new_v4();
                let key = random_key()?;
                let wrapped = self.wrapping.wrap(&key, &key_context(subject, id)).await?;
                let kept = self
                    .keys
                    .insert(subject, WrappedKey { id, wrapped })
                    .await?;
                let held = match kept {
                    KeyState::Live(key) => self.unwrap(subject, &key).await?,
                    KeyState::Destroyed | KeyState::Missing => Held::Gone,
                };
                self.remember(subject, held.clone());
                held
            }
        };
        match held {
            Held::Live(id, cipher) => Ok((id, cipher)),
            Held::Gone => Err(SealError::Erased { subject }),
        }
    }

    /// The cipher that opens values sealed under `key` for `subject`, if it still exists.
    async fn opening_key(
        &self,
        subject: CustomerId,
        key: uuid::Uuid,
    ) -> Result<Option<XChaCha20Poly1305>, KeyError> {
        Ok(match self.held(subject).await? {
            Some(Held::Live(id, cipher)) if id == key => Some(cipher),
            _ => None,
        })
    }

    /// Seals every personal field of `event` still in clear; checks the ones already sealed
    /// (an imported log) belong to the event's subject and, where the key is here, open.
    pub(crate) async fn seal_event(&self, id: EventId, event: &mut Event) -> Result<(), SealError> {
        let subject = event.data_subject();
        for (field, value) in event.personal_fields_mut() {
            let subject = subject.ok_or(SealError::NoSubject { field })?;
            let aad = field_aad(subject, id, field);
            if let Some(sealed) = value.sealed_form() {
                if sealed.subject != subject {
                    return Err(SealError::WrongSubject {
                        field,
                        found: sealed.subject,
                        expected: subject,
                    });
                }
                if let Some(cipher) = self.opening_key(subject, sealed.key).await? {
                    if open_parts(&cipher, &sealed.nonce, &sealed.ciphertext, &aad).is_none() {
                        return Err(SealError::DoesNotOpen { field, subject });
                    }
                }
                value.forget();
                continue;
            }
            let Some(json) = value.clear_json() else {
                continue;
            };
            let json = json.map_err(|e| SealError::Encode {
                field,
                reason: e.to_string(),
            })?;
            let (key, cipher) = self.sealing_key(subject).await?;
            let mut sealed = seal_bytes(&cipher, &json, &aad)?;
            let ciphertext = sealed.split_off(24);
            value.set_sealed(Sealed {
                subject,
                key,
                nonce: sealed,
                ciphertext,
            });
        }
        Ok(())
    }

    /// Opens every sealed personal field of `event` whose key is here. `Err` names the field
    /// whose ciphertext does not open with its subject's live key: damage, not erasure.
    pub(crate) async fn open_event(&self, id: EventId, event: &mut Event) -> Result<(), String> {
        // Most events carry no personal data: replay skips them without listing their fields
        // (an event has fields exactly when it has a subject: tests/personal_data.rs).
        let Some(subject) = event.data_subject() else {
            return Ok(());
        };
        let subject = Some(subject);
        for (field, value) in event.personal_fields_mut() {
            let Some(sealed) = value.sealed_form() else {
                continue;
            };
            if Some(sealed.subject) != subject {
                return Err(format!(
                    "the sealed `{field}` belongs to {}, not to the event's subject",
                    sealed.subject
                ));
            }
            let cipher = self
                .opening_key(sealed.subject, sealed.key)
                .await
                .map_err(|e| e.to_string())?;
            let Some(cipher) = cipher else { continue };
            let aad = field_aad(sealed.subject, id, field);
            let plain =
                open_parts(&cipher, &sealed.nonce, &sealed.ciphertext, &aad).ok_or_else(|| {
                    format!("the sealed `{field}` does not open with its subject's key")
                })?;
            value
                .open(&plain)
                .map_err(|e| format!("the opened `{field}` does not decode: {e}"))?;
        }
        Ok(())
    }

    /// Makes every key made so far durable.
    pub(crate) async fn sync(&self) -> Result<(), KeyError> {
        self.keys.sync().await
    }

    /// Destroys the subject's key: what they wrote can never be opened again.
    pub(crate) async fn destroy(&self, subject: CustomerId) -> Result<(), KeyError> {
        self.keys.destroy(subject).await?;
        self.remember(subject, Held::Gone);
        Ok(())
    }

    /// Forgets the held key of a subject another process erased.
    pub(crate) fn erased_elsewhere(&self, subject: CustomerId) {
        self.remember(subject, Held::Gone);
    }

    /// Seals a whole snapshot's bytes for `subject`: `None` if they are erased.
    pub(crate) async fn seal_bytes_for(
        &self,
        subject: CustomerId,
        plain: &[u8],
        aad: &[u8],
    ) -> Result<Option<Sealed>, SealError> {
        let (key, cipher) = match self.sealing_key(subject).await {
            Ok(found) => found,
            Err(SealError::Erased { .. }) => return Ok(None),
            Err(other) => return Err(other),
        };
        let mut sealed = seal_bytes(&cipher, plain, aad)?;
        let ciphertext = sealed.split_off(24);
        Ok(Some(Sealed {
            subject,
            key,
            nonce: sealed,
            ciphertext,
        }))
    }

    /// Opens bytes sealed by [`Sealer::seal_bytes_for`]: `None` if the key is gone or they
    /// do not open.
    pub(crate) async fn open_bytes_of(
        &self,
        sealed: &Sealed,
        aad: &[u8],
    ) -> Result<Option<Vec<u8>>, KeyError> {
        let Some(cipher) = self.opening_key(sealed.subject, sealed.key).await? else {
            return Ok(None);
        };
        Ok(open_parts(&cipher, &sealed.nonce, &sealed.ciphertext, aad))
    }

    /// Every live key, unwrapped, for an explicit migration export.
    pub(crate) async fn export_keys(
        &self,
    ) -> Result<Vec<(CustomerId, uuid::Uuid, Vec<u8>)>, KeyError> {
        let mut out = Vec::new();
        for (subject, key) in self.keys.live_keys().await? {
            let plain = self
                .wrapping
                .unwrap(&key.wrapped, &key_context(subject, key.id))
                .await?
                .ok_or(KeyError::Unwrap { subject })?;
            out.push((subject, key.id, plain));
        }
        out.sort_by_key(|(subject, _, _)| *subject);
        Ok(out)
    }

    /// Keeps an exported key (wrapped with this store's key-encryption key) unless the
    /// subject already has one or was erased here.
    pub(crate) async fn import_key(
        &self,
        subject: CustomerId,
        id: uuid::Uuid,
        plain: &[u8],
    ) -> Result<KeyState, KeyError> {
        if Key::try_from(plain).is_err() {
            return Err(KeyError::Unwrap { subject });
        }
        let wrapped = self.wrapping.wrap(plain, &key_context(subject, id)).await?;
        self.keys.insert(subject, WrappedKey { id, wrapped }).await
    }
}
