//! What a command does, in the terms the rules speak: a stable name, the part of the CRM it
//! touches, and how.

use crate::crm::Command;
use crate::domain::automation::AutomationCommand;
use crate::domain::campaign::CampaignCommand;
use crate::domain::company::CompanyCommand;
use crate::domain::contact::ContactCommand;
use crate::domain::deal::DealCommand;
use crate::domain::feedback::FeedbackCommand;
use crate::domain::interaction::InteractionCommand;
use crate::domain::message::MessageCommand;
use crate::domain::order::OrderCommand;
use crate::domain::pipeline::PipelineCommand;
use crate::domain::task::TaskCommand;
use crate::domain::template::TemplateCommand;
use crate::domain::user::{TeamCommand, UserCommand};

/// The part of the CRM a command touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Area {
    /// Contacts and companies.
    Customers,
    /// Deals.
    Deals,
    /// Tasks.
    Tasks,
    /// Orders, payments, refunds, shipping and returns.
    Orders,
    /// Logged conversations.
    Conversations,
    /// Reviews and survey answers.
    Feedback,
    /// Marketing campaigns.
    Campaigns,
    /// Sales pipelines and their stages.
    Pipelines,
    /// Users and teams.
    Directory,
    /// Automation rules.
    Automation,
}

/// How a command changes its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Verb {
    /// Brings a new record into being.
    Create,
    /// Changes an existing record's data.
    Edit,
    /// Gives a record (or a task) to another owner.
    Assign,
    /// Merges one customer into another.
    Merge,
    /// Forgets a person's personal data for good.
    Erase,
}

/// A command as the rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Action {
    /// Its stable name, `"<record>.<what>"`: what integrations are granted and errors name.
    pub name: &'static str,
    /// What it touches.
    pub area: Area,
    /// How.
    pub verb: Verb,
}

macro_rules! actions {
    ($($name:literal => $area:ident $verb:ident),* $(,)?) => {
        /// Every command name, in the order of [`crate::Command`]'s variants.
        pub const COMMAND_NAMES: &[&str] = &[$($name),*];

        const ACTIONS: &[Action] = &[$(Action { name: $name, area: Area::$area, verb: Verb::$verb }),*];
    };
}

actions! {
    "contact.create" => Customers Create,
    "contact.update" => Customers Edit,
    "contact.assign_owner" => Customers Assign,
    "contact.link_to_company" => Customers Edit,
    "contact.unlink_from_company" => Customers Edit,
    "contact.attach_document" => Customers Edit,
    "contact.grant_consent" => Customers Edit,
    "contact.withdraw_consent" => Customers Edit,
    "contact.merge" => Customers Merge,
    "contact.record_source" => Customers Edit,
    "contact.convert_lead" => Customers Edit,
    "contact.erase" => Customers Erase,
    "company.create" => Customers Create,
    "company.update_details" => Customers Edit,
    "company.change_tags" => Customers Edit,
    "company.assign_owner" => Customers Assign,
    "company.attach_document" => Customers Edit,
    "pipeline.define" => Pipelines Create,
    "pipeline.add_stage" => Pipelines Edit,
    "pipeline.rename_stage" => Pipelines Edit,
    "pipeline.reorder_stages" => Pipelines Edit,
    "pipeline.retire_stage" => Pipelines Edit,
    "deal.open" => Deals Create,
    "deal.move_to_stage" => Deals Edit,
    "deal.change_amount" => Deals Edit,
    "deal.change_owner" => Deals Assign,
    "deal.change_expected_close" => Deals Edit,
    "deal.win" => Deals Edit,
    "deal.lose" => Deals Edit,
    "deal.reopen" => Deals Edit,
    "task.schedule" => Tasks Create,
    "task.reassign" => Tasks Assign,
    "task.reschedule" => Tasks Edit,
    "task.complete" => Tasks Edit,
    "task.cancel" => Tasks Edit,
    "order.place" => Orders Create,
    "order.receive_payment" => Orders Edit,
    "order.refund" => Orders Edit,
    "order.pass_check" => Orders Edit,
    "order.start_preparation" => Orders Edit,
    "order.ship" => Orders Edit,
    "order.deliver" => Orders Edit,
    "order.cancel" => Orders Edit,
    "order.return" => Orders Edit,
    "interaction.log" => Conversations Create,
    "feedback.give" => Feedback Create,
    "campaign.create" => Campaigns Create,
    "user.add" => Directory Create,
    "user.rename" => Directory Edit,
    "user.change_role" => Directory Edit,
    "user.move_to_team" => Directory Edit,
    "user.deactivate" => Directory Edit,
    "user.reactivate" => Directory Edit,
    "team.create" => Directory Create,
    "team.rename" => Directory Edit,
    "automation.define" => Automation Create,
    "automation.enable" => Automation Edit,
    "automation.disable" => Automation Edit,
    "message.schedule" => Automation Create,
    "message.queue" => Automation Edit,
    "message.skip" => Automation Edit,
    "message.sent" => Automation Edit,
    "message.failed" => Automation Edit,
    "message.bounced" => Automation Edit,
    "template.save" => Automation Edit,
}

