//! `stagefile convert`, proved by round trip: every Dockerfile of the repository (the
//! examples' twins `examples/*/Dockerfile`, found when the test runs; `hack/bench.d`'s; the
//! frontend image's own `Dockerfile` by its `prebuilt` route, with a stub binary as the
//! context) and the fixtures below are built twice on the engine: as they are, with the
//! engine's builtin Dockerfile frontend, and converted, with the frontend image under
//! test. The two images must hold the same files (path, type and mode, owner, size,
//! link target; the `--output type=tar` export of each, listed by `tar`) and the same
//! config (`Env`, `Cmd`, `Entrypoint`, `User`, `WorkingDir`, `ExposedPorts`, `Labels`,
//! `Volumes`, `StopSignal`, `Healthcheck`). Timestamps are left out. `COPY --parents`
//! and `--exclude` are left to the golden tests: the engine's builtin frontend takes them
//! only with the labs syntax, which a `# syntax=` line would have to pull.
//!
//! Runs only when `STAGEFILE_E2E` is set (hack/test sets it); the harness is in
//! `tests/common/mod.rs`. Base images: busybox:1.35 and debian:bookworm (hack/base-images).

mod common;

use common::*;
use std::fs;
use std::path::Path;
use std::process::Command;

/// The config fields compared.
const CONFIG_FIELDS: [&str; 10] = [
    "Env",
    "Cmd",
    "Entrypoint",
    "User",
    "WorkingDir",
    "ExposedPorts",
    "Labels",
    "Volumes",
    "StopSignal",
    "Healthcheck",
];

/// The files of a `--output type=tar` export, one line each, sorted: type and mode,
/// uid/gid, size, path, and the target of a link; no times.
fn listing(tar: &Path) -> Vec<String> {
    let out = host(
        Command::new("tar")
            .args(["-tv", "--numeric-owner", "-f"])
            .arg(tar),
    );
    let mut lines: Vec<String> = out
        .lines()
        .map(|line| {
            // mode, uid/gid, size, date, time, name[ -> target]
            let mut words = line.split_whitespace();
            let mode = words.next().unwrap_or("");
            let owner = words.next().unwrap_or("");
            let size = words.next().unwrap_or("");
            let _date = words.next();
            let _time = words.next();
            let name: Vec<&str> = words.collect();
            let size = if mode.starts_with('d') { "-" } else { size };
            format!("{mode} {owner} {size} {}", name.join(" "))
        })
        .collect();
    lines.sort();
    lines
}

fn config(image: &Image) -> serde_json::Value {
    let json = image.inspect("{{json .Config}}");
    let all: serde_json::Value = serde_json::from_str(&json)
        .unwrap_or_else(|e| panic!("config of {}: {e}: {json}", image.tag));
    let mut picked = serde_json::Map::new();
    for field in CONFIG_FIELDS {
        let value = all.get(field).cloned().unwrap_or(serde_json::Value::Null);
        // An empty list, map or string is the same as none, and so is the working
        // directory `/`: the builtin frontend records `/` on a `FROM scratch` stage
        // without WORKDIR, the Stagefile frontend records nothing; both run in `/`.
        let empty = field == "WorkingDir" && value == "/"
            || match &value {
                serde_json::Value::Array(a) => a.is_empty(),
                serde_json::Value::Object(o) => o.is_empty(),
                serde_json::Value::String(s) => s.is_empty(),
                serde_json::Value::Null => true,
                _ => false,
            };
        picked.insert(
            field.to_owned(),
            if empty {
                serde_json::Value::Null
            } else {
                value
            },
        );
    }
    serde_json::Value::Object(picked)
}

/// Lines only one side has, marked `-` (Dockerfile) and `+` (Stagefile).
fn diff(docker: &[String], stagefile: &[String]) -> String {
    let mut out = String::new();
    for line in docker.iter().filter(|l| !stagefile.contains(l)) {
        out.push_str(&format!("- {line}\n"));
    }
    for line in stagefile.iter().filter(|l| !docker.contains(l)) {
        out.push_str(&format!("+ {line}\n"));
    }
    out
}

