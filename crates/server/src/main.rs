//! The `ferrochat-server` binary: parses the command line and runs the server.

use ferrochat_server::cli::{self, Command};
use std::process::ExitCode;

/// mimalloc: per-request allocations (requests, replies, events) cost about half of what
/// they cost with the system allocator across the runtime's threads (see the bench README).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let command = match cli::parse(std::env::args().skip(1)) {
        Ok(c) => c,
        Err(msg) => {
            eprintln!("ferrochat-server: {msg}\n\n{}", cli::USAGE);
            return ExitCode::from(2);
        }
    };
    let config = match command {
        Command::Help => {
            println!("{}", cli::USAGE);
            return ExitCode::SUCCESS;
        }
        Command::Version => {
            println!("ferrochat-server {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Command::Run(config) => config,
    };
    ferrochat_server::init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ferrochat-server: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(ferrochat_server::run(*config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ferrochat-server: {e}");
            ExitCode::FAILURE
        }
    }
}
