//! The ownership facts the rules need, read from commands and aggregate states.

use crate::crm::Command;
use crate::domain::company::CompanyCommand;
use crate::domain::contact::ContactCommand;
use crate::domain::deal::DealCommand;
use crate::domain::feedback::FeedbackCommand;
use crate::domain::interaction::InteractionCommand;
use crate::domain::order::OrderCommand;
use crate::domain::task::TaskCommand;
use crate::ids::{CustomerId, UserId};

/// Whose a record is: a user's (or nobody's), or whoever owns its customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnedBy {
    /// A user, or nobody.
    User(Option<UserId>),
    /// Its customer's owner: an order, a conversation, feedback.
    Customer(CustomerId),
}

/// Whose a record will be that `command` creates; `None` for commands on existing records.
pub fn claimed(command: &Command) -> Option<OwnedBy> {
    match command {
        Command::Contact(ContactCommand::Create(c)) => Some(OwnedBy::User(c.owner)),
        Command::Company(CompanyCommand::Create { owner, .. }) => Some(OwnedBy::User(*owner)),
        Command::Deal(DealCommand::Open(terms)) => Some(OwnedBy::User(Some(terms.owner))),
        Command::Task(TaskCommand::Schedule(s)) => Some(OwnedBy::User(Some(s.assignee))),
        Command::Order(OrderCommand::Place(p)) => Some(OwnedBy::Customer(p.customer)),
        Command::Interaction(InteractionCommand::Log(i)) => Some(OwnedBy::Customer(i.customer)),
        Command::Feedback(FeedbackCommand::Give(f)) => Some(OwnedBy::Customer(f.customer)),
        _ => None,
    }
}

/// For an assignment, who will own the record.
pub fn new_owner(command: &Command) -> Option<Option<UserId>> {
    match command {
        Command::Contact(ContactCommand::AssignOwner { owner, .. })
        | Command::Company(CompanyCommand::AssignOwner { owner, .. }) => Some(*owner),
        Command::Deal(DealCommand::ChangeOwner { owner, .. }) => Some(Some(*owner)),
        Command::Task(TaskCommand::Reassign { assignee, .. }) => Some(Some(*assignee)),
        _ => None,
    }
}
