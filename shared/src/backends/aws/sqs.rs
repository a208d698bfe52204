//! Image jobs on SQS. In AWS the bucket's `ObjectCreated` notifications feed the queue,
//! so uploads do not enqueue themselves; `enqueue` exists for re-driving jobs by hand
//! and for the port's contract. Outside Lambda (`sti worker`, `sti serve`), `receive`
//! long-polls the queue and S3 notifications are unwrapped into jobs.

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::MessageSystemAttributeName;

use super::errors::sdk;
use crate::backends::image_queue::keys_of;
use crate::ports::{Delivery, Job, JobQueue, StoreError, StoreResult};

pub struct SqsQueue {
    client: Client,
    url: String,
}

pub async fn queue_url(client: &Client, name: &str) -> StoreResult<String> {
    let out = client.get_queue_url().queue_name(name).send().await.map_err(|e| sdk("GetQueueUrl", e))?;
    out.queue_url.ok_or_else(|| StoreError::Unavailable(format!("queue {name} has no URL")))
}

impl SqsQueue {
    pub fn new(client: Client, url: String) -> SqsQueue {
        SqsQueue { client, url }
    }
}

/// SQS lets a receive take at most ten messages.
const MAX_BATCH: usize = 10;

#[async_trait]
impl JobQueue for SqsQueue {
    async fn enqueue(&self, job: &Job) -> StoreResult<()> {
        let body = serde_json::to_string(job).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.client
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .send()
            .await
            .map_err(|e| sdk("SendMessage", e))?;
        Ok(())
    }

    fn fed_by_storage_events(&self) -> bool {
        true
    }

    async fn receive(&self, max: usize, lease_ms: i64, _now: i64) -> StoreResult<Vec<Delivery>> {
        let out = self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(max.clamp(1, MAX_BATCH) as i32)
            .visibility_timeout(((lease_ms + 999) / 1000).clamp(1, 43_200) as i32)
            // Short polls: the worker loop idles between empty receives itself.
            .wait_time_seconds(0)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .map_err(|e| sdk("ReceiveMessage", e))?;
        let mut deliveries = Vec::new();
        for message in out.messages.unwrap_or_default() {
            let Some(receipt) = message.receipt_handle.clone() else { continue };
            let attempt = message
                .attributes
                .as_ref()
                .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                .and_then(|n| n.parse().ok())
                .unwrap_or(1);
            match keys_of(message.body.as_deref().unwrap_or("")) {
                // S3's test event, or objects outside uploads/: nothing to do.
                Ok(keys) if keys.is_empty() => self.ack(&receipt).await?,
                Ok(mut keys) => {
                    if keys.len() > 1 {
                        tracing::warn!(
                            count = keys.len(),
                            "a message named several uploads; each is retried by its own notification"
                        );
                    }
                    deliveries.push(Delivery { receipt, job: Job { key: keys.swap_remove(0) }, attempt });
                }
                // Left alone: after the queue's retries it lands in the dead-letter queue.
                Err(reason) => tracing::error!(reason, "unreadable image-queue message"),
            }
        }
        Ok(deliveries)
    }

    async fn ack(&self, receipt: &str) -> StoreResult<()> {
        self.client
            .delete_message()
            .queue_url(&self.url)
            .receipt_handle(receipt)
            .send()
            .await
            .map_err(|e| sdk("DeleteMessage", e))?;
        Ok(())
    }

    async fn retry_later(&self, receipt: &str, delay_ms: i64, _now: i64) -> StoreResult<()> {
        self.client
            .change_message_visibility()
            .queue_url(&self.url)
            .receipt_handle(receipt)
            .visibility_timeout(((delay_ms + 999) / 1000).clamp(0, 43_200) as i32)
            .send()
            .await
            .map_err(|e| sdk("ChangeMessageVisibility", e))?;
        Ok(())
    }

    async fn depth(&self) -> StoreResult<u64> {
        use aws_sdk_sqs::types::QueueAttributeName;
        let out = self
            .client
            .get_queue_attributes()
            .queue_url(&self.url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .map_err(|e| sdk("GetQueueAttributes", e))?;
        let attributes = out.attributes.unwrap_or_default();
        Ok([QueueAttributeName::ApproximateNumberOfMessages, QueueAttributeName::ApproximateNumberOfMessagesNotVisible]
            .iter()
            .filter_map(|a| attributes.get(a))
            .filter_map(|v| v.parse::<u64>().ok())
            .sum())
    }
}
