//! End-to-end tests of the presets and of `stagefile init`: the apps of
//! `examples/{go,node,python,rust,java}` built from a Stagefile that is one `preset:` stage,
//! and from the Stagefile `stagefile init` writes for each example's folder (its own
//! Stagefile removed). Each image must answer the app's greeting, run as a user other than
//! root and hold no build tools; a one-line edit must leave the preset's dependency step
//! cached.
//!
//! The bases are the stand-ins `hack/base-images --examples` makes; hack/test makes them
//! before it runs this binary, on the default engine only.

mod common;

use common::apps::*;
use common::*;
use std::fs;
use std::process::Command;

struct Case {
    /// The example whose app is built.
    example: &'static str,
    /// The stage's `preset:` value.
    preset: &'static str,
    greeting: &'static str,
    /// The file holding the greeting, edited by the rebuild test.
    source: &'static str,
    bases: &'static [&'static str],
    /// Names no file or directory of the runtime image may have.
    tools: &'static [&'static str],
    /// A piece of the name of the dependency step.
    dependency_step: &'static str,
}

const CASES: [Case; 5] = [
    Case {
        example: "go",
        preset: "{name: go, port: 8080}",
        greeting: "hello from stagefile",
        source: "main.go",
        bases: &["golang:1.24-trixie"],
        tools: &["go", "gofmt", "sh"],
        dependency_step: "go mod download",
    },
    Case {
        example: "node",
        preset: "{name: node, port: 8080}",
        greeting: "hello from stagefile (node)",
        source: "server.js",
        bases: &["node:20-trixie-slim"],
        tools: &["npm", "npx", "corepack"],
        dependency_step: "npm ci",
    },
    Case {
        example: "python",
        preset: "{name: python, port: 8080}",
        greeting: "hello from stagefile (python)",
        source: "app.py",
        bases: &["python:3.13-slim-trixie"],
        tools: &["pip", "pip3"],
        dependency_step: "install --root-user-action=ignore -r requirements.txt",
    },
    Case {
        example: "rust",
        preset: "{name: rust, port: 8080, entry: server}",
        greeting: "hello from stagefile (rust)",
        source: "src/main.rs",
        bases: &["rust:1.85-slim"],
        tools: &["cargo", "rustc", "sh"],
        dependency_step: "cargo fetch",
    },
    Case {
        example: "java",
        preset: "{name: java, manager: javac, entry: example.Server, port: 8080}",
        greeting: "hello from stagefile (java)",
        source: "src/example/Server.java",
        bases: &["eclipse-temurin:21-jdk", "debian:trixie-slim"],
        tools: &["javac", "jar", "jshell", "jlink", "jdeps"],
        dependency_step: "jlink --add-modules",
    },
];

fn case(example: &str) -> &'static Case {
    CASES.iter().find(|c| c.example == example).unwrap()
}

/// The example's app with a Stagefile of one preset stage named `app`.
fn preset_build(case: &Case) -> Build {
    example_build(case.example)
        .stagefile(&format!("stages:\n  app:\n    preset: {}\n", case.preset))
}

fn check_app(case: &Case, image: &Image, what: &str) {
    assert_eq!(
        image.run_ok(&["hello"]).trim(),
        case.greeting,
        "{what}, run with `hello`"
    );
    assert_eq!(http_answer(image).trim(), case.greeting, "{what}, GET /");
    assert_non_root(image, what);
    let found: Vec<String> = image_files(image)
        .into_iter()
        .filter(|path| {
            // A tool is a command: a file of that name in a `bin` folder (the JRE's
            // binfmt descriptor `usr/share/binfmts/jar` is not one).
            let (dir, base) = path
                .trim_end_matches('/')
                .rsplit_once('/')
                .unwrap_or(("", path));
            (dir.is_empty() || dir.ends_with("bin")) && case.tools.contains(&base)
        })
        .collect();
    assert!(found.is_empty(), "{what} holds build tools: {found:?}");
}

fn builds_and_serves(example: &str) {
    if !engine_enabled() {
        return;
    }
    let case = case(example);
    require_bases(&format!("the {example} preset"), case.bases);
    let built = preset_build(case).run().success();
    check_app(case, &built.image, &format!("the {example} preset's image"));
    assert_eq!(
        built.image.inspect("{{json .Config.ExposedPorts}}"),
        r#"{"8080/tcp":{}}"#
    );
}

