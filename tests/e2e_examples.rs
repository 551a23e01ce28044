//! End-to-end tests of the examples: each of `examples/{go,node,python,rust,java}` is built
//! through the frontend and as its Dockerfile twin (through the builtin frontend), and
//! both images are run. Each must answer its greeting over HTTP and in its one-shot
//! `hello` mode, run as a user other than root, and hold none of its language's build
//! tools. A one-line edit of an example's source must leave its dependency step cached.
//!
//! The bases are the stand-ins `hack/base-images --examples` makes (official image names,
//! built from Debian packages); hack/test makes them before it runs this binary. Engine
//! tests run only with `STAGEFILE_E2E` set, as in `tests/e2e.rs`; `examples/go`'s own
//! Stagefile tests (targets, its rebuild after an edit) are there.

mod common;

use common::apps::*;
use common::*;
use std::fs;

struct Example {
    name: &'static str,
    /// What `GET /` answers and `hello` prints.
    greeting: &'static str,
    /// The file holding the greeting, edited by the rebuild test.
    source: &'static str,
    /// The base images the example's stages start from (hack/base-images --examples).
    bases: &'static [&'static str],
    /// Names no file or directory of the runtime image may have: the build tools.
    tools: &'static [&'static str],
    /// A piece of the name of the step that installs the dependencies, and of the steps
    /// a source edit must re-run.
    dependency_step: &'static str,
    rerun_steps: &'static [&'static str],
}

const GO: Example = Example {
    name: "go",
    greeting: "hello from stagefile",
    source: "main.go",
    bases: &["debian:bookworm"],
    tools: &["go", "gofmt", "apt-get", "sh"],
    dependency_step: "go mod download",
    rerun_steps: &["go build", "COPY --from=build /out/server /server"],
};

const NODE: Example = Example {
    name: "node",
    greeting: "hello from stagefile (node)",
    source: "server.js",
    bases: &["node:20-trixie-slim"],
    tools: &["npm", "npx", "corepack", "yarn"],
    dependency_step: "npm ci",
    rerun_steps: &["COPY server.js"],
};

const PYTHON: Example = Example {
    name: "python",
    greeting: "hello from stagefile (python)",
    source: "app.py",
    bases: &["python:3.13-slim-trixie"],
    tools: &["pip", "pip3"],
    dependency_step: "pip --python /venv/bin/python install",
    rerun_steps: &["COPY app.py"],
};

const RUST: Example = Example {
    name: "rust",
    greeting: "hello from stagefile (rust)",
    source: "src/main.rs",
    bases: &["rust:1.85-slim"],
    tools: &["cargo", "rustc", "cc", "sh"],
    dependency_step: "echo 'fn main() {}'",
    rerun_steps: &["touch src/main.rs", "COPY --from=build /out/server /server"],
};

const JAVA: Example = Example {
    name: "java",
    greeting: "hello from stagefile (java)",
    source: "src/example/Server.java",
    bases: &["eclipse-temurin:21-jdk", "debian:trixie-slim"],
    tools: &["javac", "jar", "jlink", "jshell", "jdeps"],
    dependency_step: "jlink --add-modules",
    rerun_steps: &["javac", "COPY --from=build /out/app.jar /app/app.jar"],
};

// ---------------------------------------------------------------------------------------
// Built both ways, run, and compared
// ---------------------------------------------------------------------------------------

#[test]
fn go_example_and_its_twin_serve_as_non_root_without_the_toolchain() {
    check_both_ways(&GO);
}

#[test]
fn node_example_and_its_twin_serve_as_non_root_without_the_toolchain() {
    check_both_ways(&NODE);
}

#[test]
fn python_example_and_its_twin_serve_as_non_root_without_the_toolchain() {
    check_both_ways(&PYTHON);
}

#[test]
fn rust_example_and_its_twin_serve_as_non_root_without_the_toolchain() {
    check_both_ways(&RUST);
}

#[test]
fn java_example_and_its_twin_serve_as_non_root_without_the_toolchain() {
    check_both_ways(&JAVA);
}

