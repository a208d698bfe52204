//! The technician's side of a ticket through the API: its images through ten-minute
//! signed links (never the original, 404 once erased), marking it resolved from the
//! page's form or as JSON, and the figures the support lead reads.

use sti_shared::services::worker::{JobResult, process_job};

use super::support::*;

/// A ticket with one processed image; its id and the path of its view.
async fn ticket_with_an_image(api: &Api) -> (String, String, String) {
    let session = session_with_steps(api).await;
    let upload_id = api.upload(&session, DEMO_PNG).await.json()["uploadId"].as_str().unwrap_or_default().to_owned();
    assert_eq!(process_job(&api.app, &original_key(&session, &upload_id), 1).await, JobResult::Processed);
    let opened = api.post_json("/api/whatsapp-ticket", json!({ "sessionId": session })).await.json();
    let path = path_of(opened["ticketUrl"].as_str().unwrap_or_default());
    (session, opened["ticketId"].as_str().unwrap_or_default().to_owned(), path)
}

#[tokio::test]
async fn a_ticket_shows_its_images_through_short_lived_signed_links() {
    let api = api(&[]).await;
    let (session, _, path) = ticket_with_an_image(&api).await;
    let view = api.get(&path, &[]).await.json();
    let links = &view["imageLinks"][0];
    let (thumbnail, image) = (
        path_of(links["thumbnailUrl"].as_str().unwrap_or_default()),
        path_of(links["imageUrl"].as_str().unwrap_or_default()),
    );
    assert!(thumbnail.starts_with("/api/files/thumbnails/") && image.starts_with("/api/files/sanitized/"), "{view}");
    for link in [&thumbnail, &image] {
        let got = api.get(link, &[]).await;
        assert_eq!(got.status, StatusCode::OK, "{link}");
        assert!(got.headers[header::CONTENT_TYPE].to_str().is_ok_and(|t| t.starts_with("image/")));
        assert!(got.headers[header::CACHE_CONTROL].to_str().is_ok_and(|c| c.starts_with("private, max-age=")));
    }
    let expires: i64 = image.split("expires=").nth(1).and_then(|e| e.split('&').next()?.parse().ok()).unwrap_or(0);
    let now = sti_shared::time::now_ms();
    assert!((9 * 60_000..=10 * 60_000).contains(&(expires - now)), "ten minutes: {}", expires - now);

    let tampered = image.replace("signature=", "signature=x");
    assert_eq!(api.get(&tampered, &[]).await.error_code(), "invalid_signature");
    let original = image.replacen("/api/files/sanitized/", "/api/files/", 1).replace(".png?", "?");
    assert_eq!(api.get(&original, &[]).await.status, StatusCode::NOT_FOUND, "originals are never served");

    let page = api.get(&path, &[("accept", "text/html")]).await;
    let csp = page.headers["content-security-policy"].to_str().unwrap_or_default().to_owned();
    assert!(
        csp.contains("img-src 'self'") && csp.contains("form-action 'self'") && csp.contains("script-src 'sha256-"),
        "{csp}"
    );
    let shown = thumbnail.split('?').next().unwrap_or_default();
    assert!(page.text().contains(&format!("{shown}?expires=")), "the page shows the thumbnail, freshly signed");

    let erased =
        api.send(Request::delete(format!("/api/session/{session}")).body(Body::empty()).unwrap_or_default()).await;
    assert_eq!(erased.status, StatusCode::OK);
    assert_eq!(api.get(&image, &[]).await.status, StatusCode::NOT_FOUND, "erased with the session");
}