impl Action {
    /// The action a command is.
    pub fn of(command: &Command) -> Action {
        let name = name_of(command);
        ACTIONS
            .iter()
            .copied()
            .find(|a| a.name == name)
            .unwrap_or(Action {
                name,
                area: Area::Directory,
                verb: Verb::Edit,
            })
    }
}

fn name_of(command: &Command) -> &'static str {
    match command {
        Command::Contact(c) => match c {
            ContactCommand::Create(_) => "contact.create",
            ContactCommand::Update(_) => "contact.update",
            ContactCommand::AssignOwner { .. } => "contact.assign_owner",
            ContactCommand::LinkToCompany { .. } => "contact.link_to_company",
            ContactCommand::UnlinkFromCompany { .. } => "contact.unlink_from_company",
            ContactCommand::AttachDocument { .. } => "contact.attach_document",
            ContactCommand::GrantConsent { .. } => "contact.grant_consent",
            ContactCommand::WithdrawConsent { .. } => "contact.withdraw_consent",
            ContactCommand::Merge { .. } => "contact.merge",
            ContactCommand::RecordSource { .. } => "contact.record_source",
            ContactCommand::ConvertLead { .. } => "contact.convert_lead",
            ContactCommand::Erase { .. } => "contact.erase",
        },
        Command::Company(c) => match c {
            CompanyCommand::Create { .. } => "company.create",
            CompanyCommand::UpdateDetails { .. } => "company.update_details",
            CompanyCommand::ChangeTags { .. } => "company.change_tags",
            CompanyCommand::AssignOwner { .. } => "company.assign_owner",
            CompanyCommand::AttachDocument { .. } => "company.attach_document",
        },
        Command::Pipeline(c) => match c {
            PipelineCommand::Define { .. } => "pipeline.define",
            PipelineCommand::AddStage { .. } => "pipeline.add_stage",
            PipelineCommand::RenameStage { .. } => "pipeline.rename_stage",
            PipelineCommand::ReorderStages { .. } => "pipeline.reorder_stages",
            PipelineCommand::RetireStage { .. } => "pipeline.retire_stage",
        },
        Command::Deal(c) => match c {
            DealCommand::Open(_) => "deal.open",
            DealCommand::MoveToStage { .. } => "deal.move_to_stage",
            DealCommand::ChangeAmount { .. } => "deal.change_amount",
            DealCommand::ChangeOwner { .. } => "deal.change_owner",
            DealCommand::ChangeExpectedClose { .. } => "deal.change_expected_close",
            DealCommand::Win { .. } => "deal.win",
            DealCommand::Lose { .. } => "deal.lose",
            DealCommand::Reopen { .. } => "deal.reopen",
        },
        Command::Task(c) => match c {
            TaskCommand::Schedule(_) => "task.schedule",
            TaskCommand::Reassign { .. } => "task.reassign",
            TaskCommand::Reschedule { .. } => "task.reschedule",
            TaskCommand::Complete { .. } => "task.complete",
            TaskCommand::Cancel { .. } => "task.cancel",
        },
        Command::Order(c) => match c {
            OrderCommand::Place(_) => "order.place",
            OrderCommand::ReceivePayment { .. } => "order.receive_payment",
            OrderCommand::Refund { .. } => "order.refund",
            OrderCommand::PassCheck { .. } => "order.pass_check",
            OrderCommand::StartPreparation { .. } => "order.start_preparation",
            OrderCommand::Ship { .. } => "order.ship",
            OrderCommand::Deliver { .. } => "order.deliver",
            OrderCommand::Cancel { .. } => "order.cancel",
            OrderCommand::Return { .. } => "order.return",
        },
        Command::Interaction(InteractionCommand::Log(_)) => "interaction.log",
        Command::Feedback(FeedbackCommand::Give(_)) => "feedback.give",
        Command::Campaign(CampaignCommand::Create(_)) => "campaign.create",
        Command::User(c) => match c {
            UserCommand::Add(_) => "user.add",
            UserCommand::Rename { .. } => "user.rename",
            UserCommand::ChangeRole { .. } => "user.change_role",
            UserCommand::MoveToTeam { .. } => "user.move_to_team",
            UserCommand::Deactivate { .. } => "user.deactivate",
            UserCommand::Reactivate { .. } => "user.reactivate",
        },
        Command::Automation(c) => match c {
            AutomationCommand::Define(_) => "automation.define",
            AutomationCommand::Enable { .. } => "automation.enable",
            AutomationCommand::Disable { .. } => "automation.disable",
        },
        Command::Template(TemplateCommand::Save(_)) => "template.save",
        Command::Message(c) => match c {
            MessageCommand::Schedule(_) => "message.schedule",
            MessageCommand::Queue(_) => "message.queue",
            MessageCommand::Skip(_) => "message.skip",
            MessageCommand::Sent { .. } => "message.sent",
            MessageCommand::Failed { .. } => "message.failed",
            MessageCommand::Bounced { .. } => "message.bounced",
        },
        Command::Team(c) => match c {
            TeamCommand::Create { .. } => "team.create",
            TeamCommand::Rename { .. } => "team.rename",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_listed_once() {
        let mut names = COMMAND_NAMES.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), COMMAND_NAMES.len());
    }
}
