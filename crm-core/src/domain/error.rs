//! Why a command was rejected, in words a person understands, with the ids involved.

use chrono::NaiveDate;

use crate::ids::{
    CampaignId, CompanyId, ContactId, DealId, DocumentId, FeedbackId, InteractionId, OrderId,
    PipelineId, StageId, StreamId, TaskId, TeamId, UserId,
};
use crate::money::{Currency, Money};

/// A rejected command. Nothing was written. Each variant says what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DomainError {
    /// The contact does not exist. Check the id, or create the contact first.
    #[error("contact {contact_id} does not exist")]
    ContactNotFound {
        /// The missing contact.
        contact_id: ContactId,
    },
    /// A contact with this id already exists. Use an update instead.
    #[error("contact {contact_id} already exists")]
    ContactAlreadyExists {
        /// The existing contact.
        contact_id: ContactId,
    },
    /// The contact was merged into another and can no longer change. Edit the survivor.
    #[error("contact {contact_id} was merged into {survivor}; make changes on {survivor} instead")]
    ContactWasMerged {
        /// The merged contact.
        contact_id: ContactId,
        /// The contact it was merged into.
        survivor: ContactId,
    },
    /// A contact cannot be merged into itself.
    #[error("contact {contact_id} cannot be merged into itself")]
    MergeIntoSelf {
        /// The contact.
        contact_id: ContactId,
    },
    /// The company does not exist. Check the id, or create the company first.
    #[error("company {company_id} does not exist")]
    CompanyNotFound {
        /// The missing company.
        company_id: CompanyId,
    },
    /// A company with this id already exists. Use an update instead.
    #[error("company {company_id} already exists")]
    CompanyAlreadyExists {
        /// The existing company.
        company_id: CompanyId,
    },
    /// A name is required and the one given has no letters or digits.
    #[error("a {what} needs a name, and the one given has no letters or digits")]
    EmptyName {
        /// What needed the name: "contact" or "company".
        what: &'static str,
    },
    /// An email address is malformed.
    #[error("email {email:?} is not valid: {reason}")]
    InvalidEmail {
        /// The address as given.
        email: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A phone number has no usable digits.
    #[error("phone {phone:?} is not valid: it must have 1 to 15 digits")]
    InvalidPhone {
        /// The number as given.
        phone: String,
    },
    /// A tax id has no letters or digits.
    #[error("tax id {tax_id:?} is not valid: it has no letters or digits")]
    InvalidTaxId {
        /// The tax id as given.
        tax_id: String,
    },
    /// A tag is blank.
    #[error("tag {tag:?} is not valid: tags cannot be blank")]
    InvalidTag {
        /// The tag as given.
        tag: String,
    },
    /// A custom field key is blank.
    #[error("custom field {key:?} is not valid: field names cannot be blank")]
    InvalidCustomField {
        /// The key as given.
        key: String,
    },
    /// A document reference lacks a title or location.
    #[error("document {document_id} needs a title and a location")]
    InvalidDocument {
        /// The document.
        document_id: DocumentId,
    },
    /// A document with this id is already attached with different details.
    #[error("document {document_id} is already attached with different details")]
    DocumentConflict {
        /// The document.
        document_id: DocumentId,
    },
    /// The contact does not represent the company.
    #[error("contact {contact_id} is not linked to company {company_id}")]
    NotLinked {
        /// The contact.
        contact_id: ContactId,
        /// The company.
        company_id: CompanyId,
    },
    /// The pipeline does not exist. Check the id, or define the pipeline first.
    #[error("pipeline {pipeline_id} does not exist")]
    PipelineNotFound {
        /// The missing pipeline.
        pipeline_id: PipelineId,
    },
    /// A different pipeline with this id already exists.
    #[error("pipeline {pipeline_id} already exists")]
    PipelineAlreadyExists {
        /// The existing pipeline.
        pipeline_id: PipelineId,
    },
    /// A pipeline needs at least one stage.
    #[error("pipeline {pipeline_id} needs at least one stage")]
    PipelineWithoutStages {
        /// The pipeline.
        pipeline_id: PipelineId,
    },
    /// The stage is not part of the pipeline.
    #[error("stage {stage_id} is not a stage of pipeline {pipeline_id}")]
    UnknownStage {
        /// The pipeline.
        pipeline_id: PipelineId,
        /// The stage asked for.
        stage_id: StageId,
    },
    /// The stage was retired; no deal can enter it. Choose an active stage.
    #[error("stage {stage:?} ({stage_id}) is retired: no deal can enter it")]
    StageRetired {
        /// Its name.
        stage: String,
        /// Its id.
        stage_id: StageId,
    },
    /// A stage with this id is already in the pipeline.
    #[error("stage {stage_id} is already in the pipeline")]
    DuplicateStage {
        /// The stage.
        stage_id: StageId,
    },
    /// Another active stage already has this name.
    #[error("the pipeline already has an active stage named {name:?}")]
    StageNameTaken {
        /// The name.
        name: String,
    },
    /// A win probability above 100 %.
    #[error("stage {stage:?} has a win probability of {probability} %: it must be 0 to 100")]
    InvalidProbability {
        /// The stage's name.
        stage: String,
        /// The probability given.
        probability: u8,
    },
    /// A custom next action without a description.
    #[error("stage {stage:?} has a custom next action with no description")]
    InvalidAction {
        /// The stage's name.
        stage: String,
        /// The action as given.
        action: String,
    },
    /// A lost reason that is blank or listed twice.
    #[error("lost reason {reason:?} is blank or listed twice")]
    InvalidLostReason {
        /// The reason as given.
        reason: String,
    },
    /// A stage inserted beyond the end of the active stages.
    #[error("cannot insert a stage at position {index}: the pipeline has {active} active stages")]
    StageIndexOutOfRange {
        /// The position asked for.
        index: usize,
        /// How many active stages there are.
        active: usize,
    },
    /// A new order that does not list every active stage exactly once.
    #[error("the new order of pipeline {pipeline_id} must list each of its {expected} active stages exactly once")]
    StageOrderMismatch {
        /// The pipeline.
        pipeline_id: PipelineId,
        /// How many active stages there are.
        expected: usize,
    },
    /// The last active stage cannot be retired: open deals would have nowhere to be.
    #[error("stage {stage:?} is the pipeline's last active stage and cannot be retired")]
    LastActiveStage {
        /// Its name.
        stage: String,
    },
    /// A lost reason the pipeline does not list.
    #[error("{reason:?} is not a lost reason of this pipeline; choose one of: {}", known.join(", "))]
    UnknownLostReason {
        /// The reason given.
        reason: String,
        /// The pipeline's reasons.
        known: Vec<String>,
    },
    /// The deal does not exist.
    #[error("deal {deal_id} does not exist")]
    DealNotFound {
        /// The missing deal.
        deal_id: DealId,
    },
    /// A different deal with this id already exists.
    #[error("deal {deal_id} already exists")]
    DealAlreadyExists {
        /// The existing deal.
        deal_id: DealId,
    },
    /// A won or lost deal cannot change; reopen it first.
    #[error("deal {deal_id} is {status}: reopen it before changing it")]
    DealClosed {
        /// The deal.
        deal_id: DealId,
        /// "won" or "lost".
        status: String,
    },
    /// Only a won or lost deal can be reopened.
    #[error("deal {deal_id} is open: only a won or lost deal can be reopened")]
    DealNotClosed {
        /// The deal.
        deal_id: DealId,
    },
    /// A deal's amount keeps its currency, so pipeline totals never mix currencies.
    #[error("deal {deal_id} is in {from}: its amount cannot change to {to}")]
    CurrencyChange {
        /// The deal.
        deal_id: DealId,
        /// Its currency.
        from: Currency,
        /// The currency asked for.
        to: Currency,
    },
    /// Amounts (a deal, shipping, a campaign cost) cannot be negative.
    #[error("an amount cannot be negative ({amount})")]
    NegativeAmount {
        /// The amount given.
        amount: Money,
    },
    /// The task does not exist.
    #[error("task {task_id} does not exist")]
    TaskNotFound {
        /// The missing task.
        task_id: TaskId,
    },
    /// A different task with this id already exists.
    #[error("task {task_id} already exists with different details")]
    TaskAlreadyExists {
        /// The existing task.
        task_id: TaskId,
    },
    /// A completed or cancelled task cannot change.
    #[error("task {task_id} is {status} and can no longer change")]
    TaskClosed {
        /// The task.
        task_id: TaskId,
        /// "completed" or "cancelled".
        status: String,
    },
    /// The order does not exist.
    #[error("order {order_id} does not exist")]
    OrderNotFound {
        /// The missing order.
        order_id: OrderId,
    },
    /// A different order with this id already exists.
    #[error("order {order_id} already exists with different contents")]
    OrderAlreadyExists {
        /// The existing order.
        order_id: OrderId,
    },
    /// The order's state does not allow this step.
    #[error("cannot {action} order {order_id}: it is {state}")]
    OrderNotAllowed {
        /// The order.
        order_id: OrderId,
        /// What was attempted: "ship", "deliver", ...
        action: &'static str,
        /// The order's state in words.
        state: String,
    },
    /// An amount in another currency than the order's.
    #[error("order {order_id} is in {expected}, not {given}")]
    OrderCurrency {
        /// The order.
        order_id: OrderId,
        /// Its currency.
        expected: Currency,
        /// The currency given.
        given: Currency,
    },
    /// A payment or refund of zero or less.
    #[error("a payment or refund must be more than zero ({amount})")]
    NonPositiveAmount {
        /// The amount given.
        amount: Money,
    },
    /// A payment above what is still owed.
    #[error("order {order_id} has {outstanding} outstanding: a payment of {amount} is too much")]
    Overpayment {
        /// The order.
        order_id: OrderId,
        /// The payment.
        amount: Money,
        /// What is still owed.
        outstanding: Money,
    },
    /// A refund above what was paid and not yet refunded.
    #[error(
        "cannot refund {amount} on order {order_id}: only {refundable} was paid and not refunded"
    )]
    RefundExceedsPaid {
        /// The order.
        order_id: OrderId,
        /// The refund.
        amount: Money,
        /// Paid minus refunded so far.
        refundable: Money,
    },
    /// A line that cannot be sold.
    #[error("order line {product_id:?} is not valid: {reason}")]
    InvalidOrderLine {
        /// The line's product.
        product_id: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// Lines in different currencies, or amounts too large to add up.
    #[error("the amounts of order {order_id} do not add up: {reason}")]
    OrderAmounts {
        /// The order.
        order_id: OrderId,
        /// Why.
        reason: String,
    },
    /// A return of nothing.
    #[error("a return on order {order_id} must name at least one line")]
    EmptyReturn {
        /// The order.
        order_id: OrderId,
    },
    /// More units returned than were delivered and not yet returned.
    #[error("cannot take back {quantity} of {product_id:?} on order {order_id}: {returnable} can still be returned")]
    ReturnExceedsDelivered {
        /// The order.
        order_id: OrderId,
        /// The product.
        product_id: String,
        /// Units asked to return.
        quantity: u32,
        /// Units delivered and not yet returned.
        returnable: u32,
    },
    /// The campaign does not exist.
    #[error("campaign {campaign_id} does not exist")]
    CampaignNotFound {
        /// The missing campaign.
        campaign_id: CampaignId,
    },
    /// A different campaign with this id already exists.
    #[error("campaign {campaign_id} already exists with different details")]
    CampaignAlreadyExists {
        /// The existing campaign.
        campaign_id: CampaignId,
    },
    /// A campaign that ends before it starts.
    #[error("a campaign cannot end ({ends}) before it starts ({starts})")]
    CampaignPeriod {
        /// First day given.
        starts: NaiveDate,
        /// Last day given.
        ends: NaiveDate,
    },
    /// A score outside its scale.
    #[error("{what} scores from {min} to {max}, not {score}")]
    ScoreOutOfRange {
        /// "a review", "an NPS answer", "a CES answer".
        what: &'static str,
        /// The score given.
        score: u8,
        /// The lowest allowed.
        min: u8,
        /// The highest allowed.
        max: u8,
    },
    /// Feedback with this id was already given, with other answers.
    #[error("feedback {feedback_id} was already given with other answers")]
    FeedbackAlreadyGiven {
        /// The feedback.
        feedback_id: FeedbackId,
    },
    /// An interaction with this id was already logged, with other details.
    #[error("interaction {interaction_id} was already logged with other details")]
    InteractionAlreadyLogged {
        /// The interaction.
        interaction_id: InteractionId,
    },
    /// A template does not compile, or does not render for a sample customer.
    #[error("template {name:?} is refused{}: {reason}", line.map(|l| format!(" at line {l}")).unwrap_or_default())]
    BrokenTemplate {
        /// The template's name.
        name: String,
        /// The line, when the error has one.
        line: Option<usize>,
        /// Why.
        reason: String,
    },
    /// The message was never scheduled.
    #[error("message {message_id} was never scheduled")]
    MessageNotFound {
        /// The message.
        message_id: crate::ids::MessageId,
    },
    /// The message is not where the report says it is (sent before it was queued, bounced
    /// before it was sent, failed more often than a sender tries).
    #[error("message {message_id} is {state}: that cannot be reported of it now")]
    MessageState {
        /// The message.
        message_id: crate::ids::MessageId,
        /// Where it is.
        state: crate::domain::message::MessageState,
    },
    /// A failure or bounce was reported without saying why.
    #[error("a failure or bounce of message {message_id} needs a reason")]
    EmptyMessageReason {
        /// The message.
        message_id: crate::ids::MessageId,
    },
    /// The automation rule was never defined.
    #[error("automation rule {rule_id} does not exist")]
    RuleNotFound {
        /// The rule.
        rule_id: crate::ids::RuleId,
    },
    /// The contact was erased: nothing changes them any more.
    #[error("contact {contact_id} was erased; their record can no longer change")]
    ContactErased {
        /// The contact.
        contact_id: ContactId,
    },
    /// The store keeps personal data in clear: erasing would leave the person in the log.
    #[error("contact {contact_id} cannot be erased here: this store keeps personal data in clear; wrap it in crypto::Encrypted")]
    ErasureUnsupported {
        /// The contact.
        contact_id: ContactId,
    },
    /// Only what an import creates can be withdrawn.
    #[error("stream {stream} cannot be withdrawn: only imported contacts, companies, deals, orders, interactions, campaigns and feedback can")]
    NotWithdrawable {
        /// The stream.
        stream: crate::ids::StreamId,
    },
    /// An erasure needs a reason.
    #[error("erasing contact {contact_id} needs a reason (the request and its date)")]
    EmptyReason {
        /// The contact.
        contact_id: ContactId,
    },
    /// A command carried personal data in its sealed form (copied from a stored event whose
    /// subject's key this store does not hold): a command brings data in clear.
    #[error("the command's {field} is sealed personal data; a command must carry it in clear")]
    SealedInput {
        /// Which field.
        field: &'static str,
    },
    /// An interaction without a subject.
    #[error("interaction {interaction_id} needs a subject")]
    EmptySubject {
        /// The interaction.
        interaction_id: InteractionId,
    },
    /// Only a contact that arrived as a lead is converted.
    #[error("contact {contact_id} did not arrive as a lead, so there is no lead to convert")]
    NotALead {
        /// The contact.
        contact_id: ContactId,
    },
    /// A lead is converted once; this conversion names another company or deal.
    #[error("lead {contact_id} was already converted, into another company or deal")]
    LeadAlreadyConverted {
        /// The lead.
        contact_id: ContactId,
    },
    /// A contact's first touch is recorded once; this one differs from it.
    #[error("contact {contact_id} already has a different first-touch source")]
    FirstTouchAlreadyRecorded {
        /// The contact.
        contact_id: ContactId,
    },
    /// An inbound message from an unknown sender that names no email or phone to reach them.
    #[error("message {message_id:?} comes from an unknown sender and names no email address or phone number")]
    UnknownSender {
        /// The message's id in its source system.
        message_id: String,
    },
    /// An event was meant for another stream than its aggregate's: a `ContactCreated` in a
    /// deal's stream, or in another contact's. No command produces this; an import can.
    #[error("a {event_type} event belongs in stream {expected}, not in {stream}")]
    WrongStream {
        /// The event's type.
        event_type: &'static str,
        /// Where it was to be written.
        stream: StreamId,
        /// Its aggregate's stream.
        expected: StreamId,
    },
    /// An amount in a currency that ISO 4217 does not list.
    #[error("{field} is in {currency}, which is not an ISO 4217 currency")]
    UnknownCurrency {
        /// Which field.
        field: &'static str,
        /// The code given.
        currency: Currency,
    },
    /// A value outside the range the CRM accepts (see `crate::validate` for each bound).
    #[error("{field} is {value}: {rule}")]
    OutOfBounds {
        /// Which field.
        field: &'static str,
        /// The value given (shortened when long).
        value: String,
        /// The rule it breaks.
        rule: &'static str,
    },
    /// The user does not exist. Add them first (`crm users add`).
    #[error("user {user_id} does not exist")]
    UserNotFound {
        /// The missing user.
        user_id: UserId,
    },
    /// A user with this id already exists with other details. Rename or change their role.
    #[error("user {user_id} already exists with other details")]
    UserAlreadyExists {
        /// The existing user.
        user_id: UserId,
    },
    /// The team does not exist. Create it first.
    #[error("team {team_id} does not exist")]
    TeamNotFound {
        /// The missing team.
        team_id: TeamId,
    },
    /// A team with this id already exists under another name. Rename it instead.
    #[error("team {team_id} already exists under another name")]
    TeamAlreadyExists {
        /// The existing team.
        team_id: TeamId,
    },
    /// An integration was granted a command that does not exist.
    #[error("{grant:?} is not a command name an integration can be granted")]
    UnknownGrant {
        /// The name given.
        grant: String,
    },
}
