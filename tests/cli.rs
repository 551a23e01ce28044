//! The offline commands, run as a user would: `stagefile check` and `stagefile llb`.

use std::path::PathBuf;
use std::process::{Command, Output};

/// A Stagefile in a fresh folder and one command run on it.
struct Test {
    dir: PathBuf,
    args: Vec<String>,
    stdin: Option<String>,
}

impl Test {
    fn new(name: &str, stagefile: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("stagefile-cli-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("Stagefile"), stagefile).unwrap();
        Test {
            dir,
            args: Vec::new(),
            stdin: None,
        }
    }

    /// Writes another file into the folder (parents created).
    fn file(self, path: &str, contents: &str) -> Self {
        let path = self.dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
        self
    }

    /// Text piped to the command's standard input.
    fn stdin(mut self, text: &str) -> Self {
        self.stdin = Some(text.to_owned());
        self
    }

    fn args(mut self, args: &[&str]) -> Self {
        self.args.extend(args.iter().map(|a| a.to_string()));
        self
    }

    fn run(self) -> Output {
        use std::io::Write;
        use std::process::Stdio;
        let mut child = Command::new(env!("CARGO_BIN_EXE_stagefile"))
            .args(&self.args)
            .current_dir(&self.dir)
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(text) = &self.stdin {
            let mut pipe = child.stdin.take().unwrap();
            pipe.write_all(text.as_bytes()).unwrap();
        }
        let out = child.wait_with_output().unwrap();
        let _ = std::fs::remove_dir_all(&self.dir);
        out
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const GOOD: &str = "stages:\n  build:\n    from: busybox:1.35\n    steps:\n      - run: echo hi > /x\n  app:\n    from: scratch\n    steps:\n      - copy: /x\n        from: build\n";

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
fn llb_is_byte_identical_across_runs() {
    let first = Test::new("llb1", GOOD).args(&["llb", "Stagefile"]).run();
    let second = Test::new("llb2", GOOD).args(&["llb", "Stagefile"]).run();
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(!first.stdout.is_empty());
    assert_eq!(first.stdout, second.stdout);
}

#[test]
fn llb_output_decodes_as_a_definition_for_the_target() {
    use prost::Message;
    let out = Test::new("decode", GOOD)
        .args(&["llb", "Stagefile", "--target", "build"])
        .run();
    let def = bollard_buildkit_proto::pb::Definition::decode(out.stdout.as_slice()).unwrap();
    // image source, exec, terminal
    assert_eq!(def.def.len(), 3);
    let names: Vec<&String> = def
        .metadata
        .values()
        .filter_map(|m| m.description.get("llb.customname"))
        .collect();
    assert!(
        names
            .iter()
            .any(|n| n.as_str() == "[build 2/2] RUN echo hi > /x"),
        "{names:?}"
    );
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
fn frontend_exits_when_stdin_is_closed() {
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_stagefile"))
        .arg("frontend")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The process must end by itself, with a failure code. A hang guard, not a time
    // assertion: one still running after a minute is taken to never exit.
    let hang_guard = std::time::Duration::from_secs(60);
    let started = std::time::Instant::now();
    while started.elapsed() < hang_guard {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(!status.success());
            eprintln!(
                "note: the frontend exited {:?} after starting with stdin closed",
                started.elapsed()
            );
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the frontend still ran {hang_guard:?} after its stdin closed (hang guard)");
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

/// The exclude patterns of the build context's source in `llb --dump` output.
fn context_excludes(dump: &[u8]) -> Vec<String> {
    let ops: serde_json::Value = serde_json::from_slice(dump).expect("the dump is JSON");
    let context = ops
        .as_array()
        .unwrap()
        .iter()
        .find(|op| op["source"] == "local://context")
        .unwrap_or_else(|| panic!("no context source in {ops:#}"));
    match context["attrs"]["local.excludepatterns"].as_str() {
        Some(list) => serde_json::from_str(list).unwrap(),
        None => Vec::new(),
    }
}

const COPIES_CONTEXT: &str =
    "ignore: [\"*.log\"]\nstages:\n  app:\n    from: scratch\n    steps:\n      - copy: .\n";

#[test]
fn llb_sends_the_context_a_build_would_send() {
    // The context's .dockerignore, then the file's `ignore`.
    let out = Test::new("ignore", COPIES_CONTEXT)
        .file(".dockerignore", "# notes\n/target\n!target/keep\n")
        .args(&["llb", "Stagefile", "--dump"])
        .run();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        context_excludes(&out.stdout),
        ["target", "!target/keep", "*.log"]
    );

    // `<Stagefile>.dockerignore` beside the Stagefile wins over the context's.
    let out = Test::new("own-ignore", COPIES_CONTEXT)
        .file(".dockerignore", "target\n")
        .file("Stagefile.dockerignore", "node_modules\n")
        .args(&["llb", "Stagefile", "--dump"])
        .run();
    assert_eq!(context_excludes(&out.stdout), ["node_modules", "*.log"]);

    // `--context` names the context whose .dockerignore applies.
    let out = Test::new("context-dir", COPIES_CONTEXT)
        .file("ctx/.dockerignore", "secrets\n")
        .file(".dockerignore", "target\n")
        .args(&["llb", "Stagefile", "--dump", "--context", "ctx"])
        .run();
    assert_eq!(context_excludes(&out.stdout), ["secrets", "*.log"]);
}

#[test]
fn a_dash_reads_the_stagefile_from_standard_input() {
    let out = Test::new("stdin-check", "")
        .stdin(GOOD)
        .args(&["check", "-"])
        .run();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("<stdin>: ok (2 stages"),
        "{}",
        text(&out.stdout)
    );

    let from_file = Test::new("stdin-file", GOOD)
        .args(&["llb", "Stagefile"])
        .run();
    let from_stdin = Test::new("stdin-llb", "")
        .stdin(GOOD)
        .args(&["llb", "-"])
        .run();
    assert!(from_stdin.status.success(), "{}", text(&from_stdin.stderr));
    // Only the source map's file name differs, which no op digest includes.
    let ops = |bytes: &[u8]| {
        use prost::Message;
        bollard_buildkit_proto::pb::Definition::decode(bytes)
            .unwrap()
            .def
    };
    assert_eq!(ops(&from_stdin.stdout), ops(&from_file.stdout));

    // The context's .dockerignore still applies.
    let out = Test::new("stdin-ignore", "")
        .file(".dockerignore", "target\n")
        .stdin(COPIES_CONTEXT)
        .args(&["llb", "-", "--dump"])
        .run();
    assert_eq!(context_excludes(&out.stdout), ["target", "*.log"]);

    let out = Test::new("stdin-outline", "")
        .stdin(GOOD)
        .args(&["outline", "-"])
        .run();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("app"), "{}", text(&out.stdout));

    let out = Test::new("stdin-error", "")
        .stdin("stages:\n  app:\n    form: scratch\n")
        .args(&["check", "-"])
        .run();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("<stdin>:3:5"), "{err}");
    assert!(err.contains("did you mean `from`?"), "{err}");
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
fn llb_says_what_it_assumes_of_a_base_it_cannot_see() {
    let src =
        "stages:\n  app:\n    from: busybox:1.35\n    env:\n      PATH: /opt/tool/bin:${PATH}\n";
    let out = Test::new("assumed-path", src)
        .args(&["llb", "Stagefile", "--dump"])
        .run();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("warning:"), "{err}");
    assert!(err.contains("Stagefile:5:7"), "{err}");
    assert!(
        err.contains("`PATH` is assumed BuildKit's default `/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`"),
        "{err}"
    );
    // `check` accepts the file without the warning: a build reads the base's config.
    let out = Test::new("assumed-path-check", src)
        .args(&["check", "Stagefile"])
        .run();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        !text(&out.stderr).contains("assumed"),
        "{}",
        text(&out.stderr)
    );
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

/// A file with a described target, an arg with a default and a secret the target uses.
const OUTLINED: &str = "args:\n  V: \"1\"\nstages:\n  base:\n    from: busybox:1.35\n    steps:\n      - run: echo base\n  app:\n    from: base\n    description: the app\n    steps:\n      - run: echo $V\n        secret: tok\n";

#[test]
fn outline_lists_targets_args_and_what_the_target_uses() {
    let out = Test::new("outline", OUTLINED)
        .args(&["outline", "Stagefile"])
        .run();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "TARGET         DESCRIPTION\nbase\napp (default)  the app\n\n\
         ARG                   DEFAULT\nV                     1\n\n\
         USES\nsecret tok\n"
    );
}

#[test]
fn llb_dump_prints_the_ops_as_readable_json() {
    let out = Test::new("dump", OUTLINED)
        .args(&["llb", "Stagefile", "--dump"])
        .run();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let ops: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let names: Vec<&str> = ops
        .as_array()
        .expect("a list of ops")
        .iter()
        .filter_map(|op| op["name"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "[base 1/2] FROM docker.io/library/busybox:1.35",
            "[base 2/2] RUN echo base",
            "[app 2/2] RUN echo $V",
        ]
    );
    let secret = &ops[2]["exec"]["mounts"][1];
    assert_eq!(secret["type"], "secret");
    assert_eq!(secret["secret"]["id"], "tok");
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

#[test]
fn no_cache_filter_marks_only_the_named_stages_ops() {
    use stagefile::plan::{BuildOptions, NoCache};
    let opts = BuildOptions {
        no_cache: NoCache::Stages(["base".to_owned()].into()),
        ..Default::default()
    };
    let lowered = stagefile::compile::compile(
        OUTLINED.as_bytes(),
        &opts,
        &stagefile::lower::LowerOptions::default(),
    )
    .expect("compiles");
    let ops = stagefile::llb::dump(&lowered.definition);
    let ignored: Vec<(&str, bool)> = ops
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|op| Some((op["name"].as_str()?, op["ignore_cache"] == true)))
        .collect();
    assert_eq!(
        ignored,
        [
            // The reference: the *steps* of the named stages; the base image is not one.
            ("[base 1/2] FROM docker.io/library/busybox:1.35", false),
            ("[base 2/2] RUN echo base", true),
            ("[app 2/2] RUN echo $V", false),
        ]
    );
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
