//! Snapshots of the views through a `Crm`: taken every so many events, on demand and on
//! close; the latest usable one loaded on open; the nearest one under a time travel; all of
//! those before an erasure deleted. See [`crate::projection::snapshot`] for what makes one
//! usable.

use chrono::{DateTime, Utc};

use super::{lock, Crm};
use crate::error::Error;
use crate::event::RecordedEvent;
use crate::ids::EventId;
use crate::projection::snapshot::{
    self, Decoded, SnapshotError, SnapshotInfo, ViewsSnapshot, VIEWS_SCHEMA,
};
use crate::projection::{Tracked, Views};
use crate::store::{EventStore, StoreError};
use crate::time_travel::AsOf;

/// What happened to the snapshots of the views when this `Crm` opened.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SnapshotReport {
    /// The position of the snapshot the views were loaded from (`None`: replayed from the
    /// start of the log).
    pub opened_from: Option<u64>,
    /// Snapshots found unusable, newest first, each with why: reported, ignored, never
    /// trusted.
    pub ignored: Vec<SnapshotError>,
}

/// A `Crm`'s bookkeeping of its snapshots.
#[derive(Debug, Default)]
pub(crate) struct SnapshotState {
    /// The position of the latest snapshot saved or loaded: the next is due a whole interval
    /// after it.
    pub(crate) last: u64,
    pub(crate) report: SnapshotReport,
}

impl<S: EventStore> Crm<S> {
    /// Saves a snapshot of the views as they stand and prunes the older ones (see
    /// [`snapshot::to_prune`]); returns its position, or `None` for an empty log.
    pub async fn save_views_snapshot(&self) -> Result<Option<u64>, Error> {
        let (position, state) = {
            // Encoded under the shared read lock, at the position read under it: commands go
            // on, their events wait. The event's id is stamped in after, without the lock.
            let views = self.views.read();
            if views.position == 0 {
                return Ok(None);
            }
            (views.position, snapshot::encode(&views.projection, None))
        };
        let mut state = match state {
            Ok(state) => state,
            Err(error) => {
                tracing::warn!(%error, "no snapshot of the views was saved");
                return Ok(None);
            }
        };
        let Some(at) = self.event_at(position).await? else {
            return Ok(None);
        };
        snapshot::stamp(&mut state, at.id);
        let info = SnapshotInfo {
            position,
            recorded_at: at.recorded_at,
            schema: VIEWS_SCHEMA,
        };
        self.store
            .save_views_snapshot(ViewsSnapshot { info, state })
            .await?;
        lock(&self.snapshots).last = position;
        let held = self.store.views_snapshots().await?;
        for doomed in snapshot::to_prune(&held, self.options.views_snapshots_kept) {
            self.store.delete_views_snapshot(doomed).await?;
        }
        Ok(Some(position))
    }

    /// Catches up, saves a snapshot if the views hold events the latest one does not, and
    /// lets the `Crm` go: the next open starts from here.
    pub async fn close(self) -> Result<(), Error> {
        let reached = self.catch_up().await?;
        if reached > lock(&self.snapshots).last {
            self.save_views_snapshot().await?;
        }
        Ok(())
    }

    /// What happened to the snapshots of the views when this `Crm` opened.
    pub fn snapshot_report(&self) -> SnapshotReport {
        lock(&self.snapshots).report.clone()
    }

    /// Loads the latest usable snapshot into the views, noting each unusable one on the way.
    pub(crate) async fn open_from_snapshot(&mut self) -> Result<(), Error> {
        let held = self.store.views_snapshots().await?;
        let (views, ignored) = self.usable_snapshot(held.iter().rev()).await?;
        if let Some((views, _)) = views {
            self.start_from(views);
        }
        self.note_ignored(ignored);
        Ok(())
    }

    /// Starts from `decoded` if it is usable, else as [`Crm::open_from_snapshot`] does (which
    /// then meets, and reports, whatever made it unusable).
    pub(crate) async fn open_from_decoded(&mut self, decoded: Decoded) -> Result<(), Error> {
        let Decoded {
            info,
            views,
            taken_at,
        } = decoded;
        match self.check_decoded(&info, views, taken_at).await? {
            Ok(views) => {
                self.start_from(views);
                self.note_ignored(Vec::new());
                Ok(())
            }
            Err(_) => self.open_from_snapshot().await,
        }
    }

    fn start_from(&mut self, views: Tracked<Views>) {
        let position = views.position;
        self.views.replace(views);
        let state = self
            .snapshots
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        state.last = position;
        state.report.opened_from = Some(position);
    }

