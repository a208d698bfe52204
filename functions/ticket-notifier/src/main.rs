//! `ticket-notifier`: the tickets table's DynamoDB Stream (new tickets only), each ticket
//! published to the tickets topic and posted to the webhook; partial batch failures.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), sti_shared::lambda::Error> {
    sti_shared::lambda::serve_ticket_notifier().await
}
