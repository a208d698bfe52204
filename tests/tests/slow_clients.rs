//! Slow clients cannot starve `sti serve` (issue 26): with the process held to 1,024 open
//! files, 1,100 connections trickling their headers from one address and 600 trickling a
//! body from five others leave `/api/health` and a greeting answering at once; the header
//! trickers are closed (over the per-address cap at once, the rest at the 10 s header
//! timeout) and the body tricklers get 408 when they fall behind their pace.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sti_e2e::{Api, Server, data_dir};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

const HEADER_TRICKLERS: usize = 1_100;
const BODY_TRICKLERS: usize = 600;
const BODY_ADDRESSES: u8 = 5;

fn open_file_limit() -> usize {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let line = limits.lines().find(|l| l.starts_with("Max open files")).unwrap_or_default();
    line.split_whitespace().nth(3).and_then(|n| n.parse().ok()).unwrap_or(0)
}

async fn connect_from(from: Ipv4Addr, to: SocketAddr) -> Option<TcpStream> {
    let socket = TcpSocket::new_v4().ok()?;
    socket.bind(SocketAddr::new(IpAddr::V4(from), 0)).ok()?;
    socket.connect(to).await.ok()
}

/// Sends `head`, then `drip` every two seconds, until the server closes the connection;
/// counts the close and, when the server answered first, whether it answered `expect`.
async fn trickle(
    mut stream: TcpStream,
    head: String,
    drip: &'static [u8],
    expect: &'static str,
    closed: Arc<AtomicUsize>,
    answered: Arc<AtomicUsize>,
) {
    if stream.write_all(head.as_bytes()).await.is_ok() {
        let mut answer = [0_u8; 64];
        loop {
            tokio::select! {
                read = stream.read(&mut answer) => {
                    if let Ok(n) = read && n > 0 && answer[..n].starts_with(expect.as_bytes()) {
                        answered.fetch_add(1, Ordering::Relaxed);
                    }
                    break;
                }
                () = tokio::time::sleep(Duration::from_secs(2)) => {
                    if stream.write_all(drip).await.is_err() {
                        break;
                    }
                }
            }
        }
    }
    closed.fetch_add(1, Ordering::Relaxed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_a_greeting_answer_at_once_beside_header_and_body_tricklers() {
    let needed = HEADER_TRICKLERS + BODY_TRICKLERS + 256;
    assert!(
        open_file_limit() >= needed,
        "this test opens {needed} sockets but may open only {} files: raise the limit (ulimit -n 4096, \
         or prlimit --nofile=4096 --pid $$) and run it again",
        open_file_limit()
    );
    let dir = data_dir();
    let server = Server::start_with_open_files(dir.path(), &[], &["--no-worker"], 1_024);
    let addr: SocketAddr = server.base.trim_start_matches("http://").parse().unwrap_or_else(|e| panic!("{e}"));
    let api = Api::new(&server.base);
    let session = api.greeting().await;

    let (header_closed, body_closed, refused_408) =
        (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let never = Arc::new(AtomicUsize::new(0));
    let began = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..BODY_TRICKLERS {
        let from = Ipv4Addr::new(127, 0, 1, 1 + (i % usize::from(BODY_ADDRESSES)) as u8);
        let head = format!(
            "POST /api/chat HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"sessionId\":\"{session}\","
        );
        let (closed, answered) = (Arc::clone(&body_closed), Arc::clone(&refused_408));
        tasks.push(tokio::spawn(async move {
            match connect_from(from, addr).await {
                Some(stream) => trickle(stream, head, b" ", "HTTP/1.1 408", closed, answered).await,
                None => panic!("a body trickler could not connect from {from}"),
            }
        }));
    }
    for _ in 0..HEADER_TRICKLERS {
        let head = format!("GET /api/health HTTP/1.1\r\nHost: {addr}\r\n");
        let (closed, answered) = (Arc::clone(&header_closed), Arc::clone(&never));
        tasks.push(tokio::spawn(async move {
            match connect_from(Ipv4Addr::new(127, 0, 2, 1), addr).await {
                Some(stream) => trickle(stream, head, b"X-Slow: 1\r\n", "HTTP/1.1", closed, answered).await,
                // Refused as it was accepted: closed.
                None => {
                    closed.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    // 1,700 connections at once overflow the listen queue: the kernel drops some SYNs and
    // the clients send them again a second or three later. Those over the cap are closed
    // as soon as they are accepted, long before the header timeout.
    while header_closed.load(Ordering::Relaxed) < HEADER_TRICKLERS - 128 && began.elapsed() < Duration::from_secs(8) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let over_cap = header_closed.load(Ordering::Relaxed);
    assert!(over_cap >= HEADER_TRICKLERS - 128, "over the per-address cap, closed when accepted: {over_cap}");
    println!("{over_cap} header tricklers over the per-address cap closed within {:?}", began.elapsed());

    // Health and a greeting from a fresh connection each, before and after the timeouts.
    let mut slowest = Duration::ZERO;
    while began.elapsed() < Duration::from_secs(13) {
        let fresh = Api::new(&server.base);
        let asked = Instant::now();
        assert_eq!(fresh.get("/api/health").await.status, reqwest::StatusCode::OK);
        fresh.greeting().await;
        slowest = slowest.max(asked.elapsed());
        assert!(
            asked.elapsed() < Duration::from_secs(1),
            "health + greeting took {:?} at {:?}",
            asked.elapsed(),
            began.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(2_500)).await;
    }
    println!("slowest health + greeting beside the tricklers: {slowest:?}");

    // By now every trickler was cut off: headers at 10 s, bodies when behind their pace.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(header_closed.load(Ordering::Relaxed), HEADER_TRICKLERS, "header tricklers closed");
    assert_eq!(body_closed.load(Ordering::Relaxed), BODY_TRICKLERS, "body tricklers closed");
    assert_eq!(refused_408.load(Ordering::Relaxed), BODY_TRICKLERS, "each body trickler told 408");
    assert_eq!(never.load(Ordering::Relaxed), 0, "no header trickler was answered");
    for task in tasks {
        task.await.unwrap_or_else(|e| panic!("{e}"));
    }
    assert!(server.log_lines().iter().any(|l| l.contains("over the connection caps")), "the refusals are logged");
    // The chat the tricklers never finished changed nothing.
    let export = api.get(&format!("/api/session/{session}/export")).await.json();
    assert_eq!(export["transcript"].as_array().map(Vec::len), Some(0), "{export}");
}
