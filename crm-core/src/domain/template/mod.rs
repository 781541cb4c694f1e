//! Message templates a shop edits at run time: saved by command (so every version is in the
//! log), refused when they do not compile or render, with the line and the reason. Rendering
//! is sandboxed (see [`render`]).

pub mod render;

use serde::{Deserialize, Serialize};

use super::automation::MessageChannel;
use super::{Aggregate, DomainError};
use crate::event::Event;
use crate::ids::TemplateId;

/// A template was saved (a new one, or a new version of it). Field names are wire format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateSaved {
    /// The template; [`TemplateId::named`] of its name.
    pub template_id: TemplateId,
    /// The name rules use (`survey`, `birthday`).
    pub name: String,
    /// Email (HTML-escaped) or SMS (plain).
    pub channel: MessageChannel,
    /// An email's subject line, a template too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The body.
    pub body: String,
}

impl TemplateId {
    /// The id of the template called `name`: rules name templates, so the name is the key.
    pub fn named(name: &str) -> Self {
        Self::derived("template", &name.trim().to_lowercase())
    }
}

/// A command for one template.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TemplateCommand {
    /// Save a template, refused if it does not compile or does not render for a sample
    /// customer.
    Save(TemplateSaved),
}

impl TemplateCommand {
    /// The template whose stream this command writes to.
    pub fn template_id(&self) -> TemplateId {
        match self {
            Self::Save(t) => t.template_id,
        }
    }
}

/// The template as last saved.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Template {
    /// Its current version.
    pub saved: Option<TemplateSaved>,
}

impl Aggregate for Template {
    type Id = TemplateId;
    type Command = TemplateCommand;
    const SNAPSHOT_SCHEMA: u32 = 1;

    fn decide(&self, command: &TemplateCommand) -> Result<Vec<Event>, DomainError> {
        let TemplateCommand::Save(t) = command;
        let wanted = TemplateSaved {
            name: t.name.trim().to_owned(),
            ..t.clone()
        };
        if wanted.template_id != TemplateId::named(&wanted.name) {
            return Err(DomainError::BrokenTemplate {
                name: wanted.name,
                line: None,
                reason: "its id is not the one its name gives (TemplateId::named)".into(),
            });
        }
        render::check(&wanted)?;
        if self.saved.as_ref() == Some(&wanted) {
            return Ok(Vec::new());
        }
        Ok(vec![wanted.into()])
    }

    fn evolve(&mut self, event: &Event) {
        if let Event::TemplateSaved(e) = event {
            self.saved = Some(e.clone());
        }
    }
}
