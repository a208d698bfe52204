//! `sti-echo`: the HTTP stack's ceiling for `scripts/chat-throughput` — the same axum,
//! hyper and tokio as `sti serve`, answering `POST /api/chat` by parsing the JSON body
//! and writing it back, with nothing stored.

use std::net::SocketAddr;
use std::process::ExitCode;

use axum::Json;
use axum::Router;
use axum::routing::post;

async fn echo(Json(body): Json<serde_json::Value>) -> Json<serde_json::Value> {
    Json(body)
}

#[tokio::main]
async fn main() -> ExitCode {
    let addr: SocketAddr = match std::env::args().nth(1).as_deref().unwrap_or("127.0.0.1:0").parse() {
        Ok(addr) => addr,
        Err(e) => {
            eprintln!("usage: sti-echo [ADDR] ({e})");
            return ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("sti-echo: cannot listen on {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let local = listener.local_addr().unwrap_or(addr);
    println!("sti-echo: listening on http://{local}");
    match axum::serve(listener, Router::new().route("/api/chat", post(echo))).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sti-echo: {e}");
            ExitCode::FAILURE
        }
    }
}
