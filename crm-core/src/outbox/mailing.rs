//! [`Crm::mail`]: a campaign sent to a segment, one message per person who may get it.

use chrono::{DateTime, Utc};

use super::defaults;
use crate::crm::{Crm, Request};
use crate::domain::automation::MessageChannel;
use crate::domain::campaign::Campaign;
use crate::domain::details::ConsentChannel;
use crate::domain::message::{Cause, MessageCommand, MessageScheduled, Recipient};
use crate::domain::template::Template;
use crate::domain::DomainError;
use crate::error::Error;
use crate::event::Actor;
use crate::ids::{CampaignId, CustomerId, MessageId, TemplateId};
use crate::projection::Segment;
use crate::store::EventStore;

/// A campaign's mailing: its template to everyone in a segment, due at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct Mailing {
    /// The campaign the messages belong to (for attribution); it must exist.
    pub campaign_id: CampaignId,
    /// Who: the segment as it stands when the mailing is made.
    pub segment: Segment,
    /// Email or SMS.
    pub channel: MessageChannel,
    /// The template's name (saved, or built in).
    pub template: String,
    /// When the messages are due; `run_due` queues them from then, under the weekly cap.
    pub due: DateTime<Utc>,
}

/// What [`Crm::mail`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailingRun {
    /// People in the segment (a merged contact counts once, as the survivor).
    pub members: usize,
    /// Messages scheduled now (one per person and campaign: mailing again adds none).
    pub scheduled: usize,
    /// Members without marketing consent on the channel (companies have none): no message.
    pub without_consent: usize,
}

impl<S: EventStore> Crm<S> {
    /// Schedules `mailing`'s message for every member of its segment that `by` may see and
    /// that has consented to marketing on its channel; each message's id derives from the
    /// campaign and the person, so running the same mailing twice schedules nothing new.
    /// Consent, erasure and the weekly cap are checked again when the messages are due.
    pub async fn mail(&self, by: &Actor, mailing: Mailing) -> Result<MailingRun, Error> {
        self.catch_up().await?;
        let (campaign, _) = self.load::<Campaign>(mailing.campaign_id).await?;
        campaign.require_exists(mailing.campaign_id)?;
        let (template, _) = self
            .load::<Template>(TemplateId::named(&mailing.template))
            .await?;
        let usable = template.saved.is_some_and(|t| t.channel == mailing.channel)
            || defaults::builtin(&mailing.template, mailing.channel).is_some();
        if !usable {
            return Err(DomainError::BrokenTemplate {
                name: mailing.template.clone(),
                line: None,
                reason: format!("there is no {} template of that name", mailing.channel),
            }
            .into());
        }
        let consent = ConsentChannel::from(mailing.channel);
        let reader = self.reader(by).await?;
        let now = self.clock_now();
        let mut run = MailingRun::default();
        let mut recipients: Vec<CustomerId> = Vec::new();
        let views = reader.views();
        for row in views.segment(&mailing.segment, now) {
            run.members += 1;
            let consented = match row.customer {
                CustomerId::Contact(id) => views
                    .cards
                    .reach(id)
                    .is_some_and(|c| !c.erased && c.consent.contains(&consent)),
                CustomerId::Company(_) => false,
            };
            if consented {
                recipients.push(row.customer);
            } else {
                run.without_consent += 1;
            }
        }
        for customer in recipients {
            let message = MessageScheduled {
                message_id: MessageId::of_mailing(mailing.campaign_id, customer),
                rule_id: None,
                to: Recipient::Customer(customer),
                channel: mailing.channel,
                template: mailing.template.clone(),
                marketing: true,
                report: None,
                due: mailing.due,
                cause: Cause::Mailing(mailing.campaign_id),
            };
            let request = Request::by(by.clone()).at(now);
            if self
                .execute_request(request, MessageCommand::Schedule(message).into())
                .await?
                .wrote()
            {
                run.scheduled += 1;
            }
        }
        Ok(run)
    }
}
