//! The port contract suite against the AWS backend, over the real AWS wire protocol on
//! moto's server mode: the same tests the embedded backend passes, unchanged.

use sti_e2e::moto::Moto;
use sti_shared::config::AwsResources;
use sti_shared::ports::{Backend, SecretValues};

/// Fresh names for one test's table, bucket, queue and secret.
fn resources(name: &str) -> AwsResources {
    AwsResources {
        table: Moto::unique(name),
        bucket: Moto::unique(name).to_lowercase(),
        queue_name: Moto::unique(name),
        queue_url: None,
        secret_id: Some(Moto::unique(&format!("{name}/secrets"))),
        origin_secret_id: None,
        secret_cache_ttl: std::time::Duration::from_secs(300),
        force_path_style: true,
        kms_key_id: None,
    }
}

/// Fresh resources per test on the shared moto, bootstrapped like `sti aws bootstrap`.
async fn aws_backend() -> Backend {
    let moto = Moto::shared();
    let config = sti_shared::backends::aws::emulator_sdk_config(&moto.endpoint).await;
    let resources = resources("sti-contract");
    if let Err(e) =
        sti_shared::backends::aws::bootstrap::bootstrap_with(&config, &resources, Some("contract-log-token")).await
    {
        panic!("bootstrap on moto failed: {e}");
    }
    match sti_shared::backends::aws::connect_with(&config, &resources, SecretValues::default()).await {
        Ok(backend) => backend,
        Err(e) => panic!("connect to moto failed: {e}"),
    }
}

