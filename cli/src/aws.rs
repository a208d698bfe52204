//! `sti aws bootstrap`: the resources of the SAM template, on an emulator or sandbox.

use std::process::ExitCode;

use sti_shared::backends::aws::{bootstrap::bootstrap_with, sdk_config_at};
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
