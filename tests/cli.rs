//! The offline commands, run as a user would: `stagefile check` (accepted files, located
//! errors with their frames and suggestions, targets and build args, lint settings, value
//! errors, the "too many errors" cap and the exact text printed). `stagefile llb`,
//! `outline` and `frontend` are covered by `tests/cli_llb.rs`; the `Test` builder both use
//! is in `tests/common/cli.rs`.

mod common;

use common::cli::*;

#[test]
fn check_accepts_a_good_file() {
    let out = Test::new("good", GOOD).args(&["check", "Stagefile"]).run();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("ok (2 stages to build for target `app`)"));
}

#[test]
fn check_shows_a_code_frame_and_a_suggestion_for_a_misspelt_key() {
    let out = Test::new("misspelt", "stages:\n  app:\n    form: scratch\n")
        .args(&["check", "Stagefile"])
        .run();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("unknown key `form`"), "{err}");
    assert!(err.contains("Stagefile:3:5"), "{err}");
    assert!(err.contains("3 |     form: scratch"), "{err}");
    assert!(err.contains("did you mean `from`?"), "{err}");
}

#[test]
fn check_reports_unknown_stage_and_cycle_with_lines() {
    let unknown = "stages:\n  build:\n    from: scratch\n  app:\n    from: scratch\n    steps:\n      - copy: /x\n        from: bulid\n";
    let err = text(
        &Test::new("unknown", unknown)
            .args(&["check", "Stagefile"])
            .run()
            .stderr,
    );
    assert!(err.contains("Stagefile:8:"), "{err}");
    assert!(err.contains("did you mean stage `build`?"), "{err}");

    let cycle = "stages:\n  a:\n    from: b\n  b:\n    from: a\n";
    let out = Test::new("cycle", cycle)
        .args(&["check", "Stagefile"])
        .run();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("stages form a cycle: b → a → b"), "{err}");
    assert!(err.contains("Stagefile:3:"), "{err}");
}

