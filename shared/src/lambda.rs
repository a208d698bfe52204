//! Hosting in the AWS Lambda runtime: every HTTP function's `main` is
//! `serve_http(handlers::<function>::routes())`, the image worker's `serve_worker()`. The
//! application is built once per cold start; logs are JSON lines on stdout carrying the
//! Lambda request id (the runtime's per-invocation span) and our own request id.

use axum::body::Body;
use axum::http::{HeaderValue, Request};
use axum::middleware::Next;
use axum::response::Response;
pub use lambda_http::Error;
use lambda_http::request::RequestContext;

use crate::app::App;
use crate::http::{ClientIp, REQUEST_ID_HEADER, Routes, router};

/// JSON log lines on stdout with the current span's fields (the runtime's `requestId`
/// and ours), level from `AWS_LAMBDA_LOG_LEVEL` or `RUST_LOG` (default info).
pub fn init_tracing() {
    use tracing_subscriber::filter::LevelFilter;
    // A plain level, not an EnvFilter: its regex engine would add a megabyte to every binary.
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL").or_else(|_| std::env::var("RUST_LOG")).unwrap_or_default();
    let filter = level.parse::<LevelFilter>().unwrap_or(LevelFilter::INFO);
    // A second init (tests in one process) keeps the first subscriber.
    let _ = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(true)
        .with_target(false)
        .with_ansi(false)
        .with_max_level(filter)
        .with_writer(std::io::stdout)
        .try_init();
}

/// The application, once per cold start. A bad setting fails the init: it is logged,
/// reported to the Runtime API as `Runtime.InitError` (so the Lambda console and the
/// invoker see the message naming the variable), and the process exits.
pub async fn app_from_env() -> Result<App, Error> {
    match App::from_env().await {
        Ok(app) => Ok(app),
        Err(e) => {
            let e = Error::from(e);
            tracing::error!(error = %e, "init failed");
            report_init_error(&e).await;
            Err(e)
        }
    }
}

async fn report_init_error(error: &Error) {
    let Ok(client) = lambda_runtime_api_client::Client::builder().build() else {
        return;
    };
    let body = serde_json::json!({ "errorType": "Runtime.InitError", "errorMessage": error.to_string() }).to_string();
    let request = lambda_runtime_api_client::build_request()
        .method("POST")
        .uri("/2018-06-01/runtime/init/error")
        .header("lambda-runtime-function-error-type", "Runtime.InitError")
        .body(lambda_runtime_api_client::body::Body::from(body));
    if let Ok(request) = request
        && let Err(e) = client.call(request).await
    {
        eprintln!("could not report the init error to the Runtime API: {e}");
    }
}

/// Carries what the Lambda event knows into the shared middleware: the caller's IP
/// (API Gateway's `sourceIp`) and, unless the caller sent one, the request id.
async fn from_lambda_event(mut req: Request<Body>, next: Next) -> Response {
    let source_ip = match req.extensions().get::<RequestContext>() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.http.source_ip.clone(),
        _ => None,
    };
    if let Some(ip) = source_ip {
        req.extensions_mut().insert(ClientIp(ip));
    }
    let lambda_request_id = req.extensions().get::<lambda_http::Context>().map(|c| c.request_id.clone());
    if !req.headers().contains_key(REQUEST_ID_HEADER)
        && let Some(id) = lambda_request_id.and_then(|id| HeaderValue::from_str(&id).ok())
    {
        req.headers_mut().insert(REQUEST_ID_HEADER, id);
    }
    next.run(req).await
}

/// Runs the HTTP function serving `routes` (one handler module's `routes()`).
pub async fn serve_http(routes: Routes) -> Result<(), Error> {
    init_tracing();
    let app = app_from_env().await?;
    lambda_http::run(router(app, routes).layer(axum::middleware::from_fn(from_lambda_event))).await
}

#[cfg(feature = "images")]
pub use sqs_worker::{handle_sqs_event, serve_worker};

/// The image-worker function: SQS events adapted to the worker's batch, its failures
/// adapted to a partial batch response.
#[cfg(feature = "images")]
mod sqs_worker {
    use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
    use lambda_runtime::{LambdaEvent, service_fn};

    use super::{Error, app_from_env, init_tracing};
    use crate::app::App;
    use crate::backends::image_queue::keys_of;
    use crate::services::worker::{QueueMessage, handle_batch};

