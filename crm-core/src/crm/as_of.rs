//! `Crm::as_of`: the views at a past point of the log (see [`crate::time_travel`]).

use super::Crm;
use crate::error::Error;
use crate::event::Actor;
use crate::projection::{Tracked, Views};
use crate::store::EventStore;
use crate::time_travel::{fold_until, AsOf, PastViews};

impl<S: EventStore> Crm<S> {
    /// The views as they stood at `as_of`: every card, the search, the boards, task lists,
    /// segments and reports of the log up to that point, built apart from the live views
    /// (which go on serving queries and commands meanwhile).
    ///
    /// Starts from the nearest usable snapshot of the views at or before `as_of` (a recorded
    /// instant: the latest whose last event was recorded by then), so it replays at most the
    /// events between two snapshots.
    ///
    /// A position past the end of the log is refused ([`Error::AsOfAhead`]); an instant after
    /// the last recording is simply now.
    pub async fn as_of(&self, as_of: AsOf) -> Result<PastViews, Error> {
        self.check_reached(as_of).await?;
        let (mut views, mut recorded_at) = match self.snapshot_before(as_of).await? {
            Some((views, recorded_at)) => (views, Some(recorded_at)),
            None => (Tracked::new(Views::new(self.options.default_country)), None),
        };
        let from_snapshot = recorded_at.map(|_| views.position);
        let batch = self.options.read_batch;
        loop {
            let events = self.store.read_all(views.position + 1, batch).await?;
            let reached = fold_until(&mut views, &mut recorded_at, &events, as_of);
            if reached || events.len() < batch {
                break;
            }
        }
        Ok(PastViews {
            as_of,
            position: views.position,
            recorded_at,
            from_snapshot,
            views: views.projection,
        })
    }

    /// Refuses a position the log has not reached ([`Error::AsOfAhead`]).
    pub(crate) async fn check_reached(&self, as_of: AsOf) -> Result<(), Error> {
        if let AsOf::Position(position) = as_of {
            let head = self.store.head_position().await?;
            if position > head {
                return Err(Error::AsOfAhead { position, head });
            }
        }
        Ok(())
    }

    /// A read handle for `actor` on the views as of `as_of`: what [`Crm::reader`] would have
    /// shown then, under the actor's rights now.
    pub async fn reader_as_of(&self, actor: &Actor, as_of: AsOf) -> Result<crate::Reader, Error> {
        let past = self.as_of(as_of).await?;
        self.reader_of(actor, past.views).await
    }

    /// A read handle for `actor` on `views` (past ones, from [`Crm::as_of`]): the records
    /// and fields the actor may see in them, by the actor's rights now.
    pub async fn reader_of(&self, actor: &Actor, views: Views) -> Result<crate::Reader, Error> {
        let principal = self.principal(actor).await?;
        let visibility = self.authorizer.visibility(&principal, &views.directory);
        Ok(crate::Reader::new(
            principal,
            visibility,
            std::borrow::Cow::Owned(views),
        ))
    }
}