#[test]
fn check_honours_target_and_build_args() {
    // `app` (the last stage, so the default target) needs `base`; `tool` needs neither.
    let src = "args:\n  TAG: null\nstages:\n  base:\n    from: busybox:${TAG}\n  tool:\n    from: scratch\n  app:\n    from: base\n";
    let run = |name: &str, args: &[&str]| {
        let mut all = vec!["check", "Stagefile"];
        all.extend_from_slice(args);
        let out = Test::new(name, src).args(&all).run();
        (out.status.code(), text(&out.stdout), text(&out.stderr))
    };

    let (code, _, err) = run("noarg", &[]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("error: arg `TAG` has no value"), "{err}");
    assert!(err.contains("--> Stagefile:5:11"), "{err}");

    let (code, out, err) = run("arg", &["--build-arg", "TAG=1.35"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out, "Stagefile: ok (2 stages to build for target `app`)\n");

    let (code, out, err) = run("target", &["--build-arg", "TAG=1.35", "--target", "tool"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out, "Stagefile: ok (1 stage to build for target `tool`)\n");

    let (code, out, err) = run(
        "no-such-target",
        &["--build-arg", "TAG=1.35", "--target", "nope"],
    );
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(out, "");
    assert!(
        err.contains("error: target stage `nope` is not defined"),
        "{err}"
    );
    assert!(err.contains("stages are: base, tool, app"), "{err}");
}

#[test]
fn missing_file_and_huge_file_are_clear_errors() {
    let out = Test::new("missing", GOOD).args(&["check", "Nope"]).run();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("cannot read Nope"));

    let big = format!(
        "stages:\n  a:\n    from: scratch\n{}",
        "#".repeat(stagefile::spec::MAX_FILE_BYTES)
    );
    let out = Test::new("huge", &big).args(&["check", "Stagefile"]).run();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("may be at most"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn check_warns_about_undeclared_build_args_and_still_succeeds() {
    let src = "args:\n  VERSION: '1'\nstages:\n  a:\n    from: scratch\n";
    let out = Test::new("warn", src)
        .args(&[
            "check",
            "Stagefile",
            "--build-arg",
            "VERSOIN=2",
            "--build-arg",
            "HTTP_PROXY=x",
        ])
        .run();
    assert!(out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("warning: build arg `VERSOIN` is not declared"),
        "{err}"
    );
    assert!(err.contains("did you mean `VERSION`?"), "{err}");
    assert!(!err.contains("HTTP_PROXY"), "{err}");
}

#[test]
fn check_refuses_what_a_build_of_any_target_would() {
    // Each problem sits in a stage the default target (`app`) does not reach; a build of
    // that stage would refuse it, so `check` does.
    let cases = [
        (
            "cycle",
            "stages:\n  a:\n    from: b\n  b:\n    from: a\n  app:\n    from: scratch\n",
            "Stagefile:3:11",
            "stages form a cycle",
        ),
        (
            "chown-name",
            "stages:\n  empty:\n    from: scratch\n    steps:\n      - file: /x\n        chown: app\n  app:\n    from: scratch\n",
            "Stagefile:5:",
            "has no files yet",
        ),
        (
            "workdir-owner",
            "stages:\n  empty:\n    from: scratch\n    user: app\n    workdir: /srv\n  app:\n    from: scratch\n",
            "Stagefile:2:3",
            "creates its workdir as user `app`",
        ),
    ];
    for (name, stagefile, at, message) in cases {
        let out = Test::new(&format!("any-target-{name}"), stagefile)
            .args(&["check", "Stagefile"])
            .run();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {err}");
        assert!(err.contains(at) && err.contains(message), "{name}: {err}");
        // The same file builds its default target: only `check` looks further.
        let llb = Test::new(&format!("any-target-llb-{name}"), stagefile)
            .args(&["llb", "Stagefile"])
            .run();
        assert!(llb.status.success(), "{name}: {}", text(&llb.stderr));
    }
}

/// A file with one finding of each of two rules: `RootUser` and `UnusedArg`.
const TWO_FINDINGS: &str = "args:\n  UNUSED: x\nstages:\n  app:\n    from: busybox:1.35\n";

#[test]
fn lint_settings_skip_rules_and_make_findings_fail() {
    let out = Test::new("lint-default", TWO_FINDINGS)
        .args(&["check", "Stagefile"])
        .run();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("warning[RootUser]:") && err.contains("warning[UnusedArg]:"),
        "{err}"
    );

    let skipping = format!("check:\n  skip: [RootUser]\n{TWO_FINDINGS}");
    let out = Test::new("lint-skip", &skipping)
        .args(&["check", "Stagefile"])
        .run();
    assert!(out.status.success());
    let err = text(&out.stderr);
    assert!(
        !err.contains("RootUser") && err.contains("[UnusedArg]"),
        "{err}"
    );

    let failing = format!("# check=skip=UnusedArg;error=true\n{TWO_FINDINGS}");
    let out = Test::new("lint-error", &failing)
        .args(&["check", "Stagefile"])
        .run();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("error[RootUser]:"), "{err}");
    assert!(!err.contains("UnusedArg"), "{err}");
    assert!(err.contains("Stagefile: 1 error"), "{err}");
    // `llb` prints the graph all the same: the build or `check` judge the file.
    let out = Test::new("lint-error-llb", &failing)
        .args(&["llb", "Stagefile"])
        .run();
    assert!(out.status.success(), "{}", text(&out.stderr));

    // The build arg replaces the file's settings, as for a Dockerfile.
    let out = Test::new("lint-arg", &failing)
        .args(&[
            "check",
            "Stagefile",
            "--build-arg",
            "BUILDKIT_DOCKERFILE_CHECK=skip=all",
        ])
        .run();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        !text(&out.stderr).contains("RootUser"),
        "{}",
        text(&out.stderr)
    );

    // With error=true and nothing found, the check passes.
    let clean = "# check=error=true\nstages:\n  app:\n    from: scratch\n    user: \"65532\"\n";
    let out = Test::new("lint-clean", clean)
        .args(&["check", "Stagefile"])
        .run();
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn an_unknown_rule_name_is_a_located_warning_with_a_suggestion() {
    let src = "check:\n  skip: [RootUsr]\nstages:\n  app:\n    from: scratch\n";
    let out = Test::new("lint-unknown", src)
        .args(&["check", "Stagefile"])
        .run();
    assert!(out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("warning: `RootUsr` is not a lint rule"),
        "{err}"
    );
    assert!(err.contains("Stagefile:2:10"), "{err}");
    assert!(err.contains("did you mean `RootUser`?"), "{err}");
}

#[test]
fn a_misspelt_platform_gets_the_closest_known_one() {
    let src = "stages:\n  app:\n    from: scratch\n    platform: linux/amd46\n";
    let out = Test::new("platform", src)
        .args(&["check", "Stagefile"])
        .run();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("`amd46` is not a known architecture"), "{err}");
    assert!(err.contains("Stagefile:4:15"), "{err}");
    assert!(err.contains("did you mean `linux/amd64`?"), "{err}");

    let out = Test::new("platform-option", GOOD)
        .args(&["check", "Stagefile", "--platform", "linux/arm46"])
        .run();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("did you mean `linux/arm64`?"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn healthcheck_lists_that_could_never_run_are_located_errors() {
    let src = "stages:\n  app:\n    from: scratch\n    healthcheck:\n      test: [CMD-SHELL, curl, -f, http://x/]\n";
    let out = Test::new("health", src).args(&["check", "Stagefile"]).run();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("`CMD-SHELL` takes one command line"), "{err}");
    assert!(err.contains("Stagefile:5:13"), "{err}");
}

#[test]
fn value_errors_name_the_line_of_the_item() {
    let src = "stages:\n  app:\n    from: busybox:1.35\n    expose: [80, 9000-8000, 53/icmp]\n    steps:\n      - run: x\n        tmpfs: { target: /t, size: lots }\n";
    let out = Test::new("values", src).args(&["check", "Stagefile"]).run();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("`9000-8000` is not a port range"), "{err}");
    assert!(err.contains("Stagefile:4:18"), "{err}");
    assert!(err.contains("`53/icmp` is not a port"), "{err}");
    assert!(err.contains("`lots` is not a size"), "{err}");
    assert!(err.contains("Stagefile:7:"), "{err}");
}

