//! `sti serve`'s admission, in process: a request is handled in one of a fixed number of
//! slots, but only once its body has arrived, and a body that falls behind its pace is
//! cut off with 408. (The sockets' side — header timeouts, connection caps — is in the
//! process tests of `tests/tests/slow_clients.rs`.)

use std::sync::Arc;

use sti_shared::app::Admission;
use tokio::sync::{Semaphore, mpsc};

use super::faulty_sessions::Fault;
use super::support::*;

fn serving(slots: usize) -> Hosting {
    Hosting { admission: Some(Arc::new(Admission::new(slots, 1 << 20, 1 << 20))), ..Hosting::default() }
}

/// A chat request whose body arrives when the test sends it.
fn streamed_chat() -> (Request<Body>, mpsc::Sender<Result<Bytes, std::io::Error>>) {
    let (tx, rx) = mpsc::channel(4);
    let body = Body::from_stream(tokio_stream_of(rx));
    let request = Request::post("/api/chat").header(header::CONTENT_TYPE, "application/json").body(body);
    (request.unwrap_or_else(|e| panic!("{e}")), tx)
}

fn tokio_stream_of(
    mut rx: mpsc::Receiver<Result<Bytes, std::io::Error>>,
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

async fn within<T>(what: &str, limit: Duration, work: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(limit, work).await.unwrap_or_else(|_| panic!("{what} took longer than {limit:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_takes_its_slot_only_once_its_body_has_arrived() {
    let api = Arc::new(api_with(&[], serving(1), |_| {}).await);
    let session = api.greet().await;
    let (request, body) = streamed_chat();
    let sender = Arc::clone(&api);
    let chat = tokio::spawn(async move { sender.send(request).await });
    body.send(Ok(Bytes::from(format!("{{\"sessionId\":\"{session}\",")))).await.unwrap_or_else(|e| panic!("{e}"));
    // Half a body is waiting; the only slot is free for everyone else.
    for _ in 0..3 {
        let health =
            within("health beside a body still arriving", Duration::from_secs(1), api.get("/api/health", &[])).await;
        assert_eq!(health.status, StatusCode::OK);
    }
    body.send(Ok(Bytes::from_static(b"\"message\":\"hola, soy Ana\"}"))).await.unwrap_or_else(|e| panic!("{e}"));
    drop(body);
    let answer =
        within("the chat once its body is in", Duration::from_secs(5), chat).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_beyond_the_slots_wait_for_one() {
    let store = Arc::new(Semaphore::new(0));
    let api = Arc::new(api_with_faulty_sessions(Fault::CreateWaitsFor(Arc::clone(&store)), serving(1)).await);
    // A greeting held in the (slow) store occupies the only slot.
    let holder = Arc::clone(&api);
    let held = tokio::spawn(async move { holder.post_json("/api/greeting", json!({})).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let waiter = Arc::clone(&api);
    let health = tokio::spawn(async move { waiter.get("/api/health", &[]).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!health.is_finished(), "a second request is handled only once the slot is free");
    store.add_permits(1);
    let greeting = within("the held greeting", Duration::from_secs(5), held).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(greeting.status, StatusCode::OK);
    let health = within("the waiting request", Duration::from_secs(5), health).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(health.status, StatusCode::OK);
}

type ChatUnderWay = (Arc<Api>, String, tokio::task::JoinHandle<Answer>, mpsc::Sender<Result<Bytes, std::io::Error>>);

/// A session, and a chat request to it whose body must keep 100 bytes a second after 1 s.
async fn paced_chat() -> ChatUnderWay {
    let vars = [("BODY_READ_TIMEOUT", "1s"), ("BODY_MIN_RATE", "100")];
    let api = Arc::new(api_with(&vars, serving(4), |_| {}).await);
    let session = api.greet().await;
    let (request, body) = streamed_chat();
    let sender = Arc::clone(&api);
    let chat = tokio::spawn(async move { sender.send(request).await });
    (api, session, chat, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_slower_than_its_pace_is_cut_off_with_408_and_changes_nothing() {
    let (api, session, chat, body) = paced_chat().await;
    // 40 bytes at once are due 1.4 s after the start; then nothing more.
    body.send(Ok(Bytes::from(format!("{{\"sessionId\":\"{session}\",")))).await.unwrap_or_else(|e| panic!("{e}"));
    let began = std::time::Instant::now();
    let answer = within("the cut-off", Duration::from_secs(5), chat).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((answer.status, answer.error_code().as_str()), (StatusCode::REQUEST_TIMEOUT, "request_timeout"));
    assert!(answer.text().contains("100 bytes a second"), "{}", answer.text());
    assert!(began.elapsed() < Duration::from_secs(3), "cut off at its due time, not later: {:?}", began.elapsed());
    let export = api.get(&format!("/api/session/{session}/export"), &[]).await.json();
    assert_eq!(export["transcript"].as_array().map(Vec::len), Some(0), "nothing stored: {export}");
    assert_eq!(export["session"]["state"], "ask_name", "the conversation did not move: {export}");
    drop(body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_but_steady_body_gets_through() {
    let (_api, session, chat, body) = paced_chat().await;
    let text = format!("{{\"sessionId\":\"{session}\",\"message\":\"hola, soy Ana\"}}");
    // 20 bytes every 150 ms: 133 bytes a second, over the 100 the pace asks.
    for piece in text.as_bytes().chunks(20) {
        body.send(Ok(Bytes::copy_from_slice(piece))).await.unwrap_or_else(|e| panic!("{e}"));
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    drop(body);
    let answer = within("the steady chat", Duration::from_secs(5), chat).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
}
