//! `sti seed`: the demo records the sample events in `events/` use.

use std::process::ExitCode;

use sti_shared::app::Hosting;
use sti_shared::services::demo;

use crate::store::{StoreArgs, open_app};

pub async fn run(store: &StoreArgs) -> ExitCode {
    let config = match store.config("seed") {
        Ok(c) => c,
        Err(code) => return code,
    };
    if config.is_production() {
        eprintln!("sti seed: refusing to create demo data in production");
        return ExitCode::from(2);
    }
    let dir = config.data_dir.clone();
    let app = match open_app(config, Hosting::default(), "seed").await {
        Ok(app) => app,
        Err(code) => return code,
    };
    match demo::seed(&app).await {
        Ok(()) => {
            println!(
                "demo data ready in {}: session {}, upload {}, ticket {}",
                dir.display(),
                demo::SESSION_ID,
                demo::UPLOAD_ID,
                demo::TICKET_ID
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("sti seed: {e}");
            ExitCode::FAILURE
        }
    }
}
