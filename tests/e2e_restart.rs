//! An engine restart between builds must not break the next build: the frontend image,
//! the base images and the build cache live on disk, and the frontend holds no state of
//! its own between builds. Alone in its test binary, because restarting the engine fails
//! any build running at the same time.
//!
//! The engine is restarted with `hack/engine --restart`, which only restarts a daemon that
//! `hack/engine` started (as `hack/test` and CI do); with another daemon the test prints a
//! notice and passes, except in strict mode (see `common::skip`).

mod common;

use common::*;
use std::process::Command;

const FIXTURE: &str = "stages:
  make:
    from: busybox:1.35
    steps:
      - run: mkdir /out && echo made before the restart > /out/made
  app:
    from: busybox:1.35
    steps:
      - copy: /out/made
        from: make
        to: /made
      - copy: note.txt
        to: /note
";

/// Restarts the engine this repository's scripts started; false (with a notice) when the
/// running daemon is someone else's.
fn restart_engine() -> bool {
    let mut command = Command::new(repo_root().join("hack/engine"));
    command.args([
        "--restart",
        "--no-qemu",
        "--engine",
        &engine_major().to_string(),
    ]);
    let restarted = run_command(&mut command);
    if restarted.status.success() {
        return true;
    }
    if restarted.text().contains("was not started by hack/engine") {
        skip("the running engine was not started by hack/engine, so it is not restarted");
        return false;
    }
    panic!("hack/engine --restart failed:\n{}", restarted.text());
}

#[test]
fn builds_work_after_an_engine_restart() {
    if !engine_enabled() {
        return;
    }
    let build = Build::new().stagefile(FIXTURE).file("note.txt", "first\n");
    let before = build.run().success();
    assert_eq!(
        before.image.run_ok(&["cat", "/made"]).trim(),
        "made before the restart"
    );

    if !restart_engine() {
        return;
    }
    check_engine().unwrap_or_else(|problem| panic!("after the restart: {problem}"));

    // The same build again: it works, and its `run` step comes from the cache on disk.
    let again = build.run().success();
    assert_eq!(again.image.run_ok(&["cat", "/note"]).trim(), "first");
    let (_, cached) = vertex(&again.output(), "echo made before the restart");
    assert!(
        cached,
        "the run step was not cached after the restart:\n{}",
        again.output()
    );

    // And a changed context is picked up as usual.
    std::fs::write(build.path("note.txt"), "second\n").unwrap();
    let changed = build.run().success();
    assert_eq!(changed.image.run_ok(&["cat", "/note"]).trim(), "second");
    assert_eq!(
        changed.image.run_ok(&["cat", "/made"]).trim(),
        "made before the restart"
    );
}
