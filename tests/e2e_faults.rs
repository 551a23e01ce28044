//! Faults, load and reproducibility through a real engine: a cancelled build takes its
//! frontend process down (the time it took is a notice; a hang guard fails a frontend
//! that never stops), sixteen different builds at the same time each get
//! their own correct image, and two clean builds with `SOURCE_DATE_EPOCH` give the same
//! image digest. (An engine restart between builds is in `tests/e2e_restart.rs`: it must
//! not share a test binary with builds running in parallel.)

mod common;

use common::*;
use std::fs;
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// A hang guard, not a performance bound: a frontend still running this long after the
/// interrupt is taken to never stop, and fails the test. The time it took is a notice.
const HANG_GUARD: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------
// Cancellation
// ---------------------------------------------------------------------------------------

/// A registry that accepts connections and never answers: a base image resolved from it
/// keeps the frontend waiting inside the build, for as long as the test wants.
struct SilentRegistry {
    port: u16,
    connections: Arc<AtomicUsize>,
}

impl SilentRegistry {
    fn start() -> SilentRegistry {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
        let port = listener.local_addr().expect("local address").port();
        let connections = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&connections);
        thread::spawn(move || {
            let mut held: Vec<TcpStream> = Vec::new();
            for stream in listener.incoming().flatten() {
                counter.fetch_add(1, Ordering::SeqCst);
                held.push(stream);
            }
        });
        SilentRegistry { port, connections }
    }

    fn contacted(&self) -> bool {
        self.connections.load(Ordering::SeqCst) > 0
    }
}

/// The frontend processes of one build: those named `stagefile` whose environment
/// carries `marker` (build args reach the frontend as `BUILDKIT_FRONTEND_OPT_*`).
fn frontend_processes(marker: &str) -> Vec<u32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let comm = fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if comm.trim() != "stagefile" {
            continue;
        }
        let mut environ = Vec::new();
        if let Ok(mut file) = fs::File::open(format!("/proc/{pid}/environ")) {
            let _ = file.read_to_end(&mut environ);
        }
        if environ
            .windows(marker.len())
            .any(|window| window == marker.as_bytes())
        {
            found.push(pid);
        }
    }
    found
}

fn running(pid: u32) -> bool {
    // A zombie has exited: only its exit status is left for its parent.
    fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| {
            let state = stat.rsplit_once(") ").map(|(_, rest)| rest.chars().next());
            !matches!(state, Some(Some('Z' | 'X')))
        })
        .unwrap_or(false)
}

fn wait_until(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if done() {
            return true;
        }
        thread::sleep(Duration::from_millis(5));
    }
    done()
}

#[test]
fn interrupting_a_build_stops_its_frontend() {
    if !engine_enabled() {
        return;
    }
    let registry = SilentRegistry::start();
    let marker = format!("FAULT_MARKER={}", random_token());
    let build = Build::new().stagefile(&format!(
        "stages:\n  app:\n    from: 127.0.0.1:{}/stagefile/never-answered:1\n    steps:\n      - run: \"true\"\n",
        registry.port
    ));
    let log = build.path("buildx.log");
    let dir = build.dir().to_str().expect("UTF-8 path").to_owned();
    let mut command = Command::new("docker");
    command
        .args([
            "buildx",
            "build",
            "--progress=plain",
            "--build-arg",
            &marker,
        ])
        .args(["-f", &format!("{dir}/Stagefile"), &dir])
        // Its own process group, so the interrupt reaches docker and its buildx plugin
        // the way a terminal's Ctrl-C does.
        .process_group(0);
    let mut buildx = Background::spawn(&mut command, &log);
    let read_log = || fs::read_to_string(&log).unwrap_or_default();

    // The frontend is up and waiting on the registry for its base image's config.
    let mut frontend = None;
    // A hang guard: a frontend that never reaches the registry fails the test.
    let waiting = wait_until(2 * HANG_GUARD, || {
        frontend = frontend_processes(&marker).first().copied();
        frontend.is_some() && registry.contacted()
    });
    assert!(
        waiting,
        "the frontend never waited on the registry (frontend {frontend:?}, registry contacted: {});\n{}",
        registry.contacted(),
        read_log()
    );
    let frontend = frontend.expect("found above");
    assert!(
        buildx.exited().is_none(),
        "the build ended early:\n{}",
        read_log()
    );

    assert!(running(frontend), "the frontend ended before the interrupt");
    let interrupted = Instant::now();
    let interrupt =
        run_command(Command::new("kill").args(["-INT", "--", &format!("-{}", buildx.id())]));
    interrupt.assert_success();
    let stopped = wait_until(HANG_GUARD, || !running(frontend));
    let took = interrupted.elapsed();
    assert!(
        stopped,
        "the frontend (pid {frontend}) still runs {took:?} after the interrupt (hang guard)"
    );
    notice(&format!(
        "the frontend stopped {took:?} after the interrupt"
    ));

    // The client gives up with an error, and nothing of the build is left behind.
    let ended = wait_until(HANG_GUARD, || buildx.exited().is_some());
    assert!(ended, "buildx still runs a minute after the interrupt");
    let status = buildx.exited().expect("ended above");
    assert!(
        !status.success(),
        "an interrupted build succeeded:\n{}",
        read_log()
    );
    assert!(frontend_processes(&marker).is_empty());

    // The engine builds as before.
    let after = Build::new()
        .stagefile(
            "stages:\n  app:\n    from: busybox:1.35\n    steps:\n      - run: echo still-working > /status\n",
        )
        .run()
        .success();
    assert_eq!(
        after.image.run_ok(&["cat", "/status"]).trim(),
        "still-working"
    );
}

