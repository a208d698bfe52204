//! `ticket`: GET /api/ticket/{ticketId}.

use sti_shared::handlers::ticket;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), sti_shared::lambda::Error> {
    sti_shared::lambda::serve_http(ticket::routes()).await
}
