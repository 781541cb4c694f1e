//! How commands are carried out and queries served: [`Crm`].

mod as_of;
mod explain;
mod live_views;
mod together;
mod views_snapshots;

use live_views::LiveViews;
pub(crate) use together::Batch;
pub use views_snapshots::SnapshotReport;
use views_snapshots::SnapshotState;

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};

use crate::access::{self, Action, Authorizer, Denied, OwnedBy, Owner, Principal, Roles, Target};
use crate::clock::{Clock, IdSource, RandomIds, SystemClock};
use crate::domain::automation::{AutomationCommand, AutomationRule};
use crate::domain::campaign::{Campaign, CampaignCommand};
use crate::domain::company::{Company, CompanyCommand};
use crate::domain::contact::{Contact, ContactCommand};
use crate::domain::deal::{Deal, DealCommand, DealDecision};
use crate::domain::feedback::{Feedback, FeedbackCommand};
use crate::domain::interaction::{Interaction, InteractionCommand};
use crate::domain::message::{Message, MessageCommand};
use crate::domain::order::{Order, OrderCommand};
use crate::domain::pipeline::{Pipeline, PipelineCommand};
use crate::domain::task::{Task, TaskCommand};
use crate::domain::template::{Template, TemplateCommand};
use crate::domain::user::{Team, TeamCommand, User, UserCommand};
use crate::domain::{Aggregate, DomainError, Requirement};
use crate::error::Error;
use crate::event::{Actor, Event, Metadata, NewEvent, RecordedEvent};
use crate::ids::{CommandId, CorrelationId, CustomerId, EventId, StreamId, UserId};
use crate::normalize::Country;
use crate::policy::{self, Policy, PolicyFailure, Runner, StageTasks, IMPORTED_THROUGH};
use crate::projection::Views;
use crate::state_cache::StateCache;
use crate::store::{EventStore, ExpectedVersion, Snapshot, StoreError};