#[test]
fn check_places_a_file_content_error_on_its_line_and_offers_the_escape() {
    let src = "stages:\n  app:\n    from: busybox:1.35\n    steps:\n      - file: /entry.sh\n        content: |\n          #!/bin/sh\n          exec /server --home \"$HOME\"\n";
    let out = Test::new("content-line", src)
        .args(&["check", "Stagefile"])
        .run();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("variable `HOME` is not defined"), "{err}");
    assert!(err.contains("Stagefile:8:32"), "{err}");
    assert!(err.contains("write `$$HOME`"), "{err}");
}

#[test]
fn check_reports_an_env_name_nothing_defines_on_an_empty_base() {
    let src = "stages:\n  app:\n    from: scratch\n    env:\n      A: ${NOPE}\n";
    let out = Test::new("env-nothing", src)
        .args(&["check", "Stagefile"])
        .run();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("variable `NOPE` is not defined"), "{err}");
    assert!(err.contains("Stagefile:5:7"), "{err}");
}

#[test]
fn a_file_with_hundreds_of_errors_reports_the_first_hundred_then_stops() {
    let mut src = String::from("stages:\n  app:\n    from: scratch\n    steps:\n");
    for i in 0..150 {
        src.push_str(&format!("      - copy: x\n        from: nope{i}\n"));
    }
    let out = Test::new("too-many", &src)
        .args(&["check", "Stagefile"])
        .run();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.matches("error: no stage is named `nope").count(), 100);
    assert!(err.contains("error: no stage is named `nope99`"), "{err}");
    assert!(!err.contains("`nope100`"), "{err}");
    assert!(
        err.contains(
            "error[TooManyErrors]: too many errors: the check stopped after 100\n   --> Stagefile:204:15"
        ),
        "{err}"
    );
    assert!(
        err.contains("= help: fix these and check again; there may be more"),
        "{err}"
    );
    assert!(err.ends_with("Stagefile: 101 errors\n"), "{err}");
}

