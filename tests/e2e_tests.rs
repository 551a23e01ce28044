//! End-to-end tests of `tests:` on a stage: every build whose target needs the stage
//! runs its tests, `--target` cannot skip them, a failing test fails the build at its
//! line, nothing a test writes reaches the image, a `stage:` test builds with the stage,
//! and a stage the target does not need has its tests left alone.
//!
//! The commands print values the shell computes (`$((6*7))`), so a test's output can
//! only come from the test having run, never from its own command line in the progress.
//! Each fixture holds a token of its own run, so no test relies on, or is hurt by, what
//! the engine has cached. Like the other engine tests, these run only with
//! `STAGEFILE_E2E` set; the harness is in `tests/common/mod.rs`.

mod common;

use common::apps::require_bases;
use common::*;

/// Whether a line of the progress output (`#N 0.123 TEXT`) is exactly `text`, printed by
/// a step rather than naming one.
fn printed(output: &str, text: &str) -> bool {
    output.lines().any(|line| {
        line.starts_with('#')
            && line.trim_end().ends_with(&format!(" {text}"))
            && !line.contains("RUN ")
    })
}

/// A `build` stage with two tests, a `runtime` copying from it, and a stage nothing needs.
fn tested(token: &str) -> String {
    format!(
        "\
stages:
  build:
    from: busybox:1.35
    steps:
      - run: echo {token} > /built
    tests:
      - run: echo \"vet-$((6*7))-{token}\"
      - run: test -f /built && echo \"unit-$((6*8))-{token}\"
  runtime:
    from: scratch
    steps:
      - copy: /built
        from: build
  unrelated:
    from: busybox:1.35
    tests:
      - run: echo \"never-$((7*7))-{token}\"
"
    )
}

#[test]
fn target_runtime_runs_the_tests_of_the_stage_it_copies_from() {
    if !engine_enabled() {
        return;
    }
    let token = unique("tested");
    let build = Build::new().stagefile(&tested(&token)).target("runtime");
    let built = build.run().success();
    let output = built.output();
    let (first, _) = vertex(&output, "[build test 1/2] RUN echo");
    let (second, _) = vertex(&output, "[build test 2/2] RUN test -f /built");
    assert!(
        first.contains(&token) && second.contains(&token),
        "{output}"
    );
    assert!(printed(&output, &format!("vet-42-{token}")), "{output}");
    assert!(
        printed(&output, &format!("unit-48-{token}")),
        "the second test sees the stage's files:\n{output}"
    );
    assert!(
        !output.contains("[unrelated"),
        "a stage the target does not need has no tests to run:\n{output}"
    );
}

#[test]
fn a_stage_the_target_does_not_need_keeps_its_tests_unrun() {
    if !engine_enabled() {
        return;
    }
    let token = unique("unreached");
    // `lonely`'s test would fail the build if it ran.
    let build = Build::new()
        .stagefile(&format!(
            "\
stages:
  lonely:
    from: busybox:1.35
    tests:
      - run: echo \"lonely-$((3+4))-{token}\" && exit 1
  app:
    from: busybox:1.35
    steps:
      - run: echo \"app-$((2+2))-{token}\"
"
        ))
        .target("app");
    let built = build.run().success();
    let output = built.output();
    assert!(printed(&output, &format!("app-4-{token}")), "{output}");
    assert!(!output.contains("[lonely test"), "{output}");
    assert!(!printed(&output, &format!("lonely-7-{token}")), "{output}");
}

#[test]
fn a_failing_test_fails_the_build_at_its_line() {
    if !engine_enabled() {
        return;
    }
    let token = unique("failing");
    let body = format!(
        "\
stages:
  build:
    from: busybox:1.35
    steps:
      - run: echo {token} > /built
    tests:
      - run: echo fine
      - run: echo \"broken-$((5*5))-{token}\" && exit 3
  runtime:
    from: scratch
    steps:
      - copy: /built
        from: build
"
    );
    let build = Build::new().stagefile(&body).target("runtime");
    let built = build.run().failure();
    let output = built.output();
    // The syntax line comes first in the file the engine reads.
    let line = line_of(&build.stagefile_text(), "exit 3");
    built.assert_located(&[line], "[build test 2/2] RUN echo");
    assert!(
        output.contains("[build test 2/2]"),
        "the failing vertex is named under its stage:\n{output}"
    );
    assert!(
        printed(&output, &format!("broken-25-{token}")),
        "the test's own output is shown:\n{output}"
    );
    assert!(output.contains("exit code: 3"), "{output}");
}