macro_rules! commands {
    ($($(#[$doc:meta])* $variant:ident($command:ty)),* $(,)?) => {
        /// Any command the CRM accepts.
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum Command {
            $($(#[$doc])* $variant($command),)*
        }

        $(
            impl From<$command> for Command {
                fn from(c: $command) -> Self {
                    Self::$variant(c)
                }
            }
        )*
    };
}

commands! {
    /// A command for a contact.
    Contact(ContactCommand),
    /// A command for a company.
    Company(CompanyCommand),
    /// A command for a sales pipeline.
    Pipeline(PipelineCommand),
    /// A command for a deal.
    Deal(DealCommand),
    /// A command for a task.
    Task(TaskCommand),
    /// A command for an order.
    Order(OrderCommand),
    /// A command for an interaction.
    Interaction(InteractionCommand),
    /// A command for feedback.
    Feedback(FeedbackCommand),
    /// A command for a campaign.
    Campaign(CampaignCommand),
    /// A command for a user of the CRM.
    User(UserCommand),
    /// A command for a team of users.
    Team(TeamCommand),
    /// A command for an automation rule.
    Automation(AutomationCommand),
    /// A command for a message an automation sends.
    Message(MessageCommand),
    /// A command for a message template.
    Template(TemplateCommand),
}

/// How many reactions a policy may run ahead of its saved checkpoint when it wrote nothing:
/// saving costs a flush on a durable store, and a lost checkpoint only costs replaying
/// reactions, which are idempotent.
const POLICY_CHECKPOINT_EVERY: u64 = 4096;

/// How many rejected reactions `Crm::policy_failures` keeps (the newest).
const KEPT_POLICY_FAILURES: usize = 1000;

/// Who issues a command, and when it happened in the world.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// Who or what issues it.
    pub actor: Actor,
    /// Business time; the clock's now if `None`. Imports set it from the source system.
    pub occurred_at: Option<DateTime<Utc>>,
    /// Ties this command to others of the same request; a fresh one if `None`.
    pub correlation_id: Option<CorrelationId>,
    /// The event this command reacts to, for automations.
    pub causation_id: Option<EventId>,
    /// The command's idempotency key. Set it to retry safely: a command carried out under
    /// this id before returns that outcome instead of writing again (see [`CommandId`]).
    /// Absent, the command's events get fresh ids and a retry writes them again.
    pub command_id: Option<CommandId>,
    /// The import run and source row, for a command a CSV import issued.
    pub import: Option<crate::event::ImportRow>,
}

impl Request {
    /// A request by `actor`, happening now.
    pub fn by(actor: Actor) -> Self {
        Self {
            actor,
            occurred_at: None,
            correlation_id: None,
            causation_id: None,
            command_id: None,
            import: None,
        }
    }

    /// Sets the import run and source row the command came from.
    pub fn from_row(mut self, import: crate::event::ImportRow) -> Self {
        self.import = Some(import);
        self
    }

    /// Sets the idempotency key.
    pub fn with_command_id(mut self, command_id: CommandId) -> Self {
        self.command_id = Some(command_id);
        self
    }

    /// Sets the business time.
    pub fn at(mut self, occurred_at: DateTime<Utc>) -> Self {
        self.occurred_at = Some(occurred_at);
        self
    }
}

/// Tuning for a [`Crm`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrmOptions {
    /// How many times a command is decided again after a concurrency conflict.
    pub max_retries: u32,
    /// A snapshot is stored each time a stream crosses a multiple of this many events, so
    /// loading an aggregate never replays more than this many.
    pub snapshot_every: u64,
    /// Events per read when loading streams and catching projections up.
    pub read_batch: usize,
    /// The country that phone searches without an international prefix are read in.
    pub default_country: Option<Country>,
    /// How many aggregate states to keep in memory between commands (0: none). A miss costs
    /// a snapshot load; a hit is checked against the stream, so it is never stale.
    pub state_cache: usize,
    /// Whether policies react after every command (see [`Crm::react`]). Turn it off for a
    /// bulk import, and call `react` once at the end.
    pub run_policies: bool,
    /// The shop's time zone: where "09:00 on the customer's birthday" is.
    pub zone: chrono_tz::Tz,
    /// At most this many marketing messages go to one person in any seven days (`None`: no
    /// cap); [`Crm::run_due`] skips the rest as capped.
    pub marketing_per_week: Option<u32>,
    /// The shop's unsubscribe page, `{token}` standing for the message id (see
    /// [`crate::outbox`]); without one, marketing email asks for a reply with UNSUBSCRIBE.
    pub unsubscribe_url: Option<String>,
    /// The shop's rule for transactional messages (see [`crate::outbox::Transactional`]).
    pub transactional: crate::outbox::Transactional,
    /// A snapshot of the views is saved whenever the log has grown this many events past
    /// the last one (0: only on demand and on [`Crm::close`]), by the catch-up — a command's,
    /// or an open's when it reaches the head — that finds it due. Saving costs an encoding of
    /// the whole views.
    pub views_snapshot_every: u64,
    /// Whether a catch-up still short of the head (the first open of a long log) saves a
    /// snapshot at every mark it passes, for time travel into the past it replays; without,
    /// it saves one when it reaches the head. `crm import` sets it.
    pub views_snapshots_while_replaying: bool,
    /// How many snapshots of the views a store keeps (at least 1): the newest, and older ones
    /// spread over the log for time travel (see [`crate::projection::snapshot::to_prune`]).
    pub views_snapshots_kept: usize,
}

impl Default for CrmOptions {
    fn default() -> Self {
        Self {
            max_retries: 8,
            snapshot_every: 64,
            read_batch: 512,
            default_country: None,
            state_cache: 10_000,
            run_policies: true,
            zone: chrono_tz::UTC,
            marketing_per_week: Some(3),
            unsubscribe_url: None,
            transactional: crate::outbox::Transactional::Always,
            views_snapshot_every: 100_000,
            views_snapshots_while_replaying: false,
            views_snapshots_kept: 8,
        }
    }
}

impl CrmOptions {
    /// The options as a `Crm` uses them: values that would hang or misbehave are clamped —
    /// `read_batch` to 1..=65536 (0 would read nothing forever), `snapshot_every` to at
    /// least 1, `max_retries` to at most 1000.
    pub fn clamped(self) -> Self {
        Self {
            max_retries: self.max_retries.min(1000),
            snapshot_every: self.snapshot_every.max(1),
            read_batch: self.read_batch.clamp(1, 65_536),
            ..self
        }
    }
}

/// What an accepted command did.
#[derive(Debug, Clone, PartialEq)]
pub struct Executed {
    /// The stream written to.
    pub stream: StreamId,
    /// The stream's version after the command.
    pub version: u64,
    /// The global position of the command's last event (0 when it wrote none): pass it to
    /// another instance's [`Crm::wait_for`] to read what this command wrote there.
    pub position: u64,
    /// The events written; empty when the command changed nothing.
    pub events: Vec<Event>,
    /// True when a command with the same [`Request::command_id`] was carried out before:
    /// `events` are what that first attempt wrote, and nothing was written now.
    pub repeated: bool,
}

impl Executed {
    /// Whether this call wrote events (not a no-op, not a repeat).
    pub fn wrote(&self) -> bool {
        !self.events.is_empty() && !self.repeated
    }
}

/// The CRM over an event store: executes commands and serves queries from projections.
///
/// Projections live in memory and are rebuilt from the log when a `Crm` is opened
/// ([`Crm::catch_up`]); the log is the only source of truth.
pub struct Crm<S> {
    store: S,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdSource>,
    options: CrmOptions,
    views: LiveViews,
    states: StateCache,
    policies: futures_util::lock::Mutex<Vec<Runner>>,
    /// What each policy may issue, by name: read while `policies` is locked by `react`.
    grants: HashMap<String, Vec<&'static str>>,
    authorizer: Arc<dyn Authorizer>,
    policy_failures: Mutex<Vec<PolicyFailure>>,
    /// The batch the projections read last, for the policies to react to without reading it
    /// again, and whether it reached the head of the log when it was read.
    recent: Mutex<(Arc<Vec<RecordedEvent>>, bool)>,
    snapshots: Mutex<SnapshotState>,
}

impl<S: EventStore> Crm<S> {
    /// A CRM on `store` with the system clock and random ids. Call [`Crm::catch_up`] before
    /// querying a store that already holds events.
    pub fn new(store: S) -> Self {
        Self::with(
            store,
            Arc::new(SystemClock),
            Arc::new(RandomIds),
            CrmOptions::default(),
        )
    }

    /// A CRM with an injected clock, id source and options: deterministic in tests. It runs
    /// the [`StageTasks`] policy; add others with [`Crm::with_policy`].
    pub fn with(
        store: S,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdSource>,
        options: CrmOptions,
    ) -> Self {
        let options = options.clamped();
        let stage_tasks = StageTasks::new();
        let automations = policy::Automations::new();
        let grants = HashMap::from([
            (stage_tasks.name().to_owned(), stage_tasks.grant()),
            (automations.name().to_owned(), automations.grant()),
        ]);
        Self {
            store,
            clock,
            ids,
            views: LiveViews::new(Views::new(options.default_country)),
            states: StateCache::new(options.state_cache),
            options,
            policies: futures_util::lock::Mutex::new(vec![
                Runner::new(Box::new(stage_tasks)),
                Runner::new(Box::new(automations)),
            ]),
            grants,
            authorizer: Arc::new(Roles),
            policy_failures: Mutex::new(Vec::new()),
            recent: Mutex::default(),
            snapshots: Mutex::default(),
        }
    }

    /// The same CRM with one more policy reacting to events.
    pub fn with_policy(mut self, policy: impl Policy + 'static) -> Self {
        self.grants.insert(policy.name().to_owned(), policy.grant());
        self.policies.get_mut().push(Runner::new(Box::new(policy)));
        self
    }

    /// The same CRM deciding who may do what with `authorizer` instead of [`Roles`].
    pub fn with_authorizer(mut self, authorizer: impl Authorizer + 'static) -> Self {
        self.authorizer = Arc::new(authorizer);
        self
    }

    /// Loads the latest usable snapshot of the views, if the store holds one (see
    /// [`Crm::snapshot_report`]), and catches up from there: what [`Crm::open`] does, for a
    /// `Crm` made with [`Crm::with`]. Returns the position caught up to.
    pub async fn resume(&mut self) -> Result<u64, Error> {
        self.open_from_snapshot().await?;
        self.catch_up().await
    }

    /// A CRM on a store that may hold events, with projections already caught up: from the
    /// latest usable snapshot of the views, and the events after it.
    pub async fn open(store: S) -> Result<Self, Error> {
        Self::open_with(store, CrmOptions::default()).await
    }

    /// [`Crm::open`] with `options`.
    pub async fn open_with(store: S, options: CrmOptions) -> Result<Self, Error> {
        let mut crm = Self::with(store, Arc::new(SystemClock), Arc::new(RandomIds), options);
        crm.resume().await?;
        Ok(crm)
    }

    /// [`Crm::open_with`], starting from `decoded` — the views of a snapshot decoded while
    /// the store opened — when it is usable: it is checked against the log as a snapshot
    /// loaded here would be, and when it is not, the store's own snapshots are tried instead.
    pub async fn open_decoded(
        store: S,
        options: CrmOptions,
        decoded: crate::projection::snapshot::Decoded,
    ) -> Result<Self, Error> {
        let mut crm = Self::with(store, Arc::new(SystemClock), Arc::new(RandomIds), options);
        crm.open_from_decoded(decoded).await?;
        crm.catch_up().await?;
        Ok(crm)
    }

    /// The underlying store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Carries out `command` on behalf of `actor`, happening now.
    pub async fn execute(
        &self,
        actor: &Actor,
        command: impl Into<Command>,
    ) -> Result<Executed, Error> {
        self.execute_request(Request::by(actor.clone()), command.into())
            .await
    }

    /// Carries out `command` with full control of the request's metadata and business time.
    ///
    /// Loads the aggregate (latest snapshot plus the events after it), checks what the
    /// command needs of other aggregates, decides, and appends with the loaded version. On a
    /// conflict it reloads and decides again, at most `max_retries` times. A rejected command
    /// writes nothing. Projections catch up, and policies react, before this returns.
    pub async fn execute_request(
        &self,
        request: Request,
        command: Command,
    ) -> Result<Executed, Error> {
        let executed = self.execute_once(request, command, None).await?;
        if self.options.run_policies && executed.wrote() {
            // The command is committed whatever happens here; the reactions it missed are
            // carried out by the next call to `react`.
            if let Err(error) = self.react().await {
                tracing::warn!(%error, "policies could not react after a command");
            }
        }
        Ok(executed)
    }

    /// Decides `command` as [`Crm::execute_request`] would — the same access rules,
    /// requirements and deciders — on the store's state plus what earlier rehearsals in
    /// `rehearsal` decided, and keeps its events there instead of writing them. A dry run's
    /// way of refusing exactly what the real run would.
    pub(crate) async fn rehearse_request(
        &self,
        request: Request,
        command: Command,
        rehearsal: &Rehearsal,
    ) -> Result<Executed, Error> {
        self.execute_once(request, command, Some(rehearsal)).await
    }

    async fn execute_once(
        &self,
        request: Request,
        command: Command,
        rehearsal: Option<&Rehearsal>,
    ) -> Result<Executed, Error> {
        let (metadata, occurred_at) = self.stamp(&request);
        let mut ids = EventIds(request.command_id);
        if let Some(command_id) = request.command_id {
            if let Some(done) = rehearsal.and_then(|r| r.repeated(command_id, &command)) {
                return Ok(done);
            }
            match self.carried_out(command_id, target(&command)).await? {
                Prior::Done(done) => return Ok(done),
                Prior::Fresh(command_id) => ids = EventIds(Some(command_id)),
            }
        }
        if let Command::Contact(ContactCommand::Erase { contact_id, .. }) = &command {
            if !self.store.seals_personal_data() {
                return Err(DomainError::ErasureUnsupported {
                    contact_id: *contact_id,
                }
                .into());
            }
        }
        let access = self.access(&metadata.actor, &command).await?;
        let write = Write {
            metadata: &metadata,
            occurred_at,
            ids,
            access: access.as_ref(),
            rehearsal,
        };
        let attempts = self.options.max_retries + 1;
        let mut executed = None;
        for _ in 0..attempts {
            // Re-read on every attempt: what made us conflict may have changed them too.
            for requirement in requirements(&command) {
                self.check(requirement, rehearsal).await?;
            }
            executed = match &command {
                Command::Contact(c) => self.attempt::<Contact>(c.contact_id(), c, &write).await?,
                Command::Company(c) => self.attempt::<Company>(c.company_id(), c, &write).await?,
                Command::Pipeline(c) => {
                    self.attempt::<Pipeline>(c.pipeline_id(), c, &write).await?
                }
                Command::Deal(c) => {
                    let decision = DealDecision {
                        command: c.clone(),
                        pipeline: self.pipeline_of(c, rehearsal).await?,
                    };
                    self.attempt::<Deal>(c.deal_id(), &decision, &write).await?
                }
                Command::Task(c) => self.attempt::<Task>(c.task_id(), c, &write).await?,
                Command::Order(c) => self.attempt::<Order>(c.order_id(), c, &write).await?,
                Command::Interaction(c) => {
                    self.attempt::<Interaction>(c.interaction_id(), c, &write)
                        .await?
                }
                Command::Feedback(c) => {
                    self.attempt::<Feedback>(c.feedback_id(), c, &write).await?
                }
                Command::Campaign(c) => {
                    self.attempt::<Campaign>(c.campaign_id(), c, &write).await?
                }
                Command::User(c) => self.attempt::<User>(c.user_id(), c, &write).await?,
                Command::Team(c) => self.attempt::<Team>(c.team_id(), c, &write).await?,
                Command::Automation(c) => {
                    self.attempt::<AutomationRule>(c.rule_id(), c, &write)
                        .await?
                }
                Command::Message(c) => self.attempt::<Message>(c.message_id(), c, &write).await?,
                Command::Template(c) => {
                    self.attempt::<Template>(c.template_id(), c, &write).await?
                }
            };
            if executed.is_some() {
                break;
            }
        }
        let Some(executed) = executed else {
            return Err(Error::TooManyConflicts {
                stream: target(&command),
                attempts,
            });
        };
        if let (Some(rehearsal), Some(command_id)) = (rehearsal, request.command_id) {
            rehearsal.carried_out(command_id, &executed);
        }
        if !executed.events.is_empty() && rehearsal.is_none() {
            // The command is committed whatever happens here; a lagging projection is caught
            // up by the next call and reported by `catch_up`.
            if let Err(error) = self.catch_up().await {
                tracing::warn!(%error, "projections could not catch up after a command");
            }
        }
        Ok(executed)
    }

    /// The metadata and business time a request's events carry.
    fn stamp(&self, request: &Request) -> (Metadata, DateTime<Utc>) {
        let metadata = Metadata {
            actor: request.actor.clone(),
            correlation_id: Some(
                request
                    .correlation_id
                    .unwrap_or_else(|| self.ids.correlation_id()),
            ),
            causation_id: request.causation_id,
            import: request.import,
        };
        (
            metadata,
            request.occurred_at.unwrap_or_else(|| self.clock.now()),
        )
    }

    /// What the rules are asked about `command` by `actor`; `None` for a program, which the
    /// rules do not restrict.
    async fn access(&self, actor: &Actor, command: &Command) -> Result<Option<Access>, Error> {
        Ok(match self.principal(actor).await? {
            Principal::Program(_) => None,
            principal => Some(Access {
                principal,
                action: Action::of(command),
                claimed: access::claimed(command),
                new_owner: access::new_owner(command),
            }),
        })
    }

    /// The pipeline a deal command decides with: the one named when opening, else the deal's.
    async fn pipeline_of(
        &self,
        command: &DealCommand,
        rehearsal: Option<&Rehearsal>,
    ) -> Result<Pipeline, Error> {
        let pipeline_id = match command {
            DealCommand::Open(open) => open.pipeline_id,
            other => {
                let deal_id = other.deal_id();
                let (deal, _) = self.load_in::<Deal>(deal_id, rehearsal).await?;
                deal.pipeline_id()
                    .ok_or(DomainError::DealNotFound { deal_id })?
            }
        };
        Ok(self.load::<Pipeline>(pipeline_id).await?.0)
    }

    async fn check(
        &self,
        requirement: Requirement,
        rehearsal: Option<&Rehearsal>,
    ) -> Result<(), Error> {
        match requirement {
            Requirement::CompanyExists(id)
            | Requirement::CustomerExists(CustomerId::Company(id)) => self
                .load_in::<Company>(id, rehearsal)
                .await?
                .0
                .require_exists(id)?,
            Requirement::ContactActive(id)
            | Requirement::CustomerExists(CustomerId::Contact(id)) => self
                .load_in::<Contact>(id, rehearsal)
                .await?
                .0
                .require_active(id)?,
            Requirement::DealExists(id) => self
                .load_in::<Deal>(id, rehearsal)
                .await?
                .0
                .require_exists(id)
                .map(|_| ())?,
            Requirement::OrderExists(id) => self
                .load_in::<Order>(id, rehearsal)
                .await?
                .0
                .require_exists(id)?,
            Requirement::CampaignExists(id) => self
                .load_in::<Campaign>(id, rehearsal)
                .await?
                .0
                .require_exists(id)?,
            Requirement::TeamExists(id) => self
                .load_in::<Team>(id, rehearsal)
                .await?
                .0
                .require_exists(id)?,
        }
        Ok(())
    }

    /// [`Crm::load`], then what a rehearsal decided on the stream since.
    async fn load_in<A: Aggregate>(
        &self,
        id: A::Id,
        rehearsal: Option<&Rehearsal>,
    ) -> Result<(A, u64), Error> {
        let (mut state, mut version) = self.load::<A>(id).await?;
        if let Some(rehearsal) = rehearsal {
            version += rehearsal.fold(&id.into(), &mut state);
        }
        Ok((state, version))
    }

    /// Runs every policy over the events it has not reacted to yet, carrying out the commands
    /// they call for — and reacting to those commands' events in turn, until nothing more
    /// happens. Returns how many commands changed something.
    ///
    /// `execute` calls this after every command unless [`CrmOptions::run_policies`] is off.
    /// A policy starts from its checkpoint (the start of the log the first time); a command
    /// a policy issues that is rejected, or refused by the authorizer, is recorded in
    /// [`Crm::policy_failures`] and skipped.
    pub async fn react(&self) -> Result<usize, Error> {
        let mut runners = self.policies.lock().await;
        // Read on every call: an import may have run since, in this process or before it.
        let imported = self.store.load_checkpoint(IMPORTED_THROUGH).await?;
        let mut total = 0;
        loop {
            let mut issued = 0;
            for runner in runners.iter_mut() {
                issued += self.run_policy(runner, imported).await?;
            }
            total += issued;
            if issued == 0 {
                return Ok(total);
            }
        }
    }

    /// Reactions that were rejected or refused, oldest first (at most the last thousand).
    pub fn policy_failures(&self) -> Vec<PolicyFailure> {
        lock(&self.policy_failures).clone()
    }

    async fn run_policy(&self, runner: &mut Runner, imported: Option<u64>) -> Result<usize, Error> {
        if runner.needs_checkpoint() {
            let name = runner.checkpoint_name();
            runner.start_from_checkpoint(self.store.load_checkpoint(&name).await?.unwrap_or(0));
        }
        if let Some(imported) = imported {
            runner.reacted_through(imported);
        }
        let batch = self.options.read_batch;
        let mut issued = 0;
        loop {
            let (events, full) = self.events_from(runner.next_position(), batch).await?;
            for event in events.iter() {
                let Some(commands) = runner.see(event) else {
                    continue;
                };
                for (index, command) in commands.into_iter().enumerate() {
                    let request = reaction_to(runner.policy.name(), event, index);
                    match self.execute_once(request, command, None).await {
                        Ok(executed) => issued += usize::from(executed.wrote()),
                        // A refused reaction is the policy's mistake, like a rejected one:
                        // recorded and skipped, or every later `react` would stop at it.
                        Err(refused @ (Error::Domain(_) | Error::Denied(_))) => {
                            self.record_failure(runner.policy.name(), event, &refused)
                        }
                        Err(other) => return Err(other),
                    }
                }
                runner.reacted(event.position);
            }
            if !full {
                break;
            }
        }
        if let Some(position) = runner.unsaved(issued > 0, POLICY_CHECKPOINT_EVERY) {
            self.store
                .save_checkpoint(&runner.checkpoint_name(), position)
                .await?;
            runner.saved(position);
        }
        Ok(issued)
    }

    /// The events from `position` on, at most `batch`, and whether there may be more: from
    /// the batch the projections last read when it holds them (a command's own events, just
    /// caught up), else from the store.
    ///
    /// A shared batch that reached the head when it was read ends the policy's pass: what was
    /// appended since by other writers is reacted to on the next call, as it would be had it
    /// come a moment later, and the store is not asked again after every command.
    async fn events_from(&self, position: u64, batch: usize) -> Result<(Events, bool), Error> {
        let (recent, at_head) = {
            let recent = lock(&self.recent);
            (Arc::clone(&recent.0), recent.1)
        };
        if let Some(start) = recent
            .first()
            .and_then(|first| position.checked_sub(first.position))
            .and_then(|offset| usize::try_from(offset).ok())
            .filter(|&offset| offset < recent.len())
        {
            return Ok((Events::Shared(recent, start), !at_head));
        }
        let events = self.store.read_all(position, batch).await?;
        let full = events.len() == batch;
        Ok((Events::Read(events), full))
    }

    fn record_failure(&self, policy: &str, event: &RecordedEvent, rejected: &Error) {
        tracing::warn!(policy, position = event.position, %rejected, "a policy's command was rejected");
        let mut failures = lock(&self.policy_failures);
        if failures.len() == KEPT_POLICY_FAILURES {
            failures.remove(0);
        }
        failures.push(PolicyFailure {
            policy: policy.to_owned(),
            position: event.position,
            error: rejected.to_string(),
        });
    }

    /// The outcome of the command carried out under `command_id` before, if there was one:
    /// its events, read back from `stream`. A command of an import whose record was withdrawn
    /// since (the import reverted) counts as not carried out: it runs again, under the id
    /// [`CommandId::after_withdrawal`] derives, so a reverted file can be imported anew.
    async fn carried_out(&self, command_id: CommandId, stream: StreamId) -> Result<Prior, Error> {
        let mut command_id = command_id;
        loop {
            match self.carried_out_once(command_id, &stream).await? {
                Some((done, import)) => match import {
                    Some(import) if self.withdrawn(&stream, done.version, import).await? => {
                        command_id = command_id.after_withdrawal();
                    }
                    _ => return Ok(Prior::Done(done)),
                },
                None => return Ok(Prior::Fresh(command_id)),
            }
        }
    }

    /// Whether `stream` was withdrawn with `import` after `version`.
    async fn withdrawn(
        &self,
        stream: &StreamId,
        version: u64,
        import: crate::ids::ImportId,
    ) -> Result<bool, Error> {
        let mut from = version + 1;
        loop {
            let batch = self
                .store
                .read_stream(stream, from, self.options.read_batch)
                .await?;
            if batch
                .iter()
                .any(|r| matches!(&r.event, Event::RecordWithdrawn(w) if w.import_id == import))
            {
                return Ok(true);
            }
            match batch.last() {
                Some(last) if batch.len() == self.options.read_batch => from = last.version + 1,
                _ => return Ok(false),
            }
        }
    }

    /// The command's events under exactly `command_id`, and the import they came from.
    async fn carried_out_once(
        &self,
        command_id: CommandId,
        stream: &StreamId,
    ) -> Result<Option<(Executed, Option<crate::ids::ImportId>)>, Error> {
        let stream = stream.clone();
        let Some(first) = self.store.locate(command_id.event_id(0)).await? else {
            return Ok(None);
        };
        if first.stream != stream {
            return Err(Error::CommandIdReused {
                command_id,
                used_on: first.stream,
                stream,
            });
        }
        let mut events = Vec::new();
        let mut import = None;
        let mut version = first.version.saturating_sub(1);
        let mut position = first.position;
        'read: loop {
            let batch = self
                .store
                .read_stream(&stream, version + 1, self.options.read_batch)
                .await?;
            let full = batch.len() == self.options.read_batch;
            for recorded in batch {
                if recorded.id != command_id.event_id(events.len()) {
                    break 'read;
                }
                if events.is_empty() {
                    import = recorded.metadata.import.map(|i| i.import_id);
                }
                events.push(recorded.event);
                version = recorded.version;
                position = recorded.position;
            }
            if !full {
                break;
            }
        }
        let done = Executed {
            stream,
            version,
            position,
            events,
            repeated: true,
        };
        Ok(Some((done, import)))
    }

    /// Decides `command` on the aggregate as it stands and appends the events; `None` when
    /// another writer got there first (a conflict: decide again).
    async fn attempt<A: Aggregate>(
        &self,
        id: A::Id,
        command: &A::Command,
        write: &Write<'_>,
    ) -> Result<Option<Executed>, Error> {
        let stream: StreamId = id.into();
        if let Some(rehearsal) = write.rehearsal {
            let (state, version) = self.load_in::<A>(id, Some(rehearsal)).await?;
            let events = self.decide(&stream, &state, command, write).await?;
            rehearsal.decided(&stream, events.iter().cloned());
            return Ok(Some(unwritten(stream, version, events)));
        }
        // Out of the cache while deciding, and put back with the command's events folded in:
        // a command costs no copy of the state.
        let (mut state, version) = self.load_state::<A>(id, Keep::Out).await?;
        let events = match self.decide(&stream, &state, command, write).await {
            Ok(events) if !events.is_empty() => events,
            nothing_to_write => {
                self.states.put(&stream, state, version);
                return Ok(Some(unwritten(stream, version, nothing_to_write?)));
            }
        };
        let new_events = events
            .iter()
            .enumerate()
            .map(|(index, event)| NewEvent {
                id: write.ids.next(index, &*self.ids),
                occurred_at: write.occurred_at,
                metadata: write.metadata.clone(),
                event: event.clone(),
            })
            .collect();
        match self
            .store
            .append(&stream, ExpectedVersion::Exact(version), new_events)
            .await
        {
            Ok(outcome) => {
                if outcome.written {
                    events.iter().for_each(|e| state.fold(e));
                    let every = self.options.snapshot_every;
                    if outcome.last_version / every > version / every {
                        self.save_snapshot(&stream, &state, outcome.last_version)
                            .await;
                    }
                    self.states.put(&stream, state, outcome.last_version);
                }
                Ok(Some(Executed {
                    stream,
                    version: outcome.last_version,
                    position: outcome.last_position,
                    events,
                    repeated: !outcome.written,
                }))
            }
            Err(StoreError::Conflict { .. }) => Ok(None),
            Err(other) => Err(other.into()),
        }
    }

    /// Whether the rules allow the command on `state`, and the events it decides.
    async fn decide<A: Aggregate>(
        &self,
        stream: &StreamId,
        state: &A,
        command: &A::Command,
        write: &Write<'_>,
    ) -> Result<Vec<Event>, Error> {
        if let Some(access) = write.access {
            // Checked on the state the command is decided on: ownership is a fact of it.
            self.authorize(access, state.owned_by()).await?;
        }
        let events = state.decide(command)?;
        // The same check an imported line meets: a decider can never write what an import
        // would refuse.
        for event in &events {
            crate::validate::check(stream, write.occurred_at, event)?;
        }
        Ok(events)
    }

    /// Loads an aggregate's state and version: the cached state or the latest usable
    /// snapshot, plus the events after it. A snapshot that does not decode is reported and
    /// ignored, never trusted.
    pub async fn load<A: Aggregate>(&self, id: A::Id) -> Result<(A, u64), Error> {
        self.load_state(id, Keep::Cached).await
    }

    async fn load_state<A: Aggregate>(&self, id: A::Id, keep: Keep) -> Result<(A, u64), Error> {
        let stream: StreamId = id.into();
        let cached = match keep {
            Keep::Cached => self.states.get::<A>(&stream),
            Keep::Out => self.states.take::<A>(&stream),
        };
        let (mut state, mut version) = match cached {
            Some(cached) => cached,
            None => match self.store.load_snapshot(&stream).await? {
                Some(snapshot) => {
                    let (state, version) = decode_snapshot::<A>(&stream, snapshot);
                    let actual = self.store.stream_version(&stream).await?;
                    if version > actual {
                        // A snapshot of events the stream does not hold (a restored backup,
                        // a damaged store): trusting it would decide on a future that is not.
                        tracing::warn!(%stream, version, actual,
                            "snapshot is ahead of its stream; rebuilding from events");
                        (A::default(), 0)
                    } else {
                        (state, version)
                    }
                }
                None => (A::default(), 0),
            },
        };
        let start = version;
        loop {
            let batch = self
                .store
                .read_stream(&stream, version + 1, self.options.read_batch)
                .await?;
            for recorded in &batch {
                if recorded.version != version + 1 {
                    return Err(StoreError::Corrupt {
                        location: format!("stream {stream} version {}", version + 1),
                        reason: format!("the store returned version {} instead", recorded.version),
                    }
                    .into());
                }
                state.fold(&recorded.event);
                version = recorded.version;
            }
            if batch.len() < self.options.read_batch {
                if version > start && keep == Keep::Cached {
                    self.states.put(&stream, state.clone(), version);
                }
                return Ok((state, version));
            }
        }
    }

    async fn save_snapshot<A: Aggregate>(&self, stream: &StreamId, state: &A, version: u64) {
        let encoded = match serde_json::to_vec(state) {
            Ok(bytes) => bytes,
            Err(error) => {
                tracing::warn!(%stream, %error, "snapshot not encoded");
                return;
            }
        };
        let snapshot = Snapshot {
            version,
            schema: A::SNAPSHOT_SCHEMA,
            state: encoded,
        };
        // A missing snapshot only costs replay time; the command has already succeeded.
        if let Err(error) = self.store.save_snapshot(stream, snapshot).await {
            tracing::warn!(%stream, %error, "snapshot not saved");
        }
    }

    /// Who `actor` is for the rules: a user as the directory holds them now (read from their
    /// stream, not from a projection that may lag), an automation with its policy's grant,
    /// or the program itself.
    pub async fn principal(&self, actor: &Actor) -> Result<Principal, Error> {
        Ok(match actor {
            Actor::User { user_id } => match self.load::<User>(*user_id).await?.0.profile {
                Some(profile) if profile.active => Principal::User(profile),
                _ => Principal::Unknown(*user_id),
            },
            Actor::Automation { policy } => Principal::Automation {
                policy: policy.clone(),
                grant: self.grants.get(policy).cloned().unwrap_or_default(),
            },
            other => Principal::Program(other.clone()),
        })
    }

    async fn authorize(&self, access: &Access, state: Option<OwnedBy>) -> Result<(), Error> {
        let owned = state.or(access.claimed).unwrap_or(OwnedBy::User(None));
        let owner = match owned {
            OwnedBy::User(user) => user,
            OwnedBy::Customer(customer) => self.customer_owner(customer).await?,
        };
        let target = Target {
            owner: self.owner(&access.principal, owner).await?,
            new_owner: match access.new_owner {
                Some(new) => Some(self.owner(&access.principal, new).await?),
                None => None,
            },
        };
        self.authorizer
            .authorize(&access.principal, &access.action, &target)
            .map_err(|rule| {
                Error::Denied(Denied {
                    actor: access.principal.to_string(),
                    command: access.action.name,
                    rule: rule.into_owned(),
                })
            })
    }

    async fn customer_owner(&self, customer: CustomerId) -> Result<Option<UserId>, Error> {
        Ok(match customer {
            CustomerId::Contact(id) => self.load::<Contact>(id).await?.0.owner,
            CustomerId::Company(id) => self.load::<Company>(id).await?.0.owner,
        })
    }

    /// `user` with their team. Most commands touch the actor's own records, whose team is
    /// already in hand: no second read of their stream.
    async fn owner(&self, actor: &Principal, user: Option<UserId>) -> Result<Owner, Error> {
        let team = match (user, actor) {
            (Some(id), Principal::User(me)) if me.user_id == id => me.team_id,
            (Some(id), _) => self
                .load::<User>(id)
                .await?
                .0
                .profile
                .and_then(|p| p.team_id),
            (None, _) => None,
        };
        Ok(Owner { user, team })
    }

    /// Feeds projections every event appended since they last looked; returns the position
    /// they have reached. Call it before querying when other processes write to the store.
    ///
    /// A query running meanwhile is not waited for: what it keeps the views from taking in
    /// is applied by the next query, before it reads (see `live_views`).
    pub async fn catch_up(&self) -> Result<u64, Error> {
        let batch = self.options.read_batch;
        loop {
            let from = self.views.through() + 1;
            let events = Arc::new(self.store.read_all(from, batch).await?);
            let full = events.len() == batch;
            let erased = events
                .iter()
                .rfind(|e| matches!(e.event, Event::ContactErased(_)))
                .map(|e| e.position);
            if erased.is_some() {
                // Cached states and events of the erased person's streams hold their data
                // in clear.
                self.states.clear();
                *lock(&self.recent) = (Arc::default(), false);
            } else if !events.is_empty() {
                *lock(&self.recent) = (Arc::clone(&events), !full);
            }
            let through = self.views.offer(events);
            if let Some(position) = erased {
                // So do the snapshots of the views taken before the erasure.
                self.drop_snapshots_before(position).await?;
            }
            // Mid-way through a long catch-up, only if asked: each snapshot encodes the whole
            // views, which a replay of millions of events would otherwise do at every mark.
            if !full || self.options.views_snapshots_while_replaying {
                self.snapshot_if_due(through).await?;
            }
            if !full {
                return Ok(through);
            }
        }
    }

    /// Returns once the projections hold every event up to `position` (read-your-writes
    /// across processes: pass the [`Executed::position`] another instance returned). Waits
    /// for appends with [`EventStore::wait_for_append`], so it does not poll on a store that
    /// notifies; returns the position reached.
    pub async fn wait_for(&self, position: u64) -> Result<u64, Error> {
        loop {
            let reached = self.catch_up().await?;
            if reached >= position {
                return Ok(reached);
            }
            self.store.wait_for_append(reached).await?;
        }
    }

    /// Keeps the projections following the log, applying every append (this instance's or
    /// another process's) as the store announces it. Runs until the store fails; spawn it on
    /// whatever runtime the program uses, and drop it to stop.
    pub async fn follow(&self) -> Result<(), Error> {
        loop {
            let reached = self.catch_up().await?;
            self.store.wait_for_append(reached).await?;
        }
    }

    /// Reads every projection, unfiltered: for the embedding program itself (its own jobs,
    /// its own checks). Serve people through [`Crm::reader`], which shows each actor what
    /// their role may see. The closure runs under a read lock, shared with other queries;
    /// commands go on meanwhile.
    pub fn query_unfiltered<R>(&self, f: impl FnOnce(&Views) -> R) -> R {
        f(&self.views.read().projection)
    }

    /// A read handle for `actor`: the projections as of now, holding only the records and
    /// fields the authorizer lets them see. Costs a copy of the visible part of the views.
    pub async fn reader(&self, actor: &Actor) -> Result<crate::Reader, Error> {
        let principal = self.principal(actor).await?;
        let views = self.views.read();
        let visibility = self
            .authorizer
            .visibility(&principal, &views.projection.directory);
        Ok(crate::Reader::new(
            principal,
            visibility,
            Cow::Borrowed(&views.projection),
        ))
    }

    /// [`Crm::reader`] for a one-shot read, such as a command line's card or report: the
    /// views move into the reader instead of being copied, and the CRM (its store included)
    /// is closed. A copy of the Olist views costs about as much as decoding their snapshot.
    pub async fn into_reader(self, actor: &Actor) -> Result<crate::Reader, Error> {
        let principal = self.principal(actor).await?;
        let views = self.views.into_inner().projection;
        let visibility = self.authorizer.visibility(&principal, &views.directory);
        Ok(crate::Reader::new(principal, visibility, Cow::Owned(views)))
    }

    /// The audit trail of `customer`'s card as `reader` may see it (see [`crate::audit`]):
    /// `None` when the reader has no such card, including one their role may not see.
    pub async fn audit_trail(
        &self,
        reader: &crate::Reader,
        customer: CustomerId,
    ) -> Result<Option<crate::audit::AuditTrail>, Error> {
        Ok(crate::audit::card_trail(&self.store, reader.views(), customer).await?)
    }

    /// Everything the CRM holds about a person, as `reader` may see it (see
    /// [`crate::subject_access`]): `None` when the reader has no such card.
    pub async fn subject_export(
        &self,
        reader: &crate::Reader,
        contact_id: crate::ids::ContactId,
    ) -> Result<Option<crate::subject_access::SubjectExport>, Error> {
        let now = self.clock.now();
        Ok(
            crate::subject_access::subject_export(&self.store, reader.views(), contact_id, now)
                .await?,
        )
    }

    /// The clock's now.
    pub(crate) fn clock_now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The options in force (clamped).
    pub fn options(&self) -> &CrmOptions {
        &self.options
    }

    /// The clock's now.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// A fresh correlation id, for a request of many commands.
    pub(crate) fn correlation_id(&self) -> CorrelationId {
        self.ids.correlation_id()
    }

    /// The global position the projections have processed.
    pub fn projected_position(&self) -> u64 {
        self.views.read().position
    }
}

/// How one command writes: under whose metadata, at what business time, with which ids, and
/// what the rules must allow (`None`: the embedding program itself, never checked).
struct Write<'a> {
    metadata: &'a Metadata,
    occurred_at: DateTime<Utc>,
    ids: EventIds,
    access: Option<&'a Access>,
    rehearsal: Option<&'a Rehearsal>,
}