/// Converts the fixture's `Dockerfile` into `Stagefile`, builds both, and compares.
fn round_trip(what: &str, build: Build, extra: &[&str]) {
    let dockerfile = build.path("Dockerfile");
    let text = fs::read_to_string(&dockerfile).unwrap();
    // The builtin frontend builds the Dockerfile: no `# syntax=` line sends it elsewhere.
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.to_ascii_lowercase().starts_with("# syntax="))
        .collect();
    fs::write(&dockerfile, lines.join("\n") + "\n").unwrap();
    let convert = run_command(
        Command::new(env!("CARGO_BIN_EXE_stagefile"))
            .args([
                "convert",
                "Dockerfile",
                "-o",
                "Stagefile",
                "--force",
                "--syntax",
            ])
            .arg(frontend_image())
            .current_dir(build.dir()),
    );
    assert!(
        convert.status.success(),
        "{what}: convert failed:\n{}",
        convert.text()
    );
    let stagefile = build.stagefile_text();

    let from_docker = build.run_file("Dockerfile", extra).success();
    let from_stagefile = build.run_file("Stagefile", extra).success();
    let (a, b) = (config(&from_docker.image), config(&from_stagefile.image));
    assert_eq!(
        a, b,
        "{what}: image configs differ (left: Dockerfile, right: Stagefile)\n{stagefile}"
    );

    let mut trees = Vec::new();
    for file in ["Dockerfile", "Stagefile"] {
        let tar = build.path(&format!("{file}.export.tar"));
        let output = format!("--output=type=tar,dest={}", tar.display());
        let mut args = extra.to_vec();
        args.push(&output);
        build.run_file_without_load(file, &args).success();
        trees.push(listing(&tar));
        fs::remove_file(&tar).unwrap();
    }
    assert!(!trees[0].is_empty(), "{what}: the export is empty");
    assert!(
        trees[0] == trees[1],
        "{what}: the files differ (- Dockerfile, + Stagefile):\n{}\n{stagefile}",
        diff(&trees[0], &trees[1])
    );
}

/// The images a Dockerfile's `FROM` lines name (not its own stages) that the engine lacks.
fn missing_bases(dockerfile: &Path) -> Vec<String> {
    let text = fs::read_to_string(dockerfile).unwrap();
    let mut stages = Vec::new();
    let mut missing = Vec::new();
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if !words
            .first()
            .is_some_and(|w| w.eq_ignore_ascii_case("FROM"))
        {
            continue;
        }
        let rest: Vec<&str> = words[1..]
            .iter()
            .copied()
            .filter(|w| !w.starts_with("--"))
            .collect();
        let Some(image) = rest.first().map(|w| w.to_lowercase()) else {
            continue;
        };
        if image != "scratch"
            && !image.contains('$')
            && !stages.contains(&image)
            && !missing.contains(&image)
            && !docker(&["image", "inspect", &image]).status.success()
        {
            missing.push(image);
        }
        if let Some(i) = rest.iter().position(|w| w.eq_ignore_ascii_case("AS")) {
            stages.extend(rest.get(i + 1).map(|s| s.to_lowercase()));
        }
    }
    missing
}

/// A build whose context is a copy of `dir` (relative to the repository).
fn fixture_from(dir: &str) -> Build {
    let build = Build::new();
    copy_tree(&repo_root().join(dir), build.dir());
    build
}

#[test]
fn every_example_twin_round_trips() {
    if !engine_enabled() {
        return;
    }
    let mut found = 0;
    let examples = repo_root().join("examples");
    let mut names: Vec<String> = fs::read_dir(&examples)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("Dockerfile").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in names {
        // The examples' bases are stand-ins made by `hack/base-images --examples`, which
        // only the full suite loads (hack/test --e2e-only on older engines does not).
        let missing = missing_bases(&examples.join(&name).join("Dockerfile"));
        if !missing.is_empty() {
            skip(&format!(
                "examples/{name} needs {missing:?}: run hack/base-images --examples"
            ));
            continue;
        }
        found += 1;
        round_trip(
            &format!("examples/{name}"),
            fixture_from(&format!("examples/{name}")),
            &[],
        );
    }
    if found == 0 {
        notice("no examples/*/Dockerfile yet: nothing to round-trip there");
    }
}

#[test]
fn bench_app_round_trips() {
    if !engine_enabled() {
        return;
    }
    round_trip("hack/bench.d/app", fixture_from("hack/bench.d/app"), &[]);
}

#[test]
fn bench_context_round_trips() {
    if !engine_enabled() {
        return;
    }
    let build = fixture_from("hack/bench.d/context").file("small.txt", "small\n");
    round_trip("hack/bench.d/context", build, &[]);
}

