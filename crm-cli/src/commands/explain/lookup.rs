//! Finding what `crm explain`'s options name: a pipeline, a customer, a manager, a campaign.

use crm::ids::{CampaignId, CustomerId, UserId};
use crm::projection::{PipelineView, Views};

/// The pipeline `name` names, or the only one.
pub(super) fn pipeline<'v>(
    views: &'v Views,
    name: Option<&str>,
) -> Result<&'v PipelineView, String> {
    let pipelines = views.deals.pipelines();
    match name {
        Some(name) => pipelines
            .into_iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| format!("no pipeline is named {name:?}")),
        None if pipelines.len() == 1 => Ok(pipelines[0]),
        None => Err(format!(
            "{} pipelines are defined: name one with --pipeline",
            pipelines.len()
        )),
    }
}

/// The one customer `query` finds.
pub(super) fn customer(views: &Views, query: &str) -> Result<CustomerId, String> {
    match views.search.find(query).as_slice() {
        [hit] => Ok(hit.customer),
        [] => Err(format!("--customer {query:?}: no customer matches")),
        hits => Err(format!(
            "--customer {query:?}: {} customers match; give an email or a tax id",
            hits.len()
        )),
    }
}

/// The user `who` names (by name or email), or `None` for `unassigned`.
pub(super) fn manager(views: &Views, who: &str) -> Result<Option<UserId>, String> {
    if who.eq_ignore_ascii_case("unassigned") {
        return Ok(None);
    }
    views
        .directory
        .users()
        .find(|u| u.name.eq_ignore_ascii_case(who) || u.email.eq_ignore_ascii_case(who))
        .map(|u| Some(u.user_id))
        .ok_or_else(|| format!("--manager {who:?}: no user has that name or email"))
}

/// The campaign named `name`.
pub(super) fn campaign(views: &Views, name: &str) -> Result<CampaignId, String> {
    let mut found = views
        .activity
        .campaigns()
        .filter(|c| c.name.eq_ignore_ascii_case(name));
    match (found.next(), found.next()) {
        (Some(c), None) => Ok(c.campaign_id),
        (None, _) => Err(format!("--campaign {name:?}: no campaign has that name")),
        (Some(_), Some(_)) => Err(format!("--campaign {name:?}: two campaigns have that name")),
    }
}
