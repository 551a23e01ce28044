//! The Rust half of `hack/bench`: what the benchmark script would otherwise re-implement
//! in awk, taken from the code the benchmarks and tests already use.
//!
//!   benchtool generate N          a Stagefile of N stages (benches/generated.rs)
//!   benchtool steps LOG           each build step of a `--progress=plain` log and the
//!                                 export: `cached|ran|other<TAB>name`, in order
//!   benchtool transferred LOG KIND
//!                                 bytes of `transferring KIND:` (context, dockerfile),
//!                                 each vertex's last report, summed
//!
//! Built and run by hack/bench (`cargo build --example benchtool`).

#![allow(dead_code)]

#[path = "../benches/generated.rs"]
mod generated;
#[path = "../tests/common/progress.rs"]
mod progress;

use progress::StepState;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match run(&args) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("benchtool: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[&str]) -> Result<String, String> {
    match args {
        ["generate", n] => {
            let n: usize = n
                .parse()
                .map_err(|_| format!("generate takes a number of stages, not {n:?}"))?;
            Ok(generated::generated(n))
        }
        ["steps", log] => Ok(progress::steps(&read(log)?, true)
            .into_iter()
            .map(|(name, state)| {
                let state = match state {
                    StepState::Cached => "cached",
                    StepState::Ran => "ran",
                    StepState::Other => "other",
                };
                format!("{state}\t{name}\n")
            })
            .collect()),
        ["transferred", log, kind] => {
            let total: u64 = progress::transfers(&read(log)?, kind)
                .into_iter()
                .map(|(_, bytes)| bytes)
                .sum();
            Ok(format!("{total}\n"))
        }
        _ => Err("usage: benchtool generate N | steps LOG | transferred LOG KIND".to_owned()),
    }
}

fn read(path: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("reading {path}: {e}"))
}
