//! What a failure from the server means, read from its SQLSTATE code and constraint name,
//! never from its message (which changes with the server's version and language).

/// `23505`: a unique constraint refused a row.
pub(crate) const UNIQUE_VIOLATION: &str = "23505";
/// `42P01`: a table the statement names does not exist.
pub(crate) const UNDEFINED_TABLE: &str = "42P01";
/// `40001`: the transaction lost a serialization race; it may be retried.
const SERIALIZATION_FAILURE: &str = "40001";
/// `40P01`: the transaction was chosen as a deadlock's victim; it may be retried.
const DEADLOCK_DETECTED: &str = "40P01";

/// The constraint that gives each stream version one event.
pub(crate) const STREAM_VERSION: &str = "crm_events_stream_version";
/// The constraint that gives each event id one place in the log.
pub(crate) const EVENT_ID: &str = "crm_events_event_id";

/// The SQLSTATE of a server error, if the failure came from the server.
pub(crate) fn of(error: &sqlx::Error) -> Option<String> {
    match error {
        sqlx::Error::Database(db) => db.code().map(|code| code.into_owned()),
        _ => None,
    }
}

/// How an append's statement failed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// Another writer took a version of a stream written to: check again.
    VersionTaken,
    /// An event id is stored already (a concurrent retry, or a reuse): check again.
    IdTaken,
    /// A transient failure the server asks us to retry.
    Retryable,
    /// Anything else: the connection, the server, or a bug. Whether it committed is unknown.
    Other,
}

pub(crate) fn classify(error: &sqlx::Error) -> Failure {
    let sqlx::Error::Database(db) = error else {
        return Failure::Other;
    };
    match db.code().as_deref() {
        Some(UNIQUE_VIOLATION) => match db.constraint() {
            Some(STREAM_VERSION) => Failure::VersionTaken,
            Some(EVENT_ID) => Failure::IdTaken,
            _ => Failure::Other,
        },
        Some(SERIALIZATION_FAILURE | DEADLOCK_DETECTED) => Failure::Retryable,
        _ => Failure::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_without_a_server_code_is_not_guessed_at() {
        assert_eq!(classify(&sqlx::Error::PoolTimedOut), Failure::Other);
        assert_eq!(of(&sqlx::Error::PoolClosed), None);
    }
}