#[test]
fn go_preset_builds_and_serves() {
    builds_and_serves("go");
}

#[test]
fn node_preset_builds_and_serves() {
    builds_and_serves("node");
}

#[test]
fn python_preset_builds_and_serves() {
    builds_and_serves("python");
}

#[test]
fn rust_preset_builds_and_serves() {
    builds_and_serves("rust");
}

#[test]
fn java_preset_builds_and_serves() {
    builds_and_serves("java");
}

/// A warm build, then one line of the source edited: the dependency step comes back
/// CACHED and the new image answers the new greeting.
fn one_edit(example: &str) {
    if !engine_enabled() {
        return;
    }
    let case = case(example);
    require_bases(&format!("the {example} preset"), case.bases);
    // No other build of this binary shares the graph meanwhile (see common::gate).
    let _alone = gate::cache_sensitive();
    let build = preset_build(case);
    build.run().success();
    let greeting = format!("hello from {}", unique("an edit"));
    let source = build.path(case.source);
    let text = fs::read_to_string(&source).unwrap();
    // The first line of code (not a comment) holding the greeting.
    let is_comment = |line: &str| {
        ["//", "#", "*"]
            .iter()
            .any(|c| line.trim_start().starts_with(c))
    };
    let at = text
        .lines()
        .position(|line| line.contains(case.greeting) && !is_comment(line))
        .unwrap_or_else(|| panic!("{example}: no line of {} holds its greeting", case.source));
    let edited: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, line)| {
            if i == at {
                line.replace(case.greeting, &greeting)
            } else {
                line.to_owned()
            }
        })
        .collect();
    fs::write(&source, edited.join("\n") + "\n").unwrap();
    let edited = build.run().success();
    let output = edited.output();
    let dependency: Vec<_> = steps(&output, false)
        .into_iter()
        .filter(|(name, _)| name.contains(case.dependency_step))
        .collect();
    assert!(!dependency.is_empty(), "no dependency step in:\n{output}");
    for (name, state) in dependency {
        assert_eq!(state, StepState::Cached, "{name} re-ran:\n{output}");
    }
    assert_eq!(edited.image.run_ok(&["hello"]).trim(), greeting);
}

#[test]
fn go_preset_edit_keeps_the_modules_cached() {
    one_edit("go");
}

#[test]
fn node_preset_edit_keeps_the_dependencies_cached() {
    one_edit("node");
}

#[test]
fn python_preset_edit_keeps_the_requirements_cached() {
    one_edit("python");
}

#[test]
fn rust_preset_edit_keeps_the_crates_cached() {
    one_edit("rust");
}

#[test]
fn java_preset_edit_keeps_the_linked_runtime_cached() {
    one_edit("java");
}

#[test]
fn the_go_preset_test_stage_runs_the_tests() {
    if !engine_enabled() {
        return;
    }
    let case = case("go");
    require_bases("the go preset", case.bases);
    let build = preset_build(case).file(
        "main_test.go",
        "package main\n\nimport \"testing\"\n\nfunc TestFails(t *testing.T) { t.Fatal(\"the preset ran this\") }\n",
    );
    let failed = build.run_with(&["--target", "app.test"]);
    failed.finished.assert_failure();
    assert!(
        failed.output().contains("the preset ran this"),
        "{}",
        failed.output()
    );
    // The runtime target does not depend on the test stage.
    build.run().success();
}

/// `stagefile init` on a copy of the example's folder without its Stagefile writes one
/// that builds the app.
fn init_builds(example: &str) {
    if !engine_enabled() {
        return;
    }
    let case = case(example);
    require_bases(&format!("the {example} preset"), case.bases);
    let build = example_build(example);
    fs::remove_file(build.path("Stagefile")).unwrap();
    let init = Command::new(env!("CARGO_BIN_EXE_stagefile"))
        .args(["init", "--syntax", &frontend_image()])
        .arg(build.dir())
        .output()
        .unwrap();
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let built = build.run().success();
    assert_eq!(
        built.image.run_ok(&["hello"]).trim(),
        case.greeting,
        "the Stagefile init wrote:\n{}",
        build.stagefile_text()
    );
    assert_non_root(&built.image, &format!("init's {example} image"));
}

#[test]
fn init_writes_a_stagefile_that_builds_each_example() {
    for example in ["go", "node", "python", "rust", "java"] {
        init_builds(example);
    }
}
