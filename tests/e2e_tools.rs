//! The tools users drive the frontend with, beyond `docker buildx build`: buildx's
//! frontend queries (`--call=targets|outline|check`, `--check`; `--print` before buildx
//! 0.15), build warnings tied to the engine's own vertices, `docker compose up --build`
//! of a service built from a Stagefile, and `docker buildx bake` of two targets of one
//! Stagefile.
//!
//! Like the other engine tests they run only when `STAGEFILE_E2E` is set. compose and bake
//! need the `docker compose` plugin and buildx (hack/engine installs both).

mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::process::Command;

/// A query or build through buildx with its experimental features on (older buildx
/// needs them for `--print`), loading nothing.
fn query(build: &Build, args: &[&str]) -> Finished {
    buildx(build, &[("BUILDX_EXPERIMENTAL", "1")], args)
}

const CLEAN: &str = "\
stages:
  app:
    from: busybox:1.35
    user: \"65532\"
    steps:
      - run: echo hi > /tmp/hi
";

#[test]
fn call_answers_targets_and_outline_in_buildkits_json() {
    if !engine_enabled() {
        return;
    }
    let build = Build::new().stagefile(
        "\
args:
  GREETING: hello
stages:
  base:
    description: the shared base
    from: busybox:1.35
  app:
    description: the application image
    from: base
    steps:
      - run: echo \"$GREETING\" > /greeting
        secret: {id: token, required: true}
",
    );
    let text = build.stagefile_text();
    let json = |name: &str| -> Value {
        let out = query(&build, &[&query_flag(&format!("{name},format=json"))]);
        out.assert_success();
        serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("{name} answered no JSON ({e}):\n{}", out.text()))
    };

    // Exact keys, as `jq .targets` reads them: BuildKit's json tags are lower case.
    let targets = json("targets");
    let listed: Vec<(&str, bool, i64)> = targets["targets"]
        .as_array()
        .unwrap_or_else(|| panic!("no lower-case `targets` key in {targets}"))
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap_or(""),
                t["default"].as_bool().unwrap_or(false),
                t["location"]["ranges"][0]["start"]["line"]
                    .as_i64()
                    .unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("base", false, line_of(&text, "  base:") as i64),
            ("app", true, line_of(&text, "  app:") as i64),
        ],
        "{targets}"
    );
    assert!(targets["sources"].is_array(), "{targets}");

    let outline = json("outline");
    assert_eq!(outline["name"], "app", "{outline}");
    assert_eq!(outline["args"][0]["name"], "GREETING", "{outline}");
    assert_eq!(outline["args"][0]["value"], "hello", "{outline}");
    assert_eq!(
        outline["args"][0]["location"]["ranges"][0]["start"]["line"],
        line_of(&text, "GREETING: hello") as i64,
        "{outline}"
    );
    assert_eq!(outline["secrets"][0]["name"], "token", "{outline}");
    assert_eq!(outline["secrets"][0]["required"], true, "{outline}");
}

#[test]
fn check_reports_lint_findings_and_exits_as_buildx_expects() {
    if !engine_enabled() {
        return;
    }
    let (build, _tagged) = linted_fixture();
    let text = build.stagefile_text();
    let (from_line, stage_line) = (line_of(&text, "from: "), line_of(&text, "app:"));
    if buildx_version() < (0, 15) {
        // Older buildx has only `--print=lint`, which always exits 0.
        notice("buildx before 0.15 has no --call=check nor --check; checking --print=lint");
        let lint = query(&build, &["--print=lint"]);
        lint.assert_success();
        for (message, line) in [
            ("has no tag, so it means `latest`", from_line),
            ("runs as root", stage_line),
        ] {
            assert!(
                lint.stdout
                    .lines()
                    .any(|l| l.contains(message) && l.contains(&format!(":{line}:"))),
                "--print=lint should report {message:?} at line {line}:\n{}",
                lint.text()
            );
        }
        return;
    }
    // buildx ≥ 0.15 exits 1 when the check finds warnings; `--check` is `--call=check`.
    for flag in ["--call=check", "--check"] {
        let checked = query(&build, &[flag]);
        assert_eq!(
            checked.status.code(),
            Some(1),
            "{flag} should exit 1 on findings:\n{}",
            checked.text()
        );
        let output = checked.output();
        for (rule, message, line) in [
            (
                "UnpinnedBaseImage",
                "has no tag, so it means `latest`",
                from_line,
            ),
            ("RootUser", "runs as root", stage_line),
        ] {
            // buildx prints each finding as `WARNING: RULE`, the message, then the frame.
            let block = output
                .split("WARNING: ")
                .find(|block| block.starts_with(rule))
                .unwrap_or_else(|| panic!("{flag} names no {rule}:\n{}", checked.text()));
            assert!(
                block.contains(message) && block.contains(&format!("Stagefile:{line}\n")),
                "{flag} should report {rule} ({message:?}) at Stagefile:{line}:\n{}",
                checked.text()
            );
        }
    }
    let clean = Build::new().stagefile(CLEAN);
    let checked = query(&clean, &["--call=check"]);
    checked.assert_success();
    assert!(
        checked
            .output()
            .contains("Check complete, no warnings found"),
        "{}",
        checked.text()
    );
}

