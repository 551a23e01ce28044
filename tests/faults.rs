//! The frontend process must not outlive its connection: when BuildKit goes away (stdin
//! closes, as when a build is cancelled or the engine stops) it exits on its own, with a
//! failure status. No engine needed: the test plays BuildKit's side of the pipes and then
//! hangs up.
//!
//! Tests never assert on time. A frontend that waits on a dead pipe forever fails the test
//! at the hang guard ([`HANG_GUARD`], far longer than the milliseconds it takes); the time
//! it took is logged as a notice for whoever reads the output.

use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// A hang guard, not a performance bound: a frontend still running this long after
/// BuildKit hung up is taken to never exit, and fails the test.
const HANG_GUARD: Duration = Duration::from_secs(60);

fn frontend() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_stagefile"));
    command
        .arg("frontend")
        // What BuildKit sets; values that make the frontend start a normal build.
        .env("BUILDKIT_FRONTEND_OPT_0", "filename=Stagefile")
        .env("BUILDKIT_SESSION_ID", "fault-test")
        .env("BUILDKIT_EXPORTEDPRODUCT", "fault-test")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Waits for the child to exit; kills it and fails the test if it still runs
/// [`HANG_GUARD`] past `since`. Returns the status and the time taken (for a notice).
fn wait_for_exit(child: &mut Child, since: Instant) -> (ExitStatus, Duration) {
    loop {
        if let Some(status) = child.try_wait().expect("poll the frontend") {
            return (status, since.elapsed());
        }
        if since.elapsed() > HANG_GUARD {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the frontend still ran {:?} after its stdin closed",
                since.elapsed()
            );
        }
        thread::sleep(Duration::from_millis(2));
    }
}

fn stderr_of(child: &mut Child) -> String {
    let mut text = String::new();
    if let Some(mut stderr) = child.stderr.take() {
        let _ = stderr.read_to_string(&mut text);
    }
    text
}

#[test]
fn frontend_exits_at_once_when_started_with_stdin_closed() {
    let mut child = frontend().stdin(Stdio::null()).spawn().expect("start");
    let started = Instant::now();
    let (status, took) = wait_for_exit(&mut child, started);
    let stderr = stderr_of(&mut child);
    assert!(!status.success(), "exit status {status}; stderr:\n{stderr}");
    eprintln!("note: the frontend exited {took:?} after it started with stdin closed");
    assert!(
        stderr.contains("BuildKit"),
        "stderr should say what was lost:\n{stderr}"
    );
}

/// HTTP/2's client connection preface, which the frontend writes before any frame.
const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const FRAME_HEADERS: u8 = 0x1;

/// Reads the frontend's HTTP/2 output until it has sent the headers of its first request
/// (a HEADERS frame on a stream other than 0), then keeps draining it.
fn await_first_request(mut stdout: impl Read + Send + 'static) -> mpsc::Receiver<()> {
    let (sent, seen) = mpsc::channel();
    thread::spawn(move || {
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        let mut at = PREFACE.len();
        let mut told = false;
        loop {
            let n = match stdout.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            if told {
                continue;
            }
            out.extend_from_slice(&buf[..n]);
            // A frame: 24-bit length, type, flags, 31-bit stream id, payload.
            while out.len() >= at + 9 {
                let header = &out[at..at + 9];
                let length = u32::from_be_bytes([0, header[0], header[1], header[2]]) as usize;
                let stream = u32::from_be_bytes([header[5], header[6], header[7], header[8]]);
                if header[3] == FRAME_HEADERS && stream & 0x7fff_ffff != 0 {
                    let _ = sent.send(());
                    told = true;
                    break;
                }
                at += 9 + length;
            }
        }
    });
    seen
}

#[test]
fn frontend_exits_when_stdin_closes_mid_call() {
    let mut child = frontend().spawn().expect("start");
    let stdout = child.stdout.take().expect("stdout");
    // Once its first request is out, the frontend waits for BuildKit's answer.
    let first_request = await_first_request(stdout);
    if first_request.recv_timeout(HANG_GUARD).is_err() {
        let _ = child.kill();
        let _ = child.wait();
        panic!(
            "the frontend sent no request within the hang guard ({HANG_GUARD:?}); stderr:\n{}",
            stderr_of(&mut child)
        );
    }
    assert!(
        child.try_wait().expect("poll").is_none(),
        "the frontend exited before BuildKit hung up"
    );

    // Hang up, as BuildKit's end of the pipe does when the build is cancelled.
    drop(child.stdin.take());
    let closed = Instant::now();
    let (status, took) = wait_for_exit(&mut child, closed);
    let stderr = stderr_of(&mut child);
    assert!(!status.success(), "exit status {status}; stderr:\n{stderr}");
    eprintln!("note: the frontend exited {took:?} after its stdin closed");
}