/// What a dry run decided so far, per stream, and which command ids it carried out: the
/// state later commands of the same dry run are decided on.
#[derive(Default)]
pub(crate) struct Rehearsal {
    decided: Mutex<HashMap<StreamId, Vec<Event>>>,
    commands: Mutex<HashMap<CommandId, Executed>>,
}

impl Rehearsal {
    fn decided(&self, stream: &StreamId, events: impl IntoIterator<Item = Event>) {
        lock(&self.decided)
            .entry(stream.clone())
            .or_default()
            .extend(events);
    }

    /// Folds what was decided on `stream` into `state`; how many events that was.
    fn fold<A: Aggregate>(&self, stream: &StreamId, state: &mut A) -> u64 {
        let decided = lock(&self.decided);
        let events = decided.get(stream).map_or(&[][..], Vec::as_slice);
        events.iter().for_each(|e| state.fold(e));
        events.len() as u64
    }

    fn carried_out(&self, command_id: CommandId, executed: &Executed) {
        lock(&self.commands).insert(command_id, executed.clone());
    }

    /// The rehearsed outcome of `command_id`, when this dry run carried it out already.
    fn repeated(&self, command_id: CommandId, command: &Command) -> Option<Executed> {
        let done = lock(&self.commands).get(&command_id).cloned()?;
        (done.stream == target(command)).then_some(Executed {
            repeated: true,
            ..done
        })
    }
}