/// The frontend's own Dockerfile, by its `prebuilt` route: the `build` route compiles the
/// project in a Rust image, which the test engine does not hold; `prebuilt` takes the
/// binary from the context, here a stub, which is all a file comparison needs.
#[test]
fn frontend_dockerfile_prebuilt_route_round_trips() {
    if !engine_enabled() {
        return;
    }
    let build = Build::new()
        .file(
            "Dockerfile",
            &fs::read_to_string(repo_root().join("Dockerfile")).unwrap(),
        )
        .file("stagefile", "#!/bin/sh\necho stub\n");
    let args = [
        "--build-arg",
        "BINARY_SOURCE=prebuilt",
        "--build-arg",
        "VERSION=1.2.3",
        "--build-arg",
        "REVISION=abc1234",
    ];
    round_trip("Dockerfile (prebuilt)", build, &args);
}

const INSTRUCTIONS: &str = r#"# syntax=docker/dockerfile:1
# Versions, declared once.
ARG BASE=busybox:1.35
ARG GREETING="hello world"

FROM ${BASE} AS build
ARG GREETING
ARG TARGETARCH
ENV APP_HOME=/app \
    MODE=release
WORKDIR $APP_HOME
COPY --chmod=0640 a.txt b.txt ./
COPY docs/*.md /doc/
RUN --mount=type=cache,target=/cache,id=convert-e2e,sharing=locked \
    --mount=type=tmpfs,target=/scratch \
    --mount=type=bind,source=a.txt,target=/mnt/a.txt \
    --network=none \
    echo "$GREETING on $TARGETARCH in $MODE" > /app/greeting && \
    cat /mnt/a.txt >> /app/greeting && mkdir -p /out && cp /app/greeting /out/
RUN ["/bin/sh", "-c", "echo exec form > /out/exec"]
RUN <<EOF
set -e
echo "heredoc ran" > /out/heredoc
EOF
RUN cat <<A > /out/a && cat <<-'B' > /out/b
first $GREETING
A
	second $GREETING
	B
USER 1000:1000
RUN id > /tmp/id

# The final stage.
FROM busybox:1.35
ARG GREETING
LABEL org.opencontainers.image.title="converted" \
      "quoted key"=value
COPY --from=build --chown=65532:65532 --link /out/ /srv/
COPY --from=0 /tmp/id /srv/id
COPY <<CONF <<'SCRIPT' /etc/app/
greeting=${GREETING}
CONF
#!/bin/sh
echo "$@"
SCRIPT
WORKDIR /srv
RUN echo 'app:x:1234:1234::/home/app:/bin/sh' >> /etc/passwd && echo 'app:x:1234:' >> /etc/group
USER app
WORKDIR /home/app/data
ENV PATH=/srv/bin:$PATH
EXPOSE 8080 53/udp
VOLUME ["/data"]
STOPSIGNAL SIGINT
HEALTHCHECK --interval=30s --timeout=5s --start-period=1s --retries=3 \
    CMD wget -q -O- http://localhost:8080/ || exit 1
SHELL ["/bin/sh", "-eu", "-c"]
ENTRYPOINT ["/bin/cat"]
CMD /srv/greeting
"#;

#[test]
fn instructions_round_trip() {
    if !engine_enabled() {
        return;
    }
    if old_engine() {
        // The Dockerfile side cannot build there: BuildKit v0.8's builtin Dockerfile
        // frontend has no `RUN --network` without a labs syntax image to pull.
        skip("the engine's builtin Dockerfile frontend lacks RUN --network");
        return;
    }
    let build = Build::new()
        .file("Dockerfile", INSTRUCTIONS)
        .file("a.txt", "a\n")
        .file("b.txt", "b\n")
        .file("docs/guide.md", "# guide\n")
        .file("docs/deep/x.md", "not matched by docs/*.md\n");
    round_trip("instructions", build, &[]);
}

const ESCAPE_AND_PARTS: &str = "# escape=`
FROM debian:bookworm AS base
WORKDIR /w
RUN echo one `
    two > /w/words
USER nobody
ENV PRICE=`$5 HOME_DIR=/home
WORKDIR sub
RUN echo \"$PRICE\" > /tmp/price

FROM base
COPY --from=0 /w/words /copy
";

#[test]
fn escape_directive_and_settings_between_steps_round_trip() {
    if !engine_enabled() {
        return;
    }
    round_trip(
        "escape and parts",
        Build::new().file("Dockerfile", ESCAPE_AND_PARTS),
        &[],
    );
}