// ---------------------------------------------------------------------------------------
// Load
// ---------------------------------------------------------------------------------------

const CONCURRENT_BUILDS: usize = 16;

/// Build `index` of the concurrent set: four shapes (one stage; two stages and a copy; an
/// arg with a cache mount; a context file and a workdir), each with its own values.
fn concurrent_fixture(index: usize) -> (Build, String) {
    let expected = format!("build {index} of {CONCURRENT_BUILDS}");
    let body = match index % 4 {
        0 => format!(
            "stages:\n  app:\n    from: busybox:1.35\n    env: {{ BUILD_INDEX: '{index}' }}\n    steps:\n      - run: echo '{expected}' > /result\n"
        ),
        1 => format!(
            "stages:\n  make:\n    from: busybox:1.35\n    steps:\n      - run: mkdir /out && echo '{expected}' > /out/result\n  app:\n    from: busybox:1.35\n    env: {{ BUILD_INDEX: '{index}' }}\n    steps:\n      - copy: /out/result\n        from: make\n        to: /result\n"
        ),
        2 => format!(
            "args:\n  MESSAGE: '{expected}'\nstages:\n  app:\n    from: busybox:1.35\n    env: {{ BUILD_INDEX: '{index}' }}\n    steps:\n      - run: echo \"$MESSAGE\" > /cache/last && cp /cache/last /result\n        cache: {{ target: /cache, id: concurrent-{index} }}\n"
        ),
        _ => format!(
            "stages:\n  app:\n    from: busybox:1.35\n    workdir: /app\n    env: {{ BUILD_INDEX: '{index}' }}\n    steps:\n      - copy: message.txt\n      - run: cp message.txt /result\n"
        ),
    };
    let build = Build::new()
        .stagefile(&body)
        .file("message.txt", &format!("{expected}\n"));
    (build, expected)
}