/// What a command decided without writing it: a rehearsal's events, or none.
fn unwritten(stream: StreamId, version: u64, events: Vec<Event>) -> Executed {
    Executed {
        stream,
        version: version + events.len() as u64,
        position: 0,
        events,
        repeated: false,
    }
}

/// Events a policy reacts to: the tail of a batch the projections read, or a fresh read.
enum Events {
    Shared(Arc<Vec<RecordedEvent>>, usize),
    Read(Vec<RecordedEvent>),
}

impl Events {
    fn iter(&self) -> std::slice::Iter<'_, RecordedEvent> {
        match self {
            Self::Shared(events, start) => events.get(*start..).unwrap_or_default().iter(),
            Self::Read(events) => events.iter(),
        }
    }
}

/// Whether a loaded state stays in the cache (a read) or leaves it until the command that
/// loaded it puts it back (a decision).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Keep {
    Cached,
    Out,
}

/// A command as the rules see it, before the record's state is known.
struct Access {
    principal: Principal,
    action: Action,
    claimed: Option<OwnedBy>,
    new_owner: Option<Option<UserId>>,
}

/// What `command` needs of other aggregates.
fn requirements(command: &Command) -> Vec<Requirement> {
    match command {
        Command::Contact(c) => c.requirements(),
        Command::Deal(c) => c.requirements(),
        Command::Task(c) => c.requirements(),
        Command::Order(c) => c.requirements(),
        Command::Interaction(c) => c.requirements(),
        Command::Feedback(c) => c.requirements(),
        Command::User(c) => c.requirements(),
        Command::Company(_)
        | Command::Pipeline(_)
        | Command::Campaign(_)
        | Command::Team(_)
        | Command::Automation(_)
        | Command::Message(_)
        | Command::Template(_) => Vec::new(),
    }
}