sti_shared::contract_tests!(aws_backend());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_come_from_the_json_secret() {
    let backend = aws_backend().await;
    let values = backend.secrets.load().await.unwrap_or_else(|e| panic!("{e}"));
    assert!(!format!("{values:?}").contains("contract-log-token"), "secrets never print");
    assert!(values.log_token.as_ref().is_some_and(|t| t.matches("contract-log-token")));
    assert_eq!(values.whatsapp_number, None, "empty values fall back to the environment's");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_kept_alive_keeps_its_early_messages() {
    use sti_shared::backends::aws::Dynamo;
    use sti_shared::chat::{Conversation, Locale};
    use sti_shared::ids::SessionId;
    use sti_shared::ports::{CommitOutcome, Role, Session, SessionStore, TranscriptEntry, TurnRecord};
    use sti_shared::time::{HOUR_MS, now_ms};

    let moto = Moto::shared();
    let config = sti_shared::backends::aws::emulator_sdk_config(&moto.endpoint).await;
    let resources = resources("sti-ttl");
    let table = resources.table.clone();
    sti_shared::backends::aws::bootstrap::bootstrap_with(&config, &resources, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let dynamo = Dynamo::new(sti_shared::backends::aws::dynamodb_client(&config), table);

    // Two-hour sessions; the visitor writes once an hour for ten hours.
    let start = now_ms();
    let mut session = Session {
        id: SessionId::generate().unwrap_or_else(|e| panic!("{e}")),
        version: 1,
        created_at: start,
        updated_at: start,
        expires_at: start + 2 * HOUR_MS,
        conversation: Conversation::new(Locale::Es),
        transcript_expires_at: 0,
        last_visitor_line: None,
        last_options: Vec::new(),
        feedback: Vec::new(),
        abandoned: None,
        chat_tat_us: None,
    };
    assert!(dynamo.create(&session).await.unwrap_or_else(|e| panic!("{e}")));
    for hour in 1..=10 {
        let at = start + hour * HOUR_MS;
        let expected_version = session.version;
        let next =
            Session { version: expected_version + 1, updated_at: at, expires_at: at + 2 * HOUR_MS, ..session.clone() };
        let entry = TranscriptEntry { seq: next.version * 2, at, role: Role::Visitor, text: format!("mensaje {hour}") };
        let record = TurnRecord {
            rewritten: None,
            session: next.into(),
            expected_version,
            entries: vec![entry],
            message_id: Some(format!("m-{hour}")),
            response_json: "{}".into(),
        };
        assert_eq!(dynamo.commit_turn(&record).await.unwrap_or_else(|e| panic!("{e}")), CommitOutcome::Committed);
        session = dynamo.get(&session.id, at).await.unwrap_or_else(|e| panic!("{e}")).unwrap_or_else(|| panic!("gone"));
        let expiries = dynamo.partition_expiries(&session.id).await.unwrap_or_else(|e| panic!("{e}"));
        for (sk, exp) in expiries.iter().filter(|(sk, _)| sk != "META") {
            assert!(
                *exp >= session.expires_at,
                "hour {hour}: {sk} would lapse at {exp}, before the session ({})",
                session.expires_at
            );
            assert!(*exp <= session.expires_at + 2 * HOUR_MS, "hour {hour}: {sk} is kept far too long");
        }
    }
    assert_eq!(dynamo.transcript(&session.id).await.map(|t| t.len()).ok(), Some(10));
}

/// Two Lambda instances on one table: each allowed hit is one conditional update, a key an
/// instance already saw full is refused without a call, and an instance whose view is stale
/// learns the truth from its failed update instead of letting a hit through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_cost_one_update_per_allowed_hit_across_instances() {
    use sti_shared::backends::aws::Dynamo;
    use sti_shared::ports::{RateDecision, RateLimiter};
    use sti_shared::time::{MINUTE_MS, now_ms};

    let moto = Moto::shared();
    let proxy = sti_e2e::throttle::ThrottlingProxy::start(&moto.endpoint);
    let config = sti_shared::backends::aws::emulator_sdk_config(&proxy.endpoint).await;
    let resources = resources("sti-gcra");
    sti_shared::backends::aws::bootstrap::bootstrap_with(&config, &resources, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let instance = || Dynamo::new(sti_shared::backends::aws::dynamodb_client(&config), resources.table.clone());
    let (a, b) = (instance(), instance());
    let updates = || {
        let ops = proxy.take_operations();
        let updates = ops.get("DynamoDB_20120810.UpdateItem").map_or(0, |c| c.calls);
        let all: u64 = ops.iter().filter(|(op, _)| op.starts_with("DynamoDB_")).map(|(_, c)| c.calls).sum();
        (updates, all)
    };
    async fn hit(limiter: &Dynamo, at: i64) -> RateDecision {
        let limiter: &dyn RateLimiter = limiter;
        limiter.hit("upload:ip:203.0.113.9", 3, MINUTE_MS, at).await.unwrap_or_else(|e| panic!("{e}"))
    }
    let now = now_ms();
    let _ = updates();

    // A visitor at the rate on one instance: one update per hit, nothing else.
    for i in 0..2 {
        assert_eq!(hit(&a, now + i * 20_000).await, RateDecision::Allowed);
    }
    assert_eq!(updates(), (2, 2));
    // The other instance guesses "free" (never saw the key), is told otherwise, adds the hit;
    // then it knows, and its next hit (the burst's last) is one update.
    assert_eq!(hit(&b, now + 20_000).await, RateDecision::Allowed);
    assert_eq!(hit(&b, now + 20_000).await, RateDecision::Allowed);
    assert_eq!(updates(), (3, 3));
    // A's view is stale: its update fails on the truth, and it refuses.
    assert!(matches!(hit(&a, now + 20_001).await, RateDecision::Limited { retry_after_secs: 20 }));
    assert_eq!(updates(), (1, 1));
    // Now both know the key is full: refused without a call.
    assert!(matches!(hit(&a, now + 20_002).await, RateDecision::Limited { .. }));
    assert!(matches!(hit(&b, now + 20_002).await, RateDecision::Limited { .. }));
    assert_eq!(updates(), (0, 0));
    // At the rate again (20 s after the last): one update.
    assert_eq!(hit(&b, now + 40_000).await, RateDecision::Allowed);
    assert_eq!(updates(), (1, 1));
}