/// What `check` prints, in full, for a few kinds of problem: the code (a lint rule or
/// the limit hit) in brackets after the level, the frame, the help, the summary line.
#[test]
fn check_prints_diagnostics_exactly() {
    let cases: &[(&str, &str, Option<i32>, &str, &str)] = &[
        (
            "exact-unknown-key",
            "stages:\n  app:\n    form: busybox:1.36\n",
            Some(1),
            "",
            "\
error: unknown key `form`
 --> Stagefile:3:5
  |
3 |     form: busybox:1.36
  |     ^^^^
  |
  = help: did you mean `from`?
Stagefile: 1 error
",
        ),
        (
            "exact-lint-warnings",
            "args:\n  UNUSED: x\nstages:\n  app:\n    from: busybox:1.35\n",
            Some(0),
            "Stagefile: ok (1 stage to build for target `app`)\n",
            "\
warning[UnusedArg]: arg `UNUSED` is never used
 --> Stagefile:2:3
  |
2 |   UNUSED: x
  |   ^^^^^^
  |
  = help: use it as ${NAME} in a field or step, or remove it
warning[RootUser]: the final image (stage `app`) runs as root
 --> Stagefile:4:3
  |
4 |   app:
  |   ^^^
  |
  = help: add `user: \"65532:65532\"` (or another non-root uid) to the final stage
",
        ),
        (
            "exact-lint-error",
            "# check=skip=UnusedArg;error=true\nargs:\n  UNUSED: x\nstages:\n  app:\n    from: busybox:1.35\n",
            Some(1),
            "",
            "\
error[RootUser]: the final image (stage `app`) runs as root
 --> Stagefile:5:3
  |
5 |   app:
  |   ^^^
  |
  = help: add `user: \"65532:65532\"` (or another non-root uid) to the final stage; the file's lint settings make findings errors (`check: {error: true}`); fix it, or skip the rule
Stagefile: 1 error
",
        ),
        (
            "exact-limit",
            "stages:\n  app:\n    from: scratch\n    user: app\n    expose: [1-65535/tcp, 1-65535/udp, 1-65535/sctp, 1-65535]\n",
            Some(1),
            "",
            "\
error[TooManyPorts]: the stage exposes too many ports
 --> Stagefile:5:54
  |
5 |     expose: [1-65535/tcp, 1-65535/udp, 1-65535/sctp, 1-65535]
  |                                                      ^^^^^^^
  |
  = help: a stage can expose each port of each protocol once; merge the ranges
Stagefile: 1 error
",
        ),
    ];
    for (name, file, status, stdout, stderr) in cases {
        let out = Test::new(name, file).args(&["check", "Stagefile"]).run();
        assert_eq!(out.status.code(), *status, "{name}");
        assert_eq!(text(&out.stdout), *stdout, "{name}");
        assert_eq!(text(&out.stderr), *stderr, "{name}");
    }
}

#[test]
fn version_names_the_package_version_and_the_revision() {
    // build.rs sets STAGEFILE_GIT_REVISION for every target of the package when it knows
    // the revision (a git checkout, or STAGEFILE_REVISION); without it the version stands alone.
    let expected = match option_env!("STAGEFILE_GIT_REVISION") {
        Some(rev) => format!("stagefile {} ({rev})\n", env!("CARGO_PKG_VERSION")),
        None => format!("stagefile {}\n", env!("CARGO_PKG_VERSION")),
    };
    for flag in ["--version", "-V"] {
        let out = Test::new(&format!("version{flag}"), GOOD)
            .args(&[flag])
            .run();
        assert_eq!(out.status.code(), Some(0), "{flag}");
        assert_eq!(text(&out.stdout), expected, "{flag}");
        assert_eq!(text(&out.stderr), "", "{flag}");
    }
    // In this repository's own checkout the revision is the commit's short hash.
    if let Some(rev) = option_env!("STAGEFILE_GIT_REVISION")
        && option_env!("STAGEFILE_REVISION").is_none()
    {
        assert!(
            rev.len() >= 7 && rev.bytes().all(|b| b.is_ascii_hexdigit()),
            "{rev}"
        );
    }
}
