//! The image queue: leases, redelivery, concurrent consumers.

use super::*;

fn job() -> Job {
    Job { key: original_key(&new_session(0).id, &UploadId::generate().unwrap_or_else(|e| panic!("{e}"))) }
}

/// Receives until `wanted` shows up (other tests may share the queue), or gives up.
async fn receive_job(b: &Backend, wanted: &Job, lease_ms: i64, now: i64) -> Option<Delivery> {
    let mut found = None;
    for d in ok(b.queue.receive(10, lease_ms, now).await, "receive") {
        if d.job == *wanted {
            found = Some(d);
        } else {
            ok(b.queue.retry_later(&d.receipt, 0, now).await, "give back");
        }
    }
    found
}

/// Leases run on the wall clock (a real queue knows no other), so this test sleeps.
pub async fn queue_lease_and_redelivery(b: &Backend) {
    const LEASE: i64 = 1_000;
    let pause = || tokio::time::sleep(std::time::Duration::from_millis(1_300));
    let j = job();
    ok(b.queue.enqueue(&j).await, "enqueue");
    assert!(ok(b.queue.depth().await, "depth") >= 1);
    let first = receive_job(b, &j, LEASE, now_ms()).await.unwrap_or_else(|| panic!("job not delivered"));
    assert_eq!(first.attempt, 1);
    assert!(receive_job(b, &j, LEASE, now_ms()).await.is_none(), "leased jobs are hidden");
    // The lease runs out: delivered again, as a second attempt.
    pause().await;
    let second = receive_job(b, &j, LEASE, now_ms()).await.unwrap_or_else(|| panic!("not redelivered"));
    assert_eq!(second.attempt, 2);
    ok(b.queue.retry_later(&second.receipt, LEASE, now_ms()).await, "retry later");
    assert!(receive_job(b, &j, LEASE, now_ms()).await.is_none(), "delayed");
    pause().await;
    let third = receive_job(b, &j, LEASE, now_ms()).await.unwrap_or_else(|| panic!("not back after the delay"));
    assert_eq!(third.attempt, 3);
    ok(b.queue.ack(&third.receipt).await, "ack");
    pause().await;
    assert!(receive_job(b, &j, LEASE, now_ms()).await.is_none(), "acked jobs are gone");
}

pub async fn queue_concurrent_consumers_get_distinct_jobs(b: &Backend) {
    let now = now_ms();
    let jobs: Vec<Job> = (0..12).map(|_| job()).collect();
    for j in &jobs {
        ok(b.queue.enqueue(j).await, "enqueue");
    }
    let wanted: BTreeSet<String> = jobs.iter().map(|j| j.key.clone()).collect();
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let queue = Arc::clone(&b.queue);
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            for _ in 0..20 {
                match queue.receive(3, 60_000, now).await {
                    Ok(batch) => got.extend(batch),
                    Err(e) => panic!("receive: {e:?}"),
                }
            }
            got
        }));
    }
    let mut seen = Vec::new();
    for t in tasks {
        for d in ok(t.await, "consumer") {
            if wanted.contains(&d.job.key) {
                seen.push(d.job.key.clone());
                ok(b.queue.ack(&d.receipt).await, "ack");
            }
        }
    }
    seen.sort();
    let distinct: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(seen.len(), distinct.len(), "a job went to two consumers");
    assert_eq!(distinct, wanted, "every job was delivered");
}
