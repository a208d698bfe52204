//! The tickets topic: every new ticket published once to SNS, whose subscriptions (e-mail,
//! HTTPS) the template sets from its parameters.

use aws_sdk_sns::Client;

use super::errors::sdk;
use crate::ports::{StoreResult, Ticket, TicketAnnouncer};

pub struct TicketsTopic {
    client: Client,
    arn: String,
}

impl TicketsTopic {
    pub fn new(config: &aws_types::SdkConfig, arn: String) -> TicketsTopic {
        TicketsTopic { client: Client::new(config), arn }
    }
}

#[async_trait::async_trait]
impl TicketAnnouncer for TicketsTopic {
    /// Publishes `ticket` (masked facts and its link, never the transcript).
    async fn announce(&self, ticket: &Ticket, link: &str) -> StoreResult<()> {
        let what = ticket.category_title.as_deref().map(crate::text::capitalize_first).unwrap_or_default();
        let summary = ticket.summary.as_deref().unwrap_or("—");
        let message = format!(
            "Nuevo ticket {id}\n\nProblema: {what}\nResumen: {summary}\nImágenes: {images}\n\nAbrir el ticket: {link}\n",
            id = ticket.id,
            images = ticket.images.len(),
        );
        self.client
            .publish()
            .topic_arn(&self.arn)
            .subject(format!("Nuevo ticket {}", ticket.id))
            .message(message)
            .message_attributes(
                "ticketId",
                aws_sdk_sns::types::MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value(ticket.id.as_str())
                    .build()
                    .map_err(|e| crate::ports::StoreError::Corrupt(format!("cannot build the SNS message: {e}")))?,
            )
            .send()
            .await
            .map_err(|e| sdk("Publish", e))?;
        Ok(())
    }
}