fn check_both_ways(example: &Example) {
    if !engine_enabled() {
        return;
    }
    require_bases(&format!("examples/{}", example.name), example.bases);
    let build = example_build(example.name);
    let stagefile = build.run().success();
    check_image(example, &stagefile.image, "the Stagefile's image");
    let twin = build.run_file("Dockerfile", &[]).success();
    check_image(example, &twin.image, "the Dockerfile twin's image");
    for config in [
        "{{json .Config.Entrypoint}}",
        "{{.Config.User}}",
        "{{json .Config.ExposedPorts}}",
    ] {
        assert_eq!(
            stagefile.image.inspect(config),
            twin.image.inspect(config),
            "examples/{}: the Stagefile and its twin differ in {config}",
            example.name
        );
    }
}

/// The checks both images of an example must pass.
fn check_image(example: &Example, image: &Image, what: &str) {
    let name = example.name;
    assert_eq!(
        image.run_ok(&["hello"]).trim(),
        example.greeting,
        "examples/{name}: {what}, run with `hello`"
    );
    assert_eq!(
        http_answer(image).trim(),
        example.greeting,
        "examples/{name}: {what}, GET /"
    );
    assert_non_root(image, &format!("examples/{name}: {what}"));
    let found: Vec<String> = image_files(image)
        .into_iter()
        .filter(|path| {
            let base = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
            example.tools.contains(&base)
        })
        .collect();
    assert!(
        found.is_empty(),
        "examples/{name}: {what} holds build tools: {found:?}"
    );
}

// ---------------------------------------------------------------------------------------
// One edit
// ---------------------------------------------------------------------------------------

#[test]
fn node_example_edit_keeps_the_dependency_step_cached() {
    check_one_edit(&NODE);
}

#[test]
fn python_example_edit_keeps_the_dependency_step_cached() {
    check_one_edit(&PYTHON);
}

#[test]
fn rust_example_edit_keeps_the_dependency_step_cached() {
    check_one_edit(&RUST);
}

#[test]
fn java_example_edit_keeps_the_dependency_step_cached() {
    check_one_edit(&JAVA);
}

/// A warm build, then one line of the source edited (a greeting no earlier build has
/// compiled): the dependency step must come back CACHED, the source's steps must run,
/// and the new image must answer the new greeting.
fn check_one_edit(example: &Example) {
    if !engine_enabled() {
        return;
    }
    require_bases(&format!("examples/{}", example.name), example.bases);
    // No other build of this binary shares the graph meanwhile (see common::gate).
    let _alone = gate::cache_sensitive();
    let build = example_build(example.name);
    build.run().success();

    let greeting = format!("hello from {}", unique("an edit"));
    let source = build.path(example.source);
    let text = fs::read_to_string(&source).unwrap();
    let quote: fn(&str) -> String = if text.contains(&format!("\"{}\"", example.greeting)) {
        |s| format!("\"{s}\"")
    } else {
        |s| format!("'{s}'")
    };
    assert_eq!(
        text.matches(&quote(example.greeting)).count(),
        1,
        "examples/{}/{} must hold its greeting once",
        example.name,
        example.source
    );
    fs::write(
        &source,
        text.replace(&quote(example.greeting), &quote(&greeting)),
    )
    .unwrap();

    let edited = build.run().success();
    let output = edited.output();
    let steps = steps(&output, false);
    let state = |needle: &str| -> StepState {
        let found: Vec<_> = steps
            .iter()
            .filter(|(name, _)| name.contains(needle))
            .collect();
        assert_eq!(
            found.len(),
            1,
            "one step named like {needle:?} in:\n{output}"
        );
        found[0].1
    };
    assert_eq!(
        state(example.dependency_step),
        StepState::Cached,
        "examples/{}: the dependency step re-ran after an edit of {}:\n{output}",
        example.name,
        example.source
    );
    for step in example.rerun_steps {
        assert_eq!(
            state(step),
            StepState::Ran,
            "{step:?} after the edit:\n{output}"
        );
    }
    assert_eq!(edited.image.run_ok(&["hello"]).trim(), greeting);
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------
