-- Version 2: the data keys of personal data (see crm::crypto), beside the log, never in it.

-- One row per data subject: their data key, wrapped by the key-encryption key. Erasure sets
-- `wrapped` to NULL and keeps the row as a tombstone, so no new key is made for them. The old
-- row version stays in the table's pages until VACUUM and in the WAL and base backups until
-- they are recycled: docs/guarantees.md says what an operator does about that.
CREATE TABLE crm_subject_keys (
    subject text PRIMARY KEY,
    key_id uuid,
    wrapped bytea,
    destroyed_at timestamptz,
    CHECK ((wrapped IS NULL) = (destroyed_at IS NOT NULL)),
    CHECK ((key_id IS NULL) = (wrapped IS NULL))
);

-- The key-encryption key, when the program gives none of its own (CRM_KEY): kept here, it
-- protects nothing against a stolen backup, but erasure works the same.
CREATE TABLE crm_key_encryption_key (
    id smallint PRIMARY KEY CHECK (id = 1),
    kek bytea NOT NULL
);
