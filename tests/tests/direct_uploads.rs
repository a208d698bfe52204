//! Signed-URL uploads against a real `sti serve`: a 5 MB photo `PUT` to the URL it signs
//! and analysed by its worker; the refusals S3 would give; and a `PUT` whose connection
//! closes half-way, which must leave no file and no job.

use std::io::Write;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;
use sti_e2e::{Api, Server, data_dir, photo_jpeg, png};

fn blob_path(server: &Server, key: &str) -> std::path::PathBuf {
    server.data_dir.join("blobs").join(key)
}

async fn queue_depth(api: &Api) -> u64 {
    api.get("/api/health").await.json()["checks"]["queueDepth"].as_u64().unwrap_or(u64::MAX)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_put_to_its_signed_url_is_analysed_and_nothing_else_is_taken() {
    let dir = data_dir();
    let server = Server::start(dir.path(), &[("RATE_LIMIT_UPLOAD_PER_MIN", "100")]);
    let api = Api::new(&server.base);
    let sid = api.greeting().await;

    let photo = photo_jpeg(5 * 1024 * 1024);
    let offer = api.upload_url(&sid, "image/jpeg", photo.len()).await;
    assert_eq!(offer.status, StatusCode::CREATED, "{}", offer.body);
    let offer = offer.json();
    let upload_id = offer["uploadId"].as_str().unwrap_or_default().to_owned();
    let url = offer["url"].as_str().unwrap_or_default().to_owned();
    assert!(url.starts_with(&format!("{}/api/upload/{upload_id}/content?", server.base)), "{url}");
    assert_eq!(api.upload_status(&sid, &upload_id).await["status"], "awaiting_upload");

    // What S3 refuses, this server refuses: another type, another length, no signature.
    // (Refused before the body is read, so these use a small image: a client still sending
    // megabytes may see the connection close before it reads the 403, as with S3.)
    let small = png(64, 48);
    let small_offer = api.upload_url(&sid, "image/png", small.len()).await.json();
    let small_url = small_offer["url"].as_str().unwrap_or_default().to_owned();
    let other_type =
        api.send(api.client.put(&small_url).header("content-type", "image/jpeg").body(small.clone())).await;
    assert_eq!(
        (other_type.status, other_type.json()["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("invalid_signature"))
    );
    let shorter = small[..small.len() - 10].to_vec();
    let other_length = api.send(api.client.put(&small_url).header("content-type", "image/png").body(shorter)).await;
    assert_eq!(other_length.status, StatusCode::FORBIDDEN, "{}", other_length.body);
    let unsigned = small_url.split("&signature=").next().unwrap_or_default().to_owned();
    let forged = api.send(api.client.put(&unsigned).header("content-type", "image/png").body(small.clone())).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.body);
    let small_id = small_offer["uploadId"].as_str().unwrap_or_default();
    assert_eq!(api.upload_status(&sid, small_id).await["status"], "awaiting_upload", "refusals change nothing");

    // The connection closes half-way through the body: no file, no job, still awaiting.
    let key = sti_e2e::original_key(&sid, &upload_id);
    let target = url.trim_start_matches(&server.base).to_owned();
    let host = server.base.trim_start_matches("http://").to_owned();
    let half = photo.len() / 2;
    let sent = std::thread::spawn({
        let head = format!(
            "PUT {target} HTTP/1.1\r\nHost: {host}\r\nContent-Type: image/jpeg\r\nContent-Length: {}\r\n\r\n",
            photo.len()
        );
        let body = photo[..half].to_vec();
        move || {
            let mut stream = std::net::TcpStream::connect(&host).unwrap_or_else(|e| panic!("{e}"));
            stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(&body))
        }
    });
    assert!(sent.join().is_ok_and(|r| r.is_ok()), "half a body sent, then the socket closed");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!blob_path(&server, &key).exists(), "no file of a truncated PUT");
    assert_eq!(queue_depth(&api).await, 0, "no job of a truncated PUT");
    assert_eq!(api.upload_status(&sid, &upload_id).await["status"], "awaiting_upload");

    let put = api.put_signed(&offer, photo.clone()).await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    let stored = Instant::now();
    let done: Value = api.wait_upload(&sid, &upload_id).await;
    let put_to_done = stored.elapsed();
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["analysis"]["bytes"], photo.len());
    assert!(!blob_path(&server, &key).exists(), "the original is deleted once processed");
    println!("PUT response → done for a {} byte JPEG under sti serve: {put_to_done:?}", photo.len());
    let again = api.put_signed(&offer, photo).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "one PUT per URL: {}", again.body);
}
