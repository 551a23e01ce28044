//! The end-to-end harness shared by the engine test files (`tests/e2e.rs`,
//! `tests/e2e_format.rs`, `tests/e2e_platform.rs`, `tests/e2e_hostile.rs` and the other
//! `tests/e2e_*.rs`): fixtures in temporary directories, builds through
//! `docker buildx build` with the frontend image named by the `# syntax=` line, image
//! guards that remove what a test tagged, parsers for `--progress=plain` output, the ELF
//! header of a built binary (`elf.rs`), and the engine's version for tests that differ on
//! old engines. `cli.rs` holds the offline commands' test builder (`tests/cli.rs`,
//! `tests/cli_llb.rs`).
//!
//! The engine tests run only when `STAGEFILE_E2E` is set (`hack/test` sets it after
//! `hack/engine`, `hack/base-images` and `hack/image`). Without it each one prints a notice
//! and passes; with it, a missing engine or frontend image is a failure.
//! `STAGEFILE_IMAGE` names the frontend image (default `stagefile:dev`).
//!
//! Standard library only. Each test binary uses a part of it.
#![allow(dead_code)]

pub mod apps;
pub mod cli;
pub mod elf;
mod fixture;
pub mod gate;
pub mod progress;
pub mod registry;

pub use fixture::*;
pub use progress::*;

use std::collections::hash_map::RandomState;
use std::env;
use std::fs;
use std::hash::{BuildHasher, Hasher};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A hang guard, not a time assertion: a docker command still running this long is taken
/// to never finish, is killed, and fails the test.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(900);

// ---------------------------------------------------------------------------------------
// Host commands and text
// ---------------------------------------------------------------------------------------

/// The lines of `text`, each trimmed, without empty ones.
pub fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Hex SHA-256 of a file, by the host's `sha256sum`.
pub fn sha256_file(path: &Path) -> String {
    let sum = run_command(Command::new("sha256sum").arg(path));
    sum.assert_success();
    sum.stdout
        .split_whitespace()
        .next()
        .expect("sha256sum prints a digest")
        .to_owned()
}

/// Runs a host command that must succeed; returns its stdout.
pub fn host(command: &mut Command) -> String {
    let done = run_command(command);
    done.assert_success();
    done.stdout
}

// ---------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------

pub fn frontend_image() -> String {
    env::var("STAGEFILE_IMAGE")
        .ok()
        .filter(|image| !image.is_empty())
        .unwrap_or_else(|| "stagefile:dev".to_owned())
}

pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn test_name() -> String {
    thread::current()
        .name()
        .unwrap_or("e2e")
        .rsplit("::")
        .next()
        .unwrap_or("e2e")
        .to_owned()
}

/// False (after printing a notice) when the end-to-end tests are not enabled. When they
/// are, panics unless the engine answers and the frontend image is loaded.
pub fn engine_enabled() -> bool {
    if env::var_os("STAGEFILE_E2E").is_none() {
        // Straight to the process's stderr: the test harness would capture `eprintln!`.
        let _ = writeln!(
            std::io::stderr(),
            "skipped {}: needs a BuildKit engine; run hack/test, or set STAGEFILE_E2E=1",
            test_name()
        );
        return false;
    }
    static READY: OnceLock<Result<(), String>> = OnceLock::new();
    if let Err(problem) = READY.get_or_init(check_engine) {
        panic!("STAGEFILE_E2E is set but the engine is not ready: {problem}");
    }
    true
}

pub fn check_engine() -> Result<(), String> {
    let info = run_command(Command::new("docker").args(["info", "--format", "{{.ServerVersion}}"]));
    if !info.status.success() {
        return Err(format!(
            "`docker info` failed (run hack/engine):\n{}",
            info.text()
        ));
    }
    let buildx = run_command(Command::new("docker").args(["buildx", "version"]));
    if !buildx.status.success() {
        return Err(format!(
            "`docker buildx version` failed (run hack/engine):\n{}",
            buildx.text()
        ));
    }
    let image = frontend_image();
    let inspect = run_command(
        Command::new("docker").args(["image", "inspect", "--format", "{{.Id}}", &image]),
    );
    if !inspect.status.success() {
        return Err(format!(
            "frontend image {image} is not loaded (run hack/image):\n{}",
            inspect.text()
        ));
    }
    Ok(())
}

/// The major version of the engine's Docker server (`20` for 20.10.24, `26` for 26.1.5).
pub fn engine_major() -> u32 {
    static MAJOR: OnceLock<u32> = OnceLock::new();
    *MAJOR.get_or_init(|| {
        let info =
            run_command(Command::new("docker").args(["info", "--format", "{{.ServerVersion}}"]));
        info.assert_success();
        let version = info.stdout.trim().to_owned();
        version
            .split('.')
            .next()
            .and_then(|major| major.parse().ok())
            .unwrap_or_else(|| panic!("cannot read the Docker server version {version:?}"))
    })
}

/// buildx's (major, minor) version, from `docker buildx version` (`… v0.29.1 …` or
/// `… 0.13.1+ds1 …`).
pub fn buildx_version() -> (u32, u32) {
    static VERSION: OnceLock<(u32, u32)> = OnceLock::new();
    *VERSION.get_or_init(|| {
        let out = run_command(Command::new("docker").args(["buildx", "version"]));
        out.assert_success();
        out.stdout
            .split_whitespace()
            .find_map(|word| {
                let mut parts = word.trim_start_matches('v').split(['.', '+', '-']);
                let major = parts.next()?.parse().ok()?;
                let minor = parts.next()?.parse().ok()?;
                Some((major, minor))
            })
            .unwrap_or_else(|| panic!("cannot read buildx's version from {:?}", out.stdout))
    })
}

