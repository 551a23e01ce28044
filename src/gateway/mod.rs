//! The only room that talks to BuildKit. Each concern has its own module:
//!
//! - `transport`: gRPC over the process's stdio;
//! - `engine`: the calls a build makes, as a trait the real client implements;
//! - `options`: what BuildKit passed through the environment;
//! - `sequence`: one build from the handshake to the result;
//! - `inputs`: the Stagefile, the ignore files and the client's `input:` graphs;
//! - `images`: base image configs, resolved concurrently;
//! - `caps`: the engine's capabilities against the features a graph uses;
//! - `subrequests`: the queries buildx sends instead of a build;
//! - `result`: the refs and image configs BuildKit exports;
//! - `errors`: failures as `google.rpc.Status` with source details;
//! - `timing`: the frontend's own time, per round trip and in total;

mod caps;
mod engine;
mod errors;
mod images;
mod includes;
mod inputs;
mod options;
mod result;
mod sequence;
mod subrequests;
mod timing;
mod transport;

#[cfg(test)]
mod tests;

pub use options::Env;

use bollard_buildkit_proto::moby::buildkit::v1::frontend as fe;
use engine::Engine;
use std::process::ExitCode;
use std::time::Instant;
use timing::{Clock, Trip};

/// Entry point of `stagefile frontend`: serve one build, then exit.
///
/// BuildKit keeps our stdin open after `Return`, and tokio's stdin reader is a blocking
/// thread, so the runtime is shut down in the background and the process exits explicitly
/// instead of waiting for that thread.
pub fn run() -> ExitCode {
    let clock = Clock::new(Instant::now());
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            log::error!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(async {
        let engine = match transport::connect().await {
            Ok(c) => engine::Grpc(c),
            Err(e) => {
                log::error!("cannot reach BuildKit over stdio: {e}");
                return 1;
            }
        };
        // A panic in the task that talks to BuildKit ends the process with a failure.
        match tokio::spawn(serve(engine, Env::from_process(), clock)).await {
            Ok(code) => code,
            Err(e) => {
                log::error!("the frontend failed unexpectedly: {e}");
                1
            }
        }
    });
    runtime.shutdown_background();
    std::process::exit(code)
}

/// Builds and returns; the exit code says whether `Return` was delivered. The build runs
/// in a task of its own, so a panic in it becomes an error returned to BuildKit, not a
/// hang. The last line logged is the clock's summary.
async fn serve<E: Engine>(engine: E, env: Env, clock: Clock) -> i32 {
    let build = {
        let (engine, clock) = (engine.clone(), clock.clone());
        async move { sequence::build(&engine, &env, &clock).await }
    };
    let outcome = match tokio::spawn(build).await {
        Ok(r) => r,
        Err(e) => Err(errors::plain(format!(
            "internal error in the Stagefile frontend (please report it): {e}"
        ))),
    };
    let answer = if outcome.is_ok() { "result" } else { "error" };
    let request = match outcome {
        Ok(result) => fe::ReturnRequest {
            result: Some(result),
            error: None,
        },
        Err(status) => fe::ReturnRequest {
            result: None,
            error: Some(status),
        },
    };
    match clock
        .time(Trip::Return, answer, engine.r#return(request))
        .await
    {
        Ok(()) => {
            log::info!("{}", clock.summary(answer));
            0
        }
        Err(e) => {
            log::error!("cannot return the result to BuildKit: {e}");
            1
        }
    }
}
