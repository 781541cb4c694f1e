//! The campaign aggregate: a marketing effort with a channel, a period and a cost, to which
//! leads and revenue are attributed.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::details::LeadSource;
use super::{Aggregate, DomainError};
use crate::event::Event;
use crate::ids::CampaignId;
use crate::money::Money;
use crate::normalize;

/// A campaign was set up. Field names are wire format: rename nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignCreated {
    /// The campaign.
    pub campaign_id: CampaignId,
    /// What marketing calls it.
    pub name: String,
    /// Where it runs.
    pub channel: LeadSource,
    /// First day.
    pub starts: NaiveDate,
    /// Last day.
    pub ends: NaiveDate,
    /// What it cost.
    pub cost: Money,
}

/// A command for one campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CampaignCommand {
    /// Set up a campaign.
    Create(CampaignCreated),
}

impl CampaignCommand {
    /// The campaign whose stream this command writes to.
    pub fn campaign_id(&self) -> CampaignId {
        match self {
            Self::Create(c) => c.campaign_id,
        }
    }
}

/// Everything a campaign decision needs to know.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    /// The campaign as created.
    pub created: Option<CampaignCreated>,
}

impl Campaign {
    /// Ok if the campaign exists; the rejection otherwise.
    pub fn require_exists(&self, campaign_id: CampaignId) -> Result<(), DomainError> {
        match self.created {
            Some(_) => Ok(()),
            None => Err(DomainError::CampaignNotFound { campaign_id }),
        }
    }
}

impl Aggregate for Campaign {
    type Id = CampaignId;
    type Command = CampaignCommand;
    const SNAPSHOT_SCHEMA: u32 = 1;

    fn decide(&self, command: &CampaignCommand) -> Result<Vec<Event>, DomainError> {
        let CampaignCommand::Create(c) = command;
        let wanted = CampaignCreated {
            name: c.name.trim().to_owned(),
            ..c.clone()
        };
        match &self.created {
            Some(existing) if *existing == wanted => return Ok(Vec::new()),
            Some(_) => {
                return Err(DomainError::CampaignAlreadyExists {
                    campaign_id: c.campaign_id,
                })
            }
            None => {}
        }
        if normalize::words(&c.name).is_empty() {
            return Err(DomainError::EmptyName { what: "campaign" });
        }
        if c.ends < c.starts {
            return Err(DomainError::CampaignPeriod {
                starts: c.starts,
                ends: c.ends,
            });
        }
        if c.cost.minor < 0 {
            return Err(DomainError::NegativeAmount { amount: c.cost });
        }
        Ok(vec![wanted.into()])
    }

    fn evolve(&mut self, event: &Event) {
        if let Event::CampaignCreated(e) = event {
            self.created = Some(e.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;
    use crate::testing::given;

    fn create(name: &str, starts: u32, ends: u32, cost: i64) -> CampaignCommand {
        let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        CampaignCommand::Create(CampaignCreated {
            campaign_id: CampaignId::from_uuid(uuid::Uuid::from_u128(5)),
            name: name.into(),
            channel: LeadSource::PaidSearch,
            starts: day(starts),
            ends: day(ends),
            cost: Money::new(cost, Currency::new("EUR").unwrap()),
        })
    }

    #[test]
    fn a_campaign_needs_a_name_a_period_and_a_cost() {
        let CampaignCommand::Create(ok) = create("Black Friday", 20, 30, 50_000);
        given::<Campaign>([])
            .when(create(" Black Friday ", 20, 30, 50_000))
            .then_events([ok.clone().into()]);
        given::<Campaign>([ok.clone().into()])
            .when(create("Black Friday", 20, 30, 50_000))
            .then_nothing();
        given::<Campaign>([ok.into()])
            .when(create("Cyber Monday", 20, 30, 50_000))
            .then_error_text(
                "campaign 00000000-0000-0000-0000-000000000005 already exists with different details",
            );
        given::<Campaign>([])
            .when(create(" ", 20, 30, 0))
            .then_error_text("a campaign needs a name, and the one given has no letters or digits");
        given::<Campaign>([])
            .when(create("Late", 30, 20, 0))
            .then_error_text("a campaign cannot end (2026-11-20) before it starts (2026-11-30)");
        given::<Campaign>([])
            .when(create("Free", 20, 30, -1))
            .then_error_text("an amount cannot be negative (-0.01 EUR)");
    }
}
