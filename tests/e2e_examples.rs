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

use common::*;
use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

/// A hang guard, not a time assertion: a server that has not answered by then never will.
const SERVER_START: Duration = Duration::from_secs(60);

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
    require_bases(example);
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
    require_bases(example);
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

/// A copy of the example, given the host's CA bundle as the optional `ca` secret, as a
/// user behind an intercepting proxy passes it (the examples fetch nothing from package
/// registries, so it must not change what they build).
fn example_build(name: &str) -> Build {
    let build = Build::example(name);
    let bundle = "/etc/ssl/certs/ca-certificates.crt";
    if Path::new(bundle).is_file() {
        build.arg("--secret").arg(&format!("id=ca,src={bundle}"))
    } else {
        build
    }
}

/// Fails, naming the script that makes them, unless the example's base images are loaded.
fn require_bases(example: &Example) {
    let missing: Vec<&str> = example
        .bases
        .iter()
        .copied()
        .filter(|base| !docker(&["image", "inspect", base]).status.success())
        .collect();
    assert!(
        missing.is_empty(),
        "examples/{} needs {missing:?}: run hack/base-images --examples",
        example.name
    );
}

/// The image's user must not be root: a uid other than 0, or a name whose uid in the
/// image is not 0.
fn assert_non_root(image: &Image, what: &str) {
    let user = image.inspect("{{.Config.User}}");
    let name = user.split(':').next().unwrap_or("");
    assert!(!name.is_empty(), "{what}: no user set, so it runs as root");
    let uid = if name.chars().all(|c| c.is_ascii_digit()) {
        name.to_owned()
    } else {
        let id = docker(&[
            "run",
            "--rm",
            "--network",
            "none",
            "--entrypoint",
            "id",
            &image.tag,
            "-u",
        ]);
        id.assert_success();
        id.stdout.trim().to_owned()
    };
    assert_ne!(
        uid.parse::<u32>().ok(),
        Some(0),
        "{what}: user {user:?} is root"
    );
}

/// Every path in the image's filesystem (`docker export` of a created container).
fn image_files(image: &Image) -> Vec<String> {
    let dir = TempDir::new("export");
    let tar = dir.path().join("rootfs.tar");
    let created = docker(&["create", &image.tag]);
    created.assert_success();
    let id = created.stdout.trim().to_owned();
    let exported = docker(&["export", "-o", tar.to_str().unwrap(), &id]);
    let _ = docker(&["rm", "-f", &id]);
    exported.assert_success();
    lines(&host(
        std::process::Command::new("tar").arg("-tf").arg(&tar),
    ))
}

/// Starts the image with its port 8080 published on 127.0.0.1 and returns the body of
/// its answer to `GET /`; the container is removed after.
fn http_answer(image: &Image) -> String {
    let started = docker(&["run", "-d", "-p", "127.0.0.1::8080", &image.tag]);
    started.assert_success();
    let container = Container(started.stdout.trim().to_owned());
    let port = docker(&["port", &container.0, "8080/tcp"]);
    port.assert_success();
    let address = lines(&port.stdout)
        .into_iter()
        .find(|line| line.starts_with("127.0.0.1:"))
        .unwrap_or_else(|| panic!("no 127.0.0.1 port in {:?}", port.stdout));
    let deadline = Instant::now() + SERVER_START;
    loop {
        match get(&address) {
            Ok(response) if response.starts_with("HTTP/1.") => {
                let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
                assert!(
                    head.split_whitespace().nth(1) == Some("200"),
                    "GET / answered {head:?}"
                );
                return body.to_owned();
            }
            // The port is published before the server listens: try again.
            _ if Instant::now() < deadline => thread::sleep(Duration::from_millis(200)),
            other => {
                let logs = docker(&["logs", &container.0]);
                panic!(
                    "{} did not answer GET / on {address}: {other:?}\n{}",
                    image.tag,
                    logs.text()
                );
            }
        }
    }
}

fn get(address: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    Ok(String::from_utf8_lossy(&response).into_owned())
}

/// A running container, removed (killed) on drop.
struct Container(String);

impl Drop for Container {
    fn drop(&mut self) {
        let _ = docker(&["rm", "-f", &self.0]);
    }
}
