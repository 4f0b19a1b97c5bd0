//! The `callsheet` binary; everything lives in the library (see `lib.rs`).

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match callsheet::cli::run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            // Logging may not be set up yet (a bad configuration), so say it on stderr.
            eprintln!("callsheet: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
