//! Following other processes' appends: one `LISTEN` connection per store, started by the
//! first follower, feeding the store's [`HeadWatch`].
//!
//! Every append's statement calls `pg_notify` with the new head, delivered when it commits.
//! A notification can be lost (the listening connection dropped); the listener then listens
//! again and only then reads the head from the table, so a follower never waits on an append
//! it missed.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgListener;
use sqlx::PgPool;
use tokio::sync::oneshot;

use crm_core::store::{HeadWatch, StoreError};

use crate::append::backend;

/// Stops the listener when dropped (with the store).
pub(crate) struct Listening {
    _stop: oneshot::Sender<()>,
}

/// Starts listening on `channel`; returns once `LISTEN` is in effect, so an append that
/// commits after this returns is seen.
pub(crate) async fn start(
    pool: &PgPool,
    channel: &str,
    head: Arc<HeadWatch>,
) -> Result<Listening, StoreError> {
    let listener = listen(pool, channel).await.map_err(backend)?;
    let (stop, stopped) = oneshot::channel();
    tokio::spawn(run(
        listener,
        pool.clone(),
        channel.to_owned(),
        head,
        stopped,
    ));
    Ok(Listening { _stop: stop })
}

async fn listen(pool: &PgPool, channel: &str) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(channel).await?;
    Ok(listener)
}

pub(crate) async fn read_head(pool: &PgPool) -> Result<u64, StoreError> {
    head_of(pool).await.map_err(backend)
}

/// The log's head as the table holds it.
pub(crate) async fn head_of(pool: &PgPool) -> Result<u64, sqlx::Error> {
    let head: i64 = sqlx::query_scalar("SELECT head FROM crm_log WHERE id = 1")
        .fetch_one(pool)
        .await?;
    Ok(u64::try_from(head).unwrap_or(0))
}

async fn run(
    mut listener: PgListener,
    pool: PgPool,
    channel: String,
    head: Arc<HeadWatch>,
    mut stopped: oneshot::Receiver<()>,
) {
    loop {
        let received = tokio::select! {
            _ = &mut stopped => return,
            received = listener.try_recv() => received,
        };
        match received {
            Ok(Some(notification)) => match notification.payload().parse::<u64>() {
                Ok(position) => head.advance(position),
                Err(_) => tracing::warn!(
                    payload = notification.payload(),
                    "a notification without a position"
                ),
            },
            // The connection was lost: whatever was notified meanwhile is gone. Listen again
            // first, then read the head from the table, so that no append falls between.
            Ok(None) | Err(_) => {
                listener = loop {
                    match listen(&pool, &channel).await {
                        Ok(listener) => break listener,
                        Err(error) => {
                            tracing::warn!(%error, "cannot listen for appends; retrying in a second");
                            tokio::select! {
                                _ = &mut stopped => return,
                                () = tokio::time::sleep(Duration::from_secs(1)) => {}
                            }
                        }
                    }
                };
                match read_head(&pool).await {
                    Ok(position) => head.advance(position),
                    Err(error) => tracing::warn!(%error, "cannot read the log's head"),
                }
            }
        }
    }
}