/// buildx's flag for a frontend query: `--call=NAME` since buildx 0.15, which replaced
/// `--print=NAME`.
pub fn query_flag(name: &str) -> String {
    if buildx_version() >= (0, 15) {
        format!("--call={name}")
    } else {
        format!("--print={name}")
    }
}

/// `docker info --format FORMAT`, trimmed.
pub fn docker_info(format: &str) -> String {
    let info = docker(&["info", "--format", format]);
    info.assert_success();
    info.stdout.trim().to_owned()
}

/// True when the daemon keeps images in containerd's store (needed for multi-platform
/// builds through buildx's `docker` driver).
pub fn containerd_store() -> bool {
    docker_info("{{json .DriverStatus}}").contains("io.containerd.snapshotter")
}

/// True on an engine older than Docker 23, whose BuildKit (v0.8 in Docker 20.10) lacks
/// what newer ones have: merge ops, secret env, copy include/exclude patterns, build
/// warnings, and (through Docker 20.10) source locations in errors. Tests of those
/// features check there that the frontend refuses them by name, or that the engine's
/// limits hold, instead.
pub fn old_engine() -> bool {
    engine_major() < 23
}

/// A test that cannot run here: in strict mode (`STAGEFILE_E2E_STRICT`, which hack/test
/// sets on the engine it started for the whole suite) that is a failure; otherwise a
/// notice says what was skipped and why, and the test passes.
pub fn skip(reason: &str) {
    if env::var_os("STAGEFILE_E2E_STRICT").is_some_and(|v| !v.is_empty()) {
        panic!("strict mode: this test must run on this engine, but {reason}");
    }
    let _ = writeln!(std::io::stderr(), "skipped {}: {reason}", test_name());
}

/// Prints a line about what this test checks differently, straight to the process's
/// stderr (the test harness would capture `eprintln!`).
pub fn notice(text: &str) {
    let _ = writeln!(std::io::stderr(), "note for {}: {text}", test_name());
}

/// A name no other test, process or earlier run uses: lower case, fit for image tags.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let prefix: String = prefix
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    format!(
        "{prefix}-{}-{}-{nanos:09}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// What a finished command left behind.
pub struct Finished {
    pub command: String,
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Finished {
    pub fn text(&self) -> String {
        format!(
            "$ {}\n--- exit: {}\n--- stdout:\n{}\n--- stderr:\n{}",
            self.command, self.status, self.stdout, self.stderr
        )
    }

    /// stdout and stderr together (buildx writes its progress and errors to stderr).
    pub fn output(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    pub fn assert_success(&self) {
        assert!(self.status.success(), "command failed:\n{}", self.text());
    }

    pub fn assert_failure(&self) {
        assert!(
            !self.status.success(),
            "command unexpectedly succeeded:\n{}",
            self.text()
        );
    }
}

/// A command as it would be typed, for logs and failure messages.
pub fn command_line(command: &Command) -> String {
    format!(
        "{} {}",
        command.get_program().to_string_lossy(),
        command
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    )
}

/// Runs a command with no stdin, collecting its output; kills it after COMMAND_TIMEOUT.
pub fn run_command(command: &mut Command) -> Finished {
    let line = command_line(command);
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start `{line}`: {e}"));
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + COMMAND_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for a child process") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let status = child.wait().expect("waiting for a killed child process");
            panic!(
                "`{line}` did not finish within {COMMAND_TIMEOUT:?} ({status}); output so far:\n{}{}",
                stdout.join().unwrap_or_default(),
                stderr.join().unwrap_or_default()
            );
        }
        thread::sleep(Duration::from_millis(50));
    };
    Finished {
        command: line,
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

pub fn docker(args: &[&str]) -> Finished {
    run_command(Command::new("docker").args(args))
}

/// 32 hex digits nobody can guess or has used before (std only: the randomly keyed
/// hasher of `RandomState`, fed the time and the process id).
pub fn random_token() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut token = String::new();
    for round in 0..2u8 {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u128(nanos);
        hasher.write_u32(std::process::id());
        hasher.write_u8(round);
        token.push_str(&format!("{:016x}", hasher.finish()));
    }
    token
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("binding 127.0.0.1:0")
        .port()
}

/// True once something accepts connections on 127.0.0.1:`port`, false after `timeout`.
pub fn wait_for_port(port: u16, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        thread::sleep(Duration::from_millis(50));
    }
    false
}

/// True when `program` is on the PATH.
pub fn have_program(program: &str) -> bool {
    env::var_os("PATH")
        .is_some_and(|path| env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// Panics, naming the package to install, unless every program is on the PATH (the
/// engine phase of hack/test installs them).
pub fn require_programs(programs: &[&str], package: &str) {
    let missing: Vec<&str> = programs
        .iter()
        .copied()
        .filter(|p| !have_program(p))
        .collect();
    assert!(
        missing.is_empty(),
        "{} not found: install the Debian package {package} (hack/test's engine phase does)",
        missing.join(", ")
    );
}

/// A process started for one test (a server, an agent), killed and reaped on drop.
/// Its stdout and stderr go to `log`.
pub struct Background {
    pub name: String,
    child: Child,
}

impl Background {
    pub fn spawn(command: &mut Command, log: &Path) -> Background {
        let name = command_line(command);
        let out =
            fs::File::create(log).unwrap_or_else(|e| panic!("creating {}: {e}", log.display()));
        let err = out.try_clone().expect("duplicating a log file handle");
        let child = command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start `{name}`: {e}"));
        Background { name, child }
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Some(status) when the process has already ended.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