#[tokio::test]
async fn a_technician_resolves_a_ticket_once_from_the_page_or_as_json() {
    let api = api(&[]).await;
    let (_, id, path) = ticket_with_an_image(&api).await;
    let resolve = path.replacen(&format!("/api/ticket/{id}"), &format!("/api/ticket/{id}/resolve"), 1);
    let form = Request::post(&resolve)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "text/html")
        .body(Body::from("note=Cambi%C3%A9+el+cable%2C+llamar+al+11+4567-8901"));
    let answer = api.send(form.unwrap_or_else(|e| panic!("{e}"))).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.text());
    assert_eq!(answer.headers[header::LOCATION].to_str().unwrap_or_default(), path);
    let view = api.get(&path, &[]).await.json();
    assert_eq!(view["status"], "resolved");
    assert_eq!(view["resolution"]["note"], "Cambié el cable, llamar al [PHONE]", "masked");
    let again = api.post_raw(&resolve, "application/x-www-form-urlencoded", "note=otra").await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.json()["resolution"]["note"], "Cambié el cable, llamar al [PHONE]", "the first stays");
    let page = api.get(&path, &[("accept", "text/html")]).await.text();
    assert!(page.contains("Estado: Resuelto") && !page.contains("method=\"post\""), "no form once resolved");
    let metrics = api.get("/api/metrics", &[]).await.json();
    assert_eq!(metrics["tickets"]["resolved"], 1, "{metrics}");
    let wrong = resolve.replace("?t=", "?t=0");
    assert_eq!(api.post_raw(&wrong, "application/x-www-form-urlencoded", "").await.error_code(), "ticket_not_found");
}

