//! `sti aws bootstrap`: the resources of the SAM template, on an emulator or sandbox;
//! `sti aws restore-drill`: the table's point-in-time restore, rehearsed.

use std::process::ExitCode;

use sti_shared::backends::aws::{bootstrap::bootstrap_with, dynamodb_client, restore_drill, sdk_config_at};
use sti_shared::config::Config;

pub async fn bootstrap(endpoint_url: Option<&str>, log_token: Option<&str>) -> ExitCode {
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("sti aws bootstrap: {e}");
            return ExitCode::from(2);
        }
    };
    let sdk = sdk_config_at(endpoint_url).await;
    match bootstrap_with(&sdk, &config.aws, log_token).await {
        Ok(created) => {
            println!("table            {}", created.table);
            println!("bucket           {}", created.bucket);
            println!("queue            {}", created.queue_url);
            println!("dead-letter      {}", created.dead_letter_queue_url);
            println!("secret           {}", created.secret_id);
            if created.log_token_generated {
                println!(
                    "a LOG_TOKEN was generated and stored in the secret (read it with the Secrets Manager console or CLI)"
                );
            }
            println!(
                "export STI_BACKEND=aws STI_TABLE_NAME={} STI_BUCKET_NAME={} STI_QUEUE_URL={} STI_SECRET_ID={}",
                created.table, created.bucket, created.queue_url, created.secret_id
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("sti aws bootstrap: {e}");
            ExitCode::FAILURE
        }
    }
}

pub async fn restore_drill(endpoint_url: Option<&str>, target: &str, session: &str) -> ExitCode {
    let (config, session) = match (Config::from_env(), sti_shared::ids::SessionId::parse(session)) {
        (Ok(c), Ok(s)) => (c, s),
        (Err(e), _) => {
            eprintln!("sti aws restore-drill: {e}");
            return ExitCode::from(2);
        }
        (_, Err(_)) => {
            eprintln!("sti aws restore-drill: --session is not a session id (web-…)");
            return ExitCode::from(2);
        }
    };
    let source = config.aws.table.as_str();
    let client = dynamodb_client(&sdk_config_at(endpoint_url).await);
    println!("restore drill: {source} → {target} (latest restorable time)");
    let drill = match restore_drill::run(&client, source, target, &session).await {
        Ok(d) => d,
        Err(e) => {
            eprintln!("sti aws restore-drill: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("point-in-time recovery on {source}: {}", drill.pitr_status);
    println!("restored in {} s; TTL on `ttl` enabled on {target}", drill.restore_secs);
    println!(
        "items: {source} {} · {target} {} (writes after the restore point explain a difference)",
        drill.source_items, drill.restored_items
    );
    println!("session {session}: {}", if drill.session_found { "found in the restored table" } else { "MISSING" });
    let ok = drill.session_found && drill.restored_items > 0;
    println!("verdict: {}", if ok { "PASS" } else { "FAIL" });
    println!("to serve from {target} (docs/deploy.md, \"Backups and restores of the table\"):");
    println!("  1. grant the functions' policies {target} (TableReadWritePolicy and friends name the table ARN)");
    println!("  2. set STI_TABLE_NAME={target} on every function (a configuration change through the canary),");
    println!("     or import {target} into the stack in place of the old table (Retain keeps the old one)");
    println!("  3. sti smoke --base-url <ApiUrl> --log-token <LOG_TOKEN>");
    if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