    fn message_of(message: &SqsMessage) -> QueueMessage {
        QueueMessage {
            id: message.message_id.clone().unwrap_or_default(),
            attempt: message.attributes.get("ApproximateReceiveCount").and_then(|n| n.parse().ok()).unwrap_or(1),
            keys: keys_of(message.body.as_deref().unwrap_or("")),
        }
    }

    /// One SQS event through [`handle_batch`]: only the messages that must come back are
    /// reported.
    pub async fn handle_sqs_event(app: &App, event: SqsEvent) -> SqsBatchResponse {
        let messages: Vec<QueueMessage> = event.records.iter().map(message_of).collect();
        let failures = handle_batch(app, &messages).await;
        let mut response = SqsBatchResponse::default();
        response.batch_item_failures = failures
            .into_iter()
            .map(|item_identifier| {
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = item_identifier;
                failure
            })
            .collect();
        response
    }

    /// Runs the image-worker function (SQS events, partial batch responses).
    pub async fn serve_worker() -> Result<(), Error> {
        init_tracing();
        let app = app_from_env().await?;
        let app = &app;
        lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
            Ok::<_, Error>(handle_sqs_event(app, event.payload).await)
        }))
        .await
    }
}

#[cfg(all(feature = "webhooks", feature = "aws"))]
pub use ticket_notifier::{handle_notifier_event, serve_ticket_notifier};

/// The ticket-notifier function: the tickets table's stream adapted to the notifier's
/// batch, its first failure adapted to a partial batch response (Lambda retries from
/// there, and after a day sends the record to the on-failure destination); and, on its
/// schedule, the count of cases visitors walked away from.
#[cfg(all(feature = "webhooks", feature = "aws"))]
mod ticket_notifier {
    use lambda_runtime::{LambdaEvent, service_fn};
    use serde_json::{Value, json};

    use super::{Error, app_from_env, init_tracing};
    use crate::app::App;
    use crate::backends::aws::{TicketsTopic, sdk_config};
    use crate::backends::ticket_stream::{is_schedule, new_tickets};
    use crate::config::BackendKind;
    use crate::ports::TicketAnnouncer;
    use crate::services::notify::deliver::Deliverer;
    use crate::services::outcomes::{SWEEP_BATCH, count_abandoned};

    /// Sweeps per scheduled invocation, at most (each looks at up to `SWEEP_BATCH` cases).
    const SWEEPS_PER_SCHEDULE: usize = 10;

    /// One event, the stream's or the schedule's; the answer Lambda reads.
    pub async fn handle_notifier_event(
        app: &App,
        deliverer: &Deliverer,
        topic: Option<&dyn TicketAnnouncer>,
        event: &Value,
    ) -> Result<Value, Error> {
        if is_schedule(event) {
            let mut counted = 0;
            for _ in 0..SWEEPS_PER_SCHEDULE {
                let n = count_abandoned(app, app.now_ms()).await.map_err(|e| Error::from(e.to_string()))?;
                counted += n;
                if (n as usize) < SWEEP_BATCH {
                    break;
                }
            }
            tracing::info!(counted, "schedule: cases left at the bot's steps counted");
            return Ok(json!({ "abandonedCases": counted }));
        }
        let records = new_tickets(event).map_err(Error::from)?;
        let failed = deliverer.handle_stream(app, &records, topic).await;
        let tickets = records.iter().filter(|r| r.ticket.is_some()).count();
        tracing::info!(records = records.len(), tickets, retry_from = ?failed, "ticket stream batch");
        let failures: Vec<Value> = failed.into_iter().map(|sequence| json!({ "itemIdentifier": sequence })).collect();
        Ok(json!({ "batchItemFailures": failures }))
    }

    pub async fn serve_ticket_notifier() -> Result<(), Error> {
        init_tracing();
        let app = app_from_env().await?;
        let deliverer = Deliverer::new(app.config().webhook.timeout).map_err(Error::from)?;
        let topic = match (&app.config().webhook.topic_arn, app.config().backend) {
            (Some(arn), BackendKind::Aws) => Some(TicketsTopic::new(&sdk_config().await, arn.clone())),
            _ => None,
        };
        let (app, deliverer, topic) = (&app, &deliverer, topic.as_ref());
        lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
            handle_notifier_event(app, deliverer, topic.map(|t| t as &dyn TicketAnnouncer), &event.payload).await
        }))
        .await
    }
}
