//! [`Crm::preview`]: a saved template rendered for one customer, as it would go out.

use chrono::{DateTime, Utc};

use crate::crm::Crm;
use crate::domain::template::render::{self, Context, CustomerContext, Rendered};
use crate::domain::template::Template;
use crate::error::Error;
use crate::ids::{ContactId, TemplateId};
use crate::projection::Views;
use crate::store::EventStore;

/// What a template sees of `contact`, as `views` show them; `None` for one the views do not
/// have, or who was erased.
pub fn context(views: &Views, contact: ContactId, due: DateTime<Utc>) -> Option<Context> {
    let card = views.cards.contact(contact)?;
    if card.erased.is_some() {
        return None;
    }
    Some(Context {
        customer: CustomerContext {
            name: card.personal.name.full(),
            given_name: card.personal.name.given.clone(),
            email: card.personal.emails.first().cloned(),
        },
        due,
        due_date: due.format("%Y-%m-%d").to_string(),
        unsubscribe: String::new(),
    })
}

impl<S: EventStore> Crm<S> {
    /// The template called `name` rendered for `contact` as `reader` sees them, due now:
    /// `None` if there is no such template or no such visible (and not erased) contact; a
    /// rendering error names the line.
    pub async fn preview(
        &self,
        reader: &crate::Reader,
        name: &str,
        contact: ContactId,
    ) -> Result<Option<Rendered>, Error> {
        let (template, _) = self.load::<Template>(TemplateId::named(name)).await?;
        let Some(saved) = template.saved else {
            return Ok(None);
        };
        let Some(context) = context(reader.views(), contact, self.clock_now()) else {
            return Ok(None);
        };
        Ok(Some(render::render(&saved, &context)?))
    }
}
