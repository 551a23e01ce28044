//! The frontend's own time: each round trip to the engine is logged as it ends, and one
//! summary line per build says how long the frontend took from its start to `Return`
//! (`hack/bench` reads it to split a build's time between the frontend and the engine).

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The kinds of round trip, in the order the summary line lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trip {
    /// `Ping`.
    Ping,
    /// `Solve` of a local source filtered to the files to read. BuildKit answers with a
    /// lazy ref: the files cross from the client's session during the first read.
    Transfer,
    /// `ReadFile` of one file (the first on a ref waits for the transfer).
    Read,
    /// `ResolveImageConfig` for one base image and platform.
    Resolve,
    /// `Inputs`: the client's `input:` graphs.
    Inputs,
    /// `Solve` of one platform's build graph.
    Solve,
    /// `Warn` for one warning.
    Warn,
    /// `Return`.
    Return,
}

const TRIPS: [Trip; 8] = [
    Trip::Ping,
    Trip::Transfer,
    Trip::Read,
    Trip::Resolve,
    Trip::Inputs,
    Trip::Solve,
    Trip::Warn,
    Trip::Return,
];

impl Trip {
    pub fn name(self) -> &'static str {
        match self {
            Trip::Ping => "ping",
            Trip::Transfer => "transfer",
            Trip::Read => "read",
            Trip::Resolve => "resolve",
            Trip::Inputs => "inputs",
            Trip::Solve => "solve",
            Trip::Warn => "warn",
            Trip::Return => "return",
        }
    }
}

/// The build's clock: when the process started and every round trip so far. Clones
/// share the record, so concurrent calls each add theirs.
#[derive(Clone, Debug)]
pub struct Clock {
    started: Instant,
    trips: Arc<Mutex<Vec<(Trip, Duration)>>>,
}

impl Clock {
    pub fn new(started: Instant) -> Self {
        Clock {
            started,
            trips: Arc::default(),
        }
    }

    /// Runs one round trip, logs its time (`round trip: read Stagefile 1.234 ms`) and
    /// records it for the summary.
    pub async fn time<T>(&self, trip: Trip, what: &str, call: impl Future<Output = T>) -> T {
        let start = Instant::now();
        let out = call.await;
        let took = start.elapsed();
        log::info!("round trip: {} {what} {:.3} ms", trip.name(), ms(took));
        if let Ok(mut trips) = self.trips.lock() {
            trips.push((trip, took));
        }
        out
    }

    /// The one line a benchmark parses:
    /// `frontend time: total_ms=12.345 answer=result ping_ms=1.2 read_ms=2.1,1.9,1.8 …`.
    /// Every kind is listed, in a fixed order; several round trips of a kind are
    /// comma-separated in the order they ended, none is `-`. Round trips overlap, so
    /// their sum may exceed the total.
    pub fn summary(&self, answer: &str) -> String {
        let mut line = format!(
            "frontend time: total_ms={:.3} answer={answer}",
            ms(self.started.elapsed())
        );
        let trips = self.trips.lock().map(|t| t.clone()).unwrap_or_default();
        for kind in TRIPS {
            let times: Vec<String> = trips
                .iter()
                .filter(|(t, _)| *t == kind)
                .map(|(_, d)| format!("{:.3}", ms(*d)))
                .collect();
            let list = if times.is_empty() {
                "-".to_owned()
            } else {
                times.join(",")
            };
            line.push_str(&format!(" {}_ms={list}", kind.name()));
        }
        line
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_lists_every_kind_in_order() {
        let clock = Clock::new(Instant::now());
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            clock.time(Trip::Read, "a", async {}).await;
            clock.time(Trip::Read, "b", async {}).await;
            clock.time(Trip::Ping, "", async {}).await;
        });
        let line = clock.summary("result");
        let keys: Vec<&str> = line
            .split(' ')
            .skip(2)
            .map(|kv| kv.split('=').next().unwrap())
            .collect();
        assert_eq!(
            keys,
            [
                "total_ms",
                "answer",
                "ping_ms",
                "transfer_ms",
                "read_ms",
                "resolve_ms",
                "inputs_ms",
                "solve_ms",
                "warn_ms",
                "return_ms"
            ]
        );
        assert!(line.contains(" answer=result "), "{line}");
        assert!(line.contains(" resolve_ms=- "), "{line}");
        let reads = line.split(" read_ms=").nth(1).unwrap();
        assert_eq!(reads.split(' ').next().unwrap().split(',').count(), 2);
    }
}
