//! The offline commands besides `check`, run as a user would: `stagefile llb` (the same
//! bytes every run, a definition for the target, the context a build would send,
//! `--dump`, the assumptions it warns about), a Stagefile read from standard input,
//! `outline`, `frontend` with a closed stdin, and `--no-cache-filter` marking only the
//! named stages' steps. The `Test` builder is in `tests/common/cli.rs`.

mod common;

use common::cli::*;
use std::process::Command;

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

#[test]
fn build_context_names_a_directory_or_an_image_as_buildx_does() {
    let file = "stages:\n  app:\n    from: scratch\n    steps:\n      - copy: bin/tool\n        from: tools\n      - copy: /etc/os-release\n        from: base\n";
    // Without the contexts `tools` and `base` are neither stages nor tagged images.
    let out = Test::new("ctx-missing", file)
        .args(&["check", "Stagefile"])
        .run();
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("no stage is named `tools`"),
        "{}",
        text(&out.stderr)
    );

    let with = |name: &str, args: &[&str]| {
        let mut all = args.to_vec();
        all.extend([
            "--build-context",
            "tools=./tools",
            "--build-context",
            "base=docker-image://debian:bookworm",
            "Stagefile",
        ]);
        Test::new(name, file).args(&all).run()
    };
    let out = with("ctx-check", &["check"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = with("ctx-dump", &["llb", "--dump"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let dump = text(&out.stdout);
    // A directory is the client's local of that name; an image is pulled as the base.
    assert!(dump.contains("\"source\": \"local://tools\""), "{dump}");
    assert!(
        dump.contains("docker-image://docker.io/library/debian:bookworm"),
        "{dump}"
    );

    let out = Test::new("ctx-bad", file)
        .args(&["check", "--build-context", "tools", "Stagefile"])
        .run();
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--build-context `tools` needs the form NAME=VALUE"),
        "{}",
        text(&out.stderr)
    );
}
