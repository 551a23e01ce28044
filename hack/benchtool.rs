//! The Rust half of `hack/bench`: what the benchmark script would otherwise re-implement
//! in awk, taken from the code the benchmarks and tests already use.
//!
//!   benchtool generate N          a Stagefile of N stages (benches/generated.rs)
//!   benchtool steps LOG           each build step of a `--progress=plain` log and the
//!                                 export: `cached|ran|other<TAB>name`, in order
//!   benchtool durations LOG       seconds each vertex took (`DONE 1.2s`):
//!                                 `seconds<TAB>name`, in vertex order
//!   benchtool transferred LOG KIND
//!                                 bytes of `transferring KIND:` (context, dockerfile),
//!                                 each vertex's last report, summed
//!   benchtool frontend-times LOG  the frontend's `frontend time:` summary lines of the
//!                                 successful builds in an engine log: for the total
//!                                 and each kind of round trip, `key builds mean_ms`
//!                                 (a build's round trips of one kind summed)
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
        ["durations", log] => Ok(progress::durations(&read(log)?)
            .into_iter()
            .map(|(name, seconds)| format!("{seconds:.3}\t{name}\n"))
            .collect()),
        ["transferred", log, kind] => {
            let total: u64 = progress::transfers(&read(log)?, kind)
                .into_iter()
                .map(|(_, bytes)| bytes)
                .sum();
            Ok(format!("{total}\n"))
        }
        ["frontend-times", log] => frontend_times(&read(log)?),
        _ => Err(
            "usage: benchtool generate N | steps LOG | durations LOG | transferred LOG KIND | frontend-times LOG"
                .to_owned(),
        ),
    }
}

fn read(path: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("reading {path}: {e}"))
}

/// Means over the builds of the frontend's summary lines (see docs/architecture.md):
/// `total` and each `KIND_ms` key, in the line's order; `-` counts as no time.
fn frontend_times(log: &str) -> Result<String, String> {
    let mut keys: Vec<String> = Vec::new();
    let mut sums: Vec<f64> = Vec::new();
    let mut builds = 0usize;
    for line in log.lines() {
        let Some(at) = line.find("frontend time: ") else {
            continue;
        };
        let fields = &line[at + "frontend time: ".len()..];
        if !fields.split(' ').any(|kv| kv == "answer=result") {
            continue;
        }
        builds += 1;
        for kv in fields.split(' ') {
            let Some((key, value)) = kv.split_once('=') else {
                continue;
            };
            let Some(key) = key.strip_suffix("_ms") else {
                continue;
            };
            let total: f64 = value
                .split(',')
                .filter(|v| *v != "-")
                .map(|v| v.parse::<f64>().map_err(|_| format!("not a time: {kv:?}")))
                .sum::<Result<f64, String>>()?
                + 0.0; // an empty sum is -0.0
            match keys.iter().position(|k| k == key) {
                Some(i) => sums[i] += total,
                None => {
                    keys.push(key.to_owned());
                    sums.push(total);
                }
            }
        }
    }
    if builds == 0 {
        return Err("no `frontend time:` line of a successful build in the log".to_owned());
    }
    Ok(keys
        .iter()
        .zip(&sums)
        .map(|(key, sum)| format!("{key} {builds} {:.3}\n", sum / builds as f64))
        .collect())
}
