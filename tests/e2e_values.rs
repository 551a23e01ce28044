//! End-to-end tests of the values users write: Docker's healthcheck list form, expose
//! ranges and protocols in any case, tmpfs sizes, and the file's lint settings. Where a
//! Dockerfile can say the same, the fixture holds a `Dockerfile` twin, built with the
//! engine's builtin frontend, and both images must carry the same config.
//!
//! Like the other engine tests, these run only when `STAGEFILE_E2E` is set; the harness
//! is in `tests/common/mod.rs`.

mod common;

use common::*;
use std::thread;
use std::time::{Duration, Instant};

/// Builds `target` of the fixture's Stagefile and of its Dockerfile, and gives the two
/// images' `docker image inspect --format FORMAT` answers.
fn both(build: &Build, target: &str, format: &str) -> (String, String) {
    let stagefile = build.run_with(&["--target", target]).success();
    let dockerfile = build
        .run_file("Dockerfile", &["--target", target])
        .success();
    (
        stagefile.image.inspect(format),
        dockerfile.image.inspect(format),
    )
}

#[test]
fn healthcheck_in_dockers_list_form_gives_what_the_dockerfile_gives() {
    if !engine_enabled() {
        return;
    }
    let build = Build::new()
        .stagefile(
            "\
stages:
  exec:
    from: busybox:1.35
    healthcheck:
      test: [CMD, wget, -q, -O-, \"http://localhost/\"]
      interval: 30s
      timeout: 5s
      retries: 3
  plain:
    from: busybox:1.35
    healthcheck:
      test: [wget, -q, -O-, \"http://localhost/\"]
      interval: 30s
      timeout: 5s
      retries: 3
  shell:
    from: busybox:1.35
    healthcheck:
      test: [CMD-SHELL, \"wget -q -O- http://localhost/ || exit 1\"]
      interval: 30s
  string:
    from: busybox:1.35
    healthcheck:
      test: wget -q -O- http://localhost/ || exit 1
      interval: 30s
  none:
    from: exec
    healthcheck:
      test: [NONE]
",
        )
        .file(
            "Dockerfile",
            "\
FROM busybox:1.35 AS exec
HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD [\"wget\", \"-q\", \"-O-\", \"http://localhost/\"]
FROM exec AS plain
FROM busybox:1.35 AS shell
HEALTHCHECK --interval=30s CMD wget -q -O- http://localhost/ || exit 1
FROM shell AS string
FROM exec AS none
HEALTHCHECK NONE
",
        );
    let format = "{{json .Config.Healthcheck}}";
    for target in ["exec", "plain", "shell", "string", "none"] {
        let (stagefile, dockerfile) = both(&build, target, format);
        assert_eq!(
            stagefile, dockerfile,
            "Healthcheck of target {target}: Stagefile (left) and Dockerfile (right)"
        );
    }
    let (exec, _) = both(&build, "exec", format);
    assert!(
        exec.contains(r#""Test":["CMD","wget","-q","-O-","http://localhost/"]"#),
        "{exec}"
    );
}

/// Waits (bounded) for the container's health status to leave `starting`.
fn health_status(container: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let status = docker(&["inspect", "--format", "{{.State.Health.Status}}", container]);
        status.assert_success();
        let status = status.stdout.trim().to_owned();
        if status != "starting" || Instant::now() > deadline {
            return status;
        }
        thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_check_in_dockers_list_form_runs_and_passes() {
    if !engine_enabled() {
        return;
    }
    // Before, `[CMD, test, -f, /tmp/ok]` became `CMD CMD test …`: never healthy.
    let built = Build::new()
        .stagefile(
            "\
stages:
  app:
    from: busybox:1.35
    cmd: [sh, -c, \"touch /tmp/ok && sleep 120\"]
    healthcheck:
      test: [CMD, test, -f, /tmp/ok]
      interval: 1s
      start-period: 30s
      start-interval: 1s
",
        )
        .run()
        .success();
    let container = unique("stagefile-e2e-health");
    docker(&[
        "run",
        "-d",
        "--network",
        "none",
        "--name",
        &container,
        &built.image.tag,
    ])
    .assert_success();
    let status = health_status(&container);
    let _ = docker(&["rm", "--force", &container]);
    assert_eq!(status, "healthy");
}

#[test]
fn expose_ranges_and_protocols_give_what_the_dockerfile_gives() {
    if !engine_enabled() {
        return;
    }
    let build = Build::new()
        .stagefile(
            "\
stages:
  app:
    from: busybox:1.35
    expose: [8000-8002/udp, 80/TCP, 9090, \"7000-7001\", 53/Udp]
  one:
    from: busybox:1.35
    expose: 8080
",
        )
        .file(
            "Dockerfile",
            "\
FROM busybox:1.35 AS app
EXPOSE 8000-8002/udp 80/TCP 9090 7000-7001 53/Udp
FROM busybox:1.35 AS one
EXPOSE 8080
",
        );
    let format = "{{json .Config.ExposedPorts}}";
    let (stagefile, dockerfile) = both(&build, "app", format);
    assert_eq!(
        stagefile, dockerfile,
        "ExposedPorts: Stagefile (left) and Dockerfile (right)"
    );
    for port in [
        "8000/udp", "8001/udp", "8002/udp", "80/tcp", "9090/tcp", "7000/tcp", "7001/tcp", "53/udp",
    ] {
        assert!(
            stagefile.contains(&format!("\"{port}\"")),
            "{port} not in {stagefile}"
        );
    }
    let (stagefile, dockerfile) = both(&build, "one", format);
    assert_eq!(stagefile, dockerfile);
    assert_eq!(stagefile, r#"{"8080/tcp":{}}"#);
}

#[test]
fn a_tmpfs_size_limits_the_filesystem_as_the_dockerfiles_does() {
    if !engine_enabled() {
        return;
    }
    if old_engine() {
        notice("BuildKit before 0.10 has no tmpfs size; the frontend refuses it by name");
        let built = Build::new()
            .stagefile("stages:\n  app:\n    from: busybox:1.35\n    steps:\n      - run: df -k /scratch\n        tmpfs: { target: /scratch, size: 64m }\n")
            .run()
            .failure();
        built.assert_output_contains("a `tmpfs` with `size`");
        return;
    }
    // `df -k` prints the size in KiB: 64m is 65536, 1.5g is 1572864.
    let measure = "df -k /scratch /big | awk 'NR > 1 { print $2 }' > /sizes";
    let build = Build::new()
        .stagefile(&format!(
            "\
stages:
  app:
    from: busybox:1.35
    steps:
      - run: {measure}
        tmpfs:
          - {{ target: /scratch, size: 64m }}
          - {{ target: /big, size: 1.5g }}
"
        ))
        .file(
            "Dockerfile",
            &format!(
                "\
FROM busybox:1.35 AS app
RUN --mount=type=tmpfs,target=/scratch,size=64m --mount=type=tmpfs,target=/big,size=1536m {measure}
"
            ),
        );
    let stagefile = build.run_with(&[]).success();
    let dockerfile = build.run_file("Dockerfile", &[]).success();
    let sizes = stagefile.image.run_ok(&["cat", "/sizes"]);
    assert_eq!(
        sizes.split_whitespace().collect::<Vec<_>>(),
        ["65536", "1572864"]
    );
    assert_eq!(sizes, dockerfile.image.run_ok(&["cat", "/sizes"]));
}

#[test]
fn lint_settings_fail_the_build_or_skip_rules() {
    if !engine_enabled() {
        return;
    }
    // `RootUser` finds the stage without a user.
    let build = Build::new().stagefile(
        "# check=error=true\nstages:\n  app:\n    from: busybox:1.35\n    steps:\n      - run: echo hi > /hi\n",
    );
    let failed = build.run().failure();
    failed.assert_output_contains("RootUser");
    failed.assert_output_contains("lint settings make findings errors");
    failed.assert_names_line(&[4]);
    let ran: Vec<String> = vertices(&failed.output())
        .into_values()
        .map(|(name, _)| name)
        .filter(|name| name.contains("RUN echo"))
        .collect();
    assert!(
        ran.is_empty(),
        "the build should stop before any step: {ran:?}"
    );

    // The build arg Dockerfile users set replaces the file's settings.
    build
        .run_with(&[
            "--build-arg",
            "BUILDKIT_DOCKERFILE_CHECK=skip=RootUser;error=true",
        ])
        .success();
}