#[test]
fn sixteen_concurrent_builds_each_produce_their_own_image() {
    if !engine_enabled() {
        return;
    }
    let fixtures: Vec<(Build, String)> = (0..CONCURRENT_BUILDS).map(concurrent_fixture).collect();
    let results: Vec<(usize, Built, String)> = thread::scope(|scope| {
        let handles: Vec<_> = fixtures
            .iter()
            .enumerate()
            .map(|(index, (build, expected))| {
                scope.spawn(move || (index, build.run(), expected.clone()))
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("a build thread panicked"))
            .collect()
    });
    for (index, built, expected) in &results {
        assert!(
            built.finished.status.success(),
            "concurrent build {index} failed:\n{}",
            built.output()
        );
        assert_eq!(
            built.image.run_ok(&["cat", "/result"]).trim(),
            expected,
            "build {index}"
        );
        let env = built.image.inspect("{{json .Config.Env}}");
        assert!(
            env.contains(&format!("\"BUILD_INDEX={index}\"")),
            "build {index} has the environment {env}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Reproducibility
// ---------------------------------------------------------------------------------------

const EPOCH: &str = "1700000000";
const EPOCH_RFC3339: &str = "2023-11-14T22:13:20Z";

/// The manifest digest of a clean (`--no-cache`) build exported as an OCI archive, its
/// timestamps rewritten to `SOURCE_DATE_EPOCH` when one is given.
fn clean_build_digest(build: &Build, epoch: Option<&str>, run: usize) -> String {
    let archive = build.path(&format!("image-{run}.tar"));
    let metadata = build.path(&format!("metadata-{run}.json"));
    let output = format!("type=oci,dest={},rewrite-timestamp=true", archive.display());
    let metadata_arg = metadata.to_str().expect("UTF-8 path").to_owned();
    let epoch_arg = epoch.map(|e| format!("SOURCE_DATE_EPOCH={e}"));
    let mut extra = vec![
        "--no-cache",
        "--output",
        &output,
        "--metadata-file",
        &metadata_arg,
    ];
    if let Some(arg) = &epoch_arg {
        extra.extend(["--build-arg", arg]);
    }
    // `--output` replaces the harness's `--load`: the image goes to the archive only.
    let built = build.run_file_without_load("Stagefile", &extra);
    built.finished.assert_success();
    let text = fs::read_to_string(&metadata).expect("buildx wrote the metadata file");
    let parsed: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("the build's metadata is not JSON ({e}):\n{text}"));
    parsed["containerimage.digest"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("no image digest in the build's metadata:\n{text}"))
}

/// The OCI exporter (and its `rewrite-timestamp`) needs BuildKit v0.13 and an image store
/// that can take it; Docker 20.10's classic store cannot.
fn reproducible_export_supported() -> bool {
    if old_engine() {
        notice("the engine cannot export OCI archives with rewritten timestamps; skipped");
        return false;
    }
    true
}

#[test]
fn source_date_epoch_makes_clean_builds_give_the_same_digest() {
    if !engine_enabled() || !reproducible_export_supported() {
        return;
    }
    // Steps whose files get fresh timestamps every time they run, copied between stages.
    let build = Build::new().stagefile(
        "stages:\n  make:\n    from: busybox:1.35\n    steps:\n      - run: mkdir -p /out && echo built > /out/artifact && touch /out/stamp\n  app:\n    from: busybox:1.35\n    steps:\n      - copy: [/out/artifact, /out/stamp]\n        from: make\n        to: /opt/\n      - run: echo installed > /opt/installed\n",
    );
    let first = clean_build_digest(&build, Some(EPOCH), 1);
    thread::sleep(Duration::from_millis(1100)); // a later second for every new file
    let second = clean_build_digest(&build, Some(EPOCH), 2);
    assert_eq!(
        first, second,
        "two clean builds with SOURCE_DATE_EPOCH differ"
    );
    let metadata = fs::read_to_string(build.path("metadata-1.json")).unwrap();
    assert!(
        metadata.contains(EPOCH_RFC3339),
        "the image is not dated SOURCE_DATE_EPOCH:\n{metadata}"
    );

    // Without it the same builds differ: the digest above is not equal by accident.
    let undated = clean_build_digest(&build, None, 3);
    thread::sleep(Duration::from_millis(1100));
    let undated_again = clean_build_digest(&build, None, 4);
    assert_ne!(
        undated, undated_again,
        "clean builds without an epoch should differ"
    );
}

#[test]
fn go_example_is_reproducible_with_source_date_epoch() {
    if !engine_enabled() || !reproducible_export_supported() {
        return;
    }
    let build = Build::example("go");
    let first = clean_build_digest(&build, Some(EPOCH), 1);
    let second = clean_build_digest(&build, Some(EPOCH), 2);
    assert_eq!(first, second, "two clean builds of examples/go differ");
    let archive = build.path("image-1.tar");
    assert!(Path::new(&archive).exists(), "no OCI archive written");
}
