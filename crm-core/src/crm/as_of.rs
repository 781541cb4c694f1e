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
    /// A position past the end of the log is refused ([`Error::AsOfAhead`]); an instant after
    /// the last recording is simply now.
    pub async fn as_of(&self, as_of: AsOf) -> Result<PastViews, Error> {
        if let AsOf::Position(position) = as_of {
            let head = self.store.head_position().await?;
            if position > head {
                return Err(Error::AsOfAhead { position, head });
            }
        }
        let mut views = Tracked::new(Views::new(self.options.default_country));
        let mut recorded_at = None;
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
            views: views.projection,
        })
    }

    /// A read handle for `actor` on the views as of `as_of`: what [`Crm::reader`] would have
    /// shown then, under the actor's rights now.
    pub async fn reader_as_of(&self, actor: &Actor, as_of: AsOf) -> Result<crate::Reader, Error> {
        let principal = self.principal(actor).await?;
        let past = self.as_of(as_of).await?;
        let visibility = self
            .authorizer
            .visibility(&principal, &past.views.directory);
        Ok(crate::Reader::new(principal, visibility, &past.views))
    }
}
