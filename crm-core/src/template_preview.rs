//! [`Crm::preview`]: a saved template rendered for one customer, as it would go out (the
//! same context a sent message gets, without an unsubscribe line).

use crate::crm::Crm;
use crate::domain::template::render::{self, Rendered};
use crate::domain::template::Template;
use crate::error::Error;
use crate::ids::{ContactId, TemplateId};
use crate::outbox::preview_context;
use crate::store::EventStore;

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
        let zone = self.options().zone;
        let context = preview_context(reader.views(), contact, self.clock_now(), zone);
        let Some(context) = context else {
            return Ok(None);
        };
        Ok(Some(render::render(&saved, &context)?))
    }
}