/// Where a command's event ids come from: derived from its command id, or fresh.
/// What became of a command id before: carried out, or free to use under this id.
enum Prior {
    Done(Executed),
    Fresh(CommandId),
}

#[derive(Clone, Copy)]
struct EventIds(Option<CommandId>);

impl EventIds {
    fn next(self, index: usize, fresh: &dyn IdSource) -> EventId {
        match self.0 {
            Some(command_id) => command_id.event_id(index),
            None => fresh.event_id(),
        }
    }
}

/// The stream a command writes to.
fn target(command: &Command) -> StreamId {
    match command {
        Command::Contact(c) => c.contact_id().into(),
        Command::Company(c) => c.company_id().into(),
        Command::Pipeline(c) => c.pipeline_id().into(),
        Command::Deal(c) => c.deal_id().into(),
        Command::Task(c) => c.task_id().into(),
        Command::Order(c) => c.order_id().into(),
        Command::Interaction(c) => c.interaction_id().into(),
        Command::Feedback(c) => c.feedback_id().into(),
        Command::Campaign(c) => c.campaign_id().into(),
        Command::User(c) => c.user_id().into(),
        Command::Team(c) => c.team_id().into(),
        Command::Automation(c) => c.rule_id().into(),
        Command::Message(c) => c.message_id().into(),
        Command::Template(c) => c.template_id().into(),
    }
}

/// The request a policy's command is made under: caused by `event`, in its correlation, at
/// its business time.
fn reaction_to(policy: &str, event: &RecordedEvent, index: usize) -> Request {
    Request {
        actor: Actor::Automation {
            policy: policy.to_owned(),
        },
        occurred_at: Some(event.occurred_at),
        correlation_id: event.metadata.correlation_id,
        causation_id: Some(event.id),
        command_id: Some(CommandId::reaction(policy, event.id, index)),
        import: None,
    }
}

fn decode_snapshot<A: Aggregate>(stream: &StreamId, snapshot: Snapshot) -> (A, u64) {
    if snapshot.schema != A::SNAPSHOT_SCHEMA {
        tracing::info!(%stream, schema = snapshot.schema, "snapshot of an older state shape ignored");
        return (A::default(), 0);
    }
    match serde_json::from_slice::<A>(&snapshot.state) {
        Ok(state) => (state, snapshot.version),
        Err(error) => {
            tracing::warn!(%stream, version = snapshot.version, %error,
                "snapshot does not decode; rebuilding from events");
            (A::default(), 0)
        }
    }
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Projections do not panic on any input; if one ever did, its state is still the state
    // after the last whole event, so reading on is sound.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
