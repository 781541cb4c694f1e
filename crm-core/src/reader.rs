//! Read handles: the projections as one actor may see them.

use std::borrow::Cow;
use std::sync::OnceLock;

use crate::access::{Principal, Scope, Visibility};
use crate::domain::message::Recipient;
use crate::ids::{CustomerId, UserId};
use crate::projection::Views;

/// The projections filtered for one actor: cards, search, segments, boards, task lists and
/// reports over the records the actor may see, with the fields their role may not read
/// removed. Made by [`Crm::reader`](crate::Crm::reader); a snapshot as of that call, so make
/// one per request.
#[derive(Debug)]
pub struct Reader {
    principal: Principal,
    visibility: Visibility,
    views: Views,
    counted: OnceLock<Views>,
}

impl Reader {
    /// A reader of `all` as `visibility` shows it. At most one copy is made: none when `all`
    /// is handed over and shows everything.
    pub(crate) fn new(principal: Principal, visibility: Visibility, all: Cow<'_, Views>) -> Self {
        let views = visible(
            all,
            &visibility.scope,
            visibility.conversations,
            user_of(&principal),
        );
        Self {
            principal,
            visibility,
            views,
            counted: OnceLock::new(),
        }
    }

    /// Who reads.
    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    /// What they may see.
    pub fn visibility(&self) -> &Visibility {
        &self.visibility
    }

    /// Cards, search, segments, boards and task lists: every record the actor may see,
    /// including the unowned ones a manager may pick up.
    pub fn views(&self) -> &Views {
        &self.views
    }

    /// What reports count: the records the actor's scope owns, without the unowned pool, so
    /// that a manager's figures are their own customers' and a head's their team's.
    pub fn report_views(&self) -> &Views {
        let owned = self.visibility.scope.owned_only();
        if owned == self.visibility.scope {
            return &self.views;
        }
        self.counted.get_or_init(|| {
            let me = user_of(&self.principal);
            visible(
                Cow::Borrowed(&self.views),
                &owned,
                self.visibility.conversations,
                me,
            )
        })
    }
}

fn user_of(principal: &Principal) -> Option<UserId> {
    match principal {
        Principal::User(user) => Some(user.user_id),
        _ => None,
    }
}

/// `all` holding only what `scope` shows (conversations only if `conversations`): `all`
/// itself when that is everything, else a filtered copy.
fn visible(all: Cow<'_, Views>, scope: &Scope, conversations: bool, me: Option<UserId>) -> Views {
    if *scope == Scope::Everything && conversations {
        return all.into_owned();
    }
    let mut views = all.as_ref().clone();
    // A merged contact's records belong to whoever owns the survivor.
    let owner = |c: CustomerId| all.cards.owner(all.cards.survivor(c));
    let keep = |c: CustomerId| scope.sees(owner(c));
    views.cards.retain(&keep);
    views.search.retain(&keep);
    views
        .deals
        .retain(&|deal| scope.sees(Some(deal.terms.owner)));
    views.tasks.retain(&|task| scope.sees(Some(task.assignee)));
    views.activity.retain(&keep, conversations);
    // Messages to the customers they may see, and those sent to themselves (a report).
    views.outbox.retain(&|to| match to {
        Recipient::Customer(c) => keep(c),
        Recipient::User(user) => Some(user) == me,
    });
    views
}