#[test]
fn warnings_attach_to_a_vertex_the_engine_reports() {
    if !engine_enabled() {
        return;
    }
    if old_engine() {
        notice("BuildKit before v0.10 has no gateway warnings");
        return;
    }
    if buildx_version() < (0, 12) {
        notice("buildx before 0.12 has no --progress=rawjson");
        return;
    }
    let (build, _tagged) = linted_fixture();
    // rawjson prints the engine's progress stream: every vertex with its digest, and every
    // warning with the digest of the vertex it belongs to.
    let built = query(
        &build,
        &["--progress=rawjson", "--output", "type=cacheonly"],
    );
    built.assert_success();
    let (mut vertices, mut warned) = (BTreeSet::new(), Vec::new());
    for line in built.stderr.lines().filter(|l| l.starts_with('{')) {
        let status: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("a rawjson line is not JSON ({e}): {line}"));
        for v in status["vertexes"].as_array().into_iter().flatten() {
            vertices.insert(v["digest"].as_str().unwrap_or("").to_owned());
        }
        for w in status["warnings"].as_array().into_iter().flatten() {
            warned.push(w["vertex"].as_str().unwrap_or("").to_owned());
        }
    }
    assert_eq!(warned.len(), 2, "expected two warnings:\n{}", built.stderr);
    for digest in &warned {
        assert!(
            vertices.contains(digest),
            "a warning names vertex {digest}, which the engine never reported \
             (its vertices: {vertices:?})"
        );
    }
}

/// The CLI plugin `docker NAME` answers `version`, or the test fails naming the fix.
fn require_plugin(name: &str) {
    let out = docker(&[name, "version"]);
    assert!(
        out.status.success(),
        "`docker {name} version` failed (hack/engine installs the plugin):\n{}",
        out.text()
    );
}

#[test]
fn compose_builds_and_runs_a_service_from_a_stagefile() {
    if !engine_enabled() {
        return;
    }
    require_plugin("compose");
    let token = random_token();
    let project = unique("stagefile-e2e-compose");
    let image = Image {
        tag: format!("{project}-app:latest"),
    };
    let build = Build::new()
        .stagefile(
            "\
stages:
  app:
    from: busybox:1.35
    steps:
      - copy: message.txt
        to: /message.txt
    user: \"65532\"
    cmd: [cat, /message.txt]
",
        )
        .file("message.txt", &token)
        .file(
            "compose.yaml",
            &format!(
                "services:\n  app:\n    image: {}\n    build:\n      context: .\n      \
                 dockerfile: Stagefile\n",
                image.tag
            ),
        );
    let compose = |args: &[&str]| {
        run_command(
            Command::new("docker")
                .current_dir(build.dir())
                .env("BUILDKIT_PROGRESS", "plain")
                .args(["compose", "--project-name", &project])
                .args(args),
        )
    };
    let up = compose(&[
        "up",
        "--build",
        "--abort-on-container-exit",
        "--exit-code-from",
        "app",
    ]);
    let down = compose(&["down", "--volumes", "--remove-orphans"]);
    up.assert_success();
    down.assert_success();
    assert!(
        up.stdout.contains(&token),
        "the service should print the copied file:\n{}",
        up.text()
    );
    assert_eq!(image.inspect("{{.Config.User}}"), "65532");
}

#[test]
fn bake_builds_two_targets_of_one_stagefile() {
    if !engine_enabled() {
        return;
    }
    let prefix = unique("stagefile-e2e-bake");
    let (one, two) = (
        Image {
            tag: format!("{prefix}-one:latest"),
        },
        Image {
            tag: format!("{prefix}-two:latest"),
        },
    );
    let build = Build::new()
        .stagefile(
            "\
args:
  WHO: nobody
stages:
  one:
    from: busybox:1.35
    steps:
      - run: echo \"one for $WHO\" > /said
  two:
    from: one
    steps:
      - run: echo \"two for $WHO\" >> /said
",
        )
        .file(
            "docker-bake.hcl",
            &format!(
                "group \"default\" {{\n  targets = [\"one\", \"two\"]\n}}\n\
                 target \"common\" {{\n  dockerfile = \"Stagefile\"\n  args = {{ WHO = \"bake\" }}\n  \
                 output = [\"type=docker\"]\n}}\n\
                 target \"one\" {{\n  inherits = [\"common\"]\n  target = \"one\"\n  tags = [\"{}\"]\n}}\n\
                 target \"two\" {{\n  inherits = [\"common\"]\n  target = \"two\"\n  tags = [\"{}\"]\n}}\n",
                one.tag, two.tag
            ),
        );
    let baked = run_command(Command::new("docker").current_dir(build.dir()).args([
        "buildx",
        "bake",
        "--progress=plain",
        "-f",
        "docker-bake.hcl",
    ]));
    baked.assert_success();
    assert_eq!(one.run_ok(&["cat", "/said"]), "one for bake\n");
    assert_eq!(
        two.run_ok(&["cat", "/said"]),
        "one for bake\ntwo for bake\n"
    );
}
