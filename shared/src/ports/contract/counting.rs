//! Rate limits, counters and the application log.

use super::*;

pub async fn limiter_counts_and_rejects(b: &Backend) {
    let now = now_ms();
    let key = format!("test:{}", new_session(now).id);
    let window = MINUTE_MS;
    for _ in 0..3 {
        assert_eq!(ok(b.limiter.hit(&key, 3, window, now).await, "hit"), RateDecision::Allowed);
    }
    match ok(b.limiter.hit(&key, 3, window, now + 10).await, "4th") {
        RateDecision::Limited { retry_after_secs } => assert!((1..=120).contains(&retry_after_secs)),
        RateDecision::Allowed => panic!("the 4th hit in a minute must be limited"),
    }
    let other = format!("{key}:other");
    assert_eq!(ok(b.limiter.hit(&other, 3, window, now).await, "other key"), RateDecision::Allowed);
    // Two windows later the old hits no longer count.
    assert_eq!(ok(b.limiter.hit(&key, 3, window, now + 2 * window + 1).await, "later"), RateDecision::Allowed);
}

/// A visitor who keeps to the rate is never refused, however long; one 1 % over it is, once
/// the burst allowance is spent (at most `100 × (limit − 1) + limit` hits in).
pub async fn limiter_lets_the_rate_through_and_refuses_one_percent_over(b: &Backend) {
    let (limit, window) = (2, MINUTE_MS);
    let start = now_ms();
    let steady = format!("test:{}", new_session(start).id);
    for i in 0..60 {
        let at = start + i * window / 2;
        assert_eq!(ok(b.limiter.hit(&steady, limit, window, at).await, "steady"), RateDecision::Allowed, "hit {i}");
    }
    let hasty = format!("{steady}:hasty");
    let every = window * 99 / 100 / 2;
    let refused_at = {
        let mut refused_at = None;
        for i in 0..110 {
            if let RateDecision::Limited { retry_after_secs } =
                ok(b.limiter.hit(&hasty, limit, window, start + i * every).await, "hasty")
            {
                assert_eq!(retry_after_secs, 1, "a second later the rate allows it again");
                refused_at = Some(i);
                break;
            }
        }
        refused_at
    };
    assert!(refused_at.is_some_and(|i| (100..=103).contains(&i)), "refused at hit {refused_at:?}");
}

pub async fn limiter_is_atomic_under_concurrency(b: &Backend) {
    let now = now_ms();
    let key = format!("test:{}", new_session(now).id);
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let limiter = Arc::clone(&b.limiter);
        let key = key.clone();
        tasks.push(tokio::spawn(async move { limiter.hit(&key, 5, MINUTE_MS, now).await }));
    }
    let mut allowed = 0;
    for t in tasks {
        if ok(ok(t.await, "task"), "hit") == RateDecision::Allowed {
            allowed += 1;
        }
    }
    assert_eq!(allowed, 5);
}

pub async fn counters_are_atomic(b: &Backend) {
    let name = format!("test.{}", new_session(0).id);
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let counters = Arc::clone(&b.counters);
        let name = name.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..5 {
                if let Err(e) = counters.add(&[(name.as_str(), 2), ("test.shared", 1)]).await {
                    panic!("add: {e:?}");
                }
            }
        }));
    }
    for t in tasks {
        ok(t.await, "task");
    }
    let snapshot = ok(b.counters.snapshot().await, "snapshot");
    assert_eq!(snapshot.get(&name), Some(&100));
    assert!(snapshot.get("test.shared").is_some_and(|v| *v >= 50));
    // Gauges are set outright and read one by one.
    let gauge = format!("{name}.gauge");
    assert_eq!(ok(b.counters.get(&gauge).await, "get unset"), None);
    ok(b.counters.set(&gauge, 2).await, "set");
    ok(b.counters.set(&gauge, 1).await, "set again");
    assert_eq!(ok(b.counters.get(&gauge).await, "get"), Some(1));
    assert_eq!(ok(b.counters.get(&name).await, "get counter"), Some(100));
}

pub async fn applog_recent_and_expiry(b: &Backend) {
    let now = now_ms();
    let marker = new_session(now).id.to_string();
    for i in 0..5 {
        let entry = LogEntry {
            ts: crate::time::rfc3339(now + i),
            at: now + i,
            level: LogLevel::Info,
            event: "test".into(),
            request_id: Some(format!("req-{i}")),
            session_tag: Some(marker.clone()),
            message: format!("entry {i}"),
        };
        let expires = if i == 0 { now + MINUTE_MS } else { now + HOUR_MS };
        ok(b.applog.append(&entry, expires).await, "append");
    }
    let recent = ok(b.applog.recent(500, now + 10).await, "recent");
    let ours: Vec<&str> =
        recent.iter().filter(|e| e.session_tag.as_deref() == Some(&marker)).map(|e| e.message.as_str()).collect();
    assert_eq!(ours, vec!["entry 0", "entry 1", "entry 2", "entry 3", "entry 4"], "oldest first");
    let last_two = ok(b.applog.recent(2, now + 10).await, "limit");
    assert_eq!(last_two.len(), 2);
    assert!(last_two[0].at <= last_two[1].at);
    let later = ok(b.applog.recent(500, now + 2 * MINUTE_MS).await, "later");
    assert!(!later.iter().any(|e| e.session_tag.as_deref() == Some(&marker) && e.message == "entry 0"));
    ok(b.applog.purge_expired(now + 2 * MINUTE_MS).await, "purge");
    // Purging removes only what expired (a backend with native TTL may remove nothing).
    let after: Vec<String> = ok(b.applog.recent(500, now + 2 * MINUTE_MS).await, "after purge")
        .into_iter()
        .filter(|e| e.session_tag.as_deref() == Some(&marker))
        .map(|e| e.message)
        .collect();
    assert_eq!(after, vec!["entry 1", "entry 2", "entry 3", "entry 4"], "live entries survive the purge");
}

pub async fn daily_counters_sum_over_days(b: &Backend) {
    let name = format!("test.daily.{}", new_session(0).id);
    let other = format!("{name}.other");
    let delta = |day: &str, name: &str, delta: i64| DailyDelta { day: day.into(), name: name.into(), delta };
    let deltas = [
        delta("2026-11-30", &name, 100),
        delta("2026-12-01", &name, 2),
        delta("2026-12-02", &name, 3),
        delta("2026-12-02", &other, 7),
        delta("2026-12-03", &name, -1),
        delta("2026-12-04", &name, 1_000),
    ];
    ok(b.counters.add_daily(&deltas).await, "add daily");
    ok(b.counters.add_daily(&[delta("2026-12-01", &name, 2)]).await, "add again");
    let sums = ok(b.counters.daily_sums("2026-12-01", "2026-12-03").await, "sums");
    assert_eq!(sums.get(&name), Some(&6), "4 + 3 - 1, the days outside left out: {sums:?}");
    assert_eq!(sums.get(&other), Some(&7));
    let one_day = ok(b.counters.daily_sums("2026-12-02", "2026-12-02").await, "one day");
    assert_eq!((one_day.get(&name), one_day.get(&other)), (Some(&3), Some(&7)));
    let snapshot = ok(b.counters.snapshot().await, "snapshot");
    assert!(!snapshot.keys().any(|k| k.starts_with("test.daily.")), "the running totals hold no daily counter");
}