#[test]
fn nothing_a_test_writes_reaches_the_image() {
    if !engine_enabled() {
        return;
    }
    let token = unique("marker");
    let build = Build::new().stagefile(&format!(
        "\
stages:
  app:
    from: busybox:1.35
    steps:
      - run: echo {token} > /built
    tests:
      - run: echo {token} > /marker && mkdir -p /tmp/left && test -f /built
"
    ));
    let out = TempDir::new("tests-rootfs");
    let dest = format!("type=local,dest={}", out.path().display());
    let built = build.run_file_without_load("Stagefile", &["--output", &dest]);
    built.finished.assert_success();
    assert!(
        built.output().contains("[app test 1/1]"),
        "{}",
        built.output()
    );
    let root = out.path();
    assert_eq!(
        std::fs::read_to_string(root.join("built")).unwrap().trim(),
        token
    );
    assert!(
        !root.join("marker").exists(),
        "the test's /marker reached the exported rootfs"
    );
    assert!(!root.join("tmp/left").exists());
}

#[test]
fn a_stage_test_builds_with_the_target_and_fails_it() {
    if !engine_enabled() {
        return;
    }
    let token = unique("stage-test");
    let body = |check: &str| {
        format!(
            "\
stages:
  build:
    from: busybox:1.35
    steps:
      - run: echo {token} > /built
    tests:
      - stage: unit
  unit:
    from: build
    steps:
      - run: {check}
  runtime:
    from: scratch
    steps:
      - copy: /built
        from: build
"
        )
    };
    let passing = Build::new()
        .stagefile(&body(&format!("echo \"unit-$((2+3))-{token}\"")))
        .target("runtime");
    let built = passing.run().success();
    let output = built.output();
    assert!(
        output.contains("[unit "),
        "the test stage's steps show:\n{output}"
    );
    assert!(printed(&output, &format!("unit-5-{token}")), "{output}");

    let failing = Build::new()
        .stagefile(&body(&format!("echo \"unit-$((2+4))-{token}\" && exit 4")))
        .target("runtime");
    let built = failing.run().failure();
    let line = line_of(&failing.stagefile_text(), "exit 4");
    built.assert_located(&[line], "exit 4");
    assert!(
        built.output().contains("exit code: 4"),
        "{}",
        built.output()
    );
}

#[test]
fn queries_do_not_run_tests() {
    if !engine_enabled() {
        return;
    }
    if buildx_version() < (0, 15) {
        skip("buildx before 0.15 has no --call");
        return;
    }
    let token = unique("query");
    let build = Build::new().stagefile(&tested(&token));
    let outline = buildx(&build, &[], &["--call=outline", "--target", "runtime"]);
    outline.assert_success();
    assert!(
        !outline.output().contains("[build test"),
        "{}",
        outline.text()
    );
}

#[test]
fn the_tested_example_runs_go_vet_and_go_test() {
    if !engine_enabled() {
        return;
    }
    require_bases("examples/tested", &["debian:bookworm"]);
    let build = Build::example("tested");
    let built = build.run().success();
    let output = built.output();
    vertex(&output, "[build test 1/2] RUN go vet ./...");
    vertex(&output, "[build test 2/2] RUN go test ./...");
    assert_eq!(
        built.image.run_ok(&["stagefile"]),
        "hello, stagefile\n",
        "{output}"
    );
    // A broken greeting fails the build at the `go test` line.
    let source = build.path("main.go");
    let text = std::fs::read_to_string(&source).unwrap();
    std::fs::write(&source, text.replace("\"hello, \"", "\"hi, \"")).unwrap();
    let broken = build.run().failure();
    let line = line_of(&build.stagefile_text(), "run: go test");
    broken.assert_located(&[line], "[build test 2/2] RUN go test ./...");
    assert!(
        broken.output().contains("--- FAIL: TestGreeting"),
        "{}",
        broken.output()
    );
}
