//! `whatsapp-ticket`: POST /api/whatsapp-ticket.

use sti_shared::handlers::whatsapp_ticket;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), sti_shared::lambda::Error> {
    sti_shared::lambda::serve_http(whatsapp_ticket::routes()).await
}
