//! `sti smart on|off|status`: the operator's switch, shared by every instance (each
//! rereads it within SMART_FLAG_CACHE_SECS).

use std::process::ExitCode;

use clap::ValueEnum;
use sti_shared::app::Hosting;
use sti_shared::smart::{CIRCUIT_GAUGE, CircuitState, FORCED_OFF_FLAG};

use crate::store::{StoreArgs, open_app};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    /// Let instances call the model again.
    On,
    /// Knowledge-base steps only, on every instance.
    Off,
    /// Show the switch and the last published circuit state.
    Status,
}

pub async fn run(switch: Switch, store: &StoreArgs) -> ExitCode {
    let config = match store.config("smart") {
        Ok(c) => c,
        Err(code) => return code,
    };
    let flag_cache = config.openai.flag_cache;
    let app = match open_app(config, Hosting::default(), "smart").await {
        Ok(app) => app,
        Err(code) => return code,
    };
    let counters = &app.backend().counters;
    let changed = match switch {
        Switch::Off => counters.set(FORCED_OFF_FLAG, 1).await,
        Switch::On => counters.set(FORCED_OFF_FLAG, 0).await,
        Switch::Status => Ok(()),
    };
    let forced_off = match changed {
        Ok(()) => counters.get(FORCED_OFF_FLAG).await.map(|v| v.unwrap_or(0) != 0),
        Err(e) => Err(e),
    };
    let forced_off = match forced_off {
        Ok(v) => v,
        Err(e) => {
            eprintln!("sti smart: {e}");
            return ExitCode::FAILURE;
        }
    };
    let circuit = counters.get(CIRCUIT_GAUGE).await.ok().flatten().and_then(CircuitState::from_code);
    println!("smart mode switch: {}", if forced_off { "off (knowledge base only)" } else { "on" });
    println!("circuit last published by the chat instances: {}", circuit.map_or("none yet", CircuitState::as_str));
    if switch != Switch::Status {
        println!("instances pick this up within SMART_FLAG_CACHE_SECS (default {} s)", flag_cache.as_secs());
    }
    ExitCode::SUCCESS
}