    fn note_ignored(&self, ignored: Vec<SnapshotError>) {
        for error in &ignored {
            tracing::warn!(%error, "a snapshot of the views was ignored; rebuilt from the events");
        }
        lock(&self.snapshots).report.ignored = ignored;
    }

    /// The nearest usable snapshot at or before `as_of`, if any, with the recorded time of
    /// its last event.
    pub(crate) async fn snapshot_before(
        &self,
        as_of: AsOf,
    ) -> Result<Option<(Tracked<Views>, DateTime<Utc>)>, Error> {
        let held = self.store.views_snapshots().await?;
        let before = held.iter().rev().filter(|info| match as_of {
            AsOf::Position(position) => info.position <= position,
            AsOf::Recorded(instant) => info.recorded_at <= instant,
        });
        Ok(self.usable_snapshot(before).await?.0)
    }

    /// The first of `candidates` that is usable, and why each before it was not.
    async fn usable_snapshot(
        &self,
        candidates: impl Iterator<Item = &SnapshotInfo>,
    ) -> Result<(Option<(Tracked<Views>, DateTime<Utc>)>, Vec<SnapshotError>), Error> {
        let mut ignored = Vec::new();
        for info in candidates {
            match self.check_snapshot(info).await? {
                Ok(views) => return Ok((Some((views, info.recorded_at)), ignored)),
                Err(error) => ignored.push(error),
            }
        }
        Ok((None, ignored))
    }

    /// The snapshot at `info` decoded, if it is one of this log under this build's schema.
    async fn check_snapshot(
        &self,
        info: &SnapshotInfo,
    ) -> Result<Result<Tracked<Views>, SnapshotError>, Error> {
        let position = info.position;
        if info.schema != VIEWS_SCHEMA {
            return Ok(Err(SnapshotError::Schema {
                position,
                found: info.schema,
            }));
        }
        let stored = match self.store.load_views_snapshot(position).await {
            Ok(Some(stored)) => stored,
            Ok(None) => {
                return Ok(Err(SnapshotError::OtherLog {
                    position,
                    reason: "it went while being read".into(),
                }))
            }
            // Damaged bytes are a snapshot to ignore, not a store that will not open.
            Err(StoreError::Corrupt { location, reason }) => {
                return Ok(Err(SnapshotError::Undecodable {
                    position,
                    reason: format!("{location}: {reason}"),
                }))
            }
            Err(other) => return Err(other.into()),
        };
        let (views, taken_at) = match snapshot::decode(&stored) {
            Ok(decoded) => decoded,
            Err(error) => return Ok(Err(error)),
        };
        self.check_decoded(info, views, taken_at).await
    }

    /// `views`, decoded from the snapshot at `info` (which checked its schema), if it is one
    /// of this log under this build's options.
    async fn check_decoded(
        &self,
        info: &SnapshotInfo,
        views: Tracked<Views>,
        taken_at: Option<EventId>,
    ) -> Result<Result<Tracked<Views>, SnapshotError>, Error> {
        let position = info.position;
        let event = self.event_at(position).await?;
        let other_log = |reason: String| Ok(Err(SnapshotError::OtherLog { position, reason }));
        match (event, taken_at) {
            (None, _) => return other_log(format!("the log ends before position {position}")),
            (Some(event), Some(id)) if event.id != id => {
                return other_log(format!("the event there is {}, not {id}", event.id))
            }
            (Some(_), None) => return other_log("it names no event".into()),
            (Some(_), Some(_)) => {}
        }
        if views.projection.search.default_country() != self.options.default_country {
            return Ok(Err(SnapshotError::OtherCountry { position }));
        }
        Ok(Ok(views))
    }

    async fn event_at(&self, position: u64) -> Result<Option<RecordedEvent>, Error> {
        let mut events = self.store.read_all(position, 1).await?;
        Ok(events.pop().filter(|e| e.position == position))
    }

    /// Deletes every snapshot taken before `position`, where a person was erased: they hold
    /// the person in clear.
    pub(crate) async fn drop_snapshots_before(&self, position: u64) -> Result<(), Error> {
        for info in self.store.views_snapshots().await? {
            if info.position < position {
                self.store.delete_views_snapshot(info.position).await?;
            }
        }
        Ok(())
    }

    /// After a catch-up reached `through`: a snapshot when a whole interval has passed since
    /// the last.
    pub(crate) async fn snapshot_if_due(&self, through: u64) -> Result<(), Error> {
        let every = self.options.views_snapshot_every;
        let last = lock(&self.snapshots).last;
        if every > 0 && through >= last.saturating_add(every) {
            self.save_views_snapshot().await?;
        }
        Ok(())
    }
}
