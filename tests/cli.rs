//! The offline commands, run as a user would: `stagefile check` and `stagefile llb`.

use std::path::PathBuf;
use std::process::{Command, Output};

/// A Stagefile in a fresh folder and one command run on it.
struct Test {
    dir: PathBuf,
    args: Vec<String>,
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
        }
    }

    fn args(mut self, args: &[&str]) -> Self {
        self.args.extend(args.iter().map(|a| a.to_string()));
        self
    }

    fn run(self) -> Output {
        let out = Command::new(env!("CARGO_BIN_EXE_stagefile"))
            .args(&self.args)
            .current_dir(&self.dir)
            .output()
            .unwrap();
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
    let src = "args:\n  TAG: null\nstages:\n  a:\n    from: busybox:${TAG}\n";
    let err = text(
        &Test::new("noarg", src)
            .args(&["check", "Stagefile"])
            .run()
            .stderr,
    );
    assert!(err.contains("arg `TAG` has no value"), "{err}");
    let out = Test::new("arg", src)
        .args(&["check", "Stagefile", "--build-arg", "TAG=1.35"])
        .run();
    assert!(out.status.success(), "{}", text(&out.stderr));
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
    // Bounded wait: the process must end by itself, with a failure code.
    for _ in 0..100 {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(!status.success());
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = child.kill();
    panic!("the frontend did not exit after its stdin closed");
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