/// `outcomes.byCategory` as sorted (category, outcome, count).
fn outcome_lines(outcomes: &Value) -> Vec<(String, String, i64)> {
    let mut lines: Vec<(String, String, i64)> = outcomes["byCategory"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| {
            (
                l["category"].as_str().unwrap_or("").to_owned(),
                l["outcome"].as_str().unwrap_or("").to_owned(),
                l["count"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    lines.sort();
    lines
}

/// A scripted set of conversations gives exact outcome counts, by category, in JSON and
/// for Prometheus: solved in the first or second round, handed to a technician (by the
/// button or the WhatsApp-ticket endpoint); a case still open counts nothing.
#[tokio::test]
async fn case_outcomes_are_counted_exactly_by_category() {
    let api = api(&[]).await;
    let press = |session: &str, value: &str| json!({ "sessionId": session, "action": "button", "value": value });
    let conversation = |problem: &'static str, buttons: &'static [&'static str]| {
        let api = &api;
        async move {
            let session = api.greet().await;
            api.chat(&session, "soy Ana").await;
            let steps = api.chat(&session, problem).await.json();
            assert_eq!(steps["state"], "steps", "{steps}");
            for value in buttons {
                api.post_json("/api/chat", press(&session, value)).await;
            }
            session
        }
    };
    conversation("la impresora no imprime", &["yes"]).await;
    conversation("la impresora no imprime", &["no", "yes"]).await;
    conversation("no tengo internet", &["tech", "ticket"]).await;
    let slow = conversation("la compu anda muy lenta", &[]).await;
    assert_eq!(api.post_json("/api/whatsapp-ticket", json!({ "sessionId": slow })).await.status, StatusCode::CREATED);
    conversation("la impresora no imprime", &["no"]).await;

    let metrics = api.get("/api/metrics", &[]).await.json();
    let lines = outcome_lines(&metrics["outcomes"]);
    let expected = [
        ("internet", "ticket", 1),
        ("printer", "solved_round_1", 1),
        ("printer", "solved_round_2", 1),
        ("slow", "ticket", 1),
    ];
    assert_eq!(lines, expected.map(|(c, o, n)| (c.to_owned(), o.to_owned(), n)), "{metrics}");
    assert_eq!(metrics["outcomes"]["solvedRate"], 0.5);
    let prometheus = api.get("/api/metrics?format=prometheus", &[]).await.text();
    for (c, o, n) in expected {
        let line = format!("sti_conversation_outcomes_total{{category=\"{c}\",outcome=\"{o}\"}} {n}");
        assert!(prometheus.contains(&line), "{line} in {prometheus}");
    }
}

/// Cases left at the bot's steps count as abandoned after thirty silent minutes, once; a
/// visitor who comes back and ends the case moves the count to how it ended. The report
/// over the last days (what `sti report` prints) agrees with `/api/metrics`.
#[tokio::test]
async fn abandoned_cases_are_counted_once_after_thirty_silent_minutes() {
    use sti_shared::services::{outcomes::count_abandoned, report};
    let clock = Arc::new(ManualClock::new());
    let api = api_with(&[], Hosting { clock: Some(clock.clone()), ..Hosting::default() }, |_| {}).await;
    let press = |session: &str, value: &str| json!({ "sessionId": session, "action": "button", "value": value });
    let at_steps = |problem: &'static str| {
        let api = &api;
        async move {
            let session = api.greet().await;
            api.chat(&session, "soy Ana").await;
            assert_eq!(api.chat(&session, problem).await.json()["state"], "steps");
            session
        }
    };
    let comes_back = at_steps("la impresora no imprime").await;
    at_steps("no tengo internet").await;
    let second_round = at_steps("la impresora no imprime").await;
    api.post_json("/api/chat", press(&second_round, "no")).await;
    let solved = at_steps("la impresora no imprime").await;
    api.post_json("/api/chat", press(&solved, "yes")).await;

    clock.advance(Duration::from_secs(29 * 60));
    assert_eq!(count_abandoned(&api.app, api.app.now_ms()).await.ok(), Some(0), "not yet");
    clock.advance(Duration::from_secs(60));
    assert_eq!(count_abandoned(&api.app, api.app.now_ms()).await.ok(), Some(3));
    clock.advance(Duration::from_secs(60 * 60));
    assert_eq!(count_abandoned(&api.app, api.app.now_ms()).await.ok(), Some(0), "each case once");
    let abandoned = outcome_lines(&api.get("/api/metrics", &[]).await.json()["outcomes"]);
    let expected = [("internet", "abandoned", 1), ("printer", "abandoned", 2), ("printer", "solved_round_1", 1)];
    assert_eq!(abandoned, expected.map(|(c, o, n)| (c.to_owned(), o.to_owned(), n)));

    let back = api.post_json("/api/chat", press(&comes_back, "yes")).await.json();
    assert_eq!(back["state"], "solved", "{back}");
    let metrics = api.get("/api/metrics", &[]).await.json();
    let expected = [("internet", "abandoned", 1), ("printer", "abandoned", 1), ("printer", "solved_round_1", 2)];
    assert_eq!(outcome_lines(&metrics["outcomes"]), expected.map(|(c, o, n)| (c.to_owned(), o.to_owned(), n)));
    assert_eq!(metrics["outcomes"]["solvedRate"], 0.5, "{metrics}");
    let prometheus = api.get("/api/metrics?format=prometheus", &[]).await.text();
    for (c, o, n) in expected {
        let line = format!("sti_conversation_outcomes_total{{category=\"{c}\",outcome=\"{o}\"}} {n}");
        assert!(prometheus.contains(&line), "{line} in {prometheus}");
    }

    let week = report::last_days(&api.app, 7).await.unwrap_or_else(|e| panic!("{e}"));
    let as_json = serde_json::to_value(&week).unwrap_or_default();
    assert_eq!(outcome_lines(&as_json["outcomes"]), outcome_lines(&metrics["outcomes"]), "{as_json}");
    assert_eq!(as_json["outcomes"]["solvedRate"], 0.5);
    let table = week.table();
    let row =
        |name: &str| table.lines().find(|l| l.starts_with(name)).map(|l| l.split_whitespace().collect::<Vec<_>>());
    assert_eq!(row("printer"), Some(vec!["printer", "2", "0", "0", "1", "3", "67", "%"]), "{table}");
    assert_eq!(row("all"), Some(vec!["all", "2", "0", "0", "2", "4", "50", "%"]), "{table}");
}
